//! hyper 1.x on wakeful: the runtime traits of `hyper::rt` (I/O, executor, timer),
//! with the `hyper` feature.
//!
//! | hyper needs | wakeful gives |
//! |---|---|
//! | `rt::Read` / `rt::Write` (a connection) | [`HyperIo`] over any wakeful stream |
//! | `rt::Executor` (connection and HTTP/2 tasks) | [`HyperExecutor`] |
//! | `rt::Timer` (header and keep-alive timeouts) | [`HyperTimer`], whose [`HyperSleep`] is `Send + Sync` |
//!
//! A server and hyper's client, one request, on one runtime (hyper's `server`,
//! `client` and `http1` features, and `http-body-util` and `bytes`, are the
//! program's own dependencies):
//!
//! ```
//! use std::convert::Infallible;
//! use std::time::Duration;
//!
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Full};
//! use hyper::rt::Executor;
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//! use wakeful::hyper::{HyperExecutor, HyperIo, HyperTimer};
//! use wakeful::net::{TcpListener, TcpStream};
//!
//! async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
//! }
//!
//! wakeful::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     HyperExecutor.execute(async move {
//!         // A real server loops on accept, executing one such task per connection.
//!         let (stream, _) = listener.accept().await.expect("accept");
//!         let connection = hyper::server::conn::http1::Builder::new()
//!             .timer(HyperTimer)
//!             .header_read_timeout(Duration::from_secs(10))
//!             .serve_connection(HyperIo::new(stream), service_fn(hello));
//!         let _ = connection.await;
//!     });
//!
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut sender, connection) =
//!         hyper::client::conn::http1::handshake(HyperIo::new(stream)).await.expect("handshake");
//!     HyperExecutor.execute(connection);
//!     let request = Request::get("/").header("host", "localhost").body(Full::new(Bytes::new())).unwrap();
//!     let response = sender.send_request(request).await.expect("response");
//!     assert_eq!(response.status(), 200);
//!     assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), "hello");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Differences from hyper-util
//! The same three roles as hyper-util's `TokioIo`, `TokioExecutor` and `TokioTimer`:
//! - [`HyperIo`] is `TokioIo` over `futures-io`'s traits instead of tokio's. Reads
//!   zero the part of hyper's buffer they offer (at most 64 KiB) first, as
//!   `futures-io` readers take initialised memory; `is_write_vectored` is always true
//!   (`futures-io` cannot ask the stream). Set `TcpStream::set_nodelay(true)` on
//!   connections, as `examples/hyper` does: hyper writes small responses whole, and
//!   Nagle's algorithm would hold each one back for the peer's delayed ACK.
//! - HTTP upgrades (`hyper::upgrade`, `with_upgrades`) need hyper to own the
//!   connection as `Send`, and wakeful's streams are `!Send`: not available over them.
//!   `HyperIo` over hyper's I/O (`futures-io` over an `Upgraded`) works for connections
//!   that are `Send`.
//! - [`HyperExecutor`] spawns on the current thread's runtime and needs no `Send`
//!   (tokio's needs it: it is `tokio::spawn`, not `spawn_local`). Outside a runtime it
//!   panics, as `TokioExecutor` does.
//! - [`HyperTimer`]'s sleeps are `Send + Sync` although wakeful's timers belong to one
//!   thread: moved to another thread, a [`HyperSleep`] registers with the runtime that
//!   polls it there, and leaves its old timer for that timer's own thread to remove
//!   (it may fire once meanwhile: a spurious wake). `TokioTimer` does not override
//!   `Timer::now`, and neither does this: there is no paused clock for hyper here.
//! - Nothing of hyper-util's `server::conn::auto`, `client::legacy` or graceful
//!   shutdown helpers: the executor, timer and I/O here are what those take.

mod executor;
mod io;
mod timer;

pub use executor::HyperExecutor;
pub use io::HyperIo;
pub use timer::{HyperSleep, HyperTimer};
