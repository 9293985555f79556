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
//! Timers fire by the reactor's clock ([`Reactor::now`], `src/clock.rs`), which tests
//! may pause ([`Reactor::pause`]) and move by hand ([`Reactor::advance`]) or to the next
//! timer ([`Reactor::auto_advance`], which the runtime's park calls when idle).
//!
//! Crates that build on the reactor make their own syscalls through [`sys`]: the
//! `syscall!` macro and the error convention every OS call of wakeful follows.
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

mod clock;
mod reactor;
mod readiness;
mod registration;
pub mod sys;
mod timer_wheel;
mod waiters;
mod woken;

pub use clock::clock_ever_paused_on_this_thread;
pub use reactor::{AutoAdvanceInhibitor, Reactor, ReactorStats, Unparker, Waiting, WaitsFor};
pub use readiness::{Direction, Readiness};
pub use registration::Token;
pub use sys::errno;
// kqueue.rs names the error helper by its crate-root path; the one definition is in `sys`.
#[cfg_attr(any(target_os = "linux", target_os = "android"), allow(unused_imports))]
pub(crate) use sys::syscall_error;
pub use timer_wheel::TimerKey;
pub use waiters::WaiterKey;
pub use woken::Woken;
