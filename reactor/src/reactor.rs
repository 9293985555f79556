//! [`Reactor`]: the selector, the registration table and the timer wheel, turned
//! together by [`Reactor::turn`].

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::registration::{Check, Registrations};
use crate::sys::{self, UNPARK_TOKEN};
use crate::timer_wheel::{TimerKey, TimerPoll, TimerWheel};
use crate::{Direction, Readiness, Token, WaiterKey, Woken};

/// Events taken from the OS per turn; more stay queued in the kernel for the next.
const EVENTS_PER_TURN: usize = 1024;

/// Timers whose deadlines fall within this window of the earliest share its wakeup (one
/// syscall, one context switch) instead of one each; a lone timer wakes exactly on
/// time. The window includes the OS's timer slack (`TimerWheel::next_wakeup`), so no
/// timer is woken later than this past its deadline, plus the OS's latency.
///
/// With dense timers this window sets both figures: wakeups ≈ one per window, mean
/// lateness ≈ half a window plus the OS's latency. A simulation of 100k random timers in
/// 1 s (`batch_rule_figures` in `timer_wheel/tests.rs`) gives 7 418 wakeups and a mean
/// of 57 µs at 125 µs, 4 781 and 94 µs at 200 µs. Measured on the benchmark machine
/// (BENCHMARKS.md, "Timers"), a wakeup costs ~6 µs of CPU, and 125 µs is the widest
/// window whose mean lateness stays under 0.1 ms: 88 µs, at tokio's CPU (200 µs: 131 µs).
const TIMER_BATCH_NANOS: u64 = 125_000;

/// Waits for I/O readiness and timers, and wakes whoever waits on them.
///
/// A reactor belongs to one thread (it is `!Send`); other threads reach it only
/// through an [`Unparker`]. All methods take `&self`: tables live in `RefCell`s that
/// are never borrowed while a waker runs.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wakeful_reactor::Reactor;
///
/// let reactor = Reactor::new()?;
/// let key = reactor.insert_timer(Instant::now() + Duration::from_millis(2), std::task::Waker::noop());
/// while !reactor.poll_timer(key, std::task::Waker::noop()) {
///     reactor.turn(None)?; // waits for the timer, no longer
/// }
/// reactor.remove_timer(key);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Reactor {
    selector: sys::Selector,
    /// Shared with every [`Unparker`].
    unpark: Arc<CoalescedUnpark>,
    /// Reused by every turn, so waiting allocates nothing.
    events: RefCell<sys::Events>,
    sources: RefCell<Registrations>,
    timers: RefCell<TimerWheel>,
    /// Time 0 of the timer wheel, whose deadlines are nanoseconds since.
    start: Instant,
    /// What "now" is for the timers: the OS clock, or a paused one (`reactor/paused.rs`).
    clock: Clock,
    /// Reasons not to auto-advance a paused clock (work in flight on other threads),
    /// counted by `AutoAdvanceInhibitor`s, which any
    /// thread may drop.
    inhibitors: Arc<AtomicUsize>,
    /// The wakers a turn collects, each with what ended its wait, woken after every
    /// table borrow is released. Kept between turns for its capacity.
    due: RefCell<Vec<(Waker, Woken)>>,
    stats: Cell<ReactorStats>,
}

/// Counters of one reactor since it was created.
///
/// ```
/// use std::time::Duration;
///
/// let reactor = wakeful_reactor::Reactor::new()?;
/// reactor.turn(Some(Duration::ZERO))?;
/// assert_eq!(reactor.stats().turns, 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReactorStats {
    /// Calls to [`Reactor::turn`] (blocking or not).
    pub turns: u64,
    /// I/O events delivered to a live registration (stale and unpark events excluded).
    pub events: u64,
    /// Timers that reached their deadline.
    pub timers_fired: u64,
    /// Turns that an [`Unparker`] ended or found pending (wakes from other threads).
    pub unparks: u64,
    /// Jumps of a paused clock to the next timer's deadline ([`Reactor::auto_advance`]).
    pub auto_advances: u64,
}

