//! Notify: permits, notify_waiters' snapshot, hand-on of an unseen notification,
//! FIFO order, enable; the shared scenarios run on tokio's too.

mod common;

use common::{poll, CountingWaker};
use std::future::Future;
use std::task::Poll;

macro_rules! permit_scenario {
    ($notify:ty) => {{
        let w = CountingWaker::new();
        let notify = <$notify>::new();
        let mut seen = Vec::new();
        notify.notify_one();
        notify.notify_one(); // at most one permit is stored
        let mut a = Box::pin(notify.notified());
        let mut b = Box::pin(notify.notified());
        seen.push(poll(&w, &mut a).is_ready());
        seen.push(poll(&w, &mut b).is_ready());
        notify.notify_waiters(); // wakes b, stores nothing
        seen.push(poll(&w, &mut b).is_ready());
        let mut c = Box::pin(notify.notified());
        seen.push(poll(&w, &mut c).is_ready());
        seen
    }};
}

#[test]
fn one_permit_is_stored_and_notify_waiters_stores_none_as_tokio() {
    let ours = permit_scenario!(wakeful::sync::Notify);
    assert_eq!(ours, permit_scenario!(tokio::sync::Notify));
    assert_eq!(ours, [true, false, true, false]);
}

macro_rules! snapshot_scenario {
    ($notify:ty) => {{
        let w = CountingWaker::new();
        let notify = <$notify>::new();
        let mut before = Box::pin(notify.notified()); // never polled before the call
        let mut polled = Box::pin(notify.notified());
        let _ = poll(&w, &mut polled);
        notify.notify_waiters();
        let mut after = Box::pin(notify.notified());
        vec![
            poll(&w, &mut before).is_ready(),
            poll(&w, &mut polled).is_ready(),
            poll(&w, &mut after).is_ready(),
        ]
    }};
}

#[test]
fn notify_waiters_reaches_futures_created_before_it_even_unpolled_as_tokio() {
    let ours = snapshot_scenario!(wakeful::sync::Notify);
    assert_eq!(ours, snapshot_scenario!(tokio::sync::Notify));
    assert_eq!(ours, [true, true, false]);
}

macro_rules! hand_on_scenario {
    ($notify:ty) => {{
        let w = CountingWaker::new();
        let notify = <$notify>::new();
        let mut a = Box::pin(notify.notified());
        let mut b = Box::pin(notify.notified());
        let _ = (poll(&w, &mut a), poll(&w, &mut b));
        notify.notify_one(); // goes to a, which is dropped without seeing it
        drop(a);
        let b_ready = poll(&w, &mut b).is_ready();
        notify.notify_one(); // nobody waits: a permit
        let mut c = Box::pin(notify.notified());
        vec![b_ready, poll(&w, &mut c).is_ready()]
    }};
}

#[test]
fn a_notification_dropped_unseen_goes_to_the_next_waiter_as_tokio() {
    let ours = hand_on_scenario!(wakeful::sync::Notify);
    assert_eq!(ours, hand_on_scenario!(tokio::sync::Notify));
    assert_eq!(ours, [true, true]);
}

#[test]
fn notify_one_wakes_waiters_in_the_order_they_waited() {
    let w = CountingWaker::new();
    let notify = wakeful::sync::Notify::new();
    let mut futures: Vec<_> = (0..5).map(|_| Box::pin(notify.notified())).collect();
    for f in &mut futures {
        assert!(poll(&w, f).is_pending());
    }
    notify.notify_one();
    notify.notify_one();
    let ready: Vec<bool> = futures.iter_mut().map(|f| poll(&w, f).is_ready()).collect();
    assert_eq!(ready, [true, true, false, false, false]);
}

#[test]
fn enable_queues_without_a_waker_and_consumes_a_permit() {
    let w = CountingWaker::new();
    let notify = wakeful::sync::Notify::new();
    let mut a = Box::pin(notify.notified());
    assert!(!a.as_mut().enable(), "nothing yet");
    notify.notify_one(); // kept for a, not stored as a permit
    let mut b = Box::pin(notify.notified());
    assert!(poll(&w, &mut b).is_pending(), "the notification went to the enabled a");
    assert!(poll(&w, &mut a).is_ready());
    notify.notify_one(); // goes to the queued b
    drop(b); // unseen: handed on, and with nobody queued it becomes the permit
    let mut c = Box::pin(notify.notified());
    assert!(c.as_mut().enable(), "enable consumed the handed-on permit");
    assert!(poll(&w, &mut c).is_ready());
    assert!(poll(&w, &mut Box::pin(notify.notified())).is_pending(), "the permit was consumed once");
}

