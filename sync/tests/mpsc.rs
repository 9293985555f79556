//! mpsc: order, back-pressure, closing from each side, permits, drops at each wait,
//! reentrant drops; the shared scenarios run on tokio's too.

mod common;

use common::{poll, CountingWaker};
use std::cell::RefCell;
use std::rc::Rc;
use std::task::Poll;

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
        let permit = tx.try_reserve().unwrap_err(); // full again (2, 3 queued)
        seen.push(format!("{permit}"));
        seen.push(format!("{:?} {:?}", rx.try_recv(), rx.try_recv()));
        let permit = tx.try_reserve().unwrap();
        drop(permit); // the slot comes back
        seen.push(format!("{}", tx.capacity()));
        rx.close();
        seen.push(format!("{} {:?}", tx.is_closed(), tx.try_send(4).map_err(|e| e.to_string())));
        seen.push(format!("{:?} {}", rx.try_recv(), rx.is_closed()));
        seen
    }};
}

#[test]
fn back_pressure_permits_and_close_behave_as_tokio() {
    let ours = bounded_scenario!(wakeful::sync::mpsc);
    let tokio = bounded_scenario!(tokio::sync::mpsc);
    assert_eq!(ours, tokio);
    assert_eq!(ours[4], "Ok(1)");
    assert_eq!(ours[5], "Ready(Ok(())) wakes=1");
}

macro_rules! close_with_reserved_slot_scenario {
    ($mpsc:path) => {{
        use $mpsc as mpsc;
        let w = CountingWaker::new();
        let (tx, mut rx) = mpsc::channel::<u32>(4);
        tx.try_send(1).unwrap();
        let permit = tx.try_reserve().unwrap();
        rx.close();
        let mut seen = vec![format!("{:?}", rx.try_recv())];
        let mut recv = Box::pin(rx.recv());
        seen.push(format!("{:?}", poll(&w, &mut recv))); // waits for the reserved slot
        permit.send(2);
        seen.push(format!("{:?} wakes={}", poll(&w, &mut recv), w.wakes()));
        drop(recv);
        seen.push(format!("{:?}", rx.try_recv()));
        seen
    }};
}

#[test]
fn a_closed_receiver_still_gets_the_messages_of_reserved_slots_as_tokio() {
    let ours = close_with_reserved_slot_scenario!(wakeful::sync::mpsc);
    assert_eq!(ours, close_with_reserved_slot_scenario!(tokio::sync::mpsc));
    assert_eq!(ours, ["Ok(1)", "Pending", "Ready(Some(2)) wakes=1", "Err(Disconnected)"]);
}

macro_rules! unbounded_scenario {
    ($mpsc:path) => {{
        use $mpsc as mpsc;
        let w = CountingWaker::new();
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let tx2 = tx.clone();
        let mut seen = vec![format!("{}", tx.same_channel(&tx2))];
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        let mut buffer = Vec::new();
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 3)))));
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 0)))));
        drop((tx, tx2));
        seen.push(format!("{:?}", poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 10)))));
        seen.push(format!("{:?} {:?}", buffer, poll(&w, &mut Box::pin(rx.recv()))));
        seen
    }};
}

#[test]
fn unbounded_recv_many_and_the_end_of_senders_behave_as_tokio() {
    let ours = unbounded_scenario!(wakeful::sync::mpsc);
    assert_eq!(ours, unbounded_scenario!(tokio::sync::mpsc));
    assert_eq!(ours[4], "[0, 1, 2, 3, 4] Ready(None)");
}

#[test]
fn a_recv_dropped_while_waiting_takes_no_message_and_leaves_no_waker() {
    let w = CountingWaker::new();
    let (tx, mut rx) = wakeful::sync::mpsc::channel::<u32>(1);
    assert!(poll(&w, &mut Box::pin(rx.recv())).is_pending());
    assert_eq!(w.held_elsewhere(), 0);
    tx.try_send(7).unwrap();
    assert_eq!(w.wakes(), 0, "nobody waits");
    let mut buffer = Vec::new();
    assert!(poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 4))).is_ready());
    assert!(poll(&w, &mut Box::pin(rx.recv_many(&mut buffer, 4))).is_pending());
    assert_eq!(w.held_elsewhere(), 0);
    assert_eq!(buffer, [7]);
}

