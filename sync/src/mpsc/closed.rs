//! `Sender::closed`'s future, for both flavours.

use super::chan::Chan;
use crate::waiters::WaitKey;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// `Sender::closed`'s future, for both flavours.
pub(super) struct Closed<'a, T> {
    pub(super) chan: &'a Chan<T>,
    pub(super) key: Option<WaitKey>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.chan.poll_closed(&mut this.key, cx)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_closed(key);
        }
    }
}
