//! A channel for one value whose halves are `Send`: [`channel`] gives a [`Sender`]
//! and a [`Receiver`], which is itself the future of the value.
//!
//! ```
//! use wakeful::sync::remote::oneshot;
//!
//! wakeful::block_on(async {
//!     let (tx, rx) = oneshot::channel();
//!     std::thread::spawn(move || tx.send(42).unwrap());
//!     assert_eq!(rx.await, Ok(42));
//!
//!     let (tx, rx) = oneshot::channel::<u8>();
//!     std::thread::spawn(move || drop(tx)); // the sender gave up: the receiver is told
//!     assert!(rx.await.is_err());
//! });
//! ```
//!
//! # Differences from tokio
//!
//! - A `Receiver` polled again after it completed returns `Err(RecvError)` where
//!   tokio's panics.
//! - `blocking_recv` does not detect a runtime (see [`remote`](super)).

use super::{block, lock};
use crate::waiters::with_waker;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

pub use self::error::{RecvError, TryRecvError};

/// A new channel for one value.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Mutex::new(State {
        value: None,
        sent_or_dropped: false,
        rx_closed: false,
        rx_waker: None,
        tx_waker: None,
    }));
    (Sender { inner: Some(inner.clone()) }, Receiver { inner: Some(inner) })
}

struct State<T> {
    value: Option<T>,
    /// The sender is done: it sent (then `value` is `Some` until taken) or was dropped.
    sent_or_dropped: bool,
    /// The receiver closed or was dropped: a send fails.
    rx_closed: bool,
    /// The waker of the task awaiting the receiver.
    rx_waker: Option<Waker>,
    /// The waker of a task in `Sender::closed`.
    tx_waker: Option<Waker>,
}

/// Sends the value; `Send` when `T` is. See the [module docs](self).
pub struct Sender<T> {
    /// `None` once sent.
    inner: Option<Arc<Mutex<State<T>>>>,
}

/// Receives the value by being awaited; `Send` when `T` is.
pub struct Receiver<T> {
    /// `None` once it returned its value or error.
    inner: Option<Arc<Mutex<State<T>>>>,
}

/// The errors of the oneshot channel, as tokio's: the same types as the local
/// [`oneshot`](crate::oneshot::error) channel's.
pub mod error {
    pub use crate::oneshot::error::{RecvError, TryRecvError};
}

impl<T> Sender<T> {
    /// Sends `value`, waking the receiver; gives it back if the receiver is closed
    /// or gone. Never waits.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("a sender sends once");
        let mut state = lock(&inner);
        if state.rx_closed {
            state.sent_or_dropped = true;
            let tx_waker = state.tx_waker.take();
            drop(state);
            drop(tx_waker);
            return Err(value);
        }
        state.value = Some(value);
        state.sent_or_dropped = true;
        let (rx_waker, tx_waker) = (state.rx_waker.take(), state.tx_waker.take());
        drop(state);
        wake_then_drop(rx_waker, tx_waker);
        Ok(())
    }

    /// Whether the receiver is closed or gone (a `send` would fail).
    pub fn is_closed(&self) -> bool {
        self.inner.as_ref().is_none_or(|inner| lock(inner).rx_closed)
    }

    /// Waits until the receiver is closed or gone. Cancel-safe: dropped while it
    /// waits, it takes its waker out.
    pub async fn closed(&mut self) {
        Closed { sender: self, waiting: false }.await
    }

    /// Polls for the receiver being closed or gone, storing the task's waker if not.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = &self.inner else { return Poll::Ready(()) };
        with_waker(cx.waker(), |slot| {
            let mut state = lock(inner);
            if state.rx_closed {
                return Ok(Poll::Ready(()));
            }
            slot.store_in(&mut state.tx_waker)?;
            Ok(Poll::Pending)
        })
    }
}

/// `Sender::closed`'s future; takes its waker out when dropped while waiting.
struct Closed<'a, T> {
    sender: &'a mut Sender<T>,
    waiting: bool,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let poll = self.sender.poll_closed(cx);
        self.waiting = poll.is_pending();
        poll
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(inner) = self.sender.inner.as_ref().filter(|_| self.waiting) {
            let waker = lock(inner).tx_waker.take();
            drop(waker);
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else { return };
        let mut state = lock(&inner);
        state.sent_or_dropped = true;
        let (rx_waker, tx_waker) = (state.rx_waker.take(), state.tx_waker.take());
        drop(state);
        wake_then_drop(rx_waker, tx_waker);
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else { return Err(TryRecvError::Closed) };
        let mut state = lock(inner);
        match state.value.take() {
            Some(value) => {
                drop(state);
                self.finish();
                Ok(value)
            }
            None if state.sent_or_dropped || state.rx_closed => {
                drop(state);
                self.finish();
                Err(TryRecvError::Closed)
            }
            None => Err(TryRecvError::Empty),
        }
    }

    /// Waits for the value on this thread, parking it: for plain threads, not for
    /// tasks (see [`remote`](super)).
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        block::block_on(self)
    }

    /// Refuses the value from now on: the sender's `send` fails and `closed()`
    /// completes. A value sent before still arrives (`try_recv` or `.await`);
    /// without one, they return the closed error at once, as tokio's.
    pub fn close(&mut self) {
        let Some(inner) = &self.inner else { return };
        let mut state = lock(inner);
        state.rx_closed = true;
        let tx_waker = state.tx_waker.take();
        drop(state);
        crate::waiters::wake_all(tx_waker);
    }

    /// Whether this already returned its value or error.
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Whether there is no value to take right now.
    pub fn is_empty(&self) -> bool {
        self.inner.as_ref().is_none_or(|inner| lock(inner).value.is_none())
    }

    /// Ends the receiver's part; the sender sees it closed. Drops a value nobody
    /// took, and the wakers, after the lock: their `Drop` may use this channel.
    fn finish(&mut self) {
        let Some(inner) = self.inner.take() else { return };
        let mut state = lock(&inner);
        state.rx_closed = true;
        let value = state.value.take();
        let (rx_waker, tx_waker) = (state.rx_waker.take(), state.tx_waker.take());
        drop(state);
        wake_then_drop(tx_waker, (value, rx_waker));
    }
}

/// Wakes the other side's task, then drops `rest` (this side's waker, a value):
/// their `Drop` is user code that may panic, and must not keep the other task
/// asleep; a panicking wake must not leak `rest` either. The first panic goes on
/// once both are done.
fn wake_then_drop<D>(waker: Option<Waker>, rest: D) {
    let woken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::waiters::wake_all(waker)));
    drop(rest);
    if let Err(payload) = woken {
        std::panic::resume_unwind(payload);
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    /// Cancel-safe: dropping the receiver drops the value, but an `.await` on
    /// `&mut receiver` that is cancelled loses nothing.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(inner) = &this.inner else { return Poll::Ready(Err(RecvError(()))) };
        let ready = with_waker(cx.waker(), |slot| {
            let mut state = lock(inner);
            match state.value.take() {
                Some(value) => Ok(Some(Ok(value))),
                None if state.sent_or_dropped || state.rx_closed => Ok(Some(Err(RecvError(())))),
                None => {
                    slot.store_in(&mut state.rx_waker)?;
                    Ok(None)
                }
            }
        });
        match ready {
            Some(result) => {
                this.finish();
                Poll::Ready(result)
            }
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("sent", &self.inner.is_none()).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("terminated", &self.inner.is_none()).finish_non_exhaustive()
    }
}
