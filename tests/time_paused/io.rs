//! Ready I/O, and wakes from other threads, come before a jump of the paused clock.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use wakeful::time::{self, Instant};

use super::{paused, tokio_paused, util, HOUR};
use util::with_watchdog;

#[test]
fn ready_io_wins_over_auto_advance() {
    with_watchdog(|| {
        paused().block_on(async {
            let (mut a, mut b) = wakeful::net::UnixStream::pair().unwrap();
            let start = Instant::now();
            let order = Rc::new(RefCell::new(Vec::new()));
            let sleeper = wakeful::spawn({
                let order = order.clone();
                async move {
                    time::sleep(HOUR).await;
                    order.borrow_mut().push(("timer", start.elapsed()));
                }
            });
            let reader = wakeful::spawn({
                let order = order.clone();
                async move {
                    let mut buf = [0; 4];
                    a.read_exact(&mut buf).await.unwrap();
                    order.borrow_mut().push(("socket", start.elapsed()));
                }
            });
            util::run_ready_tasks().await; // both wait: a socket and a 1 h timer
            b.write_all(b"ping").await.unwrap();
            reader.await.unwrap();
            assert_eq!(*order.borrow(), [("socket", Duration::ZERO)], "the socket's task ran first");
            assert_eq!(start.elapsed(), Duration::ZERO, "and the clock did not jump");
            sleeper.await.unwrap();
            assert_eq!(order.borrow()[1], ("timer", HOUR));
        });
    });
}

/// The same scenario on tokio: the same observations.
#[test]
fn ready_io_wins_over_auto_advance_on_tokio_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    with_watchdog(|| {
        let order = tokio_paused().block_on(async {
            let (mut a, mut b) = tokio::net::UnixStream::pair().unwrap();
            let start = tokio::time::Instant::now();
            let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let sleeper = tokio::spawn({
                let order = order.clone();
                async move {
                    tokio::time::sleep(HOUR).await;
                    order.lock().unwrap().push(("timer", start.elapsed()));
                }
            });
            let reader = tokio::spawn({
                let order = order.clone();
                async move {
                    let mut buf = [0; 4];
                    a.read_exact(&mut buf).await.unwrap();
                    order.lock().unwrap().push(("socket", start.elapsed()));
                }
            });
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            b.write_all(b"ping").await.unwrap();
            reader.await.unwrap();
            assert_eq!(start.elapsed(), Duration::ZERO, "tokio: the clock did not jump");
            sleeper.await.unwrap();
            let order = order.lock().unwrap().clone();
            order
        });
        assert_eq!(order, [("socket", Duration::ZERO), ("timer", HOUR)]);
    });
}

/// A future completed by another thread.
#[derive(Clone, Default)]
struct Remote(std::sync::Arc<std::sync::Mutex<(bool, Option<std::task::Waker>)>>);

impl Remote {
    fn complete(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            let mut state = self.0.lock().unwrap();
            if state.0 {
                return std::task::Poll::Ready(());
            }
            state.1 = Some(cx.waker().clone());
            std::task::Poll::Pending
        })
    }
}

#[test]
fn a_wake_from_another_thread_ends_a_paused_idle_wait() {
    with_watchdog(|| {
        paused().block_on(async {
            let start = Instant::now();
            let remote = Remote::default();
            let thread = std::thread::spawn({
                let remote = remote.clone();
                move || remote.complete()
            });
            remote.wait().await; // no timer pending: the runtime waits for the thread
            assert_eq!(start.elapsed(), Duration::ZERO);
            thread.join().unwrap();
        });
    });
}

#[test]
fn an_inhibitor_holds_auto_advance_until_work_on_another_thread_is_done() {
    with_watchdog(|| {
        let rt = paused();
        rt.block_on(async {
            let start = Instant::now();
            let sleeper = wakeful::spawn(time::sleep(HOUR));
            let remote = Remote::default();
            let inhibitor = wakeful_net::context::inhibit_auto_advance().unwrap();
            let thread = std::thread::spawn({
                let remote = remote.clone();
                move || {
                    // Widens the window in which a wrong auto-advance would jump.
                    std::thread::sleep(Duration::from_millis(30));
                    remote.complete();
                    drop(inhibitor);
                }
            });
            remote.wait().await;
            assert_eq!(start.elapsed(), Duration::ZERO, "no jump while the work ran");
            sleeper.await.unwrap();
            assert_eq!(start.elapsed(), HOUR, "auto-advance after the last inhibitor");
            thread.join().unwrap();
        });
        assert!(wakeful_net::context::inhibit_auto_advance().is_err(), "outside a runtime: an error");
    });
}

#[test]
fn dropping_the_last_inhibitor_elsewhere_wakes_a_runtime_blocked_by_it() {
    with_watchdog(|| {
        paused().block_on(async {
            let start = Instant::now();
            let inhibitor = wakeful_net::context::inhibit_auto_advance().unwrap();
            let thread = std::thread::spawn(move || drop(inhibitor));
            time::sleep(HOUR).await; // may block inhibited: the drop must unpark it
            assert_eq!(start.elapsed(), HOUR);
            thread.join().unwrap();
        });
    });
}
