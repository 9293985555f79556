//! `Runtime::step` and `run_until_stalled` on the executor alone: they turn the
//! `Park` only without blocking, report wakes from other threads at the next turn,
//! and end on a task that wakes itself forever. Runs under Miri.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use wakeful_executor::task::WakeCause;
use wakeful_executor::{
    yield_now, Builder, Park, PollOutcome, Polled, Runtime, Step, ThreadPark, Unpark, WokenTask,
    RUN_UNTIL_STALLED_MAX_POLLS,
};

/// A `ThreadPark` that records every timeout it is asked to wait.
struct RecordingPark(ThreadPark, Rc<RefCell<Vec<Option<Duration>>>>);

impl Park for RecordingPark {
    fn park(&mut self, timeout: Option<Duration>) {
        self.1.borrow_mut().push(timeout);
        self.0.park(timeout);
    }
    fn unparker(&self) -> Box<dyn Unpark> {
        self.0.unparker()
    }
}

#[test]
fn steps_turn_the_park_only_without_blocking() {
    let timeouts = Rc::new(RefCell::new(Vec::new()));
    let rt = Builder::default()
        .event_interval(3)
        .build_with_park(RecordingPark(ThreadPark::new(), timeouts.clone()));
    assert_eq!(rt.step(), Step::Stalled, "no task: one look, and nothing woke");
    let waiting = rt.spawn(std::future::pending::<()>());
    let spinning = rt.spawn(async {
        for _ in 0..10 {
            yield_now().await;
        }
    });
    let run = rt.run_until_stalled();
    assert!(run.stalled);
    assert_eq!(run.polls, 12, "the waiting task once, the spinning one 11 times");
    assert!(run.turns >= 4, "a turn every 3 polls, and the last one: {run:?}");
    assert!(spinning.is_finished() && !waiting.is_finished());
    let timeouts = timeouts.borrow();
    assert_eq!(timeouts.len() as u64, 1 + run.turns);
    assert!(timeouts.iter().all(|t| *t == Some(Duration::ZERO)), "{timeouts:?}");
}

#[test]
fn a_wake_from_another_thread_shows_in_the_next_turn() {
    let rt = Runtime::new();
    let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
    let task = rt.spawn({
        let slot = slot.clone();
        poll_fn(move |cx| match slot.borrow_mut().replace(cx.waker().clone()) {
            None => Poll::Pending,
            Some(_) => Poll::Ready(()),
        })
    });
    let id = task.id();
    assert_eq!(
        rt.step(),
        Step::Polled(Polled { task: id, outcome: PollOutcome::Pending, woke: vec![], spawned: vec![] })
    );
    let waker = slot.borrow().clone().unwrap();
    std::thread::spawn(move || waker.wake()).join().unwrap();
    assert_eq!(rt.step(), Step::Woke(vec![WokenTask { task: id, cause: WakeCause::Remote }]));
    let Step::Polled(polled) = rt.step() else { panic!("the woken task is ready") };
    assert_eq!((polled.task, polled.outcome), (id, PollOutcome::Ready));
    assert_eq!(rt.step(), Step::Stalled);
}

#[test]
#[cfg_attr(miri, ignore = "65 536 polls: minutes under Miri; the bound is the same code")]
fn run_until_stalled_ends_on_a_task_that_always_wakes_itself() {
    let rt = Runtime::new();
    let spinner = rt.spawn(async {
        loop {
            yield_now().await;
        }
    });
    let run = rt.run_until_stalled();
    assert!(!run.stalled);
    assert_eq!(run.polls, RUN_UNTIL_STALLED_MAX_POLLS);
    spinner.abort();
    assert!(rt.run_until_stalled().stalled);
    assert!(spinner.is_finished());
}

#[test]
fn a_task_that_aborts_itself_is_polled_pending_then_dropped_unpolled() {
    let rt = Runtime::new();
    let own: Rc<RefCell<Option<wakeful_executor::AbortHandle>>> = Rc::default();
    let task = rt.spawn({
        let own = own.clone();
        async move {
            own.borrow_mut().take().unwrap().abort();
            std::future::pending::<()>().await
        }
    });
    *own.borrow_mut() = Some(task.abort_handle());
    let id = task.id();
    let pending = Polled { task: id, outcome: PollOutcome::Pending, woke: vec![id], spawned: vec![] };
    assert_eq!(rt.step(), Step::Polled(pending), "the abort woke it");
    let aborted = Polled { task: id, outcome: PollOutcome::Aborted, woke: vec![], spawned: vec![] };
    assert_eq!(rt.step(), Step::Polled(aborted));
    assert!(rt.block_on(task).unwrap_err().is_cancelled());
}

/// Panics on its first park, then parks as a `ThreadPark`.
struct PanickyPark(ThreadPark, bool);

impl Park for PanickyPark {
    fn park(&mut self, timeout: Option<Duration>) {
        if !std::mem::replace(&mut self.1, true) {
            panic!("park failed");
        }
        self.0.park(timeout);
    }
    fn unparker(&self) -> Box<dyn Unpark> {
        self.0.unparker()
    }
}

#[test]
fn a_panic_in_the_park_leaves_the_runtime_usable() {
    let rt = Builder::default().build_with_park(PanickyPark(ThreadPark::new(), false));
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.step())).unwrap_err();
    assert_eq!(*panic.downcast::<&str>().unwrap(), "park failed");
    assert_eq!(wakeful_executor::current_stats(), None, "the step left the runtime");
    let task = rt.spawn(async { 5 });
    assert!(matches!(rt.step(), Step::Polled(Polled { outcome: PollOutcome::Ready, .. })));
    assert_eq!(rt.step(), Step::Stalled);
    assert_eq!(rt.block_on(task).unwrap(), 5);
}
