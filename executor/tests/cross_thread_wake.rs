//! A waker woken from another thread: it ends a park of the runtime, wakes the
//! `block_on` future, and may come from many threads at once. (Races of such wakes
//! with parking are in `remote_wake.rs`.) Runs under Miri.

mod common;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::thread;

use common::{ReportingPark, WakerSlot};
use wakeful_executor::{block_on, spawn, Builder, Runtime, ThreadPark};

#[test]
fn cross_thread_wake_while_parked() {
    let (parking_tx, parking_rx) = mpsc::channel();
    let rt =
        Builder::default().build_with_park(ReportingPark { inner: ThreadPark::new(), parking: parking_tx });
    let slot = WakerSlot::default();
    let polls = Rc::new(Cell::new(0));
    let waker_thread = thread::spawn({
        let slot = slot.clone();
        move || {
            // The runtime is parking (or parked): wake it from here.
            parking_rx.recv().unwrap();
            slot.take().expect("waker stored before parking").wake();
        }
    });
    rt.block_on(async {
        let task = spawn({
            let (slot, polls) = (slot.clone(), polls.clone());
            async move { slot.wait(polls).await }
        });
        task.await.unwrap();
    });
    waker_thread.join().unwrap();
    assert_eq!(polls.get(), 2, "polled once to park, once after the remote wake");
    let stats = rt.stats();
    assert_eq!(stats.wakes_remote, 1, "{stats:?}");
    assert!(stats.parks >= 1, "{stats:?}");
}

#[test]
fn block_on_future_woken_from_another_thread() {
    let slot = WakerSlot::default();
    let polls = Rc::new(Cell::new(0));
    let waker_thread = thread::spawn({
        let slot = slot.clone();
        move || loop {
            if let Some(waker) = slot.take() {
                break waker.wake();
            }
            thread::yield_now();
        }
    });
    block_on(slot.wait(polls.clone()));
    waker_thread.join().unwrap();
    assert_eq!(polls.get(), 2);
}

#[test]
fn wake_from_many_threads_at_once() {
    let rt = Runtime::new();
    let threads = if cfg!(miri) { 2 } else { 8 };
    let woken = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(AtomicBool::new(false));
    let polls = Rc::new(Cell::new(0));
    rt.block_on(async {
        let p = polls.clone();
        let (w, g) = (woken.clone(), go.clone());
        let task = spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                for _ in 0..threads {
                    let (waker, w, g) = (cx.waker().clone(), w.clone(), g.clone());
                    thread::spawn(move || {
                        while !g.load(Ordering::Acquire) {
                            thread::yield_now();
                        }
                        waker.wake();
                        w.fetch_add(1, Ordering::SeqCst);
                    });
                }
                g.store(true, Ordering::Release);
                return Poll::Pending;
            }
            Poll::Ready(())
        }));
        task.await.unwrap();
    });
    assert!(polls.get() >= 2);
    // Detached threads may still be finishing their wakes: each must be harmless.
    drop(rt);
    while woken.load(Ordering::SeqCst) < threads {
        thread::yield_now();
    }
}
