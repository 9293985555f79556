//! A waker's `clone` is user code, and it may call back into the primitive it waits
//! on. Each primitive clones the polling task's waker with none of its own state
//! borrowed, and looks at its state again after the clone: a clone that released,
//! sent or closed is seen at once instead of being a lost wakeup.

mod common;

use common::reentrant::{once, poll_with as poll, reentrant_waker};
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use wakeful::sync::{broadcast, mpsc, oneshot, watch, Mutex, Notify, RwLock, Semaphore};

#[test]
fn semaphore_acquire_waits_while_its_waker_clone_reads_the_permits() {
    let semaphore = Rc::new(Semaphore::new(0));
    let s = semaphore.clone();
    let (waker, hooks) = reentrant_waker(move || assert_eq!(s.available_permits(), 0));
    let mut acquire = Box::pin(semaphore.acquire());
    assert!(poll(acquire.as_mut(), &waker).is_pending());
    assert_eq!(hooks.clones.get(), 1, "the waker was stored");
    assert!(poll(acquire.as_mut(), &waker).is_pending());
    assert_eq!(hooks.clones.get(), 1, "the same waker again: no second clone");
    semaphore.add_permits(1);
    assert_eq!(hooks.wakes.get(), 1, "the release woke the waiter");
    assert!(matches!(poll(acquire.as_mut(), &waker), Poll::Ready(Ok(_))));
}

#[test]
fn semaphore_acquire_takes_permits_its_waker_clone_added() {
    let semaphore = Rc::new(Semaphore::new(0));
    let s = semaphore.clone();
    let (waker, hooks) = reentrant_waker(once(move || s.add_permits(2)));
    let mut acquire = Box::pin(semaphore.acquire_many(2));
    let Poll::Ready(Ok(permit)) = poll(acquire.as_mut(), &waker) else {
        panic!("the permits added during the clone are seen");
    };
    assert_eq!(semaphore.available_permits(), 0);
    drop(acquire);
    drop(permit);
    assert_eq!(semaphore.available_permits(), 2);
    assert_eq!(hooks.clones.get(), 1);
    drop(waker);
    assert_eq!(Rc::strong_count(&hooks), 1, "the clone made and not needed was dropped");
}

#[test]
fn mutex_lock_waits_while_its_waker_clone_tries_the_lock() {
    let mutex = Rc::new(Mutex::new(5));
    let m = mutex.clone();
    let (waker, hooks) = reentrant_waker(move || assert!(m.try_lock().is_err()));
    let guard = mutex.try_lock().unwrap();
    let mut lock = Box::pin(mutex.lock());
    assert!(poll(lock.as_mut(), &waker).is_pending());
    assert!(poll(lock.as_mut(), &waker).is_pending());
    assert_eq!(hooks.clones.get(), 1, "the stored waker is kept, not cloned again");
    drop(guard);
    assert_eq!(hooks.wakes.get(), 1, "the unlock woke the waiter");
    match poll(lock.as_mut(), &waker) {
        Poll::Ready(guard) => assert_eq!(*guard, 5),
        Poll::Pending => panic!("the lock was handed over"),
    };
}

#[test]
fn rwlock_read_waits_while_its_waker_clone_tries_to_read() {
    let lock = Rc::new(RwLock::new(1));
    let l = lock.clone();
    let (waker, hooks) = reentrant_waker(move || assert!(l.try_read().is_err()));
    let writer = lock.try_write().unwrap();
    let mut read = Box::pin(lock.read());
    assert!(poll(read.as_mut(), &waker).is_pending());
    drop(writer);
    assert_eq!(hooks.wakes.get(), 1, "the writer's release woke the reader");
    assert!(poll(read.as_mut(), &waker).is_ready());
}

#[test]
fn notified_waits_while_its_waker_clone_formats_the_notify() {
    let notify = Rc::new(Notify::new());
    let n = notify.clone();
    let (waker, hooks) = reentrant_waker(move || assert!(format!("{n:?}").contains("Notify")));
    let mut notified = Box::pin(notify.notified());
    assert!(poll(notified.as_mut(), &waker).is_pending());
    let (other, _) = reentrant_waker(move || {});
    assert!(poll(notified.as_mut(), &other).is_pending(), "another task's waker replaces ours");
    assert!(poll(notified.as_mut(), &waker).is_pending(), "and ours replaces it again");
    assert_eq!(hooks.clones.get(), 2);
    notify.notify_one();
    assert_eq!(hooks.wakes.get(), 1, "notify_one woke the waiter");
    assert!(poll(notified.as_mut(), &waker).is_ready());
}

