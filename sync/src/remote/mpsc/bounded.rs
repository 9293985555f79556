//! The bounded flavour: a sender takes a slot before it queues a message.

use super::chan::{Chan, NoSlot};
use super::error::{SendError, TryRecvError, TrySendError};
use super::permit::Reserve;
use super::{Closed, OwnedPermit, Permit, Recv, RecvMany, WeakSender};
use crate::remote::block;
use std::fmt;
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

    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.chan.free()
    }

    /// The channel's bound, as given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.chan.bound.unwrap_or(usize::MAX)
    }
}

sender_methods!(Sender, WeakSender);

receiver_methods!(Receiver);

impl<T> Receiver<T> {
    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.chan.free()
    }

    /// The channel's bound.
    pub fn max_capacity(&self) -> usize {
        self.chan.bound.unwrap_or(usize::MAX)
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("capacity", &self.capacity()).finish_non_exhaustive()
    }
}
