//! The paused clock: `start_paused`, `pause`, `resume`, `advance` and auto-advance, and
//! the same scenarios on tokio's paused clock wherever wakeful claims its semantics.
//! Every test that waits runs under a watchdog: a clock that fails to advance shows as
//! a hang.

mod util;

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use util::with_watchdog;
use wakeful::time::{self, Instant, MissedTickBehavior};

const HOUR: Duration = Duration::from_secs(3600);

fn paused() -> wakeful::Runtime {
    wakeful::Runtime::builder().start_paused(true).build().unwrap()
}

fn tokio_paused() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap()
}

/// `n` pseudo-random durations below `max`, in steps of `unit` (a fixed seed: the
/// same run every time).
fn durations(n: usize, max: Duration, unit: Duration) -> Vec<Duration> {
    let steps = (max.as_nanos() / unit.as_nanos()) as u64;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            unit * ((x >> 33) % steps) as u32
        })
        .collect()
}

/// The message of a caught panic.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast::<&str>().map(|s| s.to_string()).unwrap_or_default(),
    }
}

fn panics_with(what: &str, f: impl FnOnce()) {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err(what);
    let message = panic_message(payload);
    assert!(message.contains(what), "expected a panic saying {what:?}, got {message:?}");
}

#[test]
fn a_30_second_and_a_1_hour_timeout_elapse_without_waiting() {
    with_watchdog(|| {
        for (limit, wall_bound) in
            [(Duration::from_secs(30), Duration::from_secs(1)), (HOUR, Duration::from_millis(100))]
        {
            let rt = paused();
            let wall = std::time::Instant::now();
            let (elapsed, timed_out) = rt.block_on(async {
                let start = Instant::now();
                let result = time::timeout(limit, std::future::pending::<()>()).await;
                (start.elapsed(), result.is_err())
            });
            let wall = wall.elapsed();
            assert!(timed_out, "the timeout elapsed");
            assert_eq!(elapsed, limit, "the clock stands exactly at the deadline");
            assert!(wall < wall_bound, "a {limit:?} timeout took {wall:?} of wall time");
            assert_eq!(rt.stats().clock_auto_advances, 1);

            let tokio = tokio_paused();
            let (elapsed, timed_out) = tokio.block_on(async {
                let start = tokio::time::Instant::now();
                let result = tokio::time::timeout(limit, std::future::pending::<()>()).await;
                (start.elapsed(), result.is_err())
            });
            assert!(timed_out);
            assert_eq!(elapsed, limit, "tokio: same observation");
        }
    });
}

/// Wakes in deadline order, each sleeper seeing `Instant::now()` at its own deadline.
fn check_order(durations: &[Duration], woke: &[(usize, Duration)]) {
    assert_eq!(woke.len(), durations.len(), "every sleeper woke");
    for &(i, at) in woke {
        assert_eq!(at, durations[i], "sleeper {i} saw the clock at its deadline");
    }
    assert!(woke.windows(2).all(|w| w[0].1 <= w[1].1), "deadline order: {woke:?}");
}

#[test]
fn many_sleeps_wake_in_deadline_order_each_at_its_deadline() {
    with_watchdog(|| {
        // Nanosecond deadlines on wakeful (exact), whole milliseconds for both.
        for unit in [Duration::from_nanos(1), Duration::from_millis(1)] {
            let durations = durations(500, Duration::from_secs(10), unit);
            let rt = paused();
            let woke = Rc::new(RefCell::new(Vec::new()));
            rt.block_on(async {
                let start = Instant::now();
                let sleepers: Vec<_> = (durations.iter().copied().enumerate())
                    .map(|(i, d)| {
                        let woke = woke.clone();
                        wakeful::spawn(async move {
                            time::sleep(d).await;
                            woke.borrow_mut().push((i, start.elapsed()));
                        })
                    })
                    .collect();
                for sleeper in sleepers {
                    sleeper.await.unwrap();
                }
            });
            check_order(&durations, &woke.borrow());
            let mut distinct: Vec<_> = durations.iter().filter(|d| !d.is_zero()).collect();
            distinct.sort();
            distinct.dedup();
            assert_eq!(rt.stats().clock_auto_advances, distinct.len() as u64, "one jump per deadline");
        }

        let durations = durations(500, Duration::from_secs(10), Duration::from_millis(1));
        let woke = Rc::new(RefCell::new(Vec::new()));
        tokio_paused().block_on(async {
            let local = tokio::task::LocalSet::new();
            local
                .run_until(async {
                    let start = tokio::time::Instant::now();
                    let sleepers: Vec<_> = (durations.iter().copied().enumerate())
                        .map(|(i, d)| {
                            let woke = woke.clone();
                            tokio::task::spawn_local(async move {
                                tokio::time::sleep(d).await;
                                woke.borrow_mut().push((i, start.elapsed()));
                            })
                        })
                        .collect();
                    for sleeper in sleepers {
                        sleeper.await.unwrap();
                    }
                })
                .await;
        });
        check_order(&durations, &woke.borrow());
    });
}

