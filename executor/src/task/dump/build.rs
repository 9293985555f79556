//! Building a [`Dump`]: who holds each task's wakers (see the parent module's docs).

use std::collections::HashMap;
use std::sync::Arc;

use super::{Dump, Holder, TaskDump, WaitsOn};
use crate::scheduler::Scheduler;
use crate::task::{records, Header, PollRef, TaskState};
use crate::waker;

/// The wakers of a task and whether it is queued, as far as its references tell.
pub(crate) struct Held {
    /// Wakers alive; `None` if unknown (too many `AbortHandle`s to count).
    pub(crate) wakers: Option<usize>,
    /// In a ready queue, by either flag.
    pub(crate) queued: bool,
}

/// Counts the wakers of the live task `header`: its references, less those that are
/// not wakers'. `run_loop_refs`: the run loop holds this many more (during or just
/// after a poll: its own, unless lent to a waker, and `step`'s). Runtime thread only.
/// Never under-counts: a reference it cannot place counts as a waker, so a verdict of
/// zero is never wrong.
pub(crate) fn wakers_held(header: &Header, run_loop_refs: usize) -> Held {
    let (refs, scheduled) = header.state.refs_and_scheduled();
    let queued_local = header.queued_local.get();
    let aborts = header.abort_handles.get();
    let known = 1 // the live list's
        + usize::from(!header.detached.get()) // the JoinHandle's
        + usize::from(aborts)
        + usize::from(queued_local)
        + usize::from(scheduled)
        + run_loop_refs;
    let wakers = if aborts == u16::MAX { None } else { refs.checked_sub(known) };
    Held { wakers, queued: scheduled || queued_local }
}

/// The dump of `scheduler`'s live tasks. Runs no user code: names are copied, wakers
/// only looked at.
pub(crate) fn build(scheduler: &Scheduler, holders: &[Holder]) -> Dump {
    // What each task's wakers are known to be held by, indexed by header address:
    // one pass over the holders and one over the tasks, whatever their numbers.
    let mut known: HashMap<*const (), Vec<WaitsOn>> = HashMap::new();
    // The `block_on` future's waker is its runtime's inbox (an `Arc`'s data pointer).
    let main = Arc::as_ptr(&scheduler.inbox).cast::<()>();
    let mut block_on = Vec::new();
    for holder in holders {
        if waker::is_task_waker(holder.vtable) {
            known.entry(holder.data).or_default().push(WaitsOn::Held(holder.what.clone()));
        } else if holder.data == main {
            block_on.push(WaitsOn::Held(holder.what.clone()));
        }
    }
    let infos = records(scheduler);
    let live = scheduler.live.borrow();
    for task in live.iter() {
        let header = task.header();
        // Looked at in place: taken out and put back, no code of the waker runs.
        let join_waker = header.join_waker.take();
        match join_waker.as_ref() {
            Some(w) if waker::is_task_waker(w.vtable()) => {
                known.entry(w.data()).or_default().push(WaitsOn::JoinHandle(header.id));
            }
            Some(w) if w.data() == main => block_on.push(WaitsOn::JoinHandle(header.id)),
            _ => {}
        }
        header.join_waker.set(join_waker);
    }
    let mut tasks: Vec<TaskDump> = live
        .iter()
        .filter(|task| crate::task::info::is_live(scheduler, task.header())) // as `records` does
        .zip(infos)
        .map(|(task, info)| {
            debug_assert_eq!(task.header().id, info.id, "records follow the live list's order");
            let header = task.header();
            let mut waits_on = known.remove(&task.as_ptr()).unwrap_or_default();
            let running = info.state == TaskState::Running;
            // Running, the run loop holds the queue entry's reference unless it lent it
            // to a waker: during a poll (`Spare`), and while it drops an aborted task's
            // future (`Idle`: nothing is lent then).
            let run_loop_refs = usize::from(running && header.poll_ref.get() != PollRef::Lent)
                + usize::from(std::ptr::eq(scheduler.step_ref.get(), header))
                + usize::from(std::ptr::eq(scheduler.loop_ref.get(), header));
            let held = wakers_held(header, run_loop_refs);
            match held.wakers {
                Some(0) if !held.queued && !running => waits_on.push(WaitsOn::Nothing),
                Some(n) if n > waits_on.len() => waits_on.push(WaitsOn::Elsewhere(n - waits_on.len())),
                _ => {}
            }
            TaskDump { info, waits_on }
        })
        .collect();
    tasks.sort_unstable_by_key(|task| task.info.id);
    Dump { tasks, block_on }
}
