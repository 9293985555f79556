//! What a runtime knows about each of its tasks: the counters kept in every task's
//! header ([`Counters`]), and the records handed out ([`TaskInfo`]).
//!
//! The counters are plain `Cell`s: only the runtime's thread touches them. A wake
//! from another thread is counted when the run loop moves the task off the remote
//! queue, on the runtime's thread.

use std::cell::Cell;
use std::fmt;
use std::ops::Index;
use std::panic::Location;
use std::time::{Duration, Instant};

use super::Id;
use crate::scheduler::{self, Scheduler};

/// Who woke a task, in kinds: a [`WakeCause`](super::WakeCause) without its details
/// (see there for the rule that attributes a wake).
///
/// Only wakes that queued the task are counted: a wake of a task already queued, or
/// complete, changes nothing and is not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum WakeKind {
    /// The task itself, during its own poll: `yield_now`, a spent cooperative budget,
    /// or any future that wakes its own waker before returning `Pending`.
    Itself,
    /// Another task of the runtime, during its poll or at its completion.
    Task,
    /// An I/O event of the reactor.
    Io,
    /// A timer.
    Timer,
    /// Other code on the runtime's thread while the runtime runs: the `block_on`
    /// future, or the runtime between polls.
    Local,
    /// Another thread — or this one while the runtime was not running: through the
    /// remote queue.
    Remote,
}

impl WakeKind {
    /// Every kind, in the order of their indices.
    pub const ALL: [WakeKind; 6] =
        [WakeKind::Itself, WakeKind::Task, WakeKind::Io, WakeKind::Timer, WakeKind::Local, WakeKind::Remote];
    /// How many kinds there are: the length of the counters' array.
    pub const COUNT: usize = WakeKind::ALL.len();
}

/// Wakes of one task, by [`WakeKind`]: `wakes[WakeKind::Local]`.
///
/// ```
/// use wakeful_executor::{task::{self, WakeKind}, yield_now, Runtime};
///
/// let rt = Runtime::new();
/// rt.block_on(async {
///     let _task = wakeful_executor::spawn(async { yield_now().await; std::future::pending::<()>().await });
///     yield_now().await; // the task runs and wakes itself once
///     yield_now().await; // and runs again, now waiting forever
///     let info = &task::tasks()[0];
///     assert_eq!(info.wakes[WakeKind::Itself], 1);
///     assert_eq!(info.wakes.total(), 1);
/// });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wakes([u64; WakeKind::COUNT]);

impl Wakes {
    /// Wakes of every kind together.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl Index<WakeKind> for Wakes {
    type Output = u64;

    fn index(&self, kind: WakeKind) -> &u64 {
        &self.0[kind as usize]
    }
}

/// Where a task is in its life, as seen from the runtime's thread.
///
/// A task that completed is gone from the records at once, joined or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Queued, to be polled (or, if aborted, dropped) at the runtime's next turn.
    Scheduled,
    /// Being polled right now: the record was taken from inside this task's poll
    /// (or code it called).
    Running,
    /// Waiting for a wake.
    Idle,
}

/// A record of one live task: what [`Runtime::tasks`](crate::Runtime::tasks) and
/// [`task::tasks`](crate::task::tasks) list.
///
/// The times are zero (and `idle_for` is `None`) unless the runtime measures polls
/// ([`Builder::measure_polls`](crate::Builder::measure_polls)).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id.
    pub id: Id,
    /// The name given through [`task::Builder::name`](crate::task::Builder::name).
    pub name: Option<String>,
    /// Where it was spawned: the caller of `spawn` (or `Builder::spawn`, ...).
    pub location: &'static Location<'static>,
    /// The future's type, from `std::any::type_name`: for an `async fn` or block, the
    /// enclosing function's path followed by `{{closure}}`.
    pub future_type: &'static str,
    /// Scheduled, running or idle.
    pub state: TaskState,
    /// Times it was polled (an aborted task's final drop counts as one).
    pub polls: u64,
    /// Wakes that queued it, by kind.
    pub wakes: Wakes,
    /// Time spent inside its polls, in total.
    pub busy: Duration,
    /// Its longest single poll.
    pub longest_poll: Duration,
    /// Time since its last poll ended; `None` while running, before its first poll,
    /// or when polls are not measured.
    pub idle_for: Option<Duration>,
}

/// A task's name, boxed in the header (`Option<Box<Name>>`): a thin pointer, so an
/// unnamed task pays 8 bytes for it, not a `String`'s 24.
pub(crate) struct Name(pub(crate) String);

/// The counters in every task's header. Runtime thread only.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) polls: Cell<u64>,
    wakes: [Cell<u64>; WakeKind::COUNT],
    /// The next three only while polls are measured: nanoseconds, the last one since
    /// the runtime's epoch (`Measure::epoch`), 0 before the first poll ends.
    busy_ns: Cell<u64>,
    longest_ns: Cell<u64>,
    last_end_ns: Cell<u64>,
}

