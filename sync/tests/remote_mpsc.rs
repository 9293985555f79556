//! remote::mpsc polled by hand, side by side with tokio's mpsc (its halves are `Send`
//! like these): back-pressure, permits, weak senders, closing, `recv_many`, the
//! receiver's stream, and the bounds. Waiting senders and cancellation are in
//! `remote_mpsc_waiters.rs`; re-entrant and panicking wakers and messages in
//! `remote_mpsc_reentrant.rs`.

mod common;

use common::{poll, CountingWaker};
use std::task::Poll;
use wakeful::sync::remote::mpsc;

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn halves_and_futures_are_send_and_senders_sync() {
    assert_send_sync::<mpsc::Sender<String>>();
    assert_send_sync::<mpsc::UnboundedSender<String>>();
    assert_send_sync::<mpsc::WeakSender<String>>();
    assert_send::<mpsc::Receiver<String>>();
    assert_send::<mpsc::UnboundedReceiver<String>>();
    assert_send::<mpsc::OwnedPermit<String>>();
    fn future_is_send<F: std::future::Future + Send>(_: F) {}
    let (tx, mut rx) = mpsc::channel::<String>(1);
    future_is_send(tx.send(String::new()));
    future_is_send(tx.reserve());
    future_is_send(tx.closed());
    future_is_send(rx.recv());
}

macro_rules! bounded_scenario {
    ($mpsc:path) => {{
        use $mpsc as mpsc;
        let w = CountingWaker::new();
        let mut seen: Vec<String> = Vec::new();
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        tx.try_send(1).unwrap();
        seen.push(format!("{:?}", tx.try_send(2).is_ok()));
        seen.push(format!("{}", tx.try_send(3).unwrap_err()));
        seen.push(format!("{} {}", tx.capacity(), tx.max_capacity()));
        let mut blocked = Box::pin(tx.send(3));
        seen.push(format!("{:?}", poll(&w, &mut blocked).is_pending()));
        seen.push(format!("{:?}", rx.try_recv()));
        seen.push(format!("{:?} wakes={}", poll(&w, &mut blocked), w.wakes()));
        drop(blocked);
        seen.push(format!("{}", tx.try_reserve().unwrap_err()));
        seen.push(format!("{:?} {:?}", rx.try_recv(), rx.try_recv()));
        drop(tx.try_reserve().unwrap()); // the slot comes back
        seen.push(format!("{} {}", tx.capacity(), rx.capacity()));
        let weak = tx.downgrade();
        seen.push(format!("{} {}", tx.strong_count(), tx.weak_count()));
        rx.close();
        seen.push(format!("{} {:?}", tx.is_closed(), tx.try_send(4).map_err(|e| e.to_string())));
        seen.push(format!("{:?} {}", rx.try_recv(), rx.is_closed()));
        drop(tx);
        seen.push(format!("{}", weak.upgrade().is_none()));
        seen
    }};
}

