//! The cooperative budget: how a task that is always ready — a socket that always has
//! data — still lets the others run.
//!
//! Each poll of a task starts with [`BUDGET`] units. Every I/O operation that could
//! complete without waiting spends one through [`poll_proceed`]; when none are left,
//! the operation wakes the task and returns `Pending` as if it had to wait, so the task
//! goes to the back of the ready queue. Outside a task (the `block_on` future, or no
//! runtime at all) the budget is unlimited.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations a task may complete in one poll before it must yield.
pub const BUDGET: u32 = 128;

/// Unlimited: not inside a task's poll.
const UNLIMITED: u32 = u32::MAX;

thread_local! {
    static REMAINING: Cell<u32> = const { Cell::new(UNLIMITED) };
}

/// Spends one unit of the current task's budget: `Ready` if there was one left;
/// otherwise wakes the task (so it runs again after the others) and returns `Pending`.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    REMAINING.with(|remaining| match remaining.get() {
        UNLIMITED => Poll::Ready(()),
        0 => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        n => {
            remaining.set(n - 1);
            Poll::Ready(())
        }
    })
}

/// True unless the current task has spent its whole budget in this poll. A future
/// that combines others (a timeout) uses it to see whether its inner future spent the
/// last unit: its own deadline must then be looked at anyway, or it would never be.
pub fn has_budget_remaining() -> bool {
    REMAINING.with(Cell::get) > 0
}

/// Runs `poll` with a fresh budget, restoring the previous one afterwards. Also says
/// whether the poll spent the whole budget: the run loop then lets I/O and timers in
/// before it polls that task again, so that the task yields to them, not only to the
/// other ready tasks.
pub(crate) fn with_budget<R>(poll: impl FnOnce() -> R) -> (R, bool) {
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            REMAINING.with(|remaining| remaining.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.with(|remaining| remaining.replace(BUDGET)));
    let output = poll();
    (output, REMAINING.with(Cell::get) == 0)
}
