//! `task::spawn_blocking`: results, panics, aborts before and after the closure
//! starts, dropped handles and runtimes, and calls outside a runtime. Tests that
//! change the process-wide pool's settings run in a child process.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use util::PATIENCE;
use wakeful::task::{self, blocking, spawn_blocking, JoinSet};

/// A gate that blocking closures wait at until the test opens it (bounded, so a
/// failing test cannot leave pool threads blocked forever).
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, cv) = &*self.0;
        let guard = open.lock().unwrap();
        let (guard, timeout) = cv.wait_timeout_while(guard, PATIENCE, |open| !*open).unwrap();
        assert!(*guard && !timeout.timed_out(), "the gate was never opened");
    }

    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
}

/// Polls `condition` until it holds, failing after `PATIENCE`: for states of other
/// threads that signal nothing (a value dropped on a pool thread).
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "still waiting after {PATIENCE:?}: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Counts its drops, on whichever thread.
#[derive(Debug)]
struct CountsDrop(Arc<AtomicUsize>);

impl Drop for CountsDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn ten_thousand_round_trips_each_handle_gets_its_own_result() {
    let sum = util::run(async {
        let handles: Vec<_> = (0..10_000u64).map(|i| spawn_blocking(move || i * 3)).collect();
        let mut sum = 0;
        for (i, handle) in handles.into_iter().enumerate() {
            let value = handle.await.unwrap();
            assert_eq!(value, i as u64 * 3, "handle {i} got another job's result");
            sum += value;
        }
        sum
    });
    assert_eq!(sum, 3 * (0..10_000u64).sum::<u64>());
    let stats = blocking::stats();
    assert!(stats.threads <= blocking::DEFAULT_MAX_THREADS, "{stats:?}");
}

#[test]
fn results_through_a_join_set() {
    let mut got = util::run(async {
        let mut set = JoinSet::new();
        for i in 0..100u32 {
            set.spawn(async move { spawn_blocking(move || i + 1).await.unwrap() });
        }
        let mut got = Vec::new();
        while let Some(result) = set.join_next().await {
            got.push(result.unwrap());
        }
        got
    });
    got.sort_unstable();
    assert_eq!(got, (1..=100).collect::<Vec<_>>());
}

#[test]
fn panic_in_closure_reaches_handle_with_payload_and_the_thread_lives_on() {
    util::run(async {
        let err = spawn_blocking(|| -> u8 { std::panic::panic_any(17u32) }).await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&17));
        let err = spawn_blocking(|| -> u8 { panic!("with a message") }).await.unwrap_err();
        assert_eq!(err.to_string(), "task panicked: with a message");
        // The pool still runs jobs, and on a named pool thread.
        let name = spawn_blocking(|| std::thread::current().name().map(str::to_owned)).await.unwrap();
        assert!(name.unwrap().starts_with("wakeful-blocking-"));
    });
}

#[test]
fn abort_after_start_runs_to_the_end_and_drops_the_result_on_the_pool() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let gate = Gate::default();
    let (started_tx, started) = mpsc::channel();
    util::run({
        let (dropped, finished, gate) = (dropped.clone(), finished.clone(), gate.clone());
        async move {
            let handle = spawn_blocking(move || {
                started_tx.send(()).unwrap();
                gate.wait();
                finished.fetch_add(1, Ordering::SeqCst);
                CountsDrop(dropped)
            });
            started.recv_timeout(PATIENCE).expect("the closure started");
            handle.abort();
            assert!(handle.await.unwrap_err().is_cancelled());
        }
    });
    assert_eq!(finished.load(Ordering::SeqCst), 0, "still blocked at the gate");
    gate.open();
    wait_until("the aborted closure's result dropped", || dropped.load(Ordering::SeqCst) == 1);
    assert_eq!(finished.load(Ordering::SeqCst), 1, "ran to the end");
}

/// Dropping the handle detaches the task, which keeps waiting for the closure. (The
/// runtime stays alive until the closure ran: dropping the runtime first would cancel
/// a closure not yet started, as tokio's shutdown does.)
#[test]
fn dropped_handle_detaches_the_job_which_still_runs() {
    let (ran_tx, ran) = mpsc::channel();
    util::run(async move {
        drop(spawn_blocking(move || ran_tx.send(()).unwrap()));
        ran.recv_timeout(PATIENCE).expect("the detached closure ran");
    });
}

