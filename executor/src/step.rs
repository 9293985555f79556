//! [`Runtime::step`] and [`Runtime::run_until_stalled`]: the run loop one unit of work
//! at a time, each unit reported — for tests that must be deterministic, and for
//! watching wakers work.
//!
//! Nothing here is on `block_on`'s path: a step reads what the loop did from the ready
//! queue afterwards (the entries a poll appended are what it woke or spawned), so the
//! loop itself records nothing.
//!
//! Every function here is `#[inline]`, so that it is compiled in the crate that calls
//! it, not in this one. Compiled here, this module was one more codegen unit, which
//! changed how rustc merged the crate's units, and `block_on`'s wake ping-pong cost 6
//! instructions more per round (callgrind: a thread-local accessor in `run` left out
//! of line). Inlined, the executor compiles exactly as without this module.

use std::time::Duration;

use crate::runtime::{run, Runtime};
use crate::scheduler::{self, Enter, Scheduler};
use crate::task::{Id, WakeCause};

/// Polls [`Runtime::run_until_stalled`] does at most in one call, so that a task that
/// is always ready (one that wakes itself on every poll) cannot keep it from returning.
pub const RUN_UNTIL_STALLED_MAX_POLLS: u64 = 1 << 16;

/// What one [`Runtime::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A ready task was polled (or, if aborted, its future dropped).
    Polled(Polled),
    /// No task was ready, so I/O, timers and other threads' wakes were looked at
    /// without blocking (one turn of the [`Park`](crate::Park), with a zero timeout),
    /// and they woke these tasks, each with its cause: first those the turn woke, in
    /// wake order (I/O events, timers), then those woken from elsewhere since the
    /// last turn (other threads; this thread between steps: [`WakeCause::Remote`]).
    Woke(Vec<WokenTask>),
    /// No task was ready, and that look woke none: only time, I/O or another thread
    /// can wake a task now.
    Stalled,
}

/// A task a [`Step::Woke`] woke, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WokenTask {
    /// The task woken.
    pub task: Id,
    /// What woke it.
    pub cause: WakeCause,
}

/// One poll of a task, as [`Step::Polled`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Polled {
    /// The task polled.
    pub task: Id,
    /// What the poll returned.
    pub outcome: PollOutcome,
    /// The tasks this poll woke, in wake order: those it put on the ready queue. A
    /// wake of a task that was already queued changes nothing and is not listed; the
    /// task itself is, if it woke itself (`yield_now`).
    pub woke: Vec<Id>,
    /// The tasks this poll spawned, in spawn order (queued to run, too).
    pub spawned: Vec<Id>,
}

/// What a step's poll of a task came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollOutcome {
    /// The task waits: it returned `Pending`.
    Pending,
    /// The task is finished: it returned its output, or panicked (its
    /// [`JoinHandle`](crate::JoinHandle) says which).
    Ready,
    /// The task had been aborted: its future was dropped without a poll.
    Aborted,
}

/// What a [`Runtime::run_until_stalled`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunUntilStalled {
    /// Tasks polled (aborted tasks dropped count too).
    pub polls: u64,
    /// Non-blocking looks at I/O, timers and other threads' wakes.
    pub turns: u64,
    /// True if it ended because no task was ready; false if it stopped after
    /// [`RUN_UNTIL_STALLED_MAX_POLLS`] polls with tasks still ready.
    pub stalled: bool,
}

impl Step {
    /// True for [`Step::Stalled`].
    #[inline]
    pub fn is_stalled(&self) -> bool {
        matches!(self, Step::Stalled)
    }
}

