//! [`Runtime`]: the run loop, spawning, scheduling and shutdown.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::pin;
use std::ptr;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::coop;
use crate::join::JoinHandle;
use crate::live::LiveTasks;
use crate::park::{Park, ThreadPark, Unpark};
use crate::queue::{ReadyQueue, RemoteQueue};
use crate::state::{Schedule, Start};
use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crate::task::TaskRef;
use crate::unwind;
use crate::waker;

/// Polls between two non-blocking turns of the reactor, by default. Prime, as in
/// tokio, so it does not fall into step with periodic workloads.
pub const DEFAULT_EVENT_INTERVAL: u32 = 61;

thread_local! {
    /// The runtime being driven on this thread, while `block_on` (or shutdown) runs.
    /// Non-null only while an [`Enter`] guard for a live `Local` exists.
    static CURRENT: Cell<*const Local> = const { Cell::new(ptr::null()) };
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
    /// Boxed so its address is stable: `CURRENT` points at it.
    local: Box<Local>,
    /// Borrowed only by `block_on`'s step ③, around the user's `park` — which wakes
    /// wakers, user code among them. None of that can reach this borrow again: the only
    /// way back in is `block_on`, which panics inside a running runtime (`Enter`).
    park: RefCell<Box<dyn Park>>,
    /// `!Send`: tasks may hold `!Send` values and must stay on this thread.
    _not_send: PhantomData<*const ()>,
}

/// Configures a [`Runtime`].
///
/// ```
/// use wakeful_executor::Builder;
///
/// let rt = Builder::default().event_interval(31).build();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    event_interval: u32,
}

impl Default for Builder {
    fn default() -> Self {
        Builder { event_interval: DEFAULT_EVENT_INTERVAL }
    }
}

impl Builder {
    /// How many polls may run between two looks at I/O and timers (at least 1).
    pub fn event_interval(mut self, polls: u32) -> Builder {
        self.event_interval = polls.max(1);
        self
    }

    /// A runtime that parks through `park` when idle.
    pub fn build_with_park(self, park: impl Park + 'static) -> Runtime {
        let shared = Arc::new(Shared {
            remote: RemoteQueue::new(),
            unpark: park.unparker(),
            main_woken: AtomicBool::new(false),
            wakes_remote: AtomicU64::new(0),
        });
        let local = Local {
            shared,
            ready: ReadyQueue::default(),
            live: RefCell::default(),
            event_interval: self.event_interval,
            closed: Cell::new(false),
            stats: Cell::new(Stats::default()),
        };
        Runtime { local: Box::new(local), park: RefCell::new(Box::new(park)), _not_send: PhantomData }
    }

    /// A runtime that parks its thread with `std::thread::park` (no I/O).
    pub fn build(self) -> Runtime {
        self.build_with_park(ThreadPark::new())
    }
}

/// Counters since the runtime was created.
///
/// ```
/// use wakeful_executor::{spawn, yield_now, Runtime};
///
/// let rt = Runtime::new();
/// rt.block_on(async { spawn(async { yield_now().await }).await.unwrap() });
/// let stats = rt.stats();
/// assert_eq!((stats.tasks_spawned, stats.tasks_alive), (1, 0));
/// assert!(stats.wakes_local >= 1 && stats.polls >= 3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Polls of tasks and of `block_on` futures.
    pub polls: u64,
    /// Wakes on the runtime's thread (pushed to the local queue).
    pub wakes_local: u64,
    /// Wakes from other threads (pushed to the remote queue, reactor unparked).
    pub wakes_remote: u64,
    /// Calls to [`Park::park`], blocking or not.
    pub parks: u64,
    /// Tasks spawned.
    pub tasks_spawned: u64,
    /// Tasks spawned and not yet finished.
    pub tasks_alive: u64,
}

/// The runtime's thread-bound half.
pub(crate) struct Local {
    pub(crate) shared: Arc<Shared>,
    ready: ReadyQueue,
    /// Every unfinished task, holding one reference each, so shutdown can drop them.
    live: RefCell<LiveTasks>,
    event_interval: u32,
    /// Shutting down: new tasks are cancelled at once.
    closed: Cell<bool>,
    /// `wakes_remote` and `tasks_alive` are kept elsewhere and filled in by `stats()`.
    stats: Cell<Stats>,
}

