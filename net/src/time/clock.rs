//! [`pause`], [`resume`], [`advance`]: the paused clock (described in the module docs
//! of `time`, where users see them).

use std::time::Duration;

use crate::context;

/// Stops the clock of this thread's runtime: [`Instant::now`](super::Instant::now)
/// stands still, and timers fire only when the clock is [advanced](advance) — by hand,
/// or by auto-advance when every task is idle (see [the paused clock](super#the-paused-clock)).
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
    // With the timers' deadlines as causes, as the park's auto-advance does (from a
    // task, the rule gives the task advancing the clock instead).
    if reactor.advance_with(duration, context::wake_for).is_none() {
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
