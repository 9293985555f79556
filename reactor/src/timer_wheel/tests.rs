//! The wheel against a reference model, over random insert / reset / cancel / advance.

use super::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::task::Wake;

/// A waker that records its timer's id when woken.
struct Recorder {
    id: usize,
    log: Arc<Mutex<Vec<usize>>>,
}

impl Wake for Recorder {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

fn recorder(id: usize, log: &Arc<Mutex<Vec<usize>>>) -> Waker {
    Waker::from(Arc::new(Recorder { id, log: log.clone() }))
}

/// Polls as `Reactor::poll_timer` does: true if fired, else stores `waker`.
fn poll(wheel: &mut TimerWheel, key: TimerKey, waker: &Waker) -> bool {
    match wheel.poll(key, waker) {
        TimerPoll::Fired => true,
        TimerPoll::Waiting => false,
        TimerPoll::NeedsWaker => {
            drop(wheel.set_waker(key, waker.clone()));
            false
        }
    }
}

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A distance in nanoseconds, spread over every level of the wheel and past it,
    /// often within the same millisecond.
    fn span(&mut self) -> u64 {
        let ticks = self.ticks();
        ticks * TICK_NANOS + self.below(TICK_NANOS)
    }

    fn ticks(&mut self) -> u64 {
        match self.below(10) {
            0..=3 => self.below(70),
            4..=5 => self.below(5_000),
            6 => self.below(300_000),
            7 => self.below(1 << 30),
            8 => self.below(1 << 40),
            _ => [0, 1, 63, 64, 65, 4095, 4096, TOP_SLOT, HORIZON - 1, HORIZON, HORIZON * 3]
                [self.below(11) as usize],
        }
    }
}

/// The reference: a binary heap of (deadline, id), with cancellation by id.
#[derive(Default)]
struct Model {
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    live: HashMap<usize, u64>,
}

impl Model {
    fn insert(&mut self, id: usize, deadline: u64) {
        self.live.insert(id, deadline);
        self.heap.push(Reverse((deadline, id)));
    }

    fn remove(&mut self, id: usize) {
        self.live.remove(&id);
    }

    fn earliest(&mut self) -> Option<u64> {
        while let Some(&Reverse((deadline, id))) = self.heap.peek() {
            if self.live.get(&id) == Some(&deadline) {
                return Some(deadline);
            }
            self.heap.pop();
        }
        None
    }

    fn advance(&mut self, now: u64) -> Vec<usize> {
        let mut fired = Vec::new();
        while let Some(deadline) = self.earliest() {
            if deadline > now {
                break;
            }
            let Reverse((_, id)) = self.heap.pop().unwrap();
            self.live.remove(&id);
            fired.push(id);
        }
        fired.sort_unstable();
        fired
    }
}

fn run(seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let mut model = Model::default();
    let mut keys: Vec<(usize, TimerKey)> = Vec::new();
    let mut now = 0u64;
    let mut next_id = 0;
    for step in 0..steps {
        match rng.below(10) {
            0..=3 => {
                let deadline = now.saturating_sub(rng.below(3 * TICK_NANOS)) + rng.span();
                let key = wheel.insert(deadline, recorder(next_id, &log));
                model.insert(next_id, deadline);
                keys.push((next_id, key));
                next_id += 1;
            }
            4 if !keys.is_empty() => {
                let (id, key) = keys.swap_remove(rng.below(keys.len() as u64) as usize);
                wheel.remove(key);
                model.remove(id);
            }
            5 if !keys.is_empty() => {
                let (id, key) = keys[rng.below(keys.len() as u64) as usize];
                let deadline = now + rng.span();
                wheel.reset(key, deadline);
                // A fired timer gave its waker away; re-arming needs a poll, as in Sleep.
                assert!(!poll(&mut wheel, key, &recorder(id, &log)), "a re-armed timer is pending");
                model.insert(id, deadline);
            }
            _ => {
                // Mostly short steps; now and then a leap over the whole wheel.
                now += if rng.below(50) == 0 { rng.span() } else { rng.span() % (5_000 * TICK_NANOS) };
                let mut due = Vec::new();
                wheel.advance(now, &mut due);
                due.into_iter().for_each(Waker::wake);
                let mut fired = std::mem::take(&mut *log.lock().unwrap());
                fired.sort_unstable();
                assert_eq!(fired, model.advance(now), "seed {seed} step {step}: fired set at tick {now}");
            }
        }
        assert_eq!(wheel.len(), model.live.len(), "seed {seed} step {step}: pending count");
        if let Some(earliest) = model.earliest() {
            let next = wheel.next_expiration().expect("wheel has pending timers");
            assert!(
                next <= earliest.max(now),
                "seed {seed} step {step}: wheel would sleep to {next}, past {earliest}"
            );
        }
    }
}

