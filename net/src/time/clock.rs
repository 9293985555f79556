//! A paused clock for tests: [`pause`], [`resume`], [`advance`], with tokio's names
//! and semantics, plus auto-advance.
//!
//! The clock is the runtime's reactor's (it owns the timers). While it is paused,
//! [`Instant::now`](super::Instant::now) stands still, and every timer of the runtime —
//! [`sleep`](super::sleep), [`timeout`](super::timeout), [`interval`](super::interval),
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

use std::time::Duration;

use crate::context;

/// Stops the clock of this thread's runtime: [`Instant::now`](super::Instant::now)
/// stands still, and timers fire only when the clock is [advanced](advance) — by hand,
/// or by auto-advance when every task is idle (see the [module docs](self)).
///
/// `Runtime::builder().start_paused(true)` starts a runtime paused.
///
/// # Panics
/// Outside a runtime ("time cannot be frozen from outside a wakeful runtime"), or if
/// the clock is already paused ("time is already frozen"), as tokio.
#[track_caller]
pub fn pause() {
    let reactor = current_or_panic("pause");
    if !reactor.pause() {
        panic!("wakeful::time::pause: time is already frozen");
    }
}

/// Lets the paused clock of this thread's runtime run again, at the OS clock's pace,
/// from where it stood: it never goes back, so after an [`advance`] it runs ahead of
/// `std::time::Instant::now()`.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused ("time is not frozen"), as tokio.
#[track_caller]
pub fn resume() {
    let reactor = current_or_panic("resume");
    if !reactor.resume() {
        panic!("wakeful::time::resume: time is not frozen");
    }
}

/// Moves the paused clock of this thread's runtime forward by `duration` in one jump,
/// wakes every timer due by then (in deadline order), then yields once so that the
/// tasks woken run before the caller goes on.
///
/// All the timers passed complete "at the same time": each sees the clock at the end
/// of the jump. To have them fire one by one at their own deadlines, `sleep` instead
/// and let auto-advance move the clock.
///
/// Saturating: `Duration::MAX` stops the clock at the end of the timer wheel's range
/// (some 584 years after the runtime's creation), where every timer is due.
///
/// Cancel-safe: the jump happens on the first poll; dropping the future afterwards
/// only skips the yield.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused ("time is not frozen"), as tokio.
pub async fn advance(duration: Duration) {
    let reactor = current_or_panic("advance");
    if reactor.advance(duration).is_none() {
        panic!("wakeful::time::advance: time is not frozen");
    }
    drop(reactor); // not held across the yield
    wakeful_executor::yield_now().await;
}

#[track_caller]
fn current_or_panic(what: &str) -> std::rc::Rc<wakeful_reactor::Reactor> {
    context::current().unwrap_or_else(|_| {
        panic!("wakeful::time::{what}: time cannot be frozen from outside a wakeful runtime")
    })
}