#[test]
fn dropping_the_runtime_with_work_running_does_not_wait_for_it() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let gate = Gate::default();
    let (started_tx, started) = mpsc::channel();
    let rt = wakeful::Runtime::new().unwrap();
    let handle = rt.spawn({
        let (dropped, gate) = (dropped.clone(), gate.clone());
        async move {
            spawn_blocking(move || {
                started_tx.send(()).unwrap();
                gate.wait();
                CountsDrop(dropped)
            })
            .await
        }
    });
    rt.block_on(async {
        util::run_ready_tasks().await;
        started.recv_timeout(PATIENCE).expect("the closure started");
    });
    let before = Instant::now();
    drop(handle);
    drop(rt); // must not wait for the gate
    assert!(before.elapsed() < PATIENCE, "dropping the runtime waited for blocking work");
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    gate.open();
    wait_until("the detached result dropped on the pool", || dropped.load(Ordering::SeqCst) == 1);
}

#[test]
fn outside_a_runtime_panics_with_a_clear_message() {
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    let panic = std::panic::catch_unwind(move || {
        spawn_blocking(move || counter.fetch_add(1, Ordering::SeqCst));
    })
    .unwrap_err();
    let message =
        panic.downcast_ref::<String>().cloned().or(panic.downcast_ref::<&str>().map(|s| s.to_string()));
    assert!(message.unwrap().contains("spawn_blocking called outside a runtime"));
    assert_eq!(ran.load(Ordering::SeqCst), 0, "no work was queued");
}

#[test]
fn in_flight_counts_jobs_until_their_result_is_delivered() {
    let gate = Gate::default();
    util::run({
        let gate = gate.clone();
        async move {
            assert_eq!(blocking::in_flight(), 0);
            let (started_tx, started) = mpsc::channel();
            let handle = spawn_blocking({
                let gate = gate.clone();
                move || {
                    started_tx.send(()).unwrap();
                    gate.wait()
                }
            });
            assert_eq!(blocking::in_flight(), 1, "counted from submission");
            started.recv_timeout(PATIENCE).unwrap();
            assert_eq!(blocking::in_flight(), 1, "and while it runs");
            gate.open();
            handle.await.unwrap();
            assert_eq!(blocking::in_flight(), 0, "not after its result was delivered");
            // Jobs are counted per submitting thread.
            let other = std::thread::spawn(blocking::in_flight);
            assert_eq!(other.join().unwrap(), 0);
        }
    });
}

#[test]
fn runtimes_on_two_threads_each_get_their_results() {
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            std::thread::spawn(move || {
                util::run(async move {
                    let mut sum = 0;
                    for i in 0..200 {
                        sum += spawn_blocking(move || t * 1000 + i).await.unwrap();
                    }
                    sum
                })
            })
        })
        .collect();
    for (t, thread) in threads.into_iter().enumerate() {
        let expected: u64 = (0..200).map(|i| t as u64 * 1000 + i).sum();
        assert_eq!(thread.join().unwrap(), expected);
    }
}

/// A result whose `Drop` panics, dropped on the pool thread (the handle was
/// aborted): contained there, the pool keeps its threads and runs the next job.
#[test]
fn panic_in_drop_of_an_unwanted_result_is_contained_on_the_pool() {
    #[derive(Debug)]
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop of an unwanted result");
        }
    }
    let gate = Gate::default();
    util::run({
        let gate = gate.clone();
        async move {
            let (started_tx, started) = mpsc::channel();
            let waits = gate.clone();
            let handle = spawn_blocking(move || {
                started_tx.send(()).unwrap();
                waits.wait();
                PanicsOnDrop
            });
            started.recv_timeout(PATIENCE).unwrap();
            handle.abort();
            assert!(handle.await.unwrap_err().is_cancelled());
            gate.open();
            for i in 0..10 {
                assert_eq!(spawn_blocking(move || i).await.unwrap(), i);
            }
        }
    });
}

#[test]
fn abort_before_start_never_runs_the_closure() {
    const NAME: &str = "abort_before_start_never_runs_the_closure";
    if util::ran_in_child(NAME) {
        return;
    }
    task::blocking::set_max_threads(1).unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let gate = Gate::default();
    util::run({
        let (ran, gate) = (ran.clone(), gate.clone());
        async move {
            let (started_tx, started) = mpsc::channel();
            let busy = spawn_blocking({
                let gate = gate.clone();
                move || {
                    started_tx.send(()).unwrap();
                    gate.wait()
                }
            });
            started.recv_timeout(PATIENCE).unwrap();
            let counter = ran.clone();
            let queued = spawn_blocking(move || counter.fetch_add(1, Ordering::SeqCst));
            assert_eq!(blocking::stats().queued, 1, "behind the busy one: the bound is 1");
            queued.abort();
            assert!(queued.await.unwrap_err().is_cancelled());
            gate.open();
            busy.await.unwrap();
            // FIFO: a job queued after the aborted one runs after its turn came.
            spawn_blocking(|| ()).await.unwrap();
        }
    });
    assert_eq!(ran.load(Ordering::SeqCst), 0, "an aborted closure that had not started ran");
}

