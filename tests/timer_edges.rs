//! `wakeful::time` at its edges: many short random sleeps, deadlines in the past and
//! at the end of time, resets across both, and cancellation by drop.

mod util;

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use util::{poll_once, PATIENCE};
use wakeful::spawn;
use wakeful::time::{interval, interval_at, sleep, sleep_until, timeout, MissedTickBehavior};

/// 25 days: past `i32::MAX` milliseconds, where a millisecond wait overflows an int.
const DAYS_25: Duration = Duration::from_secs(25 * 86_400);
/// 2^36 ms (~2.2 years): past the timer wheel's horizon.
const MS_2_36: Duration = Duration::from_millis(1 << 36);
/// A sleep that wins every race against the far deadlines here.
const SHORT: Duration = Duration::from_millis(5);

/// The latest instant `Instant` can hold from now (within a few doublings).
fn end_of_time() -> Instant {
    let now = Instant::now();
    [u64::MAX, i64::MAX as u64, 1 << 62, 1 << 50, 1 << 40]
        .into_iter()
        .find_map(|secs| now.checked_add(Duration::from_secs(secs)))
        .expect("an Instant can be a few decades away")
}

/// An instant `ago` before now, or as far back as the clock goes.
fn past(ago: Duration) -> Instant {
    let now = Instant::now();
    now.checked_sub(ago).unwrap_or_else(|| now.checked_sub(Duration::from_millis(1)).unwrap_or(now))
}

/// Runs the future `make` returns on a new runtime, under a watchdog thread: not with
/// `util::run`, whose own deadline would be one more pending timer in the counts
/// these tests check.
fn run_counted<F: Future<Output = ()>>(make: impl FnOnce() -> F + Send + 'static) {
    util::with_watchdog(move || wakeful::block_on(make()));
}

fn timers_pending() -> u64 {
    wakeful::stats().expect("inside a runtime").timers_pending
}

