//! The slots of a bounded [`Chan`]: taking one (with or without waiting in line for
//! it), queuing a message in one, and giving one back to the next waiting sender.

use super::{Chan, NoSlot, State};
use crate::remote::lock;
use crate::waiters::{wake_all, with_waker, WaitKey};
use std::task::{Context, Poll, Waker};

impl<T> Chan<T> {
    /// Queues the message of a reserved slot. A closed receiver still takes it (as
    /// tokio's); a dropped one cannot, so the message is dropped and the slot freed.
    pub(in crate::remote::mpsc) fn send_reserved(&self, value: T) {
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
    pub(in crate::remote::mpsc) fn try_send(&self, value: T) -> Result<(), (NoSlot, T)> {
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
    pub(in crate::remote::mpsc) fn try_reserve(&self) -> Result<(), NoSlot> {
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
    pub(in crate::remote::mpsc) fn poll_reserve(
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
    pub(in crate::remote::mpsc) fn cancel_reserve(&self, key: WaitKey) {
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
    pub(in crate::remote::mpsc) fn release(&self) {
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
    pub(super) fn grant_or_free(state: &mut State<T>) -> Option<Waker> {
        if let Some((granted, waker)) = state.send_waiters.pop_front() {
            *granted = true;
            debug_assert!(waker.is_some(), "a waiting sender always leaves a waker");
            return waker;
        }
        state.free += 1;
        None
    }
}
