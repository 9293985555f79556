//! Calls on any fd: the `fcntl` flags an event loop needs, duplication, and `read`.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use wakeful_reactor::sys::syscall;

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

/// Sets close-on-exec, for fds made by calls that cannot ask for it at birth (`pipe`;
/// `socket` and `accept` on macOS): a child process must not inherit our sockets.
pub(crate) fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_SETFD with an integer argument on a live fd.
    syscall!("fcntl(F_SETFD)", unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    Ok(())
}

/// A new fd for the same open file, close-on-exec (`F_DUPFD_CLOEXEC`: atomically, so
/// no `exec` on another thread can inherit it in between).
pub(crate) fn dup_cloexec(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC with an integer argument on a live fd.
    let new = syscall!("fcntl(F_DUPFD_CLOEXEC)", unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })?;
    // SAFETY: `new` was just returned by the kernel and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// `read(2)`, for fds that are not sockets (the signal self-pipe).
pub(crate) fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let n = syscall!("read", unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })?;
    Ok(n as usize)
}
