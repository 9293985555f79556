//! `wakeful::sync` against tokio's `sync` and async-channel, on the same executor in the
//! same run: every row runs on a wakeful `Runtime`, so only the primitive differs.
//!
//! ```text
//! cargo bench --bench sync
//! ```
//!
//! - `mpsc_ping_pong`: two tasks hand a number back and forth over two bounded(1)
//!   channels; every message wakes the other task.
//! - `mpsc_stream`: one task sends 10 000 numbers through a bounded(128) channel to
//!   another.
//! - `notify_ping_pong`: two tasks take turns with two `Notify`s.
//! - `semaphore`: two tasks share one permit, each acquiring and releasing it in turn.
//! - `broadcast_fan_out`: one sender, 8 receiving tasks, 1000 messages.
//! - `remote_stream`: a plain thread sends 10 000 numbers through a bounded(128)
//!   channel whose halves are `Send`, and a task receives them: `wakeful::sync::remote`
//!   and async-channel on a wakeful `Runtime`, tokio's mpsc on a tokio current-thread
//!   runtime. Every wake of the receiver crosses threads.
//! - `remote_ping_pong`: a task and a plain thread hand a number back and forth
//!   1000 times over two bounded(1) channels (runtimes as in `remote_stream`): each
//!   message parks and unparks a thread.

// async-channel's receivers need no `mut`; the same macros serve all three channels.
#![allow(unused_mut)]

use std::future::Future;
use std::rc::Rc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const ROUND_TRIPS: u64 = 10_000;
const STREAMED: u64 = 10_000;
const RECEIVERS: usize = 8;
const BROADCASTS: u64 = 1000;

fn run<F: Future<Output = ()> + 'static>(rt: &wakeful::Runtime, future: F) {
    rt.block_on(future);
}

/// Two tasks hand a number back and forth `ROUND_TRIPS` times: `$channel(1)` gives a
/// `(tx, rx)` pair whose `tx.send(v).await` and `rx.recv().await` are awaited.
macro_rules! ping_pong {
    ($channel:expr, $send:ident, $recv:ident) => {{
        let (to_b, mut from_a) = $channel;
        let (to_a, mut from_b) = $channel;
        let echo = wakeful::spawn(async move {
            while let Some(n) = $recv!(from_a) {
                $send!(to_a, n);
            }
        });
        for n in 0..ROUND_TRIPS {
            $send!(to_b, n);
            assert_eq!($recv!(from_b), Some(n));
        }
        drop(to_b);
        echo.await.unwrap();
    }};
}

macro_rules! send_tokio_style {
    ($tx:expr, $v:expr) => {
        $tx.send($v).await.unwrap()
    };
}
macro_rules! recv_tokio_style {
    ($rx:expr) => {
        $rx.recv().await
    };
}
macro_rules! recv_async_channel {
    ($rx:expr) => {
        $rx.recv().await.ok()
    };
}

fn mpsc_ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("mpsc_ping_pong");
    group.throughput(Throughput::Elements(ROUND_TRIPS));
    let rt = wakeful::Runtime::new().unwrap();
    group.bench_function("wakeful::sync", |b| {
        b.iter(|| {
            run(&rt, async {
                ping_pong!(wakeful::sync::mpsc::channel::<u64>(1), send_tokio_style, recv_tokio_style)
            })
        })
    });
    group.bench_function("tokio::sync", |b| {
        b.iter(|| {
            run(&rt, async {
                ping_pong!(tokio::sync::mpsc::channel::<u64>(1), send_tokio_style, recv_tokio_style)
            })
        })
    });
    group.bench_function("async-channel", |b| {
        b.iter(|| {
            run(&rt, async {
                ping_pong!(async_channel::bounded::<u64>(1), send_tokio_style, recv_async_channel)
            })
        })
    });
    group.finish();
}

/// One task streams `STREAMED` numbers to another through a bounded(128) channel.
macro_rules! stream {
    ($channel:expr, $recv:ident) => {{
        let (tx, mut rx) = $channel;
        let consumer = wakeful::spawn(async move {
            let mut sum = 0u64;
            while let Some(n) = $recv!(rx) {
                sum += n;
            }
            sum
        });
        for n in 0..STREAMED {
            tx.send(n).await.unwrap();
        }
        drop(tx);
        assert_eq!(consumer.await.unwrap(), STREAMED * (STREAMED - 1) / 2);
    }};
}

