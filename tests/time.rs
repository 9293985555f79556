//! `wakeful::time` over the public API: ordering, never early, cancellation, reset.

mod util;

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::panic;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

use util::{poll_once, PATIENCE};
use wakeful::time::{sleep, sleep_until};
use wakeful::{spawn, Runtime};

#[test]
fn sleeps_end_in_deadline_order() {
    // The ancestor's demo, scaled: 3, 1 and 2 units start together, end 2, 3, 1.
    let unit = Duration::from_millis(40);
    let order = Rc::new(RefCell::new(Vec::new()));
    let start = Instant::now();
    wakeful::block_on(async {
        let tasks = [(1, 3), (2, 1), (3, 2)].map(|(id, units)| {
            let order = order.clone();
            spawn(async move {
                sleep(unit * units).await;
                order.borrow_mut().push((id, start.elapsed()));
            })
        });
        for task in tasks {
            task.await.unwrap();
        }
    });
    let order = order.borrow();
    let ids: Vec<_> = order.iter().map(|&(id, _)| id).collect();
    assert_eq!(ids, [2, 3, 1]);
    for (&(_, at), units) in order.iter().zip(1..) {
        assert!(at >= unit * units, "task ended at {at:?}, before {:?}", unit * units);
    }
    assert!(start.elapsed() < unit * 3 + PATIENCE, "sleeps ran one after another, not together");
}

#[test]
fn sleeps_never_end_early() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..200u64)
            .map(|i| {
                let duration = Duration::from_micros(i * 97 % 25_000);
                spawn(async move {
                    let start = Instant::now();
                    sleep(duration).await;
                    let slept = start.elapsed();
                    assert!(slept >= duration, "slept {slept:?} of {duration:?}");
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(rt.stats().timers_pending, 0);
}

#[test]
fn zero_sleep_is_ready_without_a_timer() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        sleep(Duration::ZERO).await;
        sleep_until(Instant::now() - Duration::from_millis(5)).await;
    });
    let stats = rt.stats();
    assert_eq!((stats.timers_fired, stats.timers_pending), (0, 0), "{stats:?}");
}

#[test]
fn dropping_a_sleep_cancels_its_timer() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let mut long = sleep(Duration::from_secs(3600));
        assert!(poll_once(&mut long).is_pending());
        assert_eq!(rt.stats().timers_pending, 1);
        drop(long);
    });
    let stats = rt.stats();
    assert_eq!((stats.timers_pending, stats.timers_fired), (0, 0), "{stats:?}");
}

#[test]
fn a_closer_sleep_wins_and_the_loser_is_cancelled() {
    let rt = Runtime::new().unwrap();
    let won = rt.block_on(async {
        let mut far = sleep(Duration::from_secs(3600));
        let mut near = sleep(Duration::from_millis(10));
        poll_fn(|cx| {
            if Pin::new(&mut near).poll(cx).is_ready() {
                return Poll::Ready("near");
            }
            if Pin::new(&mut far).poll(cx).is_ready() {
                return Poll::Ready("far");
            }
            Poll::Pending
        })
        .await
    });
    assert_eq!(won, "near");
    let stats = rt.stats();
    assert_eq!((stats.timers_fired, stats.timers_pending), (1, 0), "{stats:?}");
}

#[test]
fn reset_moves_the_deadline_and_rearms() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let mut sleep = Box::pin(sleep(Duration::from_secs(3600)));
        assert!(poll_once(&mut sleep).is_pending());
        let start = Instant::now();
        let target = start + Duration::from_millis(15);
        sleep.as_mut().reset(target);
        assert_eq!(sleep.deadline(), target);
        sleep.as_mut().await;
        assert!(Instant::now() >= target);
        assert!(start.elapsed() < PATIENCE);

        // Re-arm after it fired.
        let again = Instant::now() + Duration::from_millis(5);
        sleep.as_mut().reset(again);
        assert!(!sleep.is_elapsed() || Instant::now() >= again);
        sleep.as_mut().await;
        assert!(Instant::now() >= again);
    });
}

#[test]
fn far_future_sleeps_do_not_overflow() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let mut forever = sleep(Duration::MAX);
        assert!(poll_once(&mut forever).is_pending());
        let mut years = sleep(Duration::from_secs(86_400 * 365 * 5));
        assert!(poll_once(&mut years).is_pending());
        sleep(Duration::from_millis(2)).await;
        assert!(poll_once(&mut forever).is_pending());
        assert!(poll_once(&mut years).is_pending());
    });
    assert_eq!(rt.stats().timers_pending, 0, "dropped with the block_on future");
}

#[test]
fn sleep_outside_a_runtime_panics_with_a_clear_message() {
    let result = panic::catch_unwind(|| {
        let mut sleep = sleep(Duration::from_millis(1));
        let _ = poll_once(&mut sleep);
    });
    let payload = result.expect_err("polling outside a runtime must fail, not hang");
    let message = payload.downcast_ref::<String>().expect("a formatted message");
    assert!(message.contains("no wakeful runtime is running on this thread"), "{message}");
}

