//! What every listener does when `accept` fails: skip connections that died in the
//! backlog, and back off — instead of spinning or failing — when the process runs out
//! of file descriptors.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use wakeful_reactor::{Direction, WaiterKey};

use crate::io_source::IoSource;
use crate::sys::addr::SockAddr;
use crate::sys::socket::{self, AcceptError};
use crate::time::{sleep_until, Sleep};

/// The first pause after the process ran out of file descriptors.
const MIN_BACKOFF: Duration = Duration::from_millis(1);
/// The longest pause: how late, at worst, accepting resumes once fds are free again.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// A listener's accept loop, shared by TCP and Unix listeners.
///
/// After fd exhaustion the whole listener pauses until [`resume_at`](Self::resume_at);
/// every accepting future waits that out on a timer of its own, so each is woken —
/// none is stranded behind another's waker.
#[derive(Default)]
pub(crate) struct Acceptor {
    /// The next pause after fd exhaustion: 1 ms, doubling up to 100 ms, reset by a
    /// success.
    delay: Cell<Option<Duration>>,
    /// Set while pausing: when accepting may be tried again.
    resume_at: Cell<Option<Instant>>,
    /// The pause timer of `poll_accept` callers, who keep no state of their own.
    shared_pause: Cell<Option<Sleep>>,
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor")
            .field("delay", &self.delay.get())
            .field("resume_at", &self.resume_at.get())
            .finish()
    }
}

impl Acceptor {
    /// Accepts one connection on `listener` (non-blocking, close-on-exec, with its
    /// peer's address), skipping dead ones and pausing through fd exhaustion. The
    /// future has its own place among the listener's waiters and its own pause timer,
    /// both given up if it is dropped.
    pub(crate) async fn accept<T: AsRawFd>(&self, listener: &IoSource<T>) -> io::Result<(OwnedFd, SockAddr)> {
        let mut pause = None;
        listener
            .wait(Direction::Read, |cx, waiter| self.poll_accept_as(listener, cx, waiter, &mut pause))
            .await
    }

    /// [`accept`](Self::accept) for `poll_accept` callers: only the task that polled
    /// last is woken.
    pub(crate) fn poll_accept<T: AsRawFd>(
        &self,
        listener: &IoSource<T>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(OwnedFd, SockAddr)>> {
        let mut pause = self.shared_pause.take();
        let polled = listener
            .poll_shared(Direction::Read, |waiter| self.poll_accept_as(listener, cx, waiter, &mut pause));
        self.shared_pause.set(pause);
        polled
    }

    fn poll_accept_as<T: AsRawFd>(
        &self,
        listener: &IoSource<T>,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        pause: &mut Option<Sleep>,
    ) -> Poll<io::Result<(OwnedFd, SockAddr)>> {
        loop {
            ready!(self.poll_pause(cx, pause));
            let accepted =
                ready!(listener.poll_io(Direction::Read, cx, waiter, |l| socket::accept(l.as_raw_fd())));
            match accepted.map_err(AcceptError::classify) {
                Ok(accepted) => {
                    self.delay.set(None);
                    return Poll::Ready(Ok(accepted));
                }
                Err(AcceptError::Skip) => continue,
                Err(AcceptError::Backoff) => self.start_pause(),
                Err(AcceptError::Fail(e)) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// `Pending` while the listener pauses, with `pause` the caller's own timer.
    fn poll_pause(&self, cx: &mut Context<'_>, pause: &mut Option<Sleep>) -> Poll<()> {
        let Some(until) = self.resume_at.get() else {
            *pause = None;
            return Poll::Ready(());
        };
        let timer = pause.get_or_insert_with(|| sleep_until(until));
        if timer.deadline() != until {
            Pin::new(&mut *timer).reset(until); // the pause was extended since
        }
        ready!(Pin::new(timer).poll(cx));
        *pause = None;
        if self.resume_at.get() == Some(until) {
            self.resume_at.set(None);
        }
        Poll::Ready(())
    }

    fn start_pause(&self) {
        let delay = self.delay.get().unwrap_or(MIN_BACKOFF);
        // On the runtime's clock, which a test may pause: the sleep that waits this
        // pause out fires by the same clock.
        self.resume_at.set(Some(crate::context::now() + delay));
        self.delay.set(Some((delay * 2).min(MAX_BACKOFF)));
    }
}
