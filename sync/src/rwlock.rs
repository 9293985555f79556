//! An async reader-writer lock for the tasks of one thread: [`RwLock`], fair (first
//! come, first served), so a waiting writer holds back the readers that come after it.
//!
//! ```
//! use wakeful::sync::RwLock;
//!
//! wakeful::block_on(async {
//!     let lock = RwLock::new(vec![1]);
//!     {
//!         let (a, b) = (lock.read().await, lock.read().await); // readers share it
//!         assert_eq!(a.len() + b.len(), 2);
//!         assert!(lock.try_write().is_err());
//!     }
//!     lock.write().await.push(2);
//!     assert_eq!(*lock.read().await, [1, 2]);
//! });
//! ```
//!
//! A release grants the lock to the head of the line: one writer, or every reader up
//! to the first writer in line. A panic while the lock is held releases it as the guard
//! drops; the lock is not poisoned (as tokio's).
//!
//! # Differences from tokio
//!
//! - `!Send` and `!Sync`: share it with `Rc`; the owned variants take `self: Rc<Self>`
//!   where tokio takes `Arc`.
//! - No `blocking_read`/`blocking_write`, no `const_new`.
//! - [`RwLockReadGuard::map`] and [`RwLockWriteGuard::map`] (and `try_map`) as
//!   tokio's; the owned guards have no `map` (tokio's `OwnedRwLockMappedWriteGuard`
//!   and friends) yet, and a mapped write guard has no `downgrade_map`.

pub use crate::fair_lock::TryLockError;
use crate::fair_lock::{Access, FairLock, Guarded};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::rc::Rc;

/// Most readers at once by default, as tokio's.
const MAX_READS: u32 = u32::MAX >> 3;

/// An async reader-writer lock over a `T`; see the [module docs](self).
pub struct RwLock<T: ?Sized> {
    lock: FairLock,
    _not_send: PhantomData<*const ()>,
    /// Reached only through guards: shared while only read guards exist, exclusive
    /// while the one write guard exists; `lock` admits nothing else.
    data: Guarded<T>,
}

impl<T> RwLock<T> {
    /// A new, unlocked lock holding `value`.
    pub fn new(value: T) -> RwLock<T> {
        RwLock::with_max_readers(value, MAX_READS)
    }

    /// A new lock that lets at most `max_reads` readers in at once.
    ///
    /// # Panics
    ///
    /// If `max_reads` is 0 or more than `u32::MAX >> 3` (as tokio).
    pub fn with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        assert!(max_reads > 0 && max_reads <= MAX_READS, "max_reads must be in 1..={MAX_READS}");
        RwLock { lock: FairLock::new(max_reads), _not_send: PhantomData, data: Guarded::new(value) }
    }

    /// The value, taking the lock apart.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access, in line after those who asked before. Cancel-safe.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.lock.acquire(Access::Read).await;
        RwLockReadGuard::new(self)
    }

    /// Waits for exclusive access, in line after those who asked before. Cancel-safe.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.lock.acquire(Access::Write).await;
        RwLockWriteGuard { rw: self }
    }

    /// [`read`](Self::read) with a guard owning an `Rc` of the lock. Cancel-safe.
    pub async fn read_owned(self: Rc<Self>) -> OwnedRwLockReadGuard<T> {
        self.lock.acquire(Access::Read).await;
        OwnedRwLockReadGuard { rw: self }
    }

    /// [`write`](Self::write) with a guard owning an `Rc` of the lock. Cancel-safe.
    pub async fn write_owned(self: Rc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.lock.acquire(Access::Write).await;
        OwnedRwLockWriteGuard { rw: self }
    }

    /// Shared access now, if no writer holds the lock and nobody waits.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.lock.try_take(Access::Read)?;
        Ok(RwLockReadGuard::new(self))
    }

    /// Exclusive access now, if nobody holds the lock or waits for it.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.lock.try_take(Access::Write)?;
        Ok(RwLockWriteGuard { rw: self })
    }

    /// [`try_read`](Self::try_read) with an owned guard.
    pub fn try_read_owned(self: Rc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.lock.try_take(Access::Read)?;
        Ok(OwnedRwLockReadGuard { rw: self })
    }

    /// [`try_write`](Self::try_write) with an owned guard.
    pub fn try_write_owned(self: Rc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.lock.try_take(Access::Write)?;
        Ok(OwnedRwLockWriteGuard { rw: self })
    }

    /// The value, through the exclusive borrow that proves nobody holds the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Shared access to a [`RwLock`]'s value; released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a FairLock,
    /// Into the lock's value, or the part of it a `map` picked.
    data: NonNull<T>,
    _shared: PhantomData<&'a T>,
}

/// Exclusive access to a [`RwLock`]'s value; released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    rw: &'a RwLock<T>,
}

/// Shared access through an `Rc` of the lock; released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockReadGuard<T: ?Sized> {
    rw: Rc<RwLock<T>>,
}

/// Exclusive access through an `Rc` of the lock; released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    rw: Rc<RwLock<T>>,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    fn new(rw: &'a RwLock<T>) -> Self {
        RwLockReadGuard { lock: &rw.lock, data: rw.data.as_ptr(), _shared: PhantomData }
    }

    pub(crate) fn from_parts(lock: &'a FairLock, data: NonNull<T>) -> Self {
        RwLockReadGuard { lock, data, _shared: PhantomData }
    }

    /// The lock, still held: its release is left to the caller (a mapped guard).
    pub(crate) fn into_lock(this: Self) -> &'a FairLock {
        let lock = this.lock;
        std::mem::forget(this);
        lock
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    #[allow(unsafe_code)]
    fn deref(&self) -> &T {
        // SAFETY: `data` points into the lock's value (or a part `map` picked), which
        // outlives `'a`; while this guard lives the lock counts it as a reader and so
        // admits no writer: only shared references to the value exist.
        unsafe { self.data.as_ref() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.release(Access::Read);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// The lock, still held: its release is left to the caller (a mapped guard).
    pub(crate) fn into_lock(this: Self) -> &'a FairLock {
        let rw = this.rw;
        std::mem::forget(this);
        &rw.lock
    }

    /// Turns exclusive access into shared access without letting a writer in between;
    /// readers waiting at the head of the line come in too.
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let rw = self.rw;
        // Count our reader before the write lock goes, so nobody can slip in between.
        rw.lock.add_reader_under_write();
        drop(self);
        RwLockReadGuard::new(rw)
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// As [`RwLockWriteGuard::downgrade`].
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let rw = Rc::clone(&self.rw);
        rw.lock.add_reader_under_write();
        drop(self);
        OwnedRwLockReadGuard { rw }
    }
}

macro_rules! guard_impls {
    ($guard:ident $(<$lt:lifetime>)?, $access:expr) => {
        impl<$($lt,)? T: ?Sized> Deref for $guard<$($lt,)? T> {
            type Target = T;
            fn deref(&self) -> &T {
                self.rw.data.shared()
            }
        }


        impl<$($lt,)? T: ?Sized> Drop for $guard<$($lt,)? T> {
            fn drop(&mut self) {
                self.rw.lock.release($access);
            }
        }

        impl<$($lt,)? T: ?Sized + fmt::Debug> fmt::Debug for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<$($lt,)? T: ?Sized + fmt::Display> fmt::Display for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    };
}

guard_impls!(OwnedRwLockReadGuard, Access::Read);
guard_impls!(RwLockWriteGuard<'a>, Access::Write);
guard_impls!(OwnedRwLockWriteGuard, Access::Write);

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.rw.data.exclusive()
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.rw.data.exclusive()
    }
}
