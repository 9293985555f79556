//! Streams made from nothing: [`iter`], [`once`], [`empty`], [`pending`].

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use wakeful_executor::coop;

/// A stream of an iterator's items; from [`iter`].
#[derive(Debug, Clone)]
#[must_use = "streams do nothing unless polled"]
pub struct Iter<I> {
    iter: I,
}

impl<I> Unpin for Iter<I> {}

/// A stream that yields the items of `iter`, each at once.
///
/// Each item spends one unit of the task's budget, so a long iterator in a loop lets
/// the other tasks run (tokio_stream's yields every 32 items).
pub fn iter<I: IntoIterator>(iter: I) -> Iter<I::IntoIter> {
    Iter { iter: iter.into_iter() }
}

impl<I: Iterator> Stream for Iter<I> {
    type Item = I::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<I::Item>> {
        std::task::ready!(coop::poll_proceed(cx));
        Poll::Ready(self.iter.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}

/// A stream of one item; from [`once`].
pub type Once<T> = Iter<std::option::IntoIter<T>>;

/// A stream that yields `value`, then ends.
pub fn once<T>(value: T) -> Once<T> {
    iter(Some(value))
}

/// A stream that ends at once; from [`empty`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Empty<T>(PhantomData<fn() -> T>);

impl<T> Unpin for Empty<T> {}

/// A stream that yields nothing and ends at once.
pub const fn empty<T>() -> Empty<T> {
    Empty(PhantomData)
}

impl<T> Stream for Empty<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
        Poll::Ready(None)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(0))
    }
}

/// A stream that never yields and never ends; from [`pending`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Pending<T>(PhantomData<fn() -> T>);

impl<T> Unpin for Pending<T> {}

/// A stream that never yields an item and never ends (and never wakes its task).
pub const fn pending<T>() -> Pending<T> {
    Pending(PhantomData)
}

impl<T> Stream for Pending<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
        Poll::Pending
    }
}
