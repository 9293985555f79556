//! Futures that can complete at once spend the task's cooperative budget like any I/O
//! operation: otherwise a loop over them would never yield. A task looping on
//! `readable()` + `try_read` (the documented pattern for readiness-based I/O) over a
//! socket at end of stream, or on `sleep(Duration::ZERO)` (a common "yield" idiom),
//! would hold the thread: no other task, no timer, no I/O would run until it stopped.
//!
//! Each test runs such a loop for at most [`CAP`] iterations and has another task set
//! a stop flag after a 1 ms sleep. If the loop never yields, the other task cannot run
//! before the cap, and the test fails — without hanging.

mod util;

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use util::run;
use wakeful::net::{AsyncFd, UnixStream};
use wakeful::spawn;
use wakeful::time::{interval_at, sleep, Instant};

/// Iterations a hog may run; far more than a cooperative budget (128) times the
/// event interval (61), so a hog that yields now and then is always stopped first.
const CAP: u64 = 200_000;

/// Runs `hog(stop)` as a task next to one that sets `stop` after 1 ms; returns how
/// many iterations the hog ran.
fn iterations_before_stopped<F>(hog: impl FnOnce(Rc<Cell<bool>>) -> F) -> u64
where
    F: Future<Output = io::Result<u64>> + 'static,
{
    run(async move {
        let stop = Rc::new(Cell::new(false));
        let hog = spawn(hog(stop.clone()));
        let stopper = spawn(async move {
            sleep(Duration::from_millis(1)).await;
            stop.set(true);
        });
        let ran = hog.await.unwrap().unwrap();
        stopper.await.unwrap();
        ran
    })
}

fn assert_yields(what: &str, ran: u64) {
    assert!(ran < CAP, "{what}: {ran} iterations without letting a 1 ms timer in: the loop never yields");
}

#[test]
fn a_readable_then_try_read_loop_at_end_of_stream_yields() {
    let ran = iterations_before_stopped(|stop| async move {
        let (a, b) = UnixStream::pair()?;
        drop(a); // b is at end of stream: readable forever, try_read says Ok(0)
        let mut buf = [0; 16];
        let mut n = 0;
        while !stop.get() && n < CAP {
            b.readable().await?;
            assert_eq!(b.try_read(&mut buf)?, 0);
            n += 1;
        }
        Ok(n)
    });
    assert_yields("readable + try_read", ran);
}

#[test]
fn a_writable_then_try_write_loop_yields() {
    let ran = iterations_before_stopped(|stop| async move {
        let (a, _b) = UnixStream::pair()?;
        let mut n = 0;
        while !stop.get() && n < CAP {
            a.writable().await?;
            // An empty write: the socket stays writable, as one with a fast reader would.
            assert_eq!(a.try_write(&[])?, 0);
            n += 1;
        }
        Ok(n)
    });
    assert_yields("writable + try_write", ran);
}

#[test]
fn an_async_fd_readable_loop_yields() {
    let ran = iterations_before_stopped(|stop| async move {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        drop(a);
        b.set_nonblocking(true)?;
        let fd = AsyncFd::new(b)?;
        let mut n = 0;
        while !stop.get() && n < CAP {
            let _ready = fd.readable().await?;
            n += 1;
        }
        Ok(n)
    });
    assert_yields("AsyncFd::readable", ran);
}

#[test]
fn a_sleep_zero_loop_yields() {
    let ran = iterations_before_stopped(|stop| async move {
        let mut n = 0;
        while !stop.get() && n < CAP {
            sleep(Duration::ZERO).await;
            n += 1;
        }
        Ok(n)
    });
    assert_yields("sleep(ZERO)", ran);
}

#[test]
fn an_interval_catching_up_in_bursts_yields() {
    let ran = iterations_before_stopped(|stop| async move {
        // Ten seconds behind at 1 µs a tick: ten million ticks due at once (Burst).
        let mut ticks = interval_at(Instant::now() - Duration::from_secs(10), Duration::from_micros(1));
        let mut n = 0;
        while !stop.get() && n < CAP {
            ticks.tick().await;
            n += 1;
        }
        Ok(n)
    });
    assert_yields("interval burst", ran);
}
