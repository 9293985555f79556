//! [`Guarded`]: a lock's value, reached only through its guards, and the `try_*`
//! error both locks share: the one place the locks' `unsafe` access lives.

use super::{Access, FairLock};
use std::cell::UnsafeCell;
use std::fmt;
use std::ptr::NonNull;

/// The lock was held, or others wait for it (from [`Mutex::try_lock`](crate::Mutex::try_lock)
/// and the `RwLock`'s `try_*` methods).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}

impl FairLock {
    /// The `try_*` of both locks: takes `access` if it is free now and nobody waits.
    /// The caller builds its guard only after this succeeded (a guard built eagerly
    /// would release a lock it never held).
    pub(crate) fn try_take(&self, access: Access) -> Result<(), TryLockError> {
        match self.try_acquire(access) {
            true => Ok(()),
            false => Err(TryLockError(())),
        }
    }
}

/// A lock's value. Only guards call [`shared`](Self::shared) and
/// [`exclusive`](Self::exclusive), and a guard exists only while its `FairLock`
/// counts it: as a reader (then no writer is admitted) or as the one writer.
pub(crate) struct Guarded<T: ?Sized>(UnsafeCell<T>);

impl<T> Guarded<T> {
    pub(crate) fn new(value: T) -> Self {
        Guarded(UnsafeCell::new(value))
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> Guarded<T> {
    /// Through the exclusive borrow that proves nobody holds the lock.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }

    /// For a read guard that keeps a pointer (so that `map` can narrow it).
    pub(crate) fn as_ptr(&self) -> NonNull<T> {
        NonNull::new(self.0.get()).expect("an UnsafeCell's pointer is not null")
    }

    /// For a guard's `Deref`.
    #[allow(unsafe_code)]
    pub(crate) fn shared(&self) -> &T {
        // SAFETY: called only by a guard. While a read guard exists the lock admits no
        // writer; a write guard lends this out only through `&self` of itself, which
        // rules out its own `&mut` access for as long as this borrow lives.
        unsafe { &*self.0.get() }
    }

    /// For a write guard's `DerefMut`.
    #[allow(unsafe_code, clippy::mut_from_ref)]
    pub(crate) fn exclusive(&self) -> &mut T {
        // SAFETY: called only through `&mut` of a write guard, the one guard the lock
        // admits while it exists; so no other reference to the value is alive.
        unsafe { &mut *self.0.get() }
    }
}
