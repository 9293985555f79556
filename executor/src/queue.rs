//! The two ready queues: [`ReadyQueue`] for wakes on the runtime's thread, and
//! [`RemoteQueue`] for wakes from anywhere else.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::sync::{AtomicBool, Ordering};
use crate::task::{Header, Id, TaskRef};

/// Tasks to poll, first in first out, so that a task that keeps waking itself goes to
/// the back and every other ready task runs before it again. Runtime thread only.
#[derive(Default)]
pub(crate) struct ReadyQueue(RefCell<VecDeque<TaskRef>>);

impl ReadyQueue {
    pub(crate) fn push(&self, task: TaskRef) {
        self.0.borrow_mut().push_back(task);
    }

    pub(crate) fn pop(&self) -> Option<TaskRef> {
        self.0.borrow_mut().pop_front()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }

    // `#[inline]`, as everything only `step.rs` calls (see there).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// The ids of the tasks from position `start` on, in queue order: what a step
    /// reports as woken (`step.rs`).
    #[inline]
    pub(crate) fn ids_from(&self, start: usize) -> Vec<Id> {
        let queue = self.0.borrow();
        queue.range(start.min(queue.len())..).map(|task| task.header().id).collect()
    }
}

/// Tasks woken from other threads, waiting to be moved to the [`ReadyQueue`].
pub(crate) struct RemoteQueue {
    inner: Mutex<Remote>,
    /// True while `inner.tasks` may be non-empty: lets the run loop skip the lock.
    pending: AtomicBool,
}

struct Remote {
    tasks: Vec<TaskRef>,
    /// The runtime is gone: pushes are refused, so nothing waits here forever.
    closed: bool,
}

impl RemoteQueue {
    pub(crate) fn new() -> RemoteQueue {
        RemoteQueue {
            inner: Mutex::new(Remote { tasks: Vec::new(), closed: false }),
            pending: AtomicBool::new(false),
        }
    }

    /// Queues `task`, or hands it back if the runtime is gone. The caller drops a
    /// returned task *after* this call: it may be the last reference to the task,
    /// whose `Arc<Inbox>` may be the last one keeping this queue alive.
    pub(crate) fn push(&self, task: TaskRef) -> Result<(), TaskRef> {
        let mut inner = self.lock();
        if inner.closed {
            return Err(task);
        }
        inner.tasks.push(task);
        self.pending.store(true, Ordering::Release);
        Ok(())
    }

    /// Moves every queued task to `ready`, in the order they were woken, showing each
    /// to `woken` first (`scheduler::drain_remote` counts the wake there).
    // Always inlined: the run loop calls it several times a turn and it mostly finds
    // the queue empty (one atomic load); a traced wake in the closure (`drain_remote`)
    // had made the compiler call it instead (callgrind: +100 instructions per echo
    // round trip).
    #[inline(always)]
    pub(crate) fn drain_into(&self, ready: &ReadyQueue, mut woken: impl FnMut(&Header)) {
        if !self.pending.load(Ordering::Acquire) {
            return;
        }
        let mut inner = self.lock();
        self.pending.store(false, Ordering::Relaxed);
        inner.tasks.drain(..).for_each(|task| {
            woken(task.header());
            ready.push(task);
        });
    }

    /// Refuses later pushes and returns what was queued, to be dropped by the caller.
    pub(crate) fn close(&self) -> Vec<TaskRef> {
        let mut inner = self.lock();
        inner.closed = true;
        std::mem::take(&mut inner.tasks)
    }

    fn lock(&self) -> MutexGuard<'_, Remote> {
        // No user code runs under this lock, so a poisoned lock's data is intact.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
