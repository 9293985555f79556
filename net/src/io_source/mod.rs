//! [`IoSource`]: a non-blocking fd registered with the current thread's reactor — the
//! one readiness primitive under every socket type.
//!
//! Every operation follows the same loop ([`IoSource::poll_io`]):
//!
//! 1. spend one unit of the task's cooperative budget (so an always-ready socket
//!    cannot starve the other tasks);
//! 2. wait until the reactor's cached readiness says the direction may proceed;
//! 3. try the syscall;
//! 4. on `WouldBlock` — and only then — clear the readiness that was observed and go
//!    back to 2; any other result is returned as it is.
//!
//! A waiting operation keeps its waker in a place of its own among the source's
//! waiters: every async method waits as a future that gives its place back when it is
//! dropped ([`IoSource::wait`]), so a cancelled `accept()` leaves no waker behind. The
//! `poll_*` methods, which keep no state between polls, share one place per direction
//! ([`IoSource::poll_shared`]): only the task that polled last is woken.
//!
//! Stream sockets add one refinement ([`IoSource::poll_io_stream`]): a write that moved
//! fewer bytes than asked filled the socket's buffer, and a TCP read that did drained
//! it, so readiness is cleared at once instead of after one more syscall that would say
//! `EAGAIN`. Not for reads that can stop short with data still queued: at TCP's urgent
//! mark (the reactor reports `PRIORITY` then), or at a Unix socket's message carrying
//! file descriptors or credentials — so never for Unix streams.

use std::cell::Cell;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use wakeful_executor::coop;
use wakeful_reactor::{Direction, Reactor, Readiness, Token, WaiterKey};

use crate::context;
use crate::interest::Interest;
use crate::sys::{fd, sockopt};

mod stream;

pub(crate) struct IoSource<T: AsRawFd> {
    /// `None` only after `into_inner` took it.
    io: Option<T>,
    /// Held, not looked up, so the source deregisters cleanly wherever it is dropped.
    reactor: Rc<Reactor>,
    token: Token,
    /// A short read means the socket was drained (TCP streams only; see above).
    short_read_drains: bool,
    /// Per direction, the place among the waiters of the `poll_*` callers
    /// ([`poll_shared`](Self::poll_shared)).
    shared_waiters: [Cell<Option<WaiterKey>>; 2],
}

impl<T: AsRawFd> IoSource<T> {
    /// Registers `io` with this thread's reactor, first making it non-blocking: a
    /// blocking fd here would stall the whole runtime on its first read.
    pub(crate) fn new(io: T) -> io::Result<IoSource<T>> {
        fd::set_nonblocking(io.as_raw_fd())?;
        sockopt::suppress_sigpipe(io.as_raw_fd());
        IoSource::new_nonblocking(io)
    }

    /// Registers `io`, which the caller created non-blocking.
    pub(crate) fn new_nonblocking(io: T) -> io::Result<IoSource<T>> {
        let reactor = context::current()?;
        let token = reactor.register(io.as_raw_fd())?;
        Ok(IoSource {
            io: Some(io),
            reactor,
            token,
            short_read_drains: false,
            shared_waiters: Default::default(),
        })
    }

    /// Marks a TCP stream: a short read (without urgent data) drained it.
    pub(crate) fn with_short_reads_draining(mut self) -> IoSource<T> {
        self.short_read_drains = true;
        self
    }

    pub(crate) fn get_ref(&self) -> &T {
        self.io.as_ref().expect("IoSource used after into_inner")
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.io.as_mut().expect("IoSource used after into_inner")
    }

    /// Deregisters and returns the fd, still non-blocking.
    pub(crate) fn into_inner(mut self) -> io::Result<T> {
        self.reactor.deregister(self.token)?;
        Ok(self.io.take().expect("IoSource used after into_inner"))
    }

