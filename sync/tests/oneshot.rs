//! oneshot: values, a sender that gives up, closing, `closed()`, drops at each wait;
//! the shared scenarios run on tokio's too.

mod common;

use common::{poll, CountingWaker};
use std::rc::Rc;
use std::task::Poll;

macro_rules! lifecycle_scenario {
    ($oneshot:path) => {{
        use $oneshot as oneshot;
        let w = CountingWaker::new();
        let mut seen = Vec::new();
        // A value sent before and after the receiver waits.
        let (tx, mut rx) = oneshot::channel::<u32>();
        seen.push(format!("{:?}", rx.try_recv().map_err(|e| e.to_string())));
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(&mut rx)).map(|r| r.is_ok())));
        seen.push(format!("{:?}", tx.send(5)));
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(&mut rx))));
        // The sender gives up.
        let (tx, mut rx) = oneshot::channel::<u32>();
        drop(tx);
        seen.push(format!("{:?}", rx.try_recv().is_err()));
        // The receiver closes: the send fails and gives the value back.
        let (mut tx, mut rx) = oneshot::channel::<u32>();
        seen.push(format!("{}", tx.is_closed()));
        rx.close();
        seen.push(format!("{} {:?}", tx.is_closed(), poll(&w, &mut Box::pin(tx.closed()))));
        seen.push(format!("{:?}", tx.send(9)));
        // Closed with nothing sent: no value can come, so the receiver is told at once.
        let (_tx, mut rx) = oneshot::channel::<u32>();
        rx.close();
        seen.push(format!("{:?}", rx.try_recv().map_err(|e| e.to_string())));
        let (_tx, mut rx) = oneshot::channel::<u32>();
        rx.close();
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(&mut rx)).map(|r| r.is_err())));
        // A value sent before close still arrives.
        let (tx, mut rx) = oneshot::channel::<u32>();
        tx.send(3).unwrap();
        rx.close();
        seen.push(format!("{:?}", rx.try_recv().ok()));
        seen
    }};
}

#[test]
fn send_receive_give_up_and_close_behave_as_tokio() {
    let ours = lifecycle_scenario!(wakeful::sync::oneshot);
    let tokio = lifecycle_scenario!(tokio::sync::oneshot);
    assert_eq!(ours, tokio);
    assert_eq!(ours[3], "Ready(Ok(5))");
    assert_eq!(ours[7], "Err(9)");
    assert_eq!(ours[8], "Err(\"channel closed\")");
    assert_eq!(ours[9], "Ready(true)");
}

#[test]
fn a_receiver_dropped_at_each_wait_leaves_no_waker_and_drops_the_value() {
    let w = CountingWaker::new();
    let (tx, mut rx) = wakeful::sync::oneshot::channel::<Rc<()>>();
    assert!(poll(&w, &mut Box::pin(&mut rx)).is_pending());
    assert_eq!(w.held_elsewhere(), 1);
    let value = Rc::new(());
    tx.send(value.clone()).unwrap();
    assert_eq!(w.wakes(), 1);
    drop(rx);
    assert_eq!(Rc::strong_count(&value), 1, "the unreceived value was dropped with the receiver");
    assert_eq!(w.held_elsewhere(), 0);
}

#[test]
fn a_dropped_closed_future_leaves_no_waker_and_a_drop_of_the_receiver_wakes_it() {
    let w = CountingWaker::new();
    let (mut tx, rx) = wakeful::sync::oneshot::channel::<u8>();
    assert!(poll(&w, &mut Box::pin(tx.closed())).is_pending());
    assert_eq!(w.held_elsewhere(), 0, "the dropped closed() took its waker");
    let mut closed = Box::pin(tx.closed());
    assert!(poll(&w, &mut closed).is_pending());
    drop(rx);
    assert_eq!(w.wakes(), 1);
    assert_eq!(poll(&w, &mut closed), Poll::Ready(()));
}

#[test]
fn a_completed_receiver_polled_again_reports_an_error_instead_of_panicking() {
    let w = CountingWaker::new();
    let (tx, mut rx) = wakeful::sync::oneshot::channel();
    tx.send(1).unwrap();
    assert_eq!(poll(&w, &mut Box::pin(&mut rx)), Poll::Ready(Ok(1)));
    assert!(rx.is_terminated());
    assert!(matches!(poll(&w, &mut Box::pin(&mut rx)), Poll::Ready(Err(_))));
    assert_eq!(rx.try_recv(), Err(wakeful::sync::oneshot::error::TryRecvError::Closed));
}

#[test]
fn a_task_receives_from_another_task() {
    let got = wakeful::block_on(async {
        let (tx, rx) = wakeful::sync::oneshot::channel();
        wakeful::spawn(async move {
            wakeful::yield_now().await;
            tx.send("done").unwrap();
        });
        rx.await
    });
    assert_eq!(got, Ok("done"));
}
