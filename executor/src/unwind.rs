//! Containing panics from user code that the runtime runs on its own behalf.
//!
//! The runtime drops futures, outputs and panic payloads, and wakes and drops the
//! wakers stored in `JoinHandle`s. Any of these is user code and may panic. Such a
//! panic must not unwind through the scheduler's bookkeeping (a task half-completed,
//! a future dropped but still marked running), nor out of `Runtime::drop` (which may
//! itself run during an unwind, where a second panic aborts the process). So each of
//! these calls runs inside [`contain`], *after* the bookkeeping it belongs to, and the
//! panic is reported by the panic hook and otherwise dropped.
//!
//! Dropping a payload is user code too: `std::panic::panic_any` accepts any value, and
//! its `Drop` may panic again, with a payload of its own. [`drop_payload`] follows such
//! a chain a few links; a payload that still panics after that is leaked
//! (`mem::forget`) rather than unwound or aborted on. Only a payload type written to
//! panic in `Drop` every time is ever leaked.

use std::any::Any;
use std::mem;
use std::panic::{self, AssertUnwindSafe};

/// How many nested payloads [`drop_payload`] drops before it leaks the next one.
const PAYLOAD_DROPS: usize = 4;

/// Runs `f`; a panic is caught and its payload dropped with [`drop_payload`].
/// Never unwinds.
pub(crate) fn contain(f: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
        drop_payload(payload);
    }
}

/// Drops a panic payload without unwinding: if its `Drop` panics, that panic's
/// payload is dropped in turn, up to [`PAYLOAD_DROPS`] times; then it is leaked.
pub(crate) fn drop_payload(mut payload: Box<dyn Any + Send>) {
    for _ in 0..PAYLOAD_DROPS {
        match panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(next) => payload = next,
        }
    }
    mem::forget(payload);
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static DROPS: Cell<usize> = const { Cell::new(0) };
    }

    /// A payload whose `Drop` panics with another of its kind, `0` times more.
    struct Nested(usize);

    impl Drop for Nested {
        fn drop(&mut self) {
            DROPS.with(|d| d.set(d.get() + 1));
            if self.0 > 0 {
                panic::panic_any(Nested(self.0 - 1));
            }
        }
    }

    #[test]
    fn short_payload_chains_are_dropped_whole() {
        DROPS.with(|d| d.set(0));
        contain(|| panic::panic_any(Nested(PAYLOAD_DROPS - 1)));
        assert_eq!(DROPS.with(Cell::get), PAYLOAD_DROPS, "every link dropped, none leaked");
    }

    #[test]
    #[cfg_attr(miri, ignore = "leaks by design, which Miri reports")]
    fn endless_payload_chains_are_leaked_not_unwound() {
        DROPS.with(|d| d.set(0));
        contain(|| panic::panic_any(Nested(usize::MAX)));
        assert_eq!(DROPS.with(Cell::get), PAYLOAD_DROPS, "gave up after {PAYLOAD_DROPS} links");
    }
}
