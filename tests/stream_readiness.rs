//! `readable` / `writable` / `ready(Interest)` + `try_read` / `try_write` on TCP and
//! Unix streams: the wait-then-try idiom of `examples/echo_lean.rs`. Readiness is
//! cleared by `WouldBlock` (the next wait sleeps), a wakeup may be spurious (another
//! task drained the socket first), and every wait can be dropped while pending
//! without leaving its waker behind.

mod util;

use std::io::{self, ErrorKind};
use std::rc::Rc;

use util::cancel::{assert_drop_leaves_no_waker, fill_send_buffer, small_buffer_tcp_pair};
use util::{poll_once, run, run_ready_tasks, CountingWaker};
use wakeful::net::{Interest, TcpListener, TcpStream, UnixStream};
use wakeful::reactor::Readiness;

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Reads with `try_read` until `WouldBlock`; returns the bytes read.
fn drain(try_read: impl Fn(&mut [u8]) -> io::Result<usize>) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0; 1024];
    loop {
        match try_read(&mut buf) {
            Ok(0) => panic!("end of stream while draining"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return got,
            Err(e) => panic!("try_read: {e}"),
        }
    }
}

#[test]
fn tcp_would_block_clears_readiness_and_the_next_readable_sleeps_until_data() {
    run(async {
        let (client, server) = tcp_pair().await;
        // Nothing yet: try_read says WouldBlock without waiting.
        assert_eq!(server.try_read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
        let waker = CountingWaker::new();
        let mut readable = Box::pin(server.readable());
        assert!(waker.poll(readable.as_mut()).is_pending(), "no data: readable waits");

        assert_eq!(client.try_write(b"first")?, 5);
        waker.woken().await;
        assert!(waker.poll(readable.as_mut()).is_ready(), "data: readable completes");
        assert_eq!(drain(|b| server.try_read(b)), b"first");
        // The WouldBlock that ended the drain cleared the readiness: the wait sleeps.
        let mut again = Box::pin(server.readable());
        assert!(poll_once(&mut again).is_pending(), "readiness survived a WouldBlock");
        drop(again);
        client.try_write(b"second")?;
        server.readable().await?;
        assert_eq!(drain(|b| server.try_read(b)), b"second");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn unix_ready_reports_what_it_saw_and_waits_for_the_asked_direction_only() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
        assert!(ready.contains(Readiness::WRITABLE), "a fresh socket has room: {ready:?}");
        // Readable only: nothing to read, so it waits, though the socket is writable.
        let mut read_only = Box::pin(a.ready(Interest::READABLE));
        assert!(poll_once(&mut read_only).is_pending(), "READABLE completed without data");
        b.try_write(b"x")?;
        let ready = read_only.await?;
        assert!(ready.contains(Readiness::READABLE), "{ready:?}");
        assert_eq!(a.try_read(&mut [0; 4])?, 1);
        // End of stream is readiness too: try_read then says Ok(0).
        drop(b);
        let ready = a.ready(Interest::READABLE).await?;
        assert!(ready.intersects(Readiness::READABLE | Readiness::READ_CLOSED), "{ready:?}");
        assert_eq!(a.try_read(&mut [0; 4])?, 0);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn tcp_writable_sleeps_once_try_write_fills_the_buffer_and_wakes_when_the_peer_reads() {
    run(async {
        let (client, mut server) = small_buffer_tcp_pair().await;
        client.writable().await?;
        let chunk = [7u8; 4096];
        let mut sent = 0;
        loop {
            match client.try_write(&chunk) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        let waker = CountingWaker::new();
        let mut writable = Box::pin(client.ready(Interest::WRITABLE));
        assert!(waker.poll(writable.as_mut()).is_pending(), "full buffer: not writable");
        // The peer reads everything: room again, and the wait ends.
        let mut got = vec![0; sent];
        server.read_exact(&mut got).await?;
        assert!(got.iter().all(|&b| b == 7));
        waker.woken().await;
        let ready = waker.poll(writable.as_mut());
        assert!(
            matches!(ready, std::task::Poll::Ready(Ok(r)) if r.contains(Readiness::WRITABLE)),
            "{ready:?}"
        );
        assert!(client.try_write(b"more")? > 0);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_spurious_wakeup_finds_would_block_and_the_task_waits_again() {
    run(async {
        let (client, server) = tcp_pair().await;
        let server = Rc::new(server);
        // Two tasks wait on the same stream; both are woken by one write.
        let waiting = |server: Rc<TcpStream>| {
            wakeful::spawn(async move {
                server.readable().await?;
                // Exactly the message's size: a full read cannot tell that it drained
                // the socket (a short one can, and would clear the readiness before
                // the other task looks), so the other task's wakeup is spurious.
                let first = server.try_read(&mut [0; 25]);
                io::Result::Ok(first.map_err(|e| e.kind()))
            })
        };
        let (one, two) = (waiting(server.clone()), waiting(server.clone()));
        run_ready_tasks().await;
        client.try_write(b"only one reader gets this")?;
        let (one, two) = (one.await.unwrap()?, two.await.unwrap()?);
        // Exactly one read the bytes; the other's wakeup was spurious.
        let results = [one, two];
        assert_eq!(results.iter().filter(|r| **r == Ok(25)).count(), 1, "{results:?}");
        assert_eq!(results.iter().filter(|r| **r == Err(ErrorKind::WouldBlock)).count(), 1, "{results:?}");
        // The WouldBlock cleared the readiness: a new wait sleeps.
        let mut again = Box::pin(server.readable());
        assert!(poll_once(&mut again).is_pending());
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn every_readiness_wait_dropped_while_pending_leaves_no_waker() {
    run(async {
        let (client, server) = small_buffer_tcp_pair().await;
        let (ua, _ub) = UnixStream::pair()?;
        assert_drop_leaves_no_waker("tcp readable", server.readable());
        assert_drop_leaves_no_waker("tcp ready(READABLE)", server.ready(Interest::READABLE));
        assert_drop_leaves_no_waker("unix readable", ua.readable());
        assert_drop_leaves_no_waker("unix ready(READABLE)", ua.ready(Interest::READABLE));
        fill_send_buffer(std::os::fd::AsRawFd::as_raw_fd(&client));
        // Make the cached readiness see the full buffer (a try_write's WouldBlock).
        assert_eq!(client.try_write(b"x").unwrap_err().kind(), ErrorKind::WouldBlock);
        assert_drop_leaves_no_waker("tcp writable", client.writable());
        assert_drop_leaves_no_waker("tcp ready(WRITABLE)", client.ready(Interest::WRITABLE));
        // Both directions pending: a waker in each place, both taken back.
        assert_drop_leaves_no_waker("tcp ready(both)", client.ready(Interest::READABLE | Interest::WRITABLE));
        // After all those drops the stream still works.
        server.readable().await?;
        assert!(!drain(|b| server.try_read(b)).is_empty());
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn readiness_waits_outside_the_runtime_that_made_the_stream_fail_clearly() {
    let (a, _b) = wakeful::block_on(async { UnixStream::pair() }).unwrap();
    // The runtime is gone: the wait must fail, not hang.
    let err = wakeful::block_on(a.ready(Interest::READABLE)).expect_err("no runtime turns this reactor");
    assert!(!err.to_string().is_empty());
    let err = wakeful::block_on(a.readable()).expect_err("no runtime turns this reactor");
    assert!(!err.to_string().is_empty());
}

/// `ready` with both directions when one of them is closed: the peer's half-close is
/// read-side readiness, seen by a wait for both; after a reset, a wait for either
/// direction ends (with the error left for the operation to report).
#[test]
fn ready_for_both_ends_on_a_half_close_and_on_a_reset() {
    run(async {
        let (client, server) = tcp_pair().await;
        let both = Interest::READABLE | Interest::WRITABLE;
        // Make the writable side sleep first, so only the half-close can end the wait.
        fill_send_buffer(std::os::fd::AsRawFd::as_raw_fd(&server));
        assert_eq!(server.try_write(b"x").unwrap_err().kind(), ErrorKind::WouldBlock);
        let waker = CountingWaker::new();
        let mut wait = Box::pin(server.ready(both));
        assert!(waker.poll(wait.as_mut()).is_pending(), "nothing to read, no room to write");
        client.shutdown(std::net::Shutdown::Write)?;
        waker.woken().await;
        let ready = match waker.poll(wait.as_mut()) {
            std::task::Poll::Ready(r) => r?,
            std::task::Poll::Pending => panic!("woken but still pending"),
        };
        assert!(ready.intersects(Readiness::READ_CLOSED | Readiness::READABLE), "{ready:?}");
        assert_eq!(server.try_read(&mut [0; 8])?, 0, "end of stream");
        // A reset: the client closes with unread data (linger 0 by dropping with
        // data unread), and the server's wait for writing ends too.
        drop(wait);
        let mut write_wait = Box::pin(server.ready(Interest::WRITABLE));
        assert!(poll_once(&mut write_wait).is_pending(), "the send buffer is still full");
        drop(client); // unread data in the client's receive buffer: RST
        let ready = write_wait.await?;
        assert!(!ready.is_empty(), "{ready:?}");
        let err = loop {
            match server.try_write(b"after reset") {
                Ok(_) => continue,
                Err(e) => break e,
            }
        };
        assert_ne!(err.kind(), ErrorKind::WouldBlock, "a reset socket cannot block: {err}");
        io::Result::Ok(())
    })
    .unwrap();
}

/// Several waits on one stream at once — readers, writers and `ready` for both —
/// some dropped from the middle of the table: each that remains is woken by its
/// direction's event, and none of the dropped keeps a waker.
#[test]
fn many_waits_on_one_stream_with_some_dropped_from_the_middle() {
    run(async {
        let (client, server) = small_buffer_tcp_pair().await;
        let filled = fill_send_buffer(std::os::fd::AsRawFd::as_raw_fd(&server));
        assert_eq!(server.try_write(b"x").unwrap_err().kind(), ErrorKind::WouldBlock);
        let both = Interest::READABLE | Interest::WRITABLE;
        let wakers: Vec<CountingWaker> = (0..9).map(|_| CountingWaker::new()).collect();
        let mut reads: Vec<_> = (0..3).map(|_| Box::pin(server.readable())).collect();
        let mut writes: Vec<_> = (0..3).map(|_| Box::pin(server.writable())).collect();
        let mut readies: Vec<_> = (0..3).map(|_| Box::pin(server.ready(both))).collect();
        for i in 0..3 {
            assert!(wakers[i].poll(reads[i].as_mut()).is_pending());
            assert!(wakers[3 + i].poll(writes[i].as_mut()).is_pending());
            assert!(wakers[6 + i].poll(readies[i].as_mut()).is_pending());
        }
        // Drop the middle one of each kind.
        drop(reads.remove(1));
        drop(writes.remove(1));
        drop(readies.remove(1));
        for i in [1, 4, 7] {
            assert_eq!(wakers[i].held(), 0, "dropped wait {i} kept its waker");
        }
        client.try_write(b"data")?;
        for i in [0, 2, 6, 8] {
            wakers[i].woken().await;
        }
        assert!(reads.iter_mut().zip([0, 2]).all(|(f, i)| wakers[i].poll(f.as_mut()).is_ready()));
        assert!(readies.iter_mut().zip([6, 8]).all(|(f, i)| wakers[i].poll(f.as_mut()).is_ready()));
        for i in [3, 5] {
            assert_eq!(wakers[i].wakes(), 0, "writer {i} woken by a read event");
        }
        // Now the writers: the client reads everything.
        let mut sink = vec![0; 1 << 20];
        let mut total = 0;
        while total < filled {
            client.readable().await?;
            match client.try_read(&mut sink) {
                Ok(n) => total += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        for i in [3, 5] {
            wakers[i].woken().await;
        }
        assert!(writes.iter_mut().zip([3, 5]).all(|(f, i)| wakers[i].poll(f.as_mut()).is_ready()));
        io::Result::Ok(())
    })
    .unwrap();
}

/// A short `try_read` on TCP drained the socket (as a short `read().await` does): the
/// readiness is cleared then, so the next `readable()` sleeps at once instead of
/// returning for a `try_read` whose only outcome is `WouldBlock` — the extra `recv`
/// per request that `examples/echo_lean.rs` paid on every round trip. A short
/// `try_write` filled the send buffer: the next `writable()` sleeps too. Data that
/// arrives later still wakes the reader.
#[test]
fn a_short_try_read_or_try_write_on_tcp_clears_the_readiness_it_used() {
    run(async {
        let (client, server) = small_buffer_tcp_pair().await;
        client.try_write(b"hello")?;
        server.readable().await?;
        assert_eq!(server.try_read(&mut [0; 64])?, 5);
        let mut next = Box::pin(server.readable());
        assert!(poll_once(&mut next).is_pending(), "a short read drained the socket: nothing to wait for");
        client.try_write(b"again")?;
        next.await?;
        assert_eq!(server.try_read(&mut [0; 64])?, 5);

        // A short try_write: the send buffer is full, the next writable() waits.
        let big = vec![1u8; 8 << 20];
        let written = server.try_write(&big)?;
        assert!(written < big.len(), "8 MiB fit in the send buffer at once?");
        let mut writable = Box::pin(server.writable());
        assert!(poll_once(&mut writable).is_pending(), "a short write filled the buffer");
        io::Result::Ok(())
    })
    .unwrap();
}

/// A loop on `ready` for a direction that stays ready (a writable socket) never
/// sleeps; it must still let the other tasks run (it spends the task's budget).
#[test]
fn a_loop_on_an_always_ready_stream_lets_other_tasks_run() {
    run(async {
        let (a, _b) = UnixStream::pair()?;
        let flag = Rc::new(std::cell::Cell::new(false));
        let setter = {
            let flag = flag.clone();
            wakeful::spawn(async move { flag.set(true) })
        };
        let mut spins = 0u32;
        while !flag.get() {
            let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
            assert!(ready.contains(Readiness::WRITABLE));
            spins += 1;
            assert!(spins < 100_000, "the other task never ran: ready() never yields");
        }
        setter.await.unwrap();
        io::Result::Ok(())
    })
    .unwrap();
}
