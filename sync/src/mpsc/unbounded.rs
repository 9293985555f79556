//! The unbounded channel's halves: [`UnboundedSender`] and [`UnboundedReceiver`].

use super::chan::{Chan, Rx};
use super::closed::Closed;
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

receiver_methods!(UnboundedReceiver);

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").field("closed", &self.is_closed()).finish()
    }
}
