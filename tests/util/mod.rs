//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Counts drops of the [`Tracked`] values made from it.
#[derive(Clone, Default)]
pub struct Drops(Rc<Cell<usize>>);

impl Drops {
    pub fn track(&self) -> Tracked {
        Tracked(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.get()
    }
}

pub struct Tracked(Rc<Cell<usize>>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Polls `future` once with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// Generous bound for "this should happen promptly" on a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(10);
