//! Past one core: N single-threaded runtimes, one per thread (per CPU, if
//! [pinned](Builder::pin)), started and stopped from one call.
//!
//! Each core is a plain [`Runtime`](crate::Runtime): its tasks stay `!Send`, and
//! nothing is shared between cores unless sent on purpose. A `Send` factory builds
//! each core's main future on that core; [`Builder::run`] returns their outputs once
//! every one has returned. Until then a core whose future returned still runs its
//! tasks and serves [`Handle::spawn_on`]; then every runtime is dropped with the
//! tasks it still had.
//!
//! ```
//! use std::net::SocketAddr;
//! use wakeful::net::{TcpListener, TcpStream};
//! use wakeful::io::{AsyncReadExt, AsyncWriteExt};
//!
//! // A free port, picked before the cores start and held (bound, not listening)
//! // until they have bound theirs: see "Listeners" below.
//! let placeholder = wakeful::net::TcpSocket::new_v4()?;
//! placeholder.set_reuseport(true)?;
//! placeholder.bind("127.0.0.1:0".parse().unwrap())?;
//! let addr: SocketAddr = placeholder.local_addr()?;
//! let accepted = wakeful::cores::Builder::new().cores(2).run(move |core| async move {
//!     let listener = TcpListener::bind_reuseport(addr)?;
//!     let stop = core.shutdown_requested();
//!     if core.index() == 0 {
//!         // One client here, then stop every core.
//!         let handle = core.handle();
//!         wakeful::spawn(async move {
//!             let mut client = TcpStream::connect(addr).await?;
//!             client.write_all(b"ping").await?;
//!             let mut reply = [0; 4];
//!             client.read_exact(&mut reply).await?;
//!             assert_eq!(&reply, b"ping");
//!             handle.shutdown();
//!             Ok::<(), std::io::Error>(())
//!         });
//!     }
//!     let mut accepted = 0;
//!     let mut stop = std::pin::pin!(stop);
//!     loop {
//!         wakeful::select! {
//!             _ = &mut stop => return Ok::<usize, std::io::Error>(accepted),
//!             conn = listener.accept() => {
//!                 let (mut stream, _) = conn?;
//!                 accepted += 1;
//!                 wakeful::spawn(async move {
//!                     let mut buf = [0; 4];
//!                     stream.read_exact(&mut buf).await?;
//!                     stream.write_all(&buf).await
//!                 });
//!             }
//!         }
//!     }
//! })?;
//! drop(placeholder);
//! let total: usize = accepted.into_iter().map(|per_core| per_core.unwrap()).sum();
//! assert_eq!(total, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crossing cores
//!
//! Any core or thread reaches the others through a [`Handle`] (`Send + Sync +
//! Clone`, from [`Core::handle`] or [`Cores::handle`]):
//!
//! - [`Handle::spawn_on`]`(i, make)` sends the `Send` closure `make` to core `i`,
//!   which calls it there and runs the (maybe `!Send`) future it returns as a task;
//!   the [`RemoteJoinHandle`] is awaitable anywhere, or [`join`](RemoteJoinHandle::join)ed
//!   from a plain thread.
//! - Channels between cores are [`sync::remote`](crate::sync::remote)'s `mpsc` and
//!   `oneshot`, whose halves are `Send`.
//!
//! Both ride the executor's remote queue: a message or a job wakes the receiving
//! task, and a wake from another thread queues it and unparks that core's reactor
//! once (wakes that arrive while it is unparked coalesce).
//!
//! ```
//! use wakeful::sync::remote::mpsc;
//! use std::sync::Mutex;
//!
//! // Core 0 sends 1000 pings to core 1, which answers each.
//! let (ping_tx, ping_rx) = mpsc::channel::<u32>(16);
//! let (pong_tx, pong_rx) = mpsc::channel::<u32>(16);
//! let ends = Mutex::new((Some((ping_tx, pong_rx)), Some((ping_rx, pong_tx))));
//! let sums = wakeful::cores::Builder::new().cores(2).run(move |core| {
//!     // Each core takes its own ends of the two channels.
//!     let mut ends = ends.lock().unwrap();
//!     let (pinger, ponger) = if core.index() == 0 { (ends.0.take(), None) } else { (None, ends.1.take()) };
//!     drop(ends);
//!     async move {
//!         let mut sum = 0u64;
//!         if let Some((tx, mut rx)) = pinger {
//!             for n in 0..1000 {
//!                 tx.send(n).await.unwrap();
//!                 sum += u64::from(rx.recv().await.unwrap());
//!             }
//!         } else if let Some((mut rx, tx)) = ponger {
//!             while let Some(n) = rx.recv().await {
//!                 sum += u64::from(n);
//!                 tx.send(n).await.unwrap();
//!             }
//!         }
//!         sum
//!     }
//! })?;
//! assert_eq!(sums, [499_500, 499_500]);
//! # Ok::<(), wakeful::cores::CoresError>(())
//! ```
//!
//! # Listeners: one per core, on one port
//!
//! Each core binds its own [`TcpListener::bind_reuseport`](crate::net::TcpListener::bind_reuseport)
//! to the same address; on Linux (and FreeBSD with `SO_REUSEPORT_LB`'s default
//! hashing where available) the kernel spreads new connections over them, and each
//! connection is served by the core that accepted it. For port 0, pick the port
//! once and pass the `SocketAddr` to the factory: either bind a
//! [`TcpSocket`](crate::net::TcpSocket) with `SO_REUSEPORT` (not `SO_REUSEADDR`,
//! which would let any `SO_REUSEADDR` bind in) on the calling thread and keep it,
//! bound but not listening, until the cores have bound (as above, on Linux: it
//! holds the port and takes no connection), or let
//! core 0 bind first and send its address to the others over a `remote::oneshot`
//! (everywhere; `examples/shared/reuseport.rs`). Do not pick the port with a
//! listener dropped before `run`: the port is then free until the cores bind, and
//! a plain listener that takes it makes every core's bind fail, while another
//! `SO_REUSEPORT` socket of the same user is silently given a share of the
//! connections. (Any socket of the same user with `SO_REUSEPORT` can join a fixed
//! port too: that is how reuseport works.)
//!
//! macOS accepts `SO_REUSEPORT` but does not balance: the last socket bound gets
//! every connection. There, bind one `std::net::TcpListener` before `run`, give each
//! core its own [`try_clone`](std::net::TcpListener::try_clone), and wrap it with
//! [`TcpListener::from_std`](crate::net::TcpListener::from_std) on that core: every
//! core waits on the same queue, and whichever accepts first serves the connection.
//!
//! # Shutting down
//!
//! [`Handle::shutdown`] (or a core that panicked) fires every core's shutdown signal.
//! A core whose future asked for it ([`Core::shutdown_requested`],
//! [`Handle::shutdown_signal`]) is left to return its output by itself, within
//! [`Builder::shutdown_timeout`]; any other core's future is dropped at once, and
//! `run` then reports [`CoresError::is_shutdown`] for it. Then each runtime drops
//! its tasks, and `run` returns. One Ctrl-C for every core:
//!
//! ```no_run
//! wakeful::cores::Builder::new().run(|core| async move {
//!     if core.index() == 0 {
//!         let handle = core.handle();
//!         wakeful::spawn(async move {
//!             if wakeful::signal::ctrl_c().await.is_ok() {
//!                 handle.shutdown();
//!             }
//!         });
//!     }
//!     core.shutdown_requested().await; // ... or serve until then
//! })?;
//! # Ok::<(), wakeful::cores::CoresError>(())
//! ```
//!
//! # Differences from tokio's multi-thread runtime
//!
//! - No work stealing: a task stays on the core that spawned it, and need not be
//!   `Send`. Only what crosses cores (a `spawn_on` closure and output, a channel's
//!   messages) must be.
//! - `spawn` spawns on the current core; `Handle::spawn_on` names the core.
//! - Per-core counters: [`Handle::stats`] (awaited, as each core answers for itself).

