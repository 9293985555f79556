//! The unbounded channel's halves: [`UnboundedSender`] and [`UnboundedReceiver`].

use super::chan::{Chan, Closed, Rx};
use super::error::{SendError, TryRecvError};
use super::{Recv, RecvMany};
use std::fmt;
use std::rc::Rc;
use std::task::{Context, Poll};

/// A channel with no bound: sending never waits (memory is the limit).
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None);
    (UnboundedSender { chan: chan.clone() }, UnboundedReceiver { rx: Rx { chan } })
}

/// Sends to an unbounded channel; clone it for more senders.
pub struct UnboundedSender<T> {
    pub(super) chan: Rc<Chan<T>>,
}

/// Receives from an unbounded channel.
pub struct UnboundedReceiver<T> {
    rx: Rx<T>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value` at once; gives it back if the receiver is closed or gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.chan.is_closed() {
            return Err(SendError(value));
        }
        self.chan.push(value);
        Ok(())
    }

    /// Completes when the receiver is closed or dropped. Cancel-safe.
    pub async fn closed(&self) {
        Closed { chan: &self.chan, key: None }.await
    }

    /// Whether the receiver is closed or dropped.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether `other` sends to the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.chan, &other.chan)
    }

    /// A [`WeakUnboundedSender`](super::WeakUnboundedSender): it does not keep the
    /// channel open.
    pub fn downgrade(&self) -> super::WeakUnboundedSender<T> {
        super::WeakUnboundedSender::new(self.chan.clone())
    }

    /// How many `UnboundedSender`s (not weak ones) exist.
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// How many [`WeakUnboundedSender`](super::WeakUnboundedSender)s exist.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
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

impl<T> UnboundedReceiver<T> {
    /// Waits for the next message; `None` once every sender is gone (or the receiver
    /// closed) and the queue is empty. Cancel-safe: a dropped `recv()` takes no message
    /// and leaves no waker behind.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv::new(&mut self.rx)
    }

    /// Waits for at least one message, then moves up to `limit` into `buffer`; returns
    /// how many, 0 at the end or when `limit` is 0. Cancel-safe.
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        RecvMany::new(&mut self.rx, buffer, limit).await
    }

    /// Takes the next message if one is queued.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Polls for the next message, storing `cx`'s waker.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// [`recv_many`](Self::recv_many) as a poll.
    pub fn poll_recv_many(&mut self, cx: &mut Context<'_>, buffer: &mut Vec<T>, limit: usize) -> Poll<usize> {
        self.rx.poll_recv_many(cx, buffer, limit)
    }

    /// Refuses new messages (senders fail, `closed()` completes); the queued ones can
    /// still be received.
    pub fn close(&mut self) {
        self.rx.close();
    }

    /// Whether the channel is closed: by [`close`](Self::close), or by every sender
    /// being gone.
    pub fn is_closed(&self) -> bool {
        self.rx.is_closed()
    }

    /// Whether no message is queued.
    pub fn is_empty(&self) -> bool {
        self.rx.len() == 0
    }

    /// How many messages are queued.
    pub fn len(&self) -> usize {
        self.rx.len()
    }
}

impl<T> futures_core::Stream for UnboundedReceiver<T> {
    type Item = T;
    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").field("closed", &self.is_closed()).finish()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}
