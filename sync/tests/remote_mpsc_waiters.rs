//! remote::mpsc's waiters polled by hand: FIFO waiting senders, sends cancelled at
//! each `Pending`, closing from each side, and many waiters leaving in any order.

mod common;

use common::{poll, CountingWaker};
use std::task::Poll;
use wakeful::sync::remote::mpsc;

#[test]
fn waiting_senders_are_served_in_order_and_try_send_does_not_overtake_them() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let wakers: Vec<_> = (0..5).map(|_| CountingWaker::new()).collect();
    let mut sends: Vec<_> = (1..=5).map(|n| Box::pin(tx.send(n))).collect();
    for (send, w) in sends.iter_mut().zip(&wakers) {
        assert!(poll(w, send).is_pending());
    }
    for n in 0..5 {
        assert_eq!(rx.try_recv(), Ok(n));
        assert!(matches!(tx.try_send(99), Err(mpsc::error::TrySendError::Full(99))), "overtook a waiter");
        let woken: Vec<_> = wakers[n as usize..].iter().map(CountingWaker::wakes).collect();
        assert_eq!(woken[0], 1, "after recv {n}: the first waiter is woken");
        assert!(woken[1..].iter().all(|&x| x == 0), "after recv {n}: only the first: {woken:?}");
        assert!(poll(&wakers[n as usize], &mut sends[n as usize]).is_ready());
    }
    assert_eq!(rx.try_recv(), Ok(5));
    assert_eq!(tx.capacity(), 1);
    drop(sends);
    assert!(wakers.iter().all(|w| w.held_elsewhere() == 0));
}

#[test]
fn a_send_dropped_at_each_point_strands_no_slot_and_no_waker() {
    // Dropped while queued, dropped once granted but before it saw the grant.
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let (a, b, c) = (CountingWaker::new(), CountingWaker::new(), CountingWaker::new());
    let mut first = Box::pin(tx.send(1));
    let mut second = Box::pin(tx.send(2));
    let mut third = Box::pin(tx.send(3));
    assert!(poll(&a, &mut first).is_pending());
    assert!(poll(&b, &mut second).is_pending());
    assert!(poll(&c, &mut third).is_pending());
    drop(second); // queued: leaves its place
    assert_eq!(b.held_elsewhere(), 0);
    assert_eq!(rx.try_recv(), Ok(0)); // grants the slot to `first`
    assert_eq!(a.wakes(), 1);
    drop(first); // granted, unseen: the slot goes on to `third`
    assert_eq!(c.wakes(), 1, "the granted slot was passed on");
    assert!(poll(&c, &mut third).is_ready());
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(tx.capacity(), 1, "no slot stranded");
    drop(third);
    let mut reserve = Box::pin(tx.reserve());
    let permit = match poll(&a, &mut reserve) {
        Poll::Ready(Ok(permit)) => permit,
        other => panic!("reserve on a free channel: {other:?}"),
    };
    drop(permit);
    drop(reserve);
    assert_eq!(tx.capacity(), 1);
    assert!([&a, &b, &c].iter().all(|w| w.held_elsewhere() == 0));
}

#[test]
fn closing_the_receiver_fails_waiting_senders_with_their_value_and_completes_closed() {
    let (tx, mut rx) = mpsc::channel::<String>(1);
    tx.try_send("queued".into()).unwrap();
    let (w, c) = (CountingWaker::new(), CountingWaker::new());
    let mut send = Box::pin(tx.send("waiting".into()));
    let mut closed = Box::pin(tx.closed());
    assert!(poll(&w, &mut send).is_pending());
    assert!(poll(&c, &mut closed).is_pending());
    rx.close();
    assert_eq!((w.wakes(), c.wakes()), (1, 1));
    match poll(&w, &mut send) {
        Poll::Ready(Err(mpsc::error::SendError(value))) => assert_eq!(value, "waiting"),
        other => panic!("a send waiting at close: {other:?}"),
    }
    assert!(poll(&c, &mut closed).is_ready());
    assert_eq!(rx.try_recv().as_deref(), Ok("queued"));
    assert_eq!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected));
    assert!(poll(&w, &mut Box::pin(tx.closed())).is_ready());
}

