//! [`UnixDatagram`]: Unix datagram sockets.

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use wakeful_reactor::Direction;

use super::SocketAddr;
use crate::io_source::IoSource;
use crate::socket;
use crate::udp::truncation_error;

/// A Unix datagram socket, shaped like [`UdpSocket`](crate::UdpSocket) — including
/// its refusal to truncate datagrams silently.
///
/// A known limit of Linux: when an *unconnected* `send_to` finds the receiver's queue
/// full, the kernel never reports writability again for that receiver, so the send
/// waits until some other event on this socket. Connect the socket (`connect`, `send`)
/// for flow control, or bound the send with `timeout`.
///
/// ```
/// use wakeful::net::UnixDatagram;
///
/// wakeful::block_on(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"one datagram").await?;
///     let mut buf = [0; 64];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one datagram");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    source: IoSource<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to `path` (which must not exist). Must run inside a runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let path = path.as_ref();
        let socket = std::os::unix::net::UnixDatagram::bind(path)
            .map_err(|e| io::Error::new(e.kind(), format!("bind to {path:?}: {e}")))?;
        UnixDatagram::from_std(socket)
    }

    /// A socket bound to no path: it can send, and receive replies only if connected.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a std socket, making it non-blocking and registering it.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram { source: IoSource::new(socket)? })
    }

    /// Deregisters and returns the std socket (still non-blocking).
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.source.into_inner()
    }

    /// Sets the default peer for `send` and `recv`.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        self.source
            .get_ref()
            .connect(path)
            .map_err(|e| io::Error::new(e.kind(), format!("connect to {path:?}: {e}")))
    }

    /// Sends a datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.source.poll_io(Direction::Write, cx, |s| s.send(buf))).await
    }

    /// Receives a datagram from the connected peer; `InvalidData` if it was larger
    /// than `buf` (the buffer holds its start).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.recv_from(buf).await?.0)
    }

    /// Sends a datagram to the socket at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        poll_fn(|cx| self.source.poll_io(Direction::Write, cx, |s| s.send_to(buf, path))).await
    }

    /// Receives a datagram and its sender; `InvalidData` if it was larger than `buf`.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls to receive a datagram and its sender.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.source.poll_io(Direction::Read, cx, |s| {
            let (len, truncated, from) = socket::recv_datagram(s.as_raw_fd(), buf)?;
            let from = SocketAddr::from_raw(&from);
            if truncated {
                return Err(truncation_error(len, buf.len(), &from));
            }
            Ok((len, from))
        })
    }

    /// Waits until a datagram can be received.
    pub async fn readable(&self) -> io::Result<()> {
        self.source.ready(Direction::Read).await.map(drop)
    }

    /// Waits until a datagram can be sent.
    pub async fn writable(&self) -> io::Result<()> {
        self.source.ready(Direction::Write).await.map(drop)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::from_raw(&socket::local_addr(self.as_raw_fd())?))
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::from_raw(&socket::peer_addr(self.as_raw_fd())?))
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.source.as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}