fn mpsc_stream(c: &mut Criterion) {
    let mut group = c.benchmark_group("mpsc_stream");
    group.throughput(Throughput::Elements(STREAMED));
    let rt = wakeful::Runtime::new().unwrap();
    group.bench_function("wakeful::sync", |b| {
        b.iter(|| run(&rt, async { stream!(wakeful::sync::mpsc::channel::<u64>(128), recv_tokio_style) }))
    });
    group.bench_function("tokio::sync", |b| {
        b.iter(|| run(&rt, async { stream!(tokio::sync::mpsc::channel::<u64>(128), recv_tokio_style) }))
    });
    group.bench_function("async-channel", |b| {
        b.iter(|| run(&rt, async { stream!(async_channel::bounded::<u64>(128), recv_async_channel) }))
    });
    group.finish();
}

/// Two tasks take turns `ROUND_TRIPS` times, each waking the other through a `Notify`.
macro_rules! notify_ping_pong {
    ($notify:ty) => {{
        let (ping, pong) = (Rc::new(<$notify>::new()), Rc::new(<$notify>::new()));
        let (ping2, pong2) = (ping.clone(), pong.clone());
        let echo = wakeful::spawn(async move {
            for _ in 0..ROUND_TRIPS {
                ping2.notified().await;
                pong2.notify_one();
            }
        });
        for _ in 0..ROUND_TRIPS {
            ping.notify_one();
            pong.notified().await;
        }
        echo.await.unwrap();
    }};
}

fn notify_ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("notify_ping_pong");
    group.throughput(Throughput::Elements(ROUND_TRIPS));
    let rt = wakeful::Runtime::new().unwrap();
    group.bench_function("wakeful::sync", |b| {
        b.iter(|| run(&rt, async { notify_ping_pong!(wakeful::sync::Notify) }))
    });
    group.bench_function("tokio::sync", |b| {
        b.iter(|| run(&rt, async { notify_ping_pong!(tokio::sync::Notify) }))
    });
    group.finish();
}

/// Two tasks share one permit `ROUND_TRIPS` times each, yielding while they hold it,
/// so each acquire after the first waits for the other task's release.
macro_rules! semaphore {
    ($semaphore:ty) => {{
        let semaphore = Rc::new(<$semaphore>::new(1));
        let other = semaphore.clone();
        let contender = wakeful::spawn(async move {
            for _ in 0..ROUND_TRIPS {
                let _permit = other.acquire().await.unwrap();
                wakeful::yield_now().await;
            }
        });
        for _ in 0..ROUND_TRIPS {
            let _permit = semaphore.acquire().await.unwrap();
            wakeful::yield_now().await;
        }
        contender.await.unwrap();
    }};
}

fn semaphore(c: &mut Criterion) {
    let mut group = c.benchmark_group("semaphore");
    group.throughput(Throughput::Elements(2 * ROUND_TRIPS));
    let rt = wakeful::Runtime::new().unwrap();
    group.bench_function("wakeful::sync", |b| {
        b.iter(|| run(&rt, async { semaphore!(wakeful::sync::Semaphore) }))
    });
    group
        .bench_function("tokio::sync", |b| b.iter(|| run(&rt, async { semaphore!(tokio::sync::Semaphore) })));
    group.finish();
}

/// One sender, `RECEIVERS` tasks, `BROADCASTS` messages into a channel that holds them
/// all (no receiver lags).
macro_rules! fan_out {
    ($channel:path) => {{
        let (tx, _) = $channel(BROADCASTS as usize);
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let mut rx = tx.subscribe();
                wakeful::spawn(async move {
                    let mut sum = 0u64;
                    while let Ok(n) = rx.recv().await {
                        sum += n;
                    }
                    sum
                })
            })
            .collect();
        for n in 0..BROADCASTS {
            tx.send(n).unwrap();
        }
        drop(tx);
        for receiver in receivers {
            assert_eq!(receiver.await.unwrap(), BROADCASTS * (BROADCASTS - 1) / 2);
        }
    }};
}

fn broadcast_fan_out(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast_fan_out");
    group.throughput(Throughput::Elements(BROADCASTS * RECEIVERS as u64));
    let rt = wakeful::Runtime::new().unwrap();
    group.bench_function(BenchmarkId::new("wakeful::sync", RECEIVERS), |b| {
        b.iter(|| run(&rt, async { fan_out!(wakeful::sync::broadcast::channel::<u64>) }))
    });
    group.bench_function(BenchmarkId::new("tokio::sync", RECEIVERS), |b| {
        b.iter(|| run(&rt, async { fan_out!(tokio::sync::broadcast::channel::<u64>) }))
    });
    group.finish();
}

