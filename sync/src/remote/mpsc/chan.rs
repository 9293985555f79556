//! The state both flavours share, behind one mutex: the queue, the receiver's waker,
//! the senders' counts, the free slots of a bounded channel and the tasks waiting
//! for one, and the `closed()` waiters.
//!
//! A bounded channel of `bound` slots counts the `free` ones. A sender takes a slot
//! before it queues a message (a reserved permit), the slot travels with the
//! message, and the receiver gives it back when it takes the message out. A slot
//! given back goes straight to the first waiting sender (marked granted and woken),
//! or to `free` if nobody waits; so `free > 0` only while nobody waits, and a
//! `try_send` cannot overtake a waiting `send`.
//!
//! No user code runs under the lock: every function returns the wakers (and the
//! messages) it takes out, to be woken or dropped once the guard is gone.

mod recv;

use super::super::lock;
use crate::waiters::{wake_all, with_waker, WaitKey, WaitList};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

pub(super) struct Chan<T> {
    state: Mutex<State<T>>,
    /// The number of slots; `None` when unbounded.
    pub(super) bound: Option<usize>,
}

struct State<T> {
    queue: VecDeque<T>,
    /// The receiver's task, stored only while it waits.
    rx_waker: Option<Waker>,
    /// `close()` was called or the receiver dropped: sends and reserves fail.
    rx_closed: bool,
    /// The receiver is dropped: a reserved slot's message is dropped, not queued.
    rx_gone: bool,
    senders: usize,
    weak_senders: usize,
    /// Free slots of a bounded channel; more than 0 only while `send_waiters` is empty.
    free: usize,
    /// Senders waiting for a slot; the value says whether one was granted to it.
    send_waiters: WaitList<bool>,
    /// Tasks in `Sender::closed()`.
    closed_waiters: WaitList<()>,
}

/// Why a slot could not be taken now.
pub(super) enum NoSlot {
    Full,
    Closed,
}

