//! [`TcpSocket`]: a TCP socket to configure before it listens or connects.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::sys::addr::SockAddr;
use crate::sys::socket::{self, Domain, SocketType};
use crate::sys::sockopt::{self, IntOption};
use crate::tcp::{TcpListener, TcpStream};

/// A TCP socket not yet listening or connected, for options that must be set before
/// (`SO_REUSEADDR`, `SO_REUSEPORT`, buffer sizes, the listen backlog).
///
/// ```
/// use wakeful::net::TcpSocket;
///
/// wakeful::block_on(async {
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseport(true)?;
///     socket.set_recv_buffer_size(64 * 1024)?;
///     socket.bind("127.0.0.1:0".parse().unwrap())?;
///     let listener = socket.listen(128)?;
///     assert!(listener.local_addr()?.port() != 0);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// One listener per core with `SO_REUSEPORT`, each on its own runtime, is how a
/// single-threaded runtime scales past one core.
#[derive(Debug)]
pub struct TcpSocket {
    fd: OwnedFd,
}

impl TcpSocket {
    /// A new IPv4 socket.
    pub fn new_v4() -> io::Result<TcpSocket> {
        Ok(TcpSocket { fd: socket::new_socket(Domain::Ipv4, SocketType::Stream)? })
    }

    /// A new IPv6 socket.
    pub fn new_v6() -> io::Result<TcpSocket> {
        Ok(TcpSocket { fd: socket::new_socket(Domain::Ipv6, SocketType::Stream)? })
    }

    pub(crate) fn new_for(addr: &SocketAddr) -> io::Result<TcpSocket> {
        Ok(TcpSocket { fd: socket::new_socket(Domain::of(addr), SocketType::Stream)? })
    }

    /// Sets `SO_REUSEADDR`: bind to a port still in `TIME_WAIT`.
    pub fn set_reuseaddr(&self, reuse: bool) -> io::Result<()> {
        self.set(IntOption::REUSEADDR, reuse as i32)
    }

    /// Whether `SO_REUSEADDR` is set.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        Ok(self.get(IntOption::REUSEADDR)? != 0)
    }

    /// Sets `SO_REUSEPORT`: several sockets may listen on one port, and the kernel
    /// spreads connections between them.
    pub fn set_reuseport(&self, reuse: bool) -> io::Result<()> {
        self.set(IntOption::REUSEPORT, reuse as i32)
    }

    /// Whether `SO_REUSEPORT` is set.
    pub fn reuseport(&self) -> io::Result<bool> {
        Ok(self.get(IntOption::REUSEPORT)? != 0)
    }

    /// Sets FreeBSD's `SO_REUSEPORT_LB`, for [`TcpListener::bind_reuseport`].
    #[cfg(target_os = "freebsd")]
    pub(crate) fn set_reuseport_lb(&self) -> io::Result<()> {
        self.set(IntOption::REUSEPORT_LB, 1)
    }

    /// Sets `SO_SNDBUF` (the kernel may round it, and Linux doubles it).
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set(IntOption::SEND_BUFFER, clamp(size))
    }

    /// `SO_SNDBUF` as the kernel set it.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        Ok(self.get(IntOption::SEND_BUFFER)? as u32)
    }

    /// Sets `SO_RCVBUF` (the kernel may round it, and Linux doubles it).
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set(IntOption::RECV_BUFFER, clamp(size))
    }

    /// `SO_RCVBUF` as the kernel set it.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        Ok(self.get(IntOption::RECV_BUFFER)? as u32)
    }

    /// Sets `TCP_NODELAY` on the socket (kept by the connected stream).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.set(IntOption::TCP_NODELAY, nodelay as i32)
    }

    /// Binds to a local address.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        socket::bind(self.fd.as_raw_fd(), &SockAddr::from_inet(&addr))
    }

    /// The bound local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let addr = socket::local_addr(self.fd.as_raw_fd())?;
        addr.as_inet().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "socket is not bound to an IP address")
        })
    }

    /// Starts listening, with room for `backlog` connections not yet accepted.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        socket::listen(self.fd.as_raw_fd(), backlog)?;
        TcpListener::from_listening(std::net::TcpListener::from(self.fd))
    }

    /// Connects to `addr`; see [`TcpStream::connect`]. Cancel-safe: dropped midway, the
    /// half-open socket is closed.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::connect_fd(self.fd, &SockAddr::from_inet(&addr))
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("connect to {addr}: {e}")))
    }

    fn set(&self, option: IntOption, value: i32) -> io::Result<()> {
        sockopt::set_int(self.fd.as_raw_fd(), option, value)
    }

    fn get(&self, option: IntOption) -> io::Result<i32> {
        sockopt::get_int(self.fd.as_raw_fd(), option)
    }
}

fn clamp(size: u32) -> i32 {
    size.min(i32::MAX as u32) as i32
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
