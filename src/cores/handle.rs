//! [`Handle`]: what every core and thread holds to reach the cores; [`Core`]: what a
//! factory is given.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::remote_task::{remote_task, RemoteJoinHandle};
use super::shutdown::{ShutdownRequested, Signal};
use crate::sync::remote::{mpsc, oneshot};
use crate::Stats;

/// A unit of work for a core, run by its mailbox task on arrival.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// What the cores share.
pub(crate) struct Shared {
    /// One mailbox per core: the remote channel its mailbox task reads. Sending
    /// wakes that task through the executor's remote queue and one coalesced unpark.
    mailboxes: Vec<mpsc::UnboundedSender<Job>>,
    pub(crate) shutdown: Arc<Signal>,
    /// Per core: some future asked for the shutdown signal on its behalf, so its
    /// factory future is trusted to end by itself after a shutdown (see `drive`).
    listening: Vec<AtomicBool>,
    /// Per core: its counters when its runtime ended, for `stats` after that.
    final_stats: Mutex<Vec<Option<Stats>>>,
    /// Cores whose factory future has not ended yet; the last one to end fires
    /// `all_ended`. Until then a core whose future returned keeps running its tasks
    /// and its mailbox, so that it can still be spawned on.
    running: AtomicUsize,
    pub(crate) all_ended: Arc<Signal>,
}

impl Shared {
    pub(crate) fn new(cores: usize) -> (Arc<Shared>, Vec<mpsc::UnboundedReceiver<Job>>) {
        let (mailboxes, receivers) = (0..cores).map(|_| mpsc::unbounded_channel()).unzip();
        let shared = Shared {
            mailboxes,
            shutdown: Arc::default(),
            listening: (0..cores).map(|_| AtomicBool::new(false)).collect(),
            final_stats: Mutex::new(vec![None; cores]),
            running: AtomicUsize::new(cores),
            all_ended: Arc::default(),
        };
        (Arc::new(shared), receivers)
    }

    pub(crate) fn is_listening(&self, core: usize) -> bool {
        self.listening[core].load(Ordering::Acquire)
    }

    /// A core's factory future ended (returned, panicked, or was dropped).
    pub(crate) fn factory_ended(&self) {
        if self.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.all_ended.fire();
        }
    }

    pub(crate) fn set_final_stats(&self, core: usize, stats: Stats) {
        self.final_stats.lock().unwrap_or_else(PoisonError::into_inner)[core] = Some(stats);
    }

    fn final_stats(&self, core: usize) -> Stats {
        self.final_stats.lock().unwrap_or_else(PoisonError::into_inner)[core].unwrap_or_default()
    }
}

