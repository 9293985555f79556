//! The wheel against a reference model, over random insert / reset / cancel / advance.

#[cfg(target_os = "linux")]
use super::slack::wait_slack_for;
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
    let mut wheel = TimerWheel {
        wait_slack: [0, 50_000, 2 * TICK_NANOS][rng.below(3) as usize],
        ..TimerWheel::default()
    };
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
        // Any window: the look ahead moves slots to `near` early, which the steps
        // that follow must not notice.
        let window = [0, 200_000, 3 * TICK_NANOS][rng.below(3) as usize];
        match (wheel.next_wakeup(window), pending.iter().min()) {
            (None, None) => {}
            (Some(next), Some(&earliest)) => assert!(
                next <= earliest.saturating_add(window),
                "{}: the wheel would sleep to {next}, past {earliest} + {window}",
                at(now)
            ),
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

// ---- The batch rule, against a simulated OS that ends each wait its slack late. ----

/// What a run of the simulated event loop saw.
#[derive(Debug)]
struct Batching {
    wakeups: usize,
    /// Wakeups that fired nothing (to cascade a slot of a higher level).
    idle_wakeups: usize,
    mean_late: u64,
    max_late: u64,
}

/// Runs the event loop over timers at `deadlines` (ns) on a simulated clock: each wait
/// asked for time `t` ends at `t + os_slack` (Linux without other interrupts to end it
/// earlier), then the loop fires what is due. The wheel assumes `wheel_slack`.
fn simulate(deadlines: &[u64], window: u64, wheel_slack: u64, os_slack: u64) -> Batching {
    simulate_os(deadlines, window, wheel_slack, |_| os_slack)
}

/// [`simulate`], the OS ending each wait `os_delay(rng)` after the time asked.
fn simulate_os(
    deadlines: &[u64],
    window: u64,
    wheel_slack: u64,
    mut os_delay: impl FnMut(&mut Rng) -> u64,
) -> Batching {
    let mut rng = Rng(99);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel { wait_slack: wheel_slack, ..TimerWheel::default() };
    for (id, &deadline) in deadlines.iter().enumerate() {
        wheel.insert(deadline, recorder(id, &log));
    }
    let (mut now, mut wakeups, mut idle_wakeups, mut total, mut max_late) = (0u64, 0, 0, 0u64, 0u64);
    let mut fired = Vec::new();
    while let Some(at) = wheel.next_wakeup(window) {
        now = now.max(at.saturating_add(os_delay(&mut rng)));
        wakeups += 1;
        if wheel.advance(now, &mut fired) == 0 {
            idle_wakeups += 1;
        }
        fired.drain(..).for_each(Waker::wake);
        for id in log.lock().unwrap().drain(..) {
            let late = now - deadlines[id];
            total += late;
            max_late = max_late.max(late);
        }
    }
    assert_eq!(wheel.len(), 0, "every timer fired");
    Batching { wakeups, idle_wakeups, mean_late: total / deadlines.len() as u64, max_late }
}

const MICROS: u64 = 1_000;

#[test]
fn dense_timers_share_wakeups_and_wait_at_most_the_window() {
    // 100 timers per millisecond for 100 ms, at random: the benchmark's density.
    let mut rng = Rng(7);
    let deadlines: Vec<u64> = (0..10_000).map(|_| 5 * TICK_NANOS + rng.below(100 * TICK_NANOS)).collect();
    let window = 125 * MICROS;
    let slack = 50 * MICROS;
    let run = simulate(&deadlines, window, slack, slack);
    // One wakeup per window or so: at most 100 ms / window, plus one per millisecond
    // boundary in case a batch stops there... which it must not (the window crosses it).
    assert!(run.wakeups <= 100 * TICK_NANOS as usize / window as usize + 5, "{run:?}");
    // The OS's slack is part of the window, not added to it.
    assert!(run.max_late <= window, "{run:?}");
    assert!(run.mean_late <= window * 6 / 10, "{run:?}");
    // The rule blind to the slack: the last timer of a batch waits the slack longer.
    let blind = simulate(&deadlines, window, 0, slack);
    assert!(blind.max_late > window + slack * 9 / 10, "{blind:?} against {run:?}");
}

#[test]
fn a_lone_timer_is_never_delayed_by_the_window() {
    let deadlines: Vec<u64> = (1..=50).map(|i| i * 3 * TICK_NANOS + 12_345).collect();
    let slack = 50 * MICROS;
    let run = simulate(&deadlines, 125 * MICROS, slack, slack);
    assert_eq!(run.wakeups - run.idle_wakeups, deadlines.len(), "one wakeup each: {run:?}");
    assert_eq!(run.max_late, slack, "asked for its exact deadline: {run:?}");
    // Two timers closer than the slack: one wakeup, asked for the first deadline.
    let pair = [10 * TICK_NANOS, 10 * TICK_NANOS + 20 * MICROS];
    let run = simulate(&pair, 125 * MICROS, slack, slack);
    assert_eq!((run.wakeups, run.max_late), (1, slack), "{run:?}");
}

#[test]
#[ignore = "prints the batch rule's figures for a range of windows"]
fn batch_rule_figures() {
    let mut rng = Rng(11);
    let deadlines: Vec<u64> = (0..100_000).map(|_| 5 * TICK_NANOS + rng.below(1_000 * TICK_NANOS)).collect();
    let slack = 50 * MICROS;
    let os = std::env::var("WAKEFUL_SIM_OS").unwrap_or_default();
    for window in [0, 50, 75, 100, 125, 150, 175, 200, 250, 300, 400, 500] {
        // "early": a busy machine, where other interrupts end waits anywhere in the slack.
        let delay = |rng: &mut Rng| if os == "early" { rng.below(slack + 1) } else { slack };
        let aware = simulate_os(&deadlines, window * MICROS, slack, delay);
        let blind = simulate_os(&deadlines, window * MICROS, 0, delay);
        println!(
            "window {window:>3} µs: slack-aware {:>6} wakeups, mean {:>4} µs, max {:>4} µs | slack-blind {:>6} wakeups, mean {:>4} µs, max {:>4} µs",
            aware.wakeups, aware.mean_late / MICROS, aware.max_late / MICROS,
            blind.wakeups, blind.mean_late / MICROS, blind.max_late / MICROS,
        );
    }
}

#[test]
fn timers_of_a_reached_millisecond_fire_in_deadline_order_whatever_their_arrival() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let mut fired = Vec::new();
    wheel.advance(7 * TICK_NANOS, &mut fired);
    // 1000 timers within the millisecond reached, in random order: most go past the
    // in-place shift and need the sort.
    let mut rng = Rng(3);
    let deadlines: Vec<u64> = (0..1_000).map(|_| 7 * TICK_NANOS + rng.below(TICK_NANOS)).collect();
    for (id, &deadline) in deadlines.iter().enumerate() {
        wheel.insert(deadline, recorder(id, &log));
    }
    let mut sorted = deadlines.clone();
    sorted.sort_unstable();
    assert_eq!(wheel.next_expiration(), Some(sorted[0]));
    for now in (7 * TICK_NANOS..8 * TICK_NANOS).step_by(10_000) {
        wheel.advance(now, &mut fired);
        fired.drain(..).for_each(Waker::wake);
        let due = sorted.partition_point(|&d| d <= now);
        assert_eq!(log.lock().unwrap().len(), due, "fired by {now}: exactly those due");
    }
    wheel.advance(8 * TICK_NANOS, &mut fired);
    fired.drain(..).for_each(Waker::wake);
    let order: Vec<u64> = log.lock().unwrap().iter().map(|&id| deadlines[id]).collect();
    assert_eq!(order, sorted, "woken in deadline order");
    assert_eq!(wheel.len(), 0);
}