#[test]
fn notified_sees_the_notification_its_waker_clone_sent() {
    let notify = Rc::new(Notify::new());
    let n = notify.clone();
    let (waker, _hooks) = reentrant_waker(once(move || n.notify_one()));
    let mut notified = Box::pin(notify.notified());
    assert!(poll(notified.as_mut(), &waker).is_ready(), "the permit stored during the clone is taken");
    // And the permit was consumed, not left for the next one.
    let mut next = Box::pin(notify.notified());
    let (plain, _) = reentrant_waker(|| {});
    assert!(poll(next.as_mut(), &plain).is_pending());
}

#[test]
fn oneshot_receiver_waits_while_its_waker_clone_asks_the_sender() {
    let (tx, mut rx) = oneshot::channel::<u32>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let t = tx.clone();
    let (waker, hooks) = reentrant_waker(move || {
        if let Some(tx) = &*t.borrow() {
            assert!(!tx.is_closed());
        }
    });
    assert!(poll(Pin::new(&mut rx), &waker).is_pending());
    let sender = tx.borrow_mut().take().unwrap();
    assert!(sender.send(7).is_ok());
    assert_eq!(hooks.wakes.get(), 1, "the send woke the receiver");
    assert_eq!(poll(Pin::new(&mut rx), &waker), Poll::Ready(Ok(7)));
}

#[test]
fn oneshot_receiver_sees_the_value_its_waker_clone_sent() {
    let (tx, mut rx) = oneshot::channel::<u32>();
    let tx = RefCell::new(Some(tx));
    let (waker, _hooks) = reentrant_waker(move || {
        if let Some(tx) = tx.borrow_mut().take() {
            assert!(tx.send(9).is_ok());
        }
    });
    assert_eq!(poll(Pin::new(&mut rx), &waker), Poll::Ready(Ok(9)), "not a lost wakeup");
}

#[test]
fn oneshot_closed_sees_the_close_its_waker_clone_made() {
    let (mut tx, rx) = oneshot::channel::<u32>();
    let rx = RefCell::new(Some(rx));
    let (waker, _hooks) = reentrant_waker(move || drop(rx.borrow_mut().take()));
    let mut closed = Box::pin(tx.closed());
    assert!(poll(closed.as_mut(), &waker).is_ready(), "not a lost wakeup");
}

#[test]
fn mpsc_recv_waits_while_its_waker_clone_asks_the_sender() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    let t = tx.clone();
    let (waker, hooks) = reentrant_waker(move || assert!(!t.is_closed()));
    {
        let mut recv = Box::pin(rx.recv());
        assert!(poll(recv.as_mut(), &waker).is_pending());
        assert!(poll(recv.as_mut(), &waker).is_pending());
        assert_eq!(hooks.clones.get(), 1, "the stored waker is kept, not cloned again");
        tx.send(3).unwrap();
        assert_eq!(hooks.wakes.get(), 1, "the send woke the receiver");
        assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(Some(3)));
    }
}

#[test]
fn mpsc_recv_sees_the_message_its_waker_clone_sent() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let (waker, _hooks) = reentrant_waker(once(move || tx.try_send(4).unwrap()));
    let mut recv = Box::pin(rx.recv());
    assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(Some(4)), "not a lost wakeup");
}

