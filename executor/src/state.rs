//! The one atomic word of a task: two flags and a reference count.
//!
//! ```text
//!  bit:  63 … 2       1          0
//!       [ refs ]  [COMPLETE] [SCHEDULED]
//! ```
//!
//! Only this word is touched from other threads (by wakers). Everything else in a task
//! belongs to the runtime's thread.

use std::fmt;

use crate::sync::{AtomicUsize, Ordering};

/// The task is in a ready queue (local or remote), or is about to be pushed to one,
/// by its spawn or a wake from another thread. While set, a wake pushes nothing: one
/// such entry per task, however many wakes (it only publishes its writes to the coming
/// poll: see `State::schedule`). Cleared by the runtime just before it polls the task,
/// so a wake *during* the poll queues the task again.
///
/// A wake on the runtime's thread uses the header's `queued_local` flag instead, with
/// no atomic operation. So a task has at most two entries, one per flag; each entry
/// taken off the queue clears one of the flags (`queued_local` first), which keeps
/// their number equal to the number of flags set.
const SCHEDULED: usize = 1 << 0;

/// The future is gone: it returned `Ready`, panicked, or was cancelled. Set once,
/// never cleared. Rules out any further poll; a wake does nothing.
const COMPLETE: usize = 1 << 1;

/// One reference. Held by: the runtime's list of live tasks (until complete), the
/// `JoinHandle` (until dropped), each `Waker`, and each ready-queue entry.
const REF_ONE: usize = 1 << 2;

/// Past this many references the count could overflow into the flags; like `Arc`, abort.
const MAX_REFS: usize = (isize::MAX as usize) / REF_ONE;

pub(crate) struct State(AtomicUsize);

/// What a wake asks of the caller.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Schedule {
    /// `SCHEDULED` was set by this call: push the task onto a ready queue, handing it
    /// a reference (a new one for [`State::schedule_by_ref`], the caller's for
    /// [`State::schedule_by_val`]).
    Push,
    /// Already queued, or complete: nothing to push. After `schedule_by_val` the
    /// caller still owns its reference and must drop it.
    Skip,
}

/// What the runtime found when it took a task off the queue.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// `SCHEDULED` is now clear: poll the task.
    Poll,
    /// The task completed after it was queued: a stale entry, drop it.
    Complete,
}

impl State {
    /// A new task: scheduled, with three references (live list, handle, queue).
    pub(crate) fn new() -> State {
        State(AtomicUsize::new(SCHEDULED | (3 * REF_ONE)))
    }

    /// Wake by reference: on `Push` a new reference was taken for the queue.
    pub(crate) fn schedule_by_ref(&self) -> Schedule {
        self.schedule(REF_ONE)
    }

    /// Wake by value: on `Push` the caller's reference moves into the queue.
    pub(crate) fn schedule_by_val(&self) -> Schedule {
        self.schedule(0)
    }

