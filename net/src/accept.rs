//! What every listener does when `accept` fails: skip connections that died in the
//! backlog, and back off — instead of spinning or failing — when the process runs out
//! of file descriptors.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use wakeful_reactor::{errno, Direction};

use crate::io_source::IoSource;
use crate::socket::{self, SockAddr};
use crate::time::{sleep, Sleep};

/// The first pause after the process ran out of file descriptors.
const MIN_BACKOFF: Duration = Duration::from_millis(1);
/// The longest pause: how late, at worst, accepting resumes once fds are free again.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// What to do about an `accept` error.
enum AcceptError {
    /// The connection failed between the handshake and `accept`: take the next.
    Skip,
    /// Out of descriptors or memory: pause, then retry (the connection stays queued).
    Backoff,
    /// Anything else: report it.
    Fail(io::Error),
}

impl AcceptError {
    fn classify(err: io::Error) -> AcceptError {
        match errno(&err) {
            // Linux passes pending network errors of the new connection through
            // accept(2), whose man page says to treat them like EAGAIN and retry.
            Some(
                libc::ECONNABORTED
                | libc::EPROTO
                | libc::ENETDOWN
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH,
            ) => AcceptError::Skip,
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => AcceptError::Backoff,
            _ => AcceptError::Fail(err),
        }
    }
}

/// A listener's accept loop, shared by TCP and Unix listeners.
#[derive(Debug, Default)]
pub(crate) struct Acceptor {
    /// The pause after fd exhaustion: 1 ms, doubling up to 100 ms, reset by a success.
    delay: Cell<Option<Duration>>,
    /// Set while pausing.
    sleep: RefCell<Option<Sleep>>,
}

impl Acceptor {
    /// Accepts one connection on `listener` (non-blocking, close-on-exec, with its
    /// peer's address), skipping dead ones and pausing through fd exhaustion.
    pub(crate) fn poll_accept<T: AsRawFd>(
        &self,
        listener: &IoSource<T>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(OwnedFd, SockAddr)>> {
        loop {
            ready!(self.poll_pause(cx));
            let accepted = ready!(listener.poll_io(Direction::Read, cx, |l| socket::accept(l.as_raw_fd())));
            match accepted.map_err(AcceptError::classify) {
                Ok(accepted) => {
                    self.delay.set(None);
                    return Poll::Ready(Ok(accepted));
                }
                Err(AcceptError::Skip) => continue,
                Err(AcceptError::Backoff) => self.pause(),
                Err(AcceptError::Fail(e)) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// `Pending` while pausing.
    fn poll_pause(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut sleep = self.sleep.borrow_mut();
        if let Some(pause) = sleep.as_mut() {
            ready!(Pin::new(pause).poll(cx));
            *sleep = None;
        }
        Poll::Ready(())
    }

    fn pause(&self) {
        let delay = self.delay.get().unwrap_or(MIN_BACKOFF);
        *self.sleep.borrow_mut() = Some(sleep(delay));
        self.delay.set(Some((delay * 2).min(MAX_BACKOFF)));
    }
}
