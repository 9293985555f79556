//! `Runtime::step` and `run_until_stalled` on the executor alone: they turn the
//! `Park` only without blocking, report wakes from other threads at the next turn,
//! and end on a task that wakes itself forever. Runs under Miri.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use wakeful_executor::{
    yield_now, Builder, Park, PollOutcome, Polled, Runtime, Step, ThreadPark, Unpark,
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
    assert_eq!(rt.step(), Step::Woke(vec![id]));
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
