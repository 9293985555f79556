//! [`WaitList`]: the futures waiting on one primitive, first come first served, each
//! able to leave its place in O(1) when it is dropped.
//!
//! The list is a slab of nodes linked in FIFO order by index. A waiting future holds a
//! [`WaitKey`] (slot index + generation). Two things can end its wait:
//!
//! - the primitive *dequeues* it ([`WaitList::pop_front`]): the node leaves the FIFO
//!   but keeps its slot and its value, so the future can read on its next poll (or in
//!   its `Drop`) what it was given — a `Notify` notification, semaphore permits;
//! - the future *removes* itself ([`WaitList::remove`]): on completion or on drop. This
//!   frees the slot and bumps its generation, so the key matches nothing afterwards.
//!
//! So every slot is freed by its owner exactly once, and a dropped future always takes
//! its waker with it. Wakers are handed back to the caller rather than woken or dropped
//! here: the caller wakes (or drops) them once its own `RefCell` is released, because a
//! waker's `wake` or `Drop` may run arbitrary code that calls back into the primitive.
//! For the same reason a waker is cloned with no borrow held: see [`with_waker`].

mod slot;

pub(crate) use slot::{park, park_new, with_waker, NeedsClone, WakerSlot};
use std::task::Waker;

/// A waiting future's place in a [`WaitList`]; stale (matching nothing) once removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaitKey {
    index: u32,
    generation: u32,
}

const NONE: u32 = u32::MAX;

#[derive(Debug)]
struct Node<T> {
    /// Bumped when the slot is freed, so that old keys miss it.
    generation: u32,
    /// Whether the node is linked in the FIFO (false once dequeued or while free).
    queued: bool,
    prev: u32,
    next: u32,
    waker: Option<Waker>,
    /// `Some` while the slot belongs to a waiter.
    value: Option<T>,
}

/// A FIFO of waiters, each carrying a value of type `T` and maybe a waker.
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    nodes: Vec<Node<T>>,
    /// Free slots, reused last-freed first.
    free: Vec<u32>,
    head: u32,
    tail: u32,
    queued: usize,
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        WaitList { nodes: Vec::new(), free: Vec::new(), head: NONE, tail: NONE, queued: 0 }
    }
}

