//! wakeful's synchronization primitives, for tasks on one thread.
//!
//! wakeful's tasks are `!Send` and run on one thread, so these are too: their state
//! lives in `Cell`s and `RefCell`s behind an `Rc`, and waking a waiting task is a
//! waker call, with no atomic operation and no lock on the hot path. Names,
//! signatures and semantics follow tokio's `sync` module wherever they make sense on
//! one thread, so that porting is an import change; each module says where it
//! differs.
//!
//! Every waiting future here gives its place up when it is dropped: a cancelled
//! `recv()`, `acquire()` or `lock()` leaves no waker behind, and what it would have
//! received stays for the next waiter. Each `async fn` states whether it is
//! cancel-safe.
//!
//! One module is the exception to "one thread, no atomics": [`remote`], channels
//! whose halves are `Send`, for talking to other threads. Shared across threads,
//! their state needs a `std::sync::Mutex` and an `Arc`, and their wakes go through
//! the waker's thread-safe path; the local primitives pay for none of that.
//!
//! These types need no runtime of their own: they work under any executor that
//! polls them on one thread.

#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

#[macro_use]
mod send_error;

pub mod broadcast;
mod fair_lock;
mod mapped;
pub mod mpsc;
pub mod mutex;
pub mod notify;
pub mod oneshot;
pub mod remote;
pub mod rwlock;
pub mod semaphore;
mod waiters;
pub mod watch;

#[cfg(test)]
mod guard_tests;

pub use mapped::{MappedMutexGuard, RwLockMappedWriteGuard};
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::Notify;
pub use rwlock::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError};

/// The named futures of [`Notify`] and [`Semaphore`] (tokio keeps `Notified` here too).
pub mod futures {
    pub use crate::notify::Notified;
    pub use crate::semaphore::Acquire;
}
