//! [`Notify`]: wake one waiting task, or all of them, with no data attached.
//!
//! ```
//! use std::rc::Rc;
//! use wakeful::sync::Notify;
//!
//! wakeful::block_on(async {
//!     let ready = Rc::new(Notify::new());
//!     let waiter = wakeful::spawn({
//!         let ready = ready.clone();
//!         async move { ready.notified().await; "notified" }
//!     });
//!     ready.notify_one(); // stored as a permit if the task has not waited yet
//!     assert_eq!(waiter.await.unwrap(), "notified");
//! });
//! ```
//!
//! Semantics, as tokio's:
//! - [`notify_one`](Notify::notify_one) wakes the longest-waiting [`Notified`]; with
//!   nobody waiting it stores one permit (at most one), which the next `notified()`
//!   consumes at once.
//! - [`notify_last`](Notify::notify_last) is `notify_one` for the most recent waiter.
//! - [`notify_waiters`](Notify::notify_waiters) wakes every `Notified` that exists at
//!   the time of the call, polled or not, and stores no permit.
//! - A `Notified` woken by `notify_one` but dropped before it saw the notification
//!   hands it on to the next waiter (or back as the permit): none is lost.
//!
//! # Differences from tokio
//!
//! - `Notify` is `!Send`: it serves the tasks of one thread.
//! - A `Notified` polled after it completed returns `Ready` again rather than
//!   anything undefined.

use crate::waiters::{park, park_new, wake_all, WaitKey, WaitList};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Notifies tasks that wait on it; see the [module docs](self).
#[derive(Default)]
pub struct Notify {
    /// A stored `notify_one` that nobody took yet.
    permit: Cell<bool>,
    /// Counts `notify_waiters` calls, so that a `Notified` created before one (even if
    /// never polled) knows it was included.
    waiters_calls: Cell<u64>,
    waiters: RefCell<WaitList<Wakeup>>,
}

/// Takes one waiter out of the line: its first or its last.
type Pop = fn(&mut WaitList<Wakeup>) -> Option<(&mut Wakeup, Option<Waker>)>;

/// What woke a queued `Notified`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wakeup {
    Waiting,
    /// By `notify_one`: to be handed on if the future is dropped unseen.
    One,
    /// By `notify_last`: handed on the same way.
    Last,
    All,
}

impl Notify {
    /// A `Notify` with no stored permit.
    pub fn new() -> Notify {
        Notify::default()
    }

    /// A future that completes when this is notified. Creating it already includes it
    /// in [`notify_waiters`](Self::notify_waiters); it joins the `notify_one` queue when
    /// first polled or [`enable`](Notified::enable)d.
    pub fn notified(&self) -> Notified<'_> {
        Notified { notify: self, state: State::Init { calls: self.waiters_calls.get() } }
    }

    /// Wakes the longest-waiting `Notified`, or stores a permit if nobody waits.
    pub fn notify_one(&self) {
        self.notify_from(WaitList::pop_front, Wakeup::One);
    }

    /// Wakes the most recently queued `Notified`, or stores a permit if nobody waits.
    pub fn notify_last(&self) {
        self.notify_from(WaitList::pop_back, Wakeup::Last);
    }

    fn notify_from(&self, pop: Pop, how: Wakeup) {
        let waker = {
            let mut waiters = self.waiters.borrow_mut();
            match pop(&mut waiters) {
                Some((wakeup, waker)) => {
                    *wakeup = how;
                    waker
                }
                None => {
                    self.permit.set(true);
                    None
                }
            }
        };
        if let Some(waker) = waker {
            waker.wake(); // one waker: nothing after it to strand if it panics
        }
    }

    /// Wakes every `Notified` that exists now; stores no permit.
    pub fn notify_waiters(&self) {
        self.waiters_calls.set(self.waiters_calls.get().wrapping_add(1));
        let mut woken = Vec::new();
        {
            let mut waiters = self.waiters.borrow_mut();
            while let Some((wakeup, waker)) = waiters.pop_front() {
                *wakeup = Wakeup::All;
                woken.extend(waker);
            }
        }
        wake_all(woken);
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify")
            .field("permit", &self.permit.get())
            .field("waiters", &self.waiters.borrow().len())
            .finish()
    }
}

/// The future of [`Notify::notified`]. Cancel-safe: dropping it gives its place up, and
/// a `notify_one` it received but did not report goes to the next waiter.
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Not queued yet; `calls` is `notify_waiters`'s count at creation.
    Init {
        calls: u64,
    },
    Queued(WaitKey),
    Done,
}

impl Notified<'_> {
    /// Joins the queue without a waker, so that a `notify_one` from now on is kept for
    /// this future. Returns whether it is already notified (a stored permit, which this
    /// consumes, or an earlier `notify_waiters`). Does nothing once queued or done.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().advance()
    }

    /// Moves the state machine on, queueing with no waker (see `waiters::park`);
    /// returns whether the notification arrived. Runs no user code.
    fn advance(&mut self) -> bool {
        let notify = self.notify;
        match self.state {
            State::Done => true,
            State::Init { calls } => {
                if calls != notify.waiters_calls.get() || notify.permit.replace(false) {
                    self.state = State::Done;
                    return true;
                }
                let key = notify.waiters.borrow_mut().push_back(Wakeup::Waiting, None);
                self.state = State::Queued(key);
                false
            }
            State::Queued(key) => {
                let removed = {
                    let mut waiters = notify.waiters.borrow_mut();
                    if waiters.is_queued(key) {
                        return false;
                    }
                    waiters.remove(key)
                };
                drop(removed);
                self.state = State::Done;
                true
            }
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let fresh = matches!(this.state, State::Init { .. });
        if this.advance() {
            return Poll::Ready(());
        }
        let State::Queued(key) = this.state else { unreachable!("advance queues or completes") };
        let parked = match fresh {
            true => park_new(&this.notify.waiters, |waiters| waiters, key, cx.waker()),
            false => park(&this.notify.waiters, |waiters| waiters, key, cx.waker()),
        };
        if parked {
            return Poll::Pending;
        }
        // Notified during the clone: collect it now.
        let notified = this.advance();
        debug_assert!(notified, "a dequeued waiter completes");
        Poll::Ready(())
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let State::Queued(key) = self.state else { return };
        let removed = self.notify.waiters.borrow_mut().remove(key);
        if let Some((wakeup, waker)) = removed {
            drop(waker);
            match wakeup {
                // Ours, unseen: pass it on as it came, as tokio does.
                Wakeup::One => self.notify.notify_one(),
                Wakeup::Last => self.notify.notify_last(),
                Wakeup::Waiting | Wakeup::All => {}
            }
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").field("state", &self.state).finish()
    }
}