/// The runtime's half that wakers reach from any thread.
pub(crate) struct Shared {
    remote: RemoteQueue,
    unpark: Box<dyn Unpark>,
    /// The `block_on` future was woken and must be polled.
    main_woken: AtomicBool,
    wakes_remote: AtomicU64,
}

impl Runtime {
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
        let _enter = Enter::new(&self.local);
        let local = &*self.local;
        let shared = &local.shared;
        let mut future = pin!(future);
        let waker = Waker::from(shared.clone());
        let mut cx = Context::from_waker(&waker);
        shared.main_woken.store(true, Ordering::Relaxed);
        let mut polls_since_park = 0;
        loop {
            // ① The block_on future, if woken.
            if shared.main_woken.swap(false, Ordering::AcqRel) {
                local.count(|s| s.polls += 1);
                polls_since_park += 1;
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            // ② Ready tasks, in wake order, up to the event interval — including those
            // woken from elsewhere (other threads, or this one outside `block_on`).
            shared.remote.drain_into(&local.ready);
            while polls_since_park < local.event_interval {
                let Some(task) = local.ready.pop() else { break };
                polls_since_park += 1;
                if local.run(task) {
                    // It spent its budget: I/O and timers get their turn before it
                    // runs again, however few polls came before.
                    polls_since_park = local.event_interval;
                }
            }
            shared.remote.drain_into(&local.ready);
            // ③ The reactor: a quick look after `event_interval` polls, so that a task
            // that is always ready cannot starve I/O and timers; a wait when idle.
            let idle = local.ready.is_empty() && !shared.main_woken.load(Ordering::Acquire);
            if idle || polls_since_park >= local.event_interval {
                self.park(if idle { None } else { Some(Duration::ZERO) });
                polls_since_park = 0;
                shared.remote.drain_into(&local.ready);
            }
        }
    }

    /// Spawns a task on this runtime; it runs during `block_on`. See [`spawn`].
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn(future)
    }

    /// Counters since creation.
    pub fn stats(&self) -> Stats {
        self.local.stats()
    }

    fn park(&self, timeout: Option<Duration>) {
        self.local.count(|s| s.parks += 1);
        self.park.borrow_mut().park(timeout);
    }
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
        let _enter = Enter::for_shutdown(&self.local);
        let local = &*self.local;
        local.closed.set(true);
        // The list is taken whole, its borrow released before any future is dropped:
        // a `Drop` may call back in (`current_stats`, `spawn`, `abort`). It may wake
        // or abort other tasks, never add one (`closed` cancels new tasks at once).
        let tasks = local.live.borrow_mut().drain();
        for task in tasks {
            task.cancel();
            local.complete(&task);
        }
        while local.ready.pop().is_some() {}
        drop(local.shared.remote.close());
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("stats", &self.stats()).finish()
    }
}

impl Local {
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let [live, handle, queued] = TaskRef::new(future, self.shared.clone());
        self.count(|s| s.tasks_spawned += 1);
        if self.closed.get() {
            // Shutting down: the task never runs, and its handle reports cancellation.
            live.cancel();
            live.header().state.complete();
            return JoinHandle::new(handle);
        }
        self.live.borrow_mut().insert(live);
        self.ready.push(queued);
        JoinHandle::new(handle)
    }

    /// Polls `task` once (or drops its future if aborted), consuming its queue entry.
    /// True if the poll spent the task's whole cooperative budget.
    fn run(&self, task: TaskRef) -> bool {
        let header = task.header();
        if header.state.start_poll() == Start::Complete {
            return false; // a stale entry: finished (or aborted) after it was queued
        }
        self.count(|s| s.polls += 1);
        let (done, spent_budget) = if header.cancelled.get() {
            task.cancel();
            (true, false)
        } else {
            coop::with_budget(|| task.poll(&waker::borrowed(&task)))
        };
        if done {
            self.complete(&task);
        }
        spent_budget
    }

    /// Bookkeeping once the future is gone: off the live list, output to the handle.
    ///
    /// The user code at the end — the output's `Drop` for a detached task, or the
    /// join waker's `wake` (a foreign waker, maybe) — runs after every table is
    /// released and the task is consistent, with a panic contained: here it would
    /// otherwise unwind out of the run loop, or out of `Runtime::drop` halfway.
    fn complete(&self, task: &TaskRef) {
        let header = task.header();
        header.state.complete();
        let removed = self.live.borrow_mut().remove(task);
        drop(removed); // the live list's reference; the caller still holds one
        if header.detached.get() {
            task.drop_output();
        } else if let Some(waker) = header.join_waker.take() {
            unwind::contain(|| waker.wake());
        }
    }

    fn count(&self, f: impl FnOnce(&mut Stats)) {
        let mut stats = self.stats.get();
        f(&mut stats);
        self.stats.set(stats);
    }

    fn stats(&self) -> Stats {
        Stats {
            wakes_remote: self.shared.wakes_remote.load(Ordering::Relaxed),
            tasks_alive: self.live.borrow().len() as u64,
            ..self.stats.get()
        }
    }
}

