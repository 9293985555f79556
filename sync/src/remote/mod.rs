//! Channels whose halves are `Send`: for talking to other threads, and to tasks of
//! other runtimes.
//!
//! The rest of this crate serves the tasks of one thread and has no atomics on its hot
//! path. `remote` is the exception, on purpose: its state sits behind a
//! [`std::sync::Mutex`] in an [`Arc`](std::sync::Arc), so a plain thread, a wakeful
//! task and a task of another runtime can each hold a half. A wakeful task's waker is
//! `Send`; woken from another thread it puts the task on its runtime's remote queue
//! and unparks the reactor once (wakes that arrive while it is unparked coalesce).
//!
//! ```
//! use wakeful::sync::remote::{mpsc, oneshot};
//!
//! wakeful::block_on(async {
//!     let (tx, mut rx) = mpsc::channel(16);
//!     let (done_tx, done_rx) = oneshot::channel();
//!     let worker = std::thread::spawn(move || {
//!         for n in 0..100u32 {
//!             tx.blocking_send(n).unwrap();
//!         }
//!         done_tx.send("sent all").unwrap();
//!     });
//!     let mut sum = 0;
//!     while let Some(n) = rx.recv().await {
//!         sum += n;
//!     }
//!     assert_eq!(sum, 4950);
//!     assert_eq!(done_rx.await, Ok("sent all"));
//!     worker.join().unwrap();
//! });
//! ```
//!
//! # Locking and wakers
//!
//! Each channel has one mutex and it is the only lock taken. No user code runs while
//! it is held: a waker is cloned before the lock is taken (and the state looked at
//! again after), and wakers are woken or dropped — and messages dropped — after it
//! is released. So a waker whose `clone`, `wake` or `Drop` uses the same channel (or
//! another one) cannot deadlock, and a panicking waker cannot poison the mutex; the
//! panic reaches the caller once the state is consistent. A waker is stored only
//! while a task waits, and a sender or receiver wakes only a task that waits.
//!
//! # Differences from tokio
//!
//! - `blocking_send` and `blocking_recv` do not detect that they are called on a
//!   runtime's thread (this crate does not know the executor): there they block the
//!   thread and every task on it, where tokio panics. Call them from plain threads.
//! - No `send_timeout` (wrap `send` in `wakeful::time::timeout`).
//! - See [`mpsc`] and [`oneshot`] for the rest.

mod block;
pub mod mpsc;
pub mod oneshot;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a channel's state. No user code runs under these locks, so a poisoned one
/// only means a panic in this crate between two consistent states: take it anyway.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
