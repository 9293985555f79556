//! The socket syscalls std does not offer in non-blocking form: creating a socket that
//! is non-blocking from birth, a non-blocking `connect`, `accept4`, `send` that never
//! raises `SIGPIPE`, vectored I/O, and `recvmsg` that reports truncation.
//!
//! Everything else (addresses, `TCP_NODELAY`, TTL, multicast, shutdown) is done through
//! the std socket types that wrap these fds.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
#[cfg_attr(not(any(target_os = "macos", target_os = "ios")), allow(unused_imports))]
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

pub(crate) use wakeful_reactor::{errno, syscall};

/// `send` flags: never raise `SIGPIPE` on a closed peer (macOS uses `SO_NOSIGPIPE`).
#[cfg(not(any(target_os = "macos", target_os = "ios")))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(any(target_os = "macos", target_os = "ios"))]
const SEND_FLAGS: libc::c_int = 0;

/// A new socket, non-blocking and close-on-exec from the start.
pub(crate) fn new_socket(domain: libc::c_int, ty: libc::c_int) -> io::Result<OwnedFd> {
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    let ty = ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes no pointers; a non-negative result is a new fd.
    let fd = syscall!("socket", unsafe { libc::socket(domain, ty, 0) })?;
    // SAFETY: `fd` was just returned by the kernel and is owned by no one else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        set_nonblocking(fd.as_raw_fd())?;
        // SAFETY: F_SETFD with an integer argument on a live fd.
        syscall!("fcntl(F_SETFD)", unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
        set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1, "SO_NOSIGPIPE")?;
    }
    Ok(fd)
}

/// Sets `O_NONBLOCK` if it is not set: a blocking fd would stall the whole runtime.
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFL takes no argument; `fd` is live for the call.
    let flags = syscall!("fcntl(F_GETFL)", unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: F_SETFL with an integer argument on a live fd.
        syscall!("fcntl(F_SETFL)", unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    }
    Ok(())
}

/// On macOS, where `send` has no `MSG_NOSIGNAL`, sets `SO_NOSIGPIPE` on a socket made
/// elsewhere (std's `pair()`, a `from_std` socket). Not a socket: nothing to do.
pub(crate) fn suppress_sigpipe(fd: RawFd) {
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        // ENOTSOCK (a pipe, a tty) is expected and harmless; the option is best effort.
        let _ = set_int_option(fd, libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1, "SO_NOSIGPIPE");
    }
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    let _ = fd;
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
/// socket to become writable and read `SO_ERROR`.
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

