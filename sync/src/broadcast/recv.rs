//! The future of [`Receiver::recv`](super::Receiver::recv): a `try_recv`, else a
//! place in the channel's line of waiters, given up when the future is dropped.

use super::error::{RecvError, TryRecvError};
use super::Receiver;
use crate::waiter_list::Key;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of [`Receiver::recv`]; leaves the line of waiters when dropped.
pub(super) struct Recv<'a, T> {
    pub(super) rx: &'a mut Receiver<T>,
    pub(super) key: Option<Key>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let done = match this.rx.try_recv() {
            Ok(value) => Ok(value),
            Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
            Err(TryRecvError::Closed) => Err(RecvError::Closed),
            Err(TryRecvError::Empty) => {
                let mut line = this.rx.shared.waiters.borrow_mut();
                let mut replaced = None;
                match this.key.map(|key| line.update(key, cx.waker())) {
                    Some(Ok(old)) => replaced = old,
                    // No place yet, or woken out of the line by a send this receiver
                    // does not see (it subscribed after it): wait again.
                    None | Some(Err(())) => this.key = Some(line.push(cx.waker())),
                }
                drop(line);
                drop(replaced);
                return Poll::Pending;
            }
        };
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