impl Reactor {
    /// Creates the OS poller and its cross-thread unparker.
    pub fn new() -> io::Result<Reactor> {
        let selector = sys::Selector::new()?;
        let unparker = sys::Unparker::new(&selector)?;
        Ok(Reactor {
            selector,
            unpark: Arc::new(CoalescedUnpark { pending: AtomicBool::new(false), sys: unparker }),
            events: RefCell::new(sys::Events::with_capacity(EVENTS_PER_TURN)),
            sources: RefCell::new(Registrations::default()),
            timers: RefCell::new(TimerWheel::default()),
            start: Instant::now(),
            clock: Clock::new(),
            inhibitors: Arc::new(AtomicUsize::new(0)),
            due: RefCell::new(Vec::new()),
            stats: Cell::new(ReactorStats::default()),
        })
    }

    /// Starts watching `fd`, which must be non-blocking and stay open until
    /// [`deregister`](Self::deregister). Edge-triggered, read and write, once.
    pub fn register(&self, fd: RawFd) -> io::Result<Token> {
        let token = self.sources.borrow_mut().insert(fd);
        if let Err(e) = self.selector.register(fd, token.as_u64()) {
            self.sources.borrow_mut().remove(token);
            return Err(e);
        }
        Ok(token)
    }

    /// Stops watching the fd of `token`; call before closing it. Events already queued
    /// for it are dropped by the token's generation check.
    pub fn deregister(&self, token: Token) -> io::Result<()> {
        let source = self.sources.borrow_mut().remove(token);
        match source {
            Some(source) => self.selector.deregister(source.fd),
            None => Err(not_registered()),
        }
    }

