//! What a wheel of slot vectors can get wrong: positions gone stale after a swap-remove,
//! capacity kept forever, a generation that wraps; and the wheel against a sorted
//! reference, fired order included.

use super::*;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::task::Wake;

/// A waker that logs its timer's id when woken.
struct Logged {
    id: usize,
    log: Arc<Mutex<Vec<usize>>>,
}

impl Wake for Logged {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

fn logged(id: usize, log: &Arc<Mutex<Vec<usize>>>) -> Waker {
    Waker::from(Arc::new(Logged { id, log: log.clone() }))
}

/// Every item of every slot is where its entry says, with the entry's deadline; and the
/// occupied bits match the slots.
fn assert_positions(wheel: &TimerWheel) {
    let mut filed = 0;
    for level in 0..LEVELS {
        for slot in 0..SLOTS {
            let items = wheel.slots.slot(level, slot);
            let bit = wheel.slots.occupied(level) & (1 << slot) != 0;
            assert_eq!(bit, !items.is_empty(), "occupied bit of level {level} slot {slot}");
            for (position, item) in items.iter().enumerate() {
                let entry = &wheel.entries[item.index as usize];
                let here = EntryState::Filed { level: level as u8, slot: slot as u8 };
                assert_eq!(entry.state, here, "entry {} filed elsewhere", item.index);
                assert_eq!(entry.position as usize, position, "entry {}'s position", item.index);
                assert_eq!(entry.deadline, item.deadline, "entry {}'s deadline", item.index);
            }
            filed += items.len();
        }
    }
    let in_slots = wheel.entries.iter().filter(|e| matches!(e.state, EntryState::Filed { .. })).count();
    assert_eq!(filed, in_slots, "entries filed but in no slot");
}

/// Advances to `now`; returns the ids woken, in firing order.
fn fire(wheel: &mut TimerWheel, now: u64, log: &Arc<Mutex<Vec<usize>>>) -> Vec<usize> {
    let mut due = Vec::new();
    wheel.advance(now, &mut due);
    due.into_iter().for_each(Waker::wake);
    std::mem::take(&mut *log.lock().unwrap())
}

/// 100 ms: a slot of level 1 (64 ms each), many nanoseconds apart within it.
const SLOT_1: u64 = 100 * TICK_NANOS;

#[test]
fn entries_do_not_grow() {
    assert!(size_of::<Entry>() <= 40, "an entry is {} bytes", size_of::<Entry>());
}

#[test]
fn cancelling_the_first_last_and_middle_items_of_a_slot_keeps_the_rest_in_place() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let keys: Vec<_> = (0..7).map(|i| wheel.insert(SLOT_1 + i * 1000, logged(i as usize, &log))).collect();
    let (level, slot) = wheel.place(SLOT_1);
    assert_eq!(wheel.slots.slot(level, slot).len(), 7, "all seven in one slot");
    for cancel in [3, 0, 6, 5] {
        wheel.remove(keys[cancel]);
        assert_positions(&wheel);
    }
    assert_eq!(wheel.len(), 3);
    assert_eq!(fire(&mut wheel, SLOT_1 + 10_000, &log), [1, 2, 4], "the survivors, in deadline order");
    wheel.remove(keys[1]);
    wheel.remove(keys[2]);
    assert!(wheel.slots.capacity() <= 64 * 2, "two slots used, each shrunk back");
}

#[test]
fn timers_cancelled_after_their_slot_cascaded_are_found_in_their_new_slots() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    // Eight timers in one level-1 slot, spread over its milliseconds.
    let keys: Vec<_> =
        (0..8).map(|i| wheel.insert(SLOT_1 + i * 3 * TICK_NANOS, logged(i as usize, &log))).collect();
    let slot_start = (SLOT_1 / TICK_NANOS) & !63;
    assert!(fire(&mut wheel, slot_start * TICK_NANOS, &log).is_empty(), "cascaded, none due");
    assert_positions(&wheel);
    // Cancel in the order the cascade visited them, then the rest from the end.
    for &cancel in &[0, 1, 2, 7, 6] {
        wheel.remove(keys[cancel]);
        assert_positions(&wheel);
    }
    assert_eq!(fire(&mut wheel, SLOT_1 + 30 * TICK_NANOS, &log), [3, 4, 5]);
    assert_eq!(wheel.len(), 0);
}