#[test]
fn a_timer_moved_again_and_again_within_its_millisecond_leaves_little_behind() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    let mut fired = Vec::new();
    wheel.advance(TICK_NANOS, &mut fired);
    let steady = wheel.insert(2 * TICK_NANOS - 1, recorder(0, &log));
    let key = wheel.insert(TICK_NANOS + 10, recorder(1, &log));
    let other = wheel.insert(TICK_NANOS + 20, recorder(2, &log));
    for i in 0..100_000 {
        // Back and forth between a few deadlines: an item left by an earlier stay at the
        // same deadline must count as stale too, whichever timer's move sweeps them.
        wheel.reset(key, TICK_NANOS + 10 + i % 3);
        wheel.reset(other, TICK_NANOS + 20 + i % 5);
        assert!(wheel.near.queued() <= 2 * 3 + 64 + 1, "stale items swept: {}", wheel.near.queued());
    }
    wheel.remove(other);
    assert_eq!(wheel.advance(TICK_NANOS + 12, &mut fired), 1, "fired once, not once per stay");
    fired.clear();
    wheel.remove(key);
    assert_eq!(wheel.len(), 1);
    assert_eq!(wheel.next_expiration(), Some(2 * TICK_NANOS - 1), "only the steady timer is left");
    assert_eq!(wheel.advance(2 * TICK_NANOS, &mut fired), 1);
    assert!(poll(&mut wheel, steady, &recorder(0, &log)));
}

