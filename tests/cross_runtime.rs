//! Sockets and timers carried from one runtime to another on the same thread, or out of
//! any runtime: they fail with a clear error or move, never hang. And wakers whose own
//! code calls back into the runtime, at every point the runtime clones, drops or
//! wakes them.

mod util;

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::{Duration, Instant};

use util::{poll_once, PATIENCE};
use wakeful::net::{TcpListener, TcpStream, UdpSocket};
use wakeful::time::{sleep, timeout};
use wakeful::Runtime;

/// Asserts `result` is the error of a socket used outside its runtime.
fn assert_foreign<T: std::fmt::Debug>(result: io::Result<T>) {
    let err = result.expect_err("a socket of a dropped runtime must fail, not succeed");
    assert!(err.to_string().contains("another runtime"), "unclear error: {err}");
}

#[test]
fn a_listener_from_a_dropped_runtime_fails_instead_of_hanging() {
    let first = Runtime::new().unwrap();
    let listener = first.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    // Polled once in its own runtime, so a waker is stored there too.
    first.block_on(async { assert!(poll_once(&mut pin!(listener.accept())).is_pending()) });
    drop(first);
    let second = Runtime::new().unwrap();
    let accepted = second.block_on(timeout(PATIENCE, listener.accept())).expect("no hang");
    assert_foreign(accepted);
    // A connection that does arrive is still there for a listener made in this runtime's
    // stead: nothing was lost by failing.
    let addr = listener.local_addr().unwrap();
    let _client = std::net::TcpStream::connect(addr).unwrap();
    let std_listener = listener.into_std().unwrap();
    let taken = second.block_on(async {
        let listener = TcpListener::from_std(std_listener)?;
        timeout(PATIENCE, listener.accept()).await.expect("accepted").map(|(_, peer)| peer)
    });
    assert!(taken.unwrap().ip().is_loopback());
}

#[test]
fn sockets_of_another_live_runtime_fail_instead_of_hanging() {
    let first = Runtime::new().unwrap();
    let second = Runtime::new().unwrap();
    let (udp, (stream, _peer)) = first.block_on(async {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        (udp, (client, listener.accept().await.unwrap()))
    });
    second.block_on(async {
        let mut buf = [0; 16];
        assert_foreign(timeout(PATIENCE, udp.recv_from(&mut buf)).await.expect("no hang"));
        let mut stream = stream;
        assert_foreign(timeout(PATIENCE, stream.read(&mut buf)).await.expect("no hang"));
        assert_foreign(timeout(PATIENCE, stream.readable()).await.expect("no hang"));
    });
    // Back in their own runtime they work.
    first.block_on(async {
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        peer.send_to(b"hi", udp.local_addr().unwrap()).await.unwrap();
        let mut buf = [0; 16];
        let (n, _) = timeout(PATIENCE, udp.recv_from(&mut buf)).await.expect("received").unwrap();
        assert_eq!(&buf[..n], b"hi");
    });
}

#[test]
fn a_socket_polled_outside_any_runtime_fails() {
    let rt = Runtime::new().unwrap();
    let udp = rt.block_on(UdpSocket::bind("127.0.0.1:0")).unwrap();
    let mut buf = [0; 16];
    let mut recv = pin!(udp.recv_from(&mut buf));
    match recv.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Err(err)) => assert!(err.to_string().contains("no wakeful runtime"), "{err}"),
        other => panic!("expected an error outside a runtime, got {other:?}"),
    }
}

#[test]
fn a_sleep_from_a_dropped_runtime_moves_to_the_current_one() {
    let first = Runtime::new().unwrap();
    let mut nap = Box::pin(sleep(Duration::from_millis(30)));
    let deadline = nap.deadline();
    first.block_on(async { assert!(poll_once(&mut nap).is_pending()) });
    drop(first);
    let second = Runtime::new().unwrap();
    second.block_on(async { timeout(PATIENCE, nap).await.expect("the sleep ends in its new runtime") });
    assert!(Instant::now() >= deadline, "and not early");
    assert_eq!(second.stats().timers_pending, 0);
}

#[test]
fn a_sleep_moves_between_two_live_runtimes_and_back() {
    let (first, second) = (Runtime::new().unwrap(), Runtime::new().unwrap());
    let mut nap = Box::pin(sleep(Duration::from_millis(20)));
    first.block_on(async { assert!(poll_once(&mut nap).is_pending()) });
    second.block_on(async { assert!(poll_once(&mut nap).is_pending()) });
    assert_eq!(first.stats().timers_pending, 0, "the timer left the first runtime");
    assert_eq!(second.stats().timers_pending, 1);
    first.block_on(async { timeout(PATIENCE, nap).await.expect("and ends in the first") });
    assert_eq!(second.stats().timers_pending, 0);
}

// ---- Wakers that call back into the runtime. ----

/// A waker that calls `wakeful::stats()` — which borrows the reactor's and the
/// executor's tables — whenever it is cloned, woken or dropped.
fn meddling_waker() -> Waker {
    fn meddle() {
        let _ = wakeful::stats();
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(
        |data| {
            meddle();
            RawWaker::new(data, &VTABLE)
        },
        |_| meddle(),
        |_| meddle(),
        |_| meddle(),
    );
    // SAFETY: the functions ignore the data pointer, so every `RawWaker` rule holds.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

#[test]
fn wakers_that_reenter_the_runtime_when_cloned_woken_or_dropped() {
    let rt = Runtime::new().unwrap();
    let meddler = meddling_waker();
    let mut cx = Context::from_waker(&meddler);
    let (nap, udp) = rt.block_on(async {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0; 8];
        // Stored, then replaced (dropped) and cancelled (dropped), for a socket...
        let mut recv = Box::pin(udp.recv_from(&mut buf));
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        assert!(poll_once(&mut recv).is_pending());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        drop(recv);
        // ... and for a timer, which also fires (a wake) and is left pending.
        let mut soon = Box::pin(sleep(Duration::from_millis(1)));
        assert!(soon.as_mut().poll(&mut cx).is_pending());
        assert!(poll_once(&mut soon).is_pending());
        assert!(soon.as_mut().poll(&mut cx).is_pending());
        sleep(Duration::from_millis(5)).await;
        drop(soon);
        let mut nap = Box::pin(sleep(Duration::from_secs(3600)));
        assert!(nap.as_mut().poll(&mut cx).is_pending());
        (nap, udp)
    });
    // The runtime is dropped with the meddler still stored in its timer wheel.
    drop(rt);
    drop((nap, udp));
}
