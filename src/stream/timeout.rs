//! [`Timeout`]: a deadline on each item of a stream.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;
use pin_project_lite::pin_project;
use wakeful_net::time::{sleep_until, Sleep};

pin_project! {
    /// Each item as `Ok`, and `Err(Elapsed)` when a period passes with none; from
    /// [`timeout`](super::StreamExt::timeout).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Timeout<S> {
        #[pin]
        stream: Fuse<S>,
        sleep: Option<Sleep>,
        duration: Duration,
    }
}

use super::Fuse;

impl<S> Timeout<S> {
    pub(super) fn new(stream: S, duration: Duration) -> Self {
        Timeout { stream: Fuse::new(stream), sleep: None, duration }
    }
}

/// A period passed with no item, from [`Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl<S: Stream> Stream for Timeout<S> {
    type Item = Result<S::Item, Elapsed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if let Poll::Ready(item) = this.stream.poll_next(cx) {
            *this.sleep = None; // the next period starts at the next poll
            return Poll::Ready(item.map(Ok));
        }
        // A period starts when the stream is first found with nothing; a duration too
        // large for an `Instant` (Duration::MAX) never elapses.
        let Some(deadline) = Instant::now().checked_add(*this.duration) else {
            return Poll::Pending;
        };
        let sleep = this.sleep.get_or_insert_with(|| sleep_until(deadline));
        if Pin::new(&mut *sleep).poll(cx).is_ready() {
            *this.sleep = None;
            return Poll::Ready(Some(Err(Elapsed(()))));
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.stream.size_hint().0, None)
    }
}
