//! remote::mpsc with code of the user's that runs inside the channel: wakers that
//! send on the channel or panic, and messages whose drop sends, panics, or is counted
//! when the receiver goes.

mod common;

use common::{poll, CountingWaker};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use wakeful::sync::remote::mpsc;

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
