//! `Sender::reserve_many` / `try_reserve_many` and the [`PermitIterator`] they return.

use super::bounded::{Permit, ReservationGuard, Sender};
use super::chan::Chan;
use super::error::{SendError, TrySendError};
use crate::semaphore::TryAcquireError;
use std::fmt;

/// `n` reserved slots, handed out one [`Permit`] at a time; the slots not taken go
/// back when it is dropped.
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    left: usize,
}

impl<T> Sender<T> {
    /// Waits until `n` slots are free at once and reserves them. Fails at once if `n`
    /// exceeds [`max_capacity`](Self::max_capacity) (it could never succeed), or when
    /// the receiver is closed, as tokio's does. Cancel-safe, as
    /// [`reserve`](Self::reserve): a dropped call keeps no slot.
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.max_capacity() {
            return Err(SendError(()));
        }
        let slots = self.chan.slots.as_ref().expect("a bounded channel has slots");
        let _guard = ReservationGuard(&self.chan);
        match slots.acquire_usize(n).await {
            Ok(permit) => {
                permit.forget();
                Ok(PermitIterator { chan: &self.chan, left: n })
            }
            Err(_) => Err(SendError(())),
        }
    }

    /// Reserves `n` slots if they are free now (and no sender waits); `Full` if `n`
    /// exceeds [`max_capacity`](Self::max_capacity), as tokio's.
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.max_capacity() {
            return Err(TrySendError::Full(()));
        }
        let slots = self.chan.slots.as_ref().expect("a bounded channel has slots");
        match slots.try_take(n) {
            Ok(()) => Ok(PermitIterator { chan: &self.chan, left: n }),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
        }
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        self.left = self.left.checked_sub(1)?;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.left > 0 {
            self.chan.release_slots(std::mem::take(&mut self.left));
        }
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator").field("left", &self.left).finish()
    }
}
