//! [`Timeout`]: a deadline on each item of a stream.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use pin_project_lite::pin_project;
// The runtime's clock, which a test may pause: the sleep fires by the same clock.
use wakeful_net::time::{sleep_until, Instant, Sleep};

pin_project! {
    /// Each item as `Ok`, and one `Err(Elapsed)` when a period passes with none; from
    /// [`timeout`](super::StreamExt::timeout).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Timeout<S> {
        #[pin]
        stream: Fuse<S>,
        // `None` when the deadline is too far for an `Instant` (Duration::MAX): never.
        deadline: Option<Sleep>,
        duration: Duration,
        // False once `Elapsed` was yielded, until the next item: one error at most
        // between two items, as tokio_stream's.
        poll_deadline: bool,
    }
}

use super::Fuse;

impl<S> Timeout<S> {
    pub(super) fn new(stream: S, duration: Duration) -> Self {
        let deadline = Instant::now().checked_add(duration).map(sleep_until);
        Timeout { stream: Fuse::new(stream), deadline, duration, poll_deadline: true }
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
            if item.is_some() {
                // The next period runs from this item.
                match Instant::now().checked_add(*this.duration) {
                    Some(next) => match this.deadline {
                        Some(sleep) => Pin::new(sleep).reset(next),
                        None => *this.deadline = Some(sleep_until(next)),
                    },
                    None => *this.deadline = None,
                }
                *this.poll_deadline = true;
            }
            return Poll::Ready(item.map(Ok));
        }
        match this.deadline {
            Some(sleep) if *this.poll_deadline => {
                std::task::ready!(Pin::new(sleep).poll(cx));
                *this.poll_deadline = false;
                Poll::Ready(Some(Err(Elapsed(()))))
            }
            _ => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // An error at most before, between and after the items.
        let (low, high) = self.stream.size_hint();
        (low, high.and_then(|h| h.checked_mul(2)?.checked_add(1)))
    }
}
