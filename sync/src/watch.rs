//! A channel that keeps only its latest value: many [`Receiver`]s watch one value and
//! are told when it changes; [`channel`] makes one.
//!
//! ```
//! use wakeful::sync::watch;
//!
//! wakeful::block_on(async {
//!     let (tx, mut rx) = watch::channel("starting");
//!     let watcher = wakeful::spawn(async move {
//!         let mut seen = Vec::new();
//!         while rx.changed().await.is_ok() {
//!             seen.push(*rx.borrow_and_update());
//!         }
//!         seen // the loop ends when the sender is gone
//!     });
//!     wakeful::yield_now().await;
//!     tx.send("ready").unwrap();
//!     wakeful::yield_now().await;
//!     drop(tx);
//!     assert_eq!(watcher.await.unwrap(), ["ready"]);
//! });
//! ```
//!
//! Each receiver remembers the version it has seen; [`Receiver::changed`] waits for a
//! newer one. Values sent in between are not queued: a receiver sees the latest only.
//!
//! # Differences from tokio
//!
//! - `!Send`; the value sits in a `RefCell`. Holding a [`Ref`] (from `borrow`) while
//!   the same task sends, or borrowing inside `send_modify`'s closure, panics with a
//!   clear message where tokio's `RwLock` would deadlock the thread.
//! - No `WeakSender`, and `wait_for` does not catch a panic of its closure.
//! - Same as tokio: a panic inside `send_modify`/`send_if_modified` propagates and
//!   notifies nobody, and what the closure already changed stays.

use crate::waiters::{self, WaitList};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

mod borrow;
pub mod error;
mod waiting;
pub use borrow::Ref;
pub use error::{RecvError, SendError};
use waiting::{Until, Waiting};

pub(super) struct Shared<T> {
    value: RefCell<T>,
    /// Bumped by every send; receivers compare it with the version they saw.
    version: Cell<u64>,
    senders: Cell<usize>,
    receivers: Cell<usize>,
    /// Receivers in `changed()`.
    changed: RefCell<WaitList<()>>,
    /// Senders in `closed()`.
    closed: RefCell<WaitList<()>>,
}

/// Makes a channel whose receivers start having seen `init`.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let tx = Sender::new(init);
    let rx = tx.subscribe();
    (tx, rx)
}

/// The sending half; clone it for more senders. The channel closes when the last one
/// drops.
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

/// A watcher of the value, with the version it has seen.
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
    version: u64,
}

fn wake_all(list: &RefCell<WaitList<()>>) {
    let wakers = list.borrow_mut().take_all();
    waiters::wake_all(wakers);
}

impl<T> Sender<T> {
    /// A channel with no receiver yet ([`subscribe`](Self::subscribe) makes some).
    pub fn new(init: T) -> Sender<T> {
        let shared = Shared {
            value: RefCell::new(init),
            version: Cell::new(0),
            senders: Cell::new(1),
            receivers: Cell::new(0),
            changed: RefCell::default(),
            closed: RefCell::default(),
        };
        Sender { shared: Rc::new(shared) }
    }

    /// Stores `value` and tells the receivers; fails, giving it back and storing
    /// nothing, when there are no receivers (as tokio).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.receivers.get() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Stores `value` even with no receivers, tells them, and returns the old value.
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|old| std::mem::swap(old, &mut value));
        value
    }

    /// Changes the value in place and tells the receivers. A panic in `modify`
    /// propagates and tells nobody.
    pub fn send_modify<F: FnOnce(&mut T)>(&self, modify: F) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Changes the value in place, and tells the receivers only if `modify` returns
    /// `true`; returns what `modify` returned.
    pub fn send_if_modified<F: FnOnce(&mut T) -> bool>(&self, modify: F) -> bool {
        {
            let mut value = self
                .shared
                .value
                .try_borrow_mut()
                .expect("watch value sent while a `Ref` of it is alive: drop the `Ref` first");
            if !modify(&mut value) {
                return false;
            }
        }
        self.shared.version.set(self.shared.version.get().wrapping_add(1));
        wake_all(&self.shared.changed);
        true
    }

    /// The current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        self.shared.borrow(false)
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.set(self.shared.receivers.get() + 1);
        Receiver { shared: self.shared.clone(), version: self.shared.version.get() }
    }

    /// How many receivers there are.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.get()
    }

    /// How many senders there are.
    pub fn sender_count(&self) -> usize {
        self.shared.senders.get()
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.receivers.get() == 0
    }

    /// Waits until every receiver is gone. Cancel-safe.
    pub async fn closed(&self) {
        // Waiting for no receivers only ever resolves to `Ok`.
        let _ = Waiting { shared: &self.shared, key: None, until: Until::NoReceivers }.await;
    }

    /// Whether both ends belong to one channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.set(self.shared.senders.get() + 1);
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.senders.set(self.shared.senders.get() - 1);
        if self.shared.senders.get() == 0 {
            wake_all(&self.shared.changed);
        }
    }
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        self.shared.borrow(false)
    }

    /// The current value, marking it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let current = self.shared.version.get();
        let has_changed = self.version != current;
        self.version = current;
        self.shared.borrow(has_changed)
    }

    /// Whether a value is unseen; `Err` once every sender is gone (as tokio, even if
    /// one is unseen).
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if self.shared.senders.get() == 0 {
            return Err(RecvError(()));
        }
        Ok(self.version != self.shared.version.get())
    }

    /// Makes the current value count as unseen.
    pub fn mark_changed(&mut self) {
        self.version = self.shared.version.get().wrapping_sub(1);
    }

    /// Makes the current value count as seen.
    pub fn mark_unchanged(&mut self) {
        self.version = self.shared.version.get();
    }

    /// Whether every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.senders.get() == 0
    }

    /// Waits for a value this receiver has not seen, and marks it seen. `Ok` at once
    /// if one is unseen; `Err` when none is and every sender is gone.
    ///
    /// Cancel-safe: dropped before it completes, it marks nothing seen.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        let seen = self.version;
        let result = Waiting { shared: &self.shared, key: None, until: Until::Newer(seen) }.await;
        if result.is_ok() {
            self.version = self.shared.version.get();
        }
        result
    }

    /// Waits until `f` holds for the value (checking the current one first), marks it
    /// seen and returns it; `Err` if the senders are gone first. Cancel-safe.
    pub async fn wait_for(&mut self, mut f: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        loop {
            {
                let has_changed = self.version != self.shared.version.get();
                self.version = self.shared.version.get();
                if f(&self.shared.borrow(false)) {
                    break Ok(self.shared.borrow(has_changed));
                }
            }
            if self.shared.senders.get() == 0 {
                break Err(RecvError(()));
            }
            self.changed().await?;
            self.mark_changed(); // so the loop's check reports the change
        }
    }

    /// Whether both ends belong to one channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    /// A receiver that has seen what this one has.
    fn clone(&self) -> Self {
        self.shared.receivers.set(self.shared.receivers.get() + 1);
        Receiver { shared: self.shared.clone(), version: self.version }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.receivers.set(self.shared.receivers.get() - 1);
        if self.shared.receivers.get() == 0 {
            wake_all(&self.shared.closed);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("receivers", &self.shared.receivers.get()).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("version", &self.version).finish()
    }
}
