//! [`Semaphore`]: a count of permits that tasks acquire and give back, first come
//! first served.
//!
//! ```
//! use std::rc::Rc;
//! use wakeful::sync::Semaphore;
//!
//! wakeful::block_on(async {
//!     let limit = Rc::new(Semaphore::new(2));
//!     let a = limit.clone().acquire_owned().await.unwrap();
//!     let _b = limit.acquire().await.unwrap();
//!     assert_eq!(limit.available_permits(), 0);
//!     assert!(limit.try_acquire().is_err());
//!     drop(a); // a permit goes back when it is dropped
//!     assert_eq!(limit.available_permits(), 1);
//! });
//! ```
//!
//! Fairness: waiters are served in the order they first polled. Permits that come
//! back go to the waiter at the head of the queue, even if it needs more than are
//! free and a later, smaller request could be served: no request starves. While
//! anyone waits, [`available_permits`](Semaphore::available_permits) is 0 and
//! `try_acquire` fails, as in tokio.
//!
//! # Differences from tokio
//!
//! - `acquire_owned` and friends take `self: Rc<Self>` (tokio: `Arc<Self>`), and the
//!   semaphore is `!Send`.
//! - `acquire`/`acquire_many` return named futures ([`Acquire`]) rather than being
//!   `async fn`; they are used the same way.
//! - No `const_new` and no `blocking` variants: one thread cannot block on itself.

use crate::waiters::{park, park_new, wake_all, WaitKey, WaitList, Woken};
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

mod error;
mod permit;
pub use error::{AcquireError, TryAcquireError};
pub use permit::{OwnedSemaphorePermit, SemaphorePermit};

/// A counting semaphore for the tasks of one thread.
pub struct Semaphore {
    state: RefCell<State>,
}

struct State {
    /// Permits nobody holds or waits for; 0 whenever a waiter is queued.
    permits: usize,
    closed: bool,
    waiters: WaitList<Request>,
}

/// What a queued acquire still needs.
struct Request {
    /// Permits still missing; 0 once served.
    needed: usize,
    /// Permits already handed to this waiter, given back if it leaves unserved.
    assigned: usize,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold (tokio's value).
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS), as tokio's does.
    pub fn new(permits: usize) -> Semaphore {
        assert!(permits <= Self::MAX_PERMITS, "a semaphore may not have more than MAX_PERMITS permits");
        Semaphore { state: RefCell::new(State { permits, closed: false, waiters: WaitList::default() }) }
    }

    /// Permits free right now.
    pub fn available_permits(&self) -> usize {
        self.state.borrow().permits
    }

    /// Adds `n` permits, serving waiters in order first.
    ///
    /// # Panics
    ///
    /// If the total would exceed [`MAX_PERMITS`](Self::MAX_PERMITS), as tokio's does.
    pub fn add_permits(&self, n: usize) {
        let woken = {
            let mut state = self.state.borrow_mut();
            let total = state.permits.checked_add(n).filter(|&t| t <= Self::MAX_PERMITS);
            assert!(total.is_some(), "a semaphore may not have more than MAX_PERMITS permits");
            state.permits += n;
            if state.waiters.is_empty() {
                return; // the common case: nobody to serve, nothing to wake
            }
            let mut woken = Woken::default();
            state.serve(&mut woken);
            woken
        };
        woken.wake();
    }

    /// Takes up to `n` free permits out of the semaphore for good; returns how many.
    pub fn forget_permits(&self, n: usize) -> usize {
        let mut state = self.state.borrow_mut();
        let taken = n.min(state.permits);
        state.permits -= taken;
        taken
    }

    /// Closes the semaphore: waiters and later acquires fail with [`AcquireError`].
    /// Permits already held stay valid and still come back when dropped.
    pub fn close(&self) {
        let woken = {
            let mut state = self.state.borrow_mut();
            state.closed = true;
            state.waiters.take_all()
        };
        wake_all(woken);
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }

    /// Waits for one permit. Cancel-safe: dropping the future gives its place up, and
    /// any permit already set aside for it goes to the next waiter.
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits, all at once. Cancel-safe, as [`acquire`](Self::acquire).
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        Acquire { semaphore: self, needed: n as usize, key: None, done: false }
    }

    /// Takes one permit if one is free and nobody waits.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody waits.
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_take(n as usize).map(|()| SemaphorePermit::new(self, n as usize))
    }

    /// [`acquire`](Self::acquire), with a permit that holds the semaphore alive.
    /// Cancel-safe.
    pub async fn acquire_owned(self: Rc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Self::acquire_many), with a permit that holds the semaphore
    /// alive. Cancel-safe.
    pub async fn acquire_many_owned(self: Rc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many(n).await?.forget();
        Ok(OwnedSemaphorePermit::new(self, n as usize))
    }

    /// [`try_acquire`](Self::try_acquire), with a permit that holds the semaphore alive.
    pub fn try_acquire_owned(self: Rc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Self::try_acquire_many), with a permit that holds the
    /// semaphore alive.
    pub fn try_acquire_many_owned(self: Rc<Self>, n: u32) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(n as usize)?;
        Ok(OwnedSemaphorePermit::new(self, n as usize))
    }

    /// [`acquire_many`](Self::acquire_many) for a count past `u32` (mpsc's `reserve_many`).
    pub(crate) fn acquire_usize(&self, n: usize) -> Acquire<'_> {
        Acquire { semaphore: self, needed: n, key: None, done: false }
    }

    /// Takes `n` permits, with no permit object, if they are free and nobody waits.
    pub(crate) fn try_take(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut state = self.state.borrow_mut();
        if state.closed {
            return Err(TryAcquireError::Closed);
        }
        if state.permits < n || !state.waiters.is_empty() {
            return Err(TryAcquireError::NoPermits);
        }
        state.permits -= n;
        Ok(())
    }

    /// Gives permits back (a permit's drop, a waiter leaving unserved).
    pub(crate) fn release(&self, n: usize) {
        if n > 0 {
            self.add_permits(n);
        }
    }
}

impl State {
    /// Hands free permits to the waiters at the head, in order, collecting the wakers
    /// of those now fully served.
    fn serve(&mut self, woken: &mut Woken) {
        while self.permits > 0 {
            let Some(front) = self.waiters.front_mut() else { break };
            let given = front.needed.min(self.permits);
            front.needed -= given;
            front.assigned += given;
            self.permits -= given;
            if front.needed > 0 {
                break;
            }
            if let Some((_, waker)) = self.waiters.pop_front() {
                woken.extend(waker);
            }
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Semaphore")
            .field("permits", &state.permits)
            .field("closed", &state.closed)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    needed: usize,
    /// Our place in the queue, once we had to wait.
    key: Option<WaitKey>,
    done: bool,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let semaphore = this.semaphore;
        let parked = match this.key {
            Some(key) => park(&semaphore.state, |state| &mut state.waiters, key, cx.waker()),
            None => {
                assert!(!this.done, "Acquire polled after completion");
                let mut state = semaphore.state.borrow_mut();
                if state.closed {
                    this.done = true;
                    return Poll::Ready(Err(AcquireError::new()));
                }
                if state.permits >= this.needed && (state.waiters.is_empty() || this.needed == 0) {
                    state.permits -= this.needed;
                    this.done = true;
                    return Poll::Ready(Ok(SemaphorePermit::new(semaphore, this.needed)));
                }
                // Take what is free now (0 while others wait) and queue for the rest,
                // with no waker yet: `park` clones one with nothing borrowed.
                let assigned = state.permits.min(this.needed);
                state.permits -= assigned;
                let request = Request { needed: this.needed - assigned, assigned };
                let key = *this.key.insert(state.waiters.push_back(request, None));
                drop(state);
                park_new(&semaphore.state, |state| &mut state.waiters, key, cx.waker())
            }
        };
        if parked {
            return Poll::Pending;
        }
        let key = this.key.expect("queued above");
        // Dequeued: served in full, or closed.
        let removed = semaphore.state.borrow_mut().waiters.remove(key);
        let (request, waker) = removed.expect("a dequeued waiter keeps its slot");
        drop(waker);
        this.key = None;
        this.done = true;
        if request.needed == 0 {
            return Poll::Ready(Ok(SemaphorePermit::new(semaphore, request.assigned)));
        }
        semaphore.release(request.assigned); // closed before we were served
        Poll::Ready(Err(AcquireError::new()))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let removed = self.semaphore.state.borrow_mut().waiters.remove(key);
        if let Some((request, waker)) = removed {
            drop(waker);
            // Permits set aside for us go to the next waiter (or back to the pool).
            self.semaphore.release(request.assigned);
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("needed", &self.needed).field("waiting", &self.key.is_some()).finish()
    }
}
