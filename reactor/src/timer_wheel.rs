//! [`TimerWheel`]: a hierarchical timing wheel with 1 ms slots and exact deadlines.
//!
//! Deadlines are nanoseconds (since the reactor started); the wheel files each timer
//! under its millisecond *tick*, but fires it only once `now ≥ deadline` to the
//! nanosecond, and reports the exact earliest deadline of the current millisecond, so
//! that a precise wait (`epoll_pwait2`, `kevent`) ends on time rather than on the next
//! whole millisecond.
//!
//! ```text
//! level 0: 64 slots × 1 ms       covers the next 64 ms
//! level 1: 64 slots × 64 ms      covers the next ~4 s
//! level 2: 64 slots × ~4 s       covers the next ~4.4 min
//! level 3: 64 slots × ~4.4 min   covers the next ~4.7 h
//! level 4: 64 slots × ~4.7 h     covers the next ~12.4 days
//! level 5: 64 slots × ~12.4 days covers the next ~2.2 years
//! ```
//!
//! A timer goes to the level of the highest bit in which its deadline differs from the
//! wheel's current tick (`elapsed`), in the slot named by the deadline's digit at that
//! level. Each slot is a vector of `(deadline, entry)` items, read in order when the
//! slot is reached; each entry remembers its item's position, so insert and cancel are
//! O(1) (see [`slots`] for why vectors and how their memory is bounded). A 64-bit mask
//! per level finds the next occupied slot in O(1). When time reaches a slot of
//! level > 0, its timers *cascade* to lower levels.
//!
//! Invariants (checked with `debug_assert!` where cheap):
//! - every filed entry's tick is ≥ the start of the slot it sits in, and later than
//!   the last tick reached (`elapsed`); timers of ticks reached (including deadlines
//!   already past when inserted) are in `near`, and expire before any in the levels;
//! - every timer in level L expires before any timer in level L + 1, so the first
//!   occupied slot of the lowest non-empty level is the next expiration;
//! - a timer fires only when `now ≥ deadline`: entries carry their exact deadline and
//!   one that is not due when its slot is processed is re-inserted, never fired.
//!
//! Deadlines past the ~2.2 year horizon (up to `u64::MAX` ns, ~584 years) park in the
//! top level and are re-inserted each time their slot comes round, until they are due.
//!
//! Once time (or the next wakeup, see [`TimerWheel::next_wakeup`]) reaches a
//! millisecond, its level-0 slot moves to [`Near`], which keeps the timers of the
//! milliseconds reached sorted by deadline; so does a timer inserted for a millisecond
//! already reached. The wheel proper holds only timers of later milliseconds.

use std::task::Waker;

use near::{Item, Near};
use slack::os_wait_slack;
use slots::{Slots, Slotted};

/// Nanoseconds per tick: one millisecond.
pub(crate) const TICK_NANOS: u64 = 1_000_000;
const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const LEVELS: usize = 6;
/// Ticks covered by the whole wheel.
const HORIZON: u64 = 1 << (SLOT_BITS * LEVELS as u32);
/// Ticks covered by one slot of the top level.
const TOP_SLOT: u64 = 1 << (SLOT_BITS * (LEVELS as u32 - 1));
/// End of the free list.
const NIL: u32 = u32::MAX;

/// Identifies one timer of the wheel until it is removed.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let reactor = wakeful_reactor::Reactor::new()?;
/// let key = reactor.insert_timer(Instant::now() + Duration::from_secs(60), std::task::Waker::noop());
/// assert_eq!(reactor.len(), (0, 1));
/// reactor.remove_timer(key);
/// assert_eq!(reactor.len(), (0, 0));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerKey {
    index: u32,
    generation: u32,
}

#[derive(Debug)]
struct Entry {
    /// The exact deadline, in nanoseconds.
    deadline: u64,
    waker: Option<Waker>,
    state: EntryState,
    /// Bumped when the entry is freed, so a stale key matches nothing.
    generation: u32,
    /// Filed in a slot: its item's position there. In `near`: the ticket of its item
    /// there. Free: the next free entry.
    position: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryState {
    /// In a slot of the levels.
    Filed {
        level: u8,
        slot: u8,
    },
    /// In `near`, its millisecond reached.
    Near,
    Fired,
    Free,
}

/// What a poll of a timer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TimerPoll {
    /// The deadline passed (or the timer was removed).
    Fired,
    /// Pending, and holding a waker for the same task.
    Waiting,
    /// Pending; the caller must give it a clone of its waker with
    /// [`TimerWheel::set_waker`] (cloned outside the wheel's borrow: a clone runs the
    /// waker's own code).
    NeedsWaker,
}