#[test]
fn a_cancelled_key_stays_dead_when_its_entry_is_reused() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let old = wheel.insert(SLOT_1, logged(0, &log));
    wheel.remove(old);
    let new = wheel.insert(SLOT_1, logged(1, &log));
    assert_eq!(new.index, old.index, "the entry is reused");
    assert!(wheel.remove(old).is_none(), "the old key cancels nothing");
    wheel.reset(old, 0);
    assert_positions(&wheel);
    assert_eq!(fire(&mut wheel, SLOT_1, &log), [1], "only the new timer, at its deadline");
}

#[test]
fn a_timer_reset_within_its_slot_fires_once_at_the_new_deadline() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let keys: Vec<_> = (0..3).map(|i| wheel.insert(SLOT_1 + i, logged(i as usize, &log))).collect();
    let (level, slot) = wheel.place(SLOT_1);
    wheel.reset(keys[0], SLOT_1 + 5); // same slot, later
    wheel.reset(keys[1], SLOT_1 + 1); // same slot, same deadline
    assert_eq!(wheel.slots.slot(level, slot).len(), 3, "no item left behind");
    assert_positions(&wheel);
    assert_eq!(fire(&mut wheel, SLOT_1 + 4, &log), [1, 2]);
    assert_eq!(fire(&mut wheel, SLOT_1 + 5, &log), [0]);
    assert_eq!(wheel.len(), 0);
}

#[test]
fn a_key_from_before_the_generation_wrapped_matches_nothing() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let first = wheel.insert(SLOT_1, logged(0, &log));
    wheel.remove(first);
    // Skip ahead to the last generation rather than 2^32 inserts.
    wheel.entries[first.index as usize].generation = u32::MAX;
    let last = wheel.insert(SLOT_1, logged(1, &log));
    assert_eq!(last.generation, u32::MAX);
    wheel.remove(last);
    let wrapped = wheel.insert(SLOT_1 + 1, logged(2, &log));
    assert_eq!(wrapped.generation, 0, "the generation wraps");
    assert!(wheel.remove(last).is_none(), "the key of the last generation is dead");
    wheel.reset(last, 0);
    assert_eq!(fire(&mut wheel, SLOT_1 + 1, &log), [2]);
}

#[test]
fn a_huge_slot_gives_its_capacity_back_once_drained_or_cancelled() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let waker = logged(0, &log);
    // Drained by time: 100k timers of one level-1 slot cascade and fire.
    for i in 0..100_000 {
        wheel.insert(SLOT_1 + i, waker.clone());
    }
    assert!(wheel.slots.capacity() >= 100_000);
    let mut due = Vec::new();
    assert_eq!(wheel.advance(SLOT_1 + 100_000, &mut due), 100_000);
    assert!(wheel.slots.capacity() <= LEVELS * SLOTS * 64, "kept {}", wheel.slots.capacity());
    // Drained by cancels, one at a time.
    let keys: Vec<_> = (0..100_000).map(|i| wheel.insert(2 * SLOT_1 + i, waker.clone())).collect();
    let (level, slot) = wheel.place(2 * SLOT_1);
    for (done, key) in keys.into_iter().enumerate() {
        wheel.remove(key);
        let items = wheel.slots.slot(level, slot);
        assert!(items.capacity() <= (4 * items.len()).max(64), "after {done} cancels: {}", items.capacity());
    }
    assert!(wheel.slots.slot(level, slot).capacity() <= 64);
}

#[test]
fn resetting_ten_thousand_timeouts_again_and_again_grows_nothing() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let keys: Vec<_> = (0..10_000).map(|_| wheel.insert(30_000 * TICK_NANOS, logged(0, &log))).collect();
    let mut now = 0;
    let (mut slots_most, mut entries_most) = (0, 0);
    // A server's idle timeouts: each second, every connection's timeout pushed 30 s on.
    for second in 1..=120u64 {
        for key in &keys {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            wheel.reset(*key, now + 30_000 * TICK_NANOS + rng % TICK_NANOS);
        }
        now = second * 1_000 * TICK_NANOS;
        assert!(fire(&mut wheel, now, &log).is_empty(), "no timeout is due");
        slots_most = slots_most.max(wheel.slots.capacity());
        entries_most = entries_most.max(wheel.entries.capacity());
    }
    assert_eq!(wheel.len(), 10_000);
    assert!(slots_most <= 4 * 10_000 + LEVELS * SLOTS * 64, "slot capacity reached {slots_most}");
    assert!(entries_most <= 16_384, "entries reached {entries_most}");
}

