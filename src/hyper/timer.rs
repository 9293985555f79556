//! [`HyperTimer`] and its [`HyperSleep`]: wakeful's timer wheel behind hyper's
//! `Timer`, with sleeps that are `Send + Sync` without any `unsafe`.
//!
//! A wakeful [`Sleep`](crate::time::Sleep) holds an `Rc` of its thread's reactor, so
//! it is `!Send`. A [`HyperSleep`] holds only its deadline and, once polled, the
//! [`TimerKey`] of its timer plus an `Arc<Home>`: a `Send` stand-in for the reactor
//! that holds the timer. The reactor itself is only ever reached through this thread's
//! table of homes, so a sleep on another thread cannot touch it; what it can do there
//! is post the key to the home's mailbox, which the reactor's thread empties the next
//! time it polls a `HyperSleep` of that reactor.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use wakeful_executor::coop;
use wakeful_net::context;
use wakeful_reactor::{Reactor, TimerKey};

/// hyper's [`Timer`] on wakeful's timer wheel: give it to hyper's builders
/// (`.timer(HyperTimer)`) for `header_read_timeout`, keep-alive timeouts and the like.
///
/// Its sleeps are [`HyperSleep`]s. [`reset`](Timer::reset) moves a `HyperSleep`'s
/// deadline in place (no new allocation, no new timer); any other sleep is replaced.
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperTimer;

impl Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(HyperSleep::new(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(HyperSleep::until(deadline))
    }

    /// The runtime's clock: paused with it (`wakeful::time::pause`), as the sleeps are.
    fn now(&self) -> Instant {
        now()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(ours) => ours.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A sleep that is `Send + Sync`, as hyper's [`Sleep`] requires: it may be moved to,
/// polled on, and dropped on any thread.
///
/// - Polled on a wakeful runtime, it completes at its deadline, never before. Its
///   timer lives in the reactor of the runtime that polled it last: polled on another
///   runtime (on this thread or another), it registers there, and leaves the old one.
/// - Dropped, reset or moved on the timer's own thread, it removes or moves its timer
///   at once. Elsewhere it cannot touch that reactor: it posts the timer to it instead,
///   and the reactor's thread removes it when it next polls a `HyperSleep` (until then,
///   or if it never does, the timer may fire into its waker: a spurious wake).
/// - A deadline already passed completes without a runtime; polled outside any wakeful
///   runtime otherwise, it panics, as [`wakeful::time::Sleep`](crate::time::Sleep) does.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wakeful::hyper::HyperSleep;
///
/// fn is_send_sync<T: Send + Sync>(_: &T) {}
///
/// wakeful::block_on(async {
///     let start = Instant::now();
///     let nap = HyperSleep::new(Duration::from_millis(5));
///     is_send_sync(&nap);
///     nap.await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct HyperSleep {
    deadline: Instant,
    timer: Option<Registered>,
}

/// A timer in a reactor's wheel: which reactor (its home), and which timer.
struct Registered {
    home: Arc<Home>,
    key: TimerKey,
}

/// A reactor as seen from any thread: an identity (the `Arc`'s address, unique while
/// anyone holds it) and a mailbox of timers that sleeps elsewhere gave up.
#[derive(Default)]
struct Home {
    orphans: Mutex<Vec<TimerKey>>,
    /// Set after a key is pushed: lets the reactor's thread skip the lock when empty.
    has_orphans: AtomicBool,
}

/// The current runtime's clock (real time outside a runtime), as `std::time::Instant`.
fn now() -> Instant {
    crate::time::Instant::now().into_std()
}

thread_local! {
    /// The homes of this thread's reactors. The `Weak` keeps each reactor's allocation,
    /// so no later reactor can take its address while the entry exists.
    static HOMES: RefCell<Vec<(Weak<Reactor>, Arc<Home>)>> = const { RefCell::new(Vec::new()) };
}

impl HyperSleep {
    /// Completes after `duration`; saturating, as [`wakeful::time::sleep`](crate::time::sleep)
    /// (`Duration::MAX` never completes).
    pub fn new(duration: Duration) -> HyperSleep {
        HyperSleep::until(crate::time::sleep(duration).deadline().into_std())
    }

    /// Completes at `deadline`.
    pub fn until(deadline: Instant) -> HyperSleep {
        HyperSleep { deadline, timer: None }
    }

    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True if the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        now() >= self.deadline
    }

    /// Moves the deadline, earlier or later, re-arming a sleep that had completed.
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        if let Some(timer) = &this.timer {
            match reactor_of(&timer.home) {
                Some(reactor) => reactor.reset_timer(timer.key, deadline),
                // Not this thread's: the next poll registers the new deadline.
                None => this.unregister(),
            }
        }
    }

    /// Takes the timer out of its reactor's wheel, or posts it there if that reactor is
    /// not reachable from this thread.
    fn unregister(&mut self) {
        if let Some(Registered { home, key }) = self.timer.take() {
            match reactor_of(&home) {
                Some(reactor) => reactor.remove_timer(key),
                None => home.post(key),
            }
        }
    }
}

