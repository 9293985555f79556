//! The bounded flavour: a sender takes a slot before it queues a message.

use super::chan::{Chan, NoSlot};
use super::error::{SendError, TryRecvError, TrySendError};
use super::permit::Reserve;
use super::{Closed, OwnedPermit, Permit, Recv, RecvMany};
use crate::remote::block;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A channel holding up to `buffer` messages; senders wait for room beyond that.
///
/// # Panics
/// If `buffer` is 0, as tokio's.
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let chan = Arc::new(Chan::new(Some(buffer)));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// Sends to the channel's receiver; `Send + Sync + Clone` when `T: Send`.
pub struct Sender<T> {
    pub(super) chan: Arc<Chan<T>>,
}

/// A sender that does not keep the channel open; see [`Sender::downgrade`].
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// Receives the channel's messages; `Send` when `T: Send`.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room first; fails, giving the value back, if the
    /// receiver is closed or gone. Not cancel-safe for the value: if cancelled, it
    /// was not sent, but it is lost with the future (use [`reserve`](Self::reserve)
    /// to keep it); the place in the queue is given up.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        // Room now: one lock, as `try_send`. Otherwise wait in line for a slot.
        let value = match self.chan.try_send(value) {
            Ok(()) => return Ok(()),
            Err((NoSlot::Closed, value)) => return Err(SendError(value)),
            Err((NoSlot::Full, value)) => value,
        };
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(SendError(())) => Err(SendError(value)),
        }
    }

    /// Sends `value` if there is room now and no sender is waiting.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.try_send(value) {
            Ok(()) => Ok(()),
            Err((NoSlot::Full, value)) => Err(TrySendError::Full(value)),
            Err((NoSlot::Closed, value)) => Err(TrySendError::Closed(value)),
        }
    }

    /// Sends `value` from a plain thread, parking it until there is room. Not for
    /// tasks (see [`remote`](crate::remote)).
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        block::block_on(self.send(value))
    }

    /// Waits for a slot and returns it as a [`Permit`]. Cancel-safe: a cancelled
    /// reserve holds no slot and leaves no waker; waiters are served first come,
    /// first served.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        Reserve::new(&self.chan).await.map_err(|()| SendError(()))?;
        Ok(Permit::new(&self.chan))
    }

    /// A slot if one is free now and no sender is waiting.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.try_reserve() {
            Ok(()) => Ok(Permit::new(&self.chan)),
            Err(NoSlot::Full) => Err(TrySendError::Full(())),
            Err(NoSlot::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// [`reserve`](Self::reserve), keeping the sender in the permit. Cancel-safe as
    /// `reserve` (the sender is dropped with the future).
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        Reserve::new(&self.chan).await.map_err(|()| SendError(()))?;
        Ok(OwnedPermit::new(self))
    }

    /// [`try_reserve`](Self::try_reserve), keeping the sender in the permit; gives the
    /// sender back on failure.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.chan.try_reserve() {
            Ok(()) => Ok(OwnedPermit::new(self)),
            Err(NoSlot::Full) => Err(TrySendError::Full(self)),
            Err(NoSlot::Closed) => Err(TrySendError::Closed(self)),
        }
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

    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.chan.free()
    }

    /// The channel's bound, as given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.chan.bound.unwrap_or(usize::MAX)
    }

    /// A sender that does not keep the channel open.
    pub fn downgrade(&self) -> WeakSender<T> {
        self.chan.add_weak(1);
        WeakSender { chan: self.chan.clone() }
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

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender { chan: self.chan.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> WeakSender<T> {
    /// A sender again, if any sender still exists.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.chan.try_add_sender().then(|| Sender { chan: self.chan.clone() })
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

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_weak(1);
        WeakSender { chan: self.chan.clone() }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.chan.add_weak(-1);
    }
}

impl<T> Receiver<T> {
    /// Waits for the next message; `None` once every sender is gone (or the receiver
    /// closed) and nothing is left in flight. Cancel-safe.
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
    /// or reserved can still be received.
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

    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.chan.free()
    }

    /// The channel's bound.
    pub fn max_capacity(&self) -> usize {
        self.chan.bound.unwrap_or(usize::MAX)
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

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().chan.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("capacity", &self.capacity()).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("len", &self.len()).finish_non_exhaustive()
    }
}