#[test]
fn senders_waiting_for_room_are_served_in_order_and_a_dropped_one_passes_its_slot_on() {
    let w = CountingWaker::new();
    let (tx, mut rx) = wakeful::sync::mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut sends: Vec<_> = (1..=3).map(|i| Some(Box::pin(tx.send(i)))).collect();
    for s in sends.iter_mut().flatten() {
        assert!(poll(&w, s).is_pending());
    }
    assert_eq!(rx.try_recv(), Ok(0)); // the slot goes to send(1)
    sends[0] = None; // dropped after being given the slot: it must go to send(2)
    assert!(poll(&w, sends[1].as_mut().unwrap()).is_ready());
    assert!(poll(&w, sends[2].as_mut().unwrap()).is_pending());
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(poll(&w, sends[2].as_mut().unwrap()).is_ready());
    assert_eq!(rx.try_recv(), Ok(3));
    drop(sends);
    assert_eq!(w.held_elsewhere(), 0);
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn dropping_the_receiver_fails_waiting_senders_and_completes_closed() {
    let w = CountingWaker::new();
    let (tx, rx) = wakeful::sync::mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut send = Box::pin(tx.send(1));
    let mut closed = Box::pin(tx.closed());
    assert!(poll(&w, &mut send).is_pending());
    assert!(poll(&w, &mut closed).is_pending());
    drop(rx);
    assert_eq!(w.wakes(), 2);
    assert!(matches!(poll(&w, &mut send), Poll::Ready(Err(wakeful::sync::mpsc::error::SendError(1)))));
    assert!(poll(&w, &mut closed).is_ready());
    assert_eq!(w.held_elsewhere(), 0);
}

/// A message whose drop sends on its own channel: the receiver's drop must not hold
/// the channel borrowed while it drops what is left.
#[test]
fn a_message_that_sends_on_its_channel_when_dropped_does_not_trip_a_borrow() {
    struct SendsOnDrop(Rc<RefCell<Option<wakeful::sync::mpsc::UnboundedSender<SendsOnDrop>>>>);
    impl Drop for SendsOnDrop {
        fn drop(&mut self) {
            if let Some(tx) = self.0.borrow().as_ref() {
                let result = tx.send(SendsOnDrop(Rc::new(RefCell::new(None))));
                assert!(result.is_err(), "the receiver is closed while its messages drop");
            }
        }
    }
    let (tx, rx) = wakeful::sync::mpsc::unbounded_channel();
    let slot = Rc::new(RefCell::new(Some(tx.clone())));
    tx.send(SendsOnDrop(slot.clone())).unwrap();
    drop(rx);
    assert!(tx.is_closed());
}

#[test]
fn ten_thousand_waiting_senders_cancel_without_quadratic_cost() {
    let w = CountingWaker::new();
    let (tx, mut rx) = wakeful::sync::mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut sends: Vec<_> = (0..10_000).map(|i| Box::pin(tx.send(i))).collect();
    for s in &mut sends {
        assert!(poll(&w, s).is_pending());
    }
    // Drop from the back then the front: each removal is O(1).
    sends.truncate(5_000);
    sends.drain(..4_999);
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(poll(&w, &mut sends[0]).is_ready(), "the one left is served");
    assert_eq!(rx.try_recv(), Ok(4_999));
    drop(sends);
    assert_eq!(w.held_elsewhere(), 0);
}

#[test]
fn the_receiver_is_a_stream_and_owned_permits_return_their_sender() {
    use futures_core::Stream;
    let w = CountingWaker::new();
    let (tx, mut rx) = wakeful::sync::mpsc::channel::<u32>(2);
    let permit = tx.clone().try_reserve_owned().unwrap();
    let tx2 = permit.send(1);
    let tx3 = wakeful::block_on(tx2.reserve_owned()).unwrap().release();
    assert_eq!(tx3.capacity(), 1);
    drop((tx, tx3));
    let mut stream = Box::pin(&mut rx);
    assert_eq!(
        w.poll(std::pin::Pin::new(&mut std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)))),
        Poll::Ready(Some(1))
    );
    assert_eq!(
        w.poll(std::pin::Pin::new(&mut std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)))),
        Poll::Ready(None)
    );
}

#[test]
#[should_panic(expected = "buffer > 0")]
fn a_bounded_channel_of_zero_is_refused_as_tokio() {
    let _ = wakeful::sync::mpsc::channel::<u8>(0);
}

#[test]
fn tasks_exchange_messages_through_a_full_channel() {
    let total = wakeful::block_on(async {
        let (tx, mut rx) = wakeful::sync::mpsc::channel::<u64>(1);
        for p in 0..4 {
            let tx = tx.clone();
            wakeful::spawn(async move {
                for i in 0..100 {
                    tx.send(p * 1000 + i).await.unwrap();
                }
            });
        }
        drop(tx);
        let mut total = 0;
        while let Some(v) = rx.recv().await {
            total += v;
        }
        total
    });
    assert_eq!(total, (0..4).map(|p| (0..100).map(|i| p * 1000 + i).sum::<u64>()).sum());
}

/// A slot handed to a waiting `reserve()` that is then dropped unpolled comes back,
/// and a closed receiver waiting for in-flight slots is told.
#[test]
fn a_closed_receiver_is_woken_when_a_served_reserve_is_dropped() {
    let w = CountingWaker::new();
    let (tx, mut rx) = wakeful::sync::mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut reserve = Box::pin(tx.reserve());
    assert!(poll(&w, &mut reserve).is_pending());
    assert_eq!(rx.try_recv(), Ok(0)); // the slot goes to the waiting reserve
    rx.close();
    let mut recv = Box::pin(rx.recv());
    assert!(poll(&w, &mut recv).is_pending(), "a slot is still in flight");
    let before = w.wakes();
    drop(reserve);
    assert_eq!(w.wakes(), before + 1, "the receiver was woken");
    assert_eq!(poll(&w, &mut recv), Poll::Ready(None));
}