/// The reference: pending timers sorted by (deadline, id); fires from the front.
#[derive(Default)]
struct Sorted {
    pending: BTreeSet<(u64, usize)>,
    deadlines: Vec<Option<u64>>,
}

impl Sorted {
    fn set(&mut self, id: usize, deadline: Option<u64>) {
        if let Some(old) = self.deadlines[id].take() {
            self.pending.remove(&(old, id));
        }
        if let Some(new) = deadline {
            self.pending.insert((new, id));
        }
        self.deadlines[id] = deadline;
    }

    fn advance(&mut self, now: u64) -> Vec<(u64, usize)> {
        let mut fired = Vec::new();
        while let Some(&(deadline, id)) = self.pending.first().filter(|(deadline, _)| *deadline <= now) {
            self.set(id, None);
            fired.push((deadline, id));
        }
        fired
    }
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A distance from now: mostly within a few slots, sometimes across levels.
fn distance(rng: &mut u64) -> u64 {
    let r = xorshift(rng);
    match r % 8 {
        0..=4 => r % (200 * TICK_NANOS),
        5 => r % (10_000 * TICK_NANOS),
        6 => r % (1 << 40),
        _ => r % 4,
    }
}

/// Advances the wheel and the model to `now`, and checks that the wheel fired what the
/// model did: as many timers, in deadline order, each the model's (by the ids its
/// wakers log). `at` names the step in failure messages.
fn advance_both(
    wheel: &mut TimerWheel,
    model: &mut Sorted,
    log: &Arc<Mutex<Vec<usize>>>,
    now: u64,
    at: impl Fn() -> String,
) {
    let mut fired = Vec::new();
    let count = wheel.advance_with(now, |deadline, waker| fired.push((deadline, waker)));
    let deadlines: Vec<u64> = fired.iter().map(|(deadline, _)| *deadline).collect();
    fired.into_iter().for_each(|(_, waker)| waker.wake());
    let ids = std::mem::take(&mut *log.lock().unwrap());
    let expected = model.advance(now);
    assert_eq!(count, expected.len(), "{}: count at {now}", at());
    let wanted: Vec<u64> = expected.iter().map(|(deadline, _)| *deadline).collect();
    assert_eq!(deadlines, wanted, "{}: fired order at {now}", at());
    let mut got: Vec<(u64, usize)> = deadlines.into_iter().zip(ids).collect();
    got.sort_unstable();
    assert_eq!(got, expected, "{}: fired timers at {now}", at());
}

fn run_sorted(seed: u64, steps: usize) {
    let mut rng = seed;
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let mut model = Sorted::default();
    let mut keys: Vec<TimerKey> = Vec::new();
    let mut now = 0u64;
    for step in 0..steps {
        let op = xorshift(&mut rng) % 10;
        let pick = xorshift(&mut rng) as usize % keys.len().max(1);
        match op {
            0..=3 => {
                let deadline = now + distance(&mut rng);
                keys.push(wheel.insert(deadline, logged(keys.len(), &log)));
                model.deadlines.push(None);
                model.set(keys.len() - 1, Some(deadline));
            }
            4..=5 if !keys.is_empty() => {
                wheel.remove(keys[pick]);
                model.set(pick, None);
            }
            6..=7 if !keys.is_empty() && model.deadlines[pick].is_some() => {
                let deadline = now + distance(&mut rng);
                wheel.reset(keys[pick], deadline);
                model.set(pick, Some(deadline));
            }
            _ => {
                now += distance(&mut rng) % (300 * TICK_NANOS);
                advance_both(&mut wheel, &mut model, &log, now, || format!("seed {seed} step {step}"));
            }
        }
        assert_eq!(wheel.len(), model.pending.len(), "seed {seed} step {step}: pending");
        if step % 16 == 0 {
            assert_positions(&wheel);
        }
    }
}

#[test]
fn random_inserts_cancels_resets_and_advances_fire_as_a_sorted_list_would() {
    for seed in 1..=12u64 {
        run_sorted(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 4_000);
    }
}

#[test]
fn batches_of_due_timers_skip_cancelled_ones_and_yield_to_earlier_arrivals() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    // 100 timers in one millisecond: more than one batch.
    let keys: Vec<_> = (0..100).map(|i| wheel.insert(SLOT_1 + 10 * i, logged(i as usize, &log))).collect();
    assert!(fire(&mut wheel, SLOT_1 - 1, &log).is_empty(), "none due a nanosecond early");
    // Looking for the next wakeup reaches the millisecond: its timers move to `near`.
    assert_eq!(wheel.next_expiration(), Some(SLOT_1));
    for key in keys.iter().step_by(3) {
        wheel.remove(*key); // stale items in the run, across batches
    }
    // Arrivals into the millisecond reached, between the run's deadlines.
    wheel.insert(SLOT_1 + 5, logged(1000, &log));
    wheel.insert(SLOT_1 + 405, logged(1001, &log));
    assert_eq!(wheel.near.queued(), 102, "the run (cancelled items still in it) and two arrivals");
    let fired = fire(&mut wheel, SLOT_1 + 1_000, &log);
    let mut expected: Vec<(u64, usize)> =
        (0..100).filter(|i| i % 3 != 0).map(|i| (10 * i as u64, i)).collect();
    expected.extend([(5, 1000), (405, 1001)]);
    expected.sort_unstable();
    assert_eq!(
        fired,
        expected.iter().map(|&(_, id)| id).collect::<Vec<_>>(),
        "deadline order, cancelled skipped"
    );
    assert_eq!(wheel.len(), 0);
    assert!(wheel.near.is_empty());
}

