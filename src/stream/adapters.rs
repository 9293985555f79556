//! The stream adapters of [`StreamExt`](super::StreamExt) that wrap one stream: each
//! changes what it yields, never how it waits (they add no waker of their own). Those
//! that read two streams, `Chain` and `Merge`, are in `chain_merge`.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;

pin_project! {
    /// Each item passed through a function; from [`map`](super::StreamExt::map).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Map<S, F> { #[pin] stream: S, f: F }
}

impl<S, F> Map<S, F> {
    pub(super) fn new(stream: S, f: F) -> Self {
        Map { stream, f }
    }
}

impl<T, S: Stream, F: FnMut(S::Item) -> T> Stream for Map<S, F> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.project();
        this.stream.poll_next(cx).map(|item| item.map(this.f))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}

pin_project! {
    /// The items a predicate accepts; from [`filter`](super::StreamExt::filter).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Filter<S, F> { #[pin] stream: S, f: F }
}

impl<S, F> Filter<S, F> {
    pub(super) fn new(stream: S, f: F) -> Self {
        Filter { stream, f }
    }
}

impl<S: Stream, F: FnMut(&S::Item) -> bool> Stream for Filter<S, F> {
    type Item = S::Item;

    // Rejected items are skipped in a loop: the inner stream's own budget (wakeful's
    // sockets and channels spend one unit per item) keeps the loop from running on.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        loop {
            match ready!(this.stream.as_mut().poll_next(cx)) {
                Some(item) if !(this.f)(&item) => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.stream.size_hint().1)
    }
}

pin_project! {
    /// The `Some` results of a function; from [`filter_map`](super::StreamExt::filter_map).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct FilterMap<S, F> { #[pin] stream: S, f: F }
}

impl<S, F> FilterMap<S, F> {
    pub(super) fn new(stream: S, f: F) -> Self {
        FilterMap { stream, f }
    }
}

impl<T, S: Stream, F: FnMut(S::Item) -> Option<T>> Stream for FilterMap<S, F> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut this = self.project();
        loop {
            match ready!(this.stream.as_mut().poll_next(cx)) {
                Some(item) => match (this.f)(item) {
                    Some(mapped) => return Poll::Ready(Some(mapped)),
                    None => continue,
                },
                None => return Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.stream.size_hint().1)
    }
}

pin_project! {
    /// At most `n` items; from [`take`](super::StreamExt::take).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Take<S> { #[pin] stream: S, remaining: usize }
}

impl<S> Take<S> {
    pub(super) fn new(stream: S, remaining: usize) -> Self {
        Take { stream, remaining }
    }
}

impl<S: Stream> Stream for Take<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        if *this.remaining == 0 {
            return Poll::Ready(None); // the inner stream is not polled again
        }
        let item = ready!(this.stream.poll_next(cx));
        *this.remaining = if item.is_some() { *this.remaining - 1 } else { 0 };
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.remaining == 0 {
            return (0, Some(0));
        }
        let (low, high) = self.stream.size_hint();
        (low.min(self.remaining), Some(high.map_or(self.remaining, |h| h.min(self.remaining))))
    }
}

pin_project! {
    /// Items while a predicate holds; from [`take_while`](super::StreamExt::take_while).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct TakeWhile<S, F> { #[pin] stream: S, f: F, done: bool }
}

impl<S, F> TakeWhile<S, F> {
    pub(super) fn new(stream: S, f: F) -> Self {
        TakeWhile { stream, f, done: false }
    }
}

impl<S: Stream, F: FnMut(&S::Item) -> bool> Stream for TakeWhile<S, F> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let item = ready!(this.stream.poll_next(cx)).filter(|item| (this.f)(item));
        *this.done = item.is_none();
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        (0, self.stream.size_hint().1)
    }
}

pin_project! {
    /// The items after the first `n`; from [`skip`](super::StreamExt::skip).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Skip<S> { #[pin] stream: S, remaining: usize }
}

impl<S> Skip<S> {
    pub(super) fn new(stream: S, remaining: usize) -> Self {
        Skip { stream, remaining }
    }
}

impl<S: Stream> Stream for Skip<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut this = self.project();
        loop {
            let item = ready!(this.stream.as_mut().poll_next(cx));
            if *this.remaining == 0 || item.is_none() {
                return Poll::Ready(item);
            }
            *this.remaining -= 1;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self.stream.size_hint();
        (low.saturating_sub(self.remaining), high.map(|h| h.saturating_sub(self.remaining)))
    }
}

pin_project! {
    /// `None` forever after the first; from [`fuse`](super::StreamExt::fuse).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Fuse<S> { #[pin] stream: Option<S> }
}

impl<S> Fuse<S> {
    pub(super) fn new(stream: S) -> Self {
        Fuse { stream: Some(stream) }
    }
}

impl<S: Stream> Stream for Fuse<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let Some(stream) = self.as_mut().project().stream.as_pin_mut() else {
            return Poll::Ready(None);
        };
        let item = ready!(stream.poll_next(cx));
        if item.is_none() {
            self.project().stream.set(None); // dropped at its end, as tokio_stream's
        }
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.as_ref().map_or((0, Some(0)), Stream::size_hint)
    }
}
