//! A waker that panics when woken does not strand the waiters woken after it: every
//! waiter is woken, then the panic goes on to whoever released, sent or closed.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use common::Task;
use wakeful::sync::{broadcast, mpsc, watch, RwLock, Semaphore};

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

#[test]
fn semaphore_waiters_served_after_a_panicking_waker_are_woken() {
    let semaphore = Semaphore::new(0);
    let mut first = Box::pin(semaphore.acquire());
    assert!(poll_with_panicking_waker(first.as_mut()).is_pending());
    let mut second = Task::new(semaphore.acquire());
    second.pending("second acquire, no permits");

    let added = catch_unwind(AssertUnwindSafe(|| semaphore.add_permits(2)));
    assert!(added.is_err(), "the waker's panic reaches the one who added permits");
    assert_eq!(second.waker.wakes(), 1, "the waiter after the panicking waker is woken too");
    let permit = second.ready("second acquire").unwrap();
    drop(permit);
    drop(first); // served, never polled again: its permit goes back
    assert_eq!(semaphore.available_permits(), 2, "no permit was lost to the panic");
}

#[test]
fn an_mpsc_receiver_whose_waker_panics_still_gets_the_message() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let mut recv = Box::pin(rx.recv());
    assert!(poll_with_panicking_waker(recv.as_mut()).is_pending());
    let sent = catch_unwind(AssertUnwindSafe(|| tx.try_send(3)));
    assert!(sent.is_err(), "the waker's panic reaches the sender");
    let mut again = Task::new(recv);
    assert_eq!(again.ready("the message was queued before the wake"), Some(3));
    assert!(tx.try_send(4).is_ok(), "the slot came back with the receive");
}
