//! remote::mpsc polled by hand: back-pressure, FIFO waiting senders, cancelled sends
//! at each `Pending`, closing from each side, wakers that re-enter or panic, many
//! waiters. The shared scenarios run on tokio's mpsc too (its halves are `Send`
//! like these).

mod common;

use common::{poll, CountingWaker};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
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

/// A message that counts its drops.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn dropping_the_receiver_drops_queued_messages_and_those_of_later_permits() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel(4);
    tx.try_send(Counted(drops.clone())).unwrap();
    tx.try_send(Counted(drops.clone())).unwrap();
    let permit = tx.try_reserve().unwrap();
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    permit.send(Counted(drops.clone()));
    assert_eq!(drops.load(Ordering::SeqCst), 3, "sent into a dropped receiver");
    assert_eq!(tx.capacity(), 4);
    assert!(tx.try_send(Counted(drops.clone())).is_err());
    assert_eq!(drops.load(Ordering::SeqCst), 4);
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

/// A waker that runs `on_drop` when its last copy goes, and `on_wake` when woken.
struct Hook {
    on_wake: Box<dyn Fn() + Send + Sync>,
    on_drop: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}
impl Wake for Hook {
    fn wake(self: Arc<Self>) {
        (self.on_wake)();
    }
}
impl Drop for Hook {
    fn drop(&mut self) {
        if let Some(f) = self.on_drop.get_mut().unwrap().take() {
            f();
        }
    }
}
fn hook(on_wake: impl Fn() + Send + Sync + 'static, on_drop: impl FnOnce() + Send + 'static) -> Waker {
    Waker::from(Arc::new(Hook { on_wake: Box::new(on_wake), on_drop: Mutex::new(Some(Box::new(on_drop))) }))
}

#[test]
fn a_waker_whose_wake_and_drop_send_on_the_channel_does_not_deadlock() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    let (on_wake, on_drop) = (tx.clone(), tx.clone());
    let waker = hook(move || on_wake.send(100).unwrap(), move || on_drop.send(200).unwrap());
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(rx.poll_recv(&mut cx).is_pending());
    drop(waker); // the channel holds the only copy now
    tx.send(1).unwrap(); // wakes (sends 100), then drops the waker (sends 200)
    let mut got = Vec::new();
    while let Ok(n) = rx.try_recv() {
        got.push(n);
    }
    assert_eq!(got, [1, 100, 200]);
}

#[test]
fn a_replaced_waker_whose_drop_sends_on_a_full_bounded_channel_does_not_deadlock() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let sender = tx.clone();
    let waker = hook(|| {}, move || assert!(sender.try_send(7).is_ok()));
    assert!(rx.poll_recv(&mut std::task::Context::from_waker(&waker)).is_pending());
    drop(waker);
    // Polling with another waker replaces the stored one, whose drop then sends.
    let other = CountingWaker::new();
    let mut recv = Box::pin(rx.recv());
    assert!(poll(&other, &mut recv).is_pending());
    assert_eq!(other.wakes(), 1, "the replaced waker's send woke the new one");
    assert_eq!(poll(&other, &mut recv), Poll::Ready(Some(7)));
}

#[test]
fn a_panicking_waker_reaches_the_sender_but_leaves_the_channel_usable() {
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    let waker = hook(|| panic!("waker panics"), || {});
    assert!(rx.poll_recv(&mut std::task::Context::from_waker(&waker)).is_pending());
    drop(waker);
    let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tx.try_send(1)));
    assert!(sent.is_err(), "the wake's panic reaches the caller");
    assert_eq!(rx.try_recv(), Ok(1), "the message was queued before the wake");
    tx.try_send(2).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
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

/// A message that, when dropped, tries to send on the channel it came through.
struct Resends(Option<mpsc::Sender<Resends>>, Arc<AtomicUsize>);
impl Drop for Resends {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            match tx.try_send(Resends(None, self.1.clone())) {
                Err(mpsc::error::TrySendError::Closed(_)) => self.1.fetch_add(1, Ordering::SeqCst),
                other => panic!("a send into a dropped receiver: {:?}", other.map_err(|e| e.to_string())),
            };
        }
    }
}

#[test]
fn messages_whose_drop_sends_on_the_channel_are_dropped_outside_the_lock() {
    let refused = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel(8);
    for _ in 0..3 {
        tx.try_send(Resends(Some(tx.clone()), refused.clone())).unwrap();
    }
    drop(rx); // would deadlock if the queue were dropped under the lock
    assert_eq!(refused.load(Ordering::SeqCst), 3);
    assert_eq!(tx.capacity(), 8);
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

/// A message whose `Drop` panics.
struct PanicsOnDrop;
impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("message drop panics");
        }
    }
}

#[test]
fn a_message_whose_drop_panics_leaves_the_channel_consistent() {
    let (tx, rx) = mpsc::channel(4);
    tx.try_send(PanicsOnDrop).unwrap();
    tx.try_send(PanicsOnDrop).unwrap();
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(rx)));
    assert!(dropped.is_err(), "the message's panic reaches the dropper");
    assert!(tx.is_closed());
    assert_eq!(tx.capacity(), 4, "the slots came back before the messages were dropped");
    let refused = tx.try_send(PanicsOnDrop).unwrap_err();
    std::mem::forget(refused);
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

#[test]
fn dropping_the_receiver_while_a_waiting_senders_waker_panics_still_drops_queued_messages() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel(1);
    tx.try_send(Counted(drops.clone())).unwrap();
    // A sender waits for room with a waker that panics when woken.
    let waker = hook(|| panic!("waker panics"), || {});
    let mut send = Box::pin(tx.send(Counted(drops.clone())));
    assert!(
        std::future::Future::poll(send.as_mut(), &mut std::task::Context::from_waker(&waker)).is_pending()
    );
    drop(waker);
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(rx)));
    assert!(dropped.is_err(), "the wake's panic reaches the caller");
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the queued message is dropped with the receiver");
    assert!(tx.is_closed());
    let permit = tx.try_reserve();
    assert!(permit.is_err(), "no slot after the receiver is gone");
    drop(send);
    assert_eq!(drops.load(Ordering::SeqCst), 2, "the waiting send's message is dropped with it");
}
