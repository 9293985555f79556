//! wakeful's glue between the [executor](wakeful_executor) and the
//! [reactor](wakeful_reactor): the types async code uses to wait on the outside world.
//!
//! - [`tcp`]: `TcpListener`, `TcpStream` (and halves), `TcpSocket`.
//! - [`UdpSocket`].
//! - [`unix`]: `UnixListener`, `UnixStream` (and halves), `UnixDatagram`.
//! - [`AsyncFd`]: any other fd (a pipe, a tty, an inotify fd).
//! - [`io`]: the `futures-io` traits on every stream (and tokio's with `tokio-io`),
//!   extension methods, `copy`, `BufReader`, `BufWriter`.
//! - [`time`]: `sleep`, `timeout`, `interval`, backed by the reactor's timer wheel.
//! - [`signal`]: `ctrl_c`, and a stream of deliveries of any Unix signal.
//! - [`context`]: how those types find the reactor of the current thread, and the
//!   executor's `Park` implemented by turning that reactor.
//!
//! Every I/O type is built on one readiness primitive (`io_source.rs`): try the
//! syscall, and only on `WouldBlock` clear the cached readiness and wait.
//!
//! These types belong to the thread whose runtime created them (`!Send`), like the
//! tasks that use them. Used outside a runtime, they fail with an error saying so,
//! never hang.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

mod accept;
mod addr;
mod async_fd;
pub mod context;
pub mod io;
mod io_source;
pub mod signal;
mod split;
mod stream;
mod sys;
pub mod tcp;
pub mod time;
mod udp;
pub mod unix;

pub use addr::ToSocketAddrs;
pub use async_fd::{AsyncFd, AsyncFdReadyGuard, TryIoError};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};