/// The socket's pending error (`SO_ERROR`), cleared by reading it.
pub(crate) fn take_error(fd: RawFd) -> io::Result<Option<io::Error>> {
    let err = get_int_option(fd, libc::SOL_SOCKET, libc::SO_ERROR, "SO_ERROR")?;
    Ok((err != 0).then(|| io::Error::from_raw_os_error(err)))
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
    {
        set_nonblocking(new.as_raw_fd())?;
        // SAFETY: F_SETFD with an integer argument on a live fd.
        syscall!("fcntl(F_SETFD)", unsafe { libc::fcntl(new.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
        set_int_option(new.as_raw_fd(), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1, "SO_NOSIGPIPE")?;
    }
    Ok((new, addr))
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

/// `read(2)`, for fds that are not sockets (the signal self-pipe).
pub(crate) fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = syscall!("read", unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })?;
    Ok(n as usize)
}

pub(crate) fn recv(fd: RawFd, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
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

/// `recvmsg` of one datagram into `buf`: its full length (which may exceed
/// `buf.len()` if it was truncated) and the sender's address.
pub(crate) fn recv_datagram(fd: RawFd, buf: &mut [u8]) -> io::Result<(usize, bool, SockAddr)> {
    let mut addr = SockAddr::empty();
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: all-zero is a valid `msghdr`.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_name = addr.storage.as_mut_ptr().cast();
    msg.msg_namelen = addr.len;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    // On Linux, MSG_TRUNC makes recvmsg return the datagram's real length.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = libc::MSG_TRUNC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = 0;
    // SAFETY: name and iovec point into live buffers of the lengths given.
    let n = syscall!("recvmsg", unsafe { libc::recvmsg(fd, &mut msg, flags) })? as usize;
    addr.len = msg.msg_namelen;
    let truncated = msg.msg_flags & libc::MSG_TRUNC != 0 || n > buf.len();
    Ok((n, truncated, addr))
}

pub(crate) fn set_int_option(fd: RawFd, level: i32, name: i32, value: i32, what: &str) -> io::Result<()> {
    let len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live c_int of `len` bytes, only read.
    syscall!(format!("setsockopt({what})"), unsafe {
        libc::setsockopt(fd, level, name, (&value as *const libc::c_int).cast(), len)
    })?;
    Ok(())
}

pub(crate) fn get_int_option(fd: RawFd, level: i32, name: i32, what: &str) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live c_int of `len` bytes, written by the kernel.
    syscall!(format!("getsockopt({what})"), unsafe {
        libc::getsockopt(fd, level, name, (&mut value as *mut libc::c_int).cast(), &mut len)
    })?;
    Ok(value)
}

/// A socket address in the kernel's format.
pub(crate) struct SockAddr {
    storage: MaybeUninit<libc::sockaddr_storage>,
    len: libc::socklen_t,
}

impl SockAddr {
    fn empty() -> SockAddr {
        SockAddr {
            storage: MaybeUninit::zeroed(),
            len: mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    fn as_ptr(&self) -> *const libc::sockaddr {
        self.storage.as_ptr().cast()
    }

    pub(crate) fn domain(addr: &SocketAddr) -> libc::c_int {
        match addr {
            SocketAddr::V4(_) => libc::AF_INET,
            SocketAddr::V6(_) => libc::AF_INET6,
        }
    }

    pub(crate) fn from_inet(addr: &SocketAddr) -> SockAddr {
        let mut out = SockAddr::empty();
        match addr {
            SocketAddr::V4(v4) => {
                // SAFETY: all-zero is a valid `sockaddr_in`.
                let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = v4.port().to_be();
                sin.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(v4.ip().octets()) };
                out.write(sin);
            }
            SocketAddr::V6(v6) => {
                // SAFETY: all-zero is a valid `sockaddr_in6`.
                let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = v6.port().to_be();
                sin6.sin6_addr = libc::in6_addr { s6_addr: v6.ip().octets() };
                sin6.sin6_flowinfo = v6.flowinfo();
                sin6.sin6_scope_id = v6.scope_id();
                out.write(sin6);
            }
        }
        out
    }

    pub(crate) fn from_path(path: &Path) -> io::Result<SockAddr> {
        // SAFETY: all-zero is a valid `sockaddr_un`.
        let mut sun: libc::sockaddr_un = unsafe { mem::zeroed() };
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let bytes = path.as_os_str().as_bytes();
        if bytes.contains(&0) || bytes.len() >= sun.sun_path.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unix socket path must be shorter than {} bytes, without NUL: {path:?}",
                    sun.sun_path.len()
                ),
            ));
        }
        for (dst, src) in sun.sun_path.iter_mut().zip(bytes) {
            *dst = *src as libc::c_char;
        }
        let mut out = SockAddr::empty();
        out.write(sun);
        Ok(out)
    }

    /// Stores `raw` (a `sockaddr_*` type) and its length.
    fn write<T>(&mut self, raw: T) {
        assert!(mem::size_of::<T>() <= mem::size_of::<libc::sockaddr_storage>());
        // SAFETY: `sockaddr_storage` is large and aligned enough for every sockaddr
        // type (checked above), and `T` is a plain C struct.
        unsafe { self.storage.as_mut_ptr().cast::<T>().write(raw) };
        self.len = mem::size_of::<T>() as libc::socklen_t;
    }

    /// The path of a Unix socket address: `Some(None)` if unnamed, `None` if not a
    /// Unix address. Linux's abstract names (leading NUL) are returned as unnamed.
    pub(crate) fn as_unix_path(&self) -> Option<Option<std::path::PathBuf>> {
        // SAFETY: the family field is valid at the start of every sockaddr.
        let family = unsafe { (*self.storage.as_ptr()).ss_family } as libc::c_int;
        if family != libc::AF_UNIX {
            return None;
        }
        // SAFETY: the family says the storage holds a `sockaddr_un`.
        let sun = unsafe { &*self.storage.as_ptr().cast::<libc::sockaddr_un>() };
        let offset = mem::offset_of!(libc::sockaddr_un, sun_path);
        let path_len = (self.len as usize).saturating_sub(offset).min(sun.sun_path.len());
        let bytes: Vec<u8> =
            sun.sun_path[..path_len].iter().map(|&c| c as u8).take_while(|&b| b != 0).collect();
        if bytes.is_empty() {
            return Some(None);
        }
        Some(Some(std::path::PathBuf::from(std::ffi::OsString::from_vec(bytes))))
    }

    /// The IPv4 or IPv6 address, if it is one.
    pub(crate) fn as_inet(&self) -> Option<SocketAddr> {
        // SAFETY: the storage was zeroed and then written by us or the kernel; the
        // family field is valid at the start of every sockaddr.
        let family = unsafe { (*self.storage.as_ptr()).ss_family } as libc::c_int;
        match family {
            libc::AF_INET => {
                // SAFETY: the family says the storage holds a `sockaddr_in`.
                let sin = unsafe { &*self.storage.as_ptr().cast::<libc::sockaddr_in>() };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
            }
            libc::AF_INET6 => {
                // SAFETY: the family says the storage holds a `sockaddr_in6`.
                let sin6 = unsafe { &*self.storage.as_ptr().cast::<libc::sockaddr_in6>() };
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                let port = u16::from_be(sin6.sin6_port);
                Some(SocketAddr::V6(SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id)))
            }
            _ => None,
        }
    }
}
