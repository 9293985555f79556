//! The executor workloads both `benches/executor.rs` (criterion, beside tokio and smol)
//! and `benches/exec_count.rs` (plain runs, for instruction counts) run: spawn + join,
//! `yield_now` and a wake ping-pong, on any runtime behind [`Bench`].

// Each of the two files uses only part of what is here.
#![allow(dead_code)]

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// The runtimes under comparison, behind one interface.
pub trait Bench {
    const NAME: &'static str;
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    fn spawn<F: Future<Output = ()> + 'static>(future: F) -> impl Future<Output = ()>;
    fn yield_now() -> impl Future<Output = ()>;
}

pub struct Wakeful(pub wakeful::Runtime);

impl Bench for Wakeful {
    const NAME: &'static str = "wakeful";
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
    fn spawn<F: Future<Output = ()> + 'static>(future: F) -> impl Future<Output = ()> {
        let handle = wakeful::spawn(future);
        async { handle.await.unwrap() }
    }
    fn yield_now() -> impl Future<Output = ()> {
        wakeful::yield_now()
    }
}

/// tokio's current-thread runtime; a `LocalSet` lets tasks be `!Send`, as here.
pub struct Tokio(pub tokio::runtime::Runtime, pub tokio::task::LocalSet);

impl Bench for Tokio {
    const NAME: &'static str = "tokio-current-thread";
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.1.block_on(&self.0, future)
    }
    fn spawn<F: Future<Output = ()> + 'static>(future: F) -> impl Future<Output = ()> {
        let handle = tokio::task::spawn_local(future);
        async { handle.await.unwrap() }
    }
    fn yield_now() -> impl Future<Output = ()> {
        tokio::task::yield_now()
    }
}

pub fn wakeful() -> Wakeful {
    Wakeful(wakeful::Runtime::new().unwrap())
}

pub fn tokio() -> Tokio {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    Tokio(rt, tokio::task::LocalSet::new())
}

pub fn spawn_join<B: Bench>(rt: &B, n: usize) {
    rt.block_on(async {
        let handles: Vec<_> = (0..n).map(|_| B::spawn(async {})).collect();
        for handle in handles {
            handle.await;
        }
    });
}

pub fn yield_loop<B: Bench>(rt: &B, n: usize) {
    rt.block_on(async {
        B::spawn(async move {
            for _ in 0..n {
                B::yield_now().await;
            }
        })
        .await
    });
}

/// Two tasks pass a token back and forth `rounds` times through each other's wakers.
pub fn ping_pong<B: Bench>(rt: &B, rounds: usize) {
    let turn = Rc::new(Cell::new(0usize));
    let wakers: Rc<[Cell<Option<Waker>>; 2]> = Rc::default();
    let player = |me: usize| {
        let (turn, wakers) = (turn.clone(), wakers.clone());
        poll_fn(move |cx| loop {
            let t = turn.get();
            if t >= rounds {
                if let Some(other) = wakers[1 - me].take() {
                    other.wake();
                }
                return Poll::Ready(());
            }
            if t % 2 != me {
                wakers[me].set(Some(cx.waker().clone()));
                return Poll::Pending;
            }
            turn.set(t + 1);
            if let Some(other) = wakers[1 - me].take() {
                other.wake();
            }
        })
    };
    rt.block_on(async {
        let a = B::spawn(player(0));
        let b = B::spawn(player(1));
        a.await;
        b.await;
    });
    assert_eq!(turn.get(), rounds, "the hand-offs did not all happen");
}
