//! The one-pass wait paths (mpsc `recv`, `Semaphore::acquire`, `Notify::notified`)
//! queue or check first and clone the waker after, with nothing borrowed: a clone that
//! sends, closes or notifies must be seen at once, and the replaced waker dropped. Also the bounded `send` that skips the reservation when there is room.

mod common;

use common::reentrant::{once, poll_with as poll, reentrant_waker};
use common::CountingWaker;
use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use wakeful::sync::{mpsc, Notify, Semaphore};

#[test]
fn recv_sees_the_end_when_its_waker_clone_drops_the_last_sender() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let tx = RefCell::new(Some(tx));
    let (waker, hooks) = reentrant_waker(move || drop(tx.borrow_mut().take()));
    let mut recv = Box::pin(rx.recv());
    assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(None), "not a lost wakeup");
    drop(recv);
    drop(waker);
    assert_eq!(Rc::strong_count(&hooks), 1, "the clone stored for nothing was dropped");
}

#[test]
fn recv_polled_with_a_new_waker_sees_what_that_waker_s_clone_sent() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    let (first, first_hooks) = reentrant_waker(|| {});
    let mut recv = Box::pin(rx.recv());
    assert!(poll(recv.as_mut(), &first).is_pending());
    // The new waker's clone drops the last sender handle, which sends as it goes.
    struct SendOnDrop(mpsc::UnboundedSender<u32>);
    impl Drop for SendOnDrop {
        fn drop(&mut self) {
            self.0.send(7).unwrap();
        }
    }
    let guard = Rc::new(SendOnDrop(tx));
    let (second, _hooks) = reentrant_waker({
        let guard = RefCell::new(Some(guard.clone()));
        move || drop(guard.borrow_mut().take())
    });
    drop(guard);
    drop(first);
    assert_eq!(Rc::strong_count(&first_hooks), 2, "one copy stored in the channel");
    assert_eq!(poll(recv.as_mut(), &second), Poll::Ready(Some(7)), "the send in the clone is seen");
    drop(recv);
    assert_eq!(Rc::strong_count(&first_hooks), 1, "the replaced waker was dropped");
}

#[test]
fn acquire_fails_when_its_waker_clone_closes_the_semaphore() {
    let semaphore = Rc::new(Semaphore::new(1));
    let held = semaphore.try_acquire().unwrap();
    let s = semaphore.clone();
    let (waker, hooks) = reentrant_waker(once(move || s.close()));
    let mut acquire = Box::pin(semaphore.acquire_many(2));
    assert!(matches!(poll(acquire.as_mut(), &waker), Poll::Ready(Err(_))), "the close is seen");
    drop(acquire);
    drop(held);
    assert_eq!(semaphore.available_permits(), 1, "nothing was kept by the failed acquire");
    drop(waker);
    assert_eq!(Rc::strong_count(&hooks), 1, "no copy of the waker is left behind");
}

#[test]
fn acquire_gets_the_permits_its_second_waker_clone_adds() {
    let semaphore = Rc::new(Semaphore::new(0));
    let (first, _) = reentrant_waker(|| {});
    let s = semaphore.clone();
    let (second, _) = reentrant_waker(once(move || s.add_permits(1)));
    let mut acquire = Box::pin(semaphore.acquire());
    assert!(poll(acquire.as_mut(), &first).is_pending());
    assert!(matches!(poll(acquire.as_mut(), &second), Poll::Ready(Ok(_))), "not a lost wakeup");
}

#[test]
fn notified_completes_when_its_waker_clone_notifies_waiters() {
    let notify = Rc::new(Notify::new());
    let n = notify.clone();
    let (waker, hooks) = reentrant_waker(once(move || n.notify_one()));
    let mut notified = Box::pin(notify.notified());
    assert_eq!(poll(notified.as_mut(), &waker), Poll::Ready(()), "the notify_one is ours");
    drop(notified);
    drop(waker);
    assert_eq!(Rc::strong_count(&hooks), 1, "no copy of the waker is left behind");
    let mut later = pin!(notify.notified());
    assert!(CountingWaker::new().poll(later.as_mut()).is_pending(), "the permit was not stored twice");
}

#[test]
fn ten_thousand_acquires_dropped_out_of_order_leave_the_permits_whole() {
    let semaphore = Semaphore::new(0);
    let waker = CountingWaker::new();
    let mut waiting: Vec<_> = (0..10_000).map(|_| Box::pin(semaphore.acquire())).collect();
    for acquire in &mut waiting {
        assert!(waker.poll(acquire.as_mut()).is_pending());
    }
    // Every other one leaves; the rest are served in order as permits come.
    let mut kept = Vec::new();
    for (i, acquire) in waiting.into_iter().enumerate() {
        if i % 2 == 1 {
            kept.push(acquire);
        }
    }
    assert_eq!(waker.held_elsewhere(), 5_000, "the dropped waiters took their wakers");
    semaphore.add_permits(5_000);
    for acquire in &mut kept {
        let Poll::Ready(Ok(permit)) = waker.poll(acquire.as_mut()) else { panic!("served") };
        permit.forget();
    }
    assert_eq!(semaphore.available_permits(), 0);
    drop(kept);
    assert_eq!(waker.held_elsewhere(), 0);
}

#[test]
fn a_send_with_room_does_not_pass_a_sender_waiting_before_it() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.try_send(1).unwrap();
    let waker = CountingWaker::new();
    let mut second = Box::pin(tx.send(2));
    assert!(waker.poll(second.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(1)); // the slot goes to the waiting send
    let mut third = Box::pin(tx.send(3));
    assert!(waker.poll(third.as_mut()).is_pending(), "the slot was set aside for `second`");
    assert!(waker.poll(second.as_mut()).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(waker.poll(third.as_mut()).is_ready());
    assert_eq!(rx.try_recv(), Ok(3));
}