#[test]
fn timers_inserted_before_a_millisecond_looked_into_early_still_fire_first() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel::default();
    // A crowd due at 60 ms: the next wakeup looks into that millisecond at once.
    for id in 0..1_000 {
        wheel.insert(60 * TICK_NANOS + id as u64 * 7, recorder(id, &log));
    }
    assert_eq!(wheel.next_wakeup(200_000), Some(60 * TICK_NANOS));
    // Then timeouts of a few milliseconds, one after another, and one in the crowd.
    for i in 0..1_000u64 {
        wheel.insert(TICK_NANOS + i * 50_000, recorder(1_000 + i as usize, &log));
    }
    assert_eq!(wheel.next_expiration(), Some(TICK_NANOS), "the earliest, not the crowd");
    let mut fired = Vec::new();
    assert_eq!(wheel.advance(51 * TICK_NANOS, &mut fired), 1_000, "every timeout by 51 ms");
    assert_eq!(wheel.advance(60 * TICK_NANOS + 6_999, &mut fired), 1_000, "then the crowd");
    fired.drain(..).for_each(Waker::wake);
    let ids = std::mem::take(&mut *log.lock().unwrap());
    assert!(ids[..1_000].iter().all(|&id| id >= 1_000) && ids[1_000..].iter().all(|&id| id < 1_000));
    assert_eq!(wheel.len(), 0);
}

#[test]
fn tasks_sleeping_in_a_loop_do_not_grow_the_near_queue() {
    // 200 tasks, each sleeping 0–5 ms again as soon as it wakes: at every turn some
    // timer of a millisecond already looked into is still waiting, so `near` is never
    // empty. What it holds must stay in proportion to the timers there.
    const TASKS: usize = 2_000;
    let mut rng = Rng(5);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut wheel = TimerWheel { wait_slack: 50 * MICROS, ..TimerWheel::default() };
    for id in 0..TASKS {
        wheel.insert(rng.below(5 * TICK_NANOS), recorder(id, &log));
    }
    let (mut now, mut fired, mut most) = (0u64, Vec::new(), 0);
    while now < 300 * TICK_NANOS {
        let at = wheel.next_wakeup(200 * MICROS).expect("every task sleeps");
        now = now.max(at + 50 * MICROS);
        wheel.advance(now, &mut fired);
        fired.drain(..).for_each(Waker::wake);
        for id in std::mem::take(&mut *log.lock().unwrap()) {
            wheel.insert(now + rng.below(5 * TICK_NANOS), recorder(id, &log));
        }
        most = most.max(wheel.near.held());
    }
    assert_eq!(wheel.len(), TASKS);
    assert!(most <= 2 * TASKS + 64, "near held {most} items for at most {TASKS} timers");
}

