//! Where a woken task goes: [`wake_by_val`] and [`wake_by_ref`], and the two halves
//! of a runtime they choose between.
//!
//! - [`Scheduler`] holds what only the runtime's thread touches: the ready queue, the
//!   list of live tasks, the counters. The run loop (`runtime.rs`) owns it.
//! - [`Inbox`] holds what a wake from *any* thread touches: the remote queue, the
//!   [`Unpark`] handle that ends the runtime's park, and the flag of the `block_on`
//!   future. Every task's header holds an `Arc` of it, so a waker that outlives the
//!   runtime still finds a (closed) queue.
//!
//! The thread-local `CURRENT` says which `Scheduler`, if any, this thread is driving:
//! a wake that finds its task's runtime there pushes straight onto the ready queue,
//! with no atomic operation (the task's `queued_local` flag, and the run loop's
//! reference lent to the poll: see `PollRef`); any other wake goes through the
//! task's atomic state and the inbox, which costs a lock and an unpark.

use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::Arc;
use std::task::Wake;

use crate::live::LiveTasks;
use crate::measure::Measure;
use crate::park::Unpark;
use crate::queue::{ReadyQueue, RemoteQueue};
use crate::report::Reporter;
use crate::state::Schedule;
use crate::stats::Stats;
use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crate::task::{current_cause, replace_cause, Header, Id, PollRef, TaskRef, WakeCause};
use crate::trace::Tracer;

thread_local! {
    /// The scheduler being driven on this thread, while `block_on` (or shutdown) runs.
    /// Non-null only while an [`Enter`] guard for a live `Scheduler` exists.
    static CURRENT: Cell<*const Scheduler> = const { Cell::new(ptr::null()) };
}

/// The runtime's thread-bound half: its tasks and counters.
pub(crate) struct Scheduler {
    /// This runtime's cross-thread half; its address is how a wake recognises the
    /// runtime the task belongs to.
    pub(crate) inbox: Arc<Inbox>,
    /// Tasks to poll, woken on this thread or moved over from `inbox.remote`.
    pub(crate) ready: ReadyQueue,
    /// Every unfinished task, holding one reference each, so shutdown can drop them.
    /// Filled and emptied by `runtime.rs` (`spawn_on`, `complete`, `Runtime::drop`).
    pub(crate) live: RefCell<LiveTasks>,
    /// Polls between two looks at I/O and timers (see `Builder::event_interval`).
    pub(crate) event_interval: u32,
    /// Shutting down: new tasks are cancelled at once.
    pub(crate) closed: Cell<bool>,
    /// `wakes_remote` and `tasks_alive` are kept elsewhere and filled in by `stats()`.
    stats: Cell<Stats>,
    /// The task being polled (or dropped by the runtime), null between polls: what
    /// `task::id()` reads, and what a wake meanwhile is attributed to. Set by
    /// `runtime.rs` while it holds a reference to the task.
    pub(crate) running: Cell<*const Header>,
    /// The task whose completion is running user code (its detached output's `Drop`,
    /// or its `JoinHandle` owner's wake), null otherwise: what a wake meanwhile is
    /// attributed to. Not `running`: no task is polled then, and `task::try_id()`
    /// must not say one is. Set by `runtime.rs` while it holds a reference to the task.
    pub(crate) completing: Cell<*const Header>,
    /// Present while polls are measured (`Builder::measure_polls`): see `measure.rs`.
    pub(crate) measure: Option<Box<Measure>>,
    /// Where detectors' reports go.
    pub(crate) reporter: Reporter,
    /// Present while tracing (`Builder::build_traced`): see `trace.rs`.
    pub(crate) trace: Option<Tracer>,
    /// Look for lost wakers after each `Pending` poll (`lost.rs`).
    pub(crate) detect_lost_wakers: bool,
    /// The task `step.rs` holds one more reference to while it runs it (null when
    /// none), no waker's: what the count of wakers must leave out (`task/dump.rs`).
    pub(crate) step_ref: Cell<*const Header>,
    /// The task whose queue entry's reference the run loop still holds after its
    /// measured poll, until it drops it (null otherwise), no waker's: the trace's sink
    /// is called meanwhile, and may take a dump (`runtime.rs`'s `run_measured`).
    pub(crate) loop_ref: Cell<*const Header>,
    /// The task whose measured poll just ended it (null otherwise), until `complete`
    /// marks it so: its future is gone, and a dump from the trace's sink meanwhile
    /// must not list it (`task/info.rs`'s `records`).
    pub(crate) finishing: Cell<*const Header>,
    /// While `Runtime::step` turns the park: the wakes made outside any poll, with
    /// their causes, for its `Step::Woke` (see `queue_between_polls`).
    pub(crate) step_log: RefCell<Option<Vec<(Id, WakeCause)>>>,
    /// `step_log` is open: one load to test, where the `RefCell` cost four per wake.
    pub(crate) step_logging: Cell<bool>,
}

