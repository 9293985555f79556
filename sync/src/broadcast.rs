//! A bounded channel where every receiver gets every value: [`channel`] makes one.
//!
//! ```
//! use wakeful::sync::broadcast::{self, error::RecvError};
//!
//! wakeful::block_on(async {
//!     let (tx, mut rx) = broadcast::channel(2);
//!     let mut late = tx.subscribe();
//!     for n in 1..=3 {
//!         tx.send(n).unwrap();
//!     }
//!     // The ring holds 2: the receivers lagged by one and skip ahead.
//!     assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
//!     assert_eq!(rx.recv().await, Ok(2));
//!     assert_eq!(late.recv().await, Err(RecvError::Lagged(1)));
//!     drop(tx);
//!     assert_eq!(rx.recv().await, Ok(3));
//!     assert_eq!(rx.recv().await, Err(RecvError::Closed));
//! });
//! ```
//!
//! Values sit in a ring of `capacity` slots (rounded up to a power of two, as tokio).
//! A send never waits: when the ring is full it overwrites the oldest value, and a
//! receiver that had not read it learns on its next `recv` how many values it missed
//! ([`RecvError::Lagged`]), then goes on from the oldest value still held. A value is
//! dropped once every receiver has read it. The channel is closed when every sender
//! is gone; receivers still get what was sent before.
//!
//! # Differences from tokio
//!
//! - `!Send`. The last receiver to read a value gets it without a clone.
//! - No `WeakSender`, `strong_count`/`weak_count`, `blocking_recv`.

use crate::waiters::{wake_all, WaitList};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

mod closed;
pub mod error;
mod recv;
use error::{RecvError, SendError, TryRecvError};
use recv::Recv;

struct Slot<T> {
    /// The position last written here; one lap behind (`pos + capacity`) means the
    /// slot is free for the position a receiver expects next.
    pos: u64,
    /// Receivers that have yet to read this slot's value.
    rem: usize,
    /// An `Rc` so a reader clones the value outside any borrow of the ring.
    value: Option<Rc<T>>,
}

pub(super) struct Shared<T> {
    ring: RefCell<Box<[Slot<T>]>>,
    mask: u64,
    /// The position the next send writes.
    tail: Cell<u64>,
    senders: Cell<usize>,
    receivers: Cell<usize>,
    /// Receivers in `recv()`.
    waiters: RefCell<WaitList<()>>,
    /// Tasks in `Sender::closed()`.
    closed_waiters: RefCell<WaitList<()>>,
}

/// Makes a channel holding at least `capacity` values for slow receivers.
///
/// # Panics
///
/// If `capacity` is 0 or above `usize::MAX >> 1` (as tokio).
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel capacity cannot be zero");
    assert!(capacity <= usize::MAX >> 1, "broadcast channel capacity exceeded `usize::MAX / 2`");
    let capacity = capacity.next_power_of_two();
    let ring = (0..capacity)
        .map(|i| Slot { pos: (i as u64).wrapping_sub(capacity as u64), rem: 0, value: None })
        .collect();
    let shared = Rc::new(Shared {
        ring: RefCell::new(ring),
        mask: capacity as u64 - 1,
        tail: Cell::new(0),
        senders: Cell::new(1),
        receivers: Cell::new(1),
        waiters: RefCell::default(),
        closed_waiters: RefCell::default(),
    });
    (Sender { shared: shared.clone() }, Receiver { shared, next: 0 })
}

/// The sending half; clone it for more senders.
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

/// A receiving half, with its own place in the stream of values.
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
    /// The position this receiver reads next.
    next: u64,
}

impl<T> Shared<T> {
    fn capacity(&self) -> u64 {
        self.mask + 1
    }