    fn schedule(&self, extra_ref: usize) -> Schedule {
        let mut current = self.0.load(Ordering::Acquire);
        loop {
            if current & COMPLETE != 0 {
                return Schedule::Skip;
            }
            // Already queued: nothing to push, yet the word is written back unchanged.
            // That write (a release) is what makes the coming `start_poll` (an
            // acquire) see whatever this thread did before waking — set a readiness
            // flag, say. After a mere load, that poll could read the flag stale and
            // return `Pending`, and this wake would be lost. If `start_poll` comes
            // first, the exchange fails and the next turn pushes the task instead.
            let queued = current & SCHEDULED != 0;
            let next = if queued { current } else { (current | SCHEDULED) + extra_ref };
            match self.0.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) if queued => return Schedule::Skip,
                Ok(_) => return Schedule::Push,
                Err(actual) => current = actual,
            }
        }
    }

    /// Clears `SCHEDULED` before a poll, unless the task already completed.
    pub(crate) fn start_poll(&self) -> Start {
        let prev = self.0.fetch_and(!SCHEDULED, Ordering::AcqRel);
        debug_assert!(prev & SCHEDULED != 0, "polled a task that was not scheduled");
        if prev & COMPLETE != 0 {
            Start::Complete
        } else {
            Start::Poll
        }
    }

    /// For a wake on the runtime's thread: true if the task is already in a queue
    /// through `SCHEDULED`, or complete, so that the wake has nothing to push.
    ///
    /// Relaxed is enough. `COMPLETE` and the clearing of `SCHEDULED` are written by
    /// this same thread, so they are seen. A `SCHEDULED` set by another thread's wake
    /// means that wake pushes the task, and the runtime polls it once it takes it off
    /// the queue (`start_poll`): after this wake, whose writes are this thread's own.
    /// A stale clear bit only costs an extra queue entry (and poll).
    pub(crate) fn is_queued_or_complete(&self) -> bool {
        self.0.load(Ordering::Relaxed) & (SCHEDULED | COMPLETE) != 0
    }

    /// Takes a task off the queue for an entry that stands for a wake on the runtime's
    /// thread (not for `SCHEDULED`): nothing to clear, so no atomic write. Relaxed:
    /// `COMPLETE` is written by this thread.
    pub(crate) fn start_local_poll(&self) -> Start {
        if self.0.load(Ordering::Relaxed) & COMPLETE != 0 {
            Start::Complete
        } else {
            Start::Poll
        }
    }

    /// Marks the future gone. Later wakes are no-ops.
    pub(crate) fn complete(&self) {
        let prev = self.0.fetch_or(COMPLETE, Ordering::AcqRel);
        debug_assert!(prev & COMPLETE == 0, "completed twice");
    }

    /// Queued and not complete: for task records, not for decisions.
    pub(crate) fn is_scheduled(&self) -> bool {
        self.0.load(Ordering::Relaxed) & (SCHEDULED | COMPLETE) == SCHEDULED
    }

    /// The reference count and whether `SCHEDULED` is set, from one relaxed load: for
    /// dumps and the lost-waker detector (`task/dump.rs`), never for decisions of the
    /// run loop. One load gives a value the word really had: other threads change it
    /// only by cloning or dropping a waker (each made from one already counted) or by
    /// a wake that sets `SCHEDULED` and moves a reference into a queue in one step, so
    /// a count of zero wakers seen here was true at that moment.
    pub(crate) fn refs_and_scheduled(&self) -> (usize, bool) {
        let word = self.0.load(Ordering::Relaxed);
        (word / REF_ONE, word & SCHEDULED != 0)
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.0.load(Ordering::Acquire) & COMPLETE != 0
    }

    pub(crate) fn ref_inc(&self) {
        // Relaxed, as for `Arc::clone`: a new reference is made from an existing one,
        // which already keeps the task alive.
        let prev = self.0.fetch_add(REF_ONE, Ordering::Relaxed);
        if prev / REF_ONE > MAX_REFS {
            std::process::abort();
        }
    }

    /// Drops one reference; true if it was the last, and the task must be freed.
    #[must_use]
    pub(crate) fn ref_dec(&self) -> bool {
        // Release so that this thread's uses of the task happen before the free;
        // Acquire (on the last) so that the free happens after everyone's uses.
        let prev = self.0.fetch_sub(REF_ONE, Ordering::AcqRel);
        debug_assert!(prev >= REF_ONE, "reference count underflow");
        prev / REF_ONE == 1
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.0.load(Ordering::Relaxed);
        f.debug_struct("State")
            .field("scheduled", &(word & SCHEDULED != 0))
            .field("complete", &(word & COMPLETE != 0))
            .field("refs", &(word / REF_ONE))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wakes_coalesce_until_polled() {
        let state = State::new();
        assert_eq!(state.schedule_by_ref(), Schedule::Skip, "new tasks are already queued");
        assert_eq!(state.start_poll(), Start::Poll);
        assert_eq!(state.schedule_by_ref(), Schedule::Push);
        assert_eq!(state.schedule_by_ref(), Schedule::Skip);
        assert_eq!(state.schedule_by_val(), Schedule::Skip);
        assert_eq!(format!("{state:?}"), "State { scheduled: true, complete: false, refs: 4 }");
    }

    #[test]
    fn complete_tasks_ignore_wakes() {
        let state = State::new();
        assert_eq!(state.start_poll(), Start::Poll);
        state.complete();
        assert_eq!(state.schedule_by_ref(), Schedule::Skip);
        assert!(state.is_complete());
        assert!(!state.ref_dec());
        assert!(!state.ref_dec());
        assert!(state.ref_dec(), "the third reference is the last");
    }
}
