//! Polling by hand, with wakers that count their wakes and their live copies, so that
//! a test can drop a future at any `Pending` and check that no waker is left behind.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A waker's shared counter: how often it was woken, and how many copies live.
#[derive(Default)]
pub struct Counter {
    wakes: AtomicUsize,
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A counting waker, one per simulated task.
pub struct CountingWaker {
    counter: Arc<Counter>,
    waker: Waker,
}

impl CountingWaker {
    pub fn new() -> CountingWaker {
        let counter = Arc::new(Counter::default());
        CountingWaker { waker: Waker::from(counter.clone()), counter }
    }
    pub fn waker(&self) -> &Waker {
        &self.waker
    }
    pub fn wakes(&self) -> usize {
        self.counter.wakes.load(Ordering::SeqCst)
    }
    /// Copies of this waker held anywhere but here.
    pub fn held_elsewhere(&self) -> usize {
        Arc::strong_count(&self.counter) - 2
    }
    /// Polls `fut` once with this waker.
    pub fn poll<F: Future + ?Sized>(&self, fut: Pin<&mut F>) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(&self.waker))
    }
}

/// Polls a boxed future once.
pub fn poll<F: Future + ?Sized>(w: &CountingWaker, future: &mut Pin<Box<F>>) -> Poll<F::Output> {
    w.poll(future.as_mut())
}

/// A future pinned on the heap with a waker of its own: one simulated task.
pub struct Task<F: Future> {
    pub fut: Pin<Box<F>>,
    pub waker: CountingWaker,
}

impl<F: Future> Task<F> {
    pub fn new(fut: F) -> Task<F> {
        Task { fut: Box::pin(fut), waker: CountingWaker::new() }
    }
    pub fn poll(&mut self) -> Poll<F::Output> {
        self.waker.poll(self.fut.as_mut())
    }
    /// Polls, expecting `Pending`.
    pub fn pending(&mut self, what: &str) {
        assert!(self.poll().is_pending(), "{what}: expected Pending");
    }
    /// Polls, expecting `Ready`, and returns the output.
    pub fn ready(&mut self, what: &str) -> F::Output {
        match self.poll() {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("{what}: expected Ready"),
        }
    }
}
pub mod reentrant;
