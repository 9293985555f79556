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

pub mod cores;
mod macros;
mod runtime;
pub mod stream;
mod task_builder;
pub mod trace;

#[doc(hidden)]
pub mod __private {
    //! For the exported macros only; not part of the API.
    pub use crate::macros::{random_below, MaybeDone};
}

pub use wakeful_executor as executor;
pub use wakeful_executor::{spawn, yield_now, JoinError, JoinHandle, LongPoll, LostWaker, Report};
pub use wakeful_executor::{PollOutcome, Polled, RunUntilStalled, Step, WokenTask};
pub use wakeful_net::{fs, io, signal, time};
pub use wakeful_reactor as reactor;
pub use wakeful_sync as sync;

pub use runtime::{block_on, stats, Builder, Runtime, Stats};

#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "macros")]
#[doc = include_str!("../macros/docs/main.md")]
pub use wakeful_macros::main;
#[cfg(feature = "macros")]
#[doc = include_str!("../macros/docs/test.md")]
pub use wakeful_macros::test;

/// Tasks: spawning, yielding, joining one ([`task::JoinHandle`]) or many
/// ([`task::JoinSet`]), and aborting; ids ([`task::id`]), names
/// ([`task::Builder`]), records of every live task ([`task::tasks`]), and a dump of
/// what each waits on ([`task::dump`]).
///
/// ```
/// use wakeful::task;
///
/// wakeful::block_on(async {
///     let handle = task::Builder::new().name("ticker").spawn(async { task::yield_now().await })?;
///     let info = task::tasks().into_iter().find(|info| info.id == handle.id()).unwrap();
///     assert_eq!((info.name.as_deref(), info.location.file()), (Some("ticker"), file!()));
///     handle.await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
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
/// - [`spawn_blocking`](task::spawn_blocking) runs on one pool per process, configured
///   through [`task::blocking`] rather than the runtime's builder.
pub mod task {
    pub use crate::task_builder::Builder;
    pub use wakeful_executor::task::{
        id, tasks, try_id, wake_with_cause, Id, IoEvents, TaskInfo, TaskState, WakeCause, WakeKind, Wakes,
    };
    pub use wakeful_executor::task::{Dump, TaskDump, WaitsOn};
    pub use wakeful_executor::{spawn, yield_now, AbortHandle, JoinError, JoinHandle, JoinSet};
    pub use wakeful_net::blocking::{self, spawn_blocking};
    pub use wakeful_net::dump::dump;
}

/// Networking: TCP, UDP, Unix sockets, and any fd through [`AsyncFd`](net::AsyncFd).
pub mod net {
    pub use wakeful_net::tcp::{self, TcpListener, TcpSocket, TcpStream};
    pub use wakeful_net::unix::{self, UnixDatagram, UnixListener, UnixStream};
    pub use wakeful_net::{AsyncFd, AsyncFdReadyGuard, Interest, ToSocketAddrs, TryIoError, UdpSocket};
}
