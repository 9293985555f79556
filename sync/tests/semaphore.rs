//! Semaphore: fairness, cancellation at every wait, closing, permits back on drop; the
//! shared scenarios run on tokio's too and must observe the same.

mod common;

use common::{poll, CountingWaker};
use std::rc::Rc;
use std::task::Poll;

/// Head-of-line fairness: a large request at the head holds back smaller later ones;
/// the observations are compared with tokio's.
macro_rules! fairness_scenario {
    ($sem:ty) => {{
        let w = CountingWaker::new();
        let sem = <$sem>::new(1);
        let mut seen = Vec::new();
        let held = sem.try_acquire().unwrap();
        let mut big = Box::pin(sem.acquire_many(3));
        let mut small = Box::pin(sem.acquire());
        seen.push(poll(&w, &mut big).is_pending());
        seen.push(poll(&w, &mut small).is_pending());
        seen.push(sem.try_acquire().is_err());
        sem.add_permits(1);
        seen.push(sem.available_permits() == 0);
        drop(held); // 2 of 3 assigned to big now
        seen.push(poll(&w, &mut small).is_pending());
        sem.add_permits(2); // big served; 1 left for small
        let big_permit = match poll(&w, &mut big) {
            Poll::Ready(Ok(p)) => p,
            _ => panic!("big not served"),
        };
        seen.push(big_permit.num_permits() == 3);
        seen.push(matches!(poll(&w, &mut small), Poll::Ready(Ok(_))));
        drop(big_permit);
        seen.push(sem.available_permits() == 4);
        seen
    }};
}

#[test]
fn a_large_request_at_the_head_is_served_before_later_small_ones_as_tokio() {
    let ours = fairness_scenario!(wakeful::sync::Semaphore);
    let tokio = fairness_scenario!(tokio::sync::Semaphore);
    assert_eq!(ours, tokio);
    assert!(ours.iter().all(|&ok| ok), "{ours:?}");
}

