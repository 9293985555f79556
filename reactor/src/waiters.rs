//! [`Waiters`]: the futures waiting on one direction of one source, each in a place of
//! its own that it gives up when it is dropped.
//!
//! Why places and not a plain list of wakers: a future that is dropped while it waits
//! (a `select!` that took another branch, a task that was aborted) must take its
//! waker out with it. Left behind, the waker would keep its task's allocation alive,
//! and on a quiet socket the list would grow with every such future. So a future that
//! waits holds a [`WaiterKey`] and hands it back on drop
//! ([`Reactor::cancel_wait`](crate::Reactor::cancel_wait)).
//!
//! A place is freed when its waker is taken to be woken, and its generation bumped:
//! the key its future still holds then matches nothing, and the future's next poll
//! takes a new place. Freeing on wake keeps the table as small as the number of
//! futures waiting right now.

use std::task::Waker;

/// One waiting future's place among a source's waiters in one direction.
///
/// A key is handed out by [`Reactor::poll_ready`](crate::Reactor::poll_ready) when the
/// future has to wait, and given back by
/// [`Reactor::cancel_wait`](crate::Reactor::cancel_wait) when it stops waiting. After
/// a wakeup it is stale and matches nothing; reusing it then is harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaiterKey {
    index: u32,
    generation: u32,
}

/// The waiting futures of one direction of one source.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    slots: Vec<Slot>,
    /// Indices of empty slots, reused last-freed first.
    free: Vec<u32>,
}

#[derive(Debug)]
struct Slot {
    /// Bumped each time the slot is emptied, so that old keys miss it.
    generation: u32,
    /// `Some` while the slot is taken.
    waker: Option<Waker>,
}

/// What a poll finds of its waiter's place.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The key holds a waker that wakes the same task: nothing to do.
    Current,
    /// No live place, or one holding another task's waker: store a clone.
    NeedsWaker,
}

impl Waiters {
    /// Whether `key` already holds a waker equivalent to `waker`.
    pub(crate) fn place(&self, key: Option<WaiterKey>, waker: &Waker) -> Place {
        match key.and_then(|key| self.get(key)) {
            Some(stored) if stored.will_wake(waker) => Place::Current,
            _ => Place::NeedsWaker,
        }
    }

    /// Stores `waker` in `key`'s place, taking a new place (and updating `key`) if it
    /// has none. Returns the waker it replaced, for the caller to drop once no table
    /// is borrowed.
    pub(crate) fn store(&mut self, key: &mut Option<WaiterKey>, waker: Waker) -> Option<Waker> {
        if let Some(live) = key.and_then(|k| self.slot_mut(k)) {
            return live.waker.replace(waker);
        }
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                assert!(self.slots.len() < u32::MAX as usize, "too many waiters on one source");
                // Room for one, not the four a first push reserves: almost every source
                // has one waiter per direction, and a server holds thousands of them.
                if self.slots.capacity() == 0 {
                    self.slots.reserve_exact(1);
                }
                self.slots.push(Slot { generation: 0, waker: None });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.waker = Some(waker);
        *key = Some(WaiterKey { index, generation: slot.generation });
        None
    }

    /// Gives up `key`'s place; returns its waker, for the caller to drop once no table
    /// is borrowed. A stale key removes nothing.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> Option<Waker> {
        let slot = self.slot_mut(key)?;
        let waker = slot.waker.take();
        slot.generation = slot.generation.wrapping_add(1);
        self.free_place(key.index);
        waker
    }

    /// Lists place `index` as free; the first time, with room for exactly as many
    /// places as there are (one, usually), as for `slots` in [`store`](Self::store).
    fn free_place(&mut self, index: u32) {
        if self.free.capacity() == 0 {
            self.free.reserve_exact(self.slots.len());
        }
        self.free.push(index);
    }

    /// Empties every place, moving the wakers to `into` (to be woken by the caller).
    pub(crate) fn take_all(&mut self, mut into: impl FnMut(Waker)) {
        if self.slots.len() == self.free.len() {
            return; // nobody waits: the common case of an event nobody asked for yet
        }
        if self.free.capacity() == 0 {
            self.free.reserve_exact(self.slots.len()); // as in `free_place`
        }
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let Some(waker) = slot.waker.take() {
                slot.generation = slot.generation.wrapping_add(1);
                self.free.push(index as u32);
                into(waker);
            }
        }
    }

    /// The wakers of the futures waiting, without taking them.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Waker> {
        self.slots.iter().filter_map(|slot| slot.waker.as_ref())
    }

    /// How many futures wait.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    fn get(&self, key: WaiterKey) -> Option<&Waker> {
        let slot = self.slots.get(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        slot.waker.as_ref()
    }

    fn slot_mut(&mut self, key: WaiterKey) -> Option<&mut Slot> {
        let slot = self.slots.get_mut(key.index as usize)?;
        (slot.generation == key.generation && slot.waker.is_some()).then_some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    fn waker() -> (Arc<Noop>, Waker) {
        let arc = Arc::new(Noop);
        (arc.clone(), Waker::from(arc))
    }

    #[test]
    fn a_dropped_waiter_takes_its_waker_with_it() {
        let (task, w) = waker();
        let mut waiters = Waiters::default();
        let mut key = None;
        assert_eq!(waiters.place(key, &w), Place::NeedsWaker);
        assert!(waiters.store(&mut key, w.clone()).is_none());
        assert_eq!(waiters.place(key, &w), Place::Current);
        assert_eq!(Arc::strong_count(&task), 3, "test, local waker, stored waker");
        drop(waiters.remove(key.unwrap()));
        assert_eq!(Arc::strong_count(&task), 2, "the stored waker is gone");
        assert_eq!(waiters.len(), 0);
    }

    #[test]
    fn many_waiters_that_give_up_leave_nothing_behind() {
        let mut waiters = Waiters::default();
        for _ in 0..10_000 {
            let (_task, w) = waker();
            let mut key = None;
            waiters.store(&mut key, w);
            waiters.remove(key.unwrap());
        }
        assert_eq!(waiters.len(), 0);
        assert_eq!(waiters.slots.len(), 1, "one place, reused");
    }

    #[test]
    fn a_wakeup_frees_every_place_and_stales_the_keys() {
        let mut waiters = Waiters::default();
        let (mut a, mut b) = (None, None);
        waiters.store(&mut a, waker().1);
        waiters.store(&mut b, waker().1);
        let mut woken = Vec::new();
        waiters.take_all(|waker| woken.push(waker));
        assert_eq!(woken.len(), 2);
        assert_eq!(waiters.len(), 0);
        // A new waiter may reuse a's slot; a's stale key must not remove it.
        let mut c = None;
        waiters.store(&mut c, waker().1);
        assert!(waiters.remove(a.unwrap()).is_none(), "stale key");
        assert!(waiters.remove(b.unwrap()).is_none(), "stale key");
        assert_eq!(waiters.len(), 1, "c still waits");
        // A stale key that polls again gets a fresh place.
        assert!(waiters.store(&mut a, waker().1).is_none());
        assert_eq!(waiters.len(), 2);
    }

    #[test]
    fn storing_again_replaces_and_returns_the_old_waker() {
        let mut waiters = Waiters::default();
        let mut key = None;
        waiters.store(&mut key, waker().1);
        let first = key;
        assert!(waiters.store(&mut key, waker().1).is_some(), "the replaced waker is handed back");
        assert_eq!(key, first, "same place");
    }
}