impl Counters {
    pub(crate) fn count_wake(&self, kind: WakeKind) {
        let wakes = &self.wakes[kind as usize];
        wakes.set(wakes.get() + 1);
    }

    /// Adds one measured poll from `start` to `end`, and returns its length and its
    /// end in nanoseconds since `epoch` (which the trace reuses).
    pub(crate) fn count_time(&self, epoch: Instant, start: Instant, end: Instant) -> (Duration, u64) {
        let took = end.saturating_duration_since(start);
        let ns = nanos(took);
        self.busy_ns.set(self.busy_ns.get().saturating_add(ns));
        self.longest_ns.set(self.longest_ns.get().max(ns));
        let end_ns = nanos(end.saturating_duration_since(epoch));
        // At least 1: 0 means "never polled".
        self.last_end_ns.set(end_ns.max(1));
        (took, end_ns)
    }

    pub(crate) fn wakes(&self) -> Wakes {
        Wakes(std::array::from_fn(|i| self.wakes[i].get()))
    }

    pub(crate) fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy_ns.get())
    }

    pub(crate) fn longest_poll(&self) -> Duration {
        Duration::from_nanos(self.longest_ns.get())
    }

    /// Time since the last poll ended, as of `now`; `None` before the first.
    pub(crate) fn idle_for(&self, epoch: Instant, now: Instant) -> Option<Duration> {
        let last = self.last_end_ns.get();
        (last != 0).then(|| now.saturating_duration_since(epoch).saturating_sub(Duration::from_nanos(last)))
    }
}

/// `d` in nanoseconds, saturating (u64 nanoseconds last 584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counters").field("polls", &self.polls.get()).field("wakes", &self.wakes()).finish()
    }
}

/// Records of every live task of `scheduler`.
/// False for a task still on the live list whose future is gone: its poll returned
/// `Ready` (or it was aborted), and its completion is under way.
pub(crate) fn is_live(scheduler: &Scheduler, header: &crate::task::Header) -> bool {
    !header.state.is_complete() && !std::ptr::eq(scheduler.finishing.get(), header)
}

pub(crate) fn records(scheduler: &Scheduler) -> Vec<TaskInfo> {
    // Read once for all records: only while measuring, the clock is read here.
    let now = scheduler.measure.as_deref().map(|measure| (measure.epoch, Instant::now()));
    let running = scheduler.running.get();
    let live = scheduler.live.borrow();
    live.iter()
        // Complete, a task is still listed while `complete` records it in the trace
        // (whose sink may call here): its future is gone, it is live no more.
        .filter(|task| is_live(scheduler, task.header()))
        .map(|task| {
            let header = task.header();
            let state = if std::ptr::eq(running, header) {
                TaskState::Running
            } else if header.state.is_scheduled()
                || (header.queued_local.get() && !header.state.is_complete())
            {
                // Either flag may stand for the queue entry: a wake on this thread
                // sets only `queued_local` (records are made on this thread, too).
                TaskState::Scheduled
            } else {
                TaskState::Idle
            };
            let counters = &header.counters;
            TaskInfo {
                id: header.id,
                name: header.name.as_ref().map(|name| name.0.clone()),
                location: header.location,
                future_type: task.future_type(),
                state,
                polls: counters.polls.get(),
                wakes: counters.wakes(),
                busy: counters.busy(),
                longest_poll: counters.longest_poll(),
                idle_for: match now {
                    Some((epoch, now)) if state != TaskState::Running => counters.idle_for(epoch, now),
                    _ => None,
                },
            }
        })
        .collect()
}

/// Records of every live task of the runtime running on this thread (from inside a
/// task, or its `block_on` future); empty outside a runtime.
///
/// A task listing itself sees its own state as [`TaskState::Running`].
///
/// ```
/// use wakeful_executor::{block_on, spawn, task::{self, TaskState}};
///
/// block_on(async {
///     let me = spawn(async {
///         let all = task::tasks();
///         all.into_iter().find(|info| info.id == task::id()).unwrap()
///     });
///     let info = me.await.unwrap();
///     assert_eq!((info.state, info.polls), (TaskState::Running, 1));
/// });
/// assert!(task::tasks().is_empty());
/// ```
pub fn tasks() -> Vec<TaskInfo> {
    scheduler::with_current(|scheduler| scheduler.map(records).unwrap_or_default())
}

#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod tests {
    use super::*;
    use crate::task::Header;

    /// The observability fields' share of every task: id 8, location 8, name 8 (a thin
    /// pointer), counters 80 (polls, six wake kinds, busy, longest, last end). The
    /// header was 56 bytes without them.
    #[test]
    fn header_size_is_known() {
        assert_eq!(std::mem::size_of::<Counters>(), 80);
        assert_eq!(std::mem::size_of::<Option<Box<Name>>>(), 8);
        assert_eq!(std::mem::size_of::<Header>(), 56 + 104);
    }
}
