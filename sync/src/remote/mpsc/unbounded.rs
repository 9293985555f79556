//! The unbounded flavour: a send never waits.

use super::chan::Chan;
use super::error::{SendError, TryRecvError};
use super::{Closed, Recv, RecvMany};
use crate::remote::block;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A channel with no bound: the queue grows as needed.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(None));
    (UnboundedSender { chan: chan.clone() }, UnboundedReceiver { chan })
}

/// Sends to the channel's receiver; `Send + Sync + Clone` when `T: Send`.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// An unbounded sender that does not keep the channel open.
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// Receives the channel's messages; `Send` when `T: Send`.
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value` and wakes the receiver if it waits; gives the value back if
    /// the receiver is closed or gone. Never waits.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.send_unbounded(value).map_err(SendError)
    }

    /// Waits until the receiver is closed or gone. Cancel-safe.
    pub async fn closed(&self) {
        Closed { chan: &self.chan, key: None }.await
    }

    /// Whether the receiver is closed or gone.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A sender that does not keep the channel open.
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        self.chan.add_weak(1);
        WeakUnboundedSender { chan: self.chan.clone() }
    }

    /// How many senders exist.
    pub fn strong_count(&self) -> usize {
        self.chan.counts().0
    }

    /// How many weak senders exist.
    pub fn weak_count(&self) -> usize {
        self.chan.counts().1
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender { chan: self.chan.clone() }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> WeakUnboundedSender<T> {
    /// A sender again, if any sender still exists.
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.chan.try_add_sender().then(|| UnboundedSender { chan: self.chan.clone() })
    }

    /// How many senders exist.
    pub fn strong_count(&self) -> usize {
        self.chan.counts().0
    }

    /// How many weak senders exist.
    pub fn weak_count(&self) -> usize {
        self.chan.counts().1
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_weak(1);
        WeakUnboundedSender { chan: self.chan.clone() }
    }
}

impl<T> Drop for WeakUnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.add_weak(-1);
    }
}

impl<T> UnboundedReceiver<T> {
    /// Waits for the next message; `None` once every sender is gone (or the receiver
    /// closed) and nothing is queued. Cancel-safe.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv::new(&self.chan)
    }

    /// Waits for at least one message and moves up to `limit` into `buffer`; returns
    /// how many, 0 at the end (or if `limit` is 0). Cancel-safe.
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        RecvMany { chan: &self.chan, buffer, limit, waiting: false }.await
    }

    /// Takes a message if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Waits for the next message on a plain thread, parking it. Not for tasks (see
    /// [`remote`](crate::remote)).
    pub fn blocking_recv(&mut self) -> Option<T> {
        block::block_on(self.recv())
    }

    /// [`recv_many`](Self::recv_many) on a plain thread, parking it.
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        block::block_on(self.recv_many(buffer, limit))
    }

    /// Polls for the next message, storing the task's waker if none.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Polls for up to `limit` messages into `buffer`.
    pub fn poll_recv_many(&mut self, cx: &mut Context<'_>, buffer: &mut Vec<T>, limit: usize) -> Poll<usize> {
        self.chan.poll_recv_many(cx, buffer, limit)
    }

    /// Refuses further messages: sends fail and `closed()` completes; what is queued
    /// can still be received.
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Whether the channel is closed: by [`close`](Self::close), or because every
    /// sender is gone (as tokio's).
    pub fn is_closed(&self) -> bool {
        self.chan.rx_is_closed()
    }

    /// Whether no message is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many messages are queued.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// How many senders exist.
    pub fn sender_strong_count(&self) -> usize {
        self.chan.counts().0
    }

    /// How many weak senders exist.
    pub fn sender_weak_count(&self) -> usize {
        self.chan.counts().1
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}

impl<T> futures_core::Stream for UnboundedReceiver<T> {
    type Item = T;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().chan.poll_recv(cx)
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver").field("len", &self.len()).finish_non_exhaustive()
    }
}
