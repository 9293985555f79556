//! Why a task woke: [`WakeCause`], and [`wake_with_cause`], through which code that
//! knows the cause (the I/O glue, after a reactor event or a timer) passes it on.
//!
//! The rule that attributes a wake is on [`WakeCause`].

use std::cell::Cell;
use std::fmt;
use std::os::fd::RawFd;
use std::task::Waker;
use std::time::Instant;

use super::{Id, WakeKind};

/// What woke a task. [`WakeCause::kind`] is what the per-task counters count.
///
/// The executor attributes every wake that queues a task of the runtime on this
/// thread, in one place (`scheduler::push_local`, each cause then `scheduler::record`ed),
/// by this rule:
///
/// 1. the task itself is being polled → [`WakeCause::Itself`];
/// 2. another task is being polled, dropped, or is completing (the wake of its
///    `JoinHandle`'s owner) → [`WakeCause::Task`] with its id;
/// 3. a [`wake_with_cause`] is under way on this thread → the cause it was given (so a
///    waker that wakes another in turn — a `JoinSet`'s or a `select!`'s sub-waker
///    waking its parent — passes the cause along);
/// 4. otherwise → [`WakeCause::Local`].
///
/// A wake through the remote queue is [`WakeCause::Remote`].
///
/// ```
/// use wakeful_executor::task::{IoEvents, WakeCause, WakeKind};
///
/// let cause = WakeCause::Io { fd: 9, events: IoEvents::READABLE | IoEvents::READ_CLOSED };
/// assert_eq!(cause.kind(), WakeKind::Io);
/// assert_eq!(cause.to_string(), "readable|read-closed on fd 9");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeCause {
    /// The task, during its own poll: `yield_now`, a spent cooperative budget, or any
    /// future that wakes its own waker before returning `Pending`.
    Itself,
    /// Another task of this runtime, during its poll (or the drop of its future, or
    /// its completion: a `JoinHandle`'s wake): a channel send, a lock released...
    Task(Id),
    /// An event of the reactor on `fd`.
    Io {
        /// The file descriptor the event was for.
        fd: RawFd,
        /// What ended the wait.
        events: IoEvents,
    },
    /// A timer that fell due.
    Timer {
        /// When it was due (on the runtime's clock, which a test may pause).
        deadline: Instant,
    },
    /// Other code on this thread while the runtime runs: the `block_on` future, the
    /// runtime between polls, a waker dropped or woken outside any poll.
    Local,
    /// Another thread, or this one while the runtime was not running: the wake went
    /// through the runtime's remote queue.
    Remote,
}

impl WakeCause {
    /// The cause without its details: the index of the per-task counters.
    ///
    /// ```
    /// use wakeful_executor::task::{WakeCause, WakeKind};
    ///
    /// assert_eq!(WakeCause::Remote.kind(), WakeKind::Remote);
    /// ```
    #[inline]
    pub fn kind(&self) -> WakeKind {
        match self {
            WakeCause::Itself => WakeKind::Itself,
            WakeCause::Task(_) => WakeKind::Task,
            WakeCause::Io { .. } => WakeKind::Io,
            WakeCause::Timer { .. } => WakeKind::Timer,
            WakeCause::Local => WakeKind::Local,
            WakeCause::Remote => WakeKind::Remote,
        }
    }
}

/// In words: "readable on fd 9", "timer due 1.5ms ago", "task 12", "itself",
/// "this thread", "another thread".
impl fmt::Display for WakeCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WakeCause::Itself => f.write_str("itself"),
            WakeCause::Task(id) => write!(f, "{id}"),
            WakeCause::Io { fd, events } => write!(f, "{events} on fd {fd}"),
            WakeCause::Timer { deadline } => {
                // Relative to the OS clock: an absolute `Instant` means nothing to a
                // reader, and under a paused clock this is the best there is.
                let now = Instant::now();
                match deadline.checked_duration_since(now) {
                    Some(ahead) if !ahead.is_zero() => write!(f, "timer due in {ahead:?}"),
                    _ => write!(f, "timer due {:?} ago", now.saturating_duration_since(*deadline)),
                }
            }
            WakeCause::Local => f.write_str("this thread"),
            WakeCause::Remote => f.write_str("another thread"),
        }
    }
}

/// The events of a [`WakeCause::Io`]: what the reactor saw end the wait. Bits, as a
/// set: combine with `|`, test with [`contains`](IoEvents::contains).
///
/// ```
/// use wakeful_executor::task::IoEvents;
///
/// let events = IoEvents::WRITABLE | IoEvents::ERROR;
/// assert!(events.contains(IoEvents::ERROR) && !events.contains(IoEvents::READABLE));
/// assert_eq!(events.to_string(), "writable|error");
/// assert_eq!(IoEvents::EMPTY.to_string(), "no event");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IoEvents(u8);

impl IoEvents {
    /// No event.
    pub const EMPTY: IoEvents = IoEvents(0);
    /// A read (or accept) will not block.
    pub const READABLE: IoEvents = IoEvents(1);
    /// A write will not block.
    pub const WRITABLE: IoEvents = IoEvents(1 << 1);
    /// The peer shut down its writing half.
    pub const READ_CLOSED: IoEvents = IoEvents(1 << 2);
    /// Our writing half is shut, or the peer is gone.
    pub const WRITE_CLOSED: IoEvents = IoEvents(1 << 3);
    /// The source has a pending error.
    pub const ERROR: IoEvents = IoEvents(1 << 4);
    /// Urgent (out-of-band) data is pending.
    pub const PRIORITY: IoEvents = IoEvents(1 << 5);

