//! [`JoinHandle`]: awaiting, aborting or detaching a spawned task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::abort_handle::{self, AbortHandle};
use crate::join_error::JoinError;
use crate::task::{Id, TaskRef};
use crate::unwind;

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was
/// aborted. Dropping it *detaches* the task: it keeps running, and its output is
/// dropped when it finishes. A handle stays on the runtime's thread (`!Send`), like the
/// task itself.
///
/// Cancel-safe: dropping an unfinished `.await` on a handle loses nothing.
///
/// A panic in the output's `Drop`, or in the stored waker's `wake` or `drop`, is
/// contained where the runtime or the handle's own `Drop` runs it (see the crate docs,
/// "Panics in user code"); a panic in the `clone` of the waker passed to `poll`
/// reaches the caller, with the previously stored waker kept.
///
/// ```
/// use wakeful_executor::{block_on, spawn, yield_now};
///
/// block_on(async {
///     let answer = spawn(async { 42 });
///     assert_eq!(answer.await.unwrap(), 42);
///
///     let forever = spawn(async { loop { yield_now().await } });
///     forever.abort();
///     assert!(forever.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct JoinHandle<T> {
    /// Taken only by `Drop`, which gives the reference up before it runs user code.
    task: ManuallyDrop<TaskRef>,
    /// The output type, and `!Send` / `!Sync`: the handle touches thread-local state.
    _output: PhantomData<*const T>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: TaskRef) -> JoinHandle<T> {
        JoinHandle { task: ManuallyDrop::new(task), _output: PhantomData }
    }

    /// Cancels the task: its future is dropped the next time the runtime would run
    /// it, and the handle resolves to a cancelled [`JoinError`]. Does nothing if the
    /// task already finished.
    pub fn abort(&self) {
        abort_handle::abort(&self.task);
    }

    /// An [`AbortHandle`] for this task: it can cancel the task, not take its output.
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(TaskRef::clone(&self.task))
    }

    /// The task's id, the same as [`task::id`](crate::task::id) inside it.
    ///
    /// ```
    /// use wakeful_executor::{block_on, spawn, task};
    ///
    /// block_on(async {
    ///     let handle = spawn(async { task::id() });
    ///     assert_eq!(handle.abort_handle().id(), handle.id());
    ///     let id = handle.id();
    ///     assert_eq!(handle.await.unwrap(), id);
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.task.header().id
    }

    /// True once the task finished (returned, panicked, or was aborted).
    pub fn is_finished(&self) -> bool {
        self.task.header().state.is_complete()
    }

    /// Stores (a clone of) `waker` to be woken when the task completes.
    ///
    /// User code runs here — the new waker's `clone`, the old one's `drop` — so the
    /// slot is put right before each: a panicking `clone` propagates to the caller
    /// with the previous waker still in place; the old waker is dropped last, with a
    /// panic contained (see [`unwind`]).
    pub(crate) fn register(&self, waker: &Waker) {
        let slot = &self.task.header().join_waker;
        let current = slot.take();
        let same = current.as_ref().is_some_and(|stored| stored.will_wake(waker));
        slot.set(current);
        if !same {
            let old = slot.replace(Some(waker.clone()));
            unwind::contain(|| drop(old));
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if !self.task.header().state.is_complete() {
            self.register(cx.waker());
            // Checked again: the callbacks in `register` are user code, which may
            // have finished the task (by dropping its runtime, say).
            if !self.task.header().state.is_complete() {
                return Poll::Pending;
            }
        }
        // SAFETY: `JoinHandle<T>` is only made by `spawn` for a future whose output is
        // `T`.
        match unsafe { self.task.take_output::<T>() } {
            Some(output) => Poll::Ready(output),
            None => panic!("JoinHandle polled after it returned the output"),
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    /// Detaches the task, then runs user code: the output's `Drop` (if the task is
    /// complete; otherwise the runtime drops the output when it is) and the join
    /// waker's. Both after the bookkeeping, both with panics contained — a handle is
    /// often dropped while a panic unwinds, where a second one would abort.
    fn drop(&mut self) {
        let header = self.task.header();
        header.detached.set(true);
        let waker = header.join_waker.take();
        // Does nothing unless complete.
        self.task.drop_output();
        // SAFETY: `drop` runs once, and `self.task` is not used after this.
        let task = unsafe { ManuallyDrop::take(&mut self.task) };
        // The handle's reference goes before the waker's `Drop` (user code) runs, so
        // that a dump taken there does not count it as a waker (the task reads as
        // detached already). Never the last reference of a live task (the live list
        // holds one); a finished task's output is gone, so freeing it runs no user code.
        drop(task);
        unwind::contain(|| drop(waker));
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("state", &self.task.header().state)
            .finish()
    }
}
