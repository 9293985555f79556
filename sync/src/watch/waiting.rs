//! The future behind [`Receiver::changed`](super::Receiver::changed) and
//! [`Sender::closed`](super::Sender::closed): it checks its condition, else waits in
//! the matching line, and leaves the line when dropped.

use super::{RecvError, Shared};
use crate::waiters::{with_waker, WaitKey, WaitList};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub(super) enum Until {
    /// A version other than this one, or no sender left.
    Newer(u64),
    /// No receiver left.
    NoReceivers,
}

/// The future of `changed()` and `closed()`; leaves its line when dropped.
pub(super) struct Waiting<'a, T> {
    pub(super) shared: &'a Shared<T>,
    pub(super) key: Option<WaitKey>,
    pub(super) until: Until,
}

impl<'a, T> Waiting<'a, T> {
    fn check(&self) -> Option<Result<(), RecvError>> {
        match self.until {
            Until::Newer(seen) if self.shared.version.get() != seen => Some(Ok(())),
            Until::Newer(_) if self.shared.senders.get() == 0 => Some(Err(RecvError(()))),
            Until::NoReceivers if self.shared.receivers.get() == 0 => Some(Ok(())),
            _ => None,
        }
    }

    fn line(&self) -> &'a RefCell<WaitList<()>> {
        match self.until {
            Until::Newer(_) => &self.shared.changed,
            Until::NoReceivers => &self.shared.closed,
        }
    }
}

impl<T> Future for Waiting<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // Checked again after a clone: it may have sent, or dropped the last half.
        let done = with_waker(cx.waker(), |slot| match this.check() {
            Some(done) => Ok(Some(done)),
            None => {
                // No key yet; or woken (and so out of the line) by the last receiver's
                // drop, then a new one subscribed before this poll: join the line again.
                this.line().borrow_mut().requeue(&mut this.key, slot)?;
                Ok(None)
            }
        });
        let Some(done) = done else { return Poll::Pending };
        if let Some(key) = this.key.take() {
            let stale = this.line().borrow_mut().remove(key);
            drop(stale);
        }
        Poll::Ready(done)
    }
}

impl<T> Drop for Waiting<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = self.line().borrow_mut().remove(key);
            drop(waker); // after the borrow: a waker's drop may re-enter the channel
        }
    }
}