#[test]
fn dropped_waiters_leave_no_waker_behind() {
    let w = CountingWaker::new();
    let notify = wakeful::sync::Notify::new();
    let mut futures: Vec<_> = (0..10_000).map(|_| Box::pin(notify.notified())).collect();
    for f in &mut futures {
        assert!(poll(&w, f).is_pending());
    }
    assert_eq!(w.held_elsewhere(), 10_000);
    drop(futures);
    assert_eq!(w.held_elsewhere(), 0);
    notify.notify_one();
    assert_eq!(w.wakes(), 0, "nobody was left to wake: a permit was stored");
    assert!(poll(&w, &mut Box::pin(notify.notified())).is_ready());
}

#[test]
fn a_task_waits_for_a_notification_from_another_task() {
    let notify = std::rc::Rc::new(wakeful::sync::Notify::new());
    let got = wakeful::block_on(async {
        let waiter = wakeful::spawn({
            let notify = notify.clone();
            async move {
                notify.notified().await;
                7
            }
        });
        wakeful::yield_now().await; // the waiter is queued, not holding a permit
        notify.notify_waiters();
        waiter.await.unwrap()
    });
    assert_eq!(got, 7);
    assert!(matches!(poll(&CountingWaker::new(), &mut Box::pin(notify.notified())), Poll::Pending));
}

/// A waker that panics when woken must not keep the other waiters asleep: they are
/// all woken, then the panic reaches the caller.
#[test]
fn a_panicking_waker_does_not_strand_the_other_waiters() {
    struct Panics;
    impl std::task::Wake for Panics {
        fn wake(self: std::sync::Arc<Self>) {
            panic!("a broken waker");
        }
    }
    let notify = wakeful::sync::Notify::new();
    let bad = std::task::Waker::from(std::sync::Arc::new(Panics));
    let mut first = Box::pin(notify.notified());
    assert!(first.as_mut().poll(&mut std::task::Context::from_waker(&bad)).is_pending());
    let w = CountingWaker::new();
    let mut second = Box::pin(notify.notified());
    assert!(poll(&w, &mut second).is_pending());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| notify.notify_waiters()));
    assert!(result.is_err(), "the panic is not swallowed");
    assert_eq!(w.wakes(), 1, "the second waiter was woken all the same");
    assert!(poll(&w, &mut first).is_ready() && poll(&w, &mut second).is_ready());
}

/// Three waiters; `notify_last` wakes the newest, whose drop unseen hands it on (to
/// the newest left); with nobody waiting it is stored as the permit.
macro_rules! notify_last_scenario {
    ($notify:ty) => {{
        let notify = <$notify>::new();
        let (a, b, c) = (CountingWaker::new(), CountingWaker::new(), CountingWaker::new());
        let mut first = Box::pin(notify.notified());
        let mut second = Box::pin(notify.notified());
        let mut third = Box::pin(notify.notified());
        assert!(a.poll(first.as_mut()).is_pending());
        assert!(b.poll(second.as_mut()).is_pending());
        assert!(c.poll(third.as_mut()).is_pending());
        notify.notify_last();
        let woken = [a.wakes(), b.wakes(), c.wakes()];
        drop(third); // woken but unseen: handed on, again to the newest
        let handed_on = [a.wakes(), b.wakes(), c.wakes()];
        assert!(b.poll(second.as_mut()).is_ready());
        assert!(a.poll(first.as_mut()).is_pending());
        notify.notify_last(); // nobody but `first` waits
        assert!(a.poll(first.as_mut()).is_ready());
        notify.notify_last(); // nobody waits: stored as the permit
        let mut later = Box::pin(notify.notified());
        (woken, handed_on, a.poll(later.as_mut()).is_ready())
    }};
}

#[test]
fn notify_last_wakes_the_newest_waiter_and_a_dropped_one_passes_it_on_as_tokio_s() {
    let ours = notify_last_scenario!(wakeful::sync::Notify);
    assert_eq!(ours, notify_last_scenario!(tokio::sync::Notify));
    assert_eq!(ours, ([0, 0, 1], [0, 1, 1], true));
}