    /// `Ready` with the cached readiness if `dir` may proceed; otherwise the waker is
    /// kept in the waiter's place among `dir`'s waiters (`waiter` is set to its key on
    /// the first wait), all of which the turn that sees the source change wakes.
    ///
    /// A future that stops waiting before it is woken hands its key back with
    /// [`cancel_wait`](Self::cancel_wait), so that its waker is not left behind.
    /// Callers that keep no state of their own (a `poll_read`) share one key per
    /// direction: the last task to poll is the one woken.
    pub fn poll_ready(
        &self,
        token: Token,
        dir: Direction,
        waiter: &mut Option<WaiterKey>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Readiness>> {
        // Look, then store: the waker is cloned with no table borrowed, as a clone runs
        // the waker's own code, which may call back into the reactor.
        let check = self.sources.borrow_mut().get_mut(token).map(|s| s.check(dir, waiter, cx.waker()));
        match check {
            None => Poll::Ready(Err(not_registered())),
            Some(Check::Ready(readiness, own_waker)) => {
                drop(own_waker);
                Poll::Ready(Ok(readiness))
            }
            Some(Check::Waiting) => Poll::Pending,
            Some(Check::NeedsWaker) => {
                let waker = cx.waker().clone();
                let mut sources = self.sources.borrow_mut();
                let stored = match sources.get_mut(token) {
                    Some(source) => Ok(source.store(dir, waiter, waker)),
                    None => Err(waker), // deregistered by the clone, of all things
                };
                drop(sources);
                let poll = if stored.is_ok() { Poll::Pending } else { Poll::Ready(Err(not_registered())) };
                drop(stored); // the waker it replaced, or ours: outside the borrow
                poll
            }
        }
    }

    /// Gives up the place `waiter` holds among `dir`'s waiters (if it still holds one)
    /// and drops its waker: for a waiting future that is dropped or stops waiting.
    pub fn cancel_wait(&self, token: Token, dir: Direction, waiter: &mut Option<WaiterKey>) {
        let Some(key) = waiter.take() else { return };
        let removed = self.sources.borrow_mut().get_mut(token).and_then(|s| s.waiters(dir).remove(key));
        drop(removed); // outside the borrow: dropping a waker runs its own code
    }

    /// How many futures wait on `token` in `dir`: for tests and diagnostics.
    pub fn waiters(&self, token: Token, dir: Direction) -> usize {
        self.sources.borrow_mut().get_mut(token).map_or(0, |s| s.waiters(dir).len())
    }

    /// The cached readiness, without storing a waker: for operations that try once
    /// and never wait (`try_read`).
    pub fn readiness(&self, token: Token) -> io::Result<Readiness> {
        match self.sources.borrow_mut().get_mut(token) {
            Some(source) => Ok(source.readiness()),
            None => Err(not_registered()),
        }
    }

    /// Forgets the bits of `observed` that let `dir` proceed: call this when an
    /// operation tried because of `observed` returned `WouldBlock`.
    pub fn clear_readiness(&self, token: Token, dir: Direction, observed: Readiness) {
        if let Some(source) = self.sources.borrow_mut().get_mut(token) {
            source.clear_readiness(dir, observed);
        }
    }

    /// Adds a timer that wakes `waker` at or after `deadline`, never before.
    pub fn insert_timer(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        let deadline = self.nanos(deadline);
        let waker = waker.clone(); // before the borrow: a clone runs the waker's code
        self.timers.borrow_mut().insert(deadline, waker)
    }

    /// True once the timer has fired; otherwise `waker` is the one it will wake.
    pub fn poll_timer(&self, key: TimerKey, waker: &Waker) -> bool {
        let found = self.timers.borrow().poll(key, waker);
        match found {
            TimerPoll::Fired => true,
            TimerPoll::Waiting => false,
            TimerPoll::NeedsWaker => {
                let waker = waker.clone();
                let replaced = self.timers.borrow_mut().set_waker(key, waker);
                drop(replaced); // outside the borrow: dropping a waker runs its code
                false
            }
        }
    }

    /// Moves a timer to a new deadline, re-arming it if it had fired.
    pub fn reset_timer(&self, key: TimerKey, deadline: Instant) {
        let deadline = self.nanos(deadline);
        self.timers.borrow_mut().reset(key, deadline);
    }

    /// Cancels a timer and frees its entry; the key must not be used again.
    pub fn remove_timer(&self, key: TimerKey) {
        let waker = self.timers.borrow_mut().remove(key);
        drop(waker); // outside the borrow: dropping a waker runs its code
    }

    /// A handle that interrupts [`turn`](Self::turn) from any thread.
    pub fn unparker(&self) -> Unparker {
        Unparker(self.unpark.clone())
    }

    /// Counters since creation.
    pub fn stats(&self) -> ReactorStats {
        self.stats.get()
    }

    /// Registered sources and pending timers: what could still wake someone.
    pub fn len(&self) -> (usize, usize) {
        (self.sources.borrow().len(), self.timers.borrow().len())
    }

    /// One turn of the event loop — the heart of a wakeup:
    ///
    /// 1. bound the wait by the nearest timer (`None` = no other bound);
    /// 2. block in `epoll_wait` / `kevent` until an event, the timeout, or an unpark;
    /// 3. for each event, find its source by token, merge the readiness, and take the
    ///    wakers of the directions it ends;
    /// 4. advance the timer wheel to now, taking the wakers of timers due (done before
    ///    step 3, so that they are woken first: see there);
    /// 5. with every table released, wake them all.
    ///
    /// Time is the reactor's clock ([`now`](Self::now)): while it is paused, a timer
    /// bounds the wait only if it is already due, and step ④ fires timers in deadline
    /// order (`reactor/paused.rs`).
    ///
    /// Returns how many wakers were woken. Wakeups may be spurious: a woken task must
    /// retry its operation and be ready to wait again. A waker that panics when woken
    /// does not stop the others, nor the turn: its panic is reported by the panic hook
    /// and dropped.
    pub fn turn(&self, timeout: Option<Duration>) -> io::Result<usize> {
        self.turn_with(timeout, |waker, _| waker.wake())
    }

    /// [`turn`](Self::turn), handing each waker to `wake` instead of waking it, with
    /// what ended its wait: an event on an fd (the bits that end a wait in the
    /// waiter's direction) or a timer (its deadline). `wake` should wake it; the
    /// runtime passes the reason on as the woken task's cause. Timers come first,
    /// then events, each in the order the OS reported them. A panic in `wake` is
    /// contained as a waker's is in `turn`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use wakeful_reactor::{Reactor, Woken};
    ///
    /// let reactor = Reactor::new()?;
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// reactor.insert_timer(deadline, std::task::Waker::noop());
    /// let mut seen = Vec::new();
    /// while seen.is_empty() {
    ///     reactor.turn_with(None, |waker, woken| { seen.push(woken); waker.wake() })?;
    /// }
    /// assert!(matches!(seen[..], [Woken::Timer { deadline: at }] if at == deadline));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn turn_with(&self, timeout: Option<Duration>, wake: impl FnMut(Waker, Woken)) -> io::Result<usize> {
        // ① The wait ends at the first timer, or at the last of a close group of timers
        // (to the nanosecond where the OS allows, else rounded up to a millisecond:
        // never early, never a busy-spin).
        // A paused clock moves only by hand: a timer bounds the wait only if it is due.
        let paused = self.clock.is_paused();
        let batch = if paused { 0 } else { TIMER_BATCH_NANOS };
        let timeout = match self.timers.borrow_mut().next_wakeup(batch) {
            Some(deadline) => {
                let until = self.instant(deadline).saturating_duration_since(self.clock.now());
                if paused && !until.is_zero() {
                    timeout
                } else {
                    Some(timeout.map_or(until, |t| t.min(until)))
                }
            }
            None => timeout,
        };

        // ② Block. A turn that may not wait, with no source registered, skips the
        // syscall: only the unparker could report, and the flag below tells whether it
        // was used (its edge then ends the next blocking wait at once: one spurious
        // turn). A runtime whose tasks only wake each other so pays no syscall every
        // `event_interval` polls (a quarter of its time in a wake ping-pong).
        let mut events = self.events.borrow_mut();
        if timeout != Some(Duration::ZERO) || self.sources.borrow().len() > 0 {
            self.selector.select(&mut events, timeout)?;
        } else {
            events.clear();
        }
        // From here on a new unpark must write again: the executor drains its remote
        // queue after this returns, so any wake it misses has a fresh unpark.
        // A swap, not a store: reading the flag synchronizes with the unparker that set
        // it, so its queue push is visible to the drain that follows (on weakly ordered
        // CPUs a plain store would let the drain miss it, and the runtime sleep).
        // Set means another thread unparked since the last turn, though its write may
        // not have landed yet: its wake is queued all the same, so it counts as an
        // unpark (a paused clock's park must not jump past that task).
        let flagged = self.unpark.pending.swap(false, Ordering::SeqCst);

        // ④ Timers, taken first: the executor queues woken tasks in wake order and may
        // run a whole batch before the next turn, so a timer that fell due early in a
        // busy batch would otherwise queue behind every socket that became ready after
        // it, and wait two batches instead of one.
        let mut due = self.due.take();
        let now = self.nanos(self.clock.now());
        let fired = if paused {
            self.fire_in_order(now, &mut due)
        } else {
            self.timers.borrow_mut().advance_with(now, |deadline, waker| {
                due.push((waker, Woken::Timer { deadline: self.deadline(deadline) }))
            })
        };

        // ③ Readiness.
        let mut delivered = 0;
        let mut unparked = flagged;
        {
            let mut sources = self.sources.borrow_mut();
            for (raw, ready) in events.iter() {
                if raw == UNPARK_TOKEN {
                    unparked = true;
                    // An unpark: its only job was to end the wait. Edge-triggered, so
                    // there is nothing to reset (one syscall saved per remote wake).
                } else if let Some(source) = sources.get_mut(Token::from_event(raw)) {
                    source.set_readiness(ready, &mut due);
                    delivered += 1;
                }
                // Otherwise the token is stale: its source was deregistered after
                // the kernel queued the event. Dropping it is the point of tokens.
            }
        }
        drop(events);

        let mut stats = self.stats.get();
        stats.turns += 1;
        stats.events += delivered;
        stats.timers_fired += fired as u64;
        stats.unparks += u64::from(unparked);
        self.stats.set(stats);

        // ⑤ Wake, outside every borrow.
        Ok(self.wake_all(due, wake))
    }