/// The runtime's half that wakers reach from any thread.
pub(crate) struct Inbox {
    /// Tasks woken from other threads, until the run loop moves them to `ready`.
    pub(crate) remote: RemoteQueue,
    /// Ends the runtime's park after a remote wake (the reactor's, or a thread's).
    unpark: Box<dyn Unpark>,
    /// The `block_on` future was woken and must be polled.
    pub(crate) main_woken: AtomicBool,
    /// Counted here, not in `Scheduler::stats`: other threads write it.
    wakes_remote: AtomicU64,
}

impl Scheduler {
    /// An empty scheduler whose remote wakes end a park through `unpark`.
    pub(crate) fn new(event_interval: u32, unpark: Box<dyn Unpark>) -> Scheduler {
        let inbox = Arc::new(Inbox {
            remote: RemoteQueue::new(),
            unpark,
            main_woken: AtomicBool::new(false),
            wakes_remote: AtomicU64::new(0),
        });
        Scheduler {
            inbox,
            ready: ReadyQueue::default(),
            live: RefCell::default(),
            event_interval,
            closed: Cell::new(false),
            stats: Cell::new(Stats::default()),
            running: Cell::new(ptr::null()),
            completing: Cell::new(ptr::null()),
            measure: None,
            reporter: Reporter::default(),
            trace: None,
            detect_lost_wakers: false,
            step_ref: Cell::new(ptr::null()),
            loop_ref: Cell::new(ptr::null()),
            finishing: Cell::new(ptr::null()),
            step_log: RefCell::new(None),
            step_logging: Cell::new(false),
        }
    }

    /// The id of the task being polled (or dropped) by this scheduler, if any.
    pub(crate) fn running_id(&self) -> Option<Id> {
        // SAFETY: `running` is non-null only while the run loop (or shutdown) holds a
        // reference to that task, and it is reset before that reference is dropped;
        // the id is copied out before this returns.
        unsafe { self.running.get().as_ref() }.map(|header| header.id)
    }

    pub(crate) fn count(&self, f: impl FnOnce(&mut Stats)) {
        let mut stats = self.stats.get();
        f(&mut stats);
        self.stats.set(stats);
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            wakes_remote: self.inbox.wakes_remote.load(Ordering::Relaxed),
            tasks_alive: self.live.borrow().len() as u64,
            ..self.stats.get()
        }
    }
}

/// Marks this thread as driving a scheduler until dropped.
///
/// The cause of a `wake_with_cause` under way (if the runtime is driven from inside a
/// waker's wake) is put aside meanwhile: it is not the cause of this runtime's wakes.
pub(crate) struct Enter {
    previous: *const Scheduler,
    cause: Option<WakeCause>,
}

impl Enter {
    pub(crate) fn new(scheduler: &Scheduler) -> Enter {
        let previous = CURRENT.with(|c| c.replace(scheduler));
        if !previous.is_null() {
            CURRENT.with(|c| c.set(previous));
            panic!(
                "wakeful: block_on called from inside a running runtime; \
                 this would block the runtime's thread: spawn the future instead"
            );
        }
        Enter { previous, cause: replace_cause(None) }
    }

    /// Like `new`, but allowed inside another runtime (a runtime dropped by a task).
    pub(crate) fn for_shutdown(scheduler: &Scheduler) -> Enter {
        Enter { previous: CURRENT.with(|c| c.replace(scheduler)), cause: replace_cause(None) }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
        replace_cause(self.cause);
    }
}

/// Runs `f` with the scheduler driven on this thread, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Scheduler>) -> R) -> R {
    // The pointer is read in a closure of its own, small enough to be inlined, so that
    // the thread-local is one load here, not an indirect call (as it was on the wake
    // path with `f` inside the closure: measured with callgrind).
    let current = CURRENT.with(Cell::get);
    // SAFETY: `CURRENT` is non-null only while an `Enter` guard for a live `Scheduler`
    // exists on this thread, and the `Scheduler` outlives its guard; `f` cannot drop
    // the guard (only `block_on`'s return or `Runtime::drop`'s end does).
    f(unsafe { current.as_ref() })
}

/// Runs `f` with the scheduler driven on this thread if it is the one whose inbox is
/// `inbox` — a task's runtime. Only then may the task's runtime-thread-only fields
/// (`queued_local`, `poll_ref`) and the scheduler's ready queue be touched.
fn with_own<R>(inbox: *const Inbox, f: impl FnOnce(Option<&Scheduler>) -> R) -> R {
    with_current(|current| f(current.filter(|scheduler| ptr::eq(Arc::as_ptr(&scheduler.inbox), inbox))))
}

