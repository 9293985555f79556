//! Time: [`sleep()`], [`timeout()`], [`interval()`], backed by the reactor's timer wheel,
//! and a clock that tests can [`pause`] and [`advance`].
//!
//! Timers never fire early, and fire close to their deadline: the reactor waits for
//! the exact earliest deadline (`epoll_pwait2` on Linux ≥ 5.11, `kevent` on BSD and
//! macOS; older Linux rounds the wait up to a whole millisecond), plus however long the
//! runtime's thread is busy. Dropping a timer's future cancels the timer — so a
//! timeout owned by a connection's task ends with it, with no bookkeeping.
//!
//! Every deadline is measured on the runtime's clock ([`Instant::now`]), which a test
//! may pause: see [`pause`] and the auto-advance it enables.

mod clock;
mod instant;
mod interval;
mod sleep;
mod timeout;

pub use clock::{advance, pause, resume};
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
