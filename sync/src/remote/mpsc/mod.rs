//! Multi-producer, single-consumer channels whose halves are `Send`: [`channel`]
//! (bounded: senders wait for room) and [`unbounded_channel`].
//!
//! ```
//! use wakeful::sync::remote::mpsc;
//!
//! wakeful::block_on(async {
//!     let (tx, mut rx) = mpsc::channel(2);
//!     let threads: Vec<_> = (0..3)
//!         .map(|id| {
//!             let tx = tx.clone();
//!             std::thread::spawn(move || tx.blocking_send(id).unwrap())
//!         })
//!         .collect();
//!     drop(tx); // recv returns None once every sender is gone
//!     let mut got = Vec::new();
//!     while let Some(id) = rx.recv().await {
//!         got.push(id);
//!     }
//!     got.sort();
//!     assert_eq!(got, [0, 1, 2]);
//!     threads.into_iter().for_each(|t| t.join().unwrap());
//! });
//! ```
//!
//! Messages from one sender arrive in the order sent; senders waiting for room are
//! served in the order they started waiting, and a `try_send` does not overtake
//! them. Closing the receiver (or dropping it) fails every later send and every
//! waiting one, and completes `Sender::closed`; messages already queued, and those of
//! permits already reserved, can still be received after `close`. A `reserve` or
//! `send` dropped while it waits gives its place up, and a slot it had just been
//! granted goes to the next sender.
//!
//! Senders are `Send + Sync + Clone` and receivers `Send` when `T: Send`; the
//! futures of `send`, `reserve`, `recv` and `closed` are `Send` too.
//!
//! # Differences from tokio
//!
//! - A `recv` (or `recv_many`) dropped while it waits takes its waker out of the
//!   channel; tokio's stays registered and is woken by the next send.
//! - `recv()` returns a named future, [`Recv`], instead of being an `async fn`.
//! - The receivers implement `futures_core::Stream` directly (tokio needs
//!   `tokio_stream::wrappers::ReceiverStream`).
//! - `blocking_send`/`blocking_recv` do not panic on a runtime thread (see
//!   [`remote`](super)); no `send_timeout`, `reserve_many` or `try_reserve_many`.
//! - `channel(n)` takes any `n > 0`, up to `usize::MAX`; tokio's panics above
//!   `usize::MAX >> 3`.
//! - The senders' counts live under the channel's mutex, not in atomics: cloning
//!   and dropping a sender takes the lock.

#[macro_use]
mod receiver;
#[macro_use]
mod sender;
mod bounded;
mod chan;
pub mod error;
mod permit;
mod unbounded;

pub use bounded::{channel, Receiver, Sender};
pub use permit::{OwnedPermit, Permit};
pub use sender::{WeakSender, WeakUnboundedSender};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use chan::Chan;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of `recv()` on either receiver; takes its waker out when dropped.
/// Cancel-safe: a message is taken only by the poll that returns it.
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    chan: &'a Chan<T>,
    /// Whether a poll left our waker in the channel.
    waiting: bool,
}

impl<'a, T> Recv<'a, T> {
    fn new(chan: &'a Chan<T>) -> Self {
        Recv { chan, waiting: false }
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let poll = self.chan.poll_recv(cx);
        self.waiting = poll.is_pending();
        poll
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if self.waiting {
            self.chan.forget_rx_waker();
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").field("waiting", &self.waiting).finish_non_exhaustive()
    }
}

/// `recv_many`'s future; takes its waker out when dropped.
struct RecvMany<'a, T> {
    chan: &'a Chan<T>,
    buffer: &'a mut Vec<T>,
    limit: usize,
    waiting: bool,
}

impl<T> Future for RecvMany<'_, T> {
    type Output = usize;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = &mut *self;
        let poll = this.chan.poll_recv_many(cx, this.buffer, this.limit);
        this.waiting = poll.is_pending();
        poll
    }
}

impl<T> Drop for RecvMany<'_, T> {
    fn drop(&mut self) {
        if self.waiting {
            self.chan.forget_rx_waker();
        }
    }
}

/// `Sender::closed`'s future, for both flavours; leaves the waiters when dropped.
struct Closed<'a, T> {
    chan: &'a Chan<T>,
    key: Option<crate::waiters::WaitKey>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.chan.poll_closed(&mut this.key, cx)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_closed(key);
        }
    }
}
