//! Guards of part of a locked value, made by `map`/`try_map` on a guard:
//! [`MappedMutexGuard`] and [`RwLockMappedWriteGuard`]; `RwLockReadGuard::map` keeps
//! its type, as tokio's does.
//!
//! A mapped guard holds the lock (its release runs when the guard drops) and a pointer
//! to the part the closure chose. The closure runs while the original guard still owns
//! the lock: if it panics, that guard's drop releases the lock during the unwind.

use crate::fair_lock::{Access, FairLock};
use crate::mutex::MutexGuard;
use crate::rwlock::{RwLockReadGuard, RwLockWriteGuard};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// Exclusive access to part of a locked [`Mutex`](crate::Mutex)'s value; unlocks the
/// mutex when dropped. Made by [`MutexGuard::map`] and [`MutexGuard::try_map`].
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    lock: &'a FairLock,
    data: NonNull<T>,
    /// Borrows the value exclusively for `'a` (and keeps `T` invariant, as `&mut`).
    _exclusive: PhantomData<&'a mut T>,
}

/// Exclusive access to part of a write-locked [`RwLock`](crate::RwLock)'s value;
/// releases the lock when dropped. Made by [`RwLockWriteGuard::map`] and
/// [`RwLockWriteGuard::try_map`].
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    lock: &'a FairLock,
    data: NonNull<T>,
    _exclusive: PhantomData<&'a mut T>,
}

/// `map`/`try_map` on a guard that gives `&mut` access and releases `Access::Write`:
/// `$into` is the mapped guard it becomes; `$parts` takes the guard apart into its
/// lock without releasing it.
macro_rules! map_exclusive {
    ($guard:ident, $into:ident, $parts:expr) => {
        impl<'a, T: ?Sized> $guard<'a, T> {
            /// A guard of the part of the value `f` picks; the lock stays held until
            /// that guard drops. If `f` panics, the lock is released. An associated
            /// function (`Guard::map(guard, f)`), as tokio's, so as not to shadow a
            /// method of `T`.
            pub fn map<U: ?Sized>(mut this: Self, f: impl FnOnce(&mut T) -> &mut U) -> $into<'a, U> {
                let data = NonNull::from(f(&mut *this));
                let lock = $parts(this);
                $into { lock, data, _exclusive: PhantomData }
            }

            /// [`map`](Self::map) where `f` may pick nothing: then the guard comes back.
            #[allow(clippy::result_large_err)]
            pub fn try_map<U: ?Sized>(
                mut this: Self,
                f: impl FnOnce(&mut T) -> Option<&mut U>,
            ) -> Result<$into<'a, U>, Self> {
                let data = match f(&mut *this) {
                    Some(data) => NonNull::from(data),
                    None => return Err(this),
                };
                let lock = $parts(this);
                Ok($into { lock, data, _exclusive: PhantomData })
            }
        }
    };
}

map_exclusive!(MutexGuard, MappedMutexGuard, MutexGuard::into_lock);
map_exclusive!(RwLockWriteGuard, RwLockMappedWriteGuard, RwLockWriteGuard::into_lock);
map_exclusive!(MappedMutexGuard, MappedMutexGuard, MappedMutexGuard::into_lock);
map_exclusive!(RwLockMappedWriteGuard, RwLockMappedWriteGuard, RwLockMappedWriteGuard::into_lock);

/// What both mapped guards share: access, release, formatting.
macro_rules! mapped_impls {
    ($guard:ident) => {
        impl<'a, T: ?Sized> $guard<'a, T> {
            /// The lock, still held: its release is left to the caller.
            fn into_lock(this: Self) -> &'a FairLock {
                let lock = this.lock;
                std::mem::forget(this);
                lock
            }
        }

        impl<T: ?Sized> Deref for $guard<'_, T> {
            type Target = T;
            #[allow(unsafe_code)]
            fn deref(&self) -> &T {
                // SAFETY: `data` came from the `&mut` a write guard lent out, into a
                // value that outlives `'a`; this guard holds the lock as its one writer
                // until it drops, and `&self` rules out its own `&mut` access.
                unsafe { self.data.as_ref() }
            }
        }

        impl<T: ?Sized> DerefMut for $guard<'_, T> {
            #[allow(unsafe_code)]
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: as in `deref`; `&mut self` makes this the only live borrow.
                unsafe { self.data.as_mut() }
            }
        }

        impl<T: ?Sized> Drop for $guard<'_, T> {
            fn drop(&mut self) {
                self.lock.release(Access::Write);
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<T: ?Sized + fmt::Display> fmt::Display for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    };
}

mapped_impls!(MappedMutexGuard);
mapped_impls!(RwLockMappedWriteGuard);

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// A read guard of the part of the value `f` picks, as tokio's (the same type); the
    /// lock stays held until it drops. If `f` panics, the lock is released.
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> RwLockReadGuard<'a, U> {
        let data = NonNull::from(f(&*this));
        let lock = RwLockReadGuard::into_lock(this);
        RwLockReadGuard::from_parts(lock, data)
    }

    /// [`map`](Self::map) where `f` may pick nothing: then the guard comes back.
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<RwLockReadGuard<'a, U>, Self> {
        let data = match f(&*this) {
            Some(data) => NonNull::from(data),
            None => return Err(this),
        };
        let lock = RwLockReadGuard::into_lock(this);
        Ok(RwLockReadGuard::from_parts(lock, data))
    }
}
