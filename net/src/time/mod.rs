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
//! may pause.
//!
//! # The paused clock
//!
//! [`pause`], [`resume`] and [`advance`], with tokio's names and semantics, plus
//! auto-advance; `Runtime::builder().start_paused(true)` starts a runtime paused.
//!
//! The clock is the runtime's reactor's (it owns the timers). While it is paused,
//! [`Instant::now`] stands still, and every timer of the runtime —
//! [`sleep`](sleep()), [`timeout`](timeout()), [`interval`](interval()),
//! a listener's back-off after running out of file descriptors — fires only when the
//! clock moves:
//!
//! - by hand, with [`advance`];
//! - by itself (*auto-advance*): when no task is ready, the runtime first takes a
//!   non-blocking look at I/O and at wakes from other threads, which win; if neither
//!   woke anyone, it jumps the clock to the earliest timer's deadline and fires it.
//!   A test of a 30 s timeout takes microseconds, and timers fire in deadline order,
//!   each task seeing `Instant::now()` equal to its deadline. With no timer pending the
//!   runtime waits as usual, for I/O or another thread. Work on other threads that
//!   will wake a task holds back auto-advance meanwhile
//!   (`wakeful_net::context::inhibit_auto_advance`).
//!
//! Deadlines are fixed when a timer is created, on the clock of the runtime running
//! then: a `sleep(d)` or `timeout(d, …)` created outside any runtime (as in
//! `rt.block_on(sleep(d))`, whose argument is built before `block_on` starts) measures
//! from the OS clock, not from the paused one. Create timers inside the runtime
//! (`rt.block_on(async { sleep(d).await })`).
//!
//! ```
//! use std::time::Duration;
//! use wakeful::time::{self, Instant};
//!
//! let rt = wakeful::Runtime::builder().start_paused(true).build()?;
//! let wall = std::time::Instant::now();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     let never = std::future::pending::<()>();
//!     assert!(time::timeout(Duration::from_secs(30), never).await.is_err());
//!     assert_eq!(start.elapsed(), Duration::from_secs(30));
//!
//!     time::advance(Duration::from_secs(5)).await;
//!     assert_eq!(start.elapsed(), Duration::from_secs(35));
//! });
//! assert!(wall.elapsed() < Duration::from_secs(5));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Differences from tokio
//! - `advance(Duration::MAX)` (or any overflow) saturates: the clock stops some 584
//!   years after the runtime's creation, where every timer is due. tokio panics.
//! - Timers that one [`advance`] passes wake in deadline order; tokio leaves the order
//!   unspecified.
//! - `pause` works on every wakeful runtime (all are single-threaded); tokio requires
//!   the `current_thread` flavour.
//! - [`sleep_until`], [`timeout_at`], [`interval_at`] and [`Sleep::reset`] take
//!   `impl Into<Instant>`: a `std::time::Instant` too, so code written against std's
//!   compiles unchanged; the two types compare and subtract with each other.

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