impl Runtime {
    /// Does one unit of work and says what it was: the next ready task's poll, or,
    /// when no task is ready, one look at I/O, timers and other threads' wakes that
    /// never blocks. Returns [`Step::Stalled`] when that look woke nothing.
    ///
    /// So every wake shows in some step: a wake on this thread during a poll in that
    /// poll's [`Polled::woke`]; a wake from I/O, a timer, another thread, or code run
    /// between steps (a channel's `send`) in the next [`Step::Woke`] — which comes
    /// only once no task is ready.
    ///
    /// Steps drive the tasks [spawned](Runtime::spawn) on this runtime; there is no
    /// `block_on` future. A step never blocks and never waits for a timer that is not
    /// due. A task's panic is caught as in `block_on` (its
    /// [`JoinHandle`](crate::JoinHandle) gets the [`JoinError`](crate::JoinError)),
    /// and the step returns normally.
    ///
    /// ```
    /// use wakeful_executor::{yield_now, PollOutcome, Runtime, Step};
    ///
    /// let rt = Runtime::new();
    /// let task = rt.spawn(async { yield_now().await; 7 });
    /// let id = task.id();
    /// let Step::Polled(first) = rt.step() else { panic!("a task was ready") };
    /// assert_eq!((first.task, first.outcome, first.woke), (id, PollOutcome::Pending, vec![id]));
    /// let Step::Polled(second) = rt.step() else { panic!("it woke itself") };
    /// assert_eq!((second.task, second.outcome), (id, PollOutcome::Ready));
    /// assert_eq!(rt.step(), Step::Stalled);
    /// assert_eq!(rt.block_on(task).unwrap(), 7);
    /// ```
    ///
    /// A runtime is stepped on its own thread only (it is neither `Send` nor `Sync`):
    ///
    /// ```compile_fail
    /// let rt = wakeful_executor::Runtime::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| rt.step());
    /// });
    /// ```
    ///
    /// # Panics
    /// If called from inside a running runtime (a task, or a `block_on` future), as
    /// `block_on` does: a runtime is driven from outside.
    #[inline]
    pub fn step(&self) -> Step {
        let scheduler = self.enter_for("step");
        let _enter = Enter::new(scheduler);
        match self.poll_next(scheduler) {
            Some((polled, _)) => Step::Polled(polled),
            None => self.turn(scheduler),
        }
    }

    /// Steps until no task is ready and a non-blocking look at I/O, timers and other
    /// threads' wakes wakes none; never blocks. As in `block_on`, I/O and timers also
    /// get a look every `event_interval` polls, and after a task spends its
    /// cooperative budget.
    ///
    /// A task that is always ready would keep it running forever: it returns after
    /// [`RUN_UNTIL_STALLED_MAX_POLLS`] polls at most, with `stalled` false. Call it
    /// again to go on.
    ///
    /// ```
    /// use wakeful_executor::{yield_now, Runtime};
    ///
    /// let rt = Runtime::new();
    /// let tasks: Vec<_> = (0..3).map(|i| rt.spawn(async move { yield_now().await; i })).collect();
    /// let run = rt.run_until_stalled();
    /// assert!(run.stalled);
    /// assert_eq!(run.polls, 6, "each task: a poll that yields, then one that ends");
    /// assert!(tasks.iter().all(|task| task.is_finished()));
    /// ```
    ///
    /// # Panics
    /// As [`step`](Runtime::step).
    #[inline]
    pub fn run_until_stalled(&self) -> RunUntilStalled {
        let scheduler = self.enter_for("run_until_stalled");
        let _enter = Enter::new(scheduler);
        let mut summary = RunUntilStalled::default();
        let mut polls_since_turn = 0;
        while summary.polls < RUN_UNTIL_STALLED_MAX_POLLS {
            if polls_since_turn < scheduler.event_interval {
                if let Some((_, spent_budget)) = self.poll_next(scheduler) {
                    summary.polls += 1;
                    polls_since_turn += 1;
                    if spent_budget {
                        polls_since_turn = scheduler.event_interval; // as `block_on` does
                    }
                    continue;
                }
            }
            summary.turns += 1;
            polls_since_turn = 0;
            if self.turn(scheduler).is_stalled() && scheduler.ready.is_empty() {
                summary.stalled = true;
                break;
            }
        }
        summary
    }

    /// The scheduler, checked to be driven from outside any runtime.
    #[inline]
    fn enter_for(&self, what: &str) -> &Scheduler {
        if scheduler::with_current(|current| current.is_some()) {
            panic!(
                "wakeful: Runtime::{what} called from inside a running runtime (a task or a \
                 block_on future); a runtime is stepped from outside: spawn the work instead"
            );
        }
        self.scheduler()
    }

