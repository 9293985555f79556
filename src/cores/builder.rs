//! [`Builder`]: how many cores, pinned or not, with which runtime settings; and
//! [`Cores`], the running set that [`Builder::start`] returns.

use std::future::Future;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::core_thread::{self, Outcome};
use super::handle::{Handle, Shared};
use super::CoresError;

/// The most cores [`Builder::cores`] accepts: one thread each, and far more than
/// any machine has CPUs (Linux supports at most 8192).
pub const MAX_CORES: usize = 1 << 16;

/// How long a core whose future listens for the shutdown signal may take to return
/// after a shutdown, by default.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Configures and starts the cores: one thread, one [`Runtime`](crate::Runtime) and
/// one factory future per core.
///
/// ```
/// let squares = wakeful::cores::Builder::new()
///     .cores(3)
///     .event_interval(31)
///     .run(|core| async move { core.index() * core.index() })?;
/// assert_eq!(squares, [0, 1, 4]);
/// # Ok::<(), wakeful::cores::CoresError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    /// `None`: the available parallelism, read at `start`.
    cores: Option<usize>,
    pin: bool,
    runtime: crate::Builder,
    shutdown_timeout: Duration,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// One core per CPU this process may use (`std::thread::available_parallelism`,
    /// 1 if unknown), unpinned, with the default runtime settings.
    pub fn new() -> Builder {
        Builder {
            cores: None,
            pin: false,
            runtime: crate::Builder::default(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    /// The number of cores (threads, runtimes). Zero, or more than [`MAX_CORES`],
    /// is refused by `run` (and `Cores::join`) with an `InvalidInput` error.
    pub fn cores(mut self, cores: usize) -> Builder {
        self.cores = Some(cores);
        self
    }

    /// Pins core `i`'s thread to the `i`-th CPU the process may run on (modulo
    /// their number) with `sched_setaffinity` on Linux (default false). A no-op on
    /// other systems. Failing to pin is that core's error.
    ///
    /// ```
    /// let ran = wakeful::cores::Builder::new().cores(2).pin(true).run(|core| async move { core.index() })?;
    /// assert_eq!(ran, [0, 1]);
    /// # Ok::<(), wakeful::cores::CoresError>(())
    /// ```
    pub fn pin(mut self, pin: bool) -> Builder {
        self.pin = pin;
        self
    }

    /// Each runtime's [`event_interval`](crate::Builder::event_interval).
    pub fn event_interval(mut self, polls: u32) -> Builder {
        self.runtime = self.runtime.event_interval(polls);
        self
    }

    /// Each runtime's [`start_paused`](crate::Builder::start_paused): every core has
    /// its own clock.
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.runtime = self.runtime.start_paused(paused);
        self
    }

    /// After a shutdown, how long a core whose future listens for the signal
    /// ([`Core::shutdown_requested`](super::Core::shutdown_requested)) may take to
    /// return before it is dropped too (default 10 s; `Duration::MAX`: no limit). Real
    /// time, as tokio's: a [paused](Self::start_paused) clock does not shorten it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let err = wakeful::cores::Builder::new()
    ///     .cores(1)
    ///     .shutdown_timeout(Duration::from_millis(10))
    ///     .run(|core| async move {
    ///         let _stop = core.shutdown_requested(); // promises to stop, never does
    ///         core.handle().shutdown();
    ///         std::future::pending::<()>().await
    ///     })
    ///     .unwrap_err();
    /// assert!(err.is_shutdown());
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Builder {
        self.shutdown_timeout = timeout;
        self
    }

    /// Starts the cores, runs `factory`'s future on each, and blocks until every one
    /// ended; returns their outputs in core order. See [`start`](Self::start) for what
    /// the factory may be, and [`CoresError`] for what can go wrong.
    ///
    /// # Errors
    /// Besides those of [`Cores::join`]: called inside a runtime (a task, a
    /// `block_on` future), it refuses to block that runtime's thread.
    pub fn run<F, Fut>(self, factory: F) -> Result<Vec<Fut::Output>, CoresError>
    where
        F: Fn(super::Core) -> Fut + Send + Sync + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        // Any executor's run loop on this thread, with or without a reactor.
        if wakeful_executor::current_stats().is_some() {
            return Err(CoresError::inside_runtime());
        }
        self.start(factory).join()
    }

    /// Starts the cores without waiting: each thread builds its runtime and calls
    /// `factory` with its [`Core`](super::Core); the future it returns (which need not
    /// be `Send`) is that core's main future. A core whose future returned keeps
    /// running its tasks and serving [`spawn_on`](super::Handle::spawn_on) until
    /// every core's future has ended (or a shutdown); then every runtime is dropped
    /// with its remaining tasks.
    /// Errors (a bad core count, a thread the OS refused) are reported by
    /// [`Cores::join`].
    ///
    /// ```
    /// let cores = wakeful::cores::Builder::new().cores(2).start(|core| async move {
    ///     core.shutdown_requested().await;
    ///     core.index()
    /// });
    /// cores.handle().shutdown();
    /// assert_eq!(cores.join()?, [0, 1]);
    /// # Ok::<(), wakeful::cores::CoresError>(())
    /// ```
    pub fn start<F, Fut>(self, factory: F) -> Cores<Fut::Output>
    where
        F: Fn(super::Core) -> Fut + Send + Sync + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let count = self.cores.unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()));
        // A bad count gets a handle to no core, and its error from `join`.
        let valid = (1..=MAX_CORES).contains(&count);
        let (shared, mailboxes) = Shared::new(if valid { count } else { 0 });
        let handle = Handle { shared };
        let mut cores =
            Cores { handle: handle.clone(), threads: Vec::with_capacity(mailboxes.len()), error: None };
        if !valid {
            cores.error = Some(CoresError::count(count));
            return cores;
        }
        let factory = Arc::new(factory);
        for (index, mailbox) in mailboxes.into_iter().enumerate() {
            let setup = core_thread::Setup {
                index,
                handle: handle.clone(),
                mailbox,
                pin: self.pin,
                runtime: self.runtime.clone(),
                shutdown_timeout: self.shutdown_timeout,
            };
            let factory = factory.clone();
            let spawned = thread::Builder::new()
                .name(format!("wakeful-core-{index}"))
                .spawn(move || core_thread::run(setup, &*factory));
            match spawned {
                Ok(thread) => cores.threads.push(thread),
                Err(err) => {
                    // The cores already started are stopped; `join` reports this one.
                    cores.error = Some(CoresError::spawn(index, err));
                    handle.shutdown();
                    break;
                }
            }
        }
        cores
    }
}

