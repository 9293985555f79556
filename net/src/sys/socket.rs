//! Socket calls: create, bind, listen, connect, accept, shut down, name, and move
//! bytes — each in the non-blocking, close-on-exec, `SIGPIPE`-free form the runtime
//! needs.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem;
use std::net::SocketAddr;
#[cfg(any(target_os = "macos", target_os = "ios"))]
use std::os::fd::AsRawFd;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use wakeful_reactor::errno;
use wakeful_reactor::sys::syscall;

use super::addr::SockAddr;
#[cfg(any(target_os = "macos", target_os = "ios"))]
use super::{fd, sockopt};

/// A socket's address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Domain {
    Ipv4,
    Ipv6,
    Unix,
}

impl Domain {
    /// The family of `addr`.
    pub(crate) fn of(addr: &SocketAddr) -> Domain {
        match addr {
            SocketAddr::V4(_) => Domain::Ipv4,
            SocketAddr::V6(_) => Domain::Ipv6,
        }
    }

    fn raw(self) -> libc::c_int {
        match self {
            Domain::Ipv4 => libc::AF_INET,
            Domain::Ipv6 => libc::AF_INET6,
            Domain::Unix => libc::AF_UNIX,
        }
    }
}

/// A socket's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SocketType {
    /// A connection: TCP, or a Unix stream.
    Stream,
    /// Datagrams: UDP, or Unix datagrams.
    Datagram,
}

impl SocketType {
    fn raw(self) -> libc::c_int {
        match self {
            SocketType::Stream => libc::SOCK_STREAM,
            SocketType::Datagram => libc::SOCK_DGRAM,
        }
    }
}

/// `send` flags: never raise `SIGPIPE` on a closed peer (macOS uses `SO_NOSIGPIPE`).
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const SEND_FLAGS: libc::c_int = 0;

/// A new socket, non-blocking and close-on-exec from the start.
pub(crate) fn new_socket(domain: Domain, ty: SocketType) -> io::Result<OwnedFd> {
    let ty = ty.raw();
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    let ty = ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes no pointers; a non-negative result is a new fd.
    let fd = syscall!("socket", unsafe { libc::socket(domain.raw(), ty, 0) })?;
    // SAFETY: `fd` was just returned by the kernel and is owned by no one else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    set_flags_after_birth(&fd)?;
    Ok(fd)
}

/// macOS has neither `SOCK_NONBLOCK | SOCK_CLOEXEC` nor `accept4` nor `MSG_NOSIGNAL`:
/// a new socket gets all three properties here, one call each.
#[cfg(any(target_os = "macos", target_os = "ios"))]
fn set_flags_after_birth(socket: &OwnedFd) -> io::Result<()> {
    fd::set_nonblocking(socket.as_raw_fd())?;
    fd::set_cloexec(socket.as_raw_fd())?;
    sockopt::set_nosigpipe(socket.as_raw_fd())
}

pub(crate) fn bind(fd: RawFd, addr: &SockAddr) -> io::Result<()> {
    // SAFETY: `addr` holds a valid address of `addr.len` bytes.
    syscall!("bind", unsafe { libc::bind(fd, addr.as_ptr(), addr.len) })?;
    Ok(())
}

pub(crate) fn listen(fd: RawFd, backlog: u32) -> io::Result<()> {
    let backlog = backlog.min(libc::c_int::MAX as u32) as libc::c_int;
    // SAFETY: listen takes no pointers.
    syscall!("listen", unsafe { libc::listen(fd, backlog) })?;
    Ok(())
}

/// Starts a connect. `Ok(true)`: connected; `Ok(false)`: in progress, wait for the
/// socket to become writable and read [`take_error`](super::sockopt::take_error).
pub(crate) fn start_connect(fd: RawFd, addr: &SockAddr) -> io::Result<bool> {
    // SAFETY: `addr` holds a valid address of `addr.len` bytes.
    match syscall!("connect", unsafe { libc::connect(fd, addr.as_ptr(), addr.len) }) {
        Ok(_) => Ok(true),
        Err(e) if errno(&e) == Some(libc::EINPROGRESS) => Ok(false),
        // EAGAIN (a Unix listener's backlog is full; no ephemeral TCP port left) is a
        // failure, not a connect in progress: the socket is not queued anywhere.
        Err(e) => Err(e),
    }
}

