//! Wakes on the runtime's own thread: many wakes coalesce into one poll, two tasks
//! hand a turn back and forth through each other's wakers, a yield loop is counted as
//! local wakes, and wakes of a finished task poll nothing. Runs under Miri.

mod common;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::thread;

use wakeful_executor::{spawn, yield_now, Runtime};

const SPINS: usize = if cfg!(miri) { 50 } else { 10_000 };

#[test]
fn wakes_coalesce_into_one_poll() {
    let rt = Runtime::new();
    let polls = Rc::new(Cell::new(0));
    rt.block_on(async {
        let p = polls.clone();
        let task = spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                let clones: Vec<Waker> = (0..10).map(|_| cx.waker().clone()).collect();
                clones.into_iter().for_each(Waker::wake);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(())
        }));
        task.await.unwrap();
    });
    assert_eq!(polls.get(), 2, "eleven wakes, one extra poll");
}

#[test]
fn many_tasks_ping_pong_through_wakers() {
    // Two tasks hand a token back and forth through each other's wakers.
    let rt = Runtime::new();
    let rounds = if cfg!(miri) { 20 } else { 1000 };
    let turn = Rc::new(Cell::new(0usize));
    let wakers: Rc<[Cell<Option<Waker>>; 2]> = Rc::default();
    let player = |me: usize| {
        let (turn, wakers) = (turn.clone(), wakers.clone());
        poll_fn(move |cx| {
            while turn.get() % 2 == me {
                if turn.get() >= rounds {
                    return Poll::Ready(());
                }
                turn.set(turn.get() + 1);
                if let Some(other) = wakers[1 - me].take() {
                    other.wake();
                }
            }
            if turn.get() >= rounds {
                return Poll::Ready(());
            }
            wakers[me].set(Some(cx.waker().clone()));
            Poll::Pending
        })
    };
    rt.block_on(async {
        let a = spawn(player(0));
        let b = spawn(player(1));
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(turn.get(), rounds);
}

#[test]
fn yield_loop_counts_polls_and_local_wakes() {
    let rt = Runtime::new();
    rt.block_on(async {
        spawn(async {
            for _ in 0..SPINS {
                yield_now().await;
            }
        })
        .await
        .unwrap()
    });
    let stats = rt.stats();
    assert!(stats.polls > SPINS as u64, "{stats:?}");
    assert!(stats.wakes_local >= SPINS as u64, "{stats:?}");
    assert_eq!(stats.wakes_remote, 0, "{stats:?}");
}

#[test]
fn stale_wakes_are_harmless() {
    let rt = Runtime::new();
    let saved: Rc<Cell<Option<Waker>>> = Rc::default();
    let s = saved.clone();
    rt.block_on(async move {
        spawn(poll_fn(move |cx| {
            s.set(Some(cx.waker().clone()));
            Poll::Ready(())
        }))
        .await
        .unwrap();
    });
    let waker = saved.take().unwrap();
    let polls = rt.stats().polls;
    waker.wake_by_ref();
    let by_value = waker.clone();
    by_value.wake();
    rt.block_on(yield_now());
    assert_eq!(rt.stats().polls, polls + 2, "only the block_on future was polled (twice)");

    // After the runtime is gone, a wake from another thread does nothing.
    drop(rt);
    thread::spawn(move || waker.wake()).join().unwrap();
}