#[test]
fn an_acquire_dropped_while_partly_served_gives_its_permits_to_the_next() {
    let w = CountingWaker::new();
    let sem = wakeful::sync::Semaphore::new(2);
    let mut big = Box::pin(sem.acquire_many(5));
    assert!(poll(&w, &mut big).is_pending());
    assert_eq!(sem.available_permits(), 0, "2 set aside for big");
    let mut next = Box::pin(sem.acquire_many(2));
    assert!(poll(&w, &mut next).is_pending());
    assert_eq!(w.held_elsewhere(), 2);
    drop(big);
    assert_eq!(w.held_elsewhere(), 0, "big took its waker with it, next's was woken");
    assert_eq!(w.wakes(), 1, "next was served by big's permits");
    let permit = match poll(&w, &mut next) {
        Poll::Ready(Ok(p)) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(w.held_elsewhere(), 0);
    drop(permit);
    assert_eq!(sem.available_permits(), 2, "nothing lost");
}

#[test]
fn an_acquire_dropped_after_being_served_but_before_its_poll_loses_nothing() {
    let w = CountingWaker::new();
    let sem = wakeful::sync::Semaphore::new(0);
    let mut a = Box::pin(sem.acquire_many(2));
    assert!(poll(&w, &mut a).is_pending());
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 0, "assigned to a");
    drop(a);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn close_fails_every_waiter_and_later_acquires_but_held_permits_still_return() {
    let w = CountingWaker::new();
    let sem = wakeful::sync::Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let mut waiters: Vec<_> = (0..3).map(|_| Box::pin(sem.acquire())).collect();
    for f in &mut waiters {
        assert!(poll(&w, f).is_pending());
    }
    sem.close();
    assert!(sem.is_closed());
    assert_eq!(w.wakes(), 3);
    for f in &mut waiters {
        assert!(matches!(poll(&w, f), Poll::Ready(Err(_))));
    }
    assert!(matches!(sem.try_acquire(), Err(wakeful::sync::TryAcquireError::Closed)));
    let mut late = Box::pin(sem.acquire());
    assert!(matches!(poll(&w, &mut late), Poll::Ready(Err(_))));
    drop(held);
    assert_eq!(sem.available_permits(), 1);
    assert_eq!(w.held_elsewhere(), 0);
}

#[test]
fn owned_permits_keep_the_semaphore_and_return_on_drop() {
    let sem = Rc::new(wakeful::sync::Semaphore::new(3));
    let (a, mut b) = wakeful::block_on(async {
        (sem.clone().acquire_owned().await.unwrap(), sem.clone().acquire_many_owned(2).await.unwrap())
    });
    assert!(Rc::ptr_eq(a.semaphore(), &sem));
    assert!(sem.clone().try_acquire_owned().is_err());
    let c = b.split(1).unwrap();
    assert!(b.split(5).is_none());
    drop(a);
    drop(b);
    assert_eq!(sem.available_permits(), 2);
    c.forget();
    assert_eq!(sem.available_permits(), 2, "a forgotten permit never returns");
    assert_eq!(sem.forget_permits(5), 2);
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn ten_thousand_waiters_are_served_in_order_and_cancel_in_constant_time() {
    let w = CountingWaker::new();
    let sem = wakeful::sync::Semaphore::new(0);
    let mut waiters: Vec<_> = (0..10_000).map(|_| Some(Box::pin(sem.acquire()))).collect();
    for f in waiters.iter_mut().flatten() {
        assert!(poll(&w, f).is_pending());
    }
    // Every other waiter gives up; the rest are served in arrival order.
    for f in waiters.iter_mut().step_by(2) {
        *f = None;
    }
    sem.add_permits(2);
    let first = poll(&w, waiters[1].as_mut().unwrap());
    let second = poll(&w, waiters[3].as_mut().unwrap());
    assert!(matches!((&first, &second), (Poll::Ready(Ok(_)), Poll::Ready(Ok(_)))));
    assert!(poll(&w, waiters[5].as_mut().unwrap()).is_pending());
    drop(waiters);
    drop((first, second));
    assert_eq!(sem.available_permits(), 2);
    assert_eq!(w.held_elsewhere(), 0);
}

/// A waker whose drop acquires from the semaphore it waited on: the semaphore must not
/// be borrowed when it drops a waker.
#[test]
fn a_waker_that_uses_the_semaphore_from_its_drop_does_not_trip_a_borrow() {
    use std::task::{RawWaker, RawWakerVTable, Waker};
    thread_local!(static SEM: Rc<wakeful::sync::Semaphore> = Rc::new(wakeful::sync::Semaphore::new(0)));
    fn clone(p: *const ()) -> RawWaker {
        RawWaker::new(p, &VTABLE)
    }
    fn noop(_: *const ()) {}
    fn drop_it(_: *const ()) {
        SEM.with(|s| {
            let _ = s.try_acquire();
            s.available_permits()
        });
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, drop_it, noop, drop_it);
    // SAFETY: the vtable's functions ignore the data pointer, so a null one is valid.
    let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
    let mut cx = std::task::Context::from_waker(&waker);
    SEM.with(|sem| {
        let mut a = Box::pin(sem.acquire());
        assert!(a.as_mut().poll_fn_helper(&mut cx).is_pending());
        sem.add_permits(1); // wakes (and drops) the stored waker
        let permit = a.as_mut().poll_fn_helper(&mut cx);
        assert!(matches!(permit, Poll::Ready(Ok(_))));
        let mut b = Box::pin(sem.acquire());
        assert!(b.as_mut().poll_fn_helper(&mut cx).is_pending());
        drop(b); // drops its waker while leaving
        drop(permit);
        assert_eq!(sem.available_permits(), 1, "the permit came back");
    });
}

trait PollHelper: std::future::Future {
    fn poll_fn_helper(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        self.poll(cx)
    }
}
impl<F: std::future::Future + ?Sized> PollHelper for F {}
