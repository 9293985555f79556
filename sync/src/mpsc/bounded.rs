//! The bounded channel's halves: [`Sender`], [`Receiver`], and the reserved slots
//! [`Permit`] and [`OwnedPermit`].

use super::chan::{Chan, Rx};
use super::closed::Closed;
use super::error::{SendError, TryRecvError, TrySendError};
use super::{Recv, RecvMany};
use crate::semaphore::TryAcquireError;
use std::fmt;
use std::rc::Rc;
use std::task::{Context, Poll};

/// A bounded channel with room for `buffer` messages.
///
/// # Panics
///
/// If `buffer` is 0 or above [`Semaphore::MAX_PERMITS`](crate::Semaphore::MAX_PERMITS),
/// as tokio's does.
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let chan = Chan::new(Some(buffer));
    (Sender { chan: chan.clone() }, Receiver { rx: Rx { chan } })
}

/// Sends to a bounded channel; clone it for more senders.
pub struct Sender<T> {
    pub(super) chan: Rc<Chan<T>>,
}

/// Receives from a bounded channel.
pub struct Receiver<T> {
    rx: Rx<T>,
}

/// A reserved slot: [`send`](Permit::send) fills it without waiting; dropping it gives
/// the slot back.
pub struct Permit<'a, T> {
    pub(super) chan: &'a Chan<T>,
}

/// A reserved slot that holds its sender: [`send`](OwnedPermit::send) fills it and
/// returns the sender.
pub struct OwnedPermit<T> {
    /// `None` once sent or released.
    sender: Option<Sender<T>>,
}

/// Wakes a closed receiver when a reservation ends without a permit (its slot went
/// back to the semaphore, which may be the last thing `recv` waits for).
pub(super) struct ReservationGuard<'a, T>(pub(super) &'a Chan<T>);

impl<T> Drop for ReservationGuard<'_, T> {
    fn drop(&mut self) {
        self.0.wake_rx_if_closed();
    }
}

impl<T> Sender<T> {
    /// Waits for room, then queues `value`; gives it back if the receiver is closed or
    /// gone. Cancel-safe in tokio's sense: if the future is dropped, `value` was not
    /// sent (it is dropped with the future) and the place in line is lost.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        // Room now (and nobody waiting before us): no reservation future at all.
        match self.try_reserve() {
            Ok(permit) => {
                permit.send(value);
                return Ok(());
            }
            Err(TrySendError::Closed(())) => return Err(SendError(value)),
            Err(TrySendError::Full(())) => {}
        }
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(SendError(())) => Err(SendError(value)),
        }
    }

    /// Queues `value` if there is room now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.try_reserve() {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(TrySendError::Full(())) => Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(value)),
        }
    }

    /// Waits for a slot and reserves it. Cancel-safe: a dropped `reserve()` gives its
    /// place in line up, and a slot already set aside for it goes to the next sender.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        let slots = self.chan.slots.as_ref().expect("a bounded channel has slots");
        let _guard = ReservationGuard(&self.chan);
        match slots.acquire().await {
            Ok(permit) => {
                permit.forget();
                Ok(Permit { chan: &self.chan })
            }
            Err(_) => Err(SendError(())),
        }
    }

    /// Reserves a slot if one is free now.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        let slots = self.chan.slots.as_ref().expect("a bounded channel has slots");
        match slots.try_acquire() {
            Ok(permit) => {
                permit.forget();
                Ok(Permit { chan: &self.chan })
            }
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
        }
    }

    /// [`reserve`](Self::reserve), with a permit that holds this sender. Cancel-safe.
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        self.reserve().await?.forget_slot();
        Ok(OwnedPermit { sender: Some(self) })
    }

    /// [`try_reserve`](Self::try_reserve), with a permit that holds this sender; the
    /// sender comes back in the error.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        let reserved = self.try_reserve().map(Permit::forget_slot);
        match reserved {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
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

    /// A [`WeakSender`](super::WeakSender): it does not keep the channel open.
    pub fn downgrade(&self) -> super::WeakSender<T> {
        super::WeakSender::new(self.chan.clone())
    }

    /// How many `Sender`s (not weak ones) exist.
    pub fn strong_count(&self) -> usize {
        self.chan.sender_count()
    }

    /// How many [`WeakSender`](super::WeakSender)s exist.
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }

    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.chan.slots.as_ref().map_or(0, |slots| slots.available_permits())
    }

    /// The bound the channel was made with.
    pub fn max_capacity(&self) -> usize {
        self.chan.bound
    }
}

impl<'a, T> Permit<'a, T> {
    /// Queues `value` in the reserved slot.
    pub fn send(self, value: T) {
        let chan = self.chan;
        std::mem::forget(self); // the slot travels with the message
        chan.push(value);
    }

    /// Gives up the permit without giving its slot back (ownership moves elsewhere).
    fn forget_slot(self) {
        std::mem::forget(self);
    }
}

impl<T> OwnedPermit<T> {
    /// Queues `value` in the reserved slot; returns the sender.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.sender.take().expect("a permit is used once");
        sender.chan.push(value);
        sender
    }

    /// Gives the slot back unused; returns the sender.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("a permit is used once");
        sender.chan.release_slot();
        sender
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release_slot();
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.chan.release_slot();
        }
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

receiver_methods!(Receiver);

impl<T> Receiver<T> {
    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.rx.chan.slots.as_ref().map_or(0, |slots| slots.available_permits())
    }

    /// The bound the channel was made with.
    pub fn max_capacity(&self) -> usize {
        self.rx.chan.bound
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnedPermit")
    }
}
