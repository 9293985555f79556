//! Signals over the public API. Each test uses its own signal, as the handlers are
//! process-wide and the tests run in parallel.

mod util;

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use util::run;
use wakeful::signal::unix::{signal, SignalKind};
use wakeful::time::timeout;

/// Sends `signal` to the calling thread: its handler has run when this returns (a
/// signal sent to the process may be handled later, on any thread).
fn raise(signal: i32) {
    // SAFETY: every caller listens for `signal` first, so its handler is installed.
    assert_eq!(unsafe { libc::raise(signal) }, 0);
}

#[test]
fn a_delivery_wakes_the_listener() {
    run(async {
        let mut usr1 = signal(SignalKind::user_defined1())?;
        assert_eq!(usr1.kind().as_raw(), libc::SIGUSR1);
        raise(libc::SIGUSR1);
        assert_eq!(usr1.recv().await, Some(()));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn every_listener_sees_a_delivery_even_on_other_runtimes() {
    let other_thread = std::thread::spawn(|| {
        run(async {
            let mut listener = signal(SignalKind::user_defined2())?;
            LISTENING.wait();
            listener.recv().await;
            io::Result::Ok(())
        })
    });
    run(async {
        let mut first = signal(SignalKind::user_defined2())?;
        let mut second = signal(SignalKind::user_defined2())?;
        LISTENING.wait();
        raise(libc::SIGUSR2);
        first.recv().await;
        // The stream interface, for the second listener.
        poll_fn(|cx| Pin::new(&mut second).poll_next(cx)).await;
        io::Result::Ok(())
    })
    .unwrap();
    other_thread.join().unwrap().unwrap();
}

static LISTENING: std::sync::Barrier = std::sync::Barrier::new(2);

#[test]
fn deliveries_while_not_polling_coalesce() {
    run(async {
        let mut winch = signal(SignalKind::window_change())?;
        for _ in 0..3 {
            raise(libc::SIGWINCH);
        }
        winch.recv().await;
        let again = timeout(Duration::from_millis(30), winch.recv()).await;
        assert!(again.is_err(), "three deliveries before polling wake the listener once");
        raise(libc::SIGWINCH);
        winch.recv().await;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn uncatchable_signals_are_refused() {
    run(async {
        for raw in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, 0, 1000] {
            let err = signal(SignalKind::from_raw(raw)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "signal {raw}: {err}");
        }
    });
}

#[test]
fn listening_outside_a_runtime_fails_clearly() {
    let err = signal(SignalKind::alarm()).unwrap_err();
    assert!(err.to_string().contains("no wakeful runtime"), "{err}");
}

/// Ctrl-C is caught (the process is not killed) once `ctrl_c` listens: in a child
/// process, so that the test harness keeps its own SIGINT behaviour.
#[test]
fn ctrl_c_is_caught() {
    const NAME: &str = "ctrl_c_is_caught";
    if util::ran_in_child(NAME) {
        return;
    }
    run(async {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let waiting = wakeful::spawn(wakeful::signal::ctrl_c());
        wakeful::yield_now().await; // let ctrl_c start listening
        raise(libc::SIGINT);
        interrupt.recv().await;
        waiting.await.unwrap()
    })
    .unwrap();
}

/// The self-pipe is shared: a listener on an idle runtime drains the byte before a
/// busy runtime collects its event (which epoll then drops, the pipe being empty).
/// The busy runtime's listener must still be woken.
#[test]
fn a_busy_runtime_hears_a_signal_another_runtime_drained() {
    let (waiting_tx, waiting_rx) = std::sync::mpsc::channel();
    let busy = std::thread::spawn(move || {
        run(async move {
            let mut listener = signal(SignalKind::from_raw(libc::SIGVTALRM))?;
            let waiter = wakeful::spawn(async move { listener.recv().await });
            wakeful::yield_now().await; // the listener is now waiting, its event registered
            waiting_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300)); // busy: not in epoll_wait
            let started = std::time::Instant::now();
            timeout(Duration::from_secs(5), waiter)
                .await
                .expect("the busy runtime's listener was never woken")
                .unwrap();
            assert!(started.elapsed() < Duration::from_secs(2));
            io::Result::Ok(())
        })
    });
    run(async {
        let mut idle = signal(SignalKind::from_raw(libc::SIGVTALRM))?;
        waiting_rx.recv().unwrap();
        raise(libc::SIGVTALRM);
        idle.recv().await; // drains the pipe, long before the busy runtime looks
        io::Result::Ok(())
    })
    .unwrap();
    busy.join().unwrap().unwrap();
}

/// A listener made in one runtime and awaited in another on the same thread (each
/// `wakeful::block_on` is a new runtime) waits there for the next delivery: it neither
/// ends at once nor reports a delivery that never came.
#[test]
fn a_listener_carried_to_another_runtime_waits_there() {
    let first = wakeful::Runtime::new().unwrap();
    let mut prof = first.block_on(async { signal(SignalKind::from_raw(libc::SIGPROF)) }).unwrap();
    let second = wakeful::Runtime::new().unwrap();
    second.block_on(async {
        let early = timeout(Duration::from_millis(30), prof.recv()).await;
        assert!(early.is_err(), "no SIGPROF was sent, yet recv returned {early:?}");
        raise(libc::SIGPROF);
        assert_eq!(timeout(util::PATIENCE, prof.recv()).await, Ok(Some(())));
    });
    drop(first);
    // Its first runtime gone, it still hears a delivery raised while it waits.
    second.block_on(async {
        let waiting = wakeful::spawn(async move { prof.recv().await });
        wakeful::yield_now().await;
        raise(libc::SIGPROF);
        assert_eq!(timeout(util::PATIENCE, waiting).await.expect("woken").unwrap(), Some(()));
    });
}

/// Polled outside any runtime, a listener cannot wait: its stream ends at once
/// instead of hanging.
#[test]
fn a_listener_polled_outside_any_runtime_ends_instead_of_hanging() {
    let rt = wakeful::Runtime::new().unwrap();
    let mut urg = rt.block_on(async { signal(SignalKind::from_raw(libc::SIGURG)) }).unwrap();
    let polled = urg.poll_recv(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    assert_eq!(polled, std::task::Poll::Ready(None));
}

/// `ctrl_c` first polled in one runtime and finished in another must not report a
/// Ctrl-C that never came: a program would shut down at once.
#[test]
fn ctrl_c_carried_to_another_runtime_reports_no_false_interrupt() {
    const NAME: &str = "ctrl_c_carried_to_another_runtime_reports_no_false_interrupt";
    if util::ran_in_child(NAME) {
        return;
    }
    let mut ctrl_c = Box::pin(wakeful::signal::ctrl_c());
    let first = wakeful::Runtime::new().unwrap();
    first.block_on(async {
        let polled = timeout(Duration::from_millis(10), ctrl_c.as_mut()).await;
        assert!(polled.is_err(), "no SIGINT was sent, yet ctrl_c returned {polled:?}");
    });
    let second = wakeful::Runtime::new().unwrap();
    second.block_on(async {
        let early = timeout(Duration::from_millis(30), ctrl_c.as_mut()).await;
        assert!(early.is_err(), "no SIGINT was sent, yet ctrl_c returned {early:?}");
        raise(libc::SIGINT);
        timeout(util::PATIENCE, ctrl_c.as_mut()).await.expect("ctrl_c heard the SIGINT").unwrap();
    });
}
