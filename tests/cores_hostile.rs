//! wakeful::cores under attack: panicking and re-entrant wakers on the shutdown
//! signal, futures dropped at a Pending, handles awaited from unrelated runtimes,
//! and no file descriptors left for a core's runtime.

mod util;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Wake, Waker};

use util::{CountingWaker, PATIENCE};
use wakeful::cores::{Builder, Handle, ShutdownRequested};

/// Starts two cores that wait for the shutdown signal and return their index; gives
/// the handle and a way to join them (within PATIENCE).
fn listening_cores() -> (Handle, impl FnOnce() -> Vec<usize>) {
    let cores = Builder::new().cores(2).start(|core| async move {
        core.shutdown_requested().await;
        core.index()
    });
    let handle = cores.handle();
    let join = move || {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || tx.send(cores.join().unwrap()).unwrap());
        rx.recv_timeout(PATIENCE).expect("every core ended after the shutdown")
    };
    (handle, join)
}

#[test]
fn a_waker_that_panics_on_wake_does_not_keep_the_cores_from_shutting_down() {
    let (handle, join) = listening_cores();
    let counting = CountingWaker::new();
    let bomb = util::panicking_wake_waker(counting.waker().clone());
    let mut signal = pin!(handle.shutdown_signal(0));
    assert!(signal.as_mut().poll(&mut Context::from_waker(&bomb)).is_pending());
    handle.shutdown(); // the bomb goes off in here, contained
    assert_eq!(join(), [0, 1]);
    assert!(signal.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready());
}

#[test]
fn a_shutdown_signal_dropped_while_waiting_takes_its_waker_out() {
    let (handle, join) = listening_cores();
    let counting = CountingWaker::new();
    let mut signal = Box::pin(handle.shutdown_signal(1));
    assert!(counting.poll(signal.as_mut()).is_pending());
    assert_eq!(counting.held(), 1);
    drop(signal);
    assert_eq!(counting.held(), 0, "the dropped future's waker was released");
    handle.shutdown();
    assert_eq!(join(), [0, 1]);
    assert_eq!(counting.wakes(), 0);
}

/// A waker whose `Drop` shuts down and drops a signal future: re-entry into the
/// signal while it is being fired.
struct ReentrantDrop {
    handle: Handle,
    signal: Mutex<Option<ShutdownRequested>>,
    dropped: Arc<AtomicUsize>,
}

