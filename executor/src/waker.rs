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
//! "Queues the task" is [`scheduler::wake_by_val`] (or `wake_by_ref`): on the task's
//! runtime thread, a push to the local ready queue, with no atomic operation (the
//! header's `queued_local` flag says it is queued); from any other thread, the atomic
//! `SCHEDULED` bit, a push to the remote queue and an unpark of the reactor. A wake
//! after the task completed is a no-op (the state word says `COMPLETE`), and so is a
//! wake after the runtime is gone (the remote queue is closed and hands the task back).
//!
//! "Adds a reference" and "drops the reference" are atomic operations on the state
//! word, except on the runtime's thread while the task is being polled: the run loop's
//! own reference is lent to the first clone, and a dropped waker gives one back
//! ([`PollRef`](crate::task::PollRef)). A future that stores a clone of its waker and
//! then wakes another task thus costs no atomic operation at all.
//!
//! Wakers are `Send + Sync`: from another thread they touch only the atomic state and
//! the runtime's [`Inbox`](crate::scheduler::Inbox) (see [`task`](crate::task) for why
//! that is enough).

use std::mem::ManuallyDrop;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::scheduler;
use crate::task::TaskRef;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// True if a waker with this vtable is one of this module's: its data pointer is then a
/// task's header. How a dump recognises the wakers of its tasks among those the reactor
/// holds, without cloning them (a clone would change the count being read).
pub(crate) fn is_task_waker(vtable: *const RawWakerVTable) -> bool {
    std::ptr::eq(vtable, &VTABLE)
}

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
    // The new reference is the new waker's: kept, not dropped.
    std::mem::forget(scheduler::clone_ref(&task));
    RawWaker::new(ptr, &VTABLE)
}

/// # Safety
/// - `ptr` is the data pointer of a waker made by this module: a live task, on
///   which this waker holds one counted reference (the `RawWaker` contract).
unsafe fn wake(ptr: *const ()) {
    // SAFETY: waking by value consumes the waker, so its reference is ours.
    scheduler::wake_by_val(unsafe { TaskRef::from_raw(ptr) });
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
    scheduler::drop_ref(unsafe { TaskRef::from_raw(ptr) });
}
