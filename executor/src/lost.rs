//! The lost-waker detector: after a poll returns `Pending`, a task of which no waker
//! exists and that is not queued can never be polled again. Reported once per task,
//! as a [`Report::LostWaker`], through the runtime's report hook.
//!
//! On by default in debug builds ([`Builder::detect_lost_wakers`]). Off, the run loop
//! pays one predictable branch per `Pending` poll; on, a few reads of the task's
//! header and one relaxed load of its atomic word ([`wakers_held`]).
//!
//! Never a false report: `wakers_held` counts every reference it cannot place as a
//! waker, and a count of zero, read in one load, was true at that moment — after which
//! no waker can appear but from a poll, which the task is not getting.
//!
//! [`Builder::detect_lost_wakers`]: crate::Builder::detect_lost_wakers

use std::mem::ManuallyDrop;

use crate::report::{LostWaker, Report};
use crate::scheduler::Scheduler;
use crate::task::{wakers_held, TaskRef};

/// For `task`, which just returned `Pending`: reports it if no waker of it exists
/// anywhere and it was not reported before. `ours`: the run loop's reference, which
/// this drops if still held — before the report goes out, so that a dump taken by the
/// hook counts right. The live list holds the pending task meanwhile.
#[inline(never)]
pub(crate) fn check(scheduler: &Scheduler, task: ManuallyDrop<TaskRef>, ours: bool) {
    if is_lost(scheduler, &task, ours) {
        report(scheduler, task, ours);
    } else if ours {
        drop(ManuallyDrop::into_inner(task));
    }
}

/// The test, cheapest first: reported already, or queued by a wake on this thread
/// (a `yield_now`: the common `Pending`), need no atomic load.
#[inline(always)]
fn is_lost(scheduler: &Scheduler, task: &TaskRef, ours: bool) -> bool {
    let header = task.header();
    if header.lost_reported.get() || header.queued_local.get() {
        return false;
    }
    let stepped = std::ptr::eq(scheduler.step_ref.get(), header);
    let held = wakers_held(header, usize::from(ours) + usize::from(stepped));
    !held.queued && held.wakers == Some(0)
}

#[cold]
#[inline(never)]
fn report(scheduler: &Scheduler, task: ManuallyDrop<TaskRef>, ours: bool) {
    let header = task.header();
    header.lost_reported.set(true);
    let report = Report::LostWaker(LostWaker {
        id: header.id,
        name: header.name.as_ref().map(|name| name.0.clone()),
        location: header.location,
        future_type: task.future_type(),
    });
    if ours {
        drop(ManuallyDrop::into_inner(task));
    }
    scheduler.reporter.send(&report);
}
