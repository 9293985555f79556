//! The OS backends, one file each, chosen by a single `cfg`.
//!
//! | OS                      | backend      | cross-thread unpark   |
//! |-------------------------|--------------|-----------------------|
//! | Linux, Android          | [`epoll.rs`] | `eventfd`             |
//! | FreeBSD, macOS, others  | [`kqueue.rs`]| `EVFILT_USER`         |
//!
//! # The contract every backend meets
//!
//! Each backend defines the same four items with the same inherent methods; nothing
//! above this module names an OS type.
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
//!   [`UNPARK_TOKEN`]. The unpark needs no reset by the reactor.
//!
//! Edge-triggered means an event says "something changed": readiness is cached above
//! (in [`crate::Source`]) and cleared only when an operation returns `WouldBlock`.

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
