//! broadcast: lagging and closing side by side with tokio, cancellation of `recv()`,
//! values dropped once read by all, many receivers.

mod common;

use common::Task;
use std::rc::Rc;
use wakeful::sync::broadcast::{self, error::RecvError, error::TryRecvError};

/// One script of sends, reads and drops on either implementation; returns everything
/// observed, debug-printed (the error types differ in path, not in shape).
macro_rules! lag_script {
    ($broadcast:path) => {{
        use $broadcast as b;
        let mut log: Vec<String> = Vec::new();
        let (tx, mut fast) = b::channel::<u32>(3); // rounded up to 4
        let mut slow = tx.subscribe();
        for n in 0..3 {
            log.push(format!("send {:?}", tx.send(n).map_err(|e| e.0)));
        }
        log.push(format!("fast {:?} {:?}", fast.try_recv(), fast.try_recv()));
        for n in 3..10 {
            tx.send(n).unwrap();
        }
        log.push(format!("lens tx={} fast={} slow={}", tx.len(), fast.len(), slow.len()));
        let mut late = slow.resubscribe();
        log.push(format!("count {}", tx.receiver_count()));
        for _ in 0..6 {
            log.push(format!("slow {:?}", slow.try_recv()));
        }
        log.push(format!("fast {:?}", fast.try_recv()));
        log.push(format!("late {:?}", late.try_recv()));
        drop(fast);
        log.push(format!("after drop tx.len={} empty={}", tx.len(), tx.is_empty()));
        drop(tx);
        log.push(format!("slow {:?} {:?}", slow.try_recv(), slow.try_recv()));
        log.push(format!("closed {}", slow.is_closed()));
        log
    }};
}

#[test]
fn lagging_and_closing_match_tokio() {
    let ours = lag_script!(wakeful::sync::broadcast);
    let theirs = lag_script!(tokio::sync::broadcast);
    assert_eq!(ours, theirs);
    assert!(ours.contains(&"slow Err(Lagged(6))".to_string()), "{ours:#?}");
}

#[test]
fn recv_waits_then_drains_before_reporting_closed() {
    let (tx, mut rx) = broadcast::channel(4);
    let mut recv = Task::new(async move {
        let mut got = Vec::new();
        loop {
            match rx.recv().await {
                Ok(v) => got.push(v),
                Err(e) => return (got, e),
            }
        }
    });
    recv.pending("empty channel");
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(recv.waker.wakes(), 1);
    recv.pending("read both, waits again");
    drop(tx);
    assert_eq!(recv.waker.wakes(), 2, "the last sender's drop wakes it");
    assert_eq!(recv.ready("closed"), (vec![1, 2], RecvError::Closed));
}

#[test]
fn a_recv_dropped_while_pending_leaves_no_waker_and_loses_nothing() {
    let (tx, mut rx) = broadcast::channel(2);
    let waker = {
        let mut recv = Task::new(rx.recv());
        recv.pending("empty");
        recv.waker
    };
    assert_eq!(waker.held_elsewhere(), 0);
    tx.send(7).unwrap();
    assert_eq!(waker.wakes(), 0);
    assert_eq!(rx.try_recv(), Ok(7));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    // Woken, then dropped before reading: the value stays too.
    let mut recv = Task::new(rx.recv());
    recv.pending("empty again");
    tx.send(8).unwrap();
    assert_eq!(recv.waker.wakes(), 1);
    drop(recv);
    assert_eq!(rx.try_recv(), Ok(8));
}

#[test]
fn a_value_drops_once_every_receiver_read_it_or_left() {
    let (tx, mut a) = broadcast::channel(4);
    let mut b = tx.subscribe();
    let value = Rc::new(());
    tx.send(value.clone()).unwrap();
    assert_eq!(Rc::strong_count(&value), 2, "held by the ring");
    let got_a = a.try_recv().unwrap();
    assert_eq!(Rc::strong_count(&value), 3, "a cloned it; the ring keeps it for b");
    drop(got_a);
    tx.send(value.clone()).unwrap();
    let got_b = b.try_recv().unwrap();
    assert_eq!(Rc::strong_count(&value), 3, "the last reader took the ring's copy");
    drop(got_b);
    assert_eq!(Rc::strong_count(&value), 2, "only the second value, in the ring");
    drop(b); // b never read the second value
    assert_eq!(Rc::strong_count(&value), 2, "a has yet to read it");
    drop(a);
    assert_eq!(Rc::strong_count(&value), 1, "nobody left to read it");
    assert!(tx.is_empty());
}

#[test]
fn send_without_receivers_gives_the_value_back() {
    let (tx, rx) = broadcast::channel(1);
    drop(rx);
    assert_eq!(tx.send(5).unwrap_err().0, 5);
    let mut rx = tx.subscribe();
    assert_eq!(tx.send(6), Ok(1));
    assert_eq!(rx.try_recv(), Ok(6));
}

#[test]
#[should_panic(expected = "capacity cannot be zero")]
fn a_zero_capacity_is_refused_as_tokio() {
    let _ = broadcast::channel::<()>(0);
}

#[test]
fn ten_thousand_receivers_half_cancelled_each_get_one_wake() {
    let (tx, rx) = broadcast::channel(1);
    let mut rxs: Vec<_> = (0..10_000).map(|_| rx.resubscribe()).collect();
    let mut tasks: Vec<_> = rxs.iter_mut().map(|r| Some(Task::new(r.recv()))).collect();
    for t in tasks.iter_mut().flatten() {
        t.pending("waiting");
    }
    for t in tasks.iter_mut().step_by(2) {
        *t = None;
    }
    assert_eq!(tx.send(3), Ok(10_001));
    for t in tasks.iter_mut().flatten() {
        assert_eq!(t.waker.wakes(), 1);
        assert_eq!(t.ready("woken"), Ok(3));
    }
}

macro_rules! closed_scenario {
    ($broadcast:path) => {{
        use $broadcast as broadcast;
        let (tx, rx) = broadcast::channel::<u32>(2);
        let mut log = Vec::new();
        let rx2 = tx.subscribe();
        let mut closed = Box::pin(tx.closed());
        let waker = common::CountingWaker::new();
        log.push(format!("{:?}", waker.poll(closed.as_mut()).is_ready()));
        drop(rx);
        log.push(format!("{} {:?}", waker.wakes(), waker.poll(closed.as_mut()).is_ready()));
        drop(rx2);
        log.push(format!("{} {:?}", waker.wakes(), waker.poll(closed.as_mut()).is_ready()));
        drop(closed);
        log.push(format!("{:?}", waker.poll(Box::pin(tx.closed()).as_mut()).is_ready()));
        let _rx3 = tx.subscribe();
        let mut again = Box::pin(tx.closed());
        log.push(format!("{:?} {}", waker.poll(again.as_mut()).is_ready(), tx.receiver_count()));
        drop(again);
        log.push(format!("copies left {}", waker.held_elsewhere()));
        log
    }};
}

#[test]
fn sender_closed_waits_for_the_last_receiver_as_tokio_s() {
    let ours = closed_scenario!(wakeful::sync::broadcast);
    let theirs = closed_scenario!(tokio::sync::broadcast);
    assert_eq!(ours, theirs);
    assert_eq!(ours, ["false", "0 false", "1 true", "true", "false 1", "copies left 0"]);
}