/// Ticks of a 10 ms interval after a 35 ms jump: (tick's due time, clock at the tick),
/// both from the start.
const TICKS_AFTER_A_35_MS_JUMP: [(MissedTickBehavior, [(u64, u64); 4]); 3] = [
    (MissedTickBehavior::Burst, [(10, 35), (20, 35), (30, 35), (40, 40)]),
    (MissedTickBehavior::Delay, [(10, 35), (45, 45), (55, 55), (65, 65)]),
    (MissedTickBehavior::Skip, [(10, 35), (40, 40), (50, 50), (60, 60)]),
];

#[test]
fn interval_ticks_after_advance_follow_the_missed_tick_behavior() {
    with_watchdog(|| {
        let ms = |d: Duration| d.as_millis() as u64;
        for (behavior, expected) in TICKS_AFTER_A_35_MS_JUMP {
            let seen = paused().block_on(async {
                let start = Instant::now();
                let mut ticks = time::interval(Duration::from_millis(10));
                ticks.set_missed_tick_behavior(behavior);
                assert_eq!(ticks.tick().await, start, "the first tick is at once");
                time::advance(Duration::from_millis(35)).await;
                let mut seen = Vec::new();
                for _ in 0..4 {
                    let due = ticks.tick().await;
                    seen.push((ms(due - start), ms(start.elapsed())));
                }
                seen
            });
            assert_eq!(seen, expected, "{behavior:?}");

            let tokio_behavior = match behavior {
                MissedTickBehavior::Burst => tokio::time::MissedTickBehavior::Burst,
                MissedTickBehavior::Delay => tokio::time::MissedTickBehavior::Delay,
                MissedTickBehavior::Skip => tokio::time::MissedTickBehavior::Skip,
            };
            let seen = tokio_paused().block_on(async {
                let start = tokio::time::Instant::now();
                let mut ticks = tokio::time::interval(Duration::from_millis(10));
                ticks.set_missed_tick_behavior(tokio_behavior);
                assert_eq!(ticks.tick().await, start);
                tokio::time::advance(Duration::from_millis(35)).await;
                let mut seen = Vec::new();
                for _ in 0..4 {
                    let due = ticks.tick().await;
                    seen.push((ms(due - start), ms(start.elapsed())));
                }
                seen
            });
            assert_eq!(seen, expected, "tokio, {behavior:?}");
        }
    });
}

