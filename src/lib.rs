//! # wakeful
//!
//! A small, fast, single-threaded async runtime: plain `async fn` code over an
//! epoll/kqueue reactor, in three crates a reader can follow end to end.
//!
//! | crate              | holds                                                   |
//! |--------------------|---------------------------------------------------------|
//! | [`reactor`]        | the OS side: selector, registrations, timer wheel       |
//! | [`executor`]       | tasks and wakers; makes no syscall of its own           |
//! | `wakeful-net`      | the glue: [`time`], and sockets that find the reactor   |
//!
//! ```
//! use std::time::Duration;
//!
//! let answer = wakeful::block_on(async {
//!     let task = wakeful::spawn(async {
//!         wakeful::time::sleep(Duration::from_millis(10)).await;
//!         42
//!     });
//!     task.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! # The life of one wakeup
//!
//! 1. A task polls a future that must wait (a [`time::Sleep`], a socket read). It
//!    gives the reactor a clone of its waker: a timer in the wheel
//!    (`reactor/src/timer_wheel.rs`) or a source's read waiters
//!    (`reactor/src/registration.rs`), and returns `Pending`.
//! 2. The executor's ready queue is empty, so it parks (`executor/src/runtime.rs`):
//!    the park is the reactor's turn (`net/src/context.rs`).
//! 3. The reactor blocks in `epoll_wait` / `kevent` (`reactor/src/sys/`) for at most
//!    the nearest timer's deadline, then takes the wakers of what became ready
//!    (`reactor/src/reactor.rs`, `Reactor::turn`).
//! 4. `wake()` (`executor/src/waker.rs`) pushes the task onto the local ready queue —
//!    or, from another thread, the remote queue plus an unpark (eventfd / `EVFILT_USER`).
//! 5. The executor pops the task and polls it again; the wait is over.

#![warn(missing_docs, missing_debug_implementations)]

use std::future::Future;

mod macros;
pub mod stream;

#[doc(hidden)]
pub mod __private {
    //! For the exported macros only; not part of the API.
    pub use crate::macros::{random_below, MaybeDone};
}

use std::rc::Rc;

pub use wakeful_executor as executor;
pub use wakeful_executor::{spawn, yield_now, JoinError, JoinHandle};
pub use wakeful_net::{fs, io, signal, time};
pub use wakeful_reactor as reactor;
pub use wakeful_sync as sync;

#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "macros")]
#[doc = include_str!("../macros/docs/main.md")]
pub use wakeful_macros::main;
#[cfg(feature = "macros")]
#[doc = include_str!("../macros/docs/test.md")]
pub use wakeful_macros::test;

/// Tasks: spawning, yielding, joining one ([`task::JoinHandle`]) or many
/// ([`task::JoinSet`]), and aborting.
///
/// ```
/// use wakeful::task::{self, JoinSet};
///
/// wakeful::block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..3 {
///         set.spawn(async move { task::yield_now().await; i * 2 });
///     }
///     let mut sum = 0;
///     while let Some(result) = set.join_next().await {
///         sum += result.unwrap();
///     }
///     assert_eq!(sum, 6);
/// });
/// ```
///
/// # Differences from tokio
/// - Tasks run on the runtime of the thread that spawns them and need not be `Send`:
///   `spawn` is tokio's `spawn_local` without a `LocalSet`.
/// - Tasks have no ids (`task::id`, `JoinHandle::id`, `JoinSet::join_next_with_id`).
/// - [`spawn_blocking`](task::spawn_blocking) runs on one pool per process, configured
///   through [`task::blocking`] rather than the runtime's builder.
pub mod task {
    pub use wakeful_executor::{spawn, yield_now, AbortHandle, JoinError, JoinHandle, JoinSet};
    pub use wakeful_net::blocking::{self, spawn_blocking};
}

/// Networking: TCP, UDP, Unix sockets, and any fd through [`AsyncFd`](net::AsyncFd).
pub mod net {
    pub use wakeful_net::tcp::{self, TcpListener, TcpSocket, TcpStream};
    pub use wakeful_net::unix::{self, UnixDatagram, UnixListener, UnixStream};
    pub use wakeful_net::{AsyncFd, AsyncFdReadyGuard, Interest, ToSocketAddrs, TryIoError, UdpSocket};
}

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
    executor: wakeful_executor::Runtime,
    reactor: Rc<Reactor>,
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

    /// Creates the reactor (an epoll or kqueue fd and its unparker) and the executor.
    pub fn build(self) -> std::io::Result<Runtime> {
        let reactor = Rc::new(Reactor::new()?);
        if self.start_paused {
            reactor.pause();
        }
        let executor = self.executor.build_with_park(ReactorPark::new(reactor.clone()));
        Ok(Runtime { executor, reactor })
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
