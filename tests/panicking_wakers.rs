//! Waker bookkeeping under wakers that panic when cloned or woken.

mod util;

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::Context;

use util::{panicking_clone_waker, panicking_wake_waker, run, CountingWaker};
use wakeful::net::{UdpSocket, UnixStream};

/// `poll` with the first waker, then with one whose clone panics (caught), then with
/// a third: afterwards only the third may be held — the `poll_*` callers' one place
/// per direction must survive the panic, not leave the first waker orphaned in a place
/// nobody holds a key to any more.
fn assert_one_waker_after_a_panicking_clone(
    what: &str,
    mut poll_pending: impl FnMut(&mut Context<'_>) -> bool,
) {
    let (first, third) = (CountingWaker::new(), CountingWaker::new());
    assert!(poll_pending(&mut Context::from_waker(first.waker())), "{what}: must wait for the test");
    assert_eq!(first.held(), 1);
    let bad = panicking_clone_waker();
    let polled = panic::catch_unwind(AssertUnwindSafe(|| poll_pending(&mut Context::from_waker(&bad))));
    assert!(polled.is_err(), "{what}: the clone's panic reaches the caller");
    assert!(poll_pending(&mut Context::from_waker(third.waker())));
    assert_eq!(third.held(), 1, "{what}: the last poller's waker is kept");
    assert_eq!(
        first.held(),
        0,
        "{what}: the first poller's waker is still held after a panicking clone: its place was lost"
    );
}

#[cfg(feature = "futures-io")]
#[test]
fn a_panicking_waker_clone_does_not_orphan_the_shared_read_place() {
    use wakeful::io::AsyncRead;
    run(async {
        let (_a, mut b) = UnixStream::pair()?;
        let mut buf = [0; 8];
        assert_one_waker_after_a_panicking_clone("UnixStream::poll_read", |cx| {
            Pin::new(&mut b).poll_read(cx, &mut buf).is_pending()
        });
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_panicking_waker_clone_does_not_orphan_the_shared_recv_place() {
    run(async {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let mut buf = [0; 8];
        assert_one_waker_after_a_panicking_clone("UdpSocket::poll_recv_from", |cx| {
            socket.poll_recv_from(cx, &mut buf).is_pending()
        });
        io::Result::Ok(())
    })
    .unwrap();
}

/// A user's waker (a hand-written combinator's, say) stored in the reactor panics when
/// an event wakes it. The reactor contains it, as the executor contains panics of the
/// join wakers it wakes: one connection's bad waker must not end the server's
/// `block_on` (it once did, resumed out of the reactor's turn).
#[cfg(feature = "futures-io")]
#[test]
fn a_waker_panicking_when_the_reactor_wakes_it_does_not_end_block_on() {
    use wakeful::io::AsyncRead;
    let outcome = panic::catch_unwind(|| {
        run(async {
            let (mut a, mut b) = UnixStream::pair()?;
            let mut buf = [0; 8];
            let bomb = std::future::poll_fn(|cx| {
                let waker = panicking_wake_waker(cx.waker().clone());
                std::task::Poll::Ready(
                    Pin::new(&mut b).poll_read(&mut Context::from_waker(&waker), &mut buf).is_pending(),
                )
            })
            .await;
            assert!(bomb, "the read must wait for the test");
            a.write_all(b"x").await?;
            wakeful::time::sleep(std::time::Duration::from_millis(20)).await;
            io::Result::Ok(())
        })
    });
    assert!(outcome.is_ok(), "block_on panicked: a waker's panic in a reactor turn escaped the runtime");
}
