//! [`Runtime`]: one executor and one reactor on one thread, glued by `net`'s
//! `ReactorPark`; its [`Builder`], its [`Stats`], and [`block_on`].

use std::future::Future;
use std::rc::Rc;

use crate::{task, trace, JoinHandle, Report, RunUntilStalled, Step};
// Named by the docs' links only.
#[cfg(doc)]
use crate::{executor, time, LostWaker, PollOutcome};
use wakeful_net::context::{self, ReactorPark};
use wakeful_reactor::Reactor;

/// A runtime: one executor and one reactor, on one thread.
///
/// ```
/// let rt = wakeful::Runtime::new()?;
/// let handle = rt.spawn(async { "hello" });
/// assert_eq!(rt.block_on(handle).unwrap(), "hello");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Runtime {
    pub(crate) executor: wakeful_executor::Runtime,
    reactor: Rc<Reactor>,
    /// The trace's recorder, if any (see [`trace`]); dropped last, which closes the file.
    pub(crate) tracer: Option<wakeful_executor::trace::Tracer>,
}

/// Configures a [`Runtime`].
///
/// ```
/// let rt = wakeful::Runtime::builder().event_interval(31).build()?;
/// assert_eq!(rt.block_on(async { 40 + 2 }), 42);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    executor: wakeful_executor::Builder,
    start_paused: bool,
    trace: Option<std::path::PathBuf>,
}

impl Builder {
    /// Polls between two non-blocking looks at I/O and timers (default 61).
    pub fn event_interval(mut self, polls: u32) -> Builder {
        self.executor = self.executor.event_interval(polls);
        self
    }

    /// Starts the runtime with its clock paused (default false), as
    /// [`time::pause`] would: timers fire when the clock is [advanced](time::advance),
    /// or auto-advanced to the next timer whenever every task is idle — a test of a
    /// 30 s timeout takes microseconds. tokio's name; `#[wakeful::test(start_paused =
    /// true)]` sets it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wakeful::time::{sleep, Instant};
    ///
    /// let rt = wakeful::Runtime::builder().start_paused(true).build()?;
    /// let start = rt.block_on(async { Instant::now() });
    /// // Inside the runtime: a `Sleep` made outside measures from the OS clock.
    /// rt.block_on(async { sleep(Duration::from_secs(86_400)).await });
    /// assert_eq!(rt.block_on(async { Instant::now() }) - start, Duration::from_secs(86_400));
    /// assert_eq!(rt.stats().clock_auto_advances, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.start_paused = paused;
        self
    }

    /// Times every task's polls (default: on in debug builds, off in release); see
    /// [`executor::Builder::measure_polls`]. The executor's only clock reads.
    pub fn measure_polls(mut self, on: bool) -> Builder {
        self.executor = self.executor.measure_polls(on);
        self
    }

    /// Reports polls longer than this (default 10 ms) while measuring; `None`: never.
    /// See [`executor::Builder::long_poll_threshold`].
    pub fn long_poll_threshold(mut self, threshold: Option<std::time::Duration>) -> Builder {
        self.executor = self.executor.long_poll_threshold(threshold);
        self
    }

    /// Sends [`Report`]s to `hook` instead of stderr, a panic contained; see
    /// [`executor::Builder::on_report`].
    ///
    /// ```
    /// use std::sync::{atomic::{AtomicUsize, Ordering}, Arc};
    /// use std::time::Duration;
    ///
    /// let long_polls = Arc::new(AtomicUsize::new(0));
    /// let count = long_polls.clone();
    /// let rt = wakeful::Runtime::builder()
    ///     .measure_polls(true)
    ///     .long_poll_threshold(Some(Duration::from_millis(5)))
    ///     .on_report(move |report| {
    ///         if let wakeful::Report::LongPoll(_) = report { count.fetch_add(1, Ordering::Relaxed); }
    ///     })
    ///     .build()?;
    /// rt.block_on(async {
    ///     wakeful::spawn(async { std::thread::sleep(Duration::from_millis(10)) }).await.unwrap();
    /// });
    /// assert_eq!(long_polls.load(Ordering::Relaxed), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_report(mut self, hook: impl Fn(&Report) + Send + Sync + 'static) -> Builder {
        self.executor = self.executor.on_report(hook);
        self
    }

    /// Writes a trace of the runtime to `path` (see [`trace`]): Chrome Trace Event
    /// JSON that opens in ui.perfetto.dev and chrome://tracing. Without this, the
    /// `WAKEFUL_TRACE` environment variable names the file, if set and not empty.
    /// [`build`](Self::build) fails, naming the path, if the file cannot be created
    /// or takes no bytes (a full disk).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("wakeful-builder-{}.json", std::process::id()));
    /// let rt = wakeful::Runtime::builder().trace(&path).build()?;
    /// rt.block_on(async { wakeful::task::yield_now().await });
    /// drop(rt); // closes the file
    /// assert!(std::fs::read_to_string(&path)?.contains(r#""name":"block_on""#));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn trace(mut self, path: impl AsRef<std::path::Path>) -> Builder {
        self.trace = Some(path.as_ref().to_path_buf());
        self
    }

    /// Reports a task that nothing can wake any more (default: on in debug builds, off
    /// in release); see [`executor::Builder::detect_lost_wakers`] and [`LostWaker`].
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let reports = Arc::new(Mutex::new(Vec::new()));
    /// let sink = reports.clone();
    /// let rt = wakeful::Runtime::builder()
    ///     .detect_lost_wakers(true)
    ///     .on_report(move |report| sink.lock().unwrap().push(report.clone()))
    ///     .build()?;
    /// let stuck = rt.spawn(std::future::poll_fn(|_cx| std::task::Poll::<()>::Pending));
    /// rt.run_until_stalled();
    /// let reports = reports.lock().unwrap();
    /// let wakeful::Report::LostWaker(lost) = &reports[0] else { panic!("{reports:?}") };
    /// assert_eq!((lost.id, lost.location.file()), (stuck.id(), file!()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn detect_lost_wakers(mut self, on: bool) -> Builder {
        self.executor = self.executor.detect_lost_wakers(on);
        self
    }

    /// Creates the reactor (an epoll or kqueue fd and its unparker) and the executor.
    pub fn build(self) -> std::io::Result<Runtime> {
        let reactor = Rc::new(Reactor::new()?);
        if self.start_paused {
            reactor.pause();
        }
        let park = ReactorPark::new(reactor.clone());
        let tracer = trace::open(self.trace.as_deref())?;
        let executor = match &tracer {
            None => self.executor.build_with_park(park),
            Some(tracer) => self.executor.build_traced(park.traced(tracer.clone()), tracer.clone()),
        };
        Ok(Runtime { executor, reactor, tracer })
    }
}

