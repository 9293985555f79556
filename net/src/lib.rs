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
//! - [`blocking`]: `spawn_blocking` and the process's pool of blocking threads.
//! - [`fs`]: files and directories, on the blocking pool.
//! - [`dump`]: task dumps that name the fds and timers tasks wait on.
//! - [`context`]: how those types find the reactor of the current thread, and the
//!   executor's `Park` implemented by turning that reactor.
//!
//! These types belong to the thread whose runtime created them (`!Send`), like the
//! tasks that use them. Used outside a runtime, they fail with an error saying so,
//! never hang.
//!
//! # Example
//!
//! ```
//! use wakeful::net::{TcpListener, TcpStream};
//!
//! wakeful::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = wakeful::spawn(async move {
//!         let (mut conn, _) = listener.accept().await?;
//!         let mut buf = [0; 4];
//!         conn.read_exact(&mut buf).await?;
//!         conn.write_all(&buf).await // echo it back
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"ping").await?;
//!     let mut reply = [0; 4];
//!     client.read_exact(&mut reply).await?;
//!     assert_eq!(&reply, b"ping");
//!     server.await.expect("the server task ran to the end")
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # In the life of one read
//!
//! Every I/O type is built on one readiness primitive (`src/io_source/`):
//!
//! 1. `conn.read(buf).await` spends a unit of the task's cooperative budget, then asks
//!    the reactor for the socket's cached readiness. If it says readable, `recv` runs
//!    at once — most reads never wait.
//! 2. When `recv` returns `WouldBlock`, the readiness that led to it is cleared and the
//!    task's waker is stored in the read future's own place among the socket's
//!    waiters. The future returns `Pending`; dropped now, it takes its waker back out.
//! 3. The executor, out of ready tasks, parks: `context` turns the reactor, which
//!    blocks in `epoll_wait` / `kevent` until the socket's event arrives.
//! 4. The reactor marks the socket readable and wakes the stored waker; the executor
//!    queues the task and polls it; the read tries `recv` again and returns the bytes.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

mod accept;
mod addr;
mod async_fd;
pub mod blocking;
pub mod context;
pub mod dump;
pub mod fs;
mod interest;
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
pub use interest::Interest;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};