/// A deadline for the harsher model: clustered in few nanoseconds of one millisecond
/// (batches), in the past, at the ends of `u64`, or anywhere across the levels.
fn harsh_deadline(rng: &mut u64, now: u64) -> u64 {
    let r = xorshift(rng);
    match r % 12 {
        0..=3 => now + (r >> 8) % 3 * TICK_NANOS + (r >> 20) % 64,
        4 => now.saturating_sub((r >> 8) % (5 * TICK_NANOS)),
        5 => u64::MAX - (r >> 8) % 3,
        6 => 0,
        7 => now + (r >> 8) % (1 << 42),
        _ => now + distance(rng),
    }
}

/// Random inserts, cancels (of pending, fired and dead keys), resets (re-arming fired
/// timers too), looks at the next wakeup (which reaches milliseconds ahead of the
/// clock), small and huge clock steps, tickets wrapping, against the sorted reference.
fn run_harsh(seed: u64, steps: usize) {
    let mut rng = seed;
    let log = Arc::new(Mutex::new(Vec::new()));
    // The tickets of `near` wrap somewhere in the run (during a reach, or an arrival).
    let mut wheel = TimerWheel { tickets: u32::MAX - (seed % 1_500) as u32, ..TimerWheel::default() };
    let mut model = Sorted::default();
    // Per id: its key, and whether the key is still alive (not removed).
    let mut keys: Vec<(TimerKey, bool)> = Vec::new();
    let mut now = 0u64;
    for step in 0..steps {
        let op = xorshift(&mut rng) % 16;
        let pick = xorshift(&mut rng) as usize % keys.len().max(1);
        match op {
            0..=4 => {
                let deadline = harsh_deadline(&mut rng, now);
                let id = keys.len();
                keys.push((wheel.insert(deadline, logged(id, &log)), true));
                model.deadlines.push(None);
                model.set(id, Some(deadline));
            }
            5 if !keys.is_empty() => {
                drop(wheel.remove(keys[pick].0));
                keys[pick].1 = false;
                model.set(pick, None);
            }
            6..=7 if !keys.is_empty() => {
                let deadline = harsh_deadline(&mut rng, now);
                let (key, alive) = keys[pick];
                wheel.reset(key, deadline);
                if alive {
                    // A fired timer is re-armed without a waker: give it one.
                    drop(wheel.set_waker(key, logged(pick, &log)));
                    model.set(pick, Some(deadline));
                }
            }
            8..=9 => {
                let window = [0, 125_000, 3 * TICK_NANOS][xorshift(&mut rng) as usize % 3];
                let wakeup = wheel.next_wakeup(window);
                let first = model.pending.first().map(|&(deadline, _)| deadline);
                match (wakeup, first) {
                    (None, None) => {}
                    (Some(wakeup), Some(first)) => {
                        assert!(
                            wakeup <= first.saturating_add(window),
                            "seed {seed} step {step}: wakeup {wakeup} past {first} + {window}"
                        );
                    }
                    other => panic!("seed {seed} step {step}: wakeup/model {other:?}"),
                }
                if window == 0 {
                    // Exact: the earliest deadline, or a cascade's start before it.
                    if let (Some(w), Some(f)) = (wakeup, first) {
                        assert!(w <= f, "seed {seed} step {step}: exact wakeup {w} after {f}");
                    }
                }
            }
            _ => {
                let r = xorshift(&mut rng);
                now = match r % 6 {
                    0 => now.saturating_add(r % 100),
                    1 => now.saturating_add((r >> 8) % (1 << 44)),
                    2 => wheel.next_wakeup(0).unwrap_or(now).max(now),
                    _ => now.saturating_add((r >> 8) % (3 * TICK_NANOS)),
                };
                advance_both(&mut wheel, &mut model, &log, now, || format!("seed {seed} step {step}"));
            }
        }
        assert_eq!(wheel.len(), model.pending.len(), "seed {seed} step {step}: pending");
        if step % 32 == 0 {
            assert_positions(&wheel);
        }
    }
}

