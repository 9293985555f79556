//! wakeful's reactor: the OS side of the runtime. It waits for file descriptors and
//! timers and wakes [`Waker`](std::task::Waker)s; it knows nothing of tasks, executors
//! or how futures are polled.
//!
//! | OS                       | backend  | file                 |
//! |--------------------------|----------|----------------------|
//! | Linux, Android           | epoll    | `src/sys/epoll.rs`   |
//! | FreeBSD, macOS, OpenBSD  | kqueue   | `src/sys/kqueue.rs`  |
//!
//! # In the life of one wakeup
//!
//! 1. An operation on a non-blocking fd returns `WouldBlock`; its owner calls
//!    [`Reactor::clear_readiness`] and [`Reactor::poll_ready`], which stores the task's
//!    waker among the source's read or write waiters (`src/registration.rs`,
//!    `src/waiters.rs`); a future dropped while it waits takes its waker back out
//!    ([`Reactor::cancel_wait`]).
//! 2. The executor, out of work, calls [`Reactor::turn`] with no timeout; the reactor
//!    bounds the wait by its nearest timer (`src/timer_wheel.rs`).
//! 3. `epoll_wait` / `kevent` returns an event (`src/sys/`); its token finds the source,
//!    the readiness is merged and the stored waker taken.
//! 4. With all tables released, the waker is woken — what that does is the
//!    executor's business.
//!
//! From another thread, an [`Unparker`] interrupts a blocked turn (eventfd /
//! `EVFILT_USER`), one syscall per burst of unparks.
//!
//! # Example
//!
//! ```
//! use std::io::Write;
//! use std::os::fd::AsRawFd;
//! use std::os::unix::net::UnixStream;
//! use std::task::{Context, Poll, Waker};
//! use std::time::Duration;
//! use wakeful_reactor::{Direction, Reactor};
//!
//! let reactor = Reactor::new()?;
//! let (mut a, b) = UnixStream::pair()?;
//! b.set_nonblocking(true)?;
//! let token = reactor.register(b.as_raw_fd())?;
//!
//! // Nothing to read yet: the waker is stored.
//! let mut cx = Context::from_waker(Waker::noop());
//! let mut waiter = None; // this future's place among the source's waiters
//! assert!(reactor.poll_ready(token, Direction::Read, &mut waiter, &mut cx).is_pending());
//!
//! a.write_all(b"ping")?;
//! reactor.turn(Some(Duration::from_secs(5)))?;
//! assert!(matches!(reactor.poll_ready(token, Direction::Read, &mut waiter, &mut cx), Poll::Ready(Ok(_))));
//! reactor.deregister(token)?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What users must rely on
//!
//! - Readiness is a hint and wakeups may be spurious: retry the operation, and clear
//!   readiness only when it returns `WouldBlock`.
//! - Timers never fire early. On Linux ≥ 5.11 (`epoll_pwait2`) and on kqueue the
//!   wait ends on the deadline to the OS's timer slack (tens of µs); on older Linux
//!   `epoll_wait` rounds the wait up to a whole millisecond.
//! - Deregister before closing an fd.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

/// Turns the C convention (`-1` and `errno`) into `io::Result`, naming the call.
///
/// Every libc call in wakeful goes through this, so an error always says which
/// syscall failed, e.g. `epoll_ctl(ADD): Bad file descriptor (os error 9)`. The call
/// itself is written at the use site, inside an `unsafe` block with its `// SAFETY:`.
#[doc(hidden)]
#[macro_export]
macro_rules! syscall {
    ($name:expr, $call:expr) => {{
        let res = $call;
        if res == -1 {
            Err($crate::syscall_error(std::io::Error::last_os_error(), $name))
        } else {
            Ok(res)
        }
    }};
}

/// Adds the name of the failed call to an OS error: the message reads
/// `connect: Connection refused (os error 111)`, the kind is kept, and the OS code
/// stays reachable through [`errno`] (and `Error::source`). `WouldBlock` is left as it
/// is: it is control flow, not a failure to report.
#[doc(hidden)]
pub fn syscall_error(err: std::io::Error, call: impl std::fmt::Display) -> std::io::Error {
    if err.kind() == std::io::ErrorKind::WouldBlock {
        // Not a failure but control flow: every non-blocking call that finds nothing to
        // do returns it, and it is cleared, not shown. Naming the call would cost two
        // allocations per would-block.
        return err;
    }
    std::io::Error::new(err.kind(), SyscallError { call: call.to_string(), source: err })
}

/// The OS error code (`errno`) of an error returned by wakeful.
///
/// wakeful's errors name the call that failed, which hides the code from
/// `io::Error::raw_os_error`; this finds it either way.
pub fn errno(err: &std::io::Error) -> Option<i32> {
    err.raw_os_error().or_else(|| err.get_ref()?.downcast_ref::<SyscallError>()?.source.raw_os_error())
}

/// An OS error and the call that returned it.
#[derive(Debug)]
struct SyscallError {
    call: String,
    source: std::io::Error,
}

impl std::fmt::Display for SyscallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.call, self.source)
    }
}

impl std::error::Error for SyscallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

mod reactor;
mod readiness;
mod registration;
mod sys;
mod timer_wheel;
mod waiters;

pub use reactor::{Reactor, ReactorStats, Unparker};
pub use readiness::{Direction, Readiness};
pub use registration::Token;
pub use timer_wheel::TimerKey;
pub use waiters::WaiterKey;
