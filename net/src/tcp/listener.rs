//! [`TcpListener`]: accepting TCP connections.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;

use crate::accept::Acceptor;
use crate::addr::{try_each, ToSocketAddrs};
use crate::io_source::IoSource;
use crate::sys::addr::SockAddr;
use crate::sys::fd;
use crate::tcp::{TcpSocket, TcpStream};

/// A TCP socket listening for connections.
///
/// ```
/// use wakeful::net::{TcpListener, TcpStream};
///
/// wakeful::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server_side, peer) = listener.accept().await?;
///     assert_eq!(peer, client.local_addr()?);
///     assert_eq!(server_side.peer_addr()?, client.local_addr()?);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Running out of file descriptors
///
/// When `accept` fails with `EMFILE`/`ENFILE` (or `ENOBUFS`/`ENOMEM`), the pending
/// connection stays queued in the kernel, and retrying at once would spin at 100% CPU.
/// Instead the listener pauses — 1 ms, doubling up to 100 ms — and retries, so it
/// recovers by itself when descriptors are freed, without returning the error.
/// Connections that failed before they were accepted (`ECONNABORTED`, and the other
/// network errors Linux passes through `accept`) are skipped.
#[derive(Debug)]
pub struct TcpListener {
    source: IoSource<std::net::TcpListener>,
    acceptor: Acceptor,
}

impl TcpListener {
    /// Binds to `addr` (`SO_REUSEADDR` set, backlog 1024), trying each resolved
    /// address in turn. Port 0 picks a free port: see [`local_addr`](Self::local_addr).
    /// Cancel-safe: a socket made before the drop is closed with it.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        try_each(addr, "bind to", |addr| async move {
            let socket = TcpSocket::new_for(&addr)?;
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(1024)
        })
        .await
    }

    /// Binds one of several listeners to the same `addr`, one per core
    /// (`wakeful::cores`): `SO_REUSEADDR` and `SO_REUSEPORT` are set before the bind
    /// (on FreeBSD `SO_REUSEPORT_LB`), backlog 1024. Every socket bound to the port
    /// must be made so, by the same user. Registers with the runtime of this thread.
    ///
    /// On Linux and FreeBSD the kernel spreads new connections over the listeners by
    /// a hash of the client's address and port. macOS accepts the option but gives
    /// every connection to one socket: share one listener instead (each core wraps
    /// its own `std::net::TcpListener::try_clone` with [`from_std`](Self::from_std)).
    ///
    /// With port 0, the first bind picks the port: bind the others to
    /// [`local_addr`](Self::local_addr).
    ///
    /// ```
    /// use wakeful::net::{TcpListener, TcpStream};
    ///
    /// wakeful::block_on(async {
    ///     let first = TcpListener::bind_reuseport("127.0.0.1:0".parse().unwrap())?;
    ///     let second = TcpListener::bind_reuseport(first.local_addr()?)?;
    ///     assert_eq!(first.local_addr()?, second.local_addr()?);
    ///     let _client = TcpStream::connect(first.local_addr()?).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_reuseport(addr: SocketAddr) -> io::Result<TcpListener> {
        let bind = || {
            let socket = TcpSocket::new_for(&addr)?;
            socket.set_reuseaddr(true)?;
            socket.set_reuseport(true)?;
            #[cfg(target_os = "freebsd")]
            socket.set_reuseport_lb()?;
            socket.bind(addr)?;
            socket.listen(1024)
        };
        bind().map_err(|err| io::Error::new(err.kind(), format!("bind_reuseport to {addr}: {err}")))
    }

    /// A second listener on the same socket (a `dup` of its fd), registered with the
    /// runtime of this thread: both accept from the one queue. To share a listener
    /// between cores, clone the `std::net::TcpListener` instead, and wrap each clone
    /// with [`from_std`](Self::from_std) on its core (this type stays on its thread).
    ///
    /// ```
    /// use wakeful::net::{TcpListener, TcpStream};
    ///
    /// wakeful::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let clone = listener.try_clone()?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_, peer) = clone.accept().await?;
    ///     assert!(peer.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        let fd = fd::dup_cloexec(self.as_raw_fd())?;
        // The dup shares the open file, already listening and non-blocking.
        TcpListener::from_listening(std::net::TcpListener::from(fd))
    }

    pub(crate) fn from_listening(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener { source: IoSource::new_nonblocking(listener)?, acceptor: Acceptor::default() })
    }

    /// Wraps a listening std socket, making it non-blocking and registering it.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        fd::set_nonblocking(listener.as_raw_fd())?;
        TcpListener::from_listening(listener)
    }

    /// Deregisters and returns the std listener (still non-blocking).
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.source.into_inner()
    }

    /// Waits for a connection; returns it (non-blocking, registered) and its peer.
    ///
    /// Cancel-safe: if dropped before completion, no connection was taken.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (fd, addr) = self.acceptor.accept(&self.source).await?;
        self.accepted(fd, addr)
    }

    /// Polls for a connection; see [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (fd, addr) = ready!(self.acceptor.poll_accept(&self.source, cx))?;
        Poll::Ready(self.accepted(fd, addr))
    }

    fn accepted(&self, fd: OwnedFd, addr: SockAddr) -> io::Result<(TcpStream, SocketAddr)> {
        let stream = TcpStream::from_owned_nonblocking(fd)?;
        let addr = addr.as_inet().map_or_else(|| stream.peer_addr(), Ok)?;
        Ok((stream, addr))
    }

    /// The connections, as a `Stream` (never ends; errors are items).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The local address; with port 0 at bind, the port the OS picked.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of accepted connections' packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        self.source.get_ref().ttl()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

/// The connections of a [`TcpListener`], as a [`Stream`]; from
/// [`TcpListener::incoming`].
///
/// ```
/// use std::future::poll_fn;
/// use std::pin::Pin;
/// use futures_core::Stream;
/// use wakeful::net::{TcpListener, TcpStream};
///
/// wakeful::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let _client = TcpStream::connect(listener.local_addr()?).await?;
///     let mut incoming = listener.incoming();
///     let conn = poll_fn(|cx| Pin::new(&mut incoming).poll_next(cx)).await.unwrap()?;
///     assert!(conn.peer_addr()?.ip().is_loopback());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener.poll_accept(cx).map(|result| Some(result.map(|(stream, _)| stream)))
    }
}