/// Reaches every core from any core or thread: `Send + Sync + Clone`. Spawns work on
/// a core ([`spawn_on`](Self::spawn_on)), reads counters ([`stats`](Self::stats)),
/// and shuts every core down ([`shutdown`](Self::shutdown)). It stays usable after
/// the cores ended: spawns then resolve to a cancelled `JoinError`, and `stats`
/// gives each core's last counters.
///
/// ```
/// use wakeful::cores::Builder;
///
/// // From a plain thread: start, spawn on core 1, stop.
/// let cores = Builder::new().cores(2).start(|core| async move { core.shutdown_requested().await });
/// let handle = cores.handle();
/// let on_1 = handle.spawn_on(1, || async { wakeful::cores::current_index() });
/// assert_eq!(on_1.join().unwrap(), Some(1));
/// handle.shutdown();
/// cores.join()?;
/// # Ok::<(), wakeful::cores::CoresError>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// The number of cores.
    pub fn cores(&self) -> usize {
        self.shared.mailboxes.len()
    }

    /// Runs `make` on core `core`, in a new task there, and the future it returns to
    /// its end. `make` is `Send`; the future need not be (it is built on arrival);
    /// its output must be `Send`. Never waits: the job is queued in the core's
    /// mailbox, which its runtime drains at its next turn.
    ///
    /// The handle resolves to a `JoinError` if `make` or the future panics, if the
    /// task is [aborted](RemoteJoinHandle::abort), or if core `core` ended before the
    /// task did (or ever started it). Dropping the handle detaches the task.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let outputs = wakeful::cores::Builder::new().cores(2).run(|core| async move {
    ///     if core.index() == 1 {
    ///         return 0;
    ///     }
    ///     let name = String::from("sent");
    ///     let len = core.handle().spawn_on(1, move || {
    ///         let local = Rc::new(name); // !Send, made on core 1
    ///         async move { local.len() }
    ///     });
    ///     len.await.unwrap()
    /// })?;
    /// assert_eq!(outputs, [4, 0]);
    /// # Ok::<(), wakeful::cores::CoresError>(())
    /// ```
    ///
    /// # Panics
    /// If `core` is not below [`cores`](Self::cores), as indexing would.
    #[track_caller] // the task's record names the caller (`TaskInfo::location`)
    pub fn spawn_on<M, Fut>(&self, core: usize, make: M) -> RemoteJoinHandle<Fut::Output>
    where
        M: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let mailbox = self.mailbox(core, "spawn_on");
        let (job, handle) = remote_task(core, make, std::panic::Location::caller());
        // A closed mailbox (the core ended) hands the job back: dropping it drops the
        // output's sender, and the handle reports a cancelled task.
        drop(mailbox.send(job));
        handle
    }

    /// Each core's counters, in core order: asked of each running core through its
    /// mailbox (so awaited, from any task or, with `wakeful::block_on`, any plain
    /// thread); a core that ended gives its last counters, one that never started
    /// zeros.
    ///
    /// ```
    /// let stats = wakeful::cores::Builder::new().cores(2).run(|core| async move {
    ///     wakeful::yield_now().await;
    ///     core.handle().stats().await
    /// })?;
    /// assert!(stats.iter().all(|per_core| per_core.len() == 2 && per_core.iter().all(|s| s.polls > 0)));
    /// # Ok::<(), wakeful::cores::CoresError>(())
    /// ```
    pub async fn stats(&self) -> Vec<Stats> {
        let replies: Vec<_> = self
            .shared
            .mailboxes
            .iter()
            .map(|mailbox| {
                let (tx, rx) = oneshot::channel();
                let job: Job = Box::new(move || {
                    // Fails only if the asker gave up waiting.
                    let _ = tx.send(crate::stats().unwrap_or_default());
                });
                drop(mailbox.send(job));
                rx
            })
            .collect();
        let mut stats = Vec::with_capacity(replies.len());
        for (core, reply) in replies.into_iter().enumerate() {
            stats.push(reply.await.unwrap_or_else(|_| self.shared.final_stats(core)));
        }
        stats
    }

    /// The sum of every core's [`stats`](Self::stats).
    ///
    /// ```
    /// let handle = wakeful::cores::Builder::new().cores(2).run(|core| async move { core.handle() })?;
    /// // After the cores ended: their last counters, summed.
    /// let total = wakeful::block_on(handle[0].total_stats());
    /// assert!(total.polls >= 2);
    /// # Ok::<(), wakeful::cores::CoresError>(())
    /// ```
    pub async fn total_stats(&self) -> Stats {
        self.stats().await.into_iter().sum()
    }

    /// Asks every core to stop. Each core's [`shutdown_signal`](Self::shutdown_signal)
    /// fires; a core whose future asked for that signal is left to return by itself
    /// (within [`Builder::shutdown_timeout`](super::Builder::shutdown_timeout)); any
    /// other core's future is dropped at its next turn. Then each core's runtime is
    /// dropped with its tasks, and `run` returns. Never waits; calling it again, or
    /// after the cores ended, does nothing.
    pub fn shutdown(&self) {
        self.shared.shutdown.fire();
    }

    /// Whether [`shutdown`](Self::shutdown) was called (or a core failed).
    pub fn is_shutdown(&self) -> bool {
        self.shared.shutdown.is_fired()
    }

    /// A future that completes when the cores are asked to stop, for core `core` to
    /// select on in a graceful stop. Asking for it tells the cores that core `core`
    /// ends by itself after a shutdown: its future is not dropped at once (see
    /// [`shutdown`](Self::shutdown)). [`Core::shutdown_requested`] is the same for
    /// one's own core.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cores = wakeful::cores::Builder::new()
    ///     .cores(2)
    ///     .shutdown_timeout(Duration::from_millis(10))
    ///     .start(|_core| std::future::pending::<()>());
    /// let handle = cores.handle();
    /// let signal = handle.shutdown_signal(0);
    /// assert!(!signal.is_requested());
    /// handle.shutdown();
    /// wakeful::block_on(signal); // completes at once now
    /// // Core 0 was to end by itself, yet its future never returns: it is dropped
    /// // after the shutdown timeout. Core 1, for which nobody asked, at once.
    /// let err = cores.join().unwrap_err();
    /// assert!(err.is_shutdown() && err.core() == Some(0));
    /// ```
    ///
    /// # Panics
    /// If `core` is not below [`cores`](Self::cores).
    pub fn shutdown_signal(&self, core: usize) -> ShutdownRequested {
        self.mailbox(core, "shutdown_signal");
        self.shared.listening[core].store(true, Ordering::Release);
        ShutdownRequested::new(self.shared.shutdown.clone())
    }

    fn mailbox(&self, core: usize, what: &str) -> &mpsc::UnboundedSender<Job> {
        match self.shared.mailboxes.get(core) {
            Some(mailbox) => mailbox,
            None => panic!("wakeful::cores::Handle::{what}: no core {core} (there are {})", self.cores()),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("cores", &self.cores()).field("shutdown", &self.is_shutdown()).finish()
    }
}

/// What a core's factory is given: which core it builds for, and a [`Handle`] to
/// all of them. `Send + Sync + Clone`.
#[derive(Clone, Debug)]
pub struct Core {
    pub(crate) index: usize,
    pub(crate) handle: Handle,
}

impl Core {
    /// This core's number, from 0 to [`cores`](Self::cores)` - 1`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The number of cores.
    pub fn cores(&self) -> usize {
        self.handle.cores()
    }

    /// A handle to every core.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Completes when the cores are asked to stop; the future of a server that
    /// stops gracefully selects on it and returns. Asking for it means this core's
    /// future ends by itself after a shutdown, so that its output is returned: see
    /// [`Handle::shutdown`].
    ///
    /// ```
    /// use wakeful::cores::Builder;
    ///
    /// let served = Builder::new().cores(2).run(|core| async move {
    ///     let stop = core.shutdown_requested();
    ///     if core.index() == 1 {
    ///         core.handle().shutdown();
    ///     }
    ///     stop.await;
    ///     "stopped gracefully"
    /// })?;
    /// assert_eq!(served, ["stopped gracefully"; 2]);
    /// # Ok::<(), wakeful::cores::CoresError>(())
    /// ```
    pub fn shutdown_requested(&self) -> ShutdownRequested {
        self.handle.shutdown_signal(self.index)
    }
}
