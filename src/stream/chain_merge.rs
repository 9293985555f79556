//! The stream adapters of [`StreamExt`](super::StreamExt) that read two streams as
//! one: [`chain`](super::StreamExt::chain) and [`merge`](super::StreamExt::merge).
//! Like the one-stream adapters, they add no waker of their own.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;

use super::adapters::Fuse;

pin_project! {
    /// One stream's items, then another's; from [`chain`](super::StreamExt::chain).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Chain<A, B> { #[pin] first: Fuse<A>, #[pin] second: B }
}

impl<A, B> Chain<A, B> {
    pub(super) fn new(first: A, second: B) -> Self {
        Chain { first: Fuse::new(first), second }
    }
}

impl<A: Stream, B: Stream<Item = A::Item>> Stream for Chain<A, B> {
    type Item = A::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<A::Item>> {
        let this = self.project();
        if let Some(item) = ready!(this.first.poll_next(cx)) {
            return Poll::Ready(Some(item));
        }
        this.second.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        add_hints(self.first.size_hint(), self.second.size_hint())
    }
}

pin_project! {
    /// Two streams' items as they come; from [`merge`](super::StreamExt::merge).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Merge<A, B> { #[pin] a: Fuse<A>, #[pin] b: Fuse<B>, a_first: bool }
}

impl<A, B> Merge<A, B> {
    pub(super) fn new(a: A, b: B) -> Self {
        Merge { a: Fuse::new(a), b: Fuse::new(b), a_first: true }
    }
}

impl<A: Stream, B: Stream<Item = A::Item>> Stream for Merge<A, B> {
    type Item = A::Item;

    // The side polled first alternates, starting with `self`'s as tokio_stream's, so
    // that two always-ready streams take turns.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<A::Item>> {
        let mut this = self.project();
        let a_first = *this.a_first;
        *this.a_first = !a_first;
        let mut ended = 0;
        for turn in [false, true] {
            let poll = match a_first == turn {
                true => this.b.as_mut().poll_next(cx),
                false => this.a.as_mut().poll_next(cx),
            };
            match poll {
                Poll::Ready(Some(item)) => return Poll::Ready(Some(item)),
                Poll::Ready(None) => ended += 1,
                Poll::Pending => {}
            }
        }
        if ended == 2 {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        add_hints(self.a.size_hint(), self.b.size_hint())
    }
}

fn add_hints(
    (low_a, high_a): (usize, Option<usize>),
    (low_b, high_b): (usize, Option<usize>),
) -> (usize, Option<usize>) {
    let high = match (high_a, high_b) {
        (Some(a), Some(b)) => a.checked_add(b),
        _ => None,
    };
    (low_a.saturating_add(low_b), high)
}