#[test]
fn thread_spawn_failure_is_a_join_error_not_a_panic() {
    const NAME: &str = "thread_spawn_failure_is_a_join_error_not_a_panic";
    if util::ran_in_child(NAME) {
        return;
    }
    // No pool thread is alive in this fresh process; a stack larger than the address
    // space makes the OS refuse the first one.
    blocking::set_thread_stack_size(1 << 47);
    let err = util::run(async { spawn_blocking(|| 1).await.unwrap_err() });
    assert!(err.is_panic(), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("no thread to run the closure"), "{message}");
    assert_eq!(blocking::in_flight(), 0);
    // With a normal stack the pool works again.
    blocking::set_thread_stack_size(256 * 1024);
    assert_eq!(util::run(async { spawn_blocking(|| 2).await.unwrap() }), 2);
}

/// A closure still queued when its runtime is dropped never runs (its task, waiting
/// for it, is dropped with the runtime, which cancels it).
#[test]
fn dropping_the_runtime_cancels_closures_not_yet_started() {
    const NAME: &str = "dropping_the_runtime_cancels_closures_not_yet_started";
    if util::ran_in_child(NAME) {
        return;
    }
    blocking::set_max_threads(1).unwrap();
    let gate = Gate::default();
    let ran = Arc::new(AtomicUsize::new(0));
    let rt = wakeful::Runtime::new().unwrap();
    let (started_tx, started) = mpsc::channel();
    let waits = gate.clone();
    let counter = ran.clone();
    rt.block_on(async {
        drop(spawn_blocking(move || {
            started_tx.send(()).unwrap();
            waits.wait()
        }));
        started.recv_timeout(PATIENCE).unwrap();
        drop(spawn_blocking(move || counter.fetch_add(1, Ordering::SeqCst)));
        assert_eq!(blocking::stats().queued, 1);
    });
    drop(rt);
    gate.open();
    // The queue drains: the cancelled job is popped and dropped unrun.
    wait_until("the queue to drain", || blocking::stats().queued == 0 && blocking::in_flight() == 0);
    assert_eq!(ran.load(Ordering::SeqCst), 0, "a closure queued at runtime drop ran");
}

/// A closure panics with a payload whose `Drop` panics, and its handle was dropped:
/// the payload is dropped by the runtime (in the task's `JoinError`) or on the pool;
/// either way nothing unwinds out of the runtime and the pool keeps working.
#[test]
fn a_detached_job_panicking_with_a_payload_whose_drop_panics() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("the payload's drop panics too");
        }
    }
    let outcome = std::panic::catch_unwind(|| {
        util::run(async {
            drop(spawn_blocking(|| std::panic::panic_any(Bomb)));
            let handle = spawn_blocking(|| std::panic::panic_any(Bomb));
            wait_until("both results delivered", || blocking::in_flight() == 0);
            util::run_ready_tasks().await;
            // Awaited: the JoinError holds the payload; dropping it is the caller's.
            let err = handle.await.unwrap_err();
            assert!(err.is_panic());
            std::mem::forget(err);
            assert_eq!(spawn_blocking(|| 7).await.unwrap(), 7);
        })
    });
    assert!(outcome.is_ok(), "a payload's Drop unwound out of the runtime");
}

#[test]
fn in_flight_ends_once_for_panicking_aborted_and_dropped_jobs() {
    util::run(async {
        // A panicking job: counted out once its task has taken the panic.
        let panicked = spawn_blocking(|| -> () { panic!("job panics") }).await;
        assert!(panicked.is_err());
        assert_eq!(blocking::in_flight(), 0, "after a panicking job");
        // Jobs aborted at once (cancelled before they start, or run anyway), and jobs
        // whose handle is dropped unawaited: each counted out once, never below zero.
        for _ in 0..50 {
            spawn_blocking(|| std::thread::sleep(Duration::from_micros(50))).abort();
            drop(spawn_blocking(|| 7));
        }
        wait_until("the jobs counted out", || blocking::in_flight() == 0);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(blocking::in_flight(), 0, "no double decrement (it would wrap to a huge count)");
        // And one taken after its job finished long before.
        let late = spawn_blocking(|| 3);
        wait_until("the job done", || blocking::in_flight() == 0);
        assert_eq!(late.await.unwrap(), 3);
        assert_eq!(blocking::in_flight(), 0);
    });
}
