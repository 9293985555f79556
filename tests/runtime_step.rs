//! `Runtime::step` and `Runtime::run_until_stalled`: the run loop one unit of work at a
//! time, each unit reported (which task, ready or pending, whom it woke).

mod util;

use std::cell::Cell;
use std::future::{pending, poll_fn};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use wakeful::executor::RUN_UNTIL_STALLED_MAX_POLLS;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::sync::mpsc;
use wakeful::task::{Id, IoEvents, WakeCause};
use wakeful::{PollOutcome, Polled, Runtime, Step, WokenTask};

fn polled(task: Id, outcome: PollOutcome, woke: &[Id]) -> Step {
    Step::Polled(Polled { task, outcome, woke: woke.to_vec(), spawned: Vec::new() })
}

/// Steps until `done` says so, at most a generous number of times and for at most
/// `util::PATIENCE`: for waits on the OS (a socket, another thread).
fn step_until(rt: &Runtime, mut done: impl FnMut(&Step) -> bool) -> Step {
    let started = Instant::now();
    loop {
        let step = rt.step();
        if done(&step) {
            return step;
        }
        assert!(started.elapsed() < util::PATIENCE, "still waiting; last step: {step:?}");
        std::thread::yield_now();
    }
}

#[test]
fn a_channel_ping_pong_steps_through_the_expected_polls_and_wakes() {
    let rt = Runtime::new().unwrap();
    let (to_pong, mut pong_rx) = mpsc::unbounded_channel::<u32>();
    let (to_ping, mut ping_rx) = mpsc::unbounded_channel::<u32>();
    let ping = rt.spawn(async move {
        for ball in 0..2 {
            to_pong.send(ball).unwrap();
            assert_eq!(ping_rx.recv().await, Some(ball));
        }
    });
    let pong = rt.spawn(async move {
        while let Some(ball) = pong_rx.recv().await {
            to_ping.send(ball).unwrap();
        }
    });
    let (a, b) = (ping.id(), pong.id());
    use PollOutcome::{Pending, Ready};
    let expected = [
        polled(a, Pending, &[]),  // sends 0 (pong never polled: no waker to wake), waits
        polled(b, Pending, &[a]), // takes 0, sends it back: wakes ping; waits
        polled(a, Pending, &[b]), // takes the reply, sends 1: wakes pong; waits
        polled(b, Pending, &[a]), // takes 1, sends it back
        polled(a, Ready, &[b]),   // takes the reply and ends: its sender dropped wakes pong
        polled(b, Ready, &[]),    // the channel is closed: ends
        Step::Stalled,
    ];
    for (n, want) in expected.iter().enumerate() {
        assert_eq!(&rt.step(), want, "step {n}");
    }
    assert!(ping.is_finished() && pong.is_finished());
}

#[test]
fn a_socket_read_is_woken_by_a_reactor_turn() {
    let rt = Runtime::new().unwrap();
    let (mut server, mut client) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        (listener.accept().await.unwrap().0, client)
    });
    let fd = std::os::fd::AsRawFd::as_raw_fd(&server);
    let reader = rt.spawn(async move {
        let mut buf = [0; 5];
        server.read_exact(&mut buf).await.unwrap();
        buf
    });
    let r = reader.id();
    assert_eq!(rt.step(), polled(r, PollOutcome::Pending, &[]), "nothing to read yet");
    assert_eq!(rt.step(), Step::Stalled);

    let writer = rt.spawn(async move { client.write_all(b"hello").await.unwrap() });
    let w = writer.id();
    assert_eq!(rt.step(), polled(w, PollOutcome::Ready, &[]), "the write wakes no one itself");
    // The kernel tells the reactor: the next turn (no task is ready) wakes the reader.
    let woke = step_until(&rt, |step| !step.is_stalled());
    // The writer wrote and dropped its end: readable, and (if the FIN has landed by
    // the turn, as it usually has on loopback) read-closed too.
    let Step::Woke(woken) = &woke else { panic!("a turn woke the reader: {woke:?}") };
    assert!(
        matches!(woken[..], [WokenTask { task, cause: WakeCause::Io { fd: on, events } }]
            if task == r && on == fd && events.contains(IoEvents::READABLE)),
        "the readable event, on the reader's fd: {woke:?}"
    );
    assert_eq!(rt.step(), polled(r, PollOutcome::Ready, &[]));
    assert_eq!(rt.block_on(reader).unwrap(), *b"hello");
}