mod affinity;
mod builder;
mod core_thread;
mod error;
mod handle;
mod remote_task;
mod shutdown;

pub use builder::{Builder, Cores, DEFAULT_SHUTDOWN_TIMEOUT, MAX_CORES};
pub use core_thread::current_index;
pub use error::CoresError;
pub use handle::{Core, Handle};
pub use remote_task::RemoteJoinHandle;
pub use shutdown::ShutdownRequested;

impl std::iter::Sum for crate::Stats {
    /// Adds every counter; [`Handle::total_stats`] sums the cores'.
    fn sum<I: Iterator<Item = crate::Stats>>(iter: I) -> crate::Stats {
        iter.fold(crate::Stats::default(), |a, b| crate::Stats {
            polls: a.polls + b.polls,
            wakes_local: a.wakes_local + b.wakes_local,
            wakes_remote: a.wakes_remote + b.wakes_remote,
            reactor_turns: a.reactor_turns + b.reactor_turns,
            events: a.events + b.events,
            timers_fired: a.timers_fired + b.timers_fired,
            tasks_spawned: a.tasks_spawned + b.tasks_spawned,
            tasks_alive: a.tasks_alive + b.tasks_alive,
            timers_pending: a.timers_pending + b.timers_pending,
            sources: a.sources + b.sources,
            clock_auto_advances: a.clock_auto_advances + b.clock_auto_advances,
        })
    }
}
