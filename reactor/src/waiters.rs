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
///
/// Place 0 is kept inline: almost every source has at most one waiter per direction,
/// and a server holds thousands of sources, so the usual waiter costs no allocation
/// (it used to cost one of 24 bytes, and another for the free list at its first
/// wakeup). Places 1.. exist only for sources several futures wait on at once
/// (a listener whose `accept` several tasks await): 32 bytes per direction instead of
/// the 48 two `Vec`s took, in every registered source.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    first: Slot,
    more: Option<Box<More>>,
}

/// Places 1.. (`slots[i]` is place `i + 1`).
#[derive(Debug, Default)]
struct More {
    slots: Vec<Slot>,
    /// Indices into `slots` of the empty ones, reused last-freed first.
    free: Vec<u32>,
}

#[derive(Debug, Default)]
struct Slot {
    /// Bumped each time the slot is emptied, so that old keys miss it.
    generation: u32,
    /// `Some` while the slot is taken.
    waker: Option<Waker>,
}

impl Slot {
    /// Empties a taken slot: its waker, with the generation bumped past every key to it.
    fn empty(&mut self) -> Option<Waker> {
        let waker = self.waker.take();
        if waker.is_some() {
            self.generation = self.generation.wrapping_add(1);
        }
        waker
    }
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
        let (index, slot) = if self.first.waker.is_none() {
            (0, &mut self.first)
        } else {
            let more = self.more.get_or_insert_with(Box::default);
            let at = match more.free.pop() {
                Some(at) => at as usize,
                None => {
                    // Place `len + 1` must fit a key's u32.
                    assert!(more.slots.len() < u32::MAX as usize - 1, "too many waiters on one source");
                    more.slots.push(Slot::default());
                    more.slots.len() - 1
                }
            };
            (at as u32 + 1, &mut more.slots[at])
        };
        slot.waker = Some(waker);
        *key = Some(WaiterKey { index, generation: slot.generation });
        None
    }

    /// Gives up `key`'s place; returns its waker, for the caller to drop once no table
    /// is borrowed. A stale key removes nothing.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> Option<Waker> {
        let waker = self.slot_mut(key)?.empty();
        if let (Some(more), Some(at)) = (self.more.as_mut(), key.index.checked_sub(1)) {
            more.free.push(at);
        }
        waker
    }

    /// Empties every place, moving the wakers to `into` (to be woken by the caller).
    pub(crate) fn take_all(&mut self, mut into: impl FnMut(Waker)) {
        if let Some(waker) = self.first.empty() {
            into(waker);
        }
        let Some(more) = self.more.as_mut() else { return };
        if more.slots.len() == more.free.len() {
            return; // nobody else waits
        }
        for (at, slot) in more.slots.iter_mut().enumerate() {
            if let Some(waker) = slot.empty() {
                more.free.push(at as u32);
                into(waker);
            }
        }
    }

    /// The wakers of the futures waiting, without taking them.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Waker> {
        let more = self.more.iter().flat_map(|more| more.slots.iter());
        std::iter::once(&self.first).chain(more).filter_map(|slot| slot.waker.as_ref())
    }

    /// How many futures wait.
    pub(crate) fn len(&self) -> usize {
        let more = self.more.as_ref().map_or(0, |more| more.slots.len() - more.free.len());
        usize::from(self.first.waker.is_some()) + more
    }

    fn get(&self, key: WaiterKey) -> Option<&Waker> {
        let slot = match key.index.checked_sub(1) {
            None => &self.first,
            Some(at) => self.more.as_ref()?.slots.get(at as usize)?,
        };
        if slot.generation != key.generation {
            return None;
        }
        slot.waker.as_ref()
    }

    /// `key`'s slot, if the key is current and the slot taken.
    fn slot_mut(&mut self, key: WaiterKey) -> Option<&mut Slot> {
        let slot = match key.index.checked_sub(1) {
            None => &mut self.first,
            Some(at) => self.more.as_mut()?.slots.get_mut(at as usize)?,
        };
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
        assert!(waiters.more.is_none(), "one place, the inline one, reused");
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

    #[test]
    fn one_waiter_at_a_time_never_needs_more_than_the_inline_place() {
        let mut waiters = Waiters::default();
        for _ in 0..100 {
            let mut key = None;
            waiters.store(&mut key, waker().1);
            let mut woken = 0;
            waiters.take_all(|_| woken += 1);
            assert_eq!(woken, 1);
            assert!(waiters.remove(key.unwrap()).is_none(), "woken: the key is stale");
        }
        assert!(waiters.more.is_none(), "no allocation for the usual single waiter");
        // What every registered source holds per direction.
        assert_eq!(std::mem::size_of::<Waiters>(), 32);
    }

    #[test]
    fn several_waiters_each_keep_their_place_and_leave_cleanly() {
        let mut waiters = Waiters::default();
        let tasks: Vec<_> = (0..5).map(|_| waker()).collect();
        let mut keys = [None; 5];
        for (key, (_, w)) in keys.iter_mut().zip(&tasks) {
            assert!(waiters.store(key, w.clone()).is_none());
        }
        assert_eq!(waiters.len(), 5);
        for (key, (_, w)) in keys.iter().zip(&tasks) {
            assert_eq!(waiters.place(*key, w), Place::Current, "each key finds its own waker");
        }
        // The inline place and one of the others give up; their wakers go with them.
        for gone in [0, 3] {
            assert!(waiters.remove(keys[gone].unwrap()).is_some());
            assert_eq!(Arc::strong_count(&tasks[gone].0), 2, "test + local waker only");
            assert!(waiters.remove(keys[gone].unwrap()).is_none(), "removed once");
        }
        assert_eq!(waiters.len(), 3);
        assert_eq!(waiters.iter().count(), 3);
        // New waiters reuse the freed places, without growing.
        let (mut a, mut b) = (None, None);
        waiters.store(&mut a, waker().1);
        waiters.store(&mut b, waker().1);
        assert_eq!(waiters.len(), 5);
        assert_eq!(waiters.more.as_ref().unwrap().slots.len(), 4, "places 1..=4, none added");
        let mut woken = Vec::new();
        waiters.take_all(|w| woken.push(w));
        assert_eq!(woken.len(), 5);
        assert_eq!(waiters.len(), 0);
        for key in keys.iter().chain([&a, &b]) {
            assert!(waiters.remove(key.unwrap()).is_none(), "every key is stale after a wakeup");
        }
    }

    /// A model of the table under a random mix of what futures do (wait, re-poll with
    /// another task's waker, leave, be woken), checked after every step: each live key
    /// finds its own waker, a stale key finds nothing, a wakeup wakes exactly the
    /// futures waiting, and the table never holds a waker nobody waits with.
    #[test]
    fn random_waits_replacements_leaves_and_wakeups_match_a_model() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        struct Counted(AtomicUsize);
        impl Wake for Counted {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        struct Fut {
            task: Arc<Counted>,
            key: Option<WaiterKey>,
            waiting: bool,
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut waiters = Waiters::default();
        let mut futs: Vec<Fut> = Vec::new();
        for step in 0..200_000 {
            match next(10) {
                0..=2 => {
                    futs.push(Fut { task: Arc::new(Counted(AtomicUsize::new(0))), key: None, waiting: false })
                }
                3..=5 if !futs.is_empty() => {
                    // A poll that must wait: same task, or a new task (the future moved).
                    let i = next(futs.len());
                    if next(4) == 0 {
                        futs[i].task = Arc::new(Counted(AtomicUsize::new(0)));
                    }
                    let fut = &mut futs[i];
                    let w = Waker::from(fut.task.clone());
                    if waiters.place(fut.key, &w) == Place::Current {
                        assert!(fut.waiting, "step {step}: a stale key found a waker");
                    } else {
                        let old = waiters.store(&mut fut.key, w);
                        assert_eq!(old.is_some(), fut.waiting, "step {step}: replaced iff waiting");
                        fut.waiting = true;
                    }
                }
                6..=7 if !futs.is_empty() => {
                    let fut = futs.swap_remove(next(futs.len()));
                    let removed = fut.key.and_then(|key| waiters.remove(key));
                    assert_eq!(removed.is_some(), fut.waiting, "step {step}: removed iff waiting");
                    if let Some(key) = fut.key {
                        assert!(waiters.remove(key).is_none(), "step {step}: removed twice");
                    }
                }
                8 if next(8) == 0 => {
                    let before: Vec<usize> = futs.iter().map(|f| f.task.0.load(Ordering::Relaxed)).collect();
                    waiters.take_all(Waker::wake);
                    for (fut, before) in futs.iter_mut().zip(before) {
                        let woken = fut.task.0.load(Ordering::Relaxed) - before;
                        assert_eq!(woken, usize::from(fut.waiting), "step {step}: woken once iff waiting");
                        fut.waiting = false;
                    }
                }
                _ => {}
            }
            let waiting = futs.iter().filter(|f| f.waiting).count();
            assert_eq!(waiters.len(), waiting, "step {step}");
            assert_eq!(waiters.iter().count(), waiting, "step {step}");
            for fut in &futs {
                let w = Waker::from(fut.task.clone());
                let current = waiters.place(fut.key, &w) == Place::Current;
                assert_eq!(current, fut.waiting, "step {step}: a key finds its waker iff waiting");
            }
            if futs.len() > 40 {
                // Keep the population small, so places are freed and reused often.
                let fut = futs.swap_remove(0);
                if let Some(key) = fut.key {
                    waiters.remove(key);
                }
            }
        }
    }
}