impl<T> Chan<T> {
    pub(super) fn new(bound: Option<usize>) -> Chan<T> {
        Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                rx_waker: None,
                rx_closed: false,
                rx_gone: false,
                senders: 1,
                weak_senders: 0,
                free: bound.unwrap_or(0),
                send_waiters: WaitList::default(),
                closed_waiters: WaitList::default(),
            }),
            bound,
        }
    }

    /// Queues a message of an unbounded channel, unless the receiver is closed.
    pub(super) fn send_unbounded(&self, value: T) -> Result<(), T> {
        let mut state = lock(&self.state);
        if state.rx_closed {
            return Err(value);
        }
        state.queue.push_back(value);
        let waker = state.rx_waker.take();
        drop(state);
        wake_all(waker);
        Ok(())
    }

    /// Queues the message of a reserved slot. A closed receiver still takes it (as
    /// tokio's); a dropped one cannot, so the message is dropped and the slot freed.
    pub(super) fn send_reserved(&self, value: T) {
        let mut state = lock(&self.state);
        if state.rx_gone {
            state.free += 1;
            drop(state);
            drop(value);
            return;
        }
        state.queue.push_back(value);
        let waker = state.rx_waker.take();
        drop(state);
        wake_all(waker);
    }

    /// Takes a free slot and queues `value` in it, under one lock; gives the value
    /// back if there is no free slot (or somebody waits for one) or the receiver is
    /// closed.
    pub(super) fn try_send(&self, value: T) -> Result<(), (NoSlot, T)> {
        let mut state = lock(&self.state);
        if state.rx_closed {
            return Err((NoSlot::Closed, value));
        }
        if state.free == 0 {
            return Err((NoSlot::Full, value));
        }
        state.free -= 1;
        state.queue.push_back(value);
        let waker = state.rx_waker.take();
        drop(state);
        wake_all(waker);
        Ok(())
    }

    /// Takes a free slot, if any and if nobody waits for one.
    pub(super) fn try_reserve(&self) -> Result<(), NoSlot> {
        let mut state = lock(&self.state);
        if state.rx_closed {
            Err(NoSlot::Closed)
        } else if state.free > 0 {
            debug_assert!(state.send_waiters.is_empty(), "free slots while senders wait");
            state.free -= 1;
            Ok(())
        } else {
            Err(NoSlot::Full)
        }
    }

    /// A sender's wait for a slot; `key` is its place in the queue of waiters.
    /// `Err(())` once the receiver is closed.
    pub(super) fn poll_reserve(
        &self,
        key: &mut Option<WaitKey>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ()>> {
        let (poll, removed) = with_waker(cx.waker(), |slot| {
            let mut state = lock(&self.state);
            if let Some(k) = *key {
                if state.send_waiters.is_queued(k) {
                    state.send_waiters.set_waker(k, slot)?;
                    return Ok((Poll::Pending, None));
                }
                // Dequeued: granted a slot, or failed by `close`.
                *key = None;
                let (granted, waker) =
                    state.send_waiters.remove(k).expect("a dequeued waiter keeps its slot");
                return Ok((Poll::Ready(if granted { Ok(()) } else { Err(()) }), waker));
            }
            if state.rx_closed {
                return Ok((Poll::Ready(Err(())), None));
            }
            if state.free > 0 {
                state.free -= 1;
                return Ok((Poll::Ready(Ok(())), None));
            }
            *key = Some(state.send_waiters.push_back(false, Some(slot.take()?)));
            Ok((Poll::Pending, None))
        });
        drop(removed);
        poll
    }

    /// A reserve dropped while waiting: leaves the queue, and passes on a slot it was
    /// granted but never saw, so no slot is stranded.
    pub(super) fn cancel_reserve(&self, key: WaitKey) {
        let mut state = lock(&self.state);
        let removed = state.send_waiters.remove(key);
        let (next, rx) = match removed {
            Some((true, _)) => self.release_locked(&mut state),
            _ => (None, None),
        };
        drop(state);
        drop(removed);
        wake_all(next.into_iter().chain(rx));
    }

    /// A reserved slot given back without a message (a permit dropped unused).
    pub(super) fn release(&self) {
        let mut state = lock(&self.state);
        let (next, rx) = self.release_locked(&mut state);
        drop(state);
        wake_all(next.into_iter().chain(rx));
    }

    /// Gives a slot back: to the first waiting sender (returning its waker), else to
    /// `free`. Also returns the receiver's waker if the channel is closed and this
    /// was the last slot in flight, so that `recv` can see the end.
    fn release_locked(&self, state: &mut State<T>) -> (Option<Waker>, Option<Waker>) {
        if let Some(next) = Self::grant_or_free(state) {
            return (Some(next), None);
        }
        let rx = if state.rx_closed && self.is_idle(state) { state.rx_waker.take() } else { None };
        (None, rx)
    }

    /// Gives a slot back, as the receiver does when it takes a message out (so it
    /// need not wake itself): to the first waiting sender, returning its waker, else
    /// to `free`.
    fn grant_or_free(state: &mut State<T>) -> Option<Waker> {
        if let Some((granted, waker)) = state.send_waiters.pop_front() {
            *granted = true;
            debug_assert!(waker.is_some(), "a waiting sender always leaves a waker");
            return waker;
        }
        state.free += 1;
        None
    }

    /// Whether no message is in flight: none queued and no slot reserved.
    fn is_idle(&self, state: &State<T>) -> bool {
        state.queue.is_empty() && self.bound.is_none_or(|bound| state.free == bound)
    }

    /// Whether `recv` returns `None` once the queue is empty.
    fn is_finished(&self, state: &State<T>) -> bool {
        (state.rx_closed || state.senders == 0) && self.is_idle(state)
    }

    /// Fails every later send and reserve, and every waiting one; completes `closed()`.
    pub(super) fn close(&self) {
        let mut state = lock(&self.state);
        let wakers = Self::close_locked(&mut state);
        drop(state);
        wake_all(wakers);
    }

    /// Marks the receiver closed; returns the wakers of the waiting senders and of
    /// the `closed()` waiters, to be woken after the lock.
    fn close_locked(state: &mut State<T>) -> Vec<Waker> {
        state.rx_closed = true;
        let mut wakers = state.send_waiters.take_all();
        wakers.extend(state.closed_waiters.take_all());
        wakers
    }

    /// The receiver is dropped: closes, and drops the queued messages (after the lock:
    /// a message's `Drop` may use this channel). Closing and emptying happen under
    /// one lock, before any waker runs: a waker that panics must not leave the
    /// messages queued (a message holding a sender would keep the channel alive).
    pub(super) fn drop_rx(&self) {
        let mut state = lock(&self.state);
        let wakers = Self::close_locked(&mut state);
        state.rx_gone = true;
        let queue = std::mem::take(&mut state.queue);
        if self.bound.is_some() {
            state.free += queue.len();
        }
        let waker = state.rx_waker.take();
        drop(state);
        // Every waiter is woken even if a message's `Drop` panics, and every message
        // dropped even if a `wake` panics; the first panic goes on afterwards.
        let woken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wake_all(wakers)));
        drop(queue);
        drop(waker);
        if let Err(payload) = woken {
            std::panic::resume_unwind(payload);
        }
    }

    /// Whether sends fail: the receiver closed or dropped (a sender's view).
    pub(super) fn is_closed(&self) -> bool {
        lock(&self.state).rx_closed
    }

    /// Whether no message can come any more: closed, or every sender gone (the
    /// receiver's view, as tokio's `Receiver::is_closed`).
    pub(super) fn rx_is_closed(&self) -> bool {
        let state = lock(&self.state);
        state.rx_closed || state.senders == 0
    }

    pub(super) fn len(&self) -> usize {
        lock(&self.state).queue.len()
    }

    pub(super) fn free(&self) -> usize {
        lock(&self.state).free
    }

    pub(super) fn add_sender(&self) {
        lock(&self.state).senders += 1;
    }

    /// The last sender leaving wakes the receiver, which then sees the end.
    pub(super) fn drop_sender(&self) {
        let mut state = lock(&self.state);
        state.senders -= 1;
        let waker = if state.senders == 0 { state.rx_waker.take() } else { None };
        drop(state);
        wake_all(waker);
    }

    /// Adds a sender if one still exists (a weak sender's `upgrade`).
    pub(super) fn try_add_sender(&self) -> bool {
        let mut state = lock(&self.state);
        let alive = state.senders > 0;
        if alive {
            state.senders += 1;
        }
        alive
    }

    pub(super) fn add_weak(&self, delta: isize) {
        let mut state = lock(&self.state);
        state.weak_senders = state.weak_senders.checked_add_signed(delta).expect("weak sender count");
    }

    pub(super) fn counts(&self) -> (usize, usize) {
        let state = lock(&self.state);
        (state.senders, state.weak_senders)
    }

    /// A sender's wait for the receiver to close; `key` is its place among the waiters.
    pub(super) fn poll_closed(&self, key: &mut Option<WaitKey>, cx: &mut Context<'_>) -> Poll<()> {
        let (poll, removed) = with_waker(cx.waker(), |slot| {
            let mut state = lock(&self.state);
            if state.rx_closed {
                let removed = key.take().and_then(|key| state.closed_waiters.remove(key));
                return Ok((Poll::Ready(()), removed));
            }
            state.closed_waiters.requeue(key, slot)?;
            Ok((Poll::Pending, None))
        });
        drop(removed);
        poll
    }

    pub(super) fn cancel_closed(&self, key: WaitKey) {
        let removed = lock(&self.state).closed_waiters.remove(key);
        drop(removed);
    }
}