#[test]
fn the_last_sender_dropped_wakes_a_waiting_receiver_with_none() {
    let w = CountingWaker::new();
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    let tx2 = tx.clone();
    let weak = tx.downgrade();
    let mut recv = Box::pin(rx.recv());
    assert!(poll(&w, &mut recv).is_pending());
    drop(tx);
    assert_eq!(w.wakes(), 0, "a sender is left");
    drop(tx2);
    assert_eq!(w.wakes(), 1);
    assert_eq!(poll(&w, &mut recv), Poll::Ready(None));
    assert!(weak.upgrade().is_none(), "a weak sender does not revive the channel");
    assert_eq!(w.held_elsewhere(), 0);
}

#[test]
fn ten_thousand_waiting_senders_leave_in_any_order_in_linear_time() {
    const N: usize = 10_000;
    let (tx, mut rx) = mpsc::channel::<usize>(1);
    tx.try_send(usize::MAX).unwrap();
    let w = CountingWaker::new();
    let mut sends: Vec<_> = (0..N).map(|n| Some(Box::pin(tx.send(n)))).collect();
    for send in sends.iter_mut().flatten() {
        assert!(poll(&w, send).is_pending());
    }
    let start = std::time::Instant::now();
    // Drop every odd one, from the middle outwards, then serve the even ones in order.
    for i in (0..N).filter(|i| i % 2 == 1).rev() {
        sends[i] = None;
    }
    for n in (0..N).step_by(2) {
        assert!(rx.try_recv().is_ok());
        assert!(poll(&w, sends[n].as_mut().unwrap()).is_ready(), "sender {n} served in order");
        sends[n] = None;
    }
    assert_eq!(rx.try_recv(), Ok(N - 2));
    assert_eq!(tx.capacity(), 1);
    assert_eq!(w.held_elsewhere(), 0);
    assert!(start.elapsed() < std::time::Duration::from_secs(10), "quadratic: {:?}", start.elapsed());
}

#[test]
fn many_closed_waiters_are_all_woken_once_and_dropped_ones_leave() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    let w = CountingWaker::new();
    let mut waiting: Vec<_> = (0..10_000).map(|_| Box::pin(tx.closed())).collect();
    for closed in &mut waiting {
        assert!(poll(&w, closed).is_pending());
    }
    waiting.truncate(5_000);
    assert_eq!(w.held_elsewhere(), 5_000);
    rx.close();
    assert_eq!(w.wakes(), 5_000);
    assert!(waiting.iter_mut().all(|closed| poll(&w, closed).is_ready()));
    drop(waiting);
    assert_eq!(w.held_elsewhere(), 0);
}

#[test]
fn a_reserve_owned_or_recv_many_dropped_at_pending_gives_everything_back() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let w = CountingWaker::new();
    let mut owned = Box::pin(tx.clone().reserve_owned());
    assert!(poll(&w, &mut owned).is_pending());
    assert_eq!(tx.strong_count(), 2);
    let mut buffer = Vec::new();
    assert_eq!(poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 8))), Poll::Ready(1)); // grants `owned`
    drop(owned); // granted, unseen: the slot and the sender come back
    assert_eq!((tx.capacity(), tx.strong_count()), (1, 1));
    assert!(poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 8))).is_pending());
    assert_eq!(w.held_elsewhere(), 0, "the dropped recv_many took its waker");
    let permit = tx.clone().try_reserve_owned().unwrap();
    let tx2 = permit.send(5);
    assert!(tx2.same_channel(&tx));
    assert_eq!(rx.blocking_recv_many(&mut buffer, 8), 1, "a message is there: no park");
    assert_eq!(buffer, [0, 5]);
}
