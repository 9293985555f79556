//! [`WaiterList`]: futures waiting in line, first come first served, each able to leave
//! the line in O(1) when it is dropped.
//!
//! The line is a doubly linked list threaded through a slab of slots. A waiting future
//! holds a [`Key`] (slot index and generation); leaving unlinks its slot and frees it.
//! A slot's generation is bumped whenever it is freed, so a key whose waiter was
//! already taken off the line (woken) matches nothing: `remove` then returns `None`,
//! which is how a future learns that it was served rather than still waiting.
//!
//! Each slot carries a small payload `T` beside its waker (what the waiter asks for,
//! e.g. a read or a write), so a lock can look at the head of the line before serving
//! it. Wakers are handed back to the caller, never woken here: the caller wakes them
//! once it holds no borrow of its own state, as a waker may re-enter it.

// The API is shared by the primitives; not every one of them uses every method.
#![allow(dead_code)]

use std::task::Waker;

/// A waiter's place in a [`WaiterList`]. Stale once the waiter is removed or popped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    index: u32,
    generation: u32,
}

const NIL: u32 = u32::MAX;

#[derive(Debug)]
struct Slot<T> {
    generation: u32,
    /// `Some` while the slot is in the line.
    entry: Option<(Waker, T)>,
    prev: u32,
    next: u32,
}

/// A FIFO line of waiters with O(1) push, pop and removal by key.
#[derive(Debug)]
pub(crate) struct WaiterList<T = ()> {
    slots: Vec<Slot<T>>,
    /// Free slot indices, reused last-freed first.
    free: Vec<u32>,
    head: u32,
    tail: u32,
    len: usize,
}

impl<T> Default for WaiterList<T> {
    fn default() -> Self {
        WaiterList { slots: Vec::new(), free: Vec::new(), head: NIL, tail: NIL, len: 0 }
    }
}

impl WaiterList<()> {
    /// Joins the end of the line.
    pub(crate) fn push(&mut self, waker: &Waker) -> Key {
        self.push_with(waker, ())
    }
}

impl<T> WaiterList<T> {
    /// Joins the end of the line, asking for `payload`.
    pub(crate) fn push_with(&mut self, waker: &Waker, payload: T) -> Key {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                assert!(self.slots.len() < NIL as usize, "too many waiters on one primitive");
                self.slots.push(Slot { generation: 0, entry: None, prev: NIL, next: NIL });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.entry = Some((waker.clone(), payload));
        slot.prev = self.tail;
        slot.next = NIL;
        let generation = slot.generation;
        match self.tail {
            NIL => self.head = index,
            tail => self.slots[tail as usize].next = index,
        }
        self.tail = index;
        self.len += 1;
        Key { index, generation }
    }

    /// Whether `key` still waits in the line.
    pub(crate) fn contains(&self, key: Key) -> bool {
        self.live(key).is_some()
    }

    /// Replaces the waker stored for `key` if it would not wake the same task.
    /// Returns `false` (storing nothing) if `key` no longer waits; the replaced waker
    /// is returned for the caller to drop outside its borrows.
    pub(crate) fn update(&mut self, key: Key, waker: &Waker) -> Result<Option<Waker>, ()> {
        let index = self.live(key).ok_or(())?;
        let (stored, _) = self.slots[index].entry.as_mut().expect("live slot has an entry");
        if stored.will_wake(waker) {
            return Ok(None);
        }
        Ok(Some(std::mem::replace(stored, waker.clone())))
    }

    /// Leaves the line. `None` if `key` no longer waits (it was popped or removed).
    pub(crate) fn remove(&mut self, key: Key) -> Option<Waker> {
        let index = self.live(key)?;
        Some(self.unlink(index).0)
    }

    /// The payload of the first waiter in line.
    pub(crate) fn front(&self) -> Option<&T> {
        (self.head != NIL).then(|| &self.slots[self.head as usize].entry.as_ref().unwrap().1)
    }

    /// Takes the first waiter off the line, with its payload.
    pub(crate) fn pop_front_with(&mut self) -> Option<(Waker, T)> {
        (self.head != NIL).then(|| self.unlink(self.head as usize))
    }

    /// Takes the first waiter off the line.
    pub(crate) fn pop_front(&mut self) -> Option<Waker> {
        self.pop_front_with().map(|(waker, _)| waker)
    }

    /// Takes every waiter off the line, in order.
    pub(crate) fn take_all(&mut self) -> Vec<Waker> {
        let mut all = Vec::with_capacity(self.len);
        while let Some(waker) = self.pop_front() {
            all.push(waker);
        }
        all
    }

    /// How many wait.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn live(&self, key: Key) -> Option<usize> {
        let slot = self.slots.get(key.index as usize)?;
        (slot.generation == key.generation && slot.entry.is_some()).then_some(key.index as usize)
    }

    fn unlink(&mut self, index: usize) -> (Waker, T) {
        let slot = &mut self.slots[index];
        let entry = slot.entry.take().expect("unlinking a live slot");
        slot.generation = slot.generation.wrapping_add(1);
        let (prev, next) = (slot.prev, slot.next);
        match prev {
            NIL => self.head = next,
            prev => self.slots[prev as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.slots[next as usize].prev = prev,
        }
        self.free.push(index as u32);
        self.len -= 1;
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Id(usize, Arc<AtomicUsize>);
    impl Wake for Id {
        fn wake(self: Arc<Self>) {
            self.1.store(self.0, Ordering::SeqCst);
        }
    }

    fn waker(id: usize, last: &Arc<AtomicUsize>) -> Waker {
        Waker::from(Arc::new(Id(id, last.clone())))
    }

    #[test]
    fn pops_in_arrival_order_around_removals() {
        let last = Arc::new(AtomicUsize::new(0));
        let mut list = WaiterList::default();
        let keys: Vec<Key> = (1..=5).map(|i| list.push(&waker(i, &last))).collect();
        assert!(list.remove(keys[0]).is_some());
        assert!(list.remove(keys[2]).is_some());
        assert!(list.remove(keys[4]).is_some());
        assert!(list.remove(keys[4]).is_none(), "a stale key removes nothing");
        let reused = list.push(&waker(6, &last));
        let mut order = Vec::new();
        while let Some(w) = list.pop_front() {
            w.wake();
            order.push(last.load(Ordering::SeqCst));
        }
        assert_eq!(order, [2, 4, 6]);
        assert!(!list.contains(reused) && list.is_empty());
    }

    #[test]
    fn update_reports_a_popped_key() {
        let last = Arc::new(AtomicUsize::new(0));
        let mut list = WaiterList::default();
        let key = list.push(&waker(1, &last));
        assert_eq!(list.update(key, &waker(2, &last)).map(|w| w.is_some()), Ok(true));
        assert_eq!(list.take_all().len(), 1);
        assert!(list.update(key, &waker(3, &last)).is_err());
        assert_eq!(list.len(), 0);
    }
}