/// Accepts a connection as a non-blocking, close-on-exec fd, with its peer address.
pub(crate) fn accept(fd: RawFd) -> io::Result<(OwnedFd, SockAddr)> {
    let mut addr = SockAddr::empty();
    let storage = addr.storage.as_mut_ptr().cast();
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    // SAFETY: `storage` has room for `addr.len` bytes, which the kernel updates.
    let new = syscall!("accept4", unsafe {
        libc::accept4(fd, storage, &mut addr.len, libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
    })?;
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    // SAFETY: as above.
    let new = syscall!("accept", unsafe { libc::accept(fd, storage, &mut addr.len) })?;
    // SAFETY: `new` was just returned by the kernel and is owned by no one else.
    let new = unsafe { OwnedFd::from_raw_fd(new) };
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    set_flags_after_birth(&new)?;
    Ok((new, addr))
}

/// What an `accept` error means for the listener.
pub(crate) enum AcceptError {
    /// The connection failed between the handshake and `accept`: take the next.
    Skip,
    /// Out of descriptors or memory: pause, then retry (the connection stays queued).
    Backoff,
    /// Anything else: report it.
    Fail(io::Error),
}

impl AcceptError {
    pub(crate) fn classify(err: io::Error) -> AcceptError {
        match errno(&err) {
            // Linux passes pending network errors of the new connection through
            // accept(2), whose man page says to treat them like EAGAIN and retry.
            Some(
                libc::ECONNABORTED
                | libc::EPROTO
                | libc::ENETDOWN
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH,
            ) => AcceptError::Skip,
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => AcceptError::Backoff,
            _ => AcceptError::Fail(err),
        }
    }
}

/// Shuts down the writing direction: the peer reads end of stream.
pub(crate) fn shutdown_write(fd: RawFd) -> io::Result<()> {
    // SAFETY: shutdown takes no pointers.
    syscall!("shutdown(SHUT_WR)", unsafe { libc::shutdown(fd, libc::SHUT_WR) })?;
    Ok(())
}

/// The local address the socket is bound to.
pub(crate) fn local_addr(fd: RawFd) -> io::Result<SockAddr> {
    let mut addr = SockAddr::empty();
    // SAFETY: the storage has room for `addr.len` bytes, which the kernel updates.
    syscall!("getsockname", unsafe {
        libc::getsockname(fd, addr.storage.as_mut_ptr().cast(), &mut addr.len)
    })?;
    Ok(addr)
}

/// The address of the connected peer.
pub(crate) fn peer_addr(fd: RawFd) -> io::Result<SockAddr> {
    let mut addr = SockAddr::empty();
    // SAFETY: the storage has room for `addr.len` bytes, which the kernel updates.
    syscall!("getpeername", unsafe {
        libc::getpeername(fd, addr.storage.as_mut_ptr().cast(), &mut addr.len)
    })?;
    Ok(addr)
}

/// `peer_addr` failed because the connection is not (yet, or any longer) established.
pub(crate) fn is_not_connected(err: &io::Error) -> bool {
    errno(err) == Some(libc::ENOTCONN)
}

pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    recv_with(fd, buf, 0)
}

/// Reads without taking the bytes off the socket's queue.
pub(crate) fn peek(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    recv_with(fd, buf, libc::MSG_PEEK)
}

fn recv_with(fd: RawFd, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = syscall!("recv", unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) })?;
    Ok(n as usize)
}

pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    let n = syscall!("send", unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), SEND_FLAGS) })?;
    Ok(n as usize)
}

/// At most this many buffers go to one `readv` / `sendmsg` (`IOV_MAX` on Linux, the
/// BSDs and macOS); the rest wait for the next call, as with std.
pub(crate) const MAX_IOVECS: usize = 1024;

pub(crate) fn recv_vectored(fd: RawFd, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    let count = bufs.len().min(MAX_IOVECS) as libc::c_int;
    // SAFETY: `IoSliceMut` is ABI-compatible with `iovec`; the kernel writes within them.
    let n = syscall!("readv", unsafe { libc::readv(fd, bufs.as_mut_ptr().cast(), count) })?;
    Ok(n as usize)
}

pub(crate) fn send_vectored(fd: RawFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: all-zero is a valid `msghdr` (no name, no control data).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(MAX_IOVECS) as _;
    // SAFETY: `IoSlice` is ABI-compatible with `iovec`; the kernel only reads them.
    let n = syscall!("sendmsg", unsafe { libc::sendmsg(fd, &msg, SEND_FLAGS) })?;
    Ok(n as usize)
}

/// Receives one datagram into `buf`: its full length (which exceeds `buf.len()` when it
/// was truncated, where the OS says so), whether it was truncated, and the sender's
/// address as `sender` reads it from the kernel's format — converted in place, as the
/// `sockaddr_storage` is 128 bytes that would otherwise be copied out on every call.
///
/// Linux: `recvfrom` with `MSG_TRUNC`, which makes it return the datagram's real
/// length — truncation is then `n > buf.len()`, without the `msghdr` of `recvmsg`
/// (the cheaper call, and the one tokio makes). The BSDs and macOS ignore `MSG_TRUNC`
/// on `recvfrom` (it would return the truncated length, hiding the loss), so there
/// `recvmsg` reports truncation in `msg_flags`.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub(crate) fn recv_datagram<A>(
    fd: RawFd,
    buf: &mut [u8],
    sender: impl FnOnce(&SockAddr) -> A,
) -> io::Result<(usize, bool, A)> {
    let mut addr = SockAddr::empty();
    let storage = addr.storage.as_mut_ptr().cast();
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf` (MSG_TRUNC changes
    // only the return value) and at most `addr.len` bytes into the address storage.
    let n = syscall!("recvfrom", unsafe {
        libc::recvfrom(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_TRUNC, storage, &mut addr.len)
    })? as usize;
    Ok((n, n > buf.len(), sender(&addr)))
}

/// See the Linux version above: `recvmsg`, whose `msg_flags` say `MSG_TRUNC`.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn recv_datagram<A>(
    fd: RawFd,
    buf: &mut [u8],
    sender: impl FnOnce(&SockAddr) -> A,
) -> io::Result<(usize, bool, A)> {
    let mut addr = SockAddr::empty();
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: all-zero is a valid `msghdr`.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_name = addr.storage.as_mut_ptr().cast();
    msg.msg_namelen = addr.len;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    // SAFETY: name and iovec point into live buffers of the lengths given.
    let n = syscall!("recvmsg", unsafe { libc::recvmsg(fd, &mut msg, 0) })? as usize;
    addr.len = msg.msg_namelen;
    Ok((n, msg.msg_flags & libc::MSG_TRUNC != 0, sender(&addr)))
}
