//! The future behind [`Receiver::changed`](super::Receiver::changed) and
//! [`Sender::closed`](super::Sender::closed): it checks its condition, else waits in
//! the matching line, and leaves the line when dropped.

use super::{RecvError, Shared};
use crate::waiters::{WaitKey, WaitList};
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
        if let Some(done) = self.check() {
            if let Some(key) = self.key.take() {
                let stale = self.line().borrow_mut().remove(key);
                drop(stale);
            }
            return Poll::Ready(done);
        }
        let this = &mut *self;
        // No key yet; or woken (and so out of the line) by the last receiver's drop,
        // then a new one subscribed before this poll: join the line again.
        let replaced = this.line().borrow_mut().requeue(&mut this.key, cx.waker());
        drop(replaced); // after the borrow: a waker's drop may re-enter the channel
        Poll::Pending
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
