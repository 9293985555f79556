//! Crossing cores: wakeful's cores (`wakeful::cores`, one single-threaded runtime per
//! thread) beside tokio's multi-thread runtime with as many workers, in one run.
//!
//! ```text
//! cargo bench --bench cores
//! ```
//!
//! - `cross_core_ping_pong/10000`: two tasks hand a number back and forth 10 000 times
//!   over two bounded(1) channels. wakeful: the tasks sit on core 0 and core 1
//!   (`Handle::spawn_on`) and talk over `sync::remote::mpsc`, so every hand-off is a
//!   wake from another thread (the remote queue, and an unpark of the other core's
//!   reactor when it sleeps); also both tasks on core 0, the same channels, to show
//!   what placement saves. tokio: two `tokio::spawn`ed tasks on a 2-worker runtime
//!   over `tokio::sync::mpsc` — tokio places them itself (a task woken by a worker
//!   goes to that worker's LIFO slot, so they may well share one worker).
//! - `spawn_round_trip`: one task sent to another core and its output back.
//!   `from_thread`: from a plain thread (wakeful `spawn_on(1, ..).join()`, tokio
//!   `Runtime::spawn` then `block_on` of its `JoinHandle`). `core_to_core/1000`: a
//!   task on core 0 awaits 1000 `spawn_on(1, ..)` one after another (tokio: a task
//!   awaits 1000 `tokio::spawn`s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wakeful::cores::{Builder, Handle};
use wakeful::sync::remote::mpsc;

const ROUND_TRIPS: u64 = 10_000;
const SPAWNS: u64 = 1000;

/// Two wakeful cores that idle until shut down; the benchmarks send them work.
fn start_cores() -> wakeful::cores::Cores<()> {
    Builder::new().cores(2).start(|core| async move { core.shutdown_requested().await })
}

fn tokio_multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap()
}

/// A ping-pong of `rounds` between a task on core `driver` and one on core `echo`.
fn wakeful_ping_pong(handle: &Handle, driver: usize, echo: usize, rounds: u64) {
    let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(1);
    let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(1);
    let echo = handle.spawn_on(echo, move || async move {
        while let Some(n) = ping_rx.recv().await {
            if pong_tx.send(n).await.is_err() {
                break;
            }
        }
    });
    let driver = handle.spawn_on(driver, move || async move {
        let mut sum = 0;
        for n in 0..rounds {
            ping_tx.send(n).await.unwrap();
            sum += pong_rx.recv().await.unwrap();
        }
        sum
    });
    assert_eq!(driver.join().unwrap(), rounds * (rounds - 1) / 2, "every number came back");
    echo.join().unwrap();
}

fn tokio_ping_pong(rt: &tokio::runtime::Runtime, rounds: u64) {
    rt.block_on(async {
        let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let echo = tokio::spawn(async move {
            while let Some(n) = ping_rx.recv().await {
                if pong_tx.send(n).await.is_err() {
                    break;
                }
            }
        });
        let driver = tokio::spawn(async move {
            let mut sum = 0;
            for n in 0..rounds {
                ping_tx.send(n).await.unwrap();
                sum += pong_rx.recv().await.unwrap();
            }
            sum
        });
        assert_eq!(driver.await.unwrap(), rounds * (rounds - 1) / 2, "every number came back");
        echo.await.unwrap();
    })
}

fn ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("cross_core_ping_pong");
    group.throughput(Throughput::Elements(ROUND_TRIPS));
    group.sample_size(10).measurement_time(Duration::from_secs(4));
    let cores = start_cores();
    let handle = cores.handle();
    let tokio = tokio_multi_thread();
    group.bench_function(BenchmarkId::new("wakeful-cores-0-1", ROUND_TRIPS), |b| {
        b.iter(|| wakeful_ping_pong(&handle, 0, 1, ROUND_TRIPS))
    });
    group.bench_function(BenchmarkId::new("wakeful-cores-same-core", ROUND_TRIPS), |b| {
        b.iter(|| wakeful_ping_pong(&handle, 0, 0, ROUND_TRIPS))
    });
    group.bench_function(BenchmarkId::new("tokio-multi-thread-2", ROUND_TRIPS), |b| {
        b.iter(|| tokio_ping_pong(&tokio, ROUND_TRIPS))
    });
    group.finish();
    handle.shutdown();
    cores.join().unwrap();
}

fn spawn_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_round_trip");
    group.sample_size(20).measurement_time(Duration::from_secs(3));
    let cores = start_cores();
    let handle = cores.handle();
    let tokio = tokio_multi_thread();
    group.bench_function("from_thread/wakeful-cores", |b| {
        b.iter(|| assert_eq!(handle.spawn_on(1, || async { black_box(7u64) }).join().unwrap(), 7))
    });
    group.bench_function("from_thread/tokio-multi-thread-2", |b| {
        b.iter(|| assert_eq!(tokio.block_on(tokio.spawn(async { black_box(7u64) })).unwrap(), 7))
    });
    group.throughput(Throughput::Elements(SPAWNS));
    group.bench_function(BenchmarkId::new("core_to_core/wakeful-cores", SPAWNS), |b| {
        b.iter(|| {
            let inner = handle.clone();
            let sum = handle.spawn_on(0, move || async move {
                let mut sum = 0;
                for n in 0..SPAWNS {
                    sum += inner.spawn_on(1, move || async move { black_box(n) }).await.unwrap();
                }
                sum
            });
            assert_eq!(sum.join().unwrap(), SPAWNS * (SPAWNS - 1) / 2);
        })
    });
    group.bench_function(BenchmarkId::new("core_to_core/tokio-multi-thread-2", SPAWNS), |b| {
        b.iter(|| {
            let sum = tokio.block_on(tokio.spawn(async {
                let mut sum = 0;
                for n in 0..SPAWNS {
                    sum += tokio::spawn(async move { black_box(n) }).await.unwrap();
                }
                sum
            }));
            assert_eq!(sum.unwrap(), SPAWNS * (SPAWNS - 1) / 2);
        })
    });
    group.finish();
    handle.shutdown();
    cores.join().unwrap();
}

criterion_group!(benches, ping_pong, spawn_round_trip);
criterion_main!(benches);
