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
mod slots;

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
