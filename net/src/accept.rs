//! What every listener does when `accept` fails: skip connections that died in the
//! backlog, and back off — instead of spinning or failing — when the process runs out
//! of file descriptors.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use wakeful_reactor::errno;

use crate::time::{sleep, Sleep};

/// The first pause after the process ran out of file descriptors.
const MIN_BACKOFF: Duration = Duration::from_millis(1);
/// The longest pause: how late, at worst, accepting resumes once fds are free again.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// What to do about an `accept` error.
pub(crate) enum AcceptError {
    /// The connection failed between the handshake and `accept`: take the next.
    Skip,
    /// Out of descriptors or memory: pause, then retry (the connection stays queued).
    Backoff,
    /// Anything else: report it.
    Fail(io::Error),
}

impl AcceptError {
    pub(crate) fn classify(err: io::Error) -> AcceptError {
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

/// A listener's pause after fd exhaustion: 1 ms, doubling up to 100 ms.
#[derive(Debug)]
pub(crate) struct Backoff {
    /// The next pause, doubling after each failure, reset by a success.
    delay: Duration,
    /// Set while pausing.
    sleep: Option<Sleep>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { delay: MIN_BACKOFF, sleep: None }
    }
}

impl Backoff {
    /// `Pending` while pausing.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(sleep) = &mut self.sleep {
            ready!(Pin::new(sleep).poll(cx));
            self.sleep = None;
        }
        Poll::Ready(())
    }

    pub(crate) fn start(&mut self) {
        self.sleep = Some(sleep(self.delay));
        self.delay = (self.delay * 2).min(MAX_BACKOFF);
    }

    pub(crate) fn reset(&mut self) {
        self.delay = MIN_BACKOFF;
    }
}
