//! Model checks of the task state word (`state.rs`) under loom: the runtime's thread
//! polls while two other threads wake the task, in every interleaving (up to
//! `LOOM_MAX_PREEMPTIONS`) and with every value the memory model lets a load see.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p wakeful-executor --release --lib loom
//! ```
//!
//! The model keeps the real `State` and stands in for the rest: a ready queue that
//! counts its entries (each holding a reference, as in `queue.rs`), wakers that are
//! counted references (as in `waker.rs`), and a future that is ready once it has seen
//! the events both wakers announce before waking. Checked:
//! - the last wake is followed by a poll that sees its event (no lost wake);
//! - a task is queued at most once per flag (`SCHEDULED` for wakes from other threads,
//!   `queued_local` for wakes on the runtime's), and never polled after it completed;
//! - the reference count reaches zero exactly once, after every other use.

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;

use crate::state::{Schedule, Start, State};

/// One task, its queue entries and its references, as the executor would hold them.
struct Model {
    state: State,
    /// Ready-queue entries for the task; each holds one reference.
    queued: Mutex<usize>,
    /// The header's `queued_local`: runtime thread only (an atomic just to be `Sync`).
    queued_local: AtomicBool,
    /// What each waker announces before it wakes (readiness, a message...).
    events: [AtomicBool; 2],
    /// A poll is running.
    polling: AtomicBool,
    /// The future returned `Ready`.
    completed: AtomicBool,
    polls: AtomicUsize,
    /// Times the reference count reached zero.
    frees: AtomicUsize,
}

/// When the model's future is ready, from the events it sees.
#[derive(Clone, Copy)]
enum Ready {
    /// Once both wakers' events are visible: every wake matters.
    OnBothEvents,
    /// At the first poll: every wake comes after (or races with) completion.
    AtOnce,
}

impl Model {
    fn new() -> Model {
        Model {
            state: State::new(), // refs: live list, handle, the first queue entry
            queued: Mutex::new(1),
            queued_local: AtomicBool::new(false),
            events: [AtomicBool::new(false), AtomicBool::new(false)],
            polling: AtomicBool::new(false),
            completed: AtomicBool::new(false),
            polls: AtomicUsize::new(0),
            frees: AtomicUsize::new(0),
        }
    }

    fn assert_alive(&self) {
        assert_eq!(self.frees.load(Ordering::Relaxed), 0, "task used after its last reference");
    }

    fn ref_inc(&self) {
        self.assert_alive();
        self.state.ref_inc();
    }

    fn ref_dec(&self) {
        self.assert_alive();
        if self.state.ref_dec() {
            assert_eq!(self.frees.fetch_add(1, Ordering::Relaxed), 0, "freed twice");
        }
    }

    /// One entry per flag (`SCHEDULED`, `queued_local`): never more than two.
    fn push(&self) {
        let mut queued = self.queued.lock().unwrap();
        *queued += 1;
        assert!(*queued <= 2, "queued more than once per flag: entries would pile up");
    }

    /// A wake on the runtime's thread (`scheduler::wake_by_ref` there): the local flag,
    /// unless the task is queued by either flag, or complete.
    fn local_wake_by_ref(&self) {
        self.assert_alive();
        if self.queued_local.load(Ordering::Relaxed) || self.state.is_queued_or_complete() {
            return;
        }
        self.queued_local.store(true, Ordering::Relaxed);
        self.ref_inc();
        self.push();
    }

    /// Takes a queue entry, if any (its reference now the caller's).
    fn pop(&self) -> bool {
        let mut queued = self.queued.lock().unwrap();
        let some = *queued > 0;
        *queued -= usize::from(some);
        some
    }

    /// `Waker::wake`: the waker's reference goes to the queue, or is dropped.
    fn wake_by_val(&self) {
        self.assert_alive();
        match self.state.schedule_by_val() {
            Schedule::Push => self.push(),
            Schedule::Skip => self.ref_dec(),
        }
    }

    /// `Waker::wake_by_ref`: a new reference goes to the queue, if it is pushed.
    fn wake_by_ref(&self) {
        self.assert_alive();
        if self.state.schedule_by_ref() == Schedule::Push {
            self.push();
        }
    }