#[test]
fn advance_by_duration_max_saturates_and_fires_every_timer() {
    with_watchdog(|| {
        paused().block_on(async {
            let start = Instant::now();
            let fired = Rc::new(RefCell::new(Vec::new()));
            let deadlines = [HOUR, Duration::MAX, Duration::from_secs(86_400 * 365 * 500)];
            for (i, d) in deadlines.into_iter().enumerate() {
                let fired = fired.clone();
                wakeful::spawn(async move {
                    time::sleep(d).await;
                    fired.borrow_mut().push(i);
                });
            }
            util::run_ready_tasks().await; // every sleep registered
            time::advance(Duration::MAX).await;
            util::run_ready_tasks().await;
            // `sleep(Duration::MAX)` means "never": some 30 years, before the 500.
            assert_eq!(*fired.borrow(), [0, 1, 2], "every timer fired, in deadline order");
            let end = start.elapsed();
            assert!(end >= Duration::from_secs(86_400 * 365 * 584), "the clock went to the end: {end:?}");

            // At the end of time the clock still works: nothing panics, everything is due.
            time::advance(Duration::MAX).await;
            time::advance(HOUR).await;
            assert_eq!(start.elapsed(), end, "it stays at the end");
            time::sleep(HOUR).await;
            time::sleep(Duration::MAX).await;
            assert!(time::timeout(Duration::MAX, std::future::pending::<()>()).await.is_err());
            let mut ticks = time::interval(Duration::from_nanos(1));
            ticks.tick().await;
            ticks.tick().await;
            let _ = Instant::now() + HOUR; // representable
        });
    });
}

#[test]
fn tokio_panics_on_an_advance_that_overflows_where_wakeful_saturates() {
    let caught = panic::catch_unwind(|| {
        tokio_paused().block_on(tokio::time::advance(Duration::MAX));
    });
    assert!(caught.is_err(), "the documented difference: tokio panics");
}

#[test]
fn pause_resume_pause_never_goes_back() {
    with_watchdog(|| {
        wakeful::Runtime::new().unwrap().block_on(async {
            time::pause();
            let frozen = Instant::now();
            // Real time passes (not synchronization: the paused clock must ignore it).
            std::thread::sleep(Duration::from_millis(2));
            assert_eq!(Instant::now(), frozen, "a paused clock stands still");
            time::advance(Duration::from_secs(10)).await;
            assert_eq!(Instant::now(), frozen + Duration::from_secs(10));

            time::resume();
            let resumed = Instant::now();
            assert!(resumed >= frozen + Duration::from_secs(10), "never back");
            time::sleep(Duration::from_millis(5)).await; // a real 5 ms
            assert!(Instant::now() >= resumed + Duration::from_millis(5), "it runs again");
            let ahead = Instant::now().into_std().saturating_duration_since(std::time::Instant::now());
            assert!(ahead >= Duration::from_secs(9), "ahead of the OS clock by the advance: {ahead:?}");

            time::pause();
            let again = Instant::now();
            std::thread::sleep(Duration::from_millis(2));
            assert_eq!(Instant::now(), again, "paused again");
            time::sleep(HOUR).await; // auto-advance again
            assert_eq!(again.elapsed(), HOUR);
        });
    });
}

#[test]
fn misuse_panics_with_tokio_s_reasons() {
    panics_with("outside", time::pause);
    panics_with("outside", time::resume);
    panics_with("outside", || {
        let _ = util::poll_once(&mut Box::pin(time::advance(HOUR)));
    });
    panics_with("already frozen", || paused().block_on(async { time::pause() }));
    panics_with("not frozen", || wakeful::block_on(async { time::resume() }));
    panics_with("not frozen", || wakeful::block_on(time::advance(HOUR)));
    // tokio's reasons, for the same misuses.
    panics_with("outside", tokio::time::pause);
    panics_with("already frozen", || tokio_paused().block_on(async { tokio::time::pause() }));
    panics_with("not frozen", || tokio_current().block_on(async { tokio::time::resume() }));
    panics_with("not frozen", || tokio_current().block_on(tokio::time::advance(HOUR)));
}

fn tokio_current() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn advance_dropped_at_its_yield_has_already_moved_the_clock() {
    paused().block_on(async {
        let start = Instant::now();
        let mut advancing = Box::pin(time::advance(HOUR));
        assert!(util::poll_once(&mut advancing).is_pending(), "it yields once");
        drop(advancing);
        assert_eq!(start.elapsed(), HOUR, "the jump happened on the first poll");
    });
}

#[path = "time_paused/accept.rs"]
mod accept;
#[path = "time_paused/io.rs"]
mod io;