/// Counters of a runtime since creation.
///
/// ```
/// use std::time::Duration;
///
/// let rt = wakeful::Runtime::new()?;
/// rt.block_on(wakeful::time::sleep(Duration::from_millis(1)));
/// let stats = rt.stats();
/// assert_eq!(stats.timers_fired, 1);
/// assert!(stats.reactor_turns >= 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Polls of tasks and of `block_on` futures.
    pub polls: u64,
    /// Wakes on the runtime's thread.
    pub wakes_local: u64,
    /// Wakes from other threads.
    pub wakes_remote: u64,
    /// Turns of the reactor (blocking or not).
    pub reactor_turns: u64,
    /// I/O events delivered to registered sources.
    pub events: u64,
    /// Timers that fired.
    pub timers_fired: u64,
    /// Tasks spawned.
    pub tasks_spawned: u64,
    /// Tasks spawned and not yet finished.
    pub tasks_alive: u64,
    /// Timers waiting to fire (live `Sleep`s that were polled).
    pub timers_pending: u64,
    /// File descriptors registered with the reactor.
    pub sources: u64,
    /// Jumps of a paused clock to the next timer because every task was idle (see
    /// [`time::pause`]).
    pub clock_auto_advances: u64,
}

impl Runtime {
    /// A runtime with the default settings. Fails only if the OS refuses an fd.
    pub fn new() -> std::io::Result<Runtime> {
        Builder::default().build()
    }