    /// Ready with the cached readiness once `dir` may proceed; else the task's waker
    /// is kept in `waiter`'s place among `dir`'s waiters (every waiting task is woken).
    ///
    /// Fails, instead of waiting forever, when this thread is not running the
    /// runtime the source is registered with: the source was made in a runtime that
    /// has since been dropped (or is not the one running now), whose reactor nobody
    /// turns.
    pub(crate) fn poll_ready(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
    ) -> Poll<io::Result<Readiness>> {
        let poll = self.reactor.poll_ready(self.token, dir, waiter, cx);
        if poll.is_pending() {
            // Only on the way to sleep: a thread-local look is cheap, but not free.
            if let Err(e) = context::check_current(&self.reactor) {
                self.reactor.cancel_wait(self.token, dir, waiter);
                return Poll::Ready(Err(e));
            }
        }
        poll
    }

    pub(crate) fn clear_readiness(&self, dir: Direction, observed: Readiness) {
        self.reactor.clear_readiness(self.token, dir, observed);
    }

    /// Runs `poll` as a future with a place of its own among `dir`'s waiters, given
    /// back when the future completes or is dropped: what every async method does, so
    /// that a cancelled `accept()` or `recv_from()` leaves no waker behind.
    pub(crate) async fn wait<R>(
        &self,
        dir: Direction,
        mut poll: impl FnMut(&mut Context<'_>, &mut Option<WaiterKey>) -> Poll<R>,
    ) -> R {
        let mut waiter = Waiter { source: self, dir, key: None };
        std::future::poll_fn(|cx| poll(cx, &mut waiter.key)).await
    }

    /// Runs `poll` with the place the source keeps for `poll_*` callers, who keep no
    /// state between polls: one per direction, so only the last task to poll is woken,
    /// and at most one waker per direction is held for them.
    ///
    /// The key is put back by a guard: `poll` runs the waker's `clone`, which may
    /// panic, and a key lost then would leave its waker in a place nobody can free.
    pub(crate) fn poll_shared<R>(&self, dir: Direction, poll: impl FnOnce(&mut Option<WaiterKey>) -> R) -> R {
        struct PutBack<'a> {
            place: &'a Cell<Option<WaiterKey>>,
            key: Option<WaiterKey>,
        }
        impl Drop for PutBack<'_> {
            fn drop(&mut self) {
                self.place.set(self.key);
            }
        }
        let place = &self.shared_waiters[dir as usize];
        let mut guard = PutBack { place, key: place.take() };
        poll(&mut guard.key)
    }

    /// Runs `op` once `dir` is ready, and again after each `WouldBlock` and wait.
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_until_drained(dir, cx, waiter, op, |_, _| false)
    }

    /// [`poll_io`](Self::poll_io) in the place kept for `poll_*` callers.
    pub(crate) fn poll_io_shared<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_shared(dir, |waiter| self.poll_io(dir, cx, waiter, op))
    }

    /// The loop under both: `drained(result, readiness)` says a successful result
    /// proves the socket drained (or filled) in `dir`.
    fn poll_io_until_drained<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        mut op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&R, Readiness) -> bool,
    ) -> Poll<io::Result<R>> {
        ready!(coop::poll_proceed(cx));
        loop {
            let ready = ready!(self.poll_ready(dir, cx, waiter))?;
            match op(self.get_ref()) {
                Ok(done) => {
                    if drained(&done, ready) {
                        // Only the data bit: a pending end of stream or error stays,
                        // for the next call to report.
                        self.clear_readiness(dir, ready.and(dir.ready_bit()));
                    }
                    return Poll::Ready(Ok(done));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(dir, ready),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Tries `op` once, without waiting: `WouldBlock` at once if the cached readiness
    /// says `dir` cannot proceed (no syscall), and after an `op` that would block.
    pub(crate) fn try_io<R>(&self, dir: Direction, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.try_io_until_drained(dir, op, |_, _| false)
    }

    /// [`try_io`](Self::try_io) with `drained`, as in
    /// [`poll_io_until_drained`](Self::poll_io_until_drained): a result that proves
    /// the socket drained (or filled) clears the data bit, so that the next wait
    /// sleeps instead of returning for an operation that could only say `WouldBlock`.
    fn try_io_until_drained<R>(
        &self,
        dir: Direction,
        op: impl FnOnce(&T) -> io::Result<R>,
        drained: impl Fn(&R, Readiness) -> bool,
    ) -> io::Result<R> {
        let ready = self.reactor.readiness(self.token)?;
        if !ready.intersects(dir.wakes_on()) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let result = op(self.get_ref());
        match &result {
            Ok(done) if drained(done, ready) => self.clear_readiness(dir, ready.and(dir.ready_bit())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(dir, ready),
            _ => {}
        }
        result
    }

    /// Waits until `dir` may proceed. Spends a unit of the task's budget, as an
    /// operation does: a `readable().await` + `try_read` loop on a socket that stays
    /// ready (at end of stream, say) must yield now and then too.
    ///
    /// A future written by hand, not an `async fn` over [`wait`](Self::wait): that
    /// one nests three state machines, each keeping its own copy of `self` and `dir`
    /// (120 bytes where this takes 24), and an idle connection waiting here is
    /// mostly this future (`examples/echo_lean.rs`).
    pub(crate) fn ready(&self, dir: Direction) -> Ready<'_, T> {
        Ready { waiter: Waiter { source: self, dir, key: None } }
    }

    /// Waits until any direction of `interest` may proceed, with a place of its own
    /// among the waiters of each (both given back when the future completes or is
    /// dropped). Spends a unit of the task's budget, as [`ready`](Self::ready) does.
    pub(crate) async fn ready_for(&self, interest: Interest) -> io::Result<Readiness> {
        let mut read = Waiter { source: self, dir: Direction::Read, key: None };
        let mut write = Waiter { source: self, dir: Direction::Write, key: None };
        std::future::poll_fn(|cx| {
            ready!(coop::poll_proceed(cx));
            // Both directions are polled before sleeping, so either event wakes us.
            if interest.is_readable() {
                if let Poll::Ready(ready) = self.poll_ready(Direction::Read, cx, &mut read.key) {
                    return Poll::Ready(ready);
                }
            }
            if interest.is_writable() {
                if let Poll::Ready(ready) = self.poll_ready(Direction::Write, cx, &mut write.key) {
                    return Poll::Ready(ready);
                }
            }
            Poll::Pending
        })
        .await
    }

    /// Runs `op` once `dir` is ready, as [`poll_io`](Self::poll_io), as a future with
    /// its own place among the waiters.
    pub(crate) async fn io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.wait(dir, |cx, waiter| self.poll_io(dir, cx, waiter, &mut op)).await
    }
}

/// The future of [`IoSource::ready`]: its place among the waiters, nothing else.
pub(crate) struct Ready<'a, T: AsRawFd> {
    waiter: Waiter<'a, T>,
}

impl<T: AsRawFd> std::future::Future for Ready<'_, T> {
    type Output = io::Result<Readiness>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        ready!(coop::poll_proceed(cx));
        // `Ready` is `Unpin` (references and plain values): no pinning to keep.
        let waiter = &mut self.get_mut().waiter;
        waiter.source.poll_ready(waiter.dir, cx, &mut waiter.key)
    }
}

/// A waiting future's place among a source's waiters: given back on drop.
struct Waiter<'a, T: AsRawFd> {
    source: &'a IoSource<T>,
    dir: Direction,
    key: Option<WaiterKey>,
}

impl<T: AsRawFd> Drop for Waiter<'_, T> {
    fn drop(&mut self) {
        self.source.reactor.cancel_wait(self.source.token, self.dir, &mut self.key);
    }
}

impl<T: AsRawFd> AsRawFd for IoSource<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd> Drop for IoSource<T> {
    fn drop(&mut self) {
        if self.io.is_some() {
            // Cannot fail for a source registered here; if it somehow did, closing the
            // fd (right after this) removes it from the epoll/kqueue set anyway.
            let _ = self.reactor.deregister(self.token);
        }
    }
}

impl<T: AsRawFd + std::fmt::Debug> std::fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoSource").field("io", &self.io).field("token", &self.token).finish()
    }
}