    /// Polls the next ready task, skipping entries of tasks that finished after they
    /// were queued, and whether it spent its cooperative budget. `None` if no task is
    /// ready.
    #[inline]
    fn poll_next(&self, scheduler: &Scheduler) -> Option<(Polled, bool)> {
        loop {
            let task = scheduler.ready.pop()?;
            let header = task.header();
            if header.state.is_complete() {
                continue; // stale: `run` would skip it too
            }
            let (id, aborted) = (header.id, header.cancelled.get());
            let keep = task.clone(); // to read the state once `run` has consumed `task`
            let queued = scheduler.ready.len();
            let spawned_before = scheduler.stats().tasks_spawned;
            scheduler.step_ref.set(header); // `keep` is no waker (for the lost-waker count)
            let spent_budget = run(scheduler, task);
            scheduler.step_ref.set(std::ptr::null());
            let outcome = match (aborted, keep.header().state.is_complete()) {
                (true, _) => PollOutcome::Aborted,
                (false, true) => PollOutcome::Ready,
                (false, false) => PollOutcome::Pending,
            };
            drop(keep);
            let spawns = scheduler.stats().tasks_spawned - spawned_before;
            let (woke, spawned) = split_spawned(scheduler.ready.ids_from(queued), spawns);
            return Some((Polled { task: id, outcome, woke, spawned }, spent_budget));
        }
    }

    /// One non-blocking turn of the park; what it queued (the ready queue was empty),
    /// with the causes the wakes were attributed to while the log was open.
    #[inline]
    fn turn(&self, scheduler: &Scheduler) -> Step {
        let queued = scheduler.ready.len();
        let log = {
            let open = OpenLog::new(scheduler);
            self.park(Some(Duration::ZERO));
            open.take()
        };
        scheduler::drain_remote(scheduler);
        let cause_of = |id: Id| {
            log.iter().find(|(woken, _)| *woken == id).map_or(WakeCause::Remote, |(_, cause)| *cause)
        };
        let woke: Vec<WokenTask> = scheduler
            .ready
            .ids_from(queued)
            .into_iter()
            .map(|task| WokenTask { task, cause: cause_of(task) })
            .collect();
        if woke.is_empty() {
            Step::Stalled
        } else {
            Step::Woke(woke)
        }
    }
}

/// The scheduler's step log, open while it lives: closed again even if the park
/// panics, so later wakes are not logged for nobody.
struct OpenLog<'a>(&'a Scheduler);

impl<'a> OpenLog<'a> {
    #[inline]
    fn new(scheduler: &'a Scheduler) -> OpenLog<'a> {
        *scheduler.step_log.borrow_mut() = Some(Vec::new());
        scheduler.step_logging.set(true);
        OpenLog(scheduler)
    }

    #[inline]
    fn take(self) -> Vec<(Id, WakeCause)> {
        self.0.step_logging.set(false);
        self.0.step_log.borrow_mut().take().unwrap_or_default()
    }
}

impl Drop for OpenLog<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.step_logging.set(false);
        self.0.step_log.borrow_mut().take();
    }
}

/// Splits what a poll queued into woken and spawned tasks, knowing it spawned
/// `spawns`. Ids grow with every spawn in the process, and a woken task existed before
/// the poll, so the spawned ones are the `spawns` largest ids.
#[inline]
fn split_spawned(mut queued: Vec<Id>, spawns: u64) -> (Vec<Id>, Vec<Id>) {
    let mut sorted = queued.clone();
    sorted.sort_unstable();
    let Some(&first_spawned) = sorted.len().checked_sub(spawns as usize).and_then(|i| sorted.get(i)) else {
        return (queued, Vec::new()); // none spawned (or, impossibly, more than queued)
    };
    let spawned = queued.iter().copied().filter(|id| *id >= first_spawned).collect();
    queued.retain(|id| *id < first_spawned);
    (queued, spawned)
}
