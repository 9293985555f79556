//! The process's blocking pool: its bound, threads started on demand, and idle
//! threads reaped after the keep-alive. Each test changes process-wide settings, so
//! runs in a child process of its own.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use util::PATIENCE;
use wakeful::task::{blocking, spawn_blocking};

#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, cv) = &*self.0;
        let guard = open.lock().unwrap();
        let (guard, _) = cv.wait_timeout_while(guard, PATIENCE, |open| !*open).unwrap();
        assert!(*guard, "the gate was never opened");
    }

    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
}

/// Polls the pool's stats until `condition` holds, failing after `PATIENCE` (the pool
/// signals nothing when a thread exits).
fn wait_for_stats(what: &str, condition: impl Fn(&blocking::PoolStats) -> bool) -> blocking::PoolStats {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let stats = blocking::stats();
        if condition(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "still waiting after {PATIENCE:?} for {what}: {stats:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn with_a_bound_of_four_the_fifth_job_waits_for_a_free_thread() {
    const NAME: &str = "with_a_bound_of_four_the_fifth_job_waits_for_a_free_thread";
    if util::ran_in_child(NAME) {
        return;
    }
    blocking::set_max_threads(4).unwrap();
    let gate = Gate::default();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = mpsc::channel();
    util::run(async {
        let handles: Vec<_> = (0..5)
            .map(|i| {
                let (gate, running, most, started_tx) =
                    (gate.clone(), running.clone(), most.clone(), started_tx.clone());
                spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    started_tx.send(i).unwrap();
                    gate.wait();
                    running.fetch_sub(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        let mut first: Vec<_> =
            (0..4).map(|_| started.recv_timeout(PATIENCE).expect("four jobs start")).collect();
        first.sort_unstable();
        assert_eq!(first, [0, 1, 2, 3], "FIFO: the first four start");
        let stats = wait_for_stats("four busy threads", |s| s.threads == 4 && s.idle == 0);
        assert_eq!(stats.queued, 1, "the fifth waits in the queue: {stats:?}");
        assert!(started.try_recv().is_err(), "the fifth started past the bound");
        gate.open();
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(handle.await.unwrap(), i);
        }
    });
    assert_eq!(most.load(Ordering::SeqCst), 4, "never more than the bound at once");
    assert_eq!(blocking::stats().started, 4, "the fifth ran on a thread already started");
}

#[test]
fn raising_the_bound_starts_threads_for_waiting_jobs() {
    const NAME: &str = "raising_the_bound_starts_threads_for_waiting_jobs";
    if util::ran_in_child(NAME) {
        return;
    }
    blocking::set_max_threads(1).unwrap();
    let gate = Gate::default();
    util::run(async {
        let (started_tx, started) = mpsc::channel();
        let waits = gate.clone();
        let busy = spawn_blocking(move || {
            started_tx.send(()).unwrap();
            waits.wait()
        });
        started.recv_timeout(PATIENCE).unwrap();
        let queued = spawn_blocking(|| 7);
        assert_eq!(blocking::stats().queued, 1);
        blocking::set_max_threads(2).unwrap();
        // The busy one still holds its thread: only a new thread can run this.
        assert_eq!(queued.await.unwrap(), 7);
        assert_eq!(blocking::stats().started, 2);
        gate.open();
        busy.await.unwrap();
    });
}

#[test]
fn idle_threads_are_reaped_after_the_keep_alive() {
    const NAME: &str = "idle_threads_are_reaped_after_the_keep_alive";
    if util::ran_in_child(NAME) {
        return;
    }
    blocking::set_keep_alive(Duration::from_millis(20));
    let gate = Gate::default();
    util::run(async {
        // Three jobs at once, held until all three run: three threads.
        let (started_tx, started) = mpsc::channel();
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let (gate, started_tx) = (gate.clone(), started_tx.clone());
                spawn_blocking(move || {
                    started_tx.send(()).unwrap();
                    gate.wait();
                    std::thread::current().name().map(str::to_owned)
                })
            })
            .collect();
        for _ in 0..3 {
            started.recv_timeout(PATIENCE).unwrap();
        }
        assert_eq!(blocking::stats().threads, 3);
        gate.open();
        for handle in handles {
            assert!(handle.await.unwrap().unwrap().starts_with("wakeful-blocking-"));
        }
    });
    wait_for_stats("every idle thread to exit", |s| s.threads == 0 && s.idle == 0);
    // The pool starts threads again on demand.
    assert_eq!(util::run(async { spawn_blocking(|| 5).await.unwrap() }), 5);
    assert_eq!(blocking::stats().started, 4);
}

#[test]
fn shortening_the_keep_alive_applies_to_threads_already_idle() {
    const NAME: &str = "shortening_the_keep_alive_applies_to_threads_already_idle";
    if util::ran_in_child(NAME) {
        return;
    }
    blocking::set_keep_alive(Duration::MAX); // forever: no overflow
    util::run(async { spawn_blocking(|| ()).await.unwrap() });
    wait_for_stats("the thread to go idle", |s| s.threads == 1 && s.idle == 1);
    blocking::set_keep_alive(Duration::ZERO);
    wait_for_stats("the idle thread to exit", |s| s.threads == 0);
}

#[test]
fn a_bound_of_zero_is_invalid_input() {
    let err = blocking::set_max_threads(0).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("at least 1"), "{err}");
}

/// `WAKEFUL_MAX_BLOCKING_THREADS` sets the bound, read when the pool is first used;
/// a value that is not a positive integer is ignored (the default stays).
#[test]
fn the_environment_variable_sets_the_bound() {
    const NAME: &str = "the_environment_variable_sets_the_bound";
    if util::is_child(NAME) {
        let expected: usize = std::env::var("EXPECTED_BOUND").unwrap().parse().unwrap();
        let gate = Gate::default();
        let (started_tx, started) = mpsc::channel();
        util::run(async {
            let jobs = expected.min(8) + 1;
            let handles: Vec<_> = (0..jobs)
                .map(|_| {
                    let (gate, started_tx) = (gate.clone(), started_tx.clone());
                    spawn_blocking(move || {
                        started_tx.send(()).unwrap();
                        gate.wait()
                    })
                })
                .collect();
            let running = jobs.min(expected);
            for _ in 0..running {
                started.recv_timeout(PATIENCE).unwrap();
            }
            let stats =
                wait_for_stats("the threads to take their jobs", |s| s.threads == running && s.idle == 0);
            assert_eq!(stats.queued, jobs - running, "{stats:?}");
            gate.open();
            for handle in handles {
                handle.await.unwrap();
            }
        });
        return;
    }
    for (value, expected) in
        [("2", 2), (" 3 ", 3), ("0", blocking::DEFAULT_MAX_THREADS), ("many", blocking::DEFAULT_MAX_THREADS)]
    {
        let exe = std::env::current_exe().unwrap();
        let output = std::process::Command::new(exe)
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env("WAKEFUL_TEST_CHILD", NAME) // as util::in_child sets it
            .env("WAKEFUL_MAX_BLOCKING_THREADS", value)
            .env("EXPECTED_BOUND", expected.to_string())
            .output()
            .unwrap();
        util::assert_child_passed(&output);
    }
}
