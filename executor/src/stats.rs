//! [`Stats`]: what a runtime counts. Kept by the [`Scheduler`](crate::scheduler::Scheduler)
//! and handed out by [`Runtime::stats`](crate::Runtime::stats) and
//! [`current_stats`](crate::current_stats).

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
    /// Calls to [`Park::park`](crate::Park::park), blocking or not.
    pub parks: u64,
    /// Tasks spawned.
    pub tasks_spawned: u64,
    /// Tasks spawned and not yet finished.
    pub tasks_alive: u64,
}
