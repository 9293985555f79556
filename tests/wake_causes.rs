//! Every wake of a task carries its cause, over the public API: a socket's events
//! (readable, writable, read-closed, on the right fd), a timer (its deadline), another
//! task (a channel, a `JoinHandle`), the `block_on` future, another thread, the task
//! itself. Seen in `Runtime::step`'s reports and in the per-task counters.

mod util;

use std::cell::Cell;
use std::future::{pending, poll_fn};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use wakeful::net::{TcpListener, TcpStream};
use wakeful::sync::oneshot;
use wakeful::task::{self, Id, IoEvents, WakeCause, WakeKind, Wakes};
use wakeful::time::sleep_until;
use wakeful::{PollOutcome, Runtime, Step, WokenTask};

/// Steps until a step is not `Stalled`, calling `meanwhile` before each; bounded.
fn step_until_woken(rt: &Runtime, mut meanwhile: impl FnMut()) -> Vec<WokenTask> {
    let started = Instant::now();
    loop {
        meanwhile();
        match rt.step() {
            Step::Stalled => {}
            Step::Woke(woken) => return woken,
            other => panic!("no task should be ready, got {other:?}"),
        }
        assert!(started.elapsed() < util::PATIENCE, "no wake came");
        std::thread::yield_now();
    }
}

/// Steps until no task is ready (every task has run as far as it can).
fn settle(rt: &Runtime) {
    assert!(rt.run_until_stalled().stalled);
}

/// A wakeful stream on `rt` and its peer, a blocking std stream made non-blocking.
fn pair(rt: &Runtime) -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ours = rt.block_on(TcpStream::connect(addr)).unwrap();
    let (peer, _) = listener.accept().unwrap();
    peer.set_nonblocking(true).unwrap();
    (ours, peer)
}

/// The one task woken, which must be `task`, by an I/O event on `fd` with `events`.
#[track_caller]
fn assert_io(woken: &[WokenTask], task: Id, fd: RawFd, events: IoEvents) {
    match woken {
        [WokenTask { task: t, cause: WakeCause::Io { fd: on, events: got } }]
            if *t == task && *on == fd && got.contains(events) => {}
        _ => panic!("expected {task} woken by {events} on fd {fd}, got {woken:?}"),
    }
}

/// The counters of live task `id`, read from inside `rt`.
fn wakes_of(rt: &Runtime, id: Id) -> Wakes {
    rt.block_on(async {
        task::tasks().into_iter().find(|info| info.id == id).expect("the task is live").wakes
    })
}

#[track_caller]
fn assert_one(wakes: Wakes, kind: WakeKind) {
    assert_eq!((wakes[kind], wakes.total()), (1, 1), "expected one {kind:?} wake, got {wakes:?}");
}

#[test]
fn a_read_is_woken_by_data_as_readable_on_its_fd() {
    let rt = Runtime::new().unwrap();
    let (mut ours, mut peer) = pair(&rt);
    let fd = ours.as_raw_fd();
    let reader = rt.spawn(async move {
        let mut byte = [0];
        ours.read_exact(&mut byte).await.unwrap();
        pending::<()>().await
    });
    settle(&rt);
    peer.write_all(b"x").unwrap();
    let woken = step_until_woken(&rt, || {});
    assert_io(&woken, reader.id(), fd, IoEvents::READABLE);
    assert!(!woken[0].cause.to_string().is_empty());
    assert_eq!(
        woken[0].cause.to_string(),
        format!(
            "{} on fd {fd}",
            match woken[0].cause {
                WakeCause::Io { events, .. } => events,
                _ => unreachable!(),
            }
        )
    );
    settle(&rt);
    assert_one(wakes_of(&rt, reader.id()), WakeKind::Io);
}

#[test]
fn a_write_is_woken_by_buffer_space_as_writable() {
    let rt = Runtime::new().unwrap();
    let (mut ours, mut peer) = pair(&rt);
    let fd = ours.as_raw_fd();
    // Far more than loopback buffers hold: the write must wait for the peer.
    let data = vec![7u8; 32 << 20];
    let writer = rt.spawn(async move { ours.write_all(&data).await.unwrap() });
    settle(&rt);
    assert!(!writer.is_finished(), "the buffers filled up");
    let mut sink = vec![0u8; 1 << 20];
    let woken = step_until_woken(&rt, || loop {
        match peer.read(&mut sink) {
            Ok(n) => assert!(n > 0, "the writer is not done"),
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => panic!("peer read: {err}"),
        }
    });
    assert_io(&woken, writer.id(), fd, IoEvents::WRITABLE);
    writer.abort();
}