    /// the run loop's `run` for a popped entry; `during_poll` runs inside the poll.
    fn run(&self, ready: Ready, during_poll: impl FnOnce()) {
        let start = if self.queued_local.swap(false, Ordering::Relaxed) {
            self.state.start_local_poll()
        } else {
            self.state.start_poll()
        };
        match start {
            Start::Complete => {}
            Start::Poll => {
                assert!(!self.completed.load(Ordering::Relaxed), "polled after completion");
                assert!(!self.polling.swap(true, Ordering::Relaxed), "polled twice at once");
                self.polls.fetch_add(1, Ordering::Relaxed);
                during_poll();
                let is_ready = match ready {
                    Ready::AtOnce => true,
                    Ready::OnBothEvents => self.events.iter().all(|event| event.load(Ordering::Acquire)),
                };
                self.polling.store(false, Ordering::Relaxed);
                if is_ready {
                    self.completed.store(true, Ordering::Relaxed);
                    self.state.complete();
                    self.ref_dec(); // the live list's
                }
            }
        }
        self.ref_dec(); // the queue entry's
    }

    fn pop_and_run(&self, ready: Ready) -> bool {
        let popped = self.pop();
        if popped {
            self.run(ready, || {});
        }
        popped
    }
}

/// The runtime polls the task once, handing a waker to each of two threads, which
/// announce their event and wake it: one by value, one by reference (then dropping
/// its waker). Meanwhile the runtime pops and polls; at the end it drains the queue
/// and drops the handle.
fn two_wakers(ready: Ready) {
    loom::model(move || {
        let model = Arc::new(Model::new());
        assert!(model.pop());
        let mut wakers = Vec::new();
        model.run(ready, || {
            for index in 0..2 {
                model.ref_inc(); // `cx.waker().clone()`
                let model = model.clone();
                wakers.push(thread::spawn(move || {
                    model.events[index].store(true, Ordering::Release);
                    if index == 0 {
                        model.wake_by_val();
                    } else {
                        model.wake_by_ref();
                        model.ref_dec(); // the waker dropped
                    }
                }));
            }
        });
        model.pop_and_run(ready);
        if matches!(ready, Ready::AtOnce) {
            model.ref_dec(); // the handle, dropped early: a waker may free the task
        }
        for waker in wakers {
            waker.join().unwrap();
        }
        while model.pop_and_run(ready) {}
        assert!(model.completed.load(Ordering::Relaxed), "the last wake was not followed by a poll");
        if matches!(ready, Ready::OnBothEvents) {
            assert_eq!(model.frees.load(Ordering::Relaxed), 0, "freed while the handle holds it");
            model.ref_dec(); // the handle
        } else {
            assert_eq!(model.polls.load(Ordering::Relaxed), 1, "wakes after completion are no-ops");
        }
        assert_eq!(model.frees.load(Ordering::Relaxed), 1, "the count reached zero exactly once");
    });
}

/// As `two_wakers`, with wakes on the runtime's thread mixed in: one during the first
/// poll (a self-wake) and one between the pops (another task's wake), each racing with
/// the remote wakes. A local wake that sees `SCHEDULED` pushes nothing, and relies on
/// the remote entry's poll: checked here to lose no wake and to free the task once.
#[test]
fn loom_local_wakes_mixed_with_remote_wakes_lose_none() {
    loom::model(|| {
        let model = Arc::new(Model::new());
        assert!(model.pop());
        let mut wakers = Vec::new();
        model.run(Ready::OnBothEvents, || {
            for index in 0..2 {
                model.ref_inc();
                let model = model.clone();
                wakers.push(thread::spawn(move || {
                    model.events[index].store(true, Ordering::Release);
                    model.wake_by_val();
                }));
            }
            model.local_wake_by_ref();
        });
        model.local_wake_by_ref();
        model.pop_and_run(Ready::OnBothEvents);
        for waker in wakers {
            waker.join().unwrap();
        }
        while model.pop_and_run(Ready::OnBothEvents) {}
        assert!(model.completed.load(Ordering::Relaxed), "the last wake was not followed by a poll");
        model.ref_dec(); // the handle
        assert_eq!(model.frees.load(Ordering::Relaxed), 1, "the count reached zero exactly once");
    });
}

#[test]
fn loom_last_wake_is_followed_by_a_poll() {
    two_wakers(Ready::OnBothEvents);
}

#[test]
fn loom_wakes_racing_with_completion_free_the_task_once() {
    two_wakers(Ready::AtOnce);
}
