//! The waker: how a task asks to be polled again.
//!
//! A [`Waker`] is a data pointer and a table of four functions. Here the pointer is
//! the task's own allocation (its [`Header`](crate::task::Header)), and a waker *is*
//! one counted reference to the task — so making one allocates nothing, and waking one
//! allocates nothing: the task goes onto a ready queue as it is.
//!
//! | function      | what it does                                  | why it is sound |
//! |---------------|-----------------------------------------------|-----------------|
//! | `clone`       | adds a reference                              | the waker being cloned holds one, so the task is alive |
//! | `wake`        | queues the task, *giving* the queue this waker's reference; or, if already queued or complete, drops it | the reference is consumed exactly once, either way |
//! | `wake_by_ref` | queues the task with a *new* reference, if not already queued | the waker keeps its own reference |
//! | `drop`        | drops the reference, freeing the task if last | the same count as `TaskRef`, which frees through the vtable |
//!
//! "Queues the task" is [`scheduler::schedule`]: on the runtime's own thread, a push to
//! the local ready queue; from any other thread, a push to the remote queue and an
//! unpark of the reactor. A wake after the task completed is a no-op
//! ([`State::schedule_by_ref`](crate::state::State) sees `COMPLETE`), and so is a wake
//! after the runtime is gone (the remote queue is closed and hands the task back).
//!
//! Wakers are `Send + Sync`: from another thread they touch only the atomic state and
//! the runtime's [`Inbox`](crate::scheduler::Inbox) (see [`task`](crate::task) for why
//! that is enough).

use std::mem::ManuallyDrop;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::scheduler;
use crate::state::Schedule;
use crate::task::TaskRef;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker borrowing `task`'s reference, for the duration of one poll: no refcount
/// traffic unless the future clones it.
pub(crate) fn borrowed(task: &TaskRef) -> ManuallyDrop<Waker> {
    // SAFETY: the `ManuallyDrop` never runs `drop_waker`, so the reference stays
    // `task`'s; the caller keeps `task` alive while the waker is in use.
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(task.as_ptr(), &VTABLE)) })
}

/// # Safety
/// - `ptr` is the data pointer of a waker made by this module: a live task, on
///   which this waker holds one counted reference (the `RawWaker` contract).
unsafe fn clone(ptr: *const ()) -> RawWaker {
    // SAFETY: `ptr` is the live task of the waker being cloned (it holds a reference).
    let task = ManuallyDrop::new(unsafe { TaskRef::from_raw(ptr) });
    task.header().state.ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

/// # Safety
/// - `ptr` is the data pointer of a waker made by this module: a live task, on
///   which this waker holds one counted reference (the `RawWaker` contract).
unsafe fn wake(ptr: *const ()) {
    // SAFETY: waking by value consumes the waker, so its reference is ours.
    let task = unsafe { TaskRef::from_raw(ptr) };
    match task.header().state.schedule_by_val() {
        Schedule::Push => scheduler::schedule(task),
        Schedule::Skip => drop(task),
    }
}

/// # Safety
/// - `ptr` is the data pointer of a waker made by this module: a live task, on
///   which this waker holds one counted reference (the `RawWaker` contract).
unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker holds a reference, so the task is alive; we do not own it.
    let task = ManuallyDrop::new(unsafe { TaskRef::from_raw(ptr) });
    scheduler::wake_by_ref(&task);
}

/// # Safety
/// - `ptr` is the data pointer of a waker made by this module: a live task, on
///   which this waker holds one counted reference (the `RawWaker` contract).
unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: dropping the waker gives up its reference, which is ours to drop.
    drop(unsafe { TaskRef::from_raw(ptr) });
}