/// The timers of one reactor.
#[derive(Debug)]
pub(crate) struct TimerWheel {
    /// The last tick reached: timers of this tick or earlier are in `near`, later ones
    /// in the levels. It may run ahead of the clock: [`next_wakeup`](Self::next_wakeup)
    /// reaches the milliseconds it looks into.
    elapsed: u64,
    /// The timers of later ticks, by level and slot.
    slots: Slots,
    entries: Vec<Entry>,
    free_head: u32,
    /// Timers of the ticks reached, in deadline order.
    near: Near,
    /// Timers linked in the wheel or in `near` (not yet fired).
    pending: usize,
    /// The last ticket given to an item of `near`.
    tickets: u32,
    /// How late past the requested time the OS may end a wait (Linux's timer slack, as
    /// the thread's settings had it when the wheel was made), which
    /// [`next_wakeup`](Self::next_wakeup) counts as part of a batch window.
    wait_slack: u64,
}

impl Default for TimerWheel {
    fn default() -> Self {
        TimerWheel {
            elapsed: 0,
            slots: Slots::default(),
            entries: Vec::new(),
            free_head: NIL,
            near: Near::default(),
            pending: 0,
            tickets: 0,
            wait_slack: os_wait_slack(),
        }
    }
}

impl TimerWheel {
    /// Adds a timer that wakes `waker` once time reaches `deadline` (nanoseconds).
    pub(crate) fn insert(&mut self, deadline: u64, waker: Waker) -> TimerKey {
        let entry =
            Entry { deadline, waker: Some(waker), state: EntryState::Fired, generation: 0, position: NIL };
        let index = if self.free_head != NIL {
            let index = self.free_head;
            let slot = &mut self.entries[index as usize];
            self.free_head = slot.position;
            *slot = Entry { generation: slot.generation, ..entry };
            index
        } else {
            assert!(self.entries.len() < NIL as usize, "too many timers");
            self.entries.push(entry);
            (self.entries.len() - 1) as u32
        };
        self.link(index);
        TimerKey { index, generation: self.entries[index as usize].generation }
    }

    /// Whether the timer fired, and if not whether it already holds `waker` (a dead key
    /// counts as fired: its owner removed it).
    pub(crate) fn poll(&self, key: TimerKey, waker: &Waker) -> TimerPoll {
        let Some(entry) = self.entry(key) else { return TimerPoll::Fired };
        match &entry.waker {
            _ if entry.state == EntryState::Fired => TimerPoll::Fired,
            Some(stored) if stored.will_wake(waker) => TimerPoll::Waiting,
            _ => TimerPoll::NeedsWaker,
        }
    }

    /// Gives a pending timer the waker to wake. Returns the waker it replaced — or
    /// `waker` itself if the timer is not pending — for the caller to drop once the
    /// wheel is no longer borrowed.
    pub(crate) fn set_waker(&mut self, key: TimerKey, waker: Waker) -> Option<Waker> {
        match self.entry_mut(key) {
            Some(entry) if entry.state != EntryState::Fired => entry.waker.replace(waker),
            _ => Some(waker),
        }
    }

    /// Moves the timer to a new deadline, re-arming it if it had fired.
    pub(crate) fn reset(&mut self, key: TimerKey, deadline: u64) {
        if self.entry_mut(key).is_none() {
            return;
        }
        self.unlink(key.index);
        self.entries[key.index as usize].deadline = deadline;
        self.link(key.index);
    }

