//! Mutex: fairness, cancellation at every await, no poisoning, many waiters; the
//! FIFO scenario also on tokio's Mutex, with the same observable order.

mod common;

use common::Task;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Wake, Waker};
use wakeful::sync::Mutex;

/// Holds the lock, queues three waiters, then releases guard after guard; returns the
/// order in which waiters got the lock.
macro_rules! fifo_scenario {
    ($mutex:expr) => {{
        let m = $mutex;
        let held = m.try_lock().unwrap();
        let mut tasks: Vec<_> = (0..3).map(|_| Task::new(m.lock())).collect();
        for t in &mut tasks {
            t.pending("waiter while held");
        }
        assert!(m.try_lock().is_err(), "try_lock while held");
        drop(held);
        let mut order = Vec::new();
        for _ in 0..3 {
            let mut next = None;
            for (i, t) in tasks.iter_mut().enumerate() {
                if t.waker.wakes() == 1 && !order.contains(&i) {
                    next = Some(i);
                }
            }
            let i = next.expect("one waiter woken");
            let guard = tasks[i].ready("woken waiter");
            order.push(i);
            // Nobody else may get in while this guard lives.
            for (j, t) in tasks.iter_mut().enumerate() {
                if !order.contains(&j) {
                    t.pending("waiter behind the holder");
                }
            }
            drop(guard);
        }
        order
    }};
}

#[test]
fn waiters_get_the_lock_in_arrival_order_as_on_tokio() {
    let ours = fifo_scenario!(Mutex::new(0));
    let theirs = fifo_scenario!(tokio::sync::Mutex::new(0));
    assert_eq!(ours, [0, 1, 2]);
    assert_eq!(ours, theirs);
}

#[test]
fn a_waiter_dropped_while_pending_leaves_no_waker_and_no_gap() {
    let m = Mutex::new(1);
    let held = m.try_lock().unwrap();
    let mut a = Task::new(m.lock());
    let mut b = Task::new(m.lock());
    a.pending("a");
    b.pending("b");
    assert_eq!(a.waker.held_elsewhere(), 1);
    drop(a.fut);
    assert_eq!(a.waker.held_elsewhere(), 0, "the dropped waiter's waker stays behind");
    drop(held);
    assert_eq!(b.waker.wakes(), 1, "b is next in line");
    assert_eq!(*b.ready("b"), 1);
}

#[test]
fn a_waiter_dropped_after_being_granted_hands_the_lock_on() {
    let m = Mutex::new(());
    let held = m.try_lock().unwrap();
    let mut a = Task::new(m.lock());
    let mut b = Task::new(m.lock());
    a.pending("a");
    b.pending("b");
    drop(held);
    assert_eq!((a.waker.wakes(), b.waker.wakes()), (1, 0));
    drop(a.fut); // granted, never polled again
    assert_eq!(b.waker.wakes(), 1, "the grant passed on to b");
    let guard = b.ready("b");
    assert!(m.try_lock().is_err());
    drop(guard);
    assert!(m.try_lock().is_ok(), "the lock is free at the end");
}

#[test]
fn a_repolled_waiter_keeps_its_place_and_its_latest_waker() {
    let m = Mutex::new(());
    let held = m.try_lock().unwrap();
    let mut a = Task::new(m.lock());
    a.pending("first poll");
    let other = common::CountingWaker::new();
    assert!(other.poll(a.fut.as_mut()).is_pending());
    assert_eq!(a.waker.held_elsewhere(), 0, "the old waker was replaced");
    drop(held);
    assert_eq!((a.waker.wakes(), other.wakes()), (0, 1));
}

#[test]
fn a_panic_while_locked_does_not_poison() {
    wakeful::block_on(async {
        let m = Rc::new(Mutex::new(5));
        let m2 = m.clone();
        let task = wakeful::spawn(async move {
            let mut guard = m2.lock().await;
            *guard = 6;
            panic!("inside the lock");
        });
        assert!(task.await.is_err(), "the task panicked");
        assert_eq!(*m.try_lock().expect("unlocked by the unwinding guard"), 6);
    });
}

#[test]
fn owned_guards_move_into_tasks_and_unlock_there() {
    wakeful::block_on(async {
        let m = Rc::new(Mutex::new(Vec::new()));
        let guard = m.clone().lock_owned().await;
        let waiter = {
            let m = m.clone();
            wakeful::spawn(async move { m.lock_owned().await.push(2) })
        };
        let holder = wakeful::spawn(async move {
            let mut guard = guard;
            wakeful::yield_now().await;
            guard.push(1);
        });
        holder.await.unwrap();
        waiter.await.unwrap();
        assert_eq!(*m.clone().try_lock_owned().unwrap(), [1, 2]);
        let mut plain = Rc::try_unwrap(m).unwrap();
        plain.get_mut().push(3);
        assert_eq!(plain.into_inner(), [1, 2, 3]);
    });
}

#[test]
fn ten_thousand_waiters_dropped_at_random_keep_order_in_linear_time() {
    let m = Mutex::new(Vec::new());
    let held = m.try_lock().unwrap();
    let mut tasks: Vec<_> = (0..10_000)
        .map(|i| {
            let m = &m;
            Some(Task::new(async move { m.lock().await.push(i) }))
        })
        .collect();
    for t in tasks.iter_mut().flatten() {
        t.pending("queued");
    }
    for i in (0..10_000).filter(|i| i % 3 == 0) {
        tasks[i] = None;
    }
    drop(held);
    // Each completion grants the next in line; poll in order.
    for t in tasks.iter_mut().flatten() {
        t.ready("served in turn");
    }
    drop(tasks);
    let got = m.into_inner();
    let want: Vec<_> = (0..10_000).filter(|i| i % 3 != 0).collect();
    assert_eq!(got, want);
}

thread_local! {
    static REENTERED: RefCell<Option<Rc<Mutex<u32>>>> = const { RefCell::new(None) };
}

/// A waker that takes the mutex from inside `wake` and from its own drop.
struct Reentrant;

impl Wake for Reentrant {
    fn wake(self: Arc<Self>) {
        REENTERED.with(|m| {
            let m = m.borrow().clone().unwrap();
            if let Ok(mut g) = m.try_lock() {
                *g += 1;
            };
        });
    }
}

impl Drop for Reentrant {
    fn drop(&mut self) {
        REENTERED.with(|m| {
            if let Some(m) = m.borrow().clone() {
                let _ = m.try_lock();
            }
        });
    }
}

#[test]
fn a_waker_that_reenters_the_mutex_on_wake_or_drop_does_not_panic() {
    let m = Rc::new(Mutex::new(0));
    REENTERED.with(|r| *r.borrow_mut() = Some(m.clone()));
    let held = m.try_lock().unwrap();
    let waker = Waker::from(Arc::new(Reentrant));
    let mut fut = Box::pin(m.lock());
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    // A new waker replaces the old: the old one's drop re-enters.
    let waker2 = Waker::from(Arc::new(Reentrant));
    drop(waker);
    assert!(fut.as_mut().poll(&mut std::task::Context::from_waker(&waker2)).is_pending());
    drop(waker2);
    drop(held); // the wake re-enters: the lock is granted to `fut`, so try_lock fails
    let guard = match fut.as_mut().poll(&mut std::task::Context::from_waker(Waker::noop())) {
        std::task::Poll::Ready(g) => g,
        std::task::Poll::Pending => panic!("granted waiter not ready"),
    };
    assert_eq!(*guard, 0, "the waker's try_lock did not get in ahead of the grant");
    drop(guard);
    drop(fut);
    REENTERED.with(|r| *r.borrow_mut() = None);
}
