//! Wakes from other threads and stale wakes: wakers used after their task completed
//! and after their runtime was dropped, from this thread and from others; a remote
//! wake ending a parked wait with no timer pending; and many wakes racing with the
//! loop going to park, none of which may be lost. Bounded by a watchdog, not sleeps.
//! Runs under Miri, with fewer iterations.

// `waker.clone().wake()` on purpose: waking by value takes another path than by ref.
#![allow(clippy::waker_clone_wake)]

mod common;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Poll, Waker};
use std::thread;

use common::{Counter, OnDrop, ReportingPark, Tracked, Watchdog};
use wakeful_executor::{spawn, yield_now, Builder, Runtime, ThreadPark};

/// Spawns a task that stores its waker and completes at its first poll; returns the
/// waker once the task is complete.
fn waker_of_completed_task(rt: &Runtime, polls: &Counter, drops: &Counter) -> Waker {
    let saved: Rc<Cell<Option<Waker>>> = Rc::default();
    let tracked = Tracked::new(drops, OnDrop::Count);
    let task = rt.spawn({
        let (saved, polls) = (saved.clone(), polls.clone());
        poll_fn(move |cx| {
            let _keep = &tracked;
            polls.add();
            saved.set(Some(cx.waker().clone()));
            Poll::Ready(())
        })
    });
    rt.block_on(task).unwrap();
    saved.take().unwrap()
}

#[test]
fn wakes_after_completion_are_ignored_from_any_thread() {
    let (polls, drops) = (Counter::default(), Counter::default());
    let rt = Runtime::new();
    let waker = waker_of_completed_task(&rt, &polls, &drops);
    let before = rt.stats();
    waker.wake_by_ref();
    waker.clone().wake();
    let remote = waker.clone();
    thread::spawn(move || {
        remote.wake_by_ref();
        remote.clone().wake();
        drop(remote.clone());
        remote.wake();
    })
    .join()
    .unwrap();
    rt.block_on(async {});
    let after = rt.stats();
    assert_eq!((polls.get(), drops.get()), (1, 1), "never polled again, dropped once");
    assert_eq!(after.polls, before.polls + 1, "only the block_on future ran: {after:?}");
    assert_eq!((after.wakes_local, after.wakes_remote), (before.wakes_local, before.wakes_remote));
    assert_eq!(after.tasks_alive, 0);
}

#[test]
fn wakers_outliving_the_runtime_are_harmless_on_any_thread() {
    let (polls, drops) = (Counter::default(), Counter::default());
    let rt = Runtime::new();
    let done = waker_of_completed_task(&rt, &polls, &drops);
    // And one whose task never finished: cancelled at shutdown.
    let saved: Rc<Cell<Option<Waker>>> = Rc::default();
    let pending_drops = Counter::default();
    let tracked = Tracked::new(&pending_drops, OnDrop::Count);
    let s = saved.clone();
    drop(rt.spawn(poll_fn(move |cx| {
        let _keep = &tracked;
        s.set(Some(cx.waker().clone()));
        Poll::<()>::Pending
    })));
    rt.block_on(yield_now());
    let pending = saved.take().unwrap();
    drop(rt);
    assert_eq!(pending_drops.get(), 1, "the unfinished future was dropped with the runtime");
    for waker in [&done, &pending] {
        waker.wake_by_ref();
        waker.clone().wake();
    }
    let (done_remote, pending_remote) = (done.clone(), pending.clone());
    drop((done, pending));
    // The last references go on another thread: the tasks are freed there, running
    // no user code (Miri checks the frees; the counts that nothing ran twice).
    thread::spawn(move || {
        for waker in [&done_remote, &pending_remote] {
            waker.wake_by_ref();
            drop(waker.clone());
        }
        done_remote.wake();
        pending_remote.wake();
    })
    .join()
    .unwrap();
    assert_eq!((polls.get(), drops.get(), pending_drops.get()), (1, 1, 1));
}

