//! Multi-producer, single-consumer channels: [`channel`] (bounded: senders wait for
//! room) and [`unbounded_channel`].
//!
//! ```
//! use wakeful::sync::mpsc;
//!
//! wakeful::block_on(async {
//!     let (tx, mut rx) = mpsc::channel(2);
//!     for id in 0..3 {
//!         let tx = tx.clone();
//!         wakeful::spawn(async move { tx.send(id).await.unwrap() });
//!     }
//!     drop(tx); // recv returns None once every sender is gone
//!     let mut got = Vec::new();
//!     while let Some(id) = rx.recv().await {
//!         got.push(id);
//!     }
//!     assert_eq!(got, [0, 1, 2]);
//! });
//! ```
//!
//! Messages from one sender arrive in the order sent; senders waiting for room are
//! served in the order they started waiting. Closing the receiver (or dropping it)
//! fails every later send and completes `Sender::closed`; messages already queued,
//! and those of permits already reserved, can still be received after `close`.
//!
//! # Differences from tokio
//!
//! - Every half is `!Send`: the channel serves the tasks of one thread. No
//!   `blocking_send`/`blocking_recv` (one thread cannot block on itself).
//! - No `send_timeout`: this crate has no timers. The port is
//!   `wakeful::time::timeout(d, tx.send(v)).await`; on timeout the `send` future is
//!   dropped and `v` with it, where tokio's `send_timeout` hands `v` back in
//!   `SendTimeoutError::Timeout(v)`. To keep the value, `reserve()` under the timeout
//!   and send through the permit.
//! - `recv()` returns a named future, [`Recv`], instead of being an `async fn`; it is
//!   used the same way.
//! - The receivers implement `futures_core::Stream` directly (tokio needs
//!   `tokio_stream::wrappers::ReceiverStream`).

#[macro_use]
mod receiver;
mod bounded;
mod chan;
mod closed;
pub mod error;
mod many;
mod unbounded;
mod weak;

pub use bounded::{channel, OwnedPermit, Permit, Receiver, Sender};
pub use many::PermitIterator;
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender};
pub use weak::{WeakSender, WeakUnboundedSender};

use chan::Rx;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of `recv()` on either receiver; takes its waker out when dropped.
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    rx: &'a mut Rx<T>,
    /// Whether a poll left our waker in the channel.
    waiting: bool,
}

impl<'a, T> Recv<'a, T> {
    fn new(rx: &'a mut Rx<T>) -> Self {
        Recv { rx, waiting: false }
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let poll = self.rx.poll_recv(cx);
        self.waiting = poll.is_pending();
        poll
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if self.waiting {
            self.rx.forget_waker();
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").field("waiting", &self.waiting).finish()
    }
}

/// `recv_many`'s future; takes its waker out when dropped.
struct RecvMany<'a, T> {
    rx: &'a mut Rx<T>,
    buffer: &'a mut Vec<T>,
    limit: usize,
    waiting: bool,
}

impl<'a, T> RecvMany<'a, T> {
    fn new(rx: &'a mut Rx<T>, buffer: &'a mut Vec<T>, limit: usize) -> Self {
        RecvMany { rx, buffer, limit, waiting: false }
    }
}

impl<T> Future for RecvMany<'_, T> {
    type Output = usize;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = &mut *self;
        let poll = this.rx.poll_recv_many(cx, this.buffer, this.limit);
        this.waiting = poll.is_pending();
        poll
    }
}

impl<T> Drop for RecvMany<'_, T> {
    fn drop(&mut self) {
        if self.waiting {
            self.rx.forget_waker();
        }
    }
}