    const NAMES: [(IoEvents, &'static str); 6] = [
        (IoEvents::READABLE, "readable"),
        (IoEvents::WRITABLE, "writable"),
        (IoEvents::READ_CLOSED, "read-closed"),
        (IoEvents::WRITE_CLOSED, "write-closed"),
        (IoEvents::ERROR, "error"),
        (IoEvents::PRIORITY, "priority"),
    ];

    /// The events of `bits`, numbered as the constants are (`READABLE` is 1,
    /// `WRITABLE` 2, `READ_CLOSED` 4, `WRITE_CLOSED` 8, `ERROR` 16, `PRIORITY` 32);
    /// other bits are dropped.
    ///
    /// ```
    /// use wakeful_executor::task::IoEvents;
    ///
    /// assert_eq!(IoEvents::from_bits(1 | 4 | 128), IoEvents::READABLE | IoEvents::READ_CLOSED);
    /// ```
    pub const fn from_bits(bits: u8) -> IoEvents {
        IoEvents(bits & 0b11_1111)
    }

    /// True if every event of `other` is in `self`.
    pub const fn contains(self, other: IoEvents) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if there is no event.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for IoEvents {
    type Output = IoEvents;

    fn bitor(self, other: IoEvents) -> IoEvents {
        IoEvents(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for IoEvents {
    fn bitor_assign(&mut self, other: IoEvents) {
        self.0 |= other.0;
    }
}

impl fmt::Display for IoEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("no event");
        }
        let mut first = true;
        for (bit, name) in IoEvents::NAMES {
            if self.contains(bit) {
                f.write_str(if first { "" } else { "|" })?;
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for IoEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IoEvents({self})")
    }
}

thread_local! {
    /// The cause of the [`wake_with_cause`] under way on this thread, if any.
    static CAUSE: Cell<Option<WakeCause>> = const { Cell::new(None) };
}

/// The cause set by a [`wake_with_cause`] under way on this thread.
#[inline]
pub(crate) fn current_cause() -> Option<WakeCause> {
    CAUSE.with(Cell::get)
}

/// Wakes `waker`, attributing to `cause` a wake that queues a task of the runtime
/// running on this thread — unless a task is being polled, whose wake it then is (see
/// the rule on [`WakeCause`]). Wakes that `waker` makes in turn (a sub-waker waking its
/// parent) get the same cause.
///
/// Anything else is just `waker.wake()`: outside a runtime, with a waker of another
/// runtime or thread (a remote wake), or a waker that is not wakeful's. If the waker
/// panics, the panic goes on to the caller, and the cause is forgotten first.
///
/// ```
/// use wakeful_executor::task::{self, wake_with_cause, WakeCause, WakeKind};
/// use wakeful_executor::{yield_now, Runtime};
/// use std::task::{Poll, Waker};
///
/// let rt = Runtime::new();
/// rt.block_on(async {
///     let slot = std::rc::Rc::new(std::cell::Cell::new(None::<Waker>));
///     let parked = slot.clone();
///     let _task = wakeful_executor::spawn(std::future::poll_fn(move |cx| {
///         parked.set(Some(cx.waker().clone()));
///         Poll::<()>::Pending
///     }));
///     yield_now().await; // the task runs and leaves its waker
///     wake_with_cause(slot.take().unwrap(), WakeCause::Timer { deadline: std::time::Instant::now() });
///     assert_eq!(task::tasks()[0].wakes[WakeKind::Timer], 1);
/// });
/// ```
#[inline]
pub fn wake_with_cause(waker: Waker, cause: WakeCause) {
    let _restore = Restore(CAUSE.with(|c| c.replace(Some(cause))));
    waker.wake();
}

/// Puts back the cause that was current before a [`wake_with_cause`]: on return and
/// on unwind alike, so a panicking waker leaves no cause behind.
struct Restore(Option<WakeCause>);

impl Drop for Restore {
    fn drop(&mut self) {
        CAUSE.with(|c| c.set(self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_events_display_every_bit_in_order() {
        let all = IoEvents::NAMES.iter().fold(IoEvents::EMPTY, |acc, (bit, _)| acc | *bit);
        assert_eq!(all.to_string(), "readable|writable|read-closed|write-closed|error|priority");
    }

    #[test]
    fn cause_is_restored_after_a_panicking_wake() {
        struct Panics;
        impl std::task::Wake for Panics {
            fn wake(self: std::sync::Arc<Self>) {
                assert_eq!(current_cause(), Some(WakeCause::Remote));
                panic!("waker panics");
            }
        }
        let waker = Waker::from(std::sync::Arc::new(Panics));
        let unwound = std::panic::catch_unwind(|| wake_with_cause(waker, WakeCause::Remote));
        assert!(unwound.is_err());
        assert_eq!(current_cause(), None, "the cause leaked past the panic");
    }

    #[test]
    fn nested_cause_is_restored_to_the_outer_one() {
        struct Inner;
        impl std::task::Wake for Inner {
            fn wake(self: std::sync::Arc<Self>) {
                assert_eq!(current_cause(), Some(WakeCause::Local));
            }
        }
        struct Outer;
        impl std::task::Wake for Outer {
            fn wake(self: std::sync::Arc<Self>) {
                wake_with_cause(Waker::from(std::sync::Arc::new(Inner)), WakeCause::Local);
                assert_eq!(current_cause(), Some(WakeCause::Remote));
            }
        }
        wake_with_cause(Waker::from(std::sync::Arc::new(Outer)), WakeCause::Remote);
        assert_eq!(current_cause(), None);
    }
}
