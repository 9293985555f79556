//! An async mutex for the tasks of one thread: [`Mutex`], fair (first come, first
//! served), with guards that may be held across `.await`.
//!
//! ```
//! use std::rc::Rc;
//! use wakeful::sync::Mutex;
//!
//! wakeful::block_on(async {
//!     let counter = Rc::new(Mutex::new(0));
//!     let tasks: Vec<_> = (0..10)
//!         .map(|_| {
//!             let counter = counter.clone();
//!             wakeful::spawn(async move {
//!                 let mut n = counter.lock().await;
//!                 wakeful::yield_now().await; // a guard may live across an await
//!                 *n += 1;
//!             })
//!         })
//!         .collect();
//!     for task in tasks {
//!         task.await.unwrap();
//!     }
//!     assert_eq!(*counter.lock().await, 10);
//! });
//! ```
//!
//! A release hands the lock to the task that has waited longest, so a task that
//! unlocks and locks again at once goes to the back of the line. A panic while the
//! lock is held unlocks it as the guard drops; the mutex is not poisoned (as tokio's).
//!
//! # Differences from tokio
//!
//! - `!Send` and `!Sync`: share it between tasks with `Rc`, and
//!   [`lock_owned`](Mutex::lock_owned) takes `self: Rc<Self>` where tokio takes `Arc`.
//! - No `blocking_lock` (a thread that blocked on it would block the only thread that
//!   can unlock it), no `const_new`.
//! - [`MutexGuard::map`] and [`try_map`](MutexGuard::try_map) give a
//!   [`MappedMutexGuard`](crate::MappedMutexGuard) as tokio's; the owned guard has no `map` (tokio's
//!   `OwnedMappedMutexGuard`) yet.

pub use crate::fair_lock::TryLockError;
use crate::fair_lock::{Access, FairLock, Guarded};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

/// An async mutual-exclusion lock over a `T`; see the [module docs](self).
pub struct Mutex<T: ?Sized> {
    lock: FairLock,
    /// The crate's types stay on the thread of their tasks.
    _not_send: PhantomData<*const ()>,
    /// Reached only through a guard, and a guard exists only while `lock` counts it as
    /// the one writer.
    data: Guarded<T>,
}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    pub fn new(value: T) -> Mutex<T> {
        Mutex { lock: FairLock::new(1), _not_send: PhantomData, data: Guarded::new(value) }
    }

    /// The value, taking the mutex apart.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock, in line after those who asked before.
    ///
    /// Cancel-safe: dropping the future gives up its place in line, and if the lock
    /// had just been handed to it, hands it on to the next in line.
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.lock.acquire(Access::Write).await;
        MutexGuard { mutex: self }
    }

    /// Like [`lock`](Self::lock), with a guard that owns an `Rc` of the mutex, so it
    /// can outlive the borrow (be moved into a spawned task). Cancel-safe.
    pub async fn lock_owned(self: Rc<Self>) -> OwnedMutexGuard<T> {
        self.lock.acquire(Access::Write).await;
        OwnedMutexGuard { mutex: self }
    }

    /// Takes the lock if it is free and nobody waits for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.lock.try_take(Access::Write)?;
        Ok(MutexGuard { mutex: self })
    }

    /// [`try_lock`](Self::try_lock) with an owned guard.
    pub fn try_lock_owned(self: Rc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        self.lock.try_take(Access::Write)?;
        Ok(OwnedMutexGuard { mutex: self })
    }

    /// The value, through the exclusive borrow that proves nobody holds the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Access to the value of a locked [`Mutex`]; unlocks it when dropped.
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

/// Access to the value of a locked [`Mutex`] held through an `Rc`; unlocks it when
/// dropped.
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Rc<Mutex<T>>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The lock, still held: its release is left to the caller (a mapped guard).
    pub(crate) fn into_lock(this: Self) -> &'a FairLock {
        let mutex = this.mutex;
        std::mem::forget(this);
        &mutex.lock
    }
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard holds.
    pub fn mutex(&self) -> &Rc<Mutex<T>> {
        &self.mutex
    }
}

macro_rules! guard_impls {
    ($guard:ident $(<$lt:lifetime>)?) => {
        impl<$($lt,)? T: ?Sized> Deref for $guard<$($lt,)? T> {
            type Target = T;
            fn deref(&self) -> &T {
                self.mutex.data.shared()
            }
        }

        impl<$($lt,)? T: ?Sized> DerefMut for $guard<$($lt,)? T> {
            fn deref_mut(&mut self) -> &mut T {
                self.mutex.data.exclusive()
            }
        }

        impl<$($lt,)? T: ?Sized> Drop for $guard<$($lt,)? T> {
            fn drop(&mut self) {
                self.mutex.lock.release(Access::Write);
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

guard_impls!(MutexGuard<'a>);
guard_impls!(OwnedMutexGuard);