#[test]
fn a_peer_close_wakes_a_read_as_read_closed() {
    let rt = Runtime::new().unwrap();
    let (mut ours, peer) = pair(&rt);
    let fd = ours.as_raw_fd();
    let reader = rt.spawn(async move {
        let mut buf = [0; 8];
        assert_eq!(ours.read(&mut buf).await.unwrap(), 0, "end of stream");
    });
    settle(&rt);
    drop(peer);
    let woken = step_until_woken(&rt, || {});
    assert_io(&woken, reader.id(), fd, IoEvents::READ_CLOSED);
    let Step::Polled(polled) = rt.step() else { panic!("the reader was woken") };
    assert_eq!((polled.task, polled.outcome), (reader.id(), PollOutcome::Ready));
}

#[test]
fn a_sleep_is_woken_by_its_timer_with_its_deadline() {
    let rt = Runtime::new().unwrap();
    let deadline = Instant::now() + Duration::from_millis(5);
    let sleeper = rt.spawn(async move {
        sleep_until(deadline).await;
        pending::<()>().await
    });
    settle(&rt);
    let woken = step_until_woken(&rt, || {});
    assert_eq!(woken, vec![WokenTask { task: sleeper.id(), cause: WakeCause::Timer { deadline } }]);
    assert!(woken[0].cause.to_string().starts_with("timer due "), "{}", woken[0].cause);
    settle(&rt);
    assert_one(wakes_of(&rt, sleeper.id()), WakeKind::Timer);
}

#[test]
fn an_hour_long_sleep_under_a_paused_clock_is_woken_by_a_timer() {
    let rt = Runtime::builder().start_paused(true).build().unwrap();
    let slept = Rc::new(Cell::new(false));
    let flag = slept.clone();
    let sleeper = rt.spawn(async move {
        wakeful::time::sleep(Duration::from_secs(3600)).await;
        flag.set(true);
        pending::<()>().await
    });
    let started = Instant::now();
    // The `block_on` future waits on a channel no one sends on: the runtime is idle,
    // and the paused clock jumps to the timer.
    rt.block_on(async {
        while !slept.get() {
            wakeful::time::sleep(Duration::from_secs(1)).await;
        }
    });
    assert!(started.elapsed() < util::PATIENCE, "the paused clock jumped");
    assert_one(wakes_of(&rt, sleeper.id()), WakeKind::Timer);
}

#[test]
fn a_oneshot_send_from_another_task_is_caused_by_the_sender() {
    let rt = Runtime::new().unwrap();
    let (tx, rx) = oneshot::channel::<u8>();
    let receiver = rt.spawn(async move {
        assert_eq!(rx.await.unwrap(), 3);
        pending::<()>().await
    });
    settle(&rt);
    let sender = rt.spawn(async move { tx.send(3).unwrap() });
    let Step::Polled(polled) = rt.step() else { panic!("the sender was ready") };
    assert_eq!((polled.task, polled.woke), (sender.id(), vec![receiver.id()]), "the send woke the receiver");
    settle(&rt);
    assert_one(wakes_of(&rt, receiver.id()), WakeKind::Task);
}

#[test]
fn a_join_handle_completion_is_caused_by_the_finished_task() {
    let rt = Runtime::new().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let worker = rt.spawn(async move { rx.await.unwrap() });
    let worker_id = worker.id();
    let joiner = rt.spawn(async move {
        worker.await.unwrap();
        pending::<()>().await
    });
    settle(&rt);
    rt.block_on(async move { tx.send(()).unwrap() });
    // The send (from `block_on`) woke the worker, Local; its end wakes the joiner.
    let Step::Polled(polled) = rt.step() else { panic!("the worker was woken") };
    assert_eq!(
        (polled.task, polled.outcome, polled.woke),
        (worker_id, PollOutcome::Ready, vec![joiner.id()])
    );
    settle(&rt);
    assert_one(wakes_of(&rt, joiner.id()), WakeKind::Task);
}

