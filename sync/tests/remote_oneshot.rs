//! remote::oneshot polled by hand: each side closing or dropping at each point, wakers
//! left behind, wakers that re-enter or panic; the shared scenarios run on tokio's
//! oneshot too.

mod common;

use common::{poll, CountingWaker};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use wakeful::sync::remote::oneshot;

#[test]
fn halves_are_send_and_the_sender_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<oneshot::Sender<String>>();
    send::<oneshot::Receiver<String>>();
}

macro_rules! oneshot_scenario {
    ($oneshot:path) => {{
        use $oneshot as oneshot;
        let w = CountingWaker::new();
        let mut seen: Vec<String> = Vec::new();
        // Sent, then received.
        let (tx, mut rx) = oneshot::channel::<u32>();
        seen.push(format!("{:?} {}", rx.try_recv(), tx.is_closed()));
        seen.push(format!("{:?}", Pin::new(&mut rx).poll(&mut Context::from_waker(w.waker()))));
        seen.push(format!("{:?} wakes={}", tx.send(7), w.wakes()));
        seen.push(format!("{:?}", rx.try_recv()));
        // The sender dropped while the receiver waits.
        let (tx, mut rx) = oneshot::channel::<u32>();
        seen.push(format!("{:?}", Pin::new(&mut rx).poll(&mut Context::from_waker(w.waker()))));
        drop(tx);
        seen.push(format!("wakes={} {:?}", w.wakes(), rx.try_recv()));
        // The receiver closed: a send fails and gives the value back; closed() completes.
        let (mut tx, mut rx) = oneshot::channel::<u32>();
        let c = CountingWaker::new();
        seen.push(format!("{:?}", c.poll(Box::pin(tx.closed()).as_mut())));
        let mut closed = Box::pin(tx.closed());
        seen.push(format!("{:?}", c.poll(closed.as_mut())));
        rx.close();
        seen.push(format!("{:?} wakes={}", c.poll(closed.as_mut()), c.wakes()));
        drop(closed);
        seen.push(format!("{} {:?} {:?}", tx.is_closed(), tx.send(8), rx.try_recv()));
        // A value sent before close still arrives.
        let (tx, mut rx) = oneshot::channel::<u32>();
        tx.send(9).unwrap();
        rx.close();
        seen.push(format!("{:?}", rx.try_recv()));
        // Closed with nothing sent: the receiver ends at once.
        let (tx, mut rx) = oneshot::channel::<u32>();
        rx.close();
        seen.push(format!("{:?} {}", rx.try_recv(), tx.is_closed()));
        let (_tx, mut rx) = oneshot::channel::<u32>();
        rx.close();
        seen.push(format!("{:?}", Pin::new(&mut rx).poll(&mut Context::from_waker(w.waker()))));
        // The receiver dropped: the value comes back.
        let (tx, rx) = oneshot::channel::<u32>();
        drop(rx);
        seen.push(format!("{:?}", tx.send(10)));
        seen
    }};
}

#[test]
fn sending_closing_and_dropping_behave_as_tokio() {
    let ours = oneshot_scenario!(wakeful::sync::remote::oneshot);
    assert_eq!(ours, oneshot_scenario!(tokio::sync::oneshot));
    assert_eq!(ours[2], "Ok(()) wakes=1");
    assert_eq!(ours[8], "Ready(()) wakes=1");
    assert_eq!(ours[9], "true Err(8) Err(Closed)");
    assert_eq!(ours[10], "Ok(9)");
    assert_eq!(ours[11], "Err(Closed) true");
    assert_eq!(ours[12], "Ready(Err(RecvError(())))");
    assert_eq!(ours[13], "Err(10)");
}

#[test]
fn a_dropped_closed_future_leaves_no_waker_and_a_pending_receiver_one() {
    let (mut tx, mut rx) = oneshot::channel::<u32>();
    let w = CountingWaker::new();
    assert!(poll(&w, &mut Box::pin(tx.closed())).is_pending());
    assert_eq!(w.held_elsewhere(), 0, "the dropped closed() took its waker");
    assert!(poll(&w, &mut Box::pin(&mut rx)).is_pending());
    assert_eq!(w.held_elsewhere(), 1, "the receiver waits");
    tx.send(1).unwrap();
    assert_eq!((w.wakes(), w.held_elsewhere()), (1, 0));
    assert_eq!(poll(&w, &mut Box::pin(&mut rx)), Poll::Ready(Ok(1)));
    assert!(rx.is_terminated());
    assert!(poll(&w, &mut Box::pin(&mut rx)).is_ready(), "polled again: an error, not a panic");
}