impl Wake for ReentrantDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for ReentrantDrop {
    fn drop(&mut self) {
        self.handle.shutdown();
        drop(self.signal.lock().unwrap().take());
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_waker_whose_drop_reenters_the_signal_neither_deadlocks_nor_loses_a_core() {
    let (handle, join) = listening_cores();
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut inner_signal = handle.shutdown_signal(0);
    // The inner signal future waits too, so that the Drop below removes a waiter.
    assert!(CountingWaker::new().poll(std::pin::Pin::new(&mut inner_signal)).is_pending());
    let waker = Waker::from(Arc::new(ReentrantDrop {
        handle: handle.clone(),
        signal: Mutex::new(Some(inner_signal)),
        dropped: dropped.clone(),
    }));
    let mut outer = pin!(handle.shutdown_signal(1));
    assert!(outer.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
    drop(waker); // the signal holds the only clone now
    handle.shutdown();
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(join(), [0, 1]);
}

#[test]
fn a_remote_handle_is_awaited_from_an_unrelated_runtime_on_another_thread() {
    let (handle, join) = listening_cores();
    let remote = handle.spawn_on(1, || async { wakeful::cores::current_index() });
    let got = std::thread::spawn(move || util::run(remote)).join().unwrap();
    assert_eq!(got.unwrap(), Some(1));
    handle.shutdown();
    assert_eq!(join(), [0, 1]);
}

#[test]
fn futures_dropped_at_their_first_pending_leave_the_cores_working() {
    let (handle, join) = listening_cores();
    let noop = &mut Context::from_waker(Waker::noop());
    // A stats request and a remote handle, each polled once and dropped.
    let mut stats = Box::pin(handle.stats());
    let _ = stats.as_mut().poll(noop);
    drop(stats);
    let mut remote = handle.spawn_on(0, || async { 1 });
    let _ = std::pin::Pin::new(&mut remote).poll(noop);
    drop(remote);
    // Both cores still answer.
    let stats = util::run(handle.stats());
    assert_eq!(stats.len(), 2);
    assert_eq!(util::run(handle.spawn_on(1, || async { 2 })).unwrap(), 2);
    handle.shutdown();
    assert_eq!(join(), [0, 1]);
}

#[test]
fn a_core_that_cannot_get_a_file_descriptor_is_reported_and_nothing_hangs() {
    if util::ran_in_child("a_core_that_cannot_get_a_file_descriptor_is_reported_and_nothing_hangs") {
        return;
    }
    util::set_fd_limit(64);
    // Use every descriptor left below the limit.
    let mut held = Vec::new();
    while let Ok(file) = std::fs::File::open("/dev/null") {
        held.push(file);
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = Builder::new().cores(2).run(|_core| async { 1 });
        tx.send(result.map_err(|err| (err.core(), err.to_string(), std::io::Error::from(err).kind())))
            .unwrap();
    });
    let (core, message, kind) = rx.recv_timeout(PATIENCE).expect("run returned").unwrap_err();
    drop(held);
    assert_eq!(core, Some(0), "{message}");
    assert!(message.starts_with("core 0: could not set up its runtime"), "{message}");
    assert_eq!(kind, std::io::Error::from_raw_os_error(libc::EMFILE).kind(), "{message}");
}

#[test]
fn a_full_mailbox_yields_to_the_cores_other_tasks() {
    const JOBS: u64 = 10_000;
    let (queued_tx, queued_rx) = mpsc::channel::<()>();
    let queued_rx = Mutex::new(Some(queued_rx));
    let cores = Builder::new().cores(1).start(move |core| {
        let queued = queued_rx.lock().unwrap().take().unwrap();
        async move {
            // Hold the core until its mailbox is full (a test-only block, bounded).
            queued.recv_timeout(PATIENCE).expect("jobs queued");
            // A task queued behind the mailbox task: how many spawns had the mailbox
            // made when this one got its turn?
            let probe = wakeful::spawn(async { wakeful::stats().unwrap().tasks_spawned });
            let spawned_before_probe_ran = probe.await.unwrap();
            core.handle().shutdown();
            spawned_before_probe_ran
        }
    });
    let handle = cores.handle();
    for _ in 0..JOBS {
        drop(handle.spawn_on(0, || async {}));
    }
    queued_tx.send(()).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(cores.join()).unwrap());
    let spawned = rx.recv_timeout(PATIENCE).expect("the core ended").unwrap()[0];
    assert!(spawned < JOBS / 10, "the mailbox ran {spawned} jobs before another task's turn");
}

#[test]
fn a_stats_caller_whose_waker_panics_does_not_kill_the_cores_mailbox() {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(Some(release_rx));
    let cores = Builder::new().cores(1).start(move |core| {
        let release = release_rx.lock().unwrap().take().unwrap();
        async move {
            // Hold the core (a test-only block, bounded) until the stats job is queued.
            release.recv_timeout(PATIENCE).expect("stats asked");
            core.shutdown_requested().await;
            core.index()
        }
    });
    let handle = cores.handle();
    // A plain thread polls `stats()` once with a waker that panics when core 0's
    // mailbox answers: the answer wakes it from inside that core's mailbox task.
    let counting = CountingWaker::new();
    let bomb = util::panicking_wake_waker(counting.waker().clone());
    let mut stats = Box::pin(handle.stats());
    assert!(stats.as_mut().poll(&mut Context::from_waker(&bomb)).is_pending());
    // Queued behind the stats job: core 0 must still take jobs after the bomb.
    let after = handle.spawn_on(0, || async { wakeful::cores::current_index() });
    release_tx.send(()).unwrap();
    assert_eq!(after.join().expect("core 0's mailbox still runs jobs"), Some(0));
    assert_eq!(counting.wakes(), 1, "the stats answer came");
    drop(stats);
    handle.shutdown();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(cores.join().unwrap()).unwrap());
    assert_eq!(rx.recv_timeout(PATIENCE).expect("the core ended"), [0]);
}

#[test]
fn stats_and_spawn_on_racing_a_shutdown_always_answer() {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..50 {
            let (handle, join) = listening_cores();
            let asker = {
                let handle = handle.clone();
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let stats = wakeful::block_on(handle.stats());
                        assert_eq!(stats.len(), 2);
                        // Some(1) while core 1 runs, a cancelled error once it ended.
                        let on_1 = handle.spawn_on(1, || async { wakeful::cores::current_index() });
                        if let Ok(index) = on_1.join() {
                            assert_eq!(index, Some(1));
                        }
                    }
                })
            };
            handle.shutdown();
            assert_eq!(join(), [0, 1]);
            asker.join().unwrap();
        }
        tx.send(()).unwrap();
    });
    rx.recv_timeout(PATIENCE).expect("no stats() or spawn_on left waiting by a shutdown");
}
