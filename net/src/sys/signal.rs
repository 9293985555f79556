//! The OS side of signal handling: installing a handler with `sigaction`, the
//! self-pipe that carries deliveries out of it, and the two things a handler may do
//! here — write a byte, and leave `errno` as it found it.
//!
//! Everything called from a handler is async-signal-safe: no locks, no allocation,
//! only atomics and plain syscalls.

use std::ffi::c_int;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use wakeful_reactor::sys::syscall;

use super::fd;

/// Signals that cannot be caught (`SIGKILL`, `SIGSTOP`), or whose handler must not
/// return (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`: returning re-runs the fault).
const FORBIDDEN: [c_int; 6] =
    [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// True if `signal` is one that can be caught and whose handler may return. Says
/// nothing of whether the number exists: `install` reports that.
pub(crate) fn may_catch(signal: c_int) -> bool {
    !FORBIDDEN.contains(&signal)
}

/// Installs `handler` for `signal`, with `SA_RESTART` so that blocking calls it
/// interrupts elsewhere in the process resume instead of failing with `EINTR`.
pub(crate) fn install(signal: c_int, handler: extern "C" fn(c_int)) -> io::Result<()> {
    // SAFETY: all-zero is a valid `sigaction`; the fields we need are set below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `sa_mask` is a live sigset; `action` is fully initialised, and the
    // caller's handler is an `extern "C" fn`, which the kernel may call at any time.
    unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        syscall!(
            format_args!("sigaction({signal})"),
            libc::sigaction(signal, &action, std::ptr::null_mut())
        )?;
    }
    Ok(())
}

/// A non-blocking, close-on-exec pipe: `(read end, write end)`.
pub(crate) fn self_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe writes.
    syscall!("pipe", unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: both fds were just returned by the kernel and are owned by no one else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    for end in [&read, &write] {
        fd::set_cloexec(end.as_raw_fd())?;
        fd::set_nonblocking(end.as_raw_fd())?;
    }
    Ok((read, write))
}

/// Writes one byte to the self-pipe's write end, from a signal handler.
///
/// Errors are ignored: `EAGAIN` means the pipe is full, so it is readable already and
/// the listeners will wake; the delivery counter is what they read. Nothing is lost.
pub(crate) fn write_wake_byte(pipe: RawFd) {
    // SAFETY: writes one byte from a static; write(2) on a closed or wrong fd fails
    // with EBADF, harmlessly.
    unsafe { libc::write(pipe, b"s".as_ptr().cast(), 1) };
}

/// Runs `f` (a signal handler's body) and restores `errno` afterwards, so that the
/// interrupted code never sees it change.
pub(crate) fn preserving_errno(f: impl FnOnce()) {
    // Reading errno through std allocates nothing: an OS error is a plain code.
    let saved = io::Error::last_os_error().raw_os_error();
    f();
    if let Some(errno) = saved {
        set_errno(errno);
    }
}

fn set_errno(errno: c_int) {
    // SAFETY: the errno location is this thread's, valid for its life.
    unsafe {
        #[cfg(target_os = "linux")]
        {
            *libc::__errno_location() = errno;
        }
        #[cfg(any(target_os = "android", target_os = "openbsd"))]
        {
            *libc::__errno() = errno;
        }
        #[cfg(any(target_os = "freebsd", target_os = "macos", target_os = "ios"))]
        {
            *libc::__error() = errno;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_pipe_is_nonblocking_and_close_on_exec_at_both_ends() {
        let (read, write) = self_pipe().unwrap();
        for end in [&read, &write] {
            // SAFETY: F_GETFD / F_GETFL take no argument; the fd is live for the call.
            let (fd_flags, status) = unsafe {
                (libc::fcntl(end.as_raw_fd(), libc::F_GETFD), libc::fcntl(end.as_raw_fd(), libc::F_GETFL))
            };
            assert_ne!(fd_flags & libc::FD_CLOEXEC, 0, "fd {end:?} would leak into exec");
            assert_ne!(status & libc::O_NONBLOCK, 0, "fd {end:?} would block the runtime");
        }
        write_wake_byte(write.as_raw_fd());
        let mut buf = [0; 4];
        assert_eq!(fd::read(read.as_raw_fd(), &mut buf).unwrap(), 1);
        let empty = fd::read(read.as_raw_fd(), &mut buf).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock, "{empty}");
    }

    #[test]
    fn uncatchable_and_fault_signals_may_not_be_caught() {
        for signal in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE]
        {
            assert!(!may_catch(signal), "signal {signal}");
        }
        assert!(may_catch(libc::SIGINT) && may_catch(libc::SIGUSR1));
    }

    #[test]
    fn errno_is_restored_after_the_handler_body() {
        set_errno(libc::EINTR);
        preserving_errno(|| set_errno(libc::EBADF));
        assert_eq!(io::Error::last_os_error().raw_os_error(), Some(libc::EINTR));
    }
}
