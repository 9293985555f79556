//! [`Near`]: the timers of the milliseconds the wheel has reached, in deadline order.
//!
//! The wheel files timers by millisecond, unordered within one; a precise wait needs
//! the exact next deadline, and the batch rule the last one within a window. So a
//! millisecond's slot is moved here once, sorted once, and every later turn reads the
//! next deadline at the front and fires the due timers from there, touching no other
//! timer. (Before, every turn walked the slot's list twice to find the window, and
//! re-filed the timers not yet due: every timer of the millisecond, at every turn; a
//! crowd of timers due in one millisecond made each turn as long as the crowd.)
//!
//! Timers arrive here in two ways. A slot reached arrives whole, all its deadlines later
//! than any already here (their millisecond is later): appended and sorted once. A
//! timer inserted for a millisecond already reached (a short sleep, a deadline passed)
//! may fall anywhere: it goes to a small binary heap beside the sorted run, so that no
//! arrival ever shifts or re-sorts the run, however long it is.
//!
//! A timer cancelled or moved while here leaves its item behind, *stale*: an item is
//! live only while its entry is still here on the item's ticket (the wheel's
//! `is_live`). Stale items are skipped when they reach the front, and
//! dropped all at once when they outnumber live ones, so that a timer reset again and
//! again within one millisecond cannot grow the queue without bound.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A timer waiting here: its deadline when it arrived, its entry, and the ticket the
/// entry was given for this stay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Item {
    pub(super) deadline: u64,
    pub(super) index: u32,
    pub(super) ticket: u32,
}

/// Stale items tolerated beyond the number of live ones before they are swept.
const STALE_SLACK: usize = 64;

/// Done items tolerated at the front of the run before they are dropped.
const DONE_SLACK: usize = 64;

/// Capacity (items) the run and the heap each keep once emptied: a busy server's
/// milliseconds refill them without reallocating, and a burst of timers (100k sleeps
/// of one millisecond) does not leave its megabytes behind for the wheel's life.
const KEEP: usize = 1024;

#[derive(Debug, Default)]
pub(super) struct Near {
    /// The sorted run: items from `head` on, ascending; those before `head` are done.
    run: Vec<Item>,
    head: usize,
    /// Arrivals that belong before the end of the run.
    early: BinaryHeap<Reverse<Item>>,
    /// Live items (their timers are still here).
    live: usize,
}

impl Near {
    /// True if no live timer waits here.
    pub(super) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Adds a timer inserted or moved into a millisecond already reached.
    pub(super) fn push(&mut self, item: Item) {
        self.live += 1;
        match self.run.last() {
            Some(last) if item < *last => self.early.push(Reverse(item)),
            _ => self.run.push(item),
        }
    }

    /// Adds one timer of a slot reached: its timers come in any order, all later than
    /// every item here, and [`end_slot`](Self::end_slot) sorts them.
    pub(super) fn push_slot(&mut self, item: Item) {
        self.live += 1;
        self.run.push(item);
    }

    /// Sorts the slot's timers, appended from `from` on by [`push_slot`](Self::push_slot).
    pub(super) fn end_slot(&mut self, from: usize) {
        self.run[from..].sort_unstable();
        let (head, len) = (self.head, self.run.len());
        let in_order = from <= head || from >= len || self.run[from - 1] <= self.run[from];
        debug_assert!(in_order, "a slot reached holds deadlines before the run's end");
        if !in_order {
            // Not later than the run after all (never expected): sort the lot.
            self.run[head..].sort_unstable();
        }
    }

    /// Where a slot's timers will start: pass to [`end_slot`](Self::end_slot).
    pub(super) fn slot_start(&self) -> usize {
        self.run.len()
    }

    /// One live item went stale (its timer was cancelled or moved): sweeps the stale
    /// ones if they now outnumber the live ones.
    pub(super) fn forget(&mut self, is_live: impl Fn(&Item) -> bool) {
        self.live -= 1;
        if self.queued() > 2 * self.live + STALE_SLACK {
            self.run.drain(..self.head);
            self.head = 0;
            self.run.retain(&is_live);
            self.early.retain(|Reverse(item)| is_live(item));
            debug_assert_eq!(self.queued(), self.live, "live count out of step");
        }
    }

    /// The earliest live deadline, dropping stale items from the front.
    pub(super) fn first(&mut self, is_live: impl Fn(&Item) -> bool) -> Option<u64> {
        self.front(&is_live).map(|(item, _)| item.deadline)
    }