#[test]
fn matches_binary_heap_model() {
    for seed in 1..=40u64 {
        run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 3_000);
    }
}

#[test]
fn never_fires_early_and_fires_on_time() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let deadline = 1000 * TICK_NANOS + 500;
    wheel.insert(deadline, recorder(1, &log));
    assert_eq!(wheel.next_expiration(), Some(960 * TICK_NANOS), "a level-1 slot to cascade first");
    let mut wakers = Vec::new();
    assert_eq!(wheel.advance(deadline - TICK_NANOS, &mut wakers), 0, "a millisecond early");
    assert_eq!(wheel.next_expiration(), Some(deadline), "the exact deadline, once in the current slot");
    assert_eq!(wheel.advance(deadline - 1, &mut wakers), 0, "a nanosecond early");
    assert_eq!(wheel.next_expiration(), Some(deadline), "still pending in its millisecond");
    assert_eq!(wheel.advance(deadline, &mut wakers), 1, "on the deadline");
}

#[test]
fn zero_and_far_deadlines() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let now_key = wheel.insert(0, recorder(0, &log));
    let far = wheel.insert(u64::MAX, recorder(1, &log));
    assert_eq!(wheel.next_expiration(), Some(0));
    let mut wakers = Vec::new();
    assert_eq!(wheel.advance(0, &mut wakers), 1);
    assert!(poll(&mut wheel, now_key, &wakers[0]));
    // Ten years of ticks in big jumps: the far timer keeps cascading, never fires.
    for year in 1..=10u64 {
        assert_eq!(wheel.advance(year * 365 * 86_400 * 1_000_000_000, &mut wakers), 0);
    }
    assert!(!poll(&mut wheel, far, &wakers[0]));
    wheel.remove(far);
    assert_eq!(wheel.len(), 0);
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn stale_key_is_ignored() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let old = wheel.insert(10, recorder(0, &log));
    wheel.remove(old);
    let new = wheel.insert(20, recorder(1, &log));
    wheel.remove(old);
    wheel.reset(old, 5);
    assert_eq!(wheel.len(), 1, "stale key must not cancel the slot's new timer");
    assert!(!poll(&mut wheel, new, &recorder(2, &log)));
    assert!(poll(&mut wheel, old, &recorder(2, &log)), "a dead key reads as fired");
}

// ---- The model again, over the deadlines and clock jumps that break timer wheels. ----