#[test]
fn a_wake_from_the_block_on_future_is_local_and_from_another_thread_remote() {
    let rt = Runtime::new().unwrap();
    let (tx_local, rx_local) = oneshot::channel::<()>();
    let (waker_tx, waker_rx) = std::sync::mpsc::channel::<Waker>();
    let local = rt.spawn(async move {
        rx_local.await.unwrap();
        pending::<()>().await
    });
    let remote = rt.spawn(poll_fn(move |cx| {
        // Hands its waker out on the first poll, and waits for ever.
        let _ = waker_tx.send(cx.waker().clone());
        Poll::<()>::Pending
    }));
    settle(&rt);
    rt.block_on(async move { tx_local.send(()).unwrap() });
    settle(&rt); // `block_on` returned at once: the woken task runs now
    let waker = waker_rx.recv_timeout(util::PATIENCE).expect("the task sent its waker");
    std::thread::spawn(move || waker.wake()).join().unwrap();
    let woken = step_until_woken(&rt, || {});
    assert!(woken.contains(&WokenTask { task: remote.id(), cause: WakeCause::Remote }), "{woken:?}");
    settle(&rt);
    assert_one(wakes_of(&rt, local.id()), WakeKind::Local);
    assert_one(wakes_of(&rt, remote.id()), WakeKind::Remote);
}

#[test]
fn yield_now_wakes_the_task_itself() {
    let rt = Runtime::new().unwrap();
    let yielder = rt.spawn(async {
        task::yield_now().await;
        pending::<()>().await
    });
    let Step::Polled(polled) = rt.step() else { panic!("the task was ready") };
    assert_eq!(polled.woke, vec![yielder.id()]);
    settle(&rt);
    assert_one(wakes_of(&rt, yielder.id()), WakeKind::Itself);
}

#[test]
fn a_listener_accept_is_woken_as_readable_on_the_listener() {
    let rt = Runtime::new().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let (addr, fd) = (listener.local_addr().unwrap(), listener.as_raw_fd());
    let acceptor = rt.spawn(async move {
        let _conn = listener.accept().await.unwrap();
        pending::<()>().await
    });
    settle(&rt);
    let _client = std::net::TcpStream::connect(addr).unwrap();
    let woken = step_until_woken(&rt, || {});
    assert_io(&woken, acceptor.id(), fd, IoEvents::READABLE);
}

/// `time::advance` from the `block_on` future (a paused test's body, as in tokio's
/// tests): the timers it fires wake their tasks with their deadlines, as the park's
/// auto-advance does — not as a wake by "this thread".
#[test]
fn a_sleep_ended_by_time_advance_in_block_on_is_woken_by_its_timer() {
    let rt = Runtime::builder().start_paused(true).build().unwrap();
    let deadline = rt.block_on(async { wakeful::time::Instant::now() }) + Duration::from_secs(30);
    let sleeper = rt.spawn(async move {
        sleep_until(deadline).await;
        pending::<()>().await
    });
    rt.block_on(async {
        wakeful::yield_now().await; // the sleeper arms its timer
        wakeful::time::advance(Duration::from_secs(30)).await;
    });
    assert_one(wakes_of(&rt, sleeper.id()), WakeKind::Timer);
}

#[test]
fn causes_under_cores_a_remote_join_is_remote_and_a_timer_on_the_other_core_is_a_timer() {
    fn my_wakes() -> Wakes {
        let me = task::id();
        task::tasks().into_iter().find(|info| info.id == me).expect("listed").wakes
    }
    let outputs = wakeful::cores::Builder::new()
        .cores(2)
        .run(|core| async move {
            if core.index() == 1 {
                return None;
            }
            let handle = core.handle();
            let waiter = wakeful::spawn(async move {
                let slept = handle
                    .spawn_on(1, || async {
                        wakeful::time::sleep(Duration::from_millis(20)).await;
                        my_wakes()
                    })
                    .await
                    .unwrap();
                (slept, my_wakes())
            });
            Some(waiter.await.unwrap())
        })
        .unwrap();
    let (slept, waited) = outputs[0].unwrap();
    assert_eq!((slept[WakeKind::Timer], slept.total()), (1, 1), "the sleeper on core 1: {slept:?}");
    assert_eq!((waited[WakeKind::Remote], waited.total()), (1, 1), "the waiter on core 0: {waited:?}");
}
