//! A channel for one value: [`channel`] gives a [`Sender`] and a [`Receiver`], which
//! is itself the future of the value.
//!
//! ```
//! use wakeful::sync::oneshot;
//!
//! wakeful::block_on(async {
//!     let (tx, rx) = oneshot::channel();
//!     wakeful::spawn(async move { tx.send(42).unwrap() });
//!     assert_eq!(rx.await, Ok(42));
//!
//!     let (tx, rx) = oneshot::channel::<u8>();
//!     drop(tx); // the sender gave up: the receiver is told
//!     assert!(rx.await.is_err());
//! });
//! ```
//!
//! # Differences from tokio
//!
//! - Both halves are `!Send`; no `blocking_recv` (one thread cannot block on itself).
//! - A `Receiver` polled again after it completed returns `Err(RecvError)` where
//!   tokio's panics.

use crate::waiters::{with_waker, NeedsClone, WakerSlot};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A new channel for one value.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Rc::new(Inner {
        value: RefCell::new(None),
        sent_or_dropped: Cell::new(false),
        rx_closed: Cell::new(false),
        rx_waker: Cell::new(None),
        tx_waker: Cell::new(None),
    });
    (Sender { inner: Some(inner.clone()) }, Receiver { inner: Some(inner) })
}

struct Inner<T> {
    value: RefCell<Option<T>>,
    /// The sender is done: it sent (then `value` is `Some` until taken) or was dropped.
    sent_or_dropped: Cell<bool>,
    /// The receiver closed or was dropped: a send fails.
    rx_closed: Cell<bool>,
    rx_waker: Cell<Option<Waker>>,
    /// The waker of a task in `Sender::closed`.
    tx_waker: Cell<Option<Waker>>,
}

/// Sends the value; see the [module docs](self).
pub struct Sender<T> {
    /// `None` once sent.
    inner: Option<Rc<Inner<T>>>,
}

/// Receives the value by being awaited; see the [module docs](self).
pub struct Receiver<T> {
    /// `None` once the value (or the error) was returned.
    inner: Option<Rc<Inner<T>>>,
}

pub mod error {
    //! The errors of a oneshot channel.
    use std::fmt;

    /// The sender was dropped without sending (or the value was already received).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RecvError(pub(crate) ());

    /// Why `try_recv` got no value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TryRecvError {
        /// Nothing sent yet.
        Empty,
        /// The sender was dropped without sending, or the value was already taken.
        Closed,
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }
    impl std::error::Error for RecvError {}

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                TryRecvError::Empty => "channel empty",
                TryRecvError::Closed => "channel closed",
            })
        }
    }
    impl std::error::Error for TryRecvError {}
}
use error::{RecvError, TryRecvError};

impl<T> Sender<T> {
    /// Sends `value`, waking the receiver; gives it back if the receiver is closed or
    /// gone. (A value sent just before the receiver is dropped is dropped with it.)
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("a sender sends once, consuming itself");
        if inner.rx_closed.get() {
            self.inner = Some(inner); // its drop still marks the sender done
            return Err(value);
        }
        *inner.value.borrow_mut() = Some(value);
        inner.sent_or_dropped.set(true);
        if let Some(waker) = inner.rx_waker.take() {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver closed or was dropped.
    pub fn is_closed(&self) -> bool {
        self.inner.as_ref().is_none_or(|inner| inner.rx_closed.get())
    }

    /// Completes when the receiver closes or is dropped. Cancel-safe; a dropped
    /// `closed()` leaves no waker behind.
    pub async fn closed(&mut self) {
        Closed { sender: self }.await
    }

    /// Polls for the receiver's closing, storing `cx`'s waker (one task at a time).
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = &self.inner else { return Poll::Ready(()) };
        // Checked again after a clone: it may have closed or dropped the receiver.
        with_waker(cx.waker(), |slot| {
            if inner.rx_closed.get() {
                return Ok(Poll::Ready(()));
            }
            store_in_cell(&inner.tx_waker, slot)?;
            Ok(Poll::Pending)
        })
    }
}

/// `Sender::closed`'s future; takes its waker out when dropped.
struct Closed<'a, T> {
    sender: &'a mut Sender<T>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.sender.poll_closed(cx)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(inner) = &self.sender.inner {
            drop(inner.tx_waker.take());
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else { return };
        inner.sent_or_dropped.set(true);
        drop(inner.tx_waker.take());
        if let Some(waker) = inner.rx_waker.take() {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else { return Err(TryRecvError::Closed) };
        let value = inner.value.borrow_mut().take();
        match value {
            Some(value) => {
                self.finish();
                Ok(value)
            }
            // Given up, or closed by this receiver: no value can come any more.
            None if inner.sent_or_dropped.get() || inner.rx_closed.get() => {
                self.finish();
                Err(TryRecvError::Closed)
            }
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuses the value from now on: the sender's `send` fails and `closed()`
    /// completes. A value sent before still arrives (`try_recv` or `.await`).
    pub fn close(&mut self) {
        let Some(inner) = &self.inner else { return };
        inner.rx_closed.set(true);
        if let Some(waker) = inner.tx_waker.take() {
            waker.wake();
        }
    }

    /// Whether this already returned its value or error.
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Whether there is no value to take right now.
    pub fn is_empty(&self) -> bool {
        self.inner.as_ref().is_none_or(|inner| inner.value.borrow().is_none())
    }

    /// Ends the receiver's part; the sender sees it closed.
    fn finish(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.rx_closed.set(true);
            drop(inner.rx_waker.take());
            if let Some(waker) = inner.tx_waker.take() {
                waker.wake();
            }
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    /// Cancel-safe: dropping the receiver drops the value, but an `.await` on
    /// `&mut receiver` that is cancelled loses nothing.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // `try_recv` again after a clone: it may have sent, or dropped the sender.
        with_waker(cx.waker(), |slot| match this.try_recv() {
            Ok(value) => Ok(Poll::Ready(Ok(value))),
            Err(TryRecvError::Closed) => Ok(Poll::Ready(Err(RecvError(())))),
            Err(TryRecvError::Empty) => {
                let inner = this.inner.as_ref().expect("empty means not finished");
                store_in_cell(&inner.rx_waker, slot)?;
                Ok(Poll::Pending)
            }
        })
    }
}

/// [`WakerSlot::store_in`] for a waker kept in a `Cell`: out and back in, with no
/// user code run in between (`will_wake` compares, it calls nothing).
fn store_in_cell(cell: &Cell<Option<Waker>>, slot: &mut WakerSlot<'_>) -> Result<(), NeedsClone> {
    let mut stored = cell.take();
    let stored_now = slot.store_in(&mut stored);
    cell.set(stored);
    stored_now
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let Some(inner) = &self.inner else { return };
        // Drop a value that arrived and nobody will take, outside any borrow: its
        // `Drop` may use this channel's other half.
        let value = inner.value.borrow_mut().take();
        self.finish();
        drop(value);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("closed", &self.is_closed()).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("terminated", &self.is_terminated()).finish()
    }
}