/// Wakes `task`, consuming its reference (`Waker::wake`).
///
/// On the task's runtime thread the reference goes to the ready queue as it is, under
/// the `queued_local` flag: no atomic operation at all. Anywhere else the atomic
/// `SCHEDULED` decides, and the task goes through the inbox.
pub(crate) fn wake_by_val(task: TaskRef) {
    let inbox = Arc::as_ptr(&task.header().inbox);
    with_own(inbox, |own| match own {
        Some(scheduler) if claim_local(task.header()) => push_local(scheduler, task),
        Some(_) => release_local(task),
        None => match task.header().state.schedule_by_val() {
            Schedule::Push => push_remote(task),
            Schedule::Skip => drop(task),
        },
    })
}

/// Wakes `task` without consuming a reference (`Waker::wake_by_ref`, `abort`).
pub(crate) fn wake_by_ref(task: &TaskRef) {
    with_own(Arc::as_ptr(&task.header().inbox), |own| match own {
        Some(scheduler) => {
            if claim_local(task.header()) {
                push_local(scheduler, clone_local(task));
            }
        }
        None => {
            if task.header().state.schedule_by_ref() == Schedule::Push {
                // SAFETY: `schedule_by_ref` counted a new reference for the queue,
                // which the new `TaskRef` now owns.
                push_remote(unsafe { TaskRef::from_raw(task.as_ptr()) });
            }
        }
    })
}

/// A new reference to `task` (`Waker::clone`): on the runtime's thread during the
/// task's poll, the run loop's (see [`PollRef`]), without an atomic operation.
pub(crate) fn clone_ref(task: &TaskRef) -> TaskRef {
    with_own(Arc::as_ptr(&task.header().inbox), |own| match own {
        Some(_) => clone_local(task),
        None => task.clone(),
    })
}

/// Drops a reference to `task` (`Waker`'s drop): on the runtime's thread during the
/// task's poll, back to the run loop if it lent its own, without an atomic operation.
pub(crate) fn drop_ref(task: TaskRef) {
    with_own(Arc::as_ptr(&task.header().inbox), |own| match own {
        Some(_) => release_local(task),
        None => drop(task),
    })
}

/// On the task's runtime thread: marks the task queued locally and returns true,
/// unless it is queued already (by either flag) or complete.
fn claim_local(header: &Header) -> bool {
    if header.queued_local.get() || header.state.is_queued_or_complete() {
        return false;
    }
    header.queued_local.set(true);
    true
}

/// On the task's runtime thread: queues the task just claimed, recording the wake's
/// cause (the rule is in `task/cause.rs`): the task itself or another task, if one
/// is being polled; else whatever [`queue_between_polls`] finds.
///
/// The wake outside any poll leaves through a tail call that queues the task too:
/// with a call that returned here, the ping-pong's every wake paid ~4 instructions
/// more, saving registers across it (measured with callgrind).
fn push_local(scheduler: &Scheduler, task: TaskRef) {
    scheduler.count(|s| s.wakes_local += 1);
    let header = task.header();
    let Some(cause) = cause_in_poll(scheduler, header) else {
        return queue_between_polls(scheduler, task);
    };
    record(scheduler, header, cause);
    if scheduler.trace.is_some() {
        // A tail call, like the push: see `push_traced`.
        return push_traced(scheduler, task);
    }
    scheduler.ready.push(task);
}

/// The cause of a wake on the runtime's thread while a task is polled (or completes):
/// the task itself, or that other task; `None` while none is.
#[inline(always)]
fn cause_in_poll(scheduler: &Scheduler, header: &Header) -> Option<WakeCause> {
    let running = scheduler.running.get();
    if ptr::eq(running, header) {
        return Some(WakeCause::Itself);
    }
    // SAFETY: `running` is non-null only while the run loop (or shutdown) holds a
    // reference to that task (see `running_id`); the id is copied out at once.
    unsafe { running.as_ref() }.map(|other| WakeCause::Task(other.id))
}

/// `push_local`'s end while tracing: the wake recorded, then the push. Out of line
/// and a tail call, so that the untraced wake pays the test of `trace` alone
/// (measured with callgrind over `benches/exec_count.rs`: a call in `record` instead,
/// whose return the push waited for, cost 10 to 14 instructions per wake in saved
/// registers, traced or not).
/// The cause is found again here: passed in, it was built on the stack for every
/// wake, traced or not.
#[cold]
#[inline(never)]
fn push_traced(scheduler: &Scheduler, task: TaskRef) {
    if let Some(cause) = cause_in_poll(scheduler, task.header()) {
        trace_wake(scheduler, task.header().id, cause);
    }
    scheduler.ready.push(task);
}