    /// Cancels the timer (if pending) and frees its entry. The key is dead afterwards.
    /// Returns the timer's waker, for the caller to drop once the wheel is no longer
    /// borrowed.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Waker> {
        self.entry_mut(key)?;
        self.unlink(key.index);
        let entry = &mut self.entries[key.index as usize];
        entry.state = EntryState::Free;
        entry.generation = entry.generation.wrapping_add(1);
        entry.position = self.free_head;
        self.free_head = key.index;
        entry.waker.take()
    }

    /// When the wheel next has work, in nanoseconds: the exact earliest deadline, or
    /// the start of a slot to cascade. Never later than the earliest deadline.
    #[cfg(test)]
    pub(crate) fn next_expiration(&mut self) -> Option<u64> {
        self.next_wakeup(0)
    }

    /// When to end the wait for the next timers, in nanoseconds: never before the
    /// earliest deadline, and late enough to serve, in one wakeup, the timers that fall
    /// within `batch_window` of it.
    ///
    /// The batch rule: of the timers due in `[first, first + batch_window]` (`first` the
    /// earliest deadline), wake for the last one, `last`; and since the OS ends a wait up
    /// to `wait_slack` past the time asked (Linux's timer slack, 50 µs by default), ask
    /// for `last - wait_slack`, though never before `first`. So the wakeup lands at
    /// about `last`, not `last + wait_slack`: the window counts the OS's own batching
    /// instead of adding to it. A lone timer (no other in the window) is asked for
    /// exactly: its wait is not lengthened at all. With dense timers, wakeups come about
    /// one window apart, each a batch, and every timer of a batch is woken no later than
    /// `batch_window` plus the OS's latency after its deadline. A window of 0 gives the
    /// exact earliest deadline (for a paused clock, which must stop there).
    ///
    /// Before the first millisecond with timers is reached, the answer is that slot's
    /// start if it is on a higher level (its timers must cascade first).
    pub(crate) fn next_wakeup(&mut self, batch_window: u64) -> Option<u64> {
        let first = loop {
            if let Some(first) = self.near.first(|item| is_live(&self.entries, item)) {
                break first;
            }
            let (level, slot, start) = self.next_occupied()?;
            if level > 0 {
                return Some(start.saturating_mul(TICK_NANOS));
            }
            self.reach(0, slot, start);
        };
        let end = first.saturating_add(batch_window);
        // A window across a millisecond boundary takes in the next millisecond too.
        while let Some((0, slot, start)) = self.next_occupied() {
            if start.saturating_mul(TICK_NANOS) > end {
                break;
            }
            self.reach(0, slot, start);
        }
        let last = self.near.last_until(end).unwrap_or(first);
        Some(last.saturating_sub(self.wait_slack).max(first))
    }

    /// Advances to `now` (nanoseconds), pushing the wakers of every timer due onto
    /// `fired`. Returns how many timers fired.
    #[cfg(test)]
    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<Waker>) -> usize {
        self.advance_with(now, |_, waker| fired.push(waker))
    }

    /// Advances to `now` (nanoseconds), handing each fired timer's deadline and waker
    /// to `fire` (in deadline order, within each slot reached). Returns how many
    /// timers fired.
    pub(crate) fn advance_with(&mut self, now: u64, mut fire: impl FnMut(u64, Waker)) -> usize {
        let now_tick = now / TICK_NANOS;
        let mut count = 0;
        loop {
            // ① The timers of the ticks reached, in deadline order, as far as `now`:
            // a batch at a time where the run allows, else one by one.
            loop {
                let fired = self.fire_batch(now, &mut fire);
                if fired > 0 {
                    count += fired;
                    continue;
                }
                let Some(item) = self.near.pop_due(now, |item| is_live(&self.entries, item)) else { break };
                count += 1;
                self.fire_one(item.index, item.deadline, &mut fire);
            }
            // ② A live timer left there is later than `now`, and every timer of the
            // levels later still (`elapsed` ≥ its tick ≥ `now`'s tick).
            if !self.near.is_empty() {
                break;
            }
            // ③ Reach the next occupied slot, if time has: its timers move to `near`
            // (those of its first tick) or cascade to lower levels.
            match self.next_occupied() {
                Some((level, slot, start)) if start <= now_tick => self.reach(level, slot, start),
                _ => break,
            }
        }
        // Every timer of the levels is in a later tick than `now`'s.
        self.elapsed = self.elapsed.max(now_tick);
        count
    }

    /// Fires a batch of due timers from the front of `near`'s run; returns how many
    /// fired (0 also when the run's front is not due or not first).
    ///
    /// Why batches: with many timers, each one's entry is a cache miss. Checked one by
    /// one, each check waits for its miss before the next starts; here the checks of
    /// the whole batch come first, in a tight loop whose loads are independent, so the
    /// CPU has them all in flight at once, and the second loop finds the entries
    /// cached.
    fn fire_batch(&mut self, now: u64, fire: &mut impl FnMut(u64, Waker)) -> usize {
        const BATCH: usize = 32;
        if !self.near.run_front_due(now) {
            // Most turns: nothing due, or no timer at all. Skip the arrays below.
            return 0;
        }
        let mut batch = [Item::default(); BATCH];
        let taken = self.near.take_due_run(now, &mut batch);
        let mut live = [false; BATCH];
        for (live, item) in live.iter_mut().zip(&batch[..taken]) {
            // The deadline compare is always true of a live item (a reset makes its
            // item stale); it also loads the entry's first bytes, which hold the
            // waker, when the entry straddles two cache lines.
            let entry = &self.entries[item.index as usize];
            *live = is_live(&self.entries, item) && entry.deadline == item.deadline;
        }
        let mut fired = 0;
        for (_, item) in live.iter().zip(&batch[..taken]).filter(|(live, _)| **live) {
            fired += 1;
            self.fire_one(item.index, item.deadline, fire);
        }
        self.near.fired(fired);
        fired
    }

    /// Marks a live timer of `near` fired, and hands its waker to `fire`.
    fn fire_one(&mut self, index: u32, deadline: u64, fire: &mut impl FnMut(u64, Waker)) {
        let entry = &mut self.entries[index as usize];
        entry.state = EntryState::Fired;
        self.pending -= 1;
        if let Some(waker) = entry.waker.take() {
            fire(deadline, waker);
        }
    }

    /// Steps into the slot (time never goes back) and re-files all its items: timers
    /// of the tick reached go to `near`, later ones to lower levels (or, past the
    /// horizon, round the top level).
    fn reach(&mut self, level: usize, slot: usize, start: u64) {
        self.elapsed = self.elapsed.max(start);
        let items = self.slots.take(level, slot);
        let from = self.near.slot_start();
        // The items are read in order and carry their deadlines: the only entries
        // touched are written, each independently of the last.
        for item in &items {
            debug_assert!(item.deadline / TICK_NANOS >= start, "entry before its slot");
            self.file(item.index, item.deadline, true);
        }
        self.near.end_slot(from);
        self.slots.give_back(level, slot, items);
    }

    /// Hands every pending timer's deadline and waker to `f`, in no particular order:
    /// for `Reactor::waiting`. Read-only: no waker is cloned or dropped.
    pub(crate) fn for_each_waker(&self, mut f: impl FnMut(u64, &Waker)) {
        let pending = |entry: &&Entry| matches!(entry.state, EntryState::Filed { .. } | EntryState::Near);
        for entry in self.entries.iter().filter(pending) {
            if let Some(waker) = &entry.waker {
                f(entry.deadline, waker);
            }
        }
    }

    /// Timers waiting to fire.
    pub(crate) fn len(&self) -> usize {
        self.pending
    }

    /// The next occupied slot: its level, index and starting tick.
    fn next_occupied(&self) -> Option<(usize, usize, u64)> {
        let level = (0..LEVELS).find(|&level| self.slots.occupied(level) != 0)?;
        let (slot, start) = self.next_slot(level)?;
        Some((level, slot, start))
    }

    /// The first occupied slot of `level` at or after the current position, and the
    /// tick at which it starts.
    fn next_slot(&self, level: usize) -> Option<(usize, u64)> {
        let occupied = self.slots.occupied(level);
        if occupied == 0 {
            return None;
        }
        let shift = SLOT_BITS * level as u32;
        let position = ((self.elapsed >> shift) as usize) & (SLOTS - 1);
        let slot = (position + occupied.rotate_right(position as u32).trailing_zeros() as usize) % SLOTS;
        let level_span = 1u64 << (shift + SLOT_BITS);
        let level_start = self.elapsed & !(level_span - 1);
        let mut start = level_start + ((slot as u64) << shift);
        if slot < position {
            // Only the top level wraps: the slot is in the next turn of the wheel.
            debug_assert_eq!(level, LEVELS - 1);
            start = start.saturating_add(level_span);
        }
        Some((slot, start))
    }

    /// Files a pending timer: in `near` if its tick was reached, else in the levels.
    fn link(&mut self, index: u32) {
        self.pending += 1;
        let deadline = self.entries[index as usize].deadline;
        self.file(index, deadline, false);
    }

    /// Files the timer of entry `index`, due at `deadline`, and records where it went;
    /// with `reached`, it is one of a slot being reached (and counted pending already).
    fn file(&mut self, index: u32, deadline: u64, reached: bool) {
        if deadline / TICK_NANOS <= self.elapsed {
            // A new ticket each time, so that an item left behind by an earlier stay
            // (a timer moved away and back, to the same deadline or not) is stale.
            self.tickets = self.tickets.wrapping_add(1);
            if self.tickets == 0 {
                self.tickets = self.renumber_near() + 1;
            }
            let entry = &mut self.entries[index as usize];
            entry.state = EntryState::Near;
            entry.position = self.tickets;
            let item = Item { deadline, index, ticket: self.tickets };
            if reached {
                self.near.push_slot(item);
            } else {
                self.near.push(item);
            }
            return;
        }
        let (level, slot) = self.place(deadline);
        let position = self.slots.push(level, slot, Slotted { deadline, index });
        let entry = &mut self.entries[index as usize];
        entry.state = EntryState::Filed { level: level as u8, slot: slot as u8 };
        entry.position = position;
    }

    /// When the tickets wrap: gives the live items of `near` fresh tickets 1, 2, ...,
    /// and its stale items ticket 0, which is never given; returns the last ticket
    /// given. Without it, a stale item left behind a pending timer (in a millisecond
    /// the clock does not leave: a paused one) would come alive 2^32 arrivals later,
    /// when its entry, reused, is given its ticket again, and fire that timer at the
    /// stale deadline: early. O(items in `near`), once per 2^32 arrivals.
    #[cold]
    fn renumber_near(&mut self) -> u32 {
        let (entries, mut last) = (&mut self.entries, 0u32);
        self.near.renumber(|item| {
            let entry = &mut entries[item.index as usize];
            if entry.state == EntryState::Near && entry.position == item.ticket {
                last += 1;
                entry.position = last;
                item.ticket = last;
            } else {
                item.ticket = 0;
            }
        });
        last
    }

    /// Takes a pending timer out of the levels or `near` (its item there goes stale).
    fn unlink(&mut self, index: u32) {
        let entry = &mut self.entries[index as usize];
        match entry.state {
            EntryState::Filed { level, slot } => {
                let position = entry.position;
                entry.state = EntryState::Fired;
                self.pending -= 1;
                if let Some(moved) = self.slots.swap_remove(level as usize, slot as usize, position, index) {
                    self.entries[moved as usize].position = position;
                }
            }
            EntryState::Near => {
                entry.state = EntryState::Fired;
                self.pending -= 1;
                self.near.forget(|item| is_live(&self.entries, item));
            }
            EntryState::Fired | EntryState::Free => {}
        }
    }

    /// The level and slot for a deadline in a later tick than the current one.
    fn place(&self, deadline: u64) -> (usize, usize) {
        debug_assert!(deadline / TICK_NANOS > self.elapsed, "a reached tick belongs in `near`");
        // Deadlines beyond the horizon are clamped short of the current top slot, so a
        // re-inserted far timer never lands in the slot being processed.
        let when = (deadline / TICK_NANOS).min(self.elapsed + (HORIZON - TOP_SLOT - 1));
        let differing = ((self.elapsed ^ when) | (SLOTS as u64 - 1)).min(HORIZON - 1);
        let level = ((63 - differing.leading_zeros()) / SLOT_BITS) as usize;
        let slot = ((when >> (SLOT_BITS * level as u32)) as usize) & (SLOTS - 1);
        (level, slot)
    }

    fn entry(&self, key: TimerKey) -> Option<&Entry> {
        let entry = self.entries.get(key.index as usize)?;
        (entry.generation == key.generation && entry.state != EntryState::Free).then_some(entry)
    }

    fn entry_mut(&mut self, key: TimerKey) -> Option<&mut Entry> {
        let entry = self.entries.get_mut(key.index as usize)?;
        (entry.generation == key.generation && entry.state != EntryState::Free).then_some(entry)
    }
}

/// Whether `item` still stands for its timer: the entry is in `near` on the item's
/// ticket (not since moved, fired, or freed and reused). When the tickets wrap, every
/// item is given a new one (`renumber_near`), so no stale item meets its ticket again.
fn is_live(entries: &[Entry], item: &Item) -> bool {
    let entry = &entries[item.index as usize];
    entry.state == EntryState::Near && entry.position == item.ticket
}

mod near;
mod slack;
mod slots;

#[cfg(test)]
mod slot_tests;
#[cfg(test)]
mod tests;
