//! `Sender::reserve_many`/`try_reserve_many`: all-or-nothing reservations, unused slots
//! going back, and cancellation at the wait; the shared scenario runs on tokio's too.

mod common;

use common::CountingWaker;
use std::task::Poll;

macro_rules! reserve_many_scenario {
    ($mpsc:path) => {{
        use $mpsc as mpsc;
        let (tx, mut rx) = mpsc::channel::<u32>(3);
        let mut log = Vec::new();
        log.push(format!("{:?}", tx.try_reserve_many(4).map(|p| p.len()).map_err(|e| e.to_string())));
        log.push(format!("{:?}", tx.reserve_many(4).await.map(|p| p.len()).map_err(|e| e.to_string())));
        let mut permits = tx.reserve_many(2).await.unwrap();
        log.push(format!("{} left, capacity {}", permits.len(), tx.capacity()));
        log.push(format!("{:?}", tx.try_reserve_many(2).map(|p| p.len()).map_err(|e| e.to_string())));
        permits.next().unwrap().send(1);
        drop(permits); // the second slot goes back unused
        log.push(format!("capacity {}", tx.capacity()));
        for (n, permit) in tx.try_reserve_many(2).unwrap().enumerate() {
            permit.send(10 + n as u32);
        }
        log.push(format!("{:?}", tx.try_reserve_many(0).map(|p| p.len()).map_err(|e| e.to_string())));
        let mut got = Vec::new();
        rx.recv_many(&mut got, 8).await;
        log.push(format!("{got:?}"));
        rx.close();
        log.push(format!("{:?}", tx.try_reserve_many(1).map(|p| p.len()).map_err(|e| e.to_string())));
        log.push(format!("{:?}", tx.reserve_many(1).await.map(|p| p.len()).map_err(|e| e.to_string())));
        log
    }};
}

#[test]
fn reserve_many_behaves_as_tokio_s() {
    let ours = wakeful::block_on(async { reserve_many_scenario!(wakeful::sync::mpsc) });
    let theirs = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async { reserve_many_scenario!(tokio::sync::mpsc) });
    assert_eq!(ours, theirs);
    assert_eq!(ours[6], "[1, 10, 11]");
}

#[test]
fn a_reserve_many_dropped_while_waiting_keeps_no_slot_and_lets_the_next_in() {
    let (tx, mut rx) = wakeful::sync::mpsc::channel::<u32>(2);
    tx.try_send(1).unwrap();
    let first = CountingWaker::new();
    let second = CountingWaker::new();
    let mut both = Box::pin(tx.reserve_many(2));
    assert!(first.poll(both.as_mut()).is_pending());
    let mut one = Box::pin(tx.reserve());
    assert!(second.poll(one.as_mut()).is_pending(), "behind the first in line");
    assert_eq!(rx.try_recv(), Ok(1)); // one slot set aside for `both`, still short of 2
    assert_eq!(second.wakes(), 0);
    drop(both);
    assert_eq!(first.held_elsewhere(), 0, "the dropped wait took its waker");
    assert_eq!(second.wakes(), 1, "the slot set aside went to the next sender");
    let Poll::Ready(Ok(permit)) = second.poll(one.as_mut()) else { panic!("served") };
    permit.send(2);
    drop(one);
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(tx.capacity(), 2, "every slot is back");
}

#[test]
fn a_receiver_closed_during_reserve_many_fails_it_and_then_ends() {
    let (tx, mut rx) = wakeful::sync::mpsc::channel::<u32>(1);
    tx.try_send(1).unwrap();
    let waker = CountingWaker::new();
    let mut waiting = Box::pin(tx.reserve_many(1));
    assert!(waker.poll(waiting.as_mut()).is_pending());
    rx.close();
    assert_eq!(waker.wakes(), 1);
    assert!(matches!(waker.poll(waiting.as_mut()), Poll::Ready(Err(_))));
    drop(waiting);
    assert_eq!(rx.try_recv(), Ok(1), "queued messages stay receivable after close");
    assert!(rx.try_recv().is_err());
}
