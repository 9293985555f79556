//! [`Reactor::waiting`]: a read-only listing of the wakers the reactor holds, and what
//! each waits for — for task dumps. The reactor still knows nothing of tasks: it hands
//! out each waker's two pointers, and the executor recognises its own.

use std::os::fd::RawFd;
use std::task::{RawWakerVTable, Waker};
use std::time::Instant;

use super::Reactor;
use crate::Direction;

/// One waker the reactor holds ([`Reactor::waiting`]): its pointers, never the waker.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Waiting {
    /// The waker's [`data`](Waker::data) pointer: compare it, do not follow it.
    pub data: *const (),
    /// The waker's [`vtable`](Waker::vtable).
    pub vtable: &'static RawWakerVTable,
    /// What the waker waits for.
    pub waits_for: WaitsFor,
}

/// What a waker held by the reactor waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitsFor {
    /// An fd to become ready in `direction` (read also covers accept).
    Io {
        /// The registered fd.
        fd: RawFd,
        /// Which of its waiter lists holds the waker.
        direction: Direction,
    },
    /// A timer, due at `deadline` by the reactor's clock ([`Reactor::now`]).
    Timer {
        /// When it fires.
        deadline: Instant,
    },
}

impl Waiting {
    fn of(waker: &Waker, waits_for: WaitsFor) -> Waiting {
        Waiting { data: waker.data(), vtable: waker.vtable(), waits_for }
    }
}

impl Reactor {
    /// Every waker held now — among an fd's read or write waiters, or by a pending
    /// timer — with what it waits for; sources in slot order, then timers.
    ///
    /// Runs no waker code (nothing is cloned or dropped). Called from inside a
    /// reactor method (a waker's `clone` run by [`poll_ready`](Self::poll_ready),
    /// say), a table then borrowed is left out rather than a panic.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use std::task::{Context, Waker};
    /// use std::time::{Duration, Instant};
    /// use wakeful_reactor::{Direction, Reactor, WaitsFor};
    ///
    /// let reactor = Reactor::new()?;
    /// let (a, _b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let token = reactor.register(a.as_raw_fd())?;
    /// let mut waiter = None;
    /// let _ = reactor.poll_ready(token, Direction::Read, &mut waiter, &mut Context::from_waker(Waker::noop()));
    /// let deadline = Instant::now() + Duration::from_secs(60);
    /// let timer = reactor.insert_timer(deadline, Waker::noop());
    ///
    /// let waiting = reactor.waiting();
    /// assert_eq!(waiting.len(), 2);
    /// assert_eq!(waiting[0].waits_for, WaitsFor::Io { fd: a.as_raw_fd(), direction: Direction::Read });
    /// assert!(matches!(waiting[1].waits_for, WaitsFor::Timer { .. }));
    /// assert_eq!(waiting[0].data, Waker::noop().data());
    /// reactor.remove_timer(timer);
    /// reactor.deregister(token)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn waiting(&self) -> Vec<Waiting> {
        let mut out = Vec::new();
        if let Ok(sources) = self.sources.try_borrow() {
            sources.for_each_waker(|fd, direction, waker| {
                out.push(Waiting::of(waker, WaitsFor::Io { fd, direction }));
            });
        }
        if let Ok(timers) = self.timers.try_borrow() {
            timers.for_each_waker(|deadline, waker| {
                out.push(Waiting::of(waker, WaitsFor::Timer { deadline: self.instant(deadline) }));
            });
        }
        out
    }
}
