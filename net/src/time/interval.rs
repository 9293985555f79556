//! [`interval`]: ticks at a fixed period.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use super::sleep::after;
use super::{sleep_until, Instant, Sleep};

/// Ticks every `period`, the first tick at once.
///
/// # Panics
/// If `period` is zero.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wakeful::time::interval;
///
/// wakeful::block_on(async {
///     let start = Instant::now();
///     let mut ticks = interval(Duration::from_millis(5));
///     for _ in 0..3 {
///         ticks.tick().await;
///     }
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start` (a
/// [`wakeful::time::Instant`](Instant) or a `std::time::Instant`).
///
/// # Panics
/// If `period` is zero.
pub fn interval_at(start: impl Into<Instant>, period: Duration) -> Interval {
    assert!(!period.is_zero(), "wakeful::time::interval: the period must be non-zero");
    Interval { sleep: sleep_until(start), period, missed: MissedTickBehavior::default() }
}

/// What an [`Interval`] does when ticks were missed (the task was busy past one or
/// more periods).
///
/// ```
/// use std::time::Duration;
/// use wakeful::time::{interval, MissedTickBehavior};
///
/// wakeful::block_on(async {
///     let mut heartbeat = interval(Duration::from_millis(10));
///     heartbeat.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     heartbeat.tick().await;
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, one after another, then go on on schedule.
    #[default]
    Burst,
    /// Fire now, and schedule the next tick a full period from now.
    Delay,
    /// Fire now, and skip to the next tick still on the original schedule.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick that was due at `due` and fired at `now`. Only when
    /// the following tick is already overdue does the behaviour matter.
    fn next(self, due: Instant, now: Instant, period: Duration) -> Instant {
        let next = after(due, period);
        if now < next {
            return next;
        }
        match self {
            MissedTickBehavior::Burst => next,
            MissedTickBehavior::Delay => after(now, period),
            MissedTickBehavior::Skip => {
                let late = now.saturating_duration_since(due).as_nanos();
                let periods = late / period.as_nanos() + 1;
                // In nanoseconds, as `Duration` multiplies only by a `u32`: a 1 µs period
                // after an hour's stall is already past that. Beyond `u64` nanoseconds
                // (584 years) the next tick never comes anyway.
                let skipped = periods.checked_mul(period.as_nanos()).and_then(|n| u64::try_from(n).ok());
                after(due, skipped.map_or(Duration::MAX, Duration::from_nanos))
            }
        }
    }
}

/// Ticks at a fixed period; from [`interval`]. Also a `Stream` of tick instants.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wakeful::time::interval_at;
///
/// wakeful::block_on(async {
///     let start = Instant::now() + Duration::from_millis(5);
///     let mut ticks = interval_at(start, Duration::from_millis(5));
///     assert_eq!(ticks.tick().await, start);
///     assert_eq!(ticks.tick().await, start + ticks.period());
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick; returns when it was due.
    ///
    /// Cancel-safe: a tick is consumed only when `tick` returns.
    pub async fn tick(&mut self) -> Instant {
        let mut waiting = WaitingTick { interval: self, done: false };
        poll_fn(|cx| {
            let due = ready!(waiting.interval.poll_tick(cx));
            waiting.done = true;
            Poll::Ready(due)
        })
        .await
    }

    /// Polls for the next tick; see [`tick`](Self::tick).
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.sleep).poll(cx));
        let due = self.sleep.deadline();
        let next = self.missed.next(due, Instant::now(), self.period);
        Pin::new(&mut self.sleep).reset(next);
        Poll::Ready(due)
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        Pin::new(&mut self.sleep).reset(after(Instant::now(), self.period));
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens to missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets what happens to missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }
}

impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}

/// A `tick()` under way. Dropped before the tick came, it takes the timer out of the
/// wheel, and with it the waker of the task that waited; the next poll puts it back.
/// (A `poll_tick` caller keeps no such state: its waker stays until the next tick.)
struct WaitingTick<'a> {
    interval: &'a mut Interval,
    done: bool,
}

impl Drop for WaitingTick<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.interval.sleep.unregister();
        }
    }
}
