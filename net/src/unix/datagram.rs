//! [`UnixDatagram`]: Unix datagram sockets.

use std::future::Future;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use wakeful_executor::coop;
use wakeful_reactor::Direction;

use super::SocketAddr;
use crate::io_source::IoSource;
use crate::sys::socket;
use crate::time::{sleep, Sleep};
use crate::udp::truncation_error;

/// The first pause when a send finds the receiver's queue still full.
const MIN_BACKOFF: Duration = Duration::from_micros(100);
/// The longest pause: how late, at worst, a send resumes once the receiver drains.
const MAX_BACKOFF: Duration = Duration::from_millis(10);

/// A Unix datagram socket, shaped like [`UdpSocket`](crate::UdpSocket) — including
/// its refusal to truncate datagrams silently.
///
/// Sends wait while the receiver's queue is full. Linux wakes a blocked sender when
/// the receiver reads only if the sender is connected to it; an unconnected `send_to`
/// is instead retried on a timer, 100 µs after the first failure and doubling to
/// 10 ms, so it resumes at most 10 ms after the receiver drains, without spinning.
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

    /// Sends a datagram to the connected peer, waiting while its queue is full.
    ///
    /// Cancel-safe: a datagram is sent whole or not at all.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_with(|s| s.send(buf)).await
    }

    /// Receives a datagram from the connected peer; `InvalidData` if it was larger
    /// than `buf` (the buffer holds its start). Cancel-safe.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.recv_from(buf).await?.0)
    }

    /// Sends a datagram to the socket at `path`, waiting while its queue is full.
    ///
    /// Cancel-safe: a datagram is sent whole or not at all.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.send_with(|s| s.send_to(buf, path)).await
    }

    /// Sends with `op`, waiting while the receiver's queue is full.
    ///
    /// After a failed send, Linux reports an unconnected sender writable again at once
    /// (the failed `sendmsg` freed its buffer), although the receiver is still full;
    /// and some kernels never report it writable for that receiver at all. So only the
    /// first wait may end on writability; every later retry waits out a pause, doubling
    /// from [`MIN_BACKOFF`] to [`MAX_BACKOFF`], and a success resets it.
    async fn send_with(
        &self,
        mut op: impl FnMut(&std::os::unix::net::UnixDatagram) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let mut failures = 0u32;
        let mut pause: Option<Sleep> = None;
        self.source
            .wait(Direction::Write, |cx, waiter| {
                ready!(coop::poll_proceed(cx));
                loop {
                    if let Some(wait) = pause.as_mut() {
                        let writable =
                            failures == 1 && self.source.poll_ready(Direction::Write, cx, waiter)?.is_ready();
                        if !writable && Pin::new(wait).poll(cx).is_pending() {
                            return Poll::Pending;
                        }
                        pause = None;
                    }
                    match op(self.source.get_ref()) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            self.source.clear_readiness(Direction::Write, Direction::Write.wakes_on());
                            failures += 1;
                            let delay = MIN_BACKOFF.saturating_mul(1 << (failures - 1).min(10));
                            pause = Some(sleep(delay.min(MAX_BACKOFF)));
                        }
                        done => return Poll::Ready(done),
                    }
                }
            })
            .await
    }

    /// Receives a datagram and its sender; `InvalidData` if it was larger than `buf`.
    /// Cancel-safe: if dropped before completion, no datagram was taken.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.io(Direction::Read, |s| recv_datagram(s, buf)).await
    }

    /// Polls to receive a datagram and its sender.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.source.poll_io_shared(Direction::Read, cx, |s| recv_datagram(s, buf))
    }

    /// Waits until a datagram can be received. Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.source.ready(Direction::Read).await.map(drop)
    }

    /// Waits until a datagram can be sent. Cancel-safe.
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

/// Receives one datagram whole, or reports that it was truncated.
fn recv_datagram(s: &std::os::unix::net::UnixDatagram, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    let (len, truncated, from) = socket::recv_datagram(s.as_raw_fd(), buf, SocketAddr::from_raw)?;
    if truncated {
        return Err(truncation_error(len, buf.len(), &from));
    }
    Ok((len, from))
}