/// Marks this thread as running `local` until dropped.
struct Enter {
    previous: *const Local,
}

impl Enter {
    fn new(local: &Local) -> Enter {
        let previous = CURRENT.with(|c| c.replace(local));
        if !previous.is_null() {
            CURRENT.with(|c| c.set(previous));
            panic!(
                "wakeful: block_on called from inside a running runtime; \
                 this would block the runtime's thread: spawn the future instead"
            );
        }
        Enter { previous }
    }

    /// Like `new`, but allowed inside another runtime (a runtime dropped by a task).
    fn for_shutdown(local: &Local) -> Enter {
        Enter { previous: CURRENT.with(|c| c.replace(local)) }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

/// Runs `f` with the runtime driven on this thread, if any.
fn with_current<R>(f: impl FnOnce(Option<&Local>) -> R) -> R {
    CURRENT.with(|current| {
        // SAFETY: `CURRENT` is non-null only while an `Enter` guard for a live `Local`
        // exists on this thread, and the `Local` outlives its guard.
        f(unsafe { current.get().as_ref() })
    })
}

/// Spawns a task on the runtime running on this thread.
///
/// The future need not be `Send`. The task starts at the runtime's next turn, runs
/// until it completes or is aborted, and is dropped with the runtime otherwise.
///
/// # Panics
/// If no runtime is running on this thread (outside `block_on`): use
/// [`Runtime::spawn`] there.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    with_current(|local| match local {
        Some(local) => local.spawn(future),
        None => {
            panic!("wakeful::spawn called outside a runtime: call it inside block_on, or use Runtime::spawn")
        }
    })
}

/// Counters of the runtime running on this thread (inside `block_on`), if any.
pub fn current_stats() -> Option<Stats> {
    with_current(|local| local.map(Local::stats))
}

/// Queues a task that was just marked `SCHEDULED`, handing the queue `task`'s
/// reference: locally if this thread is driving the task's runtime, remotely otherwise.
pub(crate) fn schedule(task: TaskRef) {
    let remote = with_current(|local| match local {
        Some(local) if ptr::eq(Arc::as_ptr(&local.shared), Arc::as_ptr(&task.header().shared)) => {
            local.count(|s| s.wakes_local += 1);
            local.ready.push(task);
            None
        }
        _ => Some(task),
    });
    if let Some(task) = remote {
        // Keep `Shared` alive by our own reference: once pushed, the task may run,
        // finish and be freed — with the runtime — before `unpark` returns.
        let shared = task.header().shared.clone();
        shared.wakes_remote.fetch_add(1, Ordering::Relaxed);
        match shared.remote.push(task) {
            Ok(()) => shared.unpark.unpark(),
            Err(task) => drop(task), // the runtime is gone: a stale wake
        }
    }
}

/// Wakes `task` without consuming a reference (`Waker::wake_by_ref`, `abort`).
pub(crate) fn wake_by_ref(task: &TaskRef) {
    if task.header().state.schedule_by_ref() == Schedule::Push {
        // SAFETY: `schedule_by_ref` counted a new reference for the queue, which the
        // new `TaskRef` now owns.
        schedule(unsafe { TaskRef::from_raw(task.as_ptr()) });
    }
}

/// The `block_on` future is not a task: its waker sets a flag, and unparks the runtime
/// if woken from another thread. One `Arc` per `block_on`, none per wake.
impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.main_woken.store(true, Ordering::Release);
        let on_runtime =
            with_current(|local| local.is_some_and(|l| ptr::eq(Arc::as_ptr(&l.shared), &**self)));
        if !on_runtime {
            self.wakes_remote.fetch_add(1, Ordering::Relaxed);
            self.unpark.unpark();
        }
    }
}