    /// A [`Builder`], to set the event interval or start with the clock paused.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Runs `future` to completion on this thread, running spawned tasks, I/O and
    /// timers meanwhile.
    ///
    /// # Panics
    /// If called from inside a runtime (a task or another `block_on`).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _reactor = context::enter(&self.reactor);
        self.executor.block_on(future)
    }

    /// Spawns a task that runs during [`block_on`](Self::block_on).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.executor.spawn(future)
    }

    /// Counters since creation.
    pub fn stats(&self) -> Stats {
        Stats::of(self.executor.stats(), &self.reactor)
    }

    /// Does one unit of work and says what it was: the next ready
    /// [spawned](Self::spawn) task's poll (its id, [`PollOutcome`], the tasks it woke
    /// and spawned), or, when none is ready, one reactor turn that does not block
    /// ([`Step::Woke`]: the tasks its I/O events, due timers and other threads' wakes
    /// woke, each with its [`WakeCause`](task::WakeCause): readable on fd 9, a timer's
    /// deadline, another thread), or [`Step::Stalled`] if that turn woke none.
    ///
    /// Unlike [`block_on`](Self::block_on), there is no future of the caller's to run:
    /// steps drive spawned tasks only, one at a time, and return at once — for tests
    /// that must be deterministic, and to watch wakers work. A task's panic goes to its
    /// [`JoinHandle`], and the step returns normally.
    ///
    /// A paused clock ([`Builder::start_paused`]) never moves by itself in a step:
    /// `block_on` auto-advances it when every task is idle, but a step only fires the
    /// timers already due. Move it with [`time::advance`] from a task, as tokio's
    /// explicit `advance`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wakeful::{PollOutcome, Runtime, Step};
    ///
    /// let rt = Runtime::builder().start_paused(true).build()?;
    /// let sleeper = rt.spawn(async { wakeful::time::sleep(Duration::from_secs(30)).await });
    /// let Step::Polled(polled) = rt.step() else { panic!("the sleeper was ready") };
    /// assert_eq!((polled.task, polled.outcome), (sleeper.id(), PollOutcome::Pending));
    /// assert_eq!(rt.step(), Step::Stalled, "30 s to go, and the clock does not move");
    ///
    /// let advance = rt.spawn(wakeful::time::advance(Duration::from_secs(30)));
    /// while !rt.step().is_stalled() {}
    /// assert!(advance.is_finished() && sleeper.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    /// If called from inside a runtime (a task, or a `block_on` future).
    pub fn step(&self) -> Step {
        let _reactor = context::enter(&self.reactor);
        self.executor.step()
    }

    /// Steps until no task is ready and a non-blocking reactor turn wakes none, and
    /// returns how many polls and turns that took; never blocks. As in `block_on`,
    /// I/O and timers get a turn every `event_interval` polls. A task that is always
    /// ready would keep it going forever: it stops after
    /// [`RUN_UNTIL_STALLED_MAX_POLLS`](executor::RUN_UNTIL_STALLED_MAX_POLLS) polls,
    /// with [`stalled`](RunUntilStalled::stalled) false. A paused clock does not move
    /// (see [`step`](Self::step)).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let rt = wakeful::Runtime::new()?;
    /// let timer = rt.spawn(wakeful::time::sleep(Duration::from_secs(3600)));
    /// let started = Instant::now();
    /// let run = rt.run_until_stalled();
    /// assert!(run.stalled && !timer.is_finished());
    /// assert!(started.elapsed() < Duration::from_secs(60), "it did not wait for the timer");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    /// If called from inside a runtime (a task, or a `block_on` future).
    pub fn run_until_stalled(&self) -> RunUntilStalled {
        let _reactor = context::enter(&self.reactor);
        self.executor.run_until_stalled()
    }

    /// A record of every live task; [`task::tasks`] from inside one.
    ///
    /// ```
    /// let rt = wakeful::Runtime::new()?;
    /// let handle = wakeful::task::Builder::new().name("worker").spawn_on(async {}, &rt)?;
    /// let tasks = rt.tasks();
    /// assert_eq!((tasks[0].id, tasks[0].name.as_deref()), (handle.id(), Some("worker")));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tasks(&self) -> Vec<task::TaskInfo> {
        self.executor.tasks()
    }

    /// Every live task and what it waits on, in words — fds and timers as the reactor
    /// holds them, other tasks' `JoinHandle`s, wakers held elsewhere, or nothing at
    /// all (a lost waker); [`task::dump`] from inside. Print it (`Display`) or walk
    /// its [`task::TaskDump`] records.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = wakeful::Runtime::new()?;
    /// let sleeper = wakeful::task::Builder::new()
    ///     .name("sleeper")
    ///     .spawn_on(wakeful::time::sleep(Duration::from_secs(5)), &rt)?;
    /// rt.run_until_stalled(); // it runs once, and waits
    /// let dump = rt.dump();
    /// let text = dump.to_string();
    /// assert!(text.contains(&format!("{} \"sleeper\" (idle", sleeper.id())), "{text}");
    /// assert!(text.contains("waits on timer due in 4.") || text.contains("waits on timer due in 5"), "{text}");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn dump(&self) -> task::Dump {
        self.executor.dump_with(&wakeful_net::dump::holders(&self.reactor))
    }
}

impl Stats {
    fn of(executor: wakeful_executor::Stats, reactor: &Reactor) -> Stats {
        let (sources, timers_pending) = reactor.len();
        let turns = reactor.stats();
        Stats {
            polls: executor.polls,
            wakes_local: executor.wakes_local,
            wakes_remote: executor.wakes_remote,
            reactor_turns: turns.turns,
            events: turns.events,
            timers_fired: turns.timers_fired,
            tasks_spawned: executor.tasks_spawned,
            tasks_alive: executor.tasks_alive,
            timers_pending: timers_pending as u64,
            sources: sources as u64,
            clock_auto_advances: turns.auto_advances,
        }
    }
}

/// Counters of the runtime running on this thread, from inside it (a task, or the
/// `block_on` future); `None` outside a runtime.
///
/// ```
/// wakeful::block_on(async {
///     let stats = wakeful::stats().expect("inside a runtime");
///     assert_eq!(stats.tasks_alive, 0);
/// });
/// assert!(wakeful::stats().is_none());
/// ```
pub fn stats() -> Option<Stats> {
    let executor = wakeful_executor::current_stats()?;
    let reactor = context::current().ok()?;
    Some(Stats::of(executor, &reactor))
}

/// Runs `future` to completion on a new [`Runtime`].
///
/// # Panics
/// If the runtime cannot be created (the process is out of file descriptors), or if
/// called from inside a runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    match Runtime::new() {
        Ok(runtime) => runtime.block_on(future),
        Err(err) => panic!("wakeful::block_on: cannot create a runtime: {err}"),
    }
}