#[test]
fn dropping_the_receiver_drops_its_waker_and_an_untaken_value() {
    let value = Arc::new(());
    let (tx, mut rx) = oneshot::channel::<Arc<()>>();
    let w = CountingWaker::new();
    assert!(poll(&w, &mut Box::pin(&mut rx)).is_pending());
    // Closed while it waits: the send fails and hands the value back.
    rx.close();
    let back = tx.send(value.clone()).unwrap_err();
    drop(back);
    drop(rx);
    assert_eq!(Arc::strong_count(&value), 1);
    assert_eq!(w.held_elsewhere(), 0);

    let (tx, rx) = oneshot::channel::<Arc<()>>();
    tx.send(value.clone()).unwrap();
    drop(rx);
    assert_eq!(Arc::strong_count(&value), 1, "an untaken value is dropped with the receiver");
}

/// A waker that sends, when dropped, on the oneshot whose sender it owns.
struct OwnsSender(Mutex<Option<oneshot::Sender<u32>>>, Arc<Mutex<Option<Result<(), u32>>>>);
impl Wake for OwnsSender {
    fn wake(self: Arc<Self>) {}
}
impl Drop for OwnsSender {
    fn drop(&mut self) {
        if let Some(tx) = self.0.get_mut().unwrap().take() {
            *self.1.lock().unwrap() = Some(tx.send(5));
        }
    }
}

#[test]
fn a_waker_owning_the_sender_sends_from_its_drop_without_deadlock() {
    let (tx, mut rx) = oneshot::channel::<u32>();
    let outcome = Arc::new(Mutex::new(None));
    let waker = Waker::from(Arc::new(OwnsSender(Mutex::new(Some(tx)), outcome.clone())));
    assert!(Pin::new(&mut rx).poll(&mut Context::from_waker(&waker)).is_pending());
    drop(waker); // the channel holds the only copy, which holds the sender
    drop(rx); // drops the stored waker outside the lock: its drop sends
    assert_eq!(*outcome.lock().unwrap(), Some(Err(5)), "the receiver was gone");
}

struct Panics;
impl Wake for Panics {
    fn wake(self: Arc<Self>) {
        panic!("waker panics");
    }
}

#[test]
fn a_panicking_receiver_waker_reaches_the_sender_and_the_value_stays() {
    let (tx, mut rx) = oneshot::channel::<u32>();
    let waker = Waker::from(Arc::new(Panics));
    assert!(Pin::new(&mut rx).poll(&mut Context::from_waker(&waker)).is_pending());
    let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tx.send(3)));
    assert!(sent.is_err(), "the wake's panic reaches the sender");
    assert_eq!(rx.try_recv(), Ok(3));
}

/// A waker whose last copy panics when dropped.
struct PanicsOnDrop;
impl Wake for PanicsOnDrop {
    fn wake(self: Arc<Self>) {}
}
impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("waker drop panics");
    }
}

#[test]
fn a_sender_waker_whose_drop_panics_does_not_keep_the_receiver_asleep() {
    for drop_instead in [false, true] {
        let (mut tx, mut rx) = oneshot::channel::<u32>();
        let w = CountingWaker::new();
        assert!(poll(&w, &mut Box::pin(&mut rx)).is_pending());
        let waker = Waker::from(Arc::new(PanicsOnDrop));
        assert!(tx.poll_closed(&mut Context::from_waker(&waker)).is_pending());
        drop(waker); // the channel holds the last copy: its drop panics
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            if drop_instead {
                drop(tx);
            } else {
                tx.send(4).unwrap();
            }
        }));
        assert!(done.is_err(), "the drop's panic reaches the sender");
        assert_eq!(w.wakes(), 1, "the receiver is woken all the same (dropped: {drop_instead})");
        let expected = if drop_instead { Err(oneshot::error::TryRecvError::Closed) } else { Ok(4) };
        assert_eq!(rx.try_recv(), expected);
    }
}

#[test]
fn a_receiver_waker_whose_drop_panics_does_not_keep_closed_asleep() {
    let (mut tx, mut rx) = oneshot::channel::<u32>();
    let waker = Waker::from(Arc::new(PanicsOnDrop));
    assert!(Pin::new(&mut rx).poll(&mut Context::from_waker(&waker)).is_pending());
    drop(waker); // the channel holds the last copy: its drop panics
    let w = CountingWaker::new();
    let mut closed = Box::pin(tx.closed());
    assert!(poll(&w, &mut closed).is_pending());
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx)));
    assert!(dropped.is_err(), "the drop's panic reaches the receiver's owner");
    assert_eq!(w.wakes(), 1, "the sender in closed() is woken all the same");
    assert!(poll(&w, &mut closed).is_ready());
}