#[test]
fn remote_wake_ends_a_park_with_no_timer_pending() {
    let (parking_tx, parking_rx) = mpsc::channel();
    let rt =
        Builder::default().build_with_park(ReportingPark { inner: ThreadPark::new(), parking: parking_tx });
    let polls = Counter::default();
    let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
    let waker_thread = thread::spawn(move || {
        let waker = waker_rx.recv().unwrap();
        // The loop is parking, with nothing else to wake it: no timer, no I/O.
        parking_rx.recv().unwrap();
        waker.wake();
    });
    rt.block_on(async {
        let watchdog = Watchdog::start("a remote wake did not end the park", rescue_waker().await);
        let task = spawn({
            let polls = polls.clone();
            poll_fn(move |cx| {
                polls.add();
                if polls.get() == 1 {
                    waker_tx.send(cx.waker().clone()).unwrap();
                    return Poll::Pending;
                }
                Poll::Ready(())
            })
        });
        bounded(&watchdog, "the remote wake", 0, task).await.unwrap();
    });
    waker_thread.join().unwrap();
    let stats = rt.stats();
    assert_eq!(polls.get(), 2, "polled once to park, once after the remote wake");
    assert_eq!(stats.wakes_remote, 1, "{stats:?}");
    assert!(stats.parks >= 1, "{stats:?}");
}

/// Wakers racing with the loop: threads that each bump `count` then wake, started
/// while the loop polls, drains and parks.
const RACE_THREADS: usize = if cfg!(miri) { 2 } else { 4 };
const RACE_ROUNDS: usize = if cfg!(miri) { 3 } else { 300 };

fn start_wakers(count: &Arc<AtomicUsize>, waker: &Waker) -> Vec<thread::JoinHandle<()>> {
    (0..RACE_THREADS)
        .map(|_| {
            let (count, waker) = (count.clone(), waker.clone());
            thread::spawn(move || {
                count.fetch_add(1, Ordering::Release);
                waker.wake();
            })
        })
        .collect()
}

#[test]
fn task_wakes_racing_with_park_are_never_lost() {
    let rt = Runtime::new();
    let watchdog =
        rt.block_on(async { Watchdog::start("task wakes racing with park", rescue_waker().await) });
    for round in 0..RACE_ROUNDS {
        let count = Arc::new(AtomicUsize::new(0));
        let threads = Rc::new(RefCell::new(Vec::new()));
        let polls = Counter::default();
        rt.block_on(async {
            let task = spawn({
                let (count, threads, polls) = (count.clone(), threads.clone(), polls.clone());
                poll_fn(move |cx| {
                    polls.add();
                    if polls.get() == 1 {
                        threads.borrow_mut().extend(start_wakers(&count, cx.waker()));
                    }
                    // Done once every thread has bumped the count; each bump is
                    // followed by a wake, so the last one must bring a poll.
                    if count.load(Ordering::Acquire) == RACE_THREADS {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
            });
            bounded(&watchdog, "a task wake racing with park", round, task).await.unwrap();
        });
        threads.take().into_iter().for_each(|t| t.join().unwrap());
        watchdog.pet();
        // One poll to start, and at most one more per wake (wakes coalesce).
        assert!((1..=1 + RACE_THREADS).contains(&polls.get()), "round {round}: {} polls", polls.get());
        assert_eq!(rt.stats().tasks_alive, 0, "round {round}");
    }
    assert!(rt.stats().wakes_remote >= 1, "{:?}", rt.stats());
}

#[test]
fn block_on_wakes_racing_with_park_are_never_lost() {
    let rt = Runtime::new();
    let watchdog =
        rt.block_on(async { Watchdog::start("block_on wakes racing with park", rescue_waker().await) });
    for round in 0..RACE_ROUNDS {
        let count = Arc::new(AtomicUsize::new(0));
        let mut threads = Vec::new();
        let before = rt.stats().polls;
        rt.block_on(poll_fn(|cx| {
            if threads.is_empty() {
                threads = start_wakers(&count, cx.waker());
            }
            assert!(!watchdog.bitten(), "round {round}: a block_on wake racing with park was lost");
            if count.load(Ordering::Acquire) == RACE_THREADS {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        threads.into_iter().for_each(|t| t.join().unwrap());
        watchdog.pet();
        assert!(rt.stats().polls > before, "round {round}");
    }
}

/// The waker of the `block_on` future this is awaited in.
async fn rescue_waker() -> Waker {
    poll_fn(|cx| Poll::Ready(cx.waker().clone())).await
}

/// Awaits `future`, failing with a message once `watchdog` has run out of patience.
async fn bounded<F: Future>(watchdog: &Watchdog, what: &str, round: usize, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    poll_fn(|cx| {
        assert!(!watchdog.bitten(), "round {round}: {what} was lost: not done within {:?}", common::PATIENCE);
        future.as_mut().poll(cx)
    })
    .await
}
