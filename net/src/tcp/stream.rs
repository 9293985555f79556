//! [`TcpStream`]: a TCP connection.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::addr::{try_each, ToSocketAddrs};
use crate::io_source::IoSource;
use crate::split;
use crate::stream::{read_methods, ready_method, write_methods};
use crate::sys::addr::SockAddr;
use crate::sys::socket::{self, Domain, SocketType};
use crate::sys::sockopt;

/// A TCP connection between a local and a remote socket.
///
/// Read and write with the inherent async methods (`read`, `read_exact`, `write_all`,
/// …); no trait import needed. For two tasks, one reading and one writing, use
/// [`split`](Self::split) or [`into_split`](Self::into_split).
///
/// ```
/// use wakeful::net::{TcpListener, TcpStream};
///
/// wakeful::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let server = wakeful::spawn(async move {
///         let (mut conn, _) = listener.accept().await?;
///         let mut buf = [0; 5];
///         conn.read_exact(&mut buf).await?;
///         conn.write_all(&buf).await
///     });
///     let mut client = TcpStream::connect(addr).await?;
///     client.write_all(b"hello").await?;
///     let mut echo = [0; 5];
///     client.read_exact(&mut echo).await?;
///     assert_eq!(&echo, b"hello");
///     server.await??;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpStream {
    source: IoSource<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn until one accepts.
    ///
    /// The connect is non-blocking: the task waits for the socket to become writable,
    /// then reads `SO_ERROR`. A refused connection fails fast with
    /// `ConnectionRefused`; if every address fails, the last error is returned,
    /// naming its address.
    ///
    /// Cancel-safe: dropped midway, the half-open socket is closed and no connection
    /// is left behind (the peer may have seen one start, as with any aborted connect).
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        try_each(addr, "connect to", TcpStream::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let fd = socket::new_socket(Domain::of(&addr), SocketType::Stream)?;
        TcpStream::connect_fd(fd, &SockAddr::from_inet(&addr)).await
    }

    /// Connects `fd`, a new non-blocking stream socket, to `addr`.
    pub(crate) async fn connect_fd(fd: OwnedFd, addr: &SockAddr) -> io::Result<TcpStream> {
        let connected = socket::start_connect(fd.as_raw_fd(), addr)?;
        let stream = TcpStream::from_owned_nonblocking(fd)?;
        if !connected {
            stream.source.wait_connected().await?;
        }
        Ok(stream)
    }

    pub(crate) fn from_owned_nonblocking(fd: OwnedFd) -> io::Result<TcpStream> {
        let stream = std::net::TcpStream::from(fd);
        Ok(TcpStream { source: IoSource::new_nonblocking(stream)?.with_short_reads_draining() })
    }

    /// Wraps a connected std stream, making it non-blocking (a blocking socket would
    /// stall the runtime) and registering it. Fails outside a runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream { source: IoSource::new(stream)?.with_short_reads_draining() })
    }

    /// Deregisters and returns the std stream. It stays non-blocking: call
    /// `set_nonblocking(false)` to use it with blocking reads.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.source.into_inner()
    }

    pub(crate) fn source(&self) -> &IoSource<std::net::TcpStream> {
        &self.source
    }

    read_methods!();
    write_methods!();
    ready_method!();

    /// Shuts down the read, write, or both directions. `Shutdown::Write` is the
    /// half-close: the peer reads end of stream, and can still send to us.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// Borrowed halves, for reading and writing from two futures of one task.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(&self.source)
    }

    /// Owned halves, for reading and writing from two tasks.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::into_split(self.source)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Sets `TCP_NODELAY`: send small writes at once instead of coalescing them.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.source.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.source.get_ref().nodelay()
    }

    /// Sets `SO_LINGER`. `Some(Duration::ZERO)` makes close send a reset (RST).
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sockopt::set_linger(self.as_raw_fd(), linger)
    }

    /// Sets the IP time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing packets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.source.get_ref().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.source.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

/// The reading half of a [`TcpStream`], from [`TcpStream::split`].
pub type ReadHalf<'a> = split::ReadHalf<'a, std::net::TcpStream>;
/// The writing half of a [`TcpStream`], from [`TcpStream::split`].
pub type WriteHalf<'a> = split::WriteHalf<'a, std::net::TcpStream>;
/// The reading half of a [`TcpStream`], from [`TcpStream::into_split`].
pub type OwnedReadHalf = split::OwnedReadHalf<std::net::TcpStream>;
/// The writing half of a [`TcpStream`], from [`TcpStream::into_split`].
pub type OwnedWriteHalf = split::OwnedWriteHalf<std::net::TcpStream>;
/// Two halves of different streams given to `reunite`.
pub type ReuniteError = split::ReuniteError<std::net::TcpStream>;

impl OwnedReadHalf {
    /// Rejoins the two halves into the stream they came from.
    pub fn reunite(self, write: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        split::reunite(self, write).map(|source| TcpStream { source })
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source().get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source().get_ref().local_addr()
    }
}

impl OwnedWriteHalf {
    /// Rejoins the two halves into the stream they came from.
    pub fn reunite(self, read: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        read.reunite(self)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source().get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source().get_ref().local_addr()
    }
}

/// Takes ownership of a connected socket fd; see [`TcpStream::from_std`].
impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}