    fn subscribe(self: &Rc<Self>) -> Receiver<T> {
        self.receivers.set(self.receivers.get() + 1);
        Receiver { shared: self.clone(), next: self.tail.get() }
    }
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver there is now, returning how many; fails,
    /// giving it back, when there are none. Never waits: a full ring drops its oldest
    /// value.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let shared = &self.shared;
        let receivers = shared.receivers.get();
        if receivers == 0 {
            return Err(SendError(value));
        }
        let tail = shared.tail.get();
        let overwritten = {
            let mut ring = shared.ring.borrow_mut();
            let slot = &mut ring[(tail & shared.mask) as usize];
            slot.pos = tail;
            slot.rem = receivers;
            slot.value.replace(Rc::new(value))
        };
        shared.tail.set(tail.wrapping_add(1));
        drop(overwritten); // a value's drop may re-enter the channel: not under the borrow
        let wakers = shared.waiters.borrow_mut().take_all();
        wake_all(wakers);
        Ok(receivers)
    }

    /// A new receiver that gets the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.subscribe()
    }

    /// How many receivers there are.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.get()
    }

    /// How many values some receiver has yet to read.
    pub fn len(&self) -> usize {
        // Readers read in order, so unread slots form the newest run of the ring:
        // find where it starts by bisection, as unread counts only grow with position.
        let ring = self.shared.ring.borrow();
        let tail = self.shared.tail.get();
        let held = tail.min(self.shared.capacity());
        let (mut low, mut high) = (0, held);
        while low < high {
            let mid = low + (high - low) / 2;
            let pos = tail - held + mid;
            if ring[(pos & self.shared.mask) as usize].rem == 0 {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        (held - low) as usize
    }

    /// Whether every receiver has read every value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both senders belong to one channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }

    /// Completes when no receiver is left (at once if there is none now). A later
    /// [`subscribe`](Self::subscribe) opens the channel again for a later call, as
    /// tokio's. Cancel-safe.
    pub async fn closed(&self) {
        closed::Closed { shared: &self.shared, key: None }.await
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
            let wakers = self.shared.waiters.borrow_mut().take_all();
            wake_all(wakers);
        }
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits for the next value. `Err(Lagged(n))` if `n` values were overwritten
    /// before this receiver read them (the next call returns the oldest value still
    /// held); `Err(Closed)` once every sender is gone and every value was read.
    ///
    /// Cancel-safe: a value is taken only when the future completes.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        Recv { rx: self, key: None }.await
    }

    /// The next value if there is one, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let shared = &*self.shared;
        let (value, last_reader) = {
            let mut ring = shared.ring.borrow_mut();
            let slot = &mut ring[(self.next & shared.mask) as usize];
            if slot.pos != self.next {
                if slot.pos.wrapping_add(shared.capacity()) == self.next {
                    return Err(match shared.senders.get() {
                        0 => TryRecvError::Closed,
                        _ => TryRecvError::Empty,
                    });
                }
                // Overwritten: skip to the oldest value held.
                let oldest = shared.tail.get().wrapping_sub(shared.capacity());
                let missed = oldest.wrapping_sub(self.next);
                self.next = oldest;
                return Err(TryRecvError::Lagged(missed));
            }
            slot.rem -= 1;
            let value = slot.value.clone().expect("an unread slot holds its value");
            (value, (slot.rem == 0).then(|| slot.value.take()))
        };
        self.next = self.next.wrapping_add(1);
        drop(last_reader);
        // Cloned outside the borrow (a `Clone` impl may use the channel); the last
        // reader owns the only `Rc` and takes the value as it is.
        Ok(Rc::try_unwrap(value).unwrap_or_else(|shared| (*shared).clone()))
    }
}

impl<T> Receiver<T> {
    /// A new receiver that gets the values sent from now on.
    pub fn resubscribe(&self) -> Receiver<T> {
        self.shared.subscribe()
    }

    /// How many values were sent that this receiver has yet to get (more than the
    /// capacity once it has lagged, as tokio).
    pub fn len(&self) -> usize {
        self.shared.tail.get().wrapping_sub(self.next) as usize
    }

    /// Whether this receiver has got every value sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.senders.get() == 0
    }

    /// Whether both receivers belong to one channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let shared = &*self.shared;
        shared.receivers.set(shared.receivers.get() - 1);
        // Count this receiver out of every value it has not read, so those values
        // drop once the others have read them.
        let tail = shared.tail.get();
        let oldest = tail.saturating_sub(shared.capacity()).max(self.next);
        let mut unread = Vec::new();
        {
            let mut ring = shared.ring.borrow_mut();
            for pos in oldest..tail {
                let slot = &mut ring[(pos & shared.mask) as usize];
                if slot.pos == pos && slot.rem > 0 {
                    slot.rem -= 1;
                    if slot.rem == 0 {
                        unread.extend(slot.value.take());
                    }
                }
            }
        }
        drop(unread); // values' drops run outside the borrow
        if shared.receivers.get() == 0 {
            let wakers = shared.closed_waiters.borrow_mut().take_all();
            wake_all(wakers);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("receivers", &self.shared.receivers.get()).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("next", &self.next).finish()
    }
}
