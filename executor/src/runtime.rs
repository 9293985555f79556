//! [`Runtime`]: the run loop, and a task's life on the runtime's thread: spawned
//! (`spawn_on`), polled (`run`), completed (`complete`) or dropped at shutdown
//! (`Runtime::drop`). Where a *woken* task goes is `scheduler.rs`.
//!
//! Those four functions stay in this one module on purpose. rustc gives each module
//! its own codegen units, here and, for generic code, in the crate that instantiates
//! it, and LLVM optimizes a call best when both ends are in the same unit. Measured
//! with cachegrind over a spawn-and-join loop and a two-task ping-pong: with
//! `complete` in another module every task poll cost one store more (`task` no longer
//! passed in a register), and with the spawning split across modules every spawn cost
//! eight instructions more.

use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::builder::Builder;
use crate::coop;
use crate::join::JoinHandle;
use crate::measure::Measure;
use crate::park::Park;
use crate::scheduler::{self, Enter, Scheduler};
use crate::state::Start;
use crate::stats::Stats;
use crate::sync::Ordering;
use crate::task::{Dump, Holder, PollRef, TaskInfo, TaskRef};
use crate::trace::{EventKind, PollEnd, Tracer};
use crate::unwind;
use crate::waker;

/// Polls between two non-blocking turns of the reactor, by default. Prime, as in
/// tokio, so it does not fall into step with periodic workloads.
pub const DEFAULT_EVENT_INTERVAL: u32 = 61;

/// The most polls between two looks at I/O and timers while a turn's batch runs.
const MAX_BATCH_POLLS: u32 = 1024;

/// Polls after a turn before the next non-blocking one: the event interval, or all the
/// tasks queued when the turn ended (`queued`, capped at [`MAX_BATCH_POLLS`]) if more.
///
/// Why not every `event_interval` polls, as tokio does: the ready queue is first in,
/// first out, so a task that a turn wakes runs after every task queued before it. While
/// the tasks queued at the last turn are still running and nothing has joined the queue
/// behind them, another turn cannot make a woken task run sooner; it only costs a
/// syscall, which mostly finds nothing or a handful of events (measured: echo at 100
/// and 1 000 connections, BENCHMARKS.md). Turning once the batch has run collects all
/// it woke in one wait. Once a task joins the queue during the batch (a yield, a wake
/// from another task or thread, a spawn), a turn does help — what it wakes goes ahead
/// of that task — so the run loop falls back to a turn every `event_interval` polls.
/// What this still delays is only the `block_on` future (polled before the queue) when
/// I/O or a timer wakes it: by at most `MAX_BATCH_POLLS` polls. A task that spends its
/// budget, or an empty queue, still turns the reactor at once.
fn turn_due_after(event_interval: u32, queued: usize) -> u32 {
    let queued = u32::try_from(queued).unwrap_or(u32::MAX).min(MAX_BATCH_POLLS);
    event_interval.max(queued)
}

/// A single-threaded executor: tasks need not be `Send`, and run on the thread that
/// calls [`block_on`](Runtime::block_on).
///
/// ```
/// use wakeful_executor::{spawn, Runtime};
///
/// let rt = Runtime::new();
/// let answer = rt.block_on(async {
///     let task = spawn(async { 6 * 7 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    /// Boxed so its address is stable: the current-scheduler thread-local points at it.
    scheduler: Box<Scheduler>,
    /// Borrowed only by `block_on`'s step ③, around the user's `park` — which wakes
    /// wakers, user code among them. None of that can reach this borrow again: the only
    /// way back in is `block_on`, which panics inside a running runtime (`Enter`).
    park: RefCell<Box<dyn Park>>,
    /// `!Send`: tasks may hold `!Send` values and must stay on this thread.
    _not_send: PhantomData<*const ()>,
}

impl Runtime {
    /// The runtime of `scheduler` that parks through `park`: what [`Builder`] ends with.
    pub(crate) fn with_parts(scheduler: Scheduler, park: Box<dyn Park>) -> Runtime {
        Runtime { scheduler: Box::new(scheduler), park: RefCell::new(park), _not_send: PhantomData }
    }

    /// A runtime without I/O, parking with `std::thread::park`. See [`Builder`].
    pub fn new() -> Runtime {
        Builder::default().build()
    }

