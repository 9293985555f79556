//! [`Readiness`]: what the OS last said a source is ready for.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// A set of readiness bits, as cached per source by the reactor.
///
/// ```
/// use wakeful_reactor::{Direction, Readiness};
///
/// let ready = Readiness::READABLE | Readiness::READ_CLOSED;
/// assert!(ready.intersects(Direction::Read.wakes_on()));
/// assert!(!ready.intersects(Direction::Write.wakes_on()));
/// assert_eq!(format!("{ready:?}"), "{READABLE, READ_CLOSED}");
/// ```
///
/// Readiness is a *hint*: the OS said the source changed, so the next operation is
/// worth trying. It may be stale (another read drained the data) and wakeups may be
/// spurious; an operation that returns `WouldBlock` clears the bits it relied on.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Readiness(u8);

impl Readiness {
    /// No bits.
    pub const EMPTY: Readiness = Readiness(0);
    /// A read will not block (data, a connection to accept, or end of stream).
    pub const READABLE: Readiness = Readiness(1);
    /// A write will not block.
    pub const WRITABLE: Readiness = Readiness(1 << 1);
    /// The peer shut down its writing half: reads will drain what is left, then see EOF.
    pub const READ_CLOSED: Readiness = Readiness(1 << 2);
    /// Our writing half is shut, or the peer is gone: writes will fail.
    pub const WRITE_CLOSED: Readiness = Readiness(1 << 3);
    /// The source has a pending error (`SO_ERROR`); the next operation reports it.
    pub const ERROR: Readiness = Readiness(1 << 4);
    /// Urgent (out-of-band) data is pending (`EPOLLPRI`). A read stops short at the
    /// urgent mark, so a short read then does not mean the socket was drained.
    pub const PRIORITY: Readiness = Readiness(1 << 5);

    /// True if every bit of `other` is set in `self`.
    pub const fn contains(self, other: Readiness) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if any bit of `other` is set in `self`.
    pub const fn intersects(self, other: Readiness) -> bool {
        self.0 & other.0 != 0
    }

    /// The bits as a number: `READABLE` is 1, `WRITABLE` 2, `READ_CLOSED` 4,
    /// `WRITE_CLOSED` 8, `ERROR` 16, `PRIORITY` 32 (fixed: callers may map them).
    ///
    /// ```
    /// use wakeful_reactor::Readiness;
    ///
    /// assert_eq!((Readiness::READABLE | Readiness::ERROR).bits(), 1 | 16);
    /// ```
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// True if no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The bits in both.
    pub const fn and(self, other: Readiness) -> Readiness {
        Readiness(self.0 & other.0)
    }

    /// `self` without the bits of `other`.
    pub const fn without(self, other: Readiness) -> Readiness {
        Readiness(self.0 & !other.0)
    }
}

impl BitOr for Readiness {
    type Output = Readiness;
    fn bitor(self, rhs: Readiness) -> Readiness {
        Readiness(self.0 | rhs.0)
    }
}

impl BitOrAssign for Readiness {
    fn bitor_assign(&mut self, rhs: Readiness) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Readiness, &str); 6] = [
            (Readiness::READABLE, "READABLE"),
            (Readiness::WRITABLE, "WRITABLE"),
            (Readiness::READ_CLOSED, "READ_CLOSED"),
            (Readiness::WRITE_CLOSED, "WRITE_CLOSED"),
            (Readiness::ERROR, "ERROR"),
            (Readiness::PRIORITY, "PRIORITY"),
        ];
        let mut set = f.debug_set();
        for (bit, name) in NAMES {
            if self.contains(bit) {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

/// The two directions a task can wait in; each source keeps the waiting tasks of each
/// direction apart.
///
/// ```
/// use wakeful_reactor::{Direction, Readiness};
///
/// assert!(Direction::Write.wakes_on().contains(Readiness::WRITABLE | Readiness::WRITE_CLOSED));
/// assert_eq!(Direction::Read.ready_bit(), Readiness::READABLE);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Waiting to read (or accept).
    Read,
    /// Waiting to write (or for a connect to finish).
    Write,
}

impl Direction {
    /// The bit that says "data can move" in this direction (`READABLE` / `WRITABLE`),
    /// as opposed to the closed and error bits, which also end a wait.
    pub const fn ready_bit(self) -> Readiness {
        match self {
            Direction::Read => Readiness::READABLE,
            Direction::Write => Readiness::WRITABLE,
        }
    }

    /// The bits that end a wait in this direction: ready, closed, or failed.
    pub const fn wakes_on(self) -> Readiness {
        match self {
            Direction::Read => Readiness(
                Readiness::READABLE.0 | Readiness::READ_CLOSED.0 | Readiness::ERROR.0 | Readiness::PRIORITY.0,
            ),
            Direction::Write => {
                Readiness(Readiness::WRITABLE.0 | Readiness::WRITE_CLOSED.0 | Readiness::ERROR.0)
            }
        }
    }
}
