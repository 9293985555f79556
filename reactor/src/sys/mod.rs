//! Where the reactor meets the OS: the helper every syscall of wakeful goes through,
//! and the backends that wait for events, one file each.
//!
//! # For crates building on the reactor
//!
//! [`syscall!`](crate::sys::syscall), [`syscall_error`] and [`errno`] are public so that
//! crates on top of the reactor (wakeful-net: sockets, pipes, signals) report their OS
//! errors exactly as the reactor does, from one definition:
//!
//! - an error names the call that failed — `connect: Connection refused (os error 111)`
//!   — and keeps its [`io::ErrorKind`];
//! - `WouldBlock` stays a plain OS error, unnamed: it is control flow, not a failure;
//! - the OS code stays reachable through [`errno`], since naming the call hides it from
//!   `io::Error::raw_os_error`.
//!
//! ```
//! use wakeful_reactor::sys::{errno, syscall};
//!
//! // SAFETY: close takes no pointers; -1 is never an open fd.
//! let err = syscall!("close", unsafe { libc::close(-1) }).unwrap_err();
//! assert_eq!(errno(&err), Some(libc::EBADF));
//! assert!(err.to_string().starts_with("close: "), "{err}");
//! ```
//!
//! # The backends
//!
//! | OS                      | backend     | cross-thread unpark   |
//! |-------------------------|-------------|-----------------------|
//! | Linux, Android          | `epoll.rs`  | `eventfd`             |
//! | FreeBSD, macOS, others  | `kqueue.rs` | `EVFILT_USER`         |
//!
//! They are private to the reactor. Each defines the same four items with the same
//! inherent methods; nothing above this module names an OS type.
//!
//! - `Selector::new() -> io::Result<Selector>`: a new, empty, close-on-exec poller.
//! - `Selector::register(&self, fd, token)`: watch `fd` for reading *and* writing,
//!   **edge-triggered**, reporting `token` with every event. Registered once; interest
//!   is never modified afterwards.
//! - `Selector::deregister(&self, fd)`: stop watching `fd`. Must be called before the fd
//!   is closed, so that no event for its number can follow.
//! - `Selector::select(&self, events, timeout)`: block until at least one event or the
//!   timeout (`None` = forever, rounded **up** to the backend's resolution, so a timer
//!   is never woken early). A signal interrupting the wait (`EINTR`) is not an error:
//!   it returns with no events.
//! - `Events::with_capacity(n)`, `Events::iter()` yielding `(token, Readiness)`.
//! - `Unparker::new(&Selector)`: a handle that can be sent to any thread;
//!   `Unparker::unpark()` makes a blocked (or the next) `select` return, and reports
//!   `UNPARK_TOKEN`. The unpark needs no reset by the reactor.
//!
//! Edge-triggered means an event says "something changed": readiness is cached above
//! (per registration, in `registration.rs`) and cleared only when an operation returns
//! `WouldBlock`.

use std::io;

/// Turns the C convention (`-1` and `errno`) into `io::Result`, naming the call.
///
/// Every libc call in wakeful goes through this, so an error always says which
/// syscall failed, e.g. `epoll_ctl(ADD): Bad file descriptor (os error 9)`. The call
/// itself is written at the use site, inside an `unsafe` block with its `// SAFETY:`.
/// The name may be anything `Display`; it is formatted only when the call fails.
#[doc(hidden)] // shown once, at `sys::syscall`
#[macro_export]
macro_rules! syscall {
    ($name:expr, $call:expr) => {{
        let res = $call;
        if res == -1 {
            Err($crate::sys::syscall_error(std::io::Error::last_os_error(), $name))
        } else {
            Ok(res)
        }
    }};
}

#[doc(inline)]
pub use crate::syscall;

/// Adds the name of the failed call to an OS error: the message reads
/// `connect: Connection refused (os error 111)`, the kind is kept, and the OS code
/// stays reachable through [`errno`] (and `Error::source`). `WouldBlock` is left as it
/// is: it is control flow, not a failure to report.
pub fn syscall_error(err: io::Error, call: impl std::fmt::Display) -> io::Error {
    if err.kind() == io::ErrorKind::WouldBlock {
        // Not a failure but control flow: every non-blocking call that finds nothing to
        // do returns it, and it is cleared, not shown. Naming the call would cost two
        // allocations per would-block.
        return err;
    }
    io::Error::new(err.kind(), SyscallError { call: call.to_string(), source: err })
}

/// The OS error code (`errno`) of an error returned by wakeful.
///
/// wakeful's errors name the call that failed, which hides the code from
/// `io::Error::raw_os_error`; this finds it either way.
pub fn errno(err: &io::Error) -> Option<i32> {
    err.raw_os_error().or_else(|| err.get_ref()?.downcast_ref::<SyscallError>()?.source.raw_os_error())
}

/// An OS error and the call that returned it.
#[derive(Debug)]
struct SyscallError {
    call: String,
    source: io::Error,
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

/// The token the unparker's event carries. No registration can produce it: tokens of
/// sources have a generation below `u32::MAX` in their upper half.
pub(crate) const UNPARK_TOKEN: u64 = u64::MAX;

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use epoll::{Events, Selector, Unparker};

#[cfg(any(
    target_os = "freebsd",
    target_os = "macos",
    target_os = "ios",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
mod kqueue;
#[cfg(any(
    target_os = "freebsd",
    target_os = "macos",
    target_os = "ios",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
pub(crate) use kqueue::{Events, Selector, Unparker};

/// Converts a timeout to whole milliseconds, rounding **up** so that a wait never ends
/// before a timer's deadline, and clamping to what the OS call accepts.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
pub(crate) fn timeout_millis(timeout: Option<std::time::Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(t) => {
            let ms = t.as_nanos().div_ceil(1_000_000);
            ms.min(libc::c_int::MAX as u128) as libc::c_int
        }
    }
}
