//! The executor against tokio's current-thread runtime and smol's `LocalExecutor`, on
//! the same work in the same run: spawn + join, `yield_now`, a wake ping-pong between
//! two tasks, and a wake from another thread to a parked runtime. Spawn and yield also
//! run on tokio's multi-thread runtime with one worker (`Send` futures only there).
//!
//! ```text
//! cargo bench --bench executor
//! ```
//!
//! Both runtimes run byte-for-byte the same futures: the ping-pong's "channel" is a
//! runtime-neutral waker slot, so only the executors differ.

use std::future::{poll_fn, Future};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "executor/workloads.rs"]
mod workloads;
use workloads::{ping_pong, spawn_join, tokio, wakeful, yield_loop, Bench, Tokio, Wakeful};

/// smol's `LocalExecutor` (async-executor), on the thread's executor.
struct Smol;

thread_local! {
    static SMOL: async_executor::LocalExecutor<'static> = const { async_executor::LocalExecutor::new() };
}

impl Bench for Smol {
    const NAME: &'static str = "smol-local";
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        SMOL.with(|executor| futures_lite::future::block_on(executor.run(future)))
    }
    fn spawn<F: Future<Output = ()> + 'static>(future: F) -> impl Future<Output = ()> {
        SMOL.with(|executor| executor.spawn(future))
    }
    fn yield_now() -> impl Future<Output = ()> {
        futures_lite::future::yield_now()
    }
}

/// criterion's `AsyncExecutor` for wakeful, so that async benches read naturally:
/// `b.to_async(OnWakeful(&rt)).iter(|| async { .. })`.
struct OnWakeful<'a>(&'a wakeful::Runtime);

impl criterion::async_executor::AsyncExecutor for OnWakeful<'_> {
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.0.block_on(future)
    }
}

/// The runtime parks; another thread wakes it; `rounds` times.
fn remote_wake<B: Bench>(rt: &B, rounds: usize) {
    let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
    let (tx, rx) = mpsc::channel::<()>();
    let waker_thread = thread::spawn({
        let slot = slot.clone();
        move || {
            while rx.recv().is_ok() {
                slot.lock().unwrap().take().unwrap().wake();
            }
        }
    });
    rt.block_on(async {
        for _ in 0..rounds {
            let mut stored = false;
            poll_fn(|cx| {
                if stored {
                    return Poll::Ready(());
                }
                stored = true;
                *slot.lock().unwrap() = Some(cx.waker().clone());
                tx.send(()).unwrap();
                Poll::Pending
            })
            .await;
        }
    });
    drop(tx);
    waker_thread.join().unwrap();
}

/// tokio's multi-thread runtime with one worker: its futures must be `Send`, so it only
/// runs the groups whose futures are.
fn tokio_multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap()
}

fn tokio_mt_spawn_join(rt: &tokio::runtime::Runtime, n: usize) {
    rt.block_on(async {
        let handles: Vec<_> = (0..n).map(|_| tokio::spawn(async {})).collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
}

fn tokio_mt_yield_loop(rt: &tokio::runtime::Runtime, n: usize) {
    rt.block_on(async {
        tokio::spawn(async move {
            for _ in 0..n {
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap()
    });
}

const TOKIO_MT: &str = "tokio-multi-thread-1";

/// Runs `$work` on each runtime, in one group, in one process.
macro_rules! each_runtime {
    ($group:expr, $n:expr, $work:ident) => {{
        let wakeful = wakeful();
        $group.bench_with_input(BenchmarkId::new(Wakeful::NAME, $n), &$n, |b, &n| {
            b.iter(|| $work(&wakeful, n))
        });
        let tokio = tokio();
        $group.bench_with_input(BenchmarkId::new(Tokio::NAME, $n), &$n, |b, &n| b.iter(|| $work(&tokio, n)));
        $group.bench_with_input(BenchmarkId::new(Smol::NAME, $n), &$n, |b, &n| b.iter(|| $work(&Smol, n)));
    }};
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn");
    for n in [1, 1_000, 100_000] {
        group.throughput(Throughput::Elements(n as u64));
        each_runtime!(group, n, spawn_join);
        let mt = tokio_multi_thread();
        group.bench_with_input(BenchmarkId::new(TOKIO_MT, n), &n, |b, &n| {
            b.iter(|| tokio_mt_spawn_join(&mt, n))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("yield_now");
    group.throughput(Throughput::Elements(10_000));
    each_runtime!(group, 10_000, yield_loop);
    let mt = tokio_multi_thread();
    group.bench_with_input(BenchmarkId::new(TOKIO_MT, 10_000), &10_000, |b, &n| {
        b.iter(|| tokio_mt_yield_loop(&mt, n))
    });
    group.finish();

    let mut group = c.benchmark_group("wake_ping_pong");
    group.throughput(Throughput::Elements(100_000));
    each_runtime!(group, 100_000, ping_pong);
    group.finish();

    // The same spawn + join through criterion's async API (`to_async`), for the record.
    let mut group = c.benchmark_group("spawn_to_async");
    group.throughput(Throughput::Elements(1_000));
    let rt = wakeful::Runtime::new().unwrap();
    group.bench_function(BenchmarkId::new(Wakeful::NAME, 1_000), |b| {
        b.to_async(OnWakeful(&rt)).iter(|| async {
            let handles: Vec<_> = (0..1_000).map(|_| wakeful::spawn(async {})).collect();
            for handle in handles {
                handle.await.unwrap();
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("wake_remote");
    group.throughput(Throughput::Elements(1_000));
    each_runtime!(group, 1_000, remote_wake);
    group.finish();
}

criterion_group!(executor, benches);
criterion_main!(executor);
