//! [`Clock`]: the reactor's sense of "now", real or paused.
//!
//! The reactor owns the timers, so it owns the clock they are measured against. By
//! default the clock is the OS's monotonic clock. For tests it can be *paused*: `now`
//! then stands still until it is advanced by hand ([`Reactor::advance`]) or, by the
//! runtime's park, to the next timer's deadline when every task is idle
//! ([`Reactor::auto_advance`]) — so a test of a 30 s timeout takes microseconds.
//!
//! ```text
//!            pause()                 resume()
//!   Real ───────────▶ Paused{at} ───────────▶ Running{base, since} ─┐
//!                      ▲      │ advance(d): at += d                │
//!                      │      └──┘                                 │
//!                      └──────────────── pause() ──────────────────┘
//! ```
//!
//! After `resume`, time runs on from where the paused clock stood (`base`), at the
//! OS clock's pace: it never goes back, so it may run ahead of (after `advance`) or
//! behind (after a long pause) `std::time::Instant::now()`.
//!
//! [`Reactor::advance`]: crate::Reactor::advance
//! [`Reactor::auto_advance`]: crate::Reactor::auto_advance

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    /// Whether a clock of this thread was ever paused (clocks never leave their thread:
    /// a reactor is `!Send`).
    static EVER_PAUSED: Cell<bool> = const { Cell::new(false) };
}

/// False until a reactor's clock on this thread is first paused. Until then every
/// reactor here reads the OS clock, so a caller that wants "now" may read
/// `std::time::Instant::now()` directly instead of finding its reactor: the fast path
/// of every `sleep` on a runtime that never pauses. True if unknown (in a thread-local
/// destructor).
pub fn clock_ever_paused_on_this_thread() -> bool {
    EVER_PAUSED.try_with(Cell::get).unwrap_or(true)
}

/// A clock that reads the OS clock or stands still.
#[derive(Debug)]
pub(crate) struct Clock {
    state: Cell<State>,
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// Never paused: the OS clock, read directly (the fast path of every timer).
    Real,
    /// Standing still at `at`.
    Paused { at: Instant },
    /// Running again since the OS clock read `since`, from where it stood (`base`).
    Running { base: Instant, since: Instant },
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock { state: Cell::new(State::Real) }
    }

    /// The clock's current instant.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match self.state.get() {
            State::Real => Instant::now(),
            State::Paused { at } => at,
            // Saturating: a clock advanced to the end of time stays there.
            State::Running { base, since } => base.checked_add(since.elapsed()).unwrap_or(base),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        matches!(self.state.get(), State::Paused { .. })
    }

    /// Stops the clock where it stands; false if it was already paused.
    pub(crate) fn pause(&self) -> bool {
        if self.is_paused() {
            return false;
        }
        self.state.set(State::Paused { at: self.now() });
        let _ = EVER_PAUSED.try_with(|ever| ever.set(true));
        true
    }

    /// Lets the clock run on from where it stood; false if it was not paused.
    pub(crate) fn resume(&self) -> bool {
        let State::Paused { at } = self.state.get() else { return false };
        self.state.set(State::Running { base: at, since: Instant::now() });
        true
    }

    /// Moves a paused clock forward to `to` (never back); false if it is not paused.
    pub(crate) fn advance_to(&self, to: Instant) -> bool {
        let State::Paused { at } = self.state.get() else { return false };
        self.state.set(State::Paused { at: at.max(to) });
        true
    }

    /// The instant `by` after the paused clock's, saturating at `end` (the last instant
    /// the reactor's timers can name), or `None` if the clock is not paused.
    pub(crate) fn paused_plus(&self, by: Duration, end: Instant) -> Option<Instant> {
        let State::Paused { at } = self.state.get() else { return None };
        Some(at.checked_add(by).map_or(end, |t| t.min(end)).max(at))
    }
}
