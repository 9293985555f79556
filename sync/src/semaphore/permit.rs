//! The permits a [`Semaphore`] hands out: each gives its permits back when dropped.

use super::Semaphore;
use std::fmt;
use std::rc::Rc;

/// Permits borrowed from a [`Semaphore`]; they go back when this is dropped.
#[must_use = "the permits go back as soon as this is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

/// Permits from a [`Semaphore`] held in an `Rc`; they go back when this is dropped.
#[must_use = "the permits go back as soon as this is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Rc<Semaphore>,
    permits: usize,
}

impl<'a> SemaphorePermit<'a> {
    pub(super) fn new(semaphore: &'a Semaphore, permits: usize) -> Self {
        SemaphorePermit { semaphore, permits }
    }

    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Takes `other`'s permits into this one.
    ///
    /// # Panics
    ///
    /// If `other` comes from another semaphore, as tokio's does.
    pub fn merge(&mut self, mut other: Self) {
        assert!(std::ptr::eq(self.semaphore, other.semaphore), "merging permits of different semaphores");
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` permits off into a new permit; `None` if this holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        self.permits = self.permits.checked_sub(n)?;
        Some(SemaphorePermit { semaphore: self.semaphore, permits: n })
    }
}

impl OwnedSemaphorePermit {
    pub(super) fn new(semaphore: Rc<Semaphore>, permits: usize) -> Self {
        OwnedSemaphorePermit { semaphore, permits }
    }

    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits come from.
    pub fn semaphore(&self) -> &Rc<Semaphore> {
        &self.semaphore
    }

    /// Takes `other`'s permits into this one.
    ///
    /// # Panics
    ///
    /// If `other` comes from another semaphore, as tokio's does.
    pub fn merge(&mut self, mut other: Self) {
        assert!(Rc::ptr_eq(&self.semaphore, &other.semaphore), "merging permits of different semaphores");
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` permits off into a new permit; `None` if this holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        self.permits = self.permits.checked_sub(n)?;
        Some(OwnedSemaphorePermit { semaphore: self.semaphore.clone(), permits: n })
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").field("permits", &self.permits).finish()
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit").field("permits", &self.permits).finish()
    }
}