#[test]
fn always_ready_task_cannot_starve_timers() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let spinner = spawn(async {
            loop {
                wakeful::yield_now().await;
            }
        });
        let start = Instant::now();
        sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() < PATIENCE);
        spinner.abort();
    });
    let stats = rt.stats();
    assert!(stats.timers_fired == 1 && stats.reactor_turns > 1, "{stats:?}");
}

#[test]
fn shutdown_with_sleeping_tasks_cancels_their_timers() {
    let rt = Runtime::new().unwrap();
    let handles: Vec<_> = (0..10).map(|i| rt.spawn(sleep(Duration::from_secs(100 + i)))).collect();
    rt.block_on(sleep(Duration::from_millis(1)));
    assert_eq!(rt.stats().timers_pending, 10);
    drop(rt);
    assert!(handles.iter().all(|h| h.is_finished()));
}

#[test]
fn timeout_returns_the_output_or_elapsed() {
    use wakeful::time::{timeout, timeout_at};
    run_time(async {
        let quick = timeout(Duration::from_secs(60), async { 5 }).await;
        assert_eq!(quick, Ok(5));
        let zero = timeout(Duration::ZERO, async { "ready at once" }).await;
        assert_eq!(zero, Ok("ready at once"), "a ready future wins even a zero deadline");
        let start = Instant::now();
        let slow = timeout(Duration::from_millis(20), sleep(Duration::from_secs(60))).await;
        let elapsed = slow.unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(elapsed.to_string(), "deadline has elapsed");
        let as_io: std::io::Error = elapsed.into();
        assert_eq!(as_io.kind(), std::io::ErrorKind::TimedOut);
        let at = timeout_at(Instant::now() + Duration::from_millis(5), std::future::pending::<()>()).await;
        assert!(at.is_err());
    });
}

#[test]
fn interval_ticks_on_schedule() {
    use wakeful::time::interval;
    run_time(async {
        let period = Duration::from_millis(10);
        let mut ticks = interval(period);
        let first = ticks.tick().await;
        let start = Instant::now();
        for n in 1..=3 {
            let due = ticks.tick().await;
            assert_eq!(due, first + period * n, "ticks are due a period apart");
            assert!(Instant::now() >= due, "never early");
        }
        assert!(start.elapsed() >= period * 2);
    });
}

#[test]
fn missed_ticks_burst_delay_or_skip() {
    use wakeful::time::{interval_at, MissedTickBehavior};
    run_time(async {
        let period = Duration::from_millis(10);
        for behavior in [MissedTickBehavior::Burst, MissedTickBehavior::Delay, MissedTickBehavior::Skip] {
            let start = Instant::now();
            let mut ticks = interval_at(start, period);
            ticks.set_missed_tick_behavior(behavior);
            assert_eq!(ticks.missed_tick_behavior(), behavior);
            assert_eq!(ticks.tick().await, start);
            // Busy past three periods: ticks at +10, +20, +30 are missed.
            std::thread::sleep(period * 3 + period / 2);
            let woke = Instant::now();
            let late = ticks.tick().await; // the +10 tick, late
            let late_returned = Instant::now();
            assert_eq!(late, start + period);
            let next = ticks.tick().await;
            match behavior {
                MissedTickBehavior::Burst => assert_eq!(next, start + period * 2, "catch up one by one"),
                MissedTickBehavior::Delay => {
                    assert!(next >= start + period * 4 + period / 2, "a full period after the late tick")
                }
                // The first tick on the original schedule after the late one was taken:
                // +40 ms unless the machine stalled this thread past it (bounded by the
                // instants around that tick, not by a guess at the machine's load).
                MissedTickBehavior::Skip => {
                    let offset = (next - start).as_nanos();
                    assert_eq!(offset % period.as_nanos(), 0, "back on the original schedule");
                    assert!(next > woke, "missed ticks are skipped, not fired late");
                    assert!(next <= late_returned + period, "the first tick on schedule after the late one");
                }
            }
        }
    });
}

#[test]
fn interval_is_a_stream_and_can_reset() {
    use futures_core::Stream;
    use wakeful::time::interval;
    run_time(async {
        let mut ticks = interval(Duration::from_millis(5));
        let first = poll_fn(|cx| Pin::new(&mut ticks).poll_next(cx)).await;
        assert!(first.is_some());
        let before_reset = Instant::now();
        ticks.reset();
        let next = ticks.tick().await;
        assert!(next >= before_reset + ticks.period(), "reset pushes the next tick a period out");
    });
}

/// Runs a time test on its own runtime, bounded.
fn run_time<F: Future>(future: F) -> F::Output {
    util::run(future)
}
