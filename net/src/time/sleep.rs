//! [`sleep`], [`sleep_until`] and the [`Sleep`] future.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use wakeful_executor::coop;
use wakeful_reactor::{Reactor, TimerKey};

use super::Instant;
use crate::context;

/// Waits until `duration` has elapsed.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// wakeful::block_on(async {
///     let start = Instant::now();
///     wakeful::time::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
///
/// The deadline is `duration` after [`Instant::now`] on the clock of the runtime running
/// when `sleep` is called (outside any runtime, the OS clock): see
/// [the paused clock](super#the-paused-clock).
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(after(Instant::now(), duration))
}

/// Waits until `deadline`: a [`wakeful::time::Instant`](Instant) or a
/// `std::time::Instant`.
pub fn sleep_until(deadline: impl Into<Instant>) -> Sleep {
    Sleep { deadline: deadline.into(), timer: None }
}

/// `start + duration`, saturating: a sum past what an `Instant` can hold (as with
/// `Duration::MAX`) becomes a deadline that never comes. Every deadline wakeful
/// computes from a user's duration goes through here, so none can overflow.
pub(crate) fn after(start: Instant, duration: Duration) -> Instant {
    start.checked_add(duration).unwrap_or_else(|| start.max(far_future()))
}

/// About thirty years from now: "never", as an `Instant` that every platform can hold
/// (from a clock advanced to the end of time: then).
fn far_future() -> Instant {
    let now = Instant::now();
    now.checked_add(Duration::from_secs(86_400 * 365 * 30)).unwrap_or(now)
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// The timer is registered with the reactor on the first poll (a deadline already
/// passed completes at once, registering nothing), and removed on drop.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wakeful::time::sleep;
///
/// wakeful::block_on(async {
///     let mut nap = Box::pin(sleep(Duration::from_secs(3600)));
///     // Changed our mind: wake in 5 ms instead.
///     nap.as_mut().reset(Instant::now() + Duration::from_millis(5));
///     nap.as_mut().await;
///     assert!(nap.is_elapsed());
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    /// The reactor's timer, once polled. The `Rc` keeps the reactor reachable for
    /// `Drop`, wherever this `Sleep` is dropped.
    timer: Option<(Rc<Reactor>, TimerKey)>,
}

impl Sleep {
    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True if the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (a [`wakeful::time::Instant`](Instant) or a
    /// `std::time::Instant`), re-arming a sleep that had already completed.
    pub fn reset(self: Pin<&mut Self>, deadline: impl Into<Instant>) {
        let this = self.get_mut();
        this.deadline = deadline.into();
        if let Some((reactor, key)) = &this.timer {
            reactor.reset_timer(*key, this.deadline.into_std());
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A sleep already over completes at once: without spending the task's budget,
        // a `sleep(Duration::ZERO)` loop, or an interval catching up in a burst, would
        // never yield.
        ready!(coop::poll_proceed(cx));
        self.poll_unbudgeted(cx)
    }
}

impl Sleep {
    /// `poll` without spending the task's budget: for a [`Timeout`](super::Timeout)
    /// whose future spent the last unit, so that its deadline is still looked at.
    pub(crate) fn poll_unbudgeted(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match &this.timer {
            Some((reactor, key)) => {
                if reactor.poll_timer(*key, cx.waker()) {
                    return Poll::Ready(());
                }
                if context::is_current(reactor) {
                    return Poll::Pending;
                }
                // First polled in another runtime, since dropped or not the one running
                // here now: its reactor would never fire the timer. Move it here.
                this.unregister();
                this.register(cx)
            }
            None => this.register(cx),
        }
    }

    /// Takes the timer out of the wheel (dropping its waker); the next poll puts it
    /// back, deadline unchanged.
    pub(crate) fn unregister(&mut self) {
        if let Some((reactor, key)) = self.timer.take() {
            reactor.remove_timer(key);
        }
    }

    /// Completes at once if the deadline has passed on this thread's clock (registering
    /// nothing); otherwise puts the timer in the wheel of this thread's reactor. One
    /// look at the thread's context for both: this is every sleep's first poll.
    fn register(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline.into_std();
        let reactor = context::with_current(|reactor| match reactor {
            Some(reactor) if reactor.now() >= deadline => None,
            Some(reactor) => Some(reactor.clone()),
            None if std::time::Instant::now() >= deadline => None,
            None => panic!("wakeful::time::Sleep polled: {}", context::no_runtime()),
        });
        let Some(reactor) = reactor else { return Poll::Ready(()) };
        let key = reactor.insert_timer(deadline, cx.waker());
        self.timer = Some((reactor, key));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}
