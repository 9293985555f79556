//! The wakers that blocking work wakes from a pool thread: one that panics, one that
//! uses the pool again from `wake`. Polled by hand, outside any runtime.

mod util;

use std::future::Future;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use util::PATIENCE;
use wakeful::task::{blocking, spawn_blocking};

/// Polls `condition` until it holds, failing after `PATIENCE` (the pool signals
/// nothing when a job is counted out).
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "still waiting after {PATIENCE:?}: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The pool thread wakes the waiting future's waker: one that panics in `wake` is
/// contained there, the job is still counted out, and the thread lives on.
#[test]
fn a_waker_that_panics_on_the_pool_thread_costs_nothing() {
    let dir = util::TempDir::new("blocking-panicking-waker");
    std::fs::write(dir.path("f"), b"x").unwrap();
    let (woken_tx, woken) = mpsc::channel::<()>();
    struct Signal(Mutex<mpsc::Sender<()>>);
    impl std::task::Wake for Signal {
        fn wake(self: Arc<Self>) {
            let _ = self.0.lock().unwrap().send(());
        }
    }
    let signal = std::task::Waker::from(Arc::new(Signal(Mutex::new(woken_tx))));
    let waker = util::panicking_wake_waker(signal);
    let mut read = Box::pin(wakeful::fs::read(dir.path("f")));
    let mut cx = std::task::Context::from_waker(&waker);
    let content = match read.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(content) => content, // the pool was quicker than the poll
        std::task::Poll::Pending => {
            woken.recv_timeout(PATIENCE).expect("woken from the pool");
            wait_until("the job counted out", || blocking::in_flight() == 0);
            futures_lite::future::block_on(read)
        }
    };
    assert_eq!(content.unwrap(), b"x", "the result is still there");
    util::run(async { assert_eq!(spawn_blocking(|| 3).await.unwrap(), 3) });
}

/// A waker whose `wake` and `Drop` use the pool again (submit a job, read the
/// stats): they run on the pool thread with no lock held, so nothing deadlocks.
#[test]
fn a_waker_that_uses_the_pool_from_wake_and_drop() {
    struct Reenters(Mutex<Option<mpsc::Sender<blocking::PoolStats>>>);
    impl std::task::Wake for Reenters {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            let stats = blocking::stats();
            if let Some(tx) = self.0.lock().unwrap().take() {
                let _ = tx.send(stats);
            }
        }
    }
    let (tx, rx) = mpsc::channel();
    let waker = std::task::Waker::from(Arc::new(Reenters(Mutex::new(Some(tx)))));
    let dir = util::TempDir::new("blocking-reentrant-waker");
    let mut write = Box::pin(wakeful::fs::write(dir.path("f"), b"y"));
    if write.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending() {
        let stats = rx.recv_timeout(PATIENCE).expect("the waker ran on the pool thread");
        assert!(stats.threads >= 1, "{stats:?}");
        drop(waker);
        futures_lite::future::block_on(write).unwrap();
    }
    assert_eq!(std::fs::read(dir.path("f")).unwrap(), b"y");
}
