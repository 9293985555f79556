//! The executor rows of `benches/executor.rs` (wake ping-pong, spawn + join, yield) as
//! one plain run each, for instruction counts: wall-clock time is noisy on a shared
//! machine, the instructions a run executes are not.
//!
//! ```text
//! cargo build --profile bench --example exec_count
//! valgrind --tool=callgrind --dump-instr=no --callgrind-out-file=/dev/null \
//!     target/release/examples/exec_count wakeful ping_pong 1000000
//! ```
//!
//! `RUNTIME` is `wakeful`, `executor` (wakeful's executor alone, without the reactor)
//! or `tokio` (current-thread, with a `LocalSet`, as in the criterion bench); `WORK` is `ping_pong` (N hand-offs, two per round trip), `spawn`
//! (N tasks spawned, then joined) or `yield` (one task yields N times). Run it at two
//! sizes and divide the difference in instructions by the difference in N: that
//! leaves out the runtime's creation and the process's start.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

trait Bench {
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    fn spawn<F: Future<Output = ()> + 'static>(future: F) -> impl Future<Output = ()>;
    fn yield_now() -> impl Future<Output = ()>;
}

struct Wakeful(wakeful::Runtime);

impl Bench for Wakeful {
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

/// The executor alone, parking with std (no reactor): what the reactor's turns cost.
struct Executor(wakeful::executor::Runtime);

impl Bench for Executor {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
    fn spawn<F: Future<Output = ()> + 'static>(future: F) -> impl Future<Output = ()> {
        Wakeful::spawn(future)
    }
    fn yield_now() -> impl Future<Output = ()> {
        wakeful::yield_now()
    }
}

struct Tokio(tokio::runtime::Runtime, tokio::task::LocalSet);

impl Bench for Tokio {
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

/// The same as `ping_pong` in `benches/executor.rs`.
fn ping_pong<B: Bench>(rt: &B, rounds: usize) {
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

fn spawn_join<B: Bench>(rt: &B, n: usize) {
    rt.block_on(async {
        let handles: Vec<_> = (0..n).map(|_| B::spawn(async {})).collect();
        for handle in handles {
            handle.await;
        }
    });
}

fn yield_loop<B: Bench>(rt: &B, n: usize) {
    rt.block_on(async {
        B::spawn(async move {
            for _ in 0..n {
                B::yield_now().await;
            }
        })
        .await
    });
}

fn work<B: Bench>(rt: &B, work: &str, n: usize) {
    match work {
        "ping_pong" => ping_pong(rt, n),
        "spawn" => spawn_join(rt, n),
        "yield" => yield_loop(rt, n),
        _ => panic!("unknown work {work:?}: ping_pong, spawn or yield"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, runtime, what, n] = &args[..] else {
        panic!("usage: exec_count wakeful|executor|tokio ping_pong|spawn|yield N");
    };
    let n: usize = n.parse().expect("N: a count");
    match runtime.as_str() {
        "wakeful" => work(&Wakeful(wakeful::Runtime::new().unwrap()), what, n),
        "executor" => work(&Executor(wakeful::executor::Runtime::new()), what, n),
        "tokio" => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            work(&Tokio(rt, tokio::task::LocalSet::new()), what, n)
        }
        _ => panic!("unknown runtime {runtime:?}: wakeful, executor or tokio"),
    }
}
