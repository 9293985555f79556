//! [`Woken`]: why the reactor woke a waker, handed along with it by
//! [`Reactor::turn_with`](crate::Reactor::turn_with). The reactor knows nothing of
//! tasks: what to make of the reason is the caller's business (the runtime records it
//! as the woken task's cause).

use std::os::fd::RawFd;
use std::time::Instant;

use crate::Readiness;

/// What ended a waker's wait.
///
/// ```
/// use wakeful_reactor::{Readiness, Woken};
///
/// let woken = Woken::Io { fd: 9, readiness: Readiness::READABLE };
/// assert!(matches!(woken, Woken::Io { readiness, .. } if readiness.contains(Readiness::READABLE)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Woken {
    /// An event on a registered fd.
    Io {
        /// The fd the event was for.
        fd: RawFd,
        /// The bits of the event that end a wait in the waker's direction.
        readiness: Readiness,
    },
    /// A timer fell due.
    Timer {
        /// Its deadline, on the reactor's clock (which may be paused).
        deadline: Instant,
    },
}
