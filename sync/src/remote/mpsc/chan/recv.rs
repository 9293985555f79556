//! The receiving half of [`Chan`]: taking messages out (giving their slots back to
//! waiting senders) and waiting for them.

use super::{Chan, State};
use crate::remote::lock;
use crate::waiters::{wake_all, with_waker};
use std::task::{Context, Poll, Waker};

impl<T> Chan<T> {
    /// Takes up to `limit` messages into `out`,
    /// giving their slots back; returns how many, and the wakers of the senders
    /// granted those slots.
    fn take_locked(&self, state: &mut State<T>, out: &mut Vec<T>, limit: usize) -> (usize, Vec<Waker>) {
        let n = limit.min(state.queue.len());
        out.extend(state.queue.drain(..n));
        let mut wakers = Vec::new();
        if self.bound.is_some() {
            for _ in 0..n {
                wakers.extend(Self::grant_or_free(state));
            }
        }
        (n, wakers)
    }

    pub(in crate::remote::mpsc) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let (poll, next) = with_waker(cx.waker(), |slot| {
            let mut state = lock(&self.state);
            if let Some(value) = state.queue.pop_front() {
                let next = if self.bound.is_some() { Self::grant_or_free(&mut state) } else { None };
                return Ok((Poll::Ready(Some(value)), next));
            }
            if self.is_finished(&state) {
                return Ok((Poll::Ready(None), None));
            }
            slot.store_in(&mut state.rx_waker)?;
            Ok((Poll::Pending, None))
        });
        wake_all(next);
        poll
    }

    pub(in crate::remote::mpsc) fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let (poll, wakers) = with_waker(cx.waker(), |slot| {
            let mut state = lock(&self.state);
            let (n, wakers) = self.take_locked(&mut state, buffer, limit);
            if n > 0 {
                return Ok((Poll::Ready(n), wakers));
            }
            if self.is_finished(&state) {
                return Ok((Poll::Ready(0), wakers));
            }
            slot.store_in(&mut state.rx_waker)?;
            Ok((Poll::Pending, wakers))
        });
        wake_all(wakers);
        poll
    }

    pub(in crate::remote::mpsc) fn try_recv(&self) -> Result<T, crate::remote::mpsc::error::TryRecvError> {
        use crate::remote::mpsc::error::TryRecvError;
        let mut state = lock(&self.state);
        if let Some(value) = state.queue.pop_front() {
            let next = if self.bound.is_some() { Self::grant_or_free(&mut state) } else { None };
            drop(state);
            wake_all(next);
            return Ok(value);
        }
        if self.is_finished(&state) {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// A `recv` dropped while waiting takes its waker out.
    pub(in crate::remote::mpsc) fn forget_rx_waker(&self) {
        let waker = lock(&self.state).rx_waker.take();
        drop(waker);
    }
}
