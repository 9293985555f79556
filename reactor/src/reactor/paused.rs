//! The reactor's clock, seen from outside: [`Reactor::now`], and the paused clock that
//! tests drive — [`Reactor::pause`], [`Reactor::advance`], [`Reactor::auto_advance`].
//!
//! The reactor decides nothing here about tasks: whoever parks the runtime (wakeful's
//! `ReactorPark`) calls [`Reactor::auto_advance`] when it knows that nothing is ready
//! and no [`AutoAdvanceInhibitor`] is alive.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use super::{Reactor, Unparker};
use crate::Woken;

/// How many times `auto_advance` steps through the wheel looking for a timer to fire:
/// each step fires the earliest timer or cascades one slot to a lower level (at most
/// one per level), and a timer past the wheel's ~2.2 year horizon also takes one step
/// per turn of the top level (each at least ~2.1 years): some 280 for the latest
/// deadline the wheel can name, `u64::MAX` ns (~584 years) after its start. Stopping
/// short of a timer would leave the park blocked forever, so the margin is wide; it
/// only guards against a broken invariant.
const MAX_AUTO_ADVANCE_STEPS: usize = 1024;

impl Reactor {
    /// The current instant of this reactor's clock, against which its timers fire: the
    /// OS's monotonic clock, or the instant a paused clock stands at.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = wakeful_reactor::Reactor::new()?;
    /// assert!(reactor.pause());
    /// let frozen = reactor.now();
    /// assert_eq!(reactor.now(), frozen, "a paused clock stands still");
    /// reactor.advance(Duration::from_secs(3600));
    /// assert_eq!(reactor.now(), frozen + Duration::from_secs(3600));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// True while the clock is paused.
    pub fn is_paused(&self) -> bool {
        self.clock.is_paused()
    }

    /// Stops the clock where it stands. Returns false (and does nothing) if it was
    /// already paused.
    ///
    /// While paused, timers fire only when the clock is moved: by
    /// [`advance`](Self::advance), or by [`auto_advance`](Self::auto_advance), which a
    /// runtime calls when it would otherwise wait. A turn's wait is then bounded by no
    /// timer, except one already due.
    pub fn pause(&self) -> bool {
        self.clock.pause()
    }

    /// Lets a paused clock run again, at the OS clock's pace, from where it stood
    /// (never back). Returns false (and does nothing) if it was not paused.
    pub fn resume(&self) -> bool {
        self.clock.resume()
    }

    /// Moves a paused clock forward by `by` and wakes every timer due by then, in
    /// deadline order. Returns how many wakers were woken, or `None` (and does nothing)
    /// if the clock is not paused.
    ///
    /// Saturates: the clock stops at the last instant the timer wheel can name
    /// (`u64::MAX` nanoseconds, some 584 years, after the reactor's creation), where
    /// every timer is due. `Duration::MAX` is fine.
    pub fn advance(&self, by: Duration) -> Option<usize> {
        let to = self.clock.paused_plus(by, self.end_of_time())?;
        self.clock.advance_to(to);
        let mut due = self.due.take();
        let fired = self.fire_in_order(self.nanos(to), &mut due);
        self.count_fired(fired, false);
        Some(self.wake_all(due, |waker, _| waker.wake()))
    }

    /// If the clock is paused and a timer is pending: jumps the clock to the earliest
    /// deadline and wakes the timers due then. Returns false if it did nothing.
    ///
    /// For the runtime's park, when no task is ready, a non-blocking turn found no I/O
    /// and no wake from another thread, and no [`AutoAdvanceInhibitor`] is alive: the
    /// runtime would otherwise wait for a timer that a paused clock never reaches.
    pub fn auto_advance(&self) -> bool {
        self.auto_advance_with(|waker, _| waker.wake())
    }

