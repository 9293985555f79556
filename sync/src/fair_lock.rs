//! [`FairLock`]: the bookkeeping shared by [`Mutex`](crate::mutex::Mutex) (writes only)
//! and [`RwLock`](crate::rwlock::RwLock): who holds the lock, and a FIFO line of who
//! waits for it.
//!
//! Fairness is by hand-off: a release does not merely wake the first waiter to race for
//! the lock, it *grants* the lock to the waiters at the head of the line (one writer, or
//! every reader up to the next writer) and then wakes them. A granted waiter finds itself
//! dequeued on its next poll, frees its slot, and owns the lock. Nobody may take the lock
//! while anyone waits, so a waiting writer holds back readers that come after it.
//!
//! A waiting future that is dropped leaves the line; if it had been granted the lock
//! but never saw it, it releases the lock in turn, so the grant passes on and is never
//! lost.

mod guarded;
pub(crate) use guarded::Guarded;
pub use guarded::TryLockError;

use crate::waiters::{with_waker, NeedsClone, WaitKey, WaitList, WakerSlot, Woken};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What a waiter asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

#[derive(Debug)]
pub(crate) struct FairLock {
    state: RefCell<State>,
}

#[derive(Debug)]
struct State {
    /// Read guards alive (or granted and not yet seen by their futures).
    readers: u32,
    /// Most readers at once; a reader beyond them waits like a writer would.
    max_readers: u32,
    /// Whether a write guard is alive (or granted).
    writer: bool,
    line: WaitList<Access>,
}

impl State {
    fn can_take(&self, access: Access) -> bool {
        match access {
            Access::Read => !self.writer && self.readers < self.max_readers,
            Access::Write => !self.writer && self.readers == 0,
        }
    }

    fn take(&mut self, access: Access) {
        match access {
            Access::Read => self.readers += 1,
            Access::Write => self.writer = true,
        }
    }

    /// Grants the lock to the head of the line for as long as it fits, collecting the
    /// wakers of those served (to be woken once the state is no longer borrowed).
    fn grant(&mut self, wake: &mut Woken) {
        while let Some(&access) = self.line.front() {
            if !self.can_take(access) {
                break;
            }
            self.take(access);
            let (_, waker) = self.line.pop_front().expect("front exists");
            wake.extend(waker);
        }
    }
}

impl FairLock {
    pub(crate) fn new(max_readers: u32) -> FairLock {
        let line = WaitList::default();
        FairLock { state: RefCell::new(State { readers: 0, max_readers, writer: false, line }) }
    }

    /// Takes the lock now if it is free and nobody waits for it.
    pub(crate) fn try_acquire(&self, access: Access) -> bool {
        let mut state = self.state.borrow_mut();
        let free = state.line.is_empty() && state.can_take(access);
        if free {
            state.take(access);
        }
        free
    }

    /// Waits in line for the lock. The future is cancel-safe: dropped, it leaves the
    /// line (or passes on a grant it never saw).
    pub(crate) fn acquire(&self, access: Access) -> Acquire<'_> {
        Acquire { lock: self, access, key: None, done: false }
    }

    /// Gives back what a guard held, and grants the lock to whoever is next.
    pub(crate) fn release(&self, access: Access) {
        let mut wake = Woken::default();
        {
            let mut state = self.state.borrow_mut();
            match access {
                Access::Read => state.readers -= 1,
                Access::Write => state.writer = false,
            }
            state.grant(&mut wake);
        }
        wake.wake();
    }

    /// Counts one reader while the write lock is held: the first half of a downgrade,
    /// whose second half is releasing the write lock (which then lets in the readers
    /// at the head of the line).
    pub(crate) fn add_reader_under_write(&self) {
        let mut state = self.state.borrow_mut();
        debug_assert!(state.writer && state.readers == 0);
        state.readers += 1;
    }
}

/// The future of [`FairLock::acquire`]; resolves once the lock is held.
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    lock: &'a FairLock,
    access: Access,
    key: Option<WaitKey>,
    done: bool,
}

impl Future for Acquire<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.done, "`Acquire` polled after completion");
        let this = &mut *self;
        with_waker(cx.waker(), |slot| this.attempt(slot))
    }
}

impl Acquire<'_> {
    /// Takes the lock, or joins (or stays in) the line, with the state borrowed for
    /// this call only; changes nothing if it asks for a clone of the waker.
    fn attempt(&mut self, slot: &mut WakerSlot<'_>) -> Result<Poll<()>, NeedsClone> {
        let mut state = self.lock.state.borrow_mut();
        match self.key {
            None => {
                if state.line.is_empty() && state.can_take(self.access) {
                    state.take(self.access);
                    self.done = true;
                    return Ok(Poll::Ready(()));
                }
                let key = state.line.push_back(self.access, Some(slot.take()?));
                self.key = Some(key);
                Ok(Poll::Pending)
            }
            Some(key) if state.line.is_queued(key) => {
                state.line.set_waker(key, slot)?;
                Ok(Poll::Pending)
            }
            Some(key) => {
                // Our waiter left the line without us: the lock was granted to us.
                let removed = state.line.remove(key);
                drop(state);
                drop(removed); // its waker (none: taken when granted), outside the borrow
                self.key = None;
                self.done = true;
                Ok(Poll::Ready(()))
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        if self.done {
            return;
        }
        let mut wake = Woken::default();
        let (queued, removed);
        {
            let mut state = self.lock.state.borrow_mut();
            queued = state.line.is_queued(key);
            removed = state.line.remove(key);
            if queued {
                // Leaving may unblock those behind us (readers behind a writer).
                state.grant(&mut wake);
            }
        }
        if !queued {
            // Granted but never seen: hand the lock on.
            self.lock.release(self.access);
        }
        drop(removed);
        wake.wake();
    }
}
