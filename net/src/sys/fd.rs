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

/// What kind of file an fd is, as `fstat` tells: how a task dump names an fd that is
/// no socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    Pipe,
    Socket,
    CharDevice,
    Regular,
    Other,
}

pub(crate) fn file_kind(fd: RawFd) -> io::Result<FileKind> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: the kernel fills `stat` on success; it is read only then.
    syscall!("fstat", unsafe { libc::fstat(fd, stat.as_mut_ptr()) })?;
    // SAFETY: `fstat` succeeded, so `stat` is initialized.
    let mode = unsafe { stat.assume_init() }.st_mode & libc::S_IFMT;
    Ok(match mode {
        libc::S_IFIFO => FileKind::Pipe,
        libc::S_IFSOCK => FileKind::Socket,
        libc::S_IFCHR => FileKind::CharDevice,
        libc::S_IFREG => FileKind::Regular,
        _ => FileKind::Other,
    })
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    use super::*;

    fn fd_flags(fd: RawFd) -> i32 {
        // SAFETY: F_GETFD takes no argument; `fd` is live for the call.
        syscall!("fcntl(F_GETFD)", unsafe { libc::fcntl(fd, libc::F_GETFD) }).unwrap()
    }

    fn status_flags(fd: RawFd) -> i32 {
        // SAFETY: F_GETFL takes no argument; `fd` is live for the call.
        syscall!("fcntl(F_GETFL)", unsafe { libc::fcntl(fd, libc::F_GETFL) }).unwrap()
    }

    #[test]
    fn dup_is_close_on_exec_and_shares_the_open_file() {
        let (a, _b) = UnixStream::pair().unwrap();
        let dup = dup_cloexec(a.as_raw_fd()).unwrap();
        assert_ne!(dup.as_raw_fd(), a.as_raw_fd());
        assert_ne!(fd_flags(dup.as_raw_fd()) & libc::FD_CLOEXEC, 0, "the duplicate must not leak into exec");
        set_nonblocking(dup.as_raw_fd()).unwrap();
        assert_ne!(status_flags(a.as_raw_fd()) & libc::O_NONBLOCK, 0, "status flags belong to the open file");
    }

    #[test]
    fn set_nonblocking_twice_keeps_the_other_flags() {
        let (a, _b) = UnixStream::pair().unwrap();
        let before = status_flags(a.as_raw_fd());
        set_nonblocking(a.as_raw_fd()).unwrap();
        set_nonblocking(a.as_raw_fd()).unwrap();
        assert_eq!(status_flags(a.as_raw_fd()), before | libc::O_NONBLOCK);
    }

    #[test]
    fn calls_on_a_closed_fd_fail_with_ebadf_naming_the_call() {
        for err in
            [set_nonblocking(-1).unwrap_err(), set_cloexec(-1).unwrap_err(), dup_cloexec(-1).unwrap_err()]
        {
            assert_eq!(wakeful_reactor::errno(&err), Some(libc::EBADF), "{err}");
            assert!(err.to_string().starts_with("fcntl("), "{err}");
        }
    }
}
