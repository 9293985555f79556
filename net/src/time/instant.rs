//! [`Instant`]: std's `Instant`, read from the runtime's clock.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::context;

/// A point in time on the runtime's clock: `std::time::Instant`, except that
/// [`Instant::now`] honours a [paused](super::pause) clock.
///
/// Deadlines taken by wakeful (`sleep_until`, `timeout_at`, `interval_at`,
/// `Sleep::reset`) accept this type or a `std::time::Instant` (`impl Into<Instant>`),
/// so code written against std's compiles unchanged; the two also compare with each
/// other. Under a clock that is paused, or resumed after an [`advance`](super::advance),
/// `std::time::Instant::now()` is not the runtime's "now": a deadline computed from it
/// may be far in the past or future of the timers. Use this type's `now` then.
///
/// ```
/// use std::time::Duration;
/// use wakeful::time::{self, Instant};
///
/// wakeful::Runtime::builder().start_paused(true).build()?.block_on(async {
///     let start = Instant::now();
///     time::sleep(Duration::from_secs(3600)).await; // auto-advance: no real wait
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// The runtime's current instant (paused or not); outside a runtime, the OS's.
    pub fn now() -> Instant {
        Instant(context::now())
    }

    /// Wraps a `std::time::Instant`.
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant(std)
    }

    /// The `std::time::Instant` inside.
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later (saturating, as std's
    /// since Rust 1.60).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time since `self` on the runtime's clock; zero if `self` is in the future.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, or `None` past what an `Instant` can hold.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, or `None` before what an `Instant` can hold.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.0
    }
}

impl PartialEq<std::time::Instant> for Instant {
    fn eq(&self, other: &std::time::Instant) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Instant> for std::time::Instant {
    fn eq(&self, other: &Instant) -> bool {
        *self == other.0
    }
}

impl PartialOrd<std::time::Instant> for Instant {
    fn partial_cmp(&self, other: &std::time::Instant) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl PartialOrd<Instant> for std::time::Instant {
    fn partial_cmp(&self, other: &Instant) -> Option<std::cmp::Ordering> {
        self.partial_cmp(&other.0)
    }
}

/// Panics on overflow, as std's.
impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0 + rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        self.0 += rhs;
    }
}

/// Panics on overflow, as std's.
impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, rhs: Duration) -> Instant {
        Instant(self.0 - rhs)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        self.0 -= rhs;
    }
}

/// Saturating: zero if `rhs` is later.
impl Sub<Instant> for Instant {
    type Output = Duration;

    fn sub(self, rhs: Instant) -> Duration {
        self.duration_since(rhs)
    }
}

/// Saturating: zero if `rhs` is later. For code that mixes the two types.
impl Sub<std::time::Instant> for Instant {
    type Output = Duration;

    fn sub(self, rhs: std::time::Instant) -> Duration {
        self.0.saturating_duration_since(rhs)
    }
}

/// Saturating: zero if `rhs` is later. For code that mixes the two types.
impl Sub<Instant> for std::time::Instant {
    type Output = Duration;

    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs.0)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
