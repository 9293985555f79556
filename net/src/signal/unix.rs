//! [`signal`]: a stream of deliveries of one Unix signal.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use wakeful_reactor::Direction;

use super::registry;
use crate::io_source::IoSource;
use crate::sys::fd;

/// Which signal to listen for.
///
/// ```
/// use wakeful::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::terminate().as_raw(), libc::SIGTERM);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal, by number (`libc::SIGRTMIN() + 1`, …).
    pub const fn from_raw(signal: i32) -> SignalKind {
        SignalKind(signal)
    }

    /// The signal's number.
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// `SIGINT`: Ctrl-C at a terminal.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`: a polite request to terminate.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal went away; by convention, "reload configuration".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGQUIT`.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGUSR1`.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGCHLD`: a child process changed state.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGPIPE` (wakeful's own writes never raise it).
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGALRM`.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGWINCH`: the terminal was resized.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

/// Listens for deliveries of `kind`, from now on.
///
/// Fails outside a runtime, and for signals that cannot be caught (`SIGKILL`,
/// `SIGSTOP`) or whose handler must not return (`SIGSEGV`, `SIGBUS`, `SIGILL`,
/// `SIGFPE`).
///
/// ```
/// use wakeful::signal::unix::{signal, SignalKind};
///
/// wakeful::block_on(async {
///     let mut hangups = signal(SignalKind::hangup())?;
///     // SAFETY: sends SIGHUP to this process, whose handler is now installed.
///     unsafe { libc::kill(libc::getpid(), libc::SIGHUP) };
///     hangups.recv().await;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let (pipe, seen) = registry::listen(kind.0)?;
    Ok(Signal { kind, pipe: IoSource::new_nonblocking(pipe)?, seen, id: registry::next_id() })
}

/// Deliveries of one signal; from [`signal`]. Also a `Stream` of `()`.
///
/// ```
/// use wakeful::signal::unix::{signal, SignalKind};
///
/// wakeful::block_on(async {
///     let mut reload = signal(SignalKind::user_defined2())?;
///     // SAFETY: sends SIGUSR2 to this process, whose handler is now installed.
///     unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) };
///     assert_eq!(reload.recv().await, Some(()));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Signal {
    kind: SignalKind,
    /// This listener's duplicate of the self-pipe's read end.
    pipe: IoSource<OwnedFd>,
    /// The delivery count this listener has reported up to.
    seen: u64,
    /// Its entry in the registry's list of waiters.
    id: u64,
}

impl Signal {
    /// Waits for the next delivery: `Some(())`. The stream does not end while a
    /// runtime polls it (the `Option` is for symmetry with channels and with tokio);
    /// a listener made in one runtime and polled in another on this thread moves
    /// there, as a [`Sleep`](crate::time::Sleep) does. `None` only when it cannot
    /// wait at all: polled outside any runtime, or out of file descriptors to move.
    ///
    /// Cancel-safe: a delivery is consumed only when `recv` returns.
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery; see [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let mut moved = false;
        loop {
            // The handler counts before it writes, so once the pipe has woken us the
            // count already includes the delivery.
            if self.take_delivery() {
                return Poll::Ready(Some(()));
            }
            // Be on the waiters' list before the last look at the counter: a listener
            // elsewhere that drains the byte meant for us, after this, wakes us.
            registry::wait(self.id, cx.waker());
            if self.take_delivery() {
                return Poll::Ready(Some(()));
            }
            match ready!(self.pipe.poll_shared(Direction::Read, |waiter| self.pipe.poll_ready(
                Direction::Read,
                cx,
                waiter
            ))) {
                Ok(ready) => {
                    if drain(&self.pipe) {
                        registry::wake_all();
                    }
                    self.pipe.clear_readiness(Direction::Read, ready);
                }
                // The pipe is registered with the runtime the listener was made in,
                // which is not the one polling it now (dropped since, or another on
                // this thread): its reactor would never wake us. Signals are
                // process-wide, so the listener moves here instead of failing. Once:
                // if the pipe still cannot wait here, the stream ends (no spin).
                Err(_) if !moved && self.move_to_current_runtime().is_ok() => moved = true,
                Err(_) => return Poll::Ready(None),
            }
        }
    }

    /// Registers a duplicate of the pipe with this thread's runtime, in place of the
    /// one registered elsewhere. Deliveries are counted process-wide and the pipe is
    /// shared, so none is lost; a byte already in the pipe wakes the new registration.
    fn move_to_current_runtime(&mut self) -> io::Result<()> {
        let pipe = fd::dup_cloexec(self.pipe.as_raw_fd())?;
        self.pipe = IoSource::new_nonblocking(pipe)?;
        Ok(())
    }

    /// Which signal this listens for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }

    /// True (and counted as reported) if there were deliveries since the last.
    fn take_delivery(&mut self) -> bool {
        let count = registry::deliveries(self.kind.0);
        let new = count > self.seen;
        self.seen = count;
        new
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        registry::forget(self.id);
    }
}

/// Empties the self-pipe (shared by every listener: the bytes only say "look");
/// true if it held anything.
fn drain(pipe: &IoSource<OwnedFd>) -> bool {
    let mut buf = [0u8; 64];
    let mut any = false;
    // Stops at EAGAIN (empty), or any error, which the next wakeup retries.
    while let Ok(n) = fd::read(pipe.as_raw_fd(), &mut buf) {
        any |= n > 0;
        if n < buf.len() {
            break;
        }
    }
    any
}

impl Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}