    /// Runs `future` to completion on this thread, running spawned tasks meanwhile.
    ///
    /// # Panics
    /// If called from inside a runtime (from a task or a `block_on` future): that
    /// would block the outer runtime's thread. Spawn the future instead.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = Enter::new(&self.scheduler);
        let scheduler = &*self.scheduler;
        let inbox = &scheduler.inbox;
        let mut future = pin!(future);
        let waker = Waker::from(inbox.clone());
        let mut cx = Context::from_waker(&waker);
        inbox.main_woken.store(true, Ordering::Relaxed);
        let mut polls_since_park: u32 = 0;
        // When the next non-blocking turn is due: see `turn_due_after`.
        let mut turn_after = scheduler.event_interval;
        // Entries of the batch queued at the last turn not yet popped: a longer queue
        // means tasks joined it since, and a turn would put what it wakes before them.
        let mut batch_left: usize = 0;
        loop {
            // ① The block_on future, if woken.
            if inbox.main_woken.swap(false, Ordering::AcqRel) {
                scheduler.count(|s| s.polls += 1);
                polls_since_park += 1;
                let polled = match &scheduler.trace {
                    None => future.as_mut().poll(&mut cx),
                    Some(trace) => traced_main_poll(trace, || future.as_mut().poll(&mut cx)),
                };
                if let Poll::Ready(output) = polled {
                    return output;
                }
            }
            // ② Ready tasks, in wake order, up to the event interval — including those
            // woken from elsewhere (other threads, or this one outside `block_on`).
            crate::scheduler::drain_remote(scheduler);
            let mut spent_budget = false;
            let stop = turn_after.min(polls_since_park.saturating_add(scheduler.event_interval));
            while polls_since_park < stop {
                let Some(task) = scheduler.ready.pop() else { break };
                polls_since_park += 1;
                batch_left = batch_left.saturating_sub(1);
                if run(scheduler, task) {
                    // It spent its budget: I/O and timers get their turn before it
                    // runs again, however few polls came before.
                    spent_budget = true;
                    break;
                }
            }
            crate::scheduler::drain_remote(scheduler);
            // ③ The reactor: a quick look once the tasks queued at the last turn have
            // run, or tasks have joined the queue behind them (at least
            // `event_interval` polls either way), so that a task that is always ready
            // cannot starve I/O and timers; a wait when idle.
            let idle = scheduler.ready.is_empty() && !inbox.main_woken.load(Ordering::Acquire);
            let joined = polls_since_park >= scheduler.event_interval && scheduler.ready.len() > batch_left;
            if idle || spent_budget || joined || polls_since_park >= turn_after {
                self.park(if idle { None } else { Some(Duration::ZERO) });
                polls_since_park = 0;
                crate::scheduler::drain_remote(scheduler);
                batch_left = scheduler.ready.len();
                turn_after = turn_due_after(scheduler.event_interval, batch_left);
            }
        }
    }

    /// Spawns a task on this runtime; it runs during `block_on`. See [`spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_on(&self.scheduler, future, Location::caller(), None)
    }

    /// A record of every live task, in no particular order. From inside a task of
    /// this runtime, [`task::tasks`](crate::task::tasks) does the same.
    ///
    /// ```
    /// use wakeful_executor::{task::TaskState, Runtime};
    ///
    /// let rt = Runtime::new();
    /// let handle = rt.spawn(async {});
    /// let tasks = rt.tasks();
    /// assert_eq!((tasks[0].id, tasks[0].state, tasks[0].polls), (handle.id(), TaskState::Scheduled, 0));
    /// assert_eq!(tasks[0].location.line(), line!() - 3);
    /// ```
    pub fn tasks(&self) -> Vec<TaskInfo> {
        crate::task::records(&self.scheduler)
    }

    /// Every live task and what it waits on: see [`Dump`]. From inside a task of this
    /// runtime, [`task::dump`](crate::task::dump()) does the same.
    ///
    /// ```
    /// use wakeful_executor::{task::WaitsOn, Runtime};
    ///
    /// let rt = Runtime::new();
    /// let handle = rt.spawn(async {});
    /// let dump = rt.dump();
    /// // Not polled yet: queued, and waiting on nothing else.
    /// assert_eq!(dump.get(handle.id()).unwrap().waits_on, Vec::<WaitsOn>::new());
    /// assert!(dump.to_string().starts_with("1 live task\n"));
    /// ```
    pub fn dump(&self) -> Dump {
        self.dump_with(&[])
    }

    /// [`dump`](Self::dump), with what `holders` (the reactor's waiters, say) hold.
    ///
    /// ```
    /// use std::task::Poll;
    /// use wakeful_executor::{task::{Holder, WaitsOn}, Runtime};
    ///
    /// let rt = Runtime::new();
    /// let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// let keep = slot.clone();
    /// let handle = rt.spawn(std::future::poll_fn(move |cx| {
    ///     *keep.borrow_mut() = Some(cx.waker().clone());
    ///     Poll::<()>::Pending
    /// }));
    /// rt.block_on(wakeful_executor::yield_now());
    /// let holder = Holder::of(slot.borrow().as_ref().unwrap(), "my slot");
    /// let dump = rt.dump_with(&[holder]);
    /// assert_eq!(dump.get(handle.id()).unwrap().waits_on, [WaitsOn::Held("my slot".into())]);
    /// ```
    pub fn dump_with(&self, holders: &[Holder]) -> Dump {
        crate::task::dump::build(&self.scheduler, holders)
    }

    /// Counters since creation.
    pub fn stats(&self) -> Stats {
        self.scheduler.stats()
    }

    pub(crate) fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    pub(crate) fn park(&self, timeout: Option<Duration>) {
        self.scheduler.count(|s| s.parks += 1);
        self.park.borrow_mut().park(timeout);
    }
}

