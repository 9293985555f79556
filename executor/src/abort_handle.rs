//! [`AbortHandle`]: cancelling a task without owning its output.

use std::fmt;
use std::marker::PhantomData;

use crate::scheduler;
use crate::task::{Id, TaskRef};

/// Cancels a task without the right to its output: what [`JoinSet::spawn`] returns,
/// and [`JoinHandle::abort_handle`] makes.
///
/// Dropping it does nothing to the task. `!Send`, like the task: aborting touches
/// state of the runtime's thread — and task dumps count live handles in a plain
/// `Cell` (each holds a reference that is no waker's), exact only because no handle
/// is ever dropped on another thread:
///
/// ```compile_fail
/// fn send<T: Send>() {}
/// send::<wakeful_executor::AbortHandle>();
/// ```
///
/// [`JoinSet::spawn`]: crate::JoinSet::spawn
/// [`JoinHandle::abort_handle`]: crate::JoinHandle::abort_handle
///
/// ```
/// use wakeful_executor::{block_on, spawn, yield_now};
///
/// block_on(async {
///     let task = spawn(async { loop { yield_now().await } });
///     let abort = task.abort_handle();
///     abort.abort();
///     assert!(task.await.unwrap_err().is_cancelled());
///     assert!(abort.is_finished());
/// });
/// ```
pub struct AbortHandle {
    task: TaskRef,
    /// `!Send` / `!Sync`: `abort` sets a flag that only the runtime's thread reads.
    _not_send: PhantomData<*const ()>,
}

impl AbortHandle {
    pub(crate) fn new(task: TaskRef) -> AbortHandle {
        // Counted, so that a dump can tell this reference from a waker's.
        let count = &task.header().abort_handles;
        count.set(count.get().saturating_add(1));
        AbortHandle { task, _not_send: PhantomData }
    }

    /// Cancels the task, as [`JoinHandle::abort`](crate::JoinHandle::abort) does.
    pub fn abort(&self) {
        abort(&self.task);
    }

    /// The task's id, as [`JoinHandle::id`](crate::JoinHandle::id) gives it.
    pub fn id(&self) -> Id {
        self.task.header().id
    }

    /// True once the task finished (returned, panicked, or was aborted).
    pub fn is_finished(&self) -> bool {
        self.task.header().state.is_complete()
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        let count = &self.task.header().abort_handles;
        // At `u16::MAX` the count is no longer exact: it sticks there.
        if count.get() != u16::MAX {
            count.set(count.get() - 1);
        }
    }
}

/// Marks `task` cancelled and wakes it, so that its next run drops the future.
/// Does nothing if it already finished or was already aborted.
pub(crate) fn abort(task: &TaskRef) {
    let header = task.header();
    if header.state.is_complete() || header.cancelled.replace(true) {
        return;
    }
    scheduler::wake_by_ref(task);
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .field("state", &self.task.header().state)
            .finish()
    }
}
