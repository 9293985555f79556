//! Timers, wakeful against tokio's current-thread runtime in the same run.
//!
//! ```text
//! cargo bench --bench timers
//! ```
//!
//! First a report, measured directly (criterion measures throughput, not lateness):
//! how late sleeps wake (mean and p99), and how many heap bytes one sleeping task
//! costs, counted by a wrapping global allocator. Then criterion groups: insert and
//! cancel 100k sleeps; 10k sleeps with random deadlines in 0–20 ms, all firing.
//!
//! `TIMERS_ROUNDS=5 cargo bench --bench timers` runs the lateness scenarios alone,
//! interleaved in fresh processes, and prints medians: see `timers/rounds.rs`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

/// Counts live heap bytes.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The two runtimes, behind one interface.
trait Timers {
    const NAME: &'static str;
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    fn spawn(future: impl Future<Output = ()> + 'static);
    fn sleep(duration: Duration) -> impl Future<Output = ()> + 'static;
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + 'static;
}

struct Wakeful(wakeful::Runtime);

impl Timers for Wakeful {
    const NAME: &'static str = "wakeful";
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
    fn spawn(future: impl Future<Output = ()> + 'static) {
        drop(wakeful::spawn(future));
    }
    fn sleep(duration: Duration) -> impl Future<Output = ()> + 'static {
        wakeful::time::sleep(duration)
    }
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + 'static {
        wakeful::time::sleep_until(deadline)
    }
}

struct Tokio(tokio::runtime::Runtime, tokio::task::LocalSet);

impl Timers for Tokio {
    const NAME: &'static str = "tokio-current-thread";
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.1.block_on(&self.0, future)
    }
    fn spawn(future: impl Future<Output = ()> + 'static) {
        drop(tokio::task::spawn_local(future));
    }
    fn sleep(duration: Duration) -> impl Future<Output = ()> + 'static {
        tokio::time::sleep(duration)
    }
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + 'static {
        tokio::time::sleep_until(deadline.into())
    }
}

fn wakeful() -> Wakeful {
    Wakeful(wakeful::Runtime::new().unwrap())
}

fn tokio() -> Tokio {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    Tokio(rt, tokio::task::LocalSet::new())
}

/// A reproducible spread of durations in `0..max`.
fn durations(n: usize, max: Duration) -> Vec<Duration> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            Duration::from_nanos(state % max.as_nanos() as u64)
        })
        .collect()
}

/// Lateness of concurrent sleeps with deadlines `offsets` after a common start `lead`
/// from now, sorted. For the report the lead is long enough for every task to have
/// registered its timer, so the figure is the timer's precision, not the time it takes
/// to spawn the tasks.
fn lateness<T: Timers>(rt: &T, lead: Duration, offsets: &[Duration]) -> Vec<Duration> {
    let late = std::rc::Rc::new(std::cell::RefCell::new(Vec::with_capacity(offsets.len())));
    let start = Instant::now() + lead;
    rt.block_on(async {
        for &offset in offsets {
            let late = late.clone();
            T::spawn(async move {
                let deadline = start + offset;
                T::sleep_until(deadline).await;
                late.borrow_mut().push(Instant::now().saturating_duration_since(deadline));
            });
        }
        while late.borrow().len() < offsets.len() {
            T::sleep(Duration::from_millis(5)).await;
        }
    });
    let mut late = late.take();
    late.sort();
    late
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: all-zero is a valid rusage, which the kernel fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a live rusage.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Lateness of `n` sleeps of `duration`, one after another, sorted.
fn sequential_lateness<T: Timers>(rt: &T, duration: Duration, n: usize) -> Vec<Duration> {
    let mut late: Vec<Duration> = rt.block_on(async {
        let mut late = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            T::sleep(duration).await;
            late.push(start.elapsed().saturating_sub(duration));
        }
        late
    });
    late.sort();
    late
}

/// Heap bytes per task sleeping (spawned, its timer registered).
fn bytes_per_sleeping_task<T: Timers>(rt: &T, n: usize) -> f64 {
    rt.block_on(async {
        let before = LIVE_BYTES.load(Ordering::Relaxed);
        for _ in 0..n {
            T::spawn(T::sleep(Duration::from_secs(3600)));
        }
        T::sleep(Duration::from_millis(1)).await; // every task polled once: timers registered
        (LIVE_BYTES.load(Ordering::Relaxed) - before) as f64 / n as f64
    })
}

/// Mean and p99 of sorted lateness figures.
fn mean_p99(late: &[Duration]) -> (Duration, Duration) {
    (late.iter().sum::<Duration>() / late.len() as u32, late[late.len() * 99 / 100])
}