    /// The latest deadline at or before `end` in the run, or else the earliest of the
    /// early arrivals if it is (possibly a stale item's: it is only a time to wake at,
    /// and any time between the first deadline and `end` will do).
    pub(super) fn last_until(&self, end: u64) -> Option<u64> {
        let waiting = &self.run[self.head..];
        let count = waiting.partition_point(|item| item.deadline <= end);
        let in_run = count.checked_sub(1).map(|last| waiting[last].deadline);
        let early = self.early.peek().map(|Reverse(item)| item.deadline).filter(|&d| d <= end);
        in_run.max(early)
    }

    /// Takes the earliest live item if its deadline is at or before `now`.
    pub(super) fn pop_due(&mut self, now: u64, is_live: impl Fn(&Item) -> bool) -> Option<Item> {
        let (item, from_run) = self.front(&is_live)?;
        if item.deadline > now {
            return None;
        }
        if from_run {
            self.advance_head();
        } else {
            self.pop_early();
        }
        self.live -= 1;
        Some(item)
    }

    /// Whether the run's first waiting item (live or not) is due at `now`.
    pub(super) fn run_front_due(&self, now: u64) -> bool {
        self.run.get(self.head).is_some_and(|item| item.deadline <= now)
    }

    /// Takes, unchecked, the due items at the front of the run that precede every
    /// early arrival, up to `out.len()`: copies them to `out` and returns how many. The
    /// caller checks which are live, all at once (their entries' loads overlap), and
    /// reports those with [`fired`](Self::fired). 0 if the front is not such an item.
    pub(super) fn take_due_run(&mut self, now: u64, out: &mut [Item]) -> usize {
        let early = self.early.peek().map(|&Reverse(item)| item);
        let waiting = &self.run[self.head..];
        let due = waiting
            .iter()
            .take(out.len())
            .take_while(|item| item.deadline <= now && early.is_none_or(|early| **item <= early));
        let mut taken = 0;
        for (slot, item) in out.iter_mut().zip(due) {
            *slot = *item;
            taken += 1;
        }
        for _ in 0..taken {
            self.advance_head();
        }
        taken
    }

    /// `count` live items taken by [`take_due_run`](Self::take_due_run) fired.
    pub(super) fn fired(&mut self, count: usize) {
        self.live -= count;
    }

    /// Hands every queued item (live or stale, not the done ones) to `f`, which may
    /// change its ticket: for the wheel when its tickets wrap. The order of the items
    /// (by deadline and entry) is kept; the heap is rebuilt, as its keys changed.
    pub(super) fn renumber(&mut self, mut f: impl FnMut(&mut Item)) {
        self.run[self.head..].iter_mut().for_each(&mut f);
        let mut early = std::mem::take(&mut self.early).into_vec();
        early.iter_mut().for_each(|Reverse(item)| f(item));
        self.early = BinaryHeap::from(early);
    }

    /// Items in memory: done, stale or live.
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.run.len() + self.early.len()
    }

    /// Items the run and the heap have room for.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.run.capacity() + self.early.capacity()
    }

    /// Items held, live or stale.
    pub(super) fn queued(&self) -> usize {
        self.run.len() - self.head + self.early.len()
    }

    /// The earliest live item, and whether it heads the run (else the heap), after
    /// dropping stale items from both fronts.
    fn front(&mut self, is_live: &impl Fn(&Item) -> bool) -> Option<(Item, bool)> {
        while self.run.get(self.head).is_some_and(|item| !is_live(item)) {
            self.advance_head();
        }
        while self.early.peek().is_some_and(|Reverse(item)| !is_live(item)) {
            self.pop_early();
        }
        match (self.run.get(self.head), self.early.peek()) {
            (Some(&run), Some(&Reverse(early))) if early < run => Some((early, false)),
            (Some(&run), _) => Some((run, true)),
            (None, Some(&Reverse(early))) => Some((early, false)),
            (None, None) => None,
        }
    }

    fn pop_early(&mut self) {
        self.early.pop();
        if self.early.is_empty() && self.early.capacity() > KEEP {
            self.early.shrink_to(KEEP);
        }
    }

    fn advance_head(&mut self) {
        self.head += 1;
        if self.head == self.run.len() {
            // Keep the capacity, up to `KEEP`: the next millisecond fills it again.
            self.run.clear();
            self.head = 0;
            if self.run.capacity() > KEEP {
                self.run.shrink_to(KEEP);
            }
        } else if self.head >= DONE_SLACK && self.head * 2 >= self.run.len() {
            // With dense timers the run may not empty for a whole level-0 turn (64 ms),
            // each turn appending the slots it reaches: drop the done items once they
            // are half of it, so that memory follows the timers waiting, not every
            // timer fired since the run was last empty. Moves at most as many items
            // as were done: amortized O(1).
            self.run.drain(..self.head);
            self.head = 0;
        }
    }
}
