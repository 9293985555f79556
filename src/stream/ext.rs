//! [`StreamExt`]: the combinators ports use from tokio_stream, and the futures of
//! `next`, `try_next` and `collect`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use pin_project_lite::pin_project;

use super::adapters::{Filter, FilterMap, Fuse, Map, Skip, Take, TakeWhile};
use super::chain_merge::{Chain, Merge};
use super::timeout::Timeout;

/// Combinators on every [`Stream`], with tokio_stream's names and signatures.
pub trait StreamExt: Stream {
    /// The next item, or `None` once the stream has ended.
    ///
    /// Cancel-safe: an item is taken only when the future completes.
    fn next(&mut self) -> Next<'_, Self>
    where
        Self: Unpin,
    {
        Next { stream: self }
    }

    /// The next item of a stream of `Result`s: `Ok(None)` at the end, `Err` as is.
    ///
    /// Cancel-safe, as [`next`](Self::next).
    fn try_next<T, E>(&mut self) -> TryNext<'_, Self>
    where
        Self: Stream<Item = Result<T, E>> + Unpin,
    {
        TryNext { stream: self }
    }

    /// Each item passed through `f`.
    fn map<T, F: FnMut(Self::Item) -> T>(self, f: F) -> Map<Self, F>
    where
        Self: Sized,
    {
        Map::new(self, f)
    }

    /// The items for which `f` returns true.
    fn filter<F: FnMut(&Self::Item) -> bool>(self, f: F) -> Filter<Self, F>
    where
        Self: Sized,
    {
        Filter::new(self, f)
    }

    /// `f` of each item, where it is `Some`.
    fn filter_map<T, F: FnMut(Self::Item) -> Option<T>>(self, f: F) -> FilterMap<Self, F>
    where
        Self: Sized,
    {
        FilterMap::new(self, f)
    }

    /// At most the first `n` items.
    fn take(self, n: usize) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, n)
    }

    /// The items up to (not including) the first for which `f` is false; then ends.
    fn take_while<F: FnMut(&Self::Item) -> bool>(self, f: F) -> TakeWhile<Self, F>
    where
        Self: Sized,
    {
        TakeWhile::new(self, f)
    }

    /// The items after the first `n`.
    fn skip(self, n: usize) -> Skip<Self>
    where
        Self: Sized,
    {
        Skip::new(self, n)
    }

    /// This stream's items, then `other`'s.
    fn chain<U: Stream<Item = Self::Item>>(self, other: U) -> Chain<Self, U>
    where
        Self: Sized,
    {
        Chain::new(self, other)
    }

    /// The items of both streams as they come, taking turns when both are ready; ends
    /// when both have ended.
    fn merge<U: Stream<Item = Self::Item>>(self, other: U) -> Merge<Self, U>
    where
        Self: Sized,
    {
        Merge::new(self, other)
    }

    /// A stream that returns `None` forever once this one has ended (never polling it
    /// again).
    fn fuse(self) -> Fuse<Self>
    where
        Self: Sized,
    {
        Fuse::new(self)
    }

    /// Every item, gathered into a collection.
    ///
    /// Not cancel-safe: dropping the future loses the items gathered so far.
    fn collect<C: Default + Extend<Self::Item>>(self) -> Collect<Self, C>
    where
        Self: Sized,
    {
        Collect { stream: self, collection: Some(C::default()) }
    }

    /// Each item as `Ok`, and one `Err(Elapsed)` when `duration` passes with no item
    /// (counted from the call, then from each item); the stream goes on, and the next
    /// period starts at its next item. Needs a wakeful runtime (its timer).
    fn timeout(self, duration: Duration) -> Timeout<Self>
    where
        Self: Sized,
    {
        Timeout::new(self, duration)
    }
}

impl<S: Stream + ?Sized> StreamExt for S {}

/// The future of [`StreamExt::next`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Next<'a, S: ?Sized> {
    stream: &'a mut S,
}

impl<S: Stream + Unpin + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}

/// The future of [`StreamExt::try_next`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct TryNext<'a, S: ?Sized> {
    stream: &'a mut S,
}

impl<T, E, S: Stream<Item = Result<T, E>> + Unpin + ?Sized> Future for TryNext<'_, S> {
    type Output = Result<Option<T>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.stream).poll_next(cx).map(Option::transpose)
    }
}

pin_project! {
    /// The future of [`StreamExt::collect`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Collect<S, C> {
        #[pin]
        stream: S,
        collection: Option<C>,
    }
}

impl<S: Stream, C: Default + Extend<S::Item>> Future for Collect<S, C> {
    type Output = C;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C> {
        let mut this = self.project();
        loop {
            match std::task::ready!(this.stream.as_mut().poll_next(cx)) {
                Some(item) => {
                    this.collection.as_mut().expect("Collect polled after it completed").extend(Some(item))
                }
                None => {
                    return Poll::Ready(this.collection.take().expect("Collect polled after it completed"))
                }
            }
        }
    }
}