/// Work out on the blocking pool holds a paused clock still: the timeout around it does
/// not fire at once, and the clock has not moved when the result arrives.
#[test]
fn blocking_work_in_flight_holds_auto_advance_back() {
    with_watchdog(|| {
        paused().block_on(async {
            let start = Instant::now();
            let job = wakeful::task::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(50));
                7
            });
            let result = time::timeout(Duration::from_secs(1), job).await;
            assert_eq!(result.expect("no auto-advance past the timeout").unwrap(), 7);
            assert!(start.elapsed() < Duration::from_secs(1), "clock moved by {:?}", start.elapsed());
        });
    });
}

/// A sleep past the timer wheel's horizon, by centuries: auto-advance gets there in one
/// park rather than giving up partway and leaving the runtime blocked for good.
#[test]
fn a_sleep_of_two_centuries_auto_advances_instead_of_hanging() {
    with_watchdog(|| {
        let rt = paused();
        let far = Duration::from_secs(86_400 * 365 * 200);
        let elapsed = rt.block_on(async {
            let start = Instant::now();
            time::sleep_until(start + far).await;
            start.elapsed()
        });
        assert_eq!(elapsed, far);
        assert_eq!(rt.stats().clock_auto_advances, 1, "one jump");
    });
}

/// A stream fed by hand: `push` queues an item and wakes the poller.
#[derive(Clone, Default)]
struct Feed(Rc<RefCell<(std::collections::VecDeque<u32>, Option<std::task::Waker>)>>);

impl Feed {
    fn push(&self, item: u32) {
        let mut feed = self.0.borrow_mut();
        feed.0.push_back(item);
        if let Some(waker) = feed.1.take() {
            waker.wake();
        }
    }
}

impl wakeful::stream::Stream for Feed {
    type Item = u32;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<u32>> {
        let mut feed = self.0.borrow_mut();
        match feed.0.pop_front() {
            Some(item) => std::task::Poll::Ready(Some(item)),
            None => {
                feed.1 = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
        }
    }
}

/// A stream's per-item timeout runs on the paused clock too: after an `advance`, the
/// next period starts at the runtime's "now", not at the OS clock's (an hour behind).
#[test]
fn a_stream_timeout_measures_its_periods_on_the_paused_clock() {
    use wakeful::stream::StreamExt;
    with_watchdog(|| {
        paused().block_on(async {
            let start = Instant::now();
            let feed = Feed::default();
            let mut items = std::pin::pin!(feed.clone().timeout(Duration::from_secs(1)));
            time::advance(HOUR).await;
            feed.push(1);
            assert_eq!(items.next().await, Some(Ok(1)));
            let second = wakeful::spawn({
                let feed = feed.clone();
                async move {
                    time::sleep(Duration::from_millis(500)).await;
                    feed.push(2);
                }
            });
            assert_eq!(items.next().await, Some(Ok(2)), "an item half a period later is in time");
            assert_eq!(start.elapsed(), HOUR + Duration::from_millis(500));
            second.await.unwrap();
            assert!(items.next().await.unwrap().is_err(), "a silent period elapses");
            assert_eq!(start.elapsed(), HOUR + Duration::from_millis(1500), "a whole period after the item");
        });
    });
}

/// `Instant::now()` outside a runtime is the OS's, as std's — even in a thread-local's
/// destructor that runs after wakeful's own thread-locals are gone (a guard that logs
/// how long the thread lived, say).
#[test]
fn instant_now_works_in_a_thread_local_destructor() {
    struct LogsOnExit(std::sync::mpsc::Sender<bool>);
    impl Drop for LogsOnExit {
        fn drop(&mut self) {
            let read = panic::catch_unwind(|| Instant::now().elapsed());
            let _ = self.0.send(read.is_ok());
        }
    }
    thread_local! {
        static ON_EXIT: RefCell<Option<LogsOnExit>> = const { RefCell::new(None) };
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Ours first, wakeful's after: destructors run in reverse, wakeful's first.
        ON_EXIT.with(|slot| *slot.borrow_mut() = Some(LogsOnExit(tx)));
        let _ = Instant::now();
    })
    .join()
    .unwrap();
    assert_eq!(rx.recv_timeout(util::PATIENCE), Ok(true), "Instant::now() panicked");
}