#[test]
fn back_pressure_permits_weak_senders_and_close_behave_as_tokio() {
    let ours = bounded_scenario!(wakeful::sync::remote::mpsc);
    assert_eq!(ours, bounded_scenario!(tokio::sync::mpsc));
    assert_eq!(ours[4], "Ok(1)");
    assert_eq!(ours[5], "Ready(Ok(())) wakes=1");
    assert_eq!(ours[10], r#"true Err("channel closed")"#);
}

macro_rules! closed_with_reserved_slot_scenario {
    ($mpsc:path) => {{
        use $mpsc as mpsc;
        let w = CountingWaker::new();
        let (tx, mut rx) = mpsc::channel::<u32>(4);
        tx.try_send(1).unwrap();
        let permit = tx.try_reserve().unwrap();
        let owned = tx.clone().try_reserve_owned().unwrap();
        rx.close();
        let mut seen = vec![format!("{:?}", rx.try_recv())];
        let mut recv = Box::pin(rx.recv());
        seen.push(format!("{:?}", poll(&w, &mut recv))); // waits for the reserved slots
        permit.send(2);
        seen.push(format!("{:?} wakes={}", poll(&w, &mut recv), w.wakes()));
        drop(recv);
        seen.push(format!("{:?}", rx.try_recv()));
        let mut recv = Box::pin(rx.recv());
        seen.push(format!("{:?}", poll(&w, &mut recv)));
        drop(owned.release());
        seen.push(format!("{:?} wakes={}", poll(&w, &mut recv), w.wakes()));
        seen
    }};
}

#[test]
fn a_closed_receiver_waits_for_reserved_slots_as_tokio() {
    let ours = closed_with_reserved_slot_scenario!(wakeful::sync::remote::mpsc);
    assert_eq!(ours, closed_with_reserved_slot_scenario!(tokio::sync::mpsc));
    assert_eq!(
        ours,
        ["Ok(1)", "Pending", "Ready(Some(2)) wakes=1", "Err(Empty)", "Pending", "Ready(None) wakes=2"]
    );
}

macro_rules! unbounded_scenario {
    ($mpsc:path) => {{
        use $mpsc as mpsc;
        let w = CountingWaker::new();
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let tx2 = tx.clone();
        let mut seen = vec![format!("{} {}", tx.same_channel(&tx2), rx.sender_strong_count())];
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        let mut buffer = Vec::new();
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 3)))));
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 0)))));
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 10)))));
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 10)))));
        drop((tx, tx2));
        seen.push(format!("{:?} {:?}", buffer, poll(&w, &mut Box::pin(rx.recv()))));
        seen.push(format!("{:?} wakes={}", rx.try_recv(), w.wakes()));
        seen
    }};
}

#[test]
fn unbounded_recv_many_and_the_end_of_senders_behave_as_tokio() {
    let ours = unbounded_scenario!(wakeful::sync::remote::mpsc);
    let tokio = unbounded_scenario!(tokio::sync::mpsc);
    assert_eq!(ours[..6], tokio[..6]);
    assert_eq!(ours[5], "[0, 1, 2, 3, 4] Ready(None)");
    // The one difference: a dropped `recv_many` took its waker out here, while
    // tokio's stays registered and is woken when the last sender leaves.
    assert_eq!((&*ours[6], &*tokio[6]), ("Err(Disconnected) wakes=0", "Err(Disconnected) wakes=1"));
}

#[test]
fn stream_ends_with_the_senders() {
    use futures_core::Stream;
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    tx.try_send(1).unwrap();
    drop(tx);
    let w = CountingWaker::new();
    let mut cx = std::task::Context::from_waker(w.waker());
    assert_eq!(std::pin::Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(Some(1)));
    assert_eq!(std::pin::Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(None));
}

#[test]
#[should_panic(expected = "buffer > 0")]
fn a_zero_bound_panics_as_tokio() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
fn the_largest_bound_works_where_tokio_panics() {
    let (tx, mut rx) = mpsc::channel::<u8>(usize::MAX);
    assert_eq!(tx.capacity(), usize::MAX);
    tx.try_send(1).unwrap();
    assert_eq!(tx.capacity(), usize::MAX - 1);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!((tx.capacity(), rx.max_capacity()), (usize::MAX, usize::MAX));
    assert!(std::panic::catch_unwind(|| tokio::sync::mpsc::channel::<u8>(usize::MAX)).is_err());
}

macro_rules! receiver_is_closed_scenario {
    ($mpsc:path) => {{
        use $mpsc as mpsc;
        let (tx, rx) = mpsc::channel::<u32>(2);
        let (utx, urx) = mpsc::unbounded_channel::<u32>();
        let mut seen = vec![format!("{} {}", rx.is_closed(), urx.is_closed())];
        tx.try_send(1).unwrap();
        utx.send(1).unwrap();
        drop((tx, utx));
        seen.push(format!("{} {}", rx.is_closed(), urx.is_closed()));
        seen
    }};
}

#[test]
fn a_receiver_is_closed_once_every_sender_is_gone_as_tokio() {
    let ours = receiver_is_closed_scenario!(wakeful::sync::remote::mpsc);
    assert_eq!(ours, receiver_is_closed_scenario!(tokio::sync::mpsc));
    assert_eq!(ours, ["false false", "true true"]);
}