/// [`push_local`] for a wake made while no task runs: the task completing, if its
/// completion runs user code; else the cause a `wake_with_cause` under way gave, else
/// `Local`; logged for `Runtime::step` while it turns. Out of line: the task-to-task
/// ping-pong never comes here.
#[inline(never)]
fn queue_between_polls(scheduler: &Scheduler, task: TaskRef) {
    let header = task.header();
    // SAFETY: `completing` is non-null only while `complete` holds a reference to that
    // task; the id is copied out at once.
    let cause = match unsafe { scheduler.completing.get().as_ref() } {
        Some(finished) => WakeCause::Task(finished.id),
        None => current_cause().unwrap_or(WakeCause::Local),
    };
    if scheduler.step_logging.get() {
        if let Some(log) = scheduler.step_log.borrow_mut().as_mut() {
            log.push((header.id, cause));
        }
    }
    record(scheduler, header, cause);
    if scheduler.trace.is_some() {
        trace_wake(scheduler, header.id, cause);
    }
    scheduler.ready.push(task);
}

/// The one place every attributed wake passes — local ones from [`push_local`],
/// remote ones from [`drain_remote`] — on the runtime's thread: `header`'s task was queued
/// because of `cause`. Counted by kind; `cause.kind()` folds to a constant where the
/// cause is one.
///
/// The trace records the same wakes, from `record`'s callers rather than here, each
/// where it costs the untraced path no more than a test (see `push_traced`).
#[inline(always)]
fn record(_scheduler: &Scheduler, header: &Header, cause: WakeCause) {
    header.counters.count_wake(cause.kind());
}

/// Records a wake into the trace, if tracing, as made by the task being polled or
/// else the task completing (its arrow starts on that task's last poll). Out of line:
/// not on the untraced path.
#[inline(never)]
fn trace_wake(scheduler: &Scheduler, task: Id, cause: WakeCause) {
    if let Some(trace) = &scheduler.trace {
        // SAFETY: `completing` is non-null only while `complete` holds a reference to
        // that task; the id is copied out at once.
        let completing = || unsafe { scheduler.completing.get().as_ref() }.map(|header| header.id);
        trace.woken(task, scheduler.running_id().or_else(completing), cause);
    }
}

/// Moves the tasks woken from other threads to the ready queue, recording each wake
/// as `Remote` on this thread (the counters are plain `Cell`s).
#[inline]
pub(crate) fn drain_remote(scheduler: &Scheduler) {
    scheduler.inbox.remote.drain_into(&scheduler.ready, |header| {
        record(scheduler, header, WakeCause::Remote);
        // Per task moved, not per drain: most drains find the queue empty.
        if scheduler.trace.is_some() {
            trace_wake(scheduler, header.id, WakeCause::Remote);
        }
    });
}

/// On the task's runtime thread: the run loop's reference if it is spare, else a
/// newly counted one.
fn clone_local(task: &TaskRef) -> TaskRef {
    let header = task.header();
    if header.poll_ref.get() == PollRef::Spare {
        header.poll_ref.set(PollRef::Lent);
        // SAFETY: the run loop's reference is counted and was spare; from now on it is
        // the new `TaskRef`'s, and the run loop will not drop it (`Lent`).
        unsafe { TaskRef::from_raw(task.as_ptr()) }
    } else {
        task.clone()
    }
}

/// On the task's runtime thread: gives `task`'s reference back to the run loop if it
/// lent its own to the poll in progress (it drops it after the poll), else drops it.
fn release_local(task: TaskRef) {
    let header = task.header();
    if header.poll_ref.get() == PollRef::Lent {
        header.poll_ref.set(PollRef::Spare);
        // The reference is the run loop's now, still counted: not dropped here.
        std::mem::forget(task);
    } else {
        drop(task);
    }
}

/// Queues a task that was just marked `SCHEDULED`, from a thread other than its
/// runtime's (or outside `block_on`), handing the remote queue `task`'s reference.
fn push_remote(task: TaskRef) {
    // Keep the `Inbox` alive by our own reference: once pushed, the task may run,
    // finish and be freed — with the runtime — before `unpark` returns.
    let inbox = task.header().inbox.clone();
    inbox.wakes_remote.fetch_add(1, Ordering::Relaxed);
    match inbox.remote.push(task) {
        Ok(()) => inbox.unpark.unpark(),
        Err(task) => drop(task), // the runtime is gone: a stale wake
    }
}

/// The `block_on` future is not a task: its waker sets a flag, and unparks the runtime
/// if woken from another thread. One `Arc` per `block_on`, none per wake.
impl Wake for Inbox {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.main_woken.store(true, Ordering::Release);
        let on_runtime = with_current(|scheduler| {
            scheduler.is_some_and(|current| ptr::eq(Arc::as_ptr(&current.inbox), &**self))
        });
        if !on_runtime {
            self.wakes_remote.fetch_add(1, Ordering::Relaxed);
            self.unpark.unpark();
        }
    }
}