#[test]
fn run_until_stalled_with_a_timer_not_due_returns_without_blocking() {
    let rt = Runtime::new().unwrap();
    let sleeper = rt.spawn(async { wakeful::time::sleep(Duration::from_secs(3600)).await });
    let started = Instant::now();
    let run = rt.run_until_stalled();
    assert!(started.elapsed() < util::PATIENCE, "it waited: {:?}", started.elapsed());
    assert!(run.stalled);
    assert_eq!(run.polls, 1, "one poll: the sleep registered its timer");
    assert!(run.turns >= 1, "and at least one look at the reactor said nothing more");
    assert!(!sleeper.is_finished());
    assert_eq!(rt.stats().timers_pending, 1);
}

#[test]
fn run_until_stalled_stops_after_its_bound_when_a_task_always_wakes_itself() {
    let rt = Runtime::new().unwrap();
    let spinner = rt.spawn(async {
        loop {
            wakeful::task::yield_now().await;
        }
    });
    let other = rt.spawn(async {
        wakeful::task::yield_now().await;
        "done"
    });
    let run = rt.run_until_stalled();
    assert!(!run.stalled, "the spinner is always ready");
    assert_eq!(run.polls, RUN_UNTIL_STALLED_MAX_POLLS);
    assert!(run.turns >= RUN_UNTIL_STALLED_MAX_POLLS / 61, "I/O had its turns: {run:?}");
    assert!(other.is_finished(), "the other task ran meanwhile");
    assert!(!spinner.is_finished());
    spinner.abort();
    let Step::Polled(aborted) = rt.step() else { panic!("the aborted spinner is ready") };
    assert_eq!((aborted.task, aborted.outcome), (spinner.id(), PollOutcome::Aborted));
    assert!(rt.run_until_stalled().stalled);
}

#[test]
fn a_task_that_panics_in_a_step_hands_the_panic_to_its_handle() {
    let rt = Runtime::new().unwrap();
    let doomed = rt.spawn(async {
        if true {
            panic!("boom in a step");
        }
    });
    let Step::Polled(step) = rt.step() else { panic!("the task was ready") };
    assert_eq!((step.task, step.outcome), (doomed.id(), PollOutcome::Ready));
    let err = rt.block_on(doomed).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom in a step");
    assert_eq!(rt.step(), Step::Stalled);
}

#[test]
#[should_panic(expected = "Runtime::step called from inside a running runtime")]
fn step_inside_block_on_panics() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async { rt.step() });
}

#[test]
#[should_panic(expected = "Runtime::run_until_stalled called from inside a running runtime")]
fn run_until_stalled_inside_block_on_of_another_runtime_panics() {
    let outer = Runtime::new().unwrap();
    let inner = Runtime::new().unwrap();
    outer.block_on(async { inner.run_until_stalled() });
}

#[test]
fn step_from_a_task_of_the_same_runtime_panics_into_that_tasks_handle() {
    let rt = Rc::new(Runtime::new().unwrap());
    let stepper = rt.spawn({
        let rt = rt.clone();
        async move {
            rt.step();
        }
    });
    assert!(matches!(rt.step(), Step::Polled(Polled { outcome: PollOutcome::Ready, .. })));
    let err = rt.block_on(stepper).unwrap_err();
    let message = *err.into_panic().downcast::<String>().unwrap();
    assert!(message.contains("Runtime::step called from inside a running runtime"), "{message}");
}

#[test]
fn a_poll_reports_the_tasks_it_spawns_apart_from_those_it_wakes() {
    let rt = Runtime::new().unwrap();
    let parked: Rc<Cell<Option<Waker>>> = Rc::default();
    let sleeper = rt.spawn({
        let parked = parked.clone();
        poll_fn(move |cx| {
            parked.set(Some(cx.waker().clone()));
            Poll::<()>::Pending
        })
    });
    assert_eq!(rt.step(), polled(sleeper.id(), PollOutcome::Pending, &[]));
    let children: Rc<Cell<Vec<Id>>> = Rc::default();
    let parent = rt.spawn({
        let children = children.clone();
        async move {
            let first = wakeful::spawn(pending::<()>());
            parked.take().unwrap().wake();
            let second = wakeful::spawn(async {});
            children.set(vec![first.id(), second.id()]);
        }
    });
    let Step::Polled(step) = rt.step() else { panic!("the parent was ready") };
    assert_eq!((step.task, step.outcome), (parent.id(), PollOutcome::Ready));
    assert_eq!(step.woke, vec![sleeper.id()]);
    assert_eq!(step.spawned, children.take());
}

