//! Helpers for driving futures by hand: a waker that counts its wakes and its live
//! clones, so a test can tell that a dropped future left no waker behind.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Counts wakes; `Arc::strong_count` minus one is the number of live wakers.
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

/// A waker with its counter.
pub struct CountingWaker {
    counter: Arc<Counter>,
    waker: Waker,
}

impl CountingWaker {
    pub fn new() -> Self {
        let counter = Arc::new(Counter::default());
        CountingWaker { waker: Waker::from(counter.clone()), counter }
    }

    pub fn wakes(&self) -> usize {
        self.counter.wakes.load(Ordering::SeqCst)
    }

    /// Clones of the waker held anywhere but here.
    pub fn held_elsewhere(&self) -> usize {
        Arc::strong_count(&self.counter) - 2
    }

    pub fn poll<F: Future + ?Sized>(&self, future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(&self.waker))
    }

    pub fn waker(&self) -> &Waker {
        &self.waker
    }
}

/// Polls a boxed future once.
pub fn poll<F: Future + ?Sized>(w: &CountingWaker, future: &mut Pin<Box<F>>) -> Poll<F::Output> {
    w.poll(future.as_mut())
}
