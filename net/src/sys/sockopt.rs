//! `setsockopt` / `getsockopt`: the options std's socket types do not offer.

use std::io;
use std::mem;
use std::os::fd::RawFd;
use std::time::Duration;

use wakeful_reactor::sys::syscall;

/// An integer (or boolean) socket option: where it lives, and the name errors give it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IntOption {
    level: libc::c_int,
    name: libc::c_int,
    what: &'static str,
}

impl IntOption {
    /// `SO_REUSEADDR`: bind to a port still in `TIME_WAIT`.
    pub(crate) const REUSEADDR: IntOption = IntOption::socket(libc::SO_REUSEADDR, "SO_REUSEADDR");
    /// `SO_REUSEPORT`: several sockets listen on one port.
    pub(crate) const REUSEPORT: IntOption = IntOption::socket(libc::SO_REUSEPORT, "SO_REUSEPORT");
    /// `SO_REUSEPORT_LB`: FreeBSD's flavour of `SO_REUSEPORT` that spreads new
    /// connections over the listeners, as Linux's `SO_REUSEPORT` does.
    #[cfg(target_os = "freebsd")]
    pub(crate) const REUSEPORT_LB: IntOption = IntOption::socket(libc::SO_REUSEPORT_LB, "SO_REUSEPORT_LB");
    /// `SO_SNDBUF`: the send buffer's size.
    pub(crate) const SEND_BUFFER: IntOption = IntOption::socket(libc::SO_SNDBUF, "SO_SNDBUF");
    /// `SO_RCVBUF`: the receive buffer's size.
    pub(crate) const RECV_BUFFER: IntOption = IntOption::socket(libc::SO_RCVBUF, "SO_RCVBUF");
    /// `SO_TYPE`: stream, datagram, ... (read by task dumps).
    const TYPE: IntOption = IntOption::socket(libc::SO_TYPE, "SO_TYPE");
    /// `SO_ACCEPTCONN`: the socket listens (read by task dumps).
    const ACCEPTCONN: IntOption = IntOption::socket(libc::SO_ACCEPTCONN, "SO_ACCEPTCONN");
    /// `SO_ERROR`: the pending error, cleared by reading it.
    const ERROR: IntOption = IntOption::socket(libc::SO_ERROR, "SO_ERROR");
    /// `SO_NOSIGPIPE`: macOS's way to keep `send` on a closed peer from raising `SIGPIPE`.
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    const NOSIGPIPE: IntOption = IntOption::socket(libc::SO_NOSIGPIPE, "SO_NOSIGPIPE");
    /// `TCP_NODELAY`: send small writes at once.
    pub(crate) const TCP_NODELAY: IntOption =
        IntOption { level: libc::IPPROTO_TCP, name: libc::TCP_NODELAY, what: "TCP_NODELAY" };

    const fn socket(name: libc::c_int, what: &'static str) -> IntOption {
        IntOption { level: libc::SOL_SOCKET, name, what }
    }
}

/// Sets an integer option; an error reads `setsockopt(SO_SNDBUF): …`.
pub(crate) fn set_int(fd: RawFd, option: IntOption, value: i32) -> io::Result<()> {
    let value: libc::c_int = value;
    let len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live c_int of `len` bytes, only read.
    syscall!(format_args!("setsockopt({})", option.what), unsafe {
        libc::setsockopt(fd, option.level, option.name, (&value as *const libc::c_int).cast(), len)
    })?;
    Ok(())
}

/// Reads an integer option; an error reads `getsockopt(SO_SNDBUF): …`.
pub(crate) fn get_int(fd: RawFd, option: IntOption) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live c_int of `len` bytes, written by the kernel.
    syscall!(format_args!("getsockopt({})", option.what), unsafe {
        libc::getsockopt(fd, option.level, option.name, (&mut value as *mut libc::c_int).cast(), &mut len)
    })?;
    Ok(value)
}

/// True for a stream socket (TCP, Unix stream), false for any other type
/// (`SO_TYPE`); an error if `fd` is no socket.
pub(crate) fn is_stream(fd: RawFd) -> io::Result<bool> {
    Ok(get_int(fd, IntOption::TYPE)? == libc::SOCK_STREAM)
}

/// True if the socket listens (`SO_ACCEPTCONN`).
pub(crate) fn is_listening(fd: RawFd) -> io::Result<bool> {
    Ok(get_int(fd, IntOption::ACCEPTCONN)? != 0)
}

/// The socket's pending error (`SO_ERROR`), cleared by reading it: how a non-blocking
/// connect reports its outcome.
pub(crate) fn take_error(fd: RawFd) -> io::Result<Option<io::Error>> {
    let err = get_int(fd, IntOption::ERROR)?;
    Ok((err != 0).then(|| io::Error::from_raw_os_error(err)))
}

/// Sets `SO_LINGER`: `None` turns it off; `Some(Duration::ZERO)` makes close send a
/// reset (RST). Whole seconds, as the kernel counts them.
pub(crate) fn set_linger(fd: RawFd, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: linger.is_some() as libc::c_int,
        l_linger: linger.map_or(0, |d| d.as_secs().min(libc::c_int::MAX as u64) as libc::c_int),
    };
    let len = mem::size_of::<libc::linger>() as libc::socklen_t;
    // SAFETY: `value` is a live `linger` of `len` bytes, only read.
    syscall!("setsockopt(SO_LINGER)", unsafe {
        libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_LINGER, (&value as *const libc::linger).cast(), len)
    })?;
    Ok(())
}

/// On macOS, where `send` has no `MSG_NOSIGNAL`, sets `SO_NOSIGPIPE`; elsewhere
/// nothing: `send` passes `MSG_NOSIGNAL` instead (see `socket.rs`).
#[cfg(any(target_os = "macos", target_os = "ios"))]
pub(crate) fn set_nosigpipe(fd: RawFd) -> io::Result<()> {
    set_int(fd, IntOption::NOSIGPIPE, 1)
}

/// `set_nosigpipe` on a socket made elsewhere (std's `pair()`, a `from_std` socket),
/// best effort: the fd may not be a socket at all.
pub(crate) fn suppress_sigpipe(fd: RawFd) {
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        // ENOTSOCK (a pipe, a tty) is expected and harmless; the option is best effort.
        let _ = set_nosigpipe(fd);
    }
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    let _ = fd;
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::*;
    use crate::sys::socket::{new_socket, Domain, SocketType};

    #[test]
    fn int_option_reads_back_what_was_set() {
        let socket = new_socket(Domain::Ipv4, SocketType::Stream).unwrap();
        for on in [1, 0] {
            set_int(socket.as_raw_fd(), IntOption::REUSEADDR, on).unwrap();
            assert_eq!(get_int(socket.as_raw_fd(), IntOption::REUSEADDR).unwrap() != 0, on != 0);
        }
        assert_eq!(take_error(socket.as_raw_fd()).unwrap().map(|e| e.to_string()), None);
        set_linger(socket.as_raw_fd(), Some(Duration::ZERO)).unwrap();
    }

    #[test]
    fn option_on_a_closed_fd_fails_naming_the_option() {
        let err = set_int(-1, IntOption::SEND_BUFFER, 4096).unwrap_err();
        assert!(err.to_string().starts_with("setsockopt(SO_SNDBUF): "), "{err}");
        let err = get_int(-1, IntOption::TCP_NODELAY).unwrap_err();
        assert!(err.to_string().starts_with("getsockopt(TCP_NODELAY): "), "{err}");
        assert_eq!(wakeful_reactor::errno(&err), Some(libc::EBADF), "{err}");
    }
}