#[test]
fn harsher_random_model_with_rearms_wakeup_lookahead_and_extreme_deadlines() {
    let seeds: u64 = std::env::var("HARSH_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(64);
    for seed in 1..=seeds {
        run_harsh(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1, 3_000);
    }
}

#[test]
fn a_stale_item_of_near_does_not_come_alive_when_the_tickets_wrap() {
    // A paused clock standing still while a task sleeps for zero again and again: each
    // sleep passes through `near` (a new ticket) and fires, while an item left behind
    // by a cancelled timer of a later nanosecond of the same millisecond stays queued
    // behind a pending one, neither passed nor swept. After 2^32 tickets its ticket is
    // given again.
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let now = 10 * TICK_NANOS;
    assert!(fire(&mut wheel, now, &log).is_empty());
    // Skip ahead to the last ticket rather than 2^32 arrivals.
    wheel.tickets = u32::MAX - 2;
    let pending = wheel.insert(now + 100_000, logged(8, &log));
    let cancelled = wheel.insert(now + 500_000, logged(0, &log));
    wheel.remove(cancelled);
    let sleep = |wheel: &mut TimerWheel, id| {
        let key = wheel.insert(now, logged(id, &log));
        assert_eq!(key.index, cancelled.index, "the sleeps reuse the cancelled timer's entry");
        assert_eq!(fire(wheel, now, &log), [id], "a zero sleep fires at once");
        wheel.remove(key);
    };
    for id in 1..=3 {
        sleep(&mut wheel, id); // the tickets wrap here
    }
    // The 2^32 - 4 sleeps that follow, skipped.
    wheel.tickets = u32::MAX - 1;
    let later = wheel.insert(now + 900_000, logged(9, &log));
    assert_eq!(later.index, cancelled.index);
    // A timeout set and cancelled meanwhile: its item, earlier than the old one, sends
    // the next firing down the one-by-one path.
    let timeout = wheel.insert(now + 300_000, logged(7, &log));
    wheel.remove(timeout);
    assert_eq!(fire(&mut wheel, now + 600_000, &log), [8], "only the pending timer; not one 300 µs early");
    assert!(wheel.remove(pending).is_none(), "fired");
    assert_eq!(fire(&mut wheel, now + 900_000, &log), [9]);
}

/// A burst of timers passes through `near` (a slot reached whole goes to its sorted
/// run; timers inserted into a millisecond already reached, in falling order, to its
/// heap). Once they fired, `near` must not keep the burst's capacity for good, as the
/// slots do not (`a_huge_slot_gives_its_capacity_back_once_drained_or_cancelled`):
/// 100k timers left 1.6 MB in the run and as much in the heap, for the wheel's life.
#[test]
fn near_gives_back_the_capacity_of_a_burst_once_it_fired() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let waker = logged(0, &log);
    for i in 0..100_000 {
        wheel.insert(SLOT_1 + i, waker.clone());
    }
    let mut due = Vec::new();
    assert_eq!(wheel.advance(SLOT_1 + 100_000, &mut due), 100_000);
    due.clear();
    // The millisecond `SLOT_1 + 1 ms` is reached; a timer at its end heads the run and
    // the rest arrive before it, in falling order: the heap.
    let later = SLOT_1 + TICK_NANOS;
    wheel.advance(later, &mut due);
    wheel.insert(later + 500_000, waker.clone());
    for i in 0..100_000 {
        wheel.insert(later + 400_000 - i, waker.clone());
    }
    assert!(wheel.near.capacity() >= 100_000, "the burst went through `near`");
    assert_eq!(wheel.advance(later + TICK_NANOS, &mut due), 100_001);
    assert_eq!(wheel.len(), 0);
    assert!(wheel.near.capacity() <= 2 * 1024, "`near` kept {} items of capacity", wheel.near.capacity());
}