    /// Wakes every waker of `due`, then keeps the vector for its capacity. A waker that
    /// panics is contained: the panic hook has reported it, and it must not stop the
    /// others, nor the loop that turns this reactor (one connection's bad waker would
    /// end a whole server).
    fn wake_all(&self, mut due: Vec<(Waker, Woken)>, mut wake: impl FnMut(Waker, Woken)) -> usize {
        let woken = due.len();
        for (waker, why) in due.drain(..) {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| wake(waker, why))) {
                drop_payload(payload);
            }
        }
        *self.due.borrow_mut() = due;
        woken
    }

    /// Nanoseconds from the reactor's start to `at` (saturating: 0 before the start,
    /// `u64::MAX`, some 584 years, for anything later).
    #[inline] // `turn_with` is compiled in its caller's crate: keep this in it too
    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX)
    }

    /// A timer's deadline, given in nanoseconds after the start, as an `Instant`: the
    /// one it was inserted with, unless it was beyond what the wheel can name.
    #[inline]
    fn deadline(&self, nanos: u64) -> Instant {
        self.start.checked_add(Duration::from_nanos(nanos)).unwrap_or_else(|| self.instant(nanos))
    }

    /// The instant `nanos` after the start.
    fn instant(&self, nanos: u64) -> Instant {
        let now = self.clock.now();
        let far = now.checked_add(Duration::from_secs(100 * 365 * 86_400)).unwrap_or(now);
        self.start.checked_add(Duration::from_nanos(nanos)).map_or(far, |t| t.min(far))
    }
}

