//! A one-shot, cross-thread result slot: the pool thread fills it and wakes the
//! receiver's waker — on a wakeful runtime, through the executor's remote-wake path
//! (remote queue + unpark). Private and small, so that it can be swapped for
//! `wakeful::sync::remote::oneshot` later.
//!
//! Three stages, all under one mutex (held for a few instructions, never while user
//! code runs: values and wakers are dropped and woken after it is released):
//!
//! ```text
//!   Queued ──start()──► Running ──finish(v)──► value stored, waker woken
//!     │
//!     └──receiver dropped (cancel mode)──► Cancelled: start() says no, the job never runs
//! ```

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use wakeful_reactor::AutoAdvanceInhibitor;

use crate::context;

/// What a job produces: its value, or its panic's payload.
pub(crate) type Outcome<T> = Result<T, Box<dyn Any + Send + 'static>>;

struct Shared<T> {
    inner: Mutex<Inner<T>>,
    /// The in-flight counter of the thread that submitted the job.
    in_flight: Arc<AtomicUsize>,
}

struct Inner<T> {
    stage: Stage,
    value: Option<Outcome<T>>,
    waker: Option<Waker>,
    /// The receiver is gone: a value would be dropped unread.
    receiver_gone: bool,
    /// The job still counts in `in_flight`: until the receiver takes its outcome or
    /// the sender is gone, whichever comes first.
    counted: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Queued,
    Running,
    Cancelled,
    Done,
}

/// What the receiver's drop does to a job that has not started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnDrop {
    /// The job never runs (`spawn_blocking` aborted before it started).
    Cancel,
    /// The job runs anyway, its value dropped (a `File` write must not be lost).
    Detach,
}

/// The pool thread's end. Dropping it without [`finish`](Sender::finish) (the job was
/// dropped unrun) resolves the receiver with a panic payload saying so: the receiver
/// never waits forever.
pub(crate) struct Sender<T> {
    shared: Arc<Shared<T>>,
    /// Holds a paused clock still while the job is out (none outside a runtime).
    _inhibitor: Option<AutoAdvanceInhibitor>,
    finished: bool,
}

/// The submitting task's end: a future of the job's [`Outcome`].
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
    on_drop: OnDrop,
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver").field("on_drop", &self.on_drop).finish_non_exhaustive()
    }
}

pub(crate) fn channel<T>(on_drop: OnDrop, in_flight: Arc<AtomicUsize>) -> (Sender<T>, Receiver<T>) {
    in_flight.fetch_add(1, Ordering::SeqCst);
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            stage: Stage::Queued,
            value: None,
            waker: None,
            receiver_gone: false,
            counted: true,
        }),
        in_flight,
    });
    let _inhibitor = context::inhibit_auto_advance().ok();
    (Sender { shared: shared.clone(), _inhibitor, finished: false }, Receiver { shared, on_drop })
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // Nothing panics under the lock; stay usable even so.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the job's count in `in_flight`, once.
    fn uncount(&self, inner: &mut Inner<T>) {
        if std::mem::take(&mut inner.counted) {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl<T> Sender<T> {
    /// Called by the pool thread before running the job: false if the receiver
    /// cancelled it, and then the job must not run.
    pub(crate) fn start(&self) -> bool {
        let mut inner = self.shared.lock();
        match inner.stage {
            Stage::Queued => {
                inner.stage = Stage::Running;
                true
            }
            _ => false,
        }
    }

    /// Stores the outcome and wakes the receiver; if the receiver is gone, the outcome
    /// is dropped here, on the pool thread.
    pub(crate) fn finish(mut self, outcome: Outcome<T>) {
        self.finished = true;
        self.deliver(outcome);
    }

    fn deliver(&self, outcome: Outcome<T>) {
        let mut inner = self.shared.lock();
        inner.stage = Stage::Done;
        if inner.receiver_gone {
            drop(inner);
            drop(outcome); // user code: the pool contains a panic in it
            return;
        }
        inner.value = Some(outcome);
        let waker = inner.waker.take();
        drop(inner);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if !self.finished {
            let unwanted = {
                let inner = self.shared.lock();
                inner.receiver_gone || inner.stage == Stage::Cancelled
            };
            if !unwanted {
                self.deliver(Err(Box::new("wakeful: the blocking pool dropped this job before running it")));
            }
        }
        // Last, after the wake: whoever sees the count drop to zero also sees the
        // receiver's task queued (or the outcome taken: the receiver may have run
        // first, and then ended the count itself). The inhibitor, a field, is dropped
        // after this body, so a paused clock moves on only once the woken task is in
        // its queue.
        let mut inner = self.shared.lock();
        self.shared.uncount(&mut inner);
    }
}

impl<T> Future for Receiver<T> {
    type Output = Outcome<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        let mut inner = self.shared.lock();
        if let Some(outcome) = inner.value.take() {
            self.shared.uncount(&mut inner);
            return Poll::Ready(outcome);
        }
        if inner.stage == Stage::Done {
            // Taken by an earlier poll: a future polled after completion.
            drop(inner);
            panic!("wakeful: a blocking job's result polled after it was taken");
        }
        let stale = match &inner.waker {
            Some(waker) => !waker.will_wake(cx.waker()),
            None => true,
        };
        if stale {
            // Cloning runs user code (the waker's vtable): outside the lock, then
            // look again, as the job may have finished meanwhile.
            drop(inner);
            let new = cx.waker().clone();
            let mut inner = self.shared.lock();
            if let Some(outcome) = inner.value.take() {
                self.shared.uncount(&mut inner);
                drop(inner);
                drop(new);
                return Poll::Ready(outcome);
            }
            let old = inner.waker.replace(new);
            drop(inner);
            drop(old);
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.receiver_gone = true;
        if self.on_drop == OnDrop::Cancel && inner.stage == Stage::Queued {
            inner.stage = Stage::Cancelled;
        }
        let value = inner.value.take();
        let waker = inner.waker.take();
        drop(inner);
        // User code, outside the lock: a value never taken, a waker's drop.
        drop(value);
        drop(waker);
    }
}
