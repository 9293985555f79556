//! `spawn_blocking` against tokio's, in the same run: one closure's round trip (queue
//! it, run it on a pool thread, wake the waiting task, take the result), one at a time
//! and 64 at once; and a small file read through `fs` against `tokio::fs`.
//!
//! ```text
//! cargo bench --bench blocking
//! ```
//!
//! Both pools are warm (threads started by an earlier iteration) and both runtimes are
//! single-threaded (tokio's current-thread runtime), so the same things are measured:
//! a queue, a thread wakeup, and a cross-thread wake of a parked runtime.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_blocking round trip");
    for batch in [1u64, 64] {
        group.throughput(Throughput::Elements(batch));
        let wakeful_rt = wakeful::Runtime::new().unwrap();
        group.bench_with_input(BenchmarkId::new("wakeful", batch), &batch, |b, &batch| {
            b.iter(|| {
                wakeful_rt.block_on(async {
                    let handles: Vec<_> =
                        (0..batch).map(|i| wakeful::task::spawn_blocking(move || i)).collect();
                    let mut sum = 0;
                    for handle in handles {
                        sum += handle.await.unwrap();
                    }
                    sum
                })
            })
        });
        let tokio_rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        group.bench_with_input(BenchmarkId::new("tokio-current-thread", batch), &batch, |b, &batch| {
            b.iter(|| {
                tokio_rt.block_on(async {
                    let handles: Vec<_> =
                        (0..batch).map(|i| tokio::task::spawn_blocking(move || i)).collect();
                    let mut sum = 0;
                    for handle in handles {
                        sum += handle.await.unwrap();
                    }
                    sum
                })
            })
        });
    }
    group.finish();
}

fn file_read(c: &mut Criterion) {
    let path = std::env::temp_dir().join(format!("wakeful-bench-blocking-{}", std::process::id()));
    std::fs::write(&path, vec![7u8; 4096]).unwrap();
    let mut group = c.benchmark_group("fs::read 4 KiB");
    let wakeful_rt = wakeful::Runtime::new().unwrap();
    group.bench_function("wakeful", |b| b.iter(|| wakeful_rt.block_on(wakeful::fs::read(&path)).unwrap()));
    // tokio::fs is behind tokio's "fs" feature, not enabled here: its read is
    // spawn_blocking(std::fs::read), as written below.
    let tokio_rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    group.bench_function("tokio-current-thread", |b| {
        b.iter(|| {
            let path = path.clone();
            tokio_rt
                .block_on(async { tokio::task::spawn_blocking(move || std::fs::read(path)).await })
                .unwrap()
                .unwrap()
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(blocking, round_trip, file_read);
criterion_main!(blocking);