/// The `block_on` future's poll, recorded. Out of line: the untraced loop stays as it was.
#[inline(never)]
fn traced_main_poll<T>(trace: &Tracer, poll: impl FnOnce() -> Poll<T>) -> Poll<T> {
    let start_ns = trace.main_poll_begin();
    // A panic of the future unwinds through here: the poll is recorded all the same.
    struct Record<'a>(&'a Tracer, u64, PollEnd);
    impl Drop for Record<'_> {
        fn drop(&mut self) {
            self.0.main_polled(self.1, self.2);
        }
    }
    let mut record = Record(trace, start_ns, PollEnd::Panicked);
    let polled = poll();
    record.2 = if polled.is_ready() { PollEnd::Ready } else { PollEnd::Pending };
    polled
}

/// Allocates a task on `scheduler` and queues it.
pub(crate) fn spawn_on<F>(
    scheduler: &Scheduler,
    future: F,
    location: &'static Location<'static>,
    name: Option<Box<crate::task::Name>>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    // Tracing takes a copy of its own, out of line, so that the untraced spawn pays
    // one test here and no register saved around a call (see `push_traced`).
    if scheduler.trace.is_some() {
        return spawn_traced(scheduler, future, location, name);
    }
    spawn_task::<F, false>(scheduler, future, location, name)
}

#[cold]
#[inline(never)]
fn spawn_traced<F>(
    scheduler: &Scheduler,
    future: F,
    location: &'static Location<'static>,
    name: Option<Box<crate::task::Name>>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_task::<F, true>(scheduler, future, location, name)
}

/// `spawn_on`'s body, recording the spawn if `TRACED`.
#[inline(always)]
fn spawn_task<F, const TRACED: bool>(
    scheduler: &Scheduler,
    future: F,
    location: &'static Location<'static>,
    name: Option<Box<crate::task::Name>>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let [live, handle, queued] = TaskRef::new(future, scheduler.inbox.clone(), location, name);
    scheduler.count(|s| s.tasks_spawned += 1);
    if scheduler.closed.get() {
        // Shutting down: the task never runs, and its handle reports cancellation.
        // Its future's `Drop` sees its own id in `task::id()`, not that of the task
        // whose drop spawned it.
        let spawner = scheduler.running.replace(live.header());
        live.cancel();
        scheduler.running.set(spawner);
        live.header().state.complete();
        return JoinHandle::new(handle);
    }
    if let (true, Some(trace)) = (TRACED, &scheduler.trace) {
        trace_spawn(trace, &live);
    }
    scheduler.live.borrow_mut().insert(live);
    scheduler.ready.push(queued);
    JoinHandle::new(handle)
}

/// `text`'s longest start of at most `max` bytes that ends on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[inline(never)]
fn trace_spawn(trace: &Tracer, task: &TaskRef) {
    let header = task.header();
    trace.record(EventKind::Spawned {
        task: header.id,
        name: header.name.as_ref().map(|name| cut(&name.0, crate::trace::MAX_NAME).into()),
        location: header.location,
        future_type: task.future_type(),
    });
}