/// An event loop that sleeps exactly until each `next_wakeup`, against a sorted model:
/// fires exactly the timers due, never asks to wake before the earliest deadline but for
/// a cascade, and never spins (a wakeup at or before `now` that fires nothing).
fn run_event_loop(seed: u64, deadline_at: fn(&mut Rng, u64) -> u64) {
    use std::collections::BTreeSet;
    let mut rng = Rng(seed);
    let log = Arc::new(Mutex::new(Vec::new()));
    let slack = [0, 50_000, 2 * TICK_NANOS][rng.below(3) as usize];
    let window = [0, 200_000, 5 * TICK_NANOS][rng.below(3) as usize];
    let mut wheel = TimerWheel { wait_slack: slack, ..TimerWheel::default() };
    let mut model: BTreeSet<(u64, usize)> = BTreeSet::new();
    let mut keys: Vec<(usize, TimerKey, u64)> = Vec::new();
    let (mut now, mut next_id) = (0u64, 0);
    for step in 0..3_000 {
        let at = format!("seed {seed:#x} step {step} now {now} slack {slack} window {window}");
        for _ in 0..rng.below(12) {
            match rng.below(6) {
                0..=2 => {
                    let deadline = deadline_at(&mut rng, now);
                    let id = next_id;
                    next_id += 1;
                    let key = wheel.insert(deadline, recorder(id, &log));
                    model.insert((deadline, id));
                    keys.push((id, key, deadline));
                }
                3 if !keys.is_empty() => {
                    let (id, key, deadline) = keys.swap_remove(rng.below(keys.len() as u64) as usize);
                    wheel.remove(key);
                    model.remove(&(deadline, id));
                }
                _ if !keys.is_empty() => {
                    // Back and forth: earlier, later, the same deadline.
                    let i = rng.below(keys.len() as u64) as usize;
                    let (id, key, old) = keys[i];
                    if !model.contains(&(old, id)) {
                        // It fired: free it (the model forgets it too).
                        keys.swap_remove(i);
                        wheel.remove(key);
                        continue;
                    }
                    let new = match rng.below(3) {
                        0 => old,
                        1 => old.saturating_sub(rng.below(3 * TICK_NANOS)).max(now),
                        _ => old.saturating_add(rng.below(70 * TICK_NANOS)),
                    };
                    if model.contains(&(new, id)) && new != old {
                        continue;
                    }
                    wheel.reset(key, new);
                    model.remove(&(old, id));
                    model.insert((new, id));
                    keys[i].2 = new;
                }
                _ => {}
            }
        }
        let earliest = model.first().map(|&(d, _)| d);
        let Some(wake) = wheel.next_wakeup(window) else {
            assert_eq!(earliest, None, "{at}: no wakeup with timers pending");
            continue;
        };
        let earliest = earliest.expect("a wakeup with no timer pending");
        let cascade = wake % TICK_NANOS == 0 && wake < earliest;
        assert!(wake >= earliest || cascade, "{at}: wakes at {wake}, before the earliest {earliest}");
        assert!(wake <= earliest.saturating_add(window), "{at}: wakes at {wake}, past {earliest} + {window}");
        let before = now;
        now = now.max(wake);
        let mut due = Vec::new();
        let count = wheel.advance(now, &mut due);
        due.into_iter().for_each(Waker::wake);
        let mut woken = std::mem::take(&mut *log.lock().unwrap());
        woken.sort_unstable();
        let mut expected: Vec<usize> = Vec::new();
        while let Some(&(d, id)) = model.first() {
            if d > now {
                break;
            }
            model.pop_first();
            expected.push(id);
        }
        expected.sort_unstable();
        assert_eq!(woken, expected, "{at}: the timers woken");
        assert_eq!(count, expected.len(), "{at}: count");
        assert_eq!(wheel.len(), model.len(), "{at}: pending");
        // A wakeup already past that fires nothing would come back at once: a spin.
        assert!(
            count > 0 || wake > before || before == 0,
            "{at}: wakes at {wake}, already past, for nothing"
        );
    }
}

#[test]
fn an_event_loop_sleeping_to_each_wakeup_fires_exactly_the_due_timers() {
    for i in 0..proptest_iters() {
        run_event_loop((i + 7).wrapping_mul(0x9e37_79b9_7f4a_7c15), edge_deadline);
        // Crowds within a few milliseconds: most timers sit in `near`, reset and
        // cancelled there, in and out of its heap, its run compacted and swept.
        run_event_loop((i + 9).wrapping_mul(0x9e37_79b9_7f4a_7c15), |rng, now| {
            now.saturating_sub(rng.below(TICK_NANOS)) + rng.below(4 * TICK_NANOS)
        });
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_real_time_thread_is_assumed_no_slack_whatever_its_policy_flags() {
    let fifo_reset = libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK;
    assert_eq!(wait_slack_for(fifo_reset, 50_000), 0, "SCHED_FIFO | SCHED_RESET_ON_FORK");
    assert_eq!(wait_slack_for(libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, 50_000), 0);
    assert_eq!(wait_slack_for(libc::SCHED_DEADLINE, 50_000), 0, "deadline threads get none either");
    assert_eq!(wait_slack_for(libc::SCHED_OTHER | libc::SCHED_RESET_ON_FORK, 50_000), 50_000);
    assert_eq!(wait_slack_for(libc::SCHED_OTHER, -1), 0, "a failed read assumes none");
    // On a thread of its own, where the policy may be changed (root or RLIMIT_RTPRIO):
    // what the OS reports for such a thread is read as no slack.
    let read = std::thread::spawn(move || {
        let param = libc::sched_param { sched_priority: 1 };
        // SAFETY: changes only this short-lived thread's own policy; `param` outlives the call.
        if unsafe { libc::sched_setscheduler(0, fifo_reset, &param) } != 0 {
            return None; // not permitted here: the checks above stand alone
        }
        // SAFETY: reads this thread's policy.
        let policy = unsafe { libc::sched_getscheduler(0) };
        Some((policy, os_wait_slack()))
    })
    .join()
    .unwrap();
    if let Some((policy, slack)) = read {
        assert_eq!(policy, fifo_reset, "the OS reports the flag with the policy");
        assert_eq!(slack, 0, "a real-time thread's waits have no slack");
    }
}
