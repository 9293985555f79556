//! [`UdpSocket`]: datagrams.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use wakeful_reactor::Direction;

use crate::addr::{resolve_first, try_each, ToSocketAddrs};
use crate::io_source::IoSource;
use crate::sys::addr::SockAddr;
use crate::sys::socket::{self, Domain, SocketType};

/// A UDP socket: connectionless, one socket for every peer.
///
/// All methods take `&self`; several tasks may wait on one socket (each is woken when
/// it becomes ready, and the first to receive a datagram gets it).
///
/// # Datagrams larger than the buffer
///
/// A datagram is received whole or not at all by the OS: if it is larger than the
/// buffer, the rest is discarded. wakeful does not hide that: `recv` and `recv_from`
/// then fail with `ErrorKind::InvalidData`, saying how large the datagram was; the
/// buffer holds its first `buf.len()` bytes. (`peek_from` does not fail: the datagram
/// stays queued, to be received with a large enough buffer.)
///
/// ```
/// use wakeful::net::UdpSocket;
///
/// wakeful::block_on(async {
///     let server = UdpSocket::bind("127.0.0.1:0").await?;
///     let client = UdpSocket::bind("127.0.0.1:0").await?;
///     client.send_to(b"ping", server.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = server.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr()?));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    source: IoSource<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr`, trying each resolved address in turn. Port 0 picks a port.
    /// Cancel-safe: a socket made before the drop is closed with it.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        try_each(addr, "bind to", |addr| async move {
            let socket = socket::new_socket(Domain::of(&addr), SocketType::Datagram)?;
            socket::bind(socket.as_raw_fd(), &SockAddr::from_inet(&addr))?;
            Ok(UdpSocket { source: IoSource::new_nonblocking(std::net::UdpSocket::from(socket))? })
        })
        .await
    }

    /// Wraps a bound std socket, making it non-blocking and registering it.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket { source: IoSource::new(socket)? })
    }

    /// Deregisters and returns the std socket (still non-blocking).
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.source.into_inner()
    }

    /// Sets the default peer for `send` and `recv`, and filters out datagrams from
    /// anyone else. With several resolved addresses, the first that works.
    /// Not cancel-safe: if dropped midway, the socket may be connected to one of them.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        try_each(addr, "connect to", |addr| async move { self.source.get_ref().connect(addr) }).await
    }

    /// Sends a datagram to the connected peer. Cancel-safe: a datagram is sent whole
    /// or not at all.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Polls to send a datagram to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.source.poll_io_shared(Direction::Write, cx, |s| s.send(buf))
    }

    /// Receives a datagram from the connected peer. See the type's docs for
    /// datagrams larger than `buf`. Cancel-safe.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_from(buf).await.map(|(n, _)| n)
    }

    /// Polls to receive a datagram from the connected peer.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_recv_from(cx, buf).map_ok(|(n, _)| n)
    }

    /// Sends a datagram to `target` (its first resolved address). Cancel-safe: a
    /// datagram is sent whole or not at all.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = resolve_first(target).await?;
        self.source.io(Direction::Write, |s| s.send_to(buf, target)).await
    }

    /// Polls to send a datagram to `target`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.source.poll_io_shared(Direction::Write, cx, |s| s.send_to(buf, target))
    }

    /// Receives a datagram and its sender. See the type's docs for datagrams larger
    /// than `buf`. Cancel-safe.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.io(Direction::Read, |s| recv_whole(s, buf)).await
    }

    /// Polls to receive a datagram and its sender.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.source.poll_io_shared(Direction::Read, cx, |s| recv_whole(s, buf))
    }

    /// Reads the next datagram and its sender without removing it from the queue;
    /// silently fills only `buf.len()` bytes of a larger one. Cancel-safe.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.io(Direction::Read, |s| s.peek_from(buf)).await
    }

    /// Waits until a datagram can be received. Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        self.source.ready(Direction::Read).await.map(drop)
    }

    /// Waits until a datagram can be sent. Cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        self.source.ready(Direction::Write).await.map(drop)
    }

    /// Sends to the connected peer without waiting: `WouldBlock` if it cannot now.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.try_io(Direction::Write, |s| s.send(buf))
    }

    /// Receives from the connected peer without waiting: `WouldBlock` if none.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_recv_from(buf).map(|(n, _)| n)
    }

    /// Sends to `target` without waiting: `WouldBlock` if it cannot now.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.source.try_io(Direction::Write, |s| s.send_to(buf, target))
    }

    /// Receives a datagram and its sender without waiting: `WouldBlock` if none.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.try_io(Direction::Read, |s| recv_whole(s, buf))
    }

    /// The local address; with port 0 at bind, the port the OS picked.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Sets `SO_BROADCAST`: allow sending to broadcast addresses.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.source.get_ref().broadcast()
    }

    /// Joins an IPv4 multicast group on the interface with address `interface`
    /// (`UNSPECIFIED`: the OS chooses).
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.source.get_ref().join_multicast_v4(&group, &interface)
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.source.get_ref().leave_multicast_v4(&group, &interface)
    }

    /// Joins an IPv6 multicast group on interface index `interface` (0: any).
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.source.get_ref().join_multicast_v6(group, interface)
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.source.get_ref().leave_multicast_v6(group, interface)
    }

    /// Sets whether IPv4 multicast sent from here loops back to local listeners.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_multicast_loop_v4(on)
    }

    /// Sets the time-to-live of IPv4 multicast datagrams.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.source.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// Sets whether IPv6 multicast sent from here loops back to local listeners.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_multicast_loop_v6(on)
    }

    /// Sets the IP time-to-live of outgoing datagrams.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing datagrams.
    pub fn ttl(&self) -> io::Result<u32> {
        self.source.get_ref().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
    }
}

/// Receives one datagram, failing with `InvalidData` if it did not fit in `buf`.
fn recv_whole(socket: &impl AsRawFd, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    let (len, truncated, from) = socket::recv_datagram(socket.as_raw_fd(), buf, SockAddr::as_inet)?;
    let from = from.ok_or_else(|| io::Error::other("datagram from a non-IP address"))?;
    if truncated {
        return Err(truncation_error(len, buf.len(), &from));
    }
    Ok((len, from))
}

/// The error for a datagram larger than the buffer it was received into.
pub(crate) fn truncation_error(len: usize, capacity: usize, from: &dyn std::fmt::Debug) -> io::Error {
    let size = if len > capacity { format!("of {len} bytes ") } else { String::new() };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "datagram {size}from {from:?} truncated to the {capacity}-byte buffer: \
             its first {capacity} bytes are in the buffer, the rest is lost"
        ),
    )
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.source.as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}
