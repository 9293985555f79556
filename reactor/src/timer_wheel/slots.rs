//! [`Slots`]: the wheel's slots, each a vector of `(deadline, entry)` items.
//!
//! Why vectors, not lists through the entries: a slot is read whole when time reaches
//! it (to cascade it, or to move it to `Near`), and with many timers their entries lie
//! scattered through the slab. Walking a linked list there is a chain of cache misses,
//! each load waiting for the one before to learn where to go next. Walking a vector
//! reads the items in order, and each item carries its deadline, so the timer can be
//! re-filed without loading its entry first; the entries written meanwhile (to record
//! where each timer now sits) are independent of one another, and the CPU overlaps them.
//!
//! Insert and cancel stay O(1): each entry remembers its item's position in its slot,
//! and a cancel swap-removes the item and tells the entry of the item moved into the
//! gap its new position (see [`Slots::swap_remove`]).
//!
//! Memory: a slot's capacity never exceeds `max(KEEP, 4 × its length)` items. Pushes
//! double a full vector (capacity ≤ 2 × length after growth); a cancel that leaves a
//! vector under a quarter full halves it back towards twice its length; a slot emptied
//! by being reached keeps at most `KEEP` items of capacity for its next turn. So all
//! slots together hold at most `16 B × (4 × timers filed + 384 × KEEP)`, about 400 KiB
//! at worst beyond the timers' own share, whatever came and went before.

use super::{LEVELS, SLOTS};

/// Capacity a slot may keep while (nearly) empty: the common slot sizes of a busy
/// server refill it without reallocating, and 384 slots of this cost little (1 KiB each).
const KEEP: usize = 64;

/// One timer filed in a slot: its exact deadline (nanoseconds) and its entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Slotted {
    pub(super) deadline: u64,
    pub(super) index: u32,
}

/// Every level's slots and, per level, which of them hold timers.
#[derive(Debug)]
pub(super) struct Slots {
    /// `LEVELS × SLOTS` vectors, level by level (boxed: 9 KiB of headers would make
    /// the wheel too big to move around cheaply).
    slots: Box<[Vec<Slotted>]>,
    /// Per level, one bit per non-empty slot: finds the next occupied slot in O(1).
    occupied: [u64; LEVELS],
}

impl Default for Slots {
    fn default() -> Self {
        Slots { slots: (0..LEVELS * SLOTS).map(|_| Vec::new()).collect(), occupied: [0; LEVELS] }
    }
}

impl Slots {
    /// The bit mask of `level`'s non-empty slots.
    #[inline]
    pub(super) fn occupied(&self, level: usize) -> u64 {
        self.occupied[level]
    }

    /// Files `item` in the slot; returns its position there, for the entry to keep.
    #[inline]
    pub(super) fn push(&mut self, level: usize, slot: usize, item: Slotted) -> u32 {
        let items = &mut self.slots[level * SLOTS + slot];
        items.push(item);
        self.occupied[level] |= 1 << slot;
        // Fits: a slot holds at most one item per entry, and entries are `u32`-indexed.
        (items.len() - 1) as u32
    }

    /// Removes the item at `position` (the timer of entry `index`) by moving the slot's
    /// last item into its place. Returns that moved item's entry, whose recorded
    /// position the caller must set to `position`; `None` if the removed item was last.
    #[inline]
    pub(super) fn swap_remove(
        &mut self,
        level: usize,
        slot: usize,
        position: u32,
        index: u32,
    ) -> Option<u32> {
        let items = &mut self.slots[level * SLOTS + slot];
        let position = position as usize;
        let removed = items.swap_remove(position);
        debug_assert_eq!(removed.index, index, "an entry's recorded position is out of date");
        if items.is_empty() {
            self.occupied[level] &= !(1 << slot);
        }
        if items.capacity() > KEEP && items.len() * 4 < items.capacity() {
            // Resets that move timers out of a slot a few at a time must not leave it
            // holding the capacity of its busiest moment forever.
            items.shrink_to((items.len() * 2).max(KEEP));
        }
        items.get(position).map(|moved| moved.index)
    }

    /// Empties the slot, handing its items over: read them, then give the vector back
    /// with [`give_back`](Self::give_back) so that its capacity serves the next turn.
    pub(super) fn take(&mut self, level: usize, slot: usize) -> Vec<Slotted> {
        self.occupied[level] &= !(1 << slot);
        std::mem::take(&mut self.slots[level * SLOTS + slot])
    }

    /// Returns a vector from [`take`](Self::take), cleared and shrunk to `KEEP`.
    pub(super) fn give_back(&mut self, level: usize, slot: usize, mut items: Vec<Slotted>) {
        let home = &mut self.slots[level * SLOTS + slot];
        if home.is_empty() && home.capacity() == 0 {
            items.clear();
            items.shrink_to(KEEP);
            *home = items;
        }
    }

    /// The items of one slot (tests check capacities and positions).
    #[cfg(test)]
    pub(super) fn slot(&self, level: usize, slot: usize) -> &Vec<Slotted> {
        &self.slots[level * SLOTS + slot]
    }

    /// The capacity of every slot together, in items.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.slots.iter().map(Vec::capacity).sum()
    }
}