fn summary(late: &[Duration]) -> String {
    let (mean, p99) = mean_p99(late);
    format!("mean {:>7.3} ms  p99 {:>7.3} ms", mean.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3)
}

/// The headline run: 100k concurrent sleeps with random deadlines in 0–1 s. Returns
/// their sorted lateness and the process CPU time (user + sys) the run took.
fn random_sleeps<T: Timers>(rt: impl Fn() -> T) -> (Vec<Duration>, Duration) {
    let cpu_before = cpu_time();
    let late = lateness(&rt(), Duration::from_millis(200), &durations(100_000, Duration::from_secs(1)));
    (late, cpu_time() - cpu_before)
}

fn report<T: Timers>(rt: impl Fn() -> T) {
    let (random, cpu) = random_sleeps(&rt);
    let one_ms = sequential_lateness(&rt(), Duration::from_millis(1), 1_000);
    let bytes = bytes_per_sleeping_task(&rt(), 100_000);
    println!(
        "{:<22} 100k sleeps in 0-1 s: {}  CPU {:.0} ms",
        T::NAME,
        summary(&random),
        cpu.as_secs_f64() * 1e3
    );
    println!("{:<22} 1 ms sleep, 1k times: {}", "", summary(&one_ms));
    println!("{:<22} heap per sleeping task: {bytes:.0} bytes", "");
}

fn insert_cancel<T: Timers>(rt: &T, n: usize) {
    rt.block_on(async {
        for _ in 0..n {
            let mut sleep = std::pin::pin!(T::sleep(Duration::from_secs(60)));
            // Poll once so the timer is registered, then drop it: cancelled.
            let _ = std::future::poll_fn(|cx| std::task::Poll::Ready(sleep.as_mut().poll(cx))).await;
        }
    });
}

fn all_fire<T: Timers>(rt: &T, durations: Vec<Duration>) {
    lateness(rt, Duration::ZERO, &durations);
}

macro_rules! both {
    ($group:expr, $n:expr, $input:expr, $work:ident) => {{
        let input = $input;
        let wakeful = wakeful();
        $group.bench_with_input(BenchmarkId::new(Wakeful::NAME, $n), &input, |b, i| {
            b.iter(|| $work(&wakeful, i.clone()))
        });
        let tokio = tokio();
        $group.bench_with_input(BenchmarkId::new(Tokio::NAME, $n), &input, |b, i| {
            b.iter(|| $work(&tokio, i.clone()))
        });
    }};
}

fn timers(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers_insert_cancel");
    group.throughput(Throughput::Elements(100_000));
    both!(group, 100_000, 100_000usize, insert_cancel);
    group.finish();

    let mut group = c.benchmark_group("timers_all_fire");
    group.sample_size(10);
    group.throughput(Throughput::Elements(10_000));
    both!(group, 10_000, durations(10_000, Duration::from_millis(20)), all_fire);
    group.finish();
}

criterion_group!(benches, timers);

#[path = "timers/rounds.rs"]
mod rounds;

/// One scenario of [`rounds`], in this process: prints its figures on one line.
fn one(scenario: &str) {
    let figures = match scenario {
        "wakeful" | "tokio" => {
            let (late, cpu) =
                if scenario == "wakeful" { random_sleeps(wakeful) } else { random_sleeps(tokio) };
            let (mean, p99) = mean_p99(&late);
            format!("{} {} {}", mean.as_secs_f64() * 1e6, p99.as_secs_f64() * 1e6, cpu.as_secs_f64() * 1e3)
        }
        "wakeful-1ms" | "tokio-1ms" => {
            let late = if scenario == "wakeful-1ms" {
                sequential_lateness(&wakeful(), Duration::from_millis(1), 1_000)
            } else {
                sequential_lateness(&tokio(), Duration::from_millis(1), 1_000)
            };
            format!("{}", mean_p99(&late).0.as_secs_f64() * 1e6)
        }
        _ => panic!("unknown scenario {scenario:?}"),
    };
    println!("{} {figures}", rounds::TAG);
}

fn main() {
    if let Ok(scenario) = std::env::var(rounds::ONE) {
        return one(&scenario);
    }
    if let Ok(n) = std::env::var(rounds::ROUNDS) {
        return rounds::run(n.parse().expect("TIMERS_ROUNDS: a number of rounds"));
    }
    println!("lateness of sleeps, and memory per sleeping task");
    report(wakeful);
    report(tokio);
    benches();
    Criterion::default().configure_from_args().final_summary();
}
