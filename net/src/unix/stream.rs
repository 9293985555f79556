//! [`UnixStream`]: a Unix stream connection.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

use super::SocketAddr;
use crate::io_source::IoSource;
use crate::split;
use crate::stream::{read_methods, ready_method, write_methods};
use crate::sys::addr::SockAddr;
use crate::sys::socket::{self, Domain, SocketType};

/// A connected Unix stream socket, with the same methods as
/// [`TcpStream`](crate::TcpStream).
///
/// ```
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"over the pair").await?;
///     let mut buf = [0; 13];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"over the pair");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UnixStream {
    source: IoSource<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`, without blocking the runtime. Cancel-safe:
    /// dropped midway, the half-open socket is closed.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let addr = SockAddr::from_path(path)?;
        let fd = socket::new_socket(Domain::Unix, SocketType::Stream)?;
        let context = |e: io::Error| io::Error::new(e.kind(), format!("connect to {path:?}: {e}"));
        let connected = socket::start_connect(fd.as_raw_fd(), &addr).map_err(context)?;
        let stream = UnixStream { source: IoSource::new_nonblocking(fd.into())? };
        if !connected {
            stream.source.wait_connected().await.map_err(context)?;
        }
        Ok(stream)
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    pub(crate) fn from_source(source: IoSource<std::os::unix::net::UnixStream>) -> UnixStream {
        UnixStream { source }
    }

    /// Wraps a connected std socket, making it non-blocking and registering it.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream { source: IoSource::new(stream)? })
    }

    /// Deregisters and returns the std socket (still non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.source.into_inner()
    }

    pub(crate) fn source(&self) -> &IoSource<std::os::unix::net::UnixStream> {
        &self.source
    }

    read_methods!();
    write_methods!();
    ready_method!();

    /// Shuts down the read, write, or both directions (`Shutdown::Write`: half-close).
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
        Ok(SocketAddr::from_raw(&socket::local_addr(self.as_raw_fd())?))
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::from_raw(&socket::peer_addr(self.as_raw_fd())?))
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.source.as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

/// The reading half of a [`UnixStream`], from [`UnixStream::split`].
pub type ReadHalf<'a> = split::ReadHalf<'a, std::os::unix::net::UnixStream>;
/// The writing half of a [`UnixStream`], from [`UnixStream::split`].
pub type WriteHalf<'a> = split::WriteHalf<'a, std::os::unix::net::UnixStream>;
/// The reading half of a [`UnixStream`], from [`UnixStream::into_split`].
pub type OwnedReadHalf = split::OwnedReadHalf<std::os::unix::net::UnixStream>;
/// The writing half of a [`UnixStream`], from [`UnixStream::into_split`].
pub type OwnedWriteHalf = split::OwnedWriteHalf<std::os::unix::net::UnixStream>;
/// Two halves of different streams given to `reunite`.
pub type ReuniteError = split::ReuniteError<std::os::unix::net::UnixStream>;

impl OwnedReadHalf {
    /// Rejoins the two halves into the stream they came from.
    pub fn reunite(self, write: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
        split::reunite(self, write).map(UnixStream::from_source)
    }
}

impl OwnedWriteHalf {
    /// Rejoins the two halves into the stream they came from.
    pub fn reunite(self, read: OwnedReadHalf) -> Result<UnixStream, ReuniteError> {
        read.reunite(self)
    }
}