/// Cores started by [`Builder::start`]. Dropping it without [`join`](Self::join)
/// shuts every core down and waits for their threads.
///
/// ```
/// let cores = wakeful::cores::Builder::new().cores(2).start(|_core| std::future::pending::<()>());
/// assert_eq!(cores.handle().cores(), 2);
/// drop(cores); // shut down (the futures are dropped) and joined
/// ```
#[derive(Debug)]
pub struct Cores<T> {
    handle: Handle,
    threads: Vec<thread::JoinHandle<Outcome<T>>>,
    /// An error of the start itself, reported by `join` after the threads ended.
    error: Option<CoresError>,
}

impl<T> Cores<T> {
    /// A handle to every core.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Blocks until every core ended; their outputs in core order.
    ///
    /// # Errors
    /// The first (by core number) of: a core whose factory or future panicked (the
    /// others were shut down), whose thread or runtime could not be set up, or —
    /// only if nothing else failed — whose future a shutdown dropped before it
    /// returned ([`CoresError::is_shutdown`]); and a bad core count.
    pub fn join(mut self) -> Result<Vec<T>, CoresError> {
        let threads = std::mem::take(&mut self.threads);
        let mut outputs = Vec::with_capacity(threads.len());
        let mut first_error: Option<CoresError> = self.error.take();
        for (index, thread) in threads.into_iter().enumerate() {
            let outcome = thread.join().unwrap_or_else(|payload| Err(CoresError::panicked(index, &*payload)));
            match outcome {
                Ok(output) => outputs.push(output),
                Err(err) => {
                    let replace = match &first_error {
                        None => true,
                        Some(first) => err.is_cause() && !first.is_cause(),
                    };
                    if replace {
                        first_error = Some(err);
                    }
                }
            }
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(outputs),
        }
    }
}

impl<T> Drop for Cores<T> {
    fn drop(&mut self) {
        if self.threads.is_empty() {
            return;
        }
        self.handle.shutdown();
        for thread in self.threads.drain(..) {
            drop(thread.join());
        }
    }
}