const REMOTE_STREAMED: u64 = 10_000;
const REMOTE_ROUND_TRIPS: u64 = 1000;

/// A plain thread sends `REMOTE_STREAMED` numbers with `$blocking_send`; `$block_on`
/// runs the receiving task.
macro_rules! remote_stream {
    ($block_on:expr, $channel:expr, $blocking_send:ident, $recv:ident) => {{
        let (tx, mut rx) = $channel;
        let sender = std::thread::spawn(move || {
            for n in 0..REMOTE_STREAMED {
                tx.$blocking_send(n).unwrap();
            }
        });
        let sum = $block_on(async move {
            let mut sum = 0u64;
            while let Some(n) = $recv!(rx) {
                sum += n;
            }
            sum
        });
        sender.join().unwrap();
        assert_eq!(sum, REMOTE_STREAMED * (REMOTE_STREAMED - 1) / 2);
    }};
}

fn remote_stream(c: &mut Criterion) {
    let mut group = c.benchmark_group("remote_stream");
    group.throughput(Throughput::Elements(REMOTE_STREAMED));
    group.sample_size(20);
    let rt = wakeful::Runtime::new().unwrap();
    let tokio_rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    group.bench_function("wakeful::sync::remote", |b| {
        b.iter(|| {
            remote_stream!(
                |f| rt.block_on(f),
                wakeful::sync::remote::mpsc::channel::<u64>(128),
                blocking_send,
                recv_tokio_style
            )
        })
    });
    group.bench_function("tokio::sync (tokio rt)", |b| {
        b.iter(|| {
            remote_stream!(
                |f| tokio_rt.block_on(f),
                tokio::sync::mpsc::channel::<u64>(128),
                blocking_send,
                recv_tokio_style
            )
        })
    });
    group.bench_function("async-channel", |b| {
        b.iter(|| {
            remote_stream!(
                |f| rt.block_on(f),
                async_channel::bounded::<u64>(128),
                send_blocking,
                recv_async_channel
            )
        })
    });
    group.finish();
}

/// A plain thread echoes what a task sends, `REMOTE_ROUND_TRIPS` times, each side
/// waiting for the other.
macro_rules! remote_ping_pong {
    ($block_on:expr, $channel:expr, $blocking_send:ident, $blocking_recv:ident, $recv:ident) => {{
        let (to_thread, mut from_task) = $channel;
        let (to_task, mut from_thread) = $channel;
        let echo = std::thread::spawn(move || {
            while let Some(n) = from_task.$blocking_recv() {
                to_task.$blocking_send(n).unwrap();
            }
        });
        $block_on(async move {
            for n in 0..REMOTE_ROUND_TRIPS {
                to_thread.send(n).await.unwrap();
                assert_eq!($recv!(from_thread), Some(n));
            }
        });
        echo.join().unwrap();
    }};
}

/// async-channel's `recv_blocking` returns a `Result`; the macro wants an `Option`.
trait RecvBlockingOk<T> {
    fn recv_blocking_ok(&mut self) -> Option<T>;
}
impl<T> RecvBlockingOk<T> for async_channel::Receiver<T> {
    fn recv_blocking_ok(&mut self) -> Option<T> {
        self.recv_blocking().ok()
    }
}

fn remote_ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("remote_ping_pong");
    group.throughput(Throughput::Elements(REMOTE_ROUND_TRIPS));
    group.sample_size(20);
    let rt = wakeful::Runtime::new().unwrap();
    let tokio_rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    group.bench_function("wakeful::sync::remote", |b| {
        b.iter(|| {
            remote_ping_pong!(
                |f| rt.block_on(f),
                wakeful::sync::remote::mpsc::channel::<u64>(1),
                blocking_send,
                blocking_recv,
                recv_tokio_style
            )
        })
    });
    group.bench_function("tokio::sync (tokio rt)", |b| {
        b.iter(|| {
            remote_ping_pong!(
                |f| tokio_rt.block_on(f),
                tokio::sync::mpsc::channel::<u64>(1),
                blocking_send,
                blocking_recv,
                recv_tokio_style
            )
        })
    });
    group.bench_function("async-channel", |b| {
        b.iter(|| {
            remote_ping_pong!(
                |f| rt.block_on(f),
                async_channel::bounded::<u64>(1),
                send_blocking,
                recv_blocking_ok,
                recv_async_channel
            )
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    mpsc_ping_pong,
    mpsc_stream,
    notify_ping_pong,
    semaphore,
    broadcast_fan_out,
    remote_stream,
    remote_ping_pong
);
criterion_main!(benches);