    /// [`auto_advance`](Self::auto_advance), handing each due timer's waker to `wake`
    /// with its deadline, as [`turn_with`](Self::turn_with) does.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wakeful_reactor::{Reactor, Woken};
    ///
    /// let reactor = Reactor::new()?;
    /// reactor.pause();
    /// let deadline = reactor.now() + Duration::from_secs(60);
    /// reactor.insert_timer(deadline, std::task::Waker::noop());
    /// let mut seen = Vec::new();
    /// assert!(reactor.auto_advance_with(|waker, woken| { seen.push(woken); waker.wake() }));
    /// assert_eq!(seen, [Woken::Timer { deadline }]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn auto_advance_with(&self, wake: impl FnMut(Waker, Woken)) -> bool {
        if !self.clock.is_paused() {
            return false;
        }
        let mut due = self.due.take();
        let mut fired = 0;
        for _ in 0..MAX_AUTO_ADVANCE_STEPS {
            // The exact earliest deadline, or the start of a slot to cascade first.
            let Some(next) = self.timers.borrow_mut().next_wakeup(0) else { break };
            let at = self.start.checked_add(Duration::from_nanos(next)).unwrap_or_else(|| self.end_of_time());
            self.clock.advance_to(at);
            fired = self.fire_in_order(next, &mut due);
            if fired > 0 {
                break;
            }
        }
        self.count_fired(fired, fired > 0);
        self.wake_all(due, wake);
        fired > 0
    }

    /// Keeps [`auto_advance`](Self::auto_advance) from being called while the returned
    /// guard lives (the runtime's park checks
    /// [`auto_advance_inhibited`](Self::auto_advance_inhibited)): for work that runs on
    /// other threads and will wake a task when done, such as a blocking pool's job. A
    /// paused clock must not jump to a timeout while the answer is still being computed.
    ///
    /// The guard is `Send`: it may be dropped on the thread that did the work. The last
    /// one dropped unparks the reactor, so that a runtime blocked while inhibited looks
    /// again.
    ///
    /// ```
    /// let reactor = wakeful_reactor::Reactor::new()?;
    /// let guard = reactor.inhibit_auto_advance();
    /// assert!(reactor.auto_advance_inhibited());
    /// std::thread::spawn(move || drop(guard)).join().unwrap();
    /// assert!(!reactor.auto_advance_inhibited());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn inhibit_auto_advance(&self) -> AutoAdvanceInhibitor {
        self.inhibitors.fetch_add(1, Ordering::SeqCst);
        AutoAdvanceInhibitor { count: self.inhibitors.clone(), unparker: self.unparker() }
    }

    /// True while an [`AutoAdvanceInhibitor`] of this reactor is alive.
    pub fn auto_advance_inhibited(&self) -> bool {
        self.inhibitors.load(Ordering::SeqCst) > 0
    }

    /// Advances the wheel to `now` and pushes the wakers of the timers due onto `due`
    /// sorted by deadline (ties in wheel order), so that under a paused clock, where
    /// many timers come due at one jump, tasks run in the order of their deadlines.
    pub(super) fn fire_in_order(&self, now: u64, due: &mut Vec<(Waker, Woken)>) -> usize {
        let mut fired = Vec::new();
        let count =
            self.timers.borrow_mut().advance_with(now, |deadline, waker| fired.push((deadline, waker)));
        fired.sort_by_key(|&(deadline, _)| deadline);
        due.extend(
            fired
                .into_iter()
                .map(|(deadline, waker)| (waker, Woken::Timer { deadline: self.deadline(deadline) })),
        );
        count
    }

    fn count_fired(&self, fired: usize, auto: bool) {
        let mut stats = self.stats.get();
        stats.timers_fired += fired as u64;
        stats.auto_advances += u64::from(auto);
        self.stats.set(stats);
    }

    /// The last instant the wheel can name: `u64::MAX` nanoseconds after the start (or,
    /// where an `Instant` cannot hold that, a century from now).
    fn end_of_time(&self) -> Instant {
        self.start.checked_add(Duration::from_nanos(u64::MAX)).unwrap_or_else(|| self.instant(u64::MAX))
    }
}

/// Keeps a reactor's paused clock from auto-advancing while it lives; from
/// [`Reactor::inhibit_auto_advance`].
#[derive(Debug)]
#[must_use = "auto-advance is inhibited only while the guard lives"]
pub struct AutoAdvanceInhibitor {
    count: Arc<std::sync::atomic::AtomicUsize>,
    unparker: Unparker,
}

impl Drop for AutoAdvanceInhibitor {
    fn drop(&mut self) {
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            // A park that found auto-advance inhibited blocked with no timer bound:
            // make it look again.
            self.unparker.unpark();
        }
    }
}