/// Polls `task` once (or drops its future if aborted), consuming its queue entry.
/// True if the poll spent the task's whole cooperative budget.
pub(crate) fn run(scheduler: &Scheduler, task: TaskRef) -> bool {
    // The entry's reference is lent to the poll (`PollRef`): a waker cloned meanwhile
    // may take it, so it is dropped below only if still ours. The live list's
    // reference keeps the task alive until `complete`.
    let task = ManuallyDrop::new(task);
    let header = task.header();
    // The entry stands for one of the two "queued" flags: the local one first.
    let start = if header.queued_local.replace(false) {
        header.state.start_local_poll()
    } else {
        header.state.start_poll()
    };
    if start == Start::Complete {
        // A stale entry: finished (or aborted) after it was queued.
        drop(ManuallyDrop::into_inner(task));
        return false;
    }
    scheduler.count(|s| s.polls += 1);
    header.counters.polls.set(header.counters.polls.get() + 1);
    match scheduler.measure.as_deref() {
        None => {
            let (done, spent_budget, ours) = poll_or_cancel(scheduler, &task);
            if done {
                complete(scheduler, &task); // without `ours`, the task may be freed by now
            }
            after_poll(scheduler, task, ours, !done);
            spent_budget
        }
        Some(measure) => run_measured(scheduler, measure, task),
    }
}

/// After `task`'s poll: the lost-waker check if it is pending, and the queue entry's
/// reference dropped if still `ours`.
#[inline(always)]
fn after_poll(scheduler: &Scheduler, task: ManuallyDrop<TaskRef>, ours: bool, pending: bool) {
    if pending && scheduler.detect_lost_wakers {
        // Out of line, and it drops `ours` itself: off, the loop pays this one branch.
        crate::lost::check(scheduler, task, ours);
    } else if ours {
        drop(ManuallyDrop::into_inner(task));
    }
}

/// `run`'s poll while measuring: timed, and a long poll reported only after
/// `complete`, so that the hook (user code) never sees a task whose future is gone
/// still listed as live and unfinished — and after the run loop's reference is
/// dropped, so that a dump taken by the hook does not count it as a waker (the report
/// owns what it says; a pending task stays alive through the live list).
/// Returns true if the poll spent its budget.
#[inline(never)]
fn run_measured(scheduler: &Scheduler, measure: &Measure, task: ManuallyDrop<TaskRef>) -> bool {
    let cancelled = task.header().cancelled.get();
    let ((done, spent_budget, ours), report, [start_ns, end_ns]) =
        measure.timed(&task, || poll_or_cancel(scheduler, &task));
    if let Some(trace) = &scheduler.trace {
        // The sink may run below, and take a dump: the reference still `ours` is the
        // run loop's, no waker (else a lost task shows a waker held elsewhere).
        if ours {
            scheduler.loop_ref.set(task.header());
        }
        if done {
            scheduler.finishing.set(task.header()); // until `complete` marks it
        }
        let outcome = match (cancelled, done) {
            (true, _) => PollEnd::Cancelled,
            (false, true) => PollEnd::Ready,
            (false, false) => PollEnd::Pending,
        };
        trace.polled(task.header().id, start_ns, end_ns, outcome);
    }
    if done {
        complete(scheduler, &task); // without `ours`, the task may be freed by now
        scheduler.finishing.set(std::ptr::null());
    }
    scheduler.loop_ref.set(std::ptr::null());
    after_poll(scheduler, task, ours, !done);
    if let Some(report) = report {
        scheduler.reporter.send(&report);
    }
    spent_budget
}

/// Polls `task` once, or drops its future if aborted, as the task `running`. Returns
/// (the future is gone, the poll spent its budget, the queue entry's reference is
/// still ours: not lent to a waker made during the poll).
#[inline(always)]
fn poll_or_cancel(scheduler: &Scheduler, task: &TaskRef) -> (bool, bool, bool) {
    let header = task.header();
    scheduler.running.set(header);
    let outcome = if header.cancelled.get() {
        task.cancel();
        (true, false, true)
    } else {
        header.poll_ref.set(PollRef::Spare);
        let (done, spent_budget) = coop::with_budget(|| task.poll(&waker::borrowed(task)));
        (done, spent_budget, header.poll_ref.replace(PollRef::Idle) == PollRef::Spare)
    };
    scheduler.running.set(std::ptr::null());
    outcome
}

