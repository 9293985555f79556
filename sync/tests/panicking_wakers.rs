//! A waker that panics when woken does not strand the waiters woken after it: every
//! waiter is woken, then the panic goes on to whoever released, sent or closed.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use common::Task;
use wakeful::sync::{broadcast, watch, RwLock};

struct PanicOnWake;

impl Wake for PanicOnWake {
    fn wake(self: Arc<Self>) {
        panic!("a waker that panics when woken");
    }
}

/// Polls `future` once with a waker that panics when woken.
fn poll_with_panicking_waker<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(PanicOnWake));
    future.poll(&mut Context::from_waker(&waker))
}

#[test]
fn readers_granted_after_a_panicking_waker_are_woken_and_get_in() {
    let lock = RwLock::new(0);
    let writer = lock.try_write().unwrap();
    let mut r1 = Box::pin(lock.read());
    assert!(poll_with_panicking_waker(r1.as_mut()).is_pending());
    let mut r2 = Task::new(lock.read());
    r2.pending("second reader behind the writer");

    let released = catch_unwind(AssertUnwindSafe(|| drop(writer)));
    assert!(released.is_err(), "the waker's panic reaches the one who released");
    assert_eq!(r2.waker.wakes(), 1, "the reader after the panicking waker is woken too");
    let guard = r2.ready("second reader");
    assert_eq!(*guard, 0);
    drop(guard);
    drop(r1); // granted, never polled again: passes its share on
    assert!(lock.try_write().is_ok(), "every read share was given back");
}

#[test]
fn broadcast_receivers_after_a_panicking_waker_are_woken() {
    let (tx, mut rx1) = broadcast::channel::<u32>(4);
    let mut rx2 = tx.subscribe();
    let mut first = Box::pin(rx1.recv());
    assert!(poll_with_panicking_waker(first.as_mut()).is_pending());
    let mut second = Task::new(rx2.recv());
    second.pending("second receiver, nothing sent");

    let sent = catch_unwind(AssertUnwindSafe(|| tx.send(7)));
    assert!(sent.is_err(), "the waker's panic reaches the sender");
    assert_eq!(second.waker.wakes(), 1, "the receiver after the panicking waker is woken too");
    assert_eq!(second.ready("second receiver").unwrap(), 7);
}

#[test]
fn watch_receivers_after_a_panicking_waker_are_woken() {
    let (tx, mut rx1) = watch::channel(0u32);
    let mut rx2 = tx.subscribe();
    let mut first = Box::pin(rx1.changed());
    assert!(poll_with_panicking_waker(first.as_mut()).is_pending());
    let mut second = Task::new(rx2.changed());
    second.pending("second receiver, nothing sent");

    let sent = catch_unwind(AssertUnwindSafe(|| tx.send(1)));
    assert!(sent.is_err(), "the waker's panic reaches the sender");
    assert_eq!(second.waker.wakes(), 1, "the receiver after the panicking waker is woken too");
    assert!(second.ready("second receiver").is_ok());
}