impl<T> WaitList<T> {
    /// Queues a new waiter at the back.
    pub(crate) fn push_back(&mut self, value: T, waker: Option<Waker>) -> WaitKey {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                assert!(self.nodes.len() < NONE as usize, "too many waiters on one primitive");
                self.nodes.push(Node {
                    generation: 0,
                    queued: false,
                    prev: NONE,
                    next: NONE,
                    waker: None,
                    value: None,
                });
                (self.nodes.len() - 1) as u32
            }
        };
        let tail = self.tail;
        let node = &mut self.nodes[index as usize];
        node.queued = true;
        node.prev = tail;
        node.next = NONE;
        node.waker = waker;
        node.value = Some(value);
        let generation = node.generation;
        match tail {
            NONE => self.head = index,
            tail => self.nodes[tail as usize].next = index,
        }
        self.tail = index;
        self.queued += 1;
        WaitKey { index, generation }
    }

    /// Whether `key` is still in the FIFO (false once dequeued or removed).
    pub(crate) fn is_queued(&self, key: WaitKey) -> bool {
        self.node(key).is_some_and(|node| node.queued)
    }

    /// The value of `key`'s waiter, queued or dequeued, until it is removed.
    #[cfg(test)]
    pub(crate) fn get_mut(&mut self, key: WaitKey) -> Option<&mut T> {
        self.node_mut(key)?.value.as_mut()
    }

    /// Stores the task's waker for a queued `key` (nothing for a dequeued one), unless
    /// the stored one wakes the same task; see [`WakerSlot::store_in`].
    pub(crate) fn set_waker(&mut self, key: WaitKey, slot: &mut WakerSlot<'_>) -> Result<(), NeedsClone> {
        match self.node_mut(key).filter(|node| node.queued) {
            Some(node) => slot.store_in(&mut node.waker),
            None => Ok(()),
        }
    }

    /// The value of the first queued waiter.
    pub(crate) fn front(&self) -> Option<&T> {
        match self.head {
            NONE => None,
            head => self.nodes[head as usize].value.as_ref(),
        }
    }

    /// The value of the first queued waiter, to change what it still asks for.
    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        match self.head {
            NONE => None,
            head => self.nodes[head as usize].value.as_mut(),
        }
    }

    /// Takes the first waiter out of the FIFO; its slot and value stay until its owner
    /// removes it. Returns its value (to record what it was given) and its waker.
    pub(crate) fn pop_front(&mut self) -> Option<(&mut T, Option<Waker>)> {
        self.dequeue(self.head)
    }

    /// Takes the last waiter out of the FIFO, as [`pop_front`](Self::pop_front) takes
    /// the first.
    pub(crate) fn pop_back(&mut self) -> Option<(&mut T, Option<Waker>)> {
        self.dequeue(self.tail)
    }

    fn dequeue(&mut self, index: u32) -> Option<(&mut T, Option<Waker>)> {
        if index == NONE {
            return None;
        }
        self.unlink(index);
        let node = &mut self.nodes[index as usize];
        let waker = node.waker.take();
        node.value.as_mut().map(|value| (value, waker))
    }

    /// Dequeues every waiter, in order, and returns their wakers; as with
    /// [`pop_front`](Self::pop_front), each keeps its slot until its owner removes it.
    pub(crate) fn take_all(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::with_capacity(self.queued);
        while let Some((_, waker)) = self.pop_front() {
            wakers.extend(waker);
        }
        wakers
    }

    /// Frees `key`'s slot, taking it out of the FIFO if it is still there. Returns its
    /// value and waker (for the caller to drop after its borrows end); `None` for a
    /// stale key.
    pub(crate) fn remove(&mut self, key: WaitKey) -> Option<(T, Option<Waker>)> {
        let queued = self.node(key)?.queued;
        if queued {
            self.unlink(key.index);
        }
        let node = &mut self.nodes[key.index as usize];
        node.generation = node.generation.wrapping_add(1);
        let value = node.value.take()?;
        let waker = node.waker.take();
        self.free.push(key.index);
        Some((value, waker))
    }

    /// How many waiters are queued.
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// Whether nobody is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    #[inline(always)]
    fn unlink(&mut self, index: u32) {
        let (prev, next) = {
            let node = &mut self.nodes[index as usize];
            debug_assert!(node.queued, "unlinking a node that is not queued");
            node.queued = false;
            (std::mem::replace(&mut node.prev, NONE), std::mem::replace(&mut node.next, NONE))
        };
        match prev {
            NONE => self.head = next,
            prev => self.nodes[prev as usize].next = next,
        }
        match next {
            NONE => self.tail = prev,
            next => self.nodes[next as usize].prev = prev,
        }
        self.queued -= 1;
    }

    #[inline(always)]
    fn node(&self, key: WaitKey) -> Option<&Node<T>> {
        let node = self.nodes.get(key.index as usize)?;
        (node.generation == key.generation && node.value.is_some()).then_some(node)
    }

    #[inline(always)]
    fn node_mut(&mut self, key: WaitKey) -> Option<&mut Node<T>> {
        let node = self.nodes.get_mut(key.index as usize)?;
        (node.generation == key.generation && node.value.is_some()).then_some(node)
    }
}

impl WaitList<()> {
    /// Keeps a waiter that waits for a condition (not for a value) queued with `waker`:
    /// refreshes the waker of a queued `key`, else (no key yet, or dequeued by a wake
    /// that did not meet the condition) frees the old slot and queues again at the
    /// back. Fails, changing nothing, if that needs a clone not yet made.
    pub(crate) fn requeue(
        &mut self,
        key: &mut Option<WaitKey>,
        slot: &mut WakerSlot<'_>,
    ) -> Result<(), NeedsClone> {
        if let Some(queued) = key.filter(|&k| self.is_queued(k)) {
            return self.set_waker(queued, slot);
        }
        let waker = slot.take()?;
        if let Some(((), stale)) = key.take().and_then(|k| self.remove(k)) {
            // None (a dequeued waiter's waker went with the wake), but dropped late anyway.
            slot.replaced = stale;
        }
        *key = Some(self.push_back((), Some(waker)));
        Ok(())
    }
}

/// Wakers collected under a borrow, to wake once it ends: the first one inline, so
/// that the common single wake allocates nothing.
#[derive(Default)]
pub(crate) struct Woken {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Extend<Waker> for Woken {
    fn extend<I: IntoIterator<Item = Waker>>(&mut self, wakers: I) {
        for waker in wakers {
            match self.first {
                None => self.first = Some(waker),
                Some(_) => self.rest.push(waker),
            }
        }
    }
}

impl Woken {
    /// Wakes them all, in order, as [`wake_all`] does.
    pub(crate) fn wake(self) {
        match self.first {
            Some(first) if self.rest.is_empty() => first.wake(),
            first => wake_all(first.into_iter().chain(self.rest)),
        }
    }
}

/// Wakes every waker, even if one panics; the first panic resumes once all are woken,
/// so one broken waker cannot leave the others' tasks asleep forever.
pub(crate) fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    let mut panic = None;
    for waker in wakers {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
        if let Err(payload) = result {
            panic.get_or_insert(payload);
        }
    }
    if let Some(payload) = panic {
        std::panic::resume_unwind(payload);
    }
}

#[cfg(test)]
mod tests;