/// Seeds to run, each for [`EDGE_STEPS`] steps: `WAKEFUL_TIMER_PROPTEST_ITERS`, or a
/// default that takes a few seconds in a debug build.
fn proptest_iters() -> u64 {
    std::env::var("WAKEFUL_TIMER_PROPTEST_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

const EDGE_STEPS: usize = 2_000;
const DAY: u64 = 86_400_000 * TICK_NANOS;

/// A deadline, relative to `now`, from the cases that stress a wheel: zero, the past,
/// the next 20 ms, 25 days (past `i32::MAX` ms), 2^36 ms (past the wheel's horizon),
/// within 10 ms of `u64::MAX` ns, or anywhere.
fn edge_deadline(rng: &mut Rng, now: u64) -> u64 {
    match rng.below(9) {
        0 => 0,
        1 => now.saturating_sub(1 + rng.below(2_000 * TICK_NANOS)),
        2..=3 => now.saturating_add(rng.below(20 * TICK_NANOS + 1)),
        4 => now.saturating_add(25 * DAY + rng.below(TICK_NANOS)),
        5 => now.saturating_add((1 << 36) * TICK_NANOS + rng.below(TICK_NANOS)),
        6 => u64::MAX - rng.below(10 * TICK_NANOS),
        _ => now.saturating_add(rng.span()),
    }
}

/// How far the clock moves: mostly a few milliseconds, sometimes a day, 25 days, 2^36
/// ms, and rarely to the very end of time.
fn edge_step(rng: &mut Rng, now: u64) -> u64 {
    match rng.below(100) {
        0..=59 => rng.below(3 * TICK_NANOS),
        60..=84 => rng.below(30 * TICK_NANOS),
        85..=92 => rng.below(DAY),
        93..=95 => 25 * DAY,
        96..=98 => (1 << 36) * TICK_NANOS,
        _ => (u64::MAX - now) / 2 + rng.below(TICK_NANOS),
    }
}

/// One timer as the model sees it.
struct EdgeTimer {
    id: usize,
    key: TimerKey,
    /// `Some` while pending.
    deadline: Option<u64>,
    /// The wheel holds a waker for it: set by insert and by a pending poll, cleared
    /// when it fires (a re-armed timer needs a poll to be woken, as in `Sleep`).
    armed: bool,
}

fn run_edges(seed: u64) {
    let mut rng = Rng(seed);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let mut timers: Vec<EdgeTimer> = Vec::new();
    let mut now = 0u64;
    for step in 0..EDGE_STEPS {
        let at = |now: u64| format!("seed {seed:#x} step {step} now {now}");
        let pick = rng.below(timers.len() as u64) as usize;
        match rng.below(20) {
            0..=5 => {
                let id = step;
                let deadline = edge_deadline(&mut rng, now);
                let key = wheel.insert(deadline, recorder(id, &log));
                timers.push(EdgeTimer { id, key, deadline: Some(deadline), armed: true });
            }
            6..=8 if !timers.is_empty() => {
                let timer = &mut timers[pick];
                let deadline = edge_deadline(&mut rng, now);
                wheel.reset(timer.key, deadline);
                timer.deadline = Some(deadline);
            }
            9..=10 if !timers.is_empty() => {
                let timer = timers.swap_remove(pick);
                drop(wheel.remove(timer.key));
                let len = wheel.len();
                drop(wheel.remove(timer.key));
                assert_eq!(wheel.len(), len, "{}: a dead key cancelled something", at(now));
            }
            11..=13 if !timers.is_empty() => {
                let timer = &mut timers[pick];
                let fired = poll(&mut wheel, timer.key, &recorder(timer.id, &log));
                assert_eq!(fired, timer.deadline.is_none(), "{}: poll of timer {}", at(now), timer.id);
                timer.armed |= !fired;
            }
            _ => {
                now = now.saturating_add(edge_step(&mut rng, now));
                let mut due = Vec::new();
                let count = wheel.advance(now, &mut due);
                due.into_iter().for_each(Waker::wake);
                let mut woken = std::mem::take(&mut *log.lock().unwrap());
                woken.sort_unstable();
                let (mut fired, mut expected) = (0, Vec::new());
                for timer in timers.iter_mut().filter(|t| t.deadline.is_some_and(|d| d <= now)) {
                    fired += 1;
                    if timer.armed {
                        expected.push(timer.id);
                    }
                    timer.deadline = None;
                    timer.armed = false;
                }
                expected.sort_unstable();
                assert_eq!(woken, expected, "{}: the timers woken", at(now));
                assert_eq!(count, fired, "{}: the count of timers fired", at(now));
            }
        }
        let pending: Vec<u64> = timers.iter().filter_map(|t| t.deadline).collect();
        assert_eq!(wheel.len(), pending.len(), "{}: pending timers", at(now));
        match (wheel.next_expiration(), pending.iter().min()) {
            (None, None) => {}
            (Some(next), Some(&earliest)) => {
                assert!(next <= earliest, "{}: the wheel would sleep to {next}, past {earliest}", at(now))
            }
            (next, earliest) => panic!("{}: next expiration {next:?}, earliest {earliest:?}", at(now)),
        }
    }
}

#[test]
fn timer_model_with_edge_deadlines_and_clock_jumps() {
    for i in 0..proptest_iters() {
        run_edges((i + 1).wrapping_mul(0xd1b5_4a32_d192_ed03));
    }
}