#[test]
fn a_wake_from_a_dropped_value_is_reported_by_the_poll_that_dropped_it() {
    struct WakeOnDrop(Option<Waker>);
    impl Drop for WakeOnDrop {
        fn drop(&mut self) {
            self.0.take().unwrap().wake();
        }
    }
    let rt = Runtime::new().unwrap();
    let parked: Rc<Cell<Option<Waker>>> = Rc::default();
    let waiter = rt.spawn({
        let parked = parked.clone();
        poll_fn(move |cx| {
            parked.set(Some(cx.waker().clone()));
            Poll::<()>::Pending
        })
    });
    rt.step();
    let dropper = rt.spawn(async move {
        let _guard = WakeOnDrop(parked.take());
    });
    assert_eq!(rt.step(), polled(dropper.id(), PollOutcome::Ready, &[waiter.id()]));
}

#[test]
fn a_wake_from_another_thread_is_reported_by_a_turn() {
    let rt = Runtime::new().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Waker>();
    let woken = Rc::new(Cell::new(false));
    let waiter = rt.spawn({
        let woken = woken.clone();
        poll_fn(move |cx| {
            if woken.replace(true) {
                return Poll::Ready(());
            }
            tx.send(cx.waker().clone()).unwrap();
            Poll::Pending
        })
    });
    assert_eq!(rt.step(), polled(waiter.id(), PollOutcome::Pending, &[]));
    let waker = rx.recv().unwrap();
    std::thread::spawn(move || waker.wake()).join().unwrap();
    let woke = step_until(&rt, |step| !step.is_stalled());
    assert_eq!(woke, Step::Woke(vec![WokenTask { task: waiter.id(), cause: WakeCause::Remote }]));
    assert_eq!(rt.step(), polled(waiter.id(), PollOutcome::Ready, &[]));
}

#[test]
fn steps_never_advance_a_paused_clock_and_advance_moves_it() {
    let rt = Runtime::builder().start_paused(true).build().unwrap();
    let sleeper = rt.spawn(async { wakeful::time::sleep(Duration::from_secs(30)).await });
    let run = rt.run_until_stalled();
    assert!(run.stalled && !sleeper.is_finished());
    assert_eq!(rt.stats().clock_auto_advances, 0);

    rt.spawn(wakeful::time::advance(Duration::from_secs(29)));
    assert!(rt.run_until_stalled().stalled);
    assert!(!sleeper.is_finished(), "a second to go");

    let advance = rt.spawn(wakeful::time::advance(Duration::from_secs(1)));
    let steps: Vec<Step> = std::iter::from_fn(|| Some(rt.step())).take_while(|s| !s.is_stalled()).collect();
    let (a, s) = (advance.id(), sleeper.id());
    use PollOutcome::{Pending, Ready};
    assert_eq!(
        steps,
        [
            polled(a, Pending, &[s, a]), // moving the clock fires the timer; then it yields
            polled(s, Ready, &[]),
            polled(a, Ready, &[]),
        ]
    );
    assert_eq!(rt.stats().clock_auto_advances, 0);
}

#[test]
fn steps_and_block_on_take_turns_on_one_runtime() {
    let rt = Runtime::new().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let consumer = rt.spawn(async move {
        let mut sum = 0;
        while let Some(n) = rx.recv().await {
            sum += n;
        }
        sum
    });
    rt.run_until_stalled();
    tx.send(2).unwrap(); // outside the runtime: the next turn reports the wake
    assert_eq!(rt.step(), Step::Woke(vec![WokenTask { task: consumer.id(), cause: WakeCause::Remote }]));
    let Step::Polled(step) = rt.step() else { panic!("the consumer was woken") };
    assert_eq!((step.task, step.outcome), (consumer.id(), PollOutcome::Pending));
    rt.block_on(async { tx.send(3).unwrap() });
    drop(tx);
    assert_eq!(rt.block_on(consumer).unwrap(), 5);
    assert_eq!(rt.step(), Step::Stalled);
}