/// Bookkeeping once the future is gone: off the live list, output to the handle.
///
/// The user code at the end — the output's `Drop` for a detached task, or the
/// join waker's `wake` (a foreign waker, maybe) — runs after every table is
/// released and the task is consistent, with a panic contained: here it would
/// otherwise unwind out of the run loop, or out of `Runtime::drop` halfway.
fn complete(scheduler: &Scheduler, task: &TaskRef) {
    // As in `spawn_on`: tracing in a copy of its own, out of line.
    if scheduler.trace.is_some() {
        return complete_traced(scheduler, task);
    }
    complete_task::<false>(scheduler, task)
}

#[cold]
#[inline(never)]
fn complete_traced(scheduler: &Scheduler, task: &TaskRef) {
    complete_task::<true>(scheduler, task)
}

/// `complete`'s body, recording the completion if `TRACED`.
#[inline(always)]
fn complete_task<const TRACED: bool>(scheduler: &Scheduler, task: &TaskRef) {
    let header = task.header();
    header.state.complete();
    if let (true, Some(trace)) = (TRACED, &scheduler.trace) {
        trace.completed(header.id);
    }
    // The live list's reference, dropped last: the caller's may have been lent away.
    let removed = scheduler.live.borrow_mut().remove(task);
    // `completing` while the user code below runs, so that a wake it makes (the
    // handle's owner, or whatever the output's `Drop` wakes) is attributed to this
    // task: two stores, where a `wake_with_cause` here cost ~40 instructions per spawn
    // and join (measured). Not `running`: no poll is under way, and `task::try_id()`
    // must not say one is. Set around the user code only: a task joined after it
    // ends (no waker yet) pays nothing for it.
    if header.detached.get() {
        let before = scheduler.completing.replace(header);
        task.drop_output();
        scheduler.completing.set(before);
    } else if let Some(waker) = header.join_waker.take() {
        let before = scheduler.completing.replace(header);
        unwind::contain(|| waker.wake());
        scheduler.completing.set(before);
    }
    drop(removed);
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

impl Drop for Runtime {
    /// Drops every unfinished task's future, here on the runtime's thread; their
    /// handles resolve to a cancelled [`JoinError`](crate::JoinError). Wakers that
    /// outlive the runtime do nothing when woken. Panics in the futures' drops (and
    /// in the join wakers woken) are contained, so every task is shut down, and a
    /// runtime dropped while a panic unwinds does not abort the process.
    fn drop(&mut self) {
        let _enter = Enter::for_shutdown(&self.scheduler);
        let scheduler = &*self.scheduler;
        scheduler.closed.set(true);
        if let Some(trace) = &scheduler.trace {
            trace.shutting_down();
        }
        // The list is taken whole, its borrow released before any future is dropped:
        // a `Drop` may call back in (`current_stats`, `spawn`, `abort`). It may wake
        // or abort other tasks, never add one (`closed` cancels new tasks at once).
        let tasks = scheduler.live.borrow_mut().drain();
        for task in tasks {
            scheduler.running.set(task.header()); // `task::id()` in the future's `Drop`
            task.cancel();
            scheduler.running.set(std::ptr::null());
            complete(scheduler, &task);
        }
        while scheduler.ready.pop().is_some() {}
        drop(scheduler.inbox.remote.close());
        if let Some(trace) = &scheduler.trace {
            trace.flush(); // the sink finishes its file when the last handle drops
        }
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("stats", &self.stats()).finish()
    }
}

/// Spawns a task on the runtime running on this thread.
///
/// The future need not be `Send`. The task starts at the runtime's next turn, runs
/// until it completes or is aborted, and is dropped with the runtime otherwise.
///
/// # Panics
/// If no runtime is running on this thread (outside `block_on`): use
/// [`Runtime::spawn`] there.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = Location::caller();
    scheduler::with_current(|scheduler| match scheduler {
        Some(scheduler) => spawn_on(scheduler, future, location, None),
        None => {
            panic!("wakeful::spawn called outside a runtime: call it inside block_on, or use Runtime::spawn")
        }
    })
}

/// Counters of the runtime running on this thread (inside `block_on`), if any.
pub fn current_stats() -> Option<Stats> {
    scheduler::with_current(|scheduler| scheduler.map(Scheduler::stats))
}
