//! [`UnixListener`]: accepting Unix stream connections.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::task::{ready, Context, Poll};

use super::{SocketAddr, UnixStream};
use crate::accept::Acceptor;
use crate::io_source::IoSource;
use crate::sys::addr::SockAddr;
use crate::sys::socket;

/// A Unix socket listening for connections, with the same behaviour as
/// [`TcpListener`](crate::TcpListener) (including its recovery from fd exhaustion).
///
/// ```
/// use wakeful::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("wakeful-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// # let _ = std::fs::remove_file(&path);
/// wakeful::block_on(async {
///     let listener = UnixListener::bind(&path)?;
///     let _client = UnixStream::connect(&path).await?;
///     let (_server_side, peer) = listener.accept().await?;
///     assert!(peer.is_unnamed());
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UnixListener {
    source: IoSource<std::os::unix::net::UnixListener>,
    acceptor: Acceptor,
}

impl UnixListener {
    /// Binds to `path` (which must not exist) and listens. Must run inside a runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let path = path.as_ref();
        let listener = std::os::unix::net::UnixListener::bind(path)
            .map_err(|e| io::Error::new(e.kind(), format!("bind to {path:?}: {e}")))?;
        UnixListener::from_std(listener)
    }

    /// Wraps a listening std socket, making it non-blocking and registering it.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener { source: IoSource::new(listener)?, acceptor: Acceptor::default() })
    }

    /// Deregisters and returns the std listener (still non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.source.into_inner()
    }

    /// Waits for a connection. Cancel-safe.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (fd, addr) = self.acceptor.accept(&self.source).await?;
        self.accepted(fd, addr)
    }

    /// Polls for a connection; see [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (fd, addr) = ready!(self.acceptor.poll_accept(&self.source, cx))?;
        Poll::Ready(self.accepted(fd, addr))
    }

    fn accepted(&self, fd: OwnedFd, addr: SockAddr) -> io::Result<(UnixStream, SocketAddr)> {
        let stream = UnixStream::from_source(IoSource::new_nonblocking(fd.into())?);
        Ok((stream, SocketAddr::from_raw(&addr)))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::from_raw(&socket::local_addr(self.as_raw_fd())?))
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}