#[test]
fn mpsc_send_waits_for_room_while_its_waker_clone_asks_the_capacity() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let tx = Rc::new(tx);
    let t = tx.clone();
    let (waker, hooks) = reentrant_waker(move || assert_eq!(t.capacity(), 0));
    tx.try_send(1).unwrap();
    let mut send = Box::pin(tx.send(2));
    assert!(poll(send.as_mut(), &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(hooks.wakes.get(), 1, "the freed slot woke the sender");
    assert_eq!(poll(send.as_mut(), &waker), Poll::Ready(Ok(())));
    drop(send);
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn mpsc_closed_waits_while_its_waker_clone_asks_the_sender() {
    let (tx, rx) = mpsc::unbounded_channel::<u32>();
    let tx = Rc::new(tx);
    let t = tx.clone();
    let (waker, hooks) = reentrant_waker(move || assert!(!t.is_closed()));
    let rx = RefCell::new(Some(rx));
    {
        let mut closed = Box::pin(tx.closed());
        assert!(poll(closed.as_mut(), &waker).is_pending());
        drop(rx.borrow_mut().take());
        assert_eq!(hooks.wakes.get(), 1, "the receiver's drop woke the sender");
        assert!(poll(closed.as_mut(), &waker).is_ready());
    }
}

#[test]
fn broadcast_recv_sees_the_value_its_waker_clone_sent() {
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    let tx = Rc::new(tx);
    let t = tx.clone();
    // Every clone sends, so the receiver has a value each time it looks again.
    let (waker, hooks) = reentrant_waker(move || {
        let _ = t.send(8);
    });
    let mut recv = Box::pin(rx.recv());
    assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(Ok(8)), "the value sent during the clone");
    assert_eq!(hooks.clones.get(), 1);
}

#[test]
fn broadcast_recv_queued_sees_the_value_its_new_waker_clone_sent() {
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    let tx = Rc::new(tx);
    let t = tx.clone();
    let (first, first_hooks) = reentrant_waker(|| {});
    let (waker, _hooks) = reentrant_waker(once(move || {
        let _ = t.send(6);
    }));
    let mut recv = Box::pin(rx.recv());
    assert!(poll(recv.as_mut(), &first).is_pending());
    assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(Ok(6)), "the value sent during the clone");
    assert_eq!(first_hooks.wakes.get(), 1, "the send woke the waker then stored");
    drop(first);
    assert_eq!(Rc::strong_count(&first_hooks), 1, "no copy of the replaced waker is left");
}

#[test]
fn broadcast_recv_waits_while_its_waker_clone_counts_receivers() {
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    let tx = Rc::new(tx);
    let t = tx.clone();
    let (waker, hooks) = reentrant_waker(move || assert_eq!(t.receiver_count(), 1));
    let mut recv = Box::pin(rx.recv());
    assert!(poll(recv.as_mut(), &waker).is_pending());
    tx.send(5).unwrap();
    assert_eq!(hooks.wakes.get(), 1, "the send woke the receiver");
    assert_eq!(poll(recv.as_mut(), &waker), Poll::Ready(Ok(5)));
}

#[test]
fn watch_changed_sees_the_value_its_waker_clone_sent() {
    let (tx, mut rx) = watch::channel(0u32);
    let tx = Rc::new(tx);
    let t = tx.clone();
    let (waker, _hooks) = reentrant_waker(once(move || t.send(1).unwrap()));
    let mut changed = Box::pin(rx.changed());
    assert_eq!(poll(changed.as_mut(), &waker), Poll::Ready(Ok(())), "not a lost wakeup");
}

#[test]
fn watch_changed_waits_while_its_waker_clone_counts_receivers() {
    let (tx, mut rx) = watch::channel(0u32);
    let tx = Rc::new(tx);
    let t = tx.clone();
    let (waker, hooks) = reentrant_waker(move || assert_eq!(t.receiver_count(), 1));
    {
        let mut changed = Box::pin(rx.changed());
        assert!(poll(changed.as_mut(), &waker).is_pending());
        tx.send(2).unwrap();
        assert_eq!(hooks.wakes.get(), 1, "the send woke the receiver");
        assert_eq!(poll(changed.as_mut(), &waker), Poll::Ready(Ok(())));
    }
    assert_eq!(*rx.borrow_and_update(), 2);
}

#[test]
fn watch_closed_sees_the_receiver_its_waker_clone_dropped() {
    let (tx, rx) = watch::channel(0u32);
    let rx = RefCell::new(Some(rx));
    let (waker, _hooks) = reentrant_waker(move || drop(rx.borrow_mut().take()));
    let mut closed = Box::pin(tx.closed());
    assert!(poll(closed.as_mut(), &waker).is_ready(), "the last receiver left during the clone");
}

#[test]
fn broadcast_closed_sees_the_receiver_its_waker_clone_dropped() {
    let (tx, rx) = broadcast::channel::<u32>(1);
    let rx = RefCell::new(Some(rx));
    let (waker, _hooks) = reentrant_waker(move || drop(rx.borrow_mut().take()));
    let mut closed = Box::pin(tx.closed());
    assert!(poll(closed.as_mut(), &waker).is_ready(), "the last receiver left during the clone");
}