/// Drops the payload of a contained panic. Its `Drop` is user code too: should that
/// panic as well, the second payload is leaked, not unwound, so the wakers still to be
/// woken are not lost.
fn drop_payload(payload: Box<dyn std::any::Any + Send>) {
    if let Err(again) = panic::catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(again);
    }
}

fn not_registered() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "wakeful-reactor: source is not registered with this reactor")
}

/// The OS unparker behind a flag, so that a burst of unparks costs one syscall.
#[derive(Debug)]
struct CoalescedUnpark {
    /// Set by the first unpark since the last turn; later unparks skip the syscall.
    pending: AtomicBool,
    sys: sys::Unparker,
}

/// Interrupts a reactor's blocking [`Reactor::turn`] from any thread.
///
/// ```
/// use std::time::Duration;
/// use wakeful_reactor::Reactor;
///
/// let reactor = Reactor::new()?;
/// let unparker = reactor.unparker();
/// std::thread::spawn(move || unparker.unpark()).join().unwrap();
/// // Returns at once, not after an hour.
/// reactor.turn(Some(Duration::from_secs(3600)))?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A burst of unparks between two turns costs one syscall. Unparking a reactor that
/// is not waiting makes its next turn return at once. Safe to use after the reactor is
/// dropped: it then does nothing useful, and nothing harmful.
#[derive(Clone, Debug)]
pub struct Unparker(Arc<CoalescedUnpark>);

impl Unparker {
    /// Makes the reactor's current or next turn return.
    pub fn unpark(&self) {
        if self.0.pending.swap(true, Ordering::SeqCst) {
            return;
        }
        if self.0.sys.unpark().is_err() {
            // Writing to our own eventfd / kqueue cannot fail short of fd exhaustion
            // bugs; let the next unpark retry the syscall instead of trusting the flag.
            self.0.pending.store(false, Ordering::SeqCst);
        }
    }
}

mod paused;
pub use paused::AutoAdvanceInhibitor;

mod waiting;
pub use waiting::{Waiting, WaitsFor};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod reentrancy_tests;

#[cfg(test)]
mod paused_tests;
