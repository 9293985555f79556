//! The future of [`Sender::closed`](super::Sender::closed): waits until no receiver
//! is left.

use super::Shared;
use crate::waiters::{with_waker, WaitKey};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Completes once the channel has no receiver; leaves the line when dropped.
pub(super) struct Closed<'a, T> {
    pub(super) shared: &'a Shared<T>,
    pub(super) key: Option<WaitKey>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let shared = this.shared;
        with_waker(cx.waker(), |slot| {
            let mut waiters = shared.closed_waiters.borrow_mut();
            if shared.receivers.get() == 0 {
                let removed = this.key.take().and_then(|key| waiters.remove(key));
                drop(waiters);
                drop(removed);
                return Ok(Poll::Ready(()));
            }
            // Woken by the last receiver's drop, but a `subscribe` came first: wait on.
            waiters.requeue(&mut this.key, slot)?;
            Ok(Poll::Pending)
        })
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let removed = self.shared.closed_waiters.borrow_mut().remove(key);
            drop(removed);
        }
    }
}