/// xorshift64: reproducible random durations without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn hundreds_of_random_short_sleeps_never_end_early() {
    run_counted(|| async {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let tasks: Vec<_> = (0..400)
            .map(|i| {
                let nanos = rng.below(20_000_001);
                spawn(async move {
                    let start = Instant::now();
                    let deadline = start + Duration::from_nanos(nanos);
                    if i % 2 == 0 {
                        sleep(Duration::from_nanos(nanos)).await;
                    } else {
                        sleep_until(deadline).await;
                    }
                    let woke = Instant::now();
                    assert!(woke >= deadline, "task {i} woke {:?} early", deadline - woke);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(timers_pending(), 0);
    });
}

#[test]
fn far_sleeps_stay_pending_and_past_or_zero_ones_end_at_once() {
    run_counted(|| async {
        let far = [Duration::MAX, DAYS_25, MS_2_36, Duration::from_secs(u64::MAX)];
        let mut sleeps: Vec<_> = far.iter().map(|&d| Box::pin(sleep(d))).collect();
        sleeps.push(Box::pin(sleep_until(end_of_time())));
        for (i, s) in sleeps.iter_mut().enumerate() {
            assert!(poll_once(s).is_pending(), "far sleep {i} ended at once");
        }
        assert_eq!(timers_pending(), sleeps.len() as u64);
        // A short sleep wins the race with all of them.
        let start = Instant::now();
        let mut short = pin!(sleep(SHORT));
        let winner = poll_fn(|cx| {
            for (i, s) in sleeps.iter_mut().enumerate() {
                if s.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Some(i));
                }
            }
            short.as_mut().poll(cx).map(|()| None)
        })
        .await;
        assert_eq!(winner, None, "a far sleep ended before a 5 ms one");
        assert!(start.elapsed() >= SHORT);
        for (i, s) in sleeps.iter_mut().enumerate() {
            assert!(poll_once(s).is_pending(), "far sleep {i} ended after a short one");
            assert!(!s.is_elapsed());
        }
        drop(sleeps);
        assert_eq!(timers_pending(), 0);

        // The past, now and zero end at the first poll, without a timer.
        for mut s in
            [sleep_until(past(Duration::from_secs(3600))), sleep_until(Instant::now()), sleep(Duration::ZERO)]
        {
            assert!(poll_once(&mut Box::pin(&mut s)).is_ready());
            assert!(s.is_elapsed());
        }
        assert_eq!(timers_pending(), 0);
    });
}

#[test]
fn timeout_of_duration_max_waits_for_its_future() {
    run_counted(|| async {
        assert_eq!(timeout(Duration::MAX, async { 7 }).await, Ok(7));
        let start = Instant::now();
        assert_eq!(timeout(Duration::MAX, async { sleep(SHORT).await }).await, Ok(()));
        assert!(start.elapsed() >= SHORT);
        // And it is pending, like the future, until then.
        let mut never = Box::pin(timeout(Duration::MAX, std::future::pending::<()>()));
        assert!(poll_once(&mut never).is_pending());
        sleep(SHORT).await;
        assert!(poll_once(&mut never).is_pending());
        drop(never);
        assert_eq!(timers_pending(), 0);
    });
}

#[test]
fn interval_with_huge_periods_ticks_once_then_waits() {
    run_counted(|| async {
        for period in [DAYS_25, MS_2_36] {
            let mut ticks = interval(period);
            timeout(PATIENCE, ticks.tick()).await.expect("the first tick is at once");
            let mut second = Box::pin(ticks.tick());
            assert!(poll_once(&mut second).is_pending(), "period {period:?}");
        }
        assert_eq!(timers_pending(), 0);
    });
}

#[test]
fn interval_of_duration_max_ticks_once_then_waits() {
    // The first tick once panicked: "overflow when adding duration to instant", in
    // MissedTickBehavior::next computing `due + period`.
    run_counted(|| async {
        let mut ticks = interval(Duration::MAX);
        timeout(PATIENCE, ticks.tick()).await.expect("the first tick is at once");
        let mut second = Box::pin(ticks.tick());
        assert!(poll_once(&mut second).is_pending());
        sleep(SHORT).await;
        assert!(poll_once(&mut second).is_pending());
        drop(second);
        ticks.reset(); // also adds the period to now
        assert!(poll_once(&mut Box::pin(ticks.tick())).is_pending());
    });
}

#[test]
fn interval_skip_after_a_long_stall_lands_in_the_future() {
    // 10 s late with a 1 ns period is 10^10 periods to skip; `Skip` multiplies the
    // period by at most u32::MAX (~4.3 s here), so the "next" tick is still in the
    // past and fires at once, off the promise of skipping to the schedule's future.
    run_counted(|| async {
        let start = past(Duration::from_secs(10));
        if Instant::now() - start < Duration::from_secs(10) {
            return; // booted less than 10 s ago: the clock cannot go back that far
        }
        let mut ticks = interval_at(start, Duration::from_nanos(1));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        // The skip is computed when the first (overdue) tick fires, so the second is
        // due after that moment — not after `fired`, a nanosecond-period later.
        let before = Instant::now();
        assert_eq!(ticks.tick().await, start);
        let due = ticks.tick().await;
        assert!(due >= before, "the tick after a skip is {:?} in the past", before - due);
    });
}

#[test]
fn interval_at_a_past_start_catches_up_as_configured() {
    run_counted(|| async {
        let period = Duration::from_millis(20);
        // Burst (the default): every missed tick at once, each with its own instant.
        let start = past(Duration::from_millis(70));
        let mut ticks = interval_at(start, period);
        for k in 0..4 {
            let due = ticks.tick().await;
            assert_eq!(due, start + period * k, "burst tick {k}");
        }
        let due = ticks.tick().await;
        assert_eq!(due, start + period * 4);
        assert!(Instant::now() >= due, "the first tick in the future waits for its time");

        // Skip: one tick now, then back on the original grid.
        let start = past(Duration::from_millis(70));
        let mut ticks = interval_at(start, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
        assert_eq!(ticks.tick().await, start);
        let due = ticks.tick().await;
        assert_eq!(due, start + period * 4, "skipped to the next tick on the grid");
        assert!(Instant::now() >= due);

        // Delay: one tick now, the next a full period after it.
        let start = past(Duration::from_millis(70));
        let mut ticks = interval_at(start, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        assert_eq!(ticks.tick().await, start);
        let fired = Instant::now();
        let due = ticks.tick().await;
        assert!(due >= fired + period - Duration::from_millis(1), "{:?} after the late tick", due - fired);
        assert!(Instant::now() >= due);
    });
}

#[test]
fn reset_to_the_past_far_future_and_back() {
    run_counted(|| async {
        let mut nap = pin!(sleep(Duration::from_secs(3600)));
        assert!(poll_once(&mut nap).is_pending());
        assert_eq!(timers_pending(), 1);

        // To the past: ends at the reactor's next turn, not at the old deadline.
        nap.as_mut().reset(past(Duration::from_secs(1)));
        timeout(PATIENCE, nap.as_mut()).await.expect("a sleep reset to the past ends");
        assert_eq!(timers_pending(), 0);

        // Re-armed to the far future and to the end of time: pending again.
        for (i, deadline) in
            [Instant::now() + DAYS_25, Instant::now() + MS_2_36, end_of_time()].into_iter().enumerate()
        {
            nap.as_mut().reset(deadline);
            assert!(poll_once(&mut nap).is_pending(), "reset {i}");
            assert_eq!(timers_pending(), 1, "reset {i}");
            assert!(timeout(SHORT, nap.as_mut()).await.is_err(), "reset {i} ended early");
        }

        // And back to a near deadline, which it honours exactly: never before.
        let deadline = Instant::now() + SHORT;
        nap.as_mut().reset(deadline);
        timeout(PATIENCE, nap.as_mut()).await.expect("back to a near deadline");
        assert!(Instant::now() >= deadline);
        assert_eq!(timers_pending(), 0);

        // A reset before the first poll only moves the deadline.
        let mut fresh = pin!(sleep(Duration::from_secs(3600)));
        fresh.as_mut().reset(past(Duration::from_millis(1)));
        assert!(poll_once(&mut fresh).is_ready());
        assert_eq!(timers_pending(), 0);
    });
}

#[test]
fn dropping_pending_sleeps_removes_their_timers() {
    run_counted(|| async {
        let deadlines = [SHORT, Duration::from_secs(1), DAYS_25, MS_2_36, Duration::MAX];
        let mut sleeps: Vec<_> = deadlines.iter().map(|&d| Box::pin(sleep(d))).collect();
        for s in &mut sleeps {
            assert!(poll_once(s).is_pending());
        }
        assert_eq!(timers_pending(), deadlines.len() as u64);
        sleeps.truncate(2);
        assert_eq!(timers_pending(), 2, "three dropped, two still pending");
        drop(sleeps);
        assert_eq!(timers_pending(), 0);

        // Dropped with their task, by abort, while pending.
        let sleeper = spawn(sleep(Duration::from_secs(3600)));
        while timers_pending() == 0 {
            wakeful::yield_now().await;
        }
        sleeper.abort();
        assert!(sleeper.await.unwrap_err().is_cancelled());
        assert_eq!(timers_pending(), 0);

        // The sleep inside a timeout whose future won.
        assert_eq!(timeout(Duration::from_secs(3600), async { sleep(SHORT).await }).await, Ok(()));
        assert_eq!(timers_pending(), 0);

        // And a sleep dropped after it fired leaves nothing either.
        let mut done = Box::pin(sleep(SHORT));
        done.as_mut().await;
        drop(done);
        assert_eq!(timers_pending(), 0);
    });
}
