//! The future of [`Receiver::recv`](super::Receiver::recv): a `try_recv`, else a
//! place in the channel's line of waiters, given up when the future is dropped.

use super::error::{RecvError, TryRecvError};
use super::Receiver;
use crate::waiters::{with_waker, WaitKey};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of [`Receiver::recv`]; leaves the line of waiters when dropped.
pub(super) struct Recv<'a, T> {
    pub(super) rx: &'a mut Receiver<T>,
    pub(super) key: Option<WaitKey>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // `try_recv` again after a clone: it may have sent, or dropped the last sender.
        let done = with_waker(cx.waker(), |slot| match this.rx.try_recv() {
            Ok(value) => Ok(Some(Ok(value))),
            Err(TryRecvError::Lagged(n)) => Ok(Some(Err(RecvError::Lagged(n)))),
            Err(TryRecvError::Closed) => Ok(Some(Err(RecvError::Closed))),
            Err(TryRecvError::Empty) => {
                // No place yet, or woken out of the line by a send this receiver does
                // not see (it subscribed after it): wait again at the back.
                this.rx.shared.waiters.borrow_mut().requeue(&mut this.key, slot)?;
                Ok(None)
            }
        });
        let Some(done) = done else { return Poll::Pending };
        if let Some(key) = this.key.take() {
            let stale = this.rx.shared.waiters.borrow_mut().remove(key);
            drop(stale);
        }
        Poll::Ready(done)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = self.rx.shared.waiters.borrow_mut().remove(key);
            drop(waker); // after the borrow: a waker's drop may re-enter the channel
        }
    }
}