impl Future for HyperSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        if this.timer.is_none() && now() >= this.deadline {
            return Poll::Ready(());
        }
        let reactor = match context::current() {
            Ok(reactor) => reactor,
            // Registered once, but the deadline has passed: done, with or without a
            // runtime (drop or reset deals with the timer, wherever it is).
            Err(_) if now() >= this.deadline => return Poll::Ready(()),
            Err(err) => panic!("wakeful::hyper::HyperSleep polled: {err}"),
        };
        if let Some(timer) = &this.timer {
            if is_home_of(&timer.home, &reactor) {
                timer.home.remove_orphans(&reactor);
                return match reactor.poll_timer(timer.key, cx.waker()) {
                    true => Poll::Ready(()),
                    false => Poll::Pending,
                };
            }
            // Registered with another runtime, whose reactor would not wake us here.
            this.unregister();
            if now() >= this.deadline {
                return Poll::Ready(());
            }
        }
        let home = home_of(&reactor);
        home.remove_orphans(&reactor);
        let key = reactor.insert_timer(this.deadline, cx.waker());
        this.timer = Some(Registered { home, key });
        Poll::Pending
    }
}

impl Sleep for HyperSleep {}

impl Drop for HyperSleep {
    fn drop(&mut self) {
        self.unregister();
    }
}

impl fmt::Debug for HyperSleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperSleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.timer.is_some())
            .finish()
    }
}

impl Home {
    /// Leaves `key` for the reactor's own thread to remove.
    fn post(&self, key: TimerKey) {
        self.orphans.lock().unwrap_or_else(PoisonError::into_inner).push(key);
        self.has_orphans.store(true, Ordering::Release);
    }

    /// Removes the timers posted here; `reactor` must be this home's.
    fn remove_orphans(&self, reactor: &Reactor) {
        if !self.has_orphans.swap(false, Ordering::Acquire) {
            return;
        }
        let keys = std::mem::take(&mut *self.orphans.lock().unwrap_or_else(PoisonError::into_inner));
        // With the lock released: removing a timer drops its waker, which runs code. If
        // that code panics, the guard posts back the keys not yet removed.
        let mut rest = Repost { home: self, keys: keys.into_iter() };
        for key in rest.keys.by_ref() {
            reactor.remove_timer(key);
        }
    }
}

/// The keys a drain of a home's mailbox has yet to remove, put back when dropped (only
/// a panic leaves any): without it, a waker panicking in its `Drop` would leave every
/// timer posted behind its own in the wheel for good.
struct Repost<'a> {
    home: &'a Home,
    keys: std::vec::IntoIter<TimerKey>,
}

impl Drop for Repost<'_> {
    fn drop(&mut self) {
        if !self.keys.as_slice().is_empty() {
            self.home.orphans.lock().unwrap_or_else(PoisonError::into_inner).extend(self.keys.by_ref());
            self.home.has_orphans.store(true, Ordering::Release);
        }
    }
}

/// The home of `reactor`, one of this thread's, made on first use.
fn home_of(reactor: &Rc<Reactor>) -> Arc<Home> {
    HOMES.with(|homes| {
        let mut homes = homes.borrow_mut();
        if let Some((_, home)) = homes.iter().find(|(r, _)| std::ptr::eq(r.as_ptr(), Rc::as_ptr(reactor))) {
            return home.clone();
        }
        // Forget the reactors since dropped (this runs no user code: a `Weak` and a
        // `Home` hold none), so the table stays as small as the live reactors.
        homes.retain(|(r, _)| r.strong_count() > 0);
        let home = Arc::new(Home::default());
        homes.push((Rc::downgrade(reactor), home.clone()));
        home
    })
}

/// True if `home` is `reactor`'s.
fn is_home_of(home: &Arc<Home>, reactor: &Rc<Reactor>) -> bool {
    HOMES.with(|homes| {
        homes
            .borrow()
            .iter()
            .any(|(r, h)| Arc::ptr_eq(h, home) && std::ptr::eq(r.as_ptr(), Rc::as_ptr(reactor)))
    })
}

/// The reactor of `home` if it is alive and on this thread; `None` on any other thread,
/// and during this thread's exit (when its table may already be gone).
fn reactor_of(home: &Arc<Home>) -> Option<Rc<Reactor>> {
    HOMES
        .try_with(|homes| {
            let homes = homes.try_borrow().ok()?;
            homes.iter().find(|(_, h)| Arc::ptr_eq(h, home)).and_then(|(r, _)| r.upgrade())
        })
        .ok()
        .flatten()
}
