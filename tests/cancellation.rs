//! Futures dropped while they wait: every async method that can wait keeps its task's
//! waker in a place of its own (a source's waiters, a timer) and must give it back
//! when dropped, losing no data; the `poll_*` methods and the I/O trait impls share
//! one place per direction, so they hold at most one waker each.
//!
//! Each test polls with its own [`CountingWaker`] from inside a runtime (the sockets
//! need its reactor) and counts the clones of it that anything else still holds.

mod util;

use std::future::{pending, poll_fn, Future};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::time::{Duration, Instant};

use util::{pattern, run, run_ready_tasks, CountingWaker, Drops, TempDir, PATIENCE};
use wakeful::net::{
    AsyncFd, TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};
use wakeful::reactor::Direction;
use wakeful::time::{interval, sleep, sleep_until, timeout};
use wakeful::{spawn, yield_now};

/// Long enough to never fire during a test.
const HOUR: Duration = Duration::from_secs(3600);

/// Polls `future` once with a counting waker: it must wait, keeping the waker (or
/// nothing could wake it); dropped, it must leave no clone of the waker behind.
fn assert_drop_leaves_no_waker<F: Future>(what: &str, future: F) {
    let waker = CountingWaker::new();
    let mut future = Box::pin(future);
    assert!(waker.poll(future.as_mut()).is_pending(), "{what}: completed at once; the test needs it to wait");
    assert!(waker.held() >= 1, "{what}: waits without keeping its waker: nothing could wake it");
    drop(future);
    assert_eq!(waker.held(), 0, "{what}: dropped while waiting, it left clones of its waker behind");
}

/// Fills the send buffer of the non-blocking socket `fd` (queue of a datagram socket)
/// until the kernel says `EAGAIN`; returns the bytes queued.
fn fill_send_buffer(fd: RawFd) -> usize {
    let chunk = [0x5a_u8; 4096];
    let mut total = 0;
    loop {
        // SAFETY: `chunk` is valid for reads of its length, and `fd` is an open socket.
        let sent = unsafe {
            libc::send(fd, chunk.as_ptr().cast(), chunk.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
        };
        if sent < 0 {
            let err = io::Error::last_os_error();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "filling the send buffer: {err}");
            return total;
        }
        total += sent as usize;
        assert!(total < 64 << 20, "the send buffer of fd {fd} never filled");
    }
}

/// A connected pair with 4 KiB buffers (client's send, server's receive), so that a
/// few writes fill them: (client, server).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap(); // inherited by accepted sockets
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(16).unwrap();
    let client = TcpSocket::new_v4().unwrap();
    client.set_send_buffer_size(4096).unwrap();
    let client = client.connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// A listener whose accept queue is full (backlog 0, one connection queued), so that
/// a further connect stays pending: the kernel drops its SYN.
async fn full_backlog_listener() -> (TcpListener, std::net::TcpStream) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let queued = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (listener, queued)
}

// ---- Every async method, dropped at its first Pending. ----

#[test]
fn tcp_futures_dropped_while_waiting_leave_no_waker() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert_drop_leaves_no_waker("TcpListener::accept", listener.accept());

        let (mut client, mut server) = tcp_pair().await;
        let mut buf = [0; 64];
        assert_drop_leaves_no_waker("TcpStream::read", server.read(&mut buf));
        let mut bufs = [io::IoSliceMut::new(&mut buf)];
        assert_drop_leaves_no_waker("TcpStream::read_vectored", server.read_vectored(&mut bufs));
        assert_drop_leaves_no_waker("TcpStream::read_exact", server.read_exact(&mut buf));
        let mut all = Vec::new();
        assert_drop_leaves_no_waker("TcpStream::read_to_end", server.read_to_end(&mut all));
        assert_drop_leaves_no_waker("TcpStream::peek", server.peek(&mut buf));
        assert_drop_leaves_no_waker("TcpStream::readable", server.readable());

        assert!(fill_send_buffer(client.as_raw_fd()) > 0);
        let data = [1; 1024];
        assert_drop_leaves_no_waker("TcpStream::write", client.write(&data));
        let bufs = [io::IoSlice::new(&data)];
        assert_drop_leaves_no_waker("TcpStream::write_vectored", client.write_vectored(&bufs));
        assert_drop_leaves_no_waker("TcpStream::write_all", client.write_all(&data));
        assert_drop_leaves_no_waker("TcpStream::writable", client.writable());

        // The halves wait the same way.
        let (mut read, mut write) = client.into_split();
        assert_drop_leaves_no_waker("OwnedReadHalf::read", read.read(&mut buf));
        assert_drop_leaves_no_waker("OwnedWriteHalf::write_all", write.write_all(&data));
        let (mut read, write) = server.split();
        assert_drop_leaves_no_waker("ReadHalf::read", read.read(&mut buf));
        assert_drop_leaves_no_waker("WriteHalf::writable", write.writable());

        let (full, _queued) = full_backlog_listener().await;
        let addr = full.local_addr().unwrap();
        assert_drop_leaves_no_waker("TcpStream::connect", TcpStream::connect(addr));
        let socket = TcpSocket::new_v4().unwrap();
        assert_drop_leaves_no_waker("TcpSocket::connect", socket.connect(addr));
    });
}

#[test]
fn udp_futures_dropped_while_waiting_leave_no_waker() {
    run(async {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(peer.local_addr().unwrap()).await.unwrap();
        let mut buf = [0; 64];
        assert_drop_leaves_no_waker("UdpSocket::recv_from", socket.recv_from(&mut buf));
        assert_drop_leaves_no_waker("UdpSocket::recv", socket.recv(&mut buf));
        assert_drop_leaves_no_waker("UdpSocket::peek_from", socket.peek_from(&mut buf));
        assert_drop_leaves_no_waker("UdpSocket::readable", socket.readable());
        // send, send_to and writable cannot be made to wait: over loopback a UDP
        // sender's buffer is released as soon as the datagram is delivered (or dropped
        // by a full receiver), so it never fills.
    });
}

#[test]
fn unix_futures_dropped_while_waiting_leave_no_waker() {
    let dir = TempDir::new("futures");
    run(async {
        let listener = UnixListener::bind(dir.path("listener.sock")).unwrap();
        assert_drop_leaves_no_waker("UnixListener::accept", listener.accept());

        let (mut a, mut b) = UnixStream::pair().unwrap();
        let mut buf = [0; 64];
        assert_drop_leaves_no_waker("UnixStream::read", a.read(&mut buf));
        assert_drop_leaves_no_waker("UnixStream::read_exact", a.read_exact(&mut buf));
        assert_drop_leaves_no_waker("UnixStream::peek", a.peek(&mut buf));
        assert_drop_leaves_no_waker("UnixStream::readable", a.readable());
        assert!(fill_send_buffer(b.as_raw_fd()) > 0);
        let data = [2; 1024];
        assert_drop_leaves_no_waker("UnixStream::write", b.write(&data));
        assert_drop_leaves_no_waker("UnixStream::write_all", b.write_all(&data));
        assert_drop_leaves_no_waker("UnixStream::writable", b.writable());

        let (c, d) = UnixDatagram::pair().unwrap();
        assert_drop_leaves_no_waker("UnixDatagram::recv", c.recv(&mut buf));
        assert_drop_leaves_no_waker("UnixDatagram::recv_from", c.recv_from(&mut buf));
        assert_drop_leaves_no_waker("UnixDatagram::readable", c.readable());
        // A Unix datagram sender waits while the receiver's queue is full.
        assert!(fill_send_buffer(d.as_raw_fd()) > 0);
        assert_drop_leaves_no_waker("UnixDatagram::send", d.send(b"more"));
        assert_drop_leaves_no_waker("UnixDatagram::writable", d.writable());
        let bound = UnixDatagram::bind(dir.path("receiver.sock")).unwrap();
        let sender = std::os::unix::net::UnixDatagram::unbound().unwrap();
        sender.set_nonblocking(true).unwrap();
        sender.connect(dir.path("receiver.sock")).unwrap();
        assert!(fill_send_buffer(sender.as_raw_fd()) > 0);
        let sender = UnixDatagram::from_std(sender).unwrap();
        assert_drop_leaves_no_waker(
            "UnixDatagram::send_to",
            sender.send_to(b"more", dir.path("receiver.sock")),
        );
        drop(bound);
    });
}

#[test]
fn async_fd_futures_dropped_while_waiting_leave_no_waker() {
    run(async {
        let (a, _a_peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let (b, _b_peer) = std::os::unix::net::UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        assert!(fill_send_buffer(b.as_raw_fd()) > 0);
        let a = AsyncFd::new(a).unwrap();
        let b = AsyncFd::new(b).unwrap();
        assert_drop_leaves_no_waker("AsyncFd::readable", a.readable());
        let mut buf = [0; 64];
        let read = |fd: &std::os::unix::net::UnixStream| io::Read::read(&mut &*fd, &mut buf);
        assert_drop_leaves_no_waker("AsyncFd::async_io(Read)", a.async_io(Direction::Read, read));
        assert_drop_leaves_no_waker("AsyncFd::writable", b.writable());
        let write = |fd: &std::os::unix::net::UnixStream| io::Write::write(&mut &*fd, b"more");
        assert_drop_leaves_no_waker("AsyncFd::async_io(Write)", b.async_io(Direction::Write, write));
    });
}

#[test]
fn timer_futures_dropped_while_waiting_leave_no_waker() {
    run(async {
        let before = wakeful::stats().unwrap().timers_pending;
        assert_drop_leaves_no_waker("sleep", sleep(HOUR));
        assert_drop_leaves_no_waker("sleep_until", sleep_until(Instant::now() + HOUR));
        assert_drop_leaves_no_waker("timeout(pending)", timeout(HOUR, pending::<()>()));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert_drop_leaves_no_waker("timeout(accept)", timeout(HOUR, listener.accept()));
        assert_eq!(
            wakeful::stats().unwrap().timers_pending,
            before,
            "the dropped timers are gone from the wheel"
        );
    });
}

#[test]
fn interval_tick_dropped_while_waiting_leaves_no_waker() {
    run(async {
        let mut ticks = interval(HOUR);
        ticks.tick().await; // the first tick is at once
        assert_drop_leaves_no_waker("Interval::tick", ticks.tick());
    });
}

// ---- Dropping a waiting future loses nothing. ----

#[test]
fn a_dropped_read_loses_no_bytes() {
    let data = pattern(100_000, 7);
    run(async {
        let (mut client, mut server) = tcp_pair().await;
        let mut buf = vec![0; data.len()];
        assert_drop_leaves_no_waker("TcpStream::read", server.read(&mut buf[..100]));
        assert_drop_leaves_no_waker("TcpStream::read_exact", server.read_exact(&mut buf));
        let sent = data.clone();
        let writer = spawn(async move {
            client.write_all(&sent).await?;
            client.shutdown(std::net::Shutdown::Write)
        });
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        writer.await.unwrap().unwrap();
        assert!(got == data, "read {} bytes of {}, or out of order", got.len(), data.len());

        let (mut a, mut b) = UnixStream::pair().unwrap();
        assert_drop_leaves_no_waker("UnixStream::read", b.read(&mut buf[..100]));
        let sent = data.clone();
        let writer = spawn(async move { a.write_all(&sent).await });
        b.read_exact(&mut buf).await.unwrap();
        writer.await.unwrap().unwrap();
        assert!(buf == data, "the Unix stream lost or reordered bytes");
    });
}

#[test]
fn a_dropped_recv_loses_no_datagram() {
    run(async {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0; 64];
        assert_drop_leaves_no_waker("UdpSocket::recv_from", socket.recv_from(&mut buf));
        for i in 0..5u8 {
            peer.send_to(&[i; 10], socket.local_addr().unwrap()).await.unwrap();
        }
        for i in 0..5u8 {
            let (n, from) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&[i; 10][..], peer.local_addr().unwrap()), "datagram {i}");
        }

        let (a, b) = UnixDatagram::pair().unwrap();
        assert_drop_leaves_no_waker("UnixDatagram::recv", b.recv(&mut buf));
        for i in 0..5u8 {
            a.send(&[i; 10]).await.unwrap();
        }
        for i in 0..5u8 {
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &[i; 10][..], "Unix datagram {i}");
        }
    });
}

#[test]
fn a_dropped_accept_loses_no_connection() {
    let dir = TempDir::new("accept");
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert_drop_leaves_no_waker("TcpListener::accept", listener.accept());
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap(), "the queued connection is the one accepted");
        assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());

        let path = dir.path("accept.sock");
        let listener = UnixListener::bind(&path).unwrap();
        assert_drop_leaves_no_waker("UnixListener::accept", listener.accept());
        let mut client = UnixStream::connect(&path).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"it is you").await.unwrap();
        let mut buf = [0; 9];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"it is you");
    });
}

#[test]
fn dropping_one_waiter_leaves_the_others_to_be_woken() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (stays, leaves) = (CountingWaker::new(), CountingWaker::new());
        let mut staying = pin!(listener.accept());
        let mut leaving = Box::pin(listener.accept());
        assert!(stays.poll(staying.as_mut()).is_pending());
        assert!(leaves.poll(leaving.as_mut()).is_pending());
        drop(leaving);
        assert_eq!((stays.held(), leaves.held()), (1, 0), "only the dropped future's waker goes");
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        timeout(PATIENCE, stays.woken()).await.expect("the remaining accept was never woken");
        assert!(matches!(stays.poll(staying.as_mut()), std::task::Poll::Ready(Ok(_))));

        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (stays, leaves) = (CountingWaker::new(), CountingWaker::new());
        let (mut buf, mut other) = ([0; 8], [0; 8]);
        let mut staying = pin!(socket.recv_from(&mut buf));
        let mut leaving = Box::pin(socket.recv_from(&mut other));
        assert!(leaves.poll(leaving.as_mut()).is_pending());
        assert!(stays.poll(staying.as_mut()).is_pending());
        drop(leaving);
        assert_eq!((stays.held(), leaves.held()), (1, 0), "only the dropped future's waker goes");
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sender.send_to(b"hi", socket.local_addr().unwrap()).unwrap();
        timeout(PATIENCE, stays.woken()).await.expect("the remaining recv_from was never woken");
        assert!(matches!(stays.poll(staying.as_mut()), std::task::Poll::Ready(Ok((2, _)))));
    });
}

// ---- poll_* methods and trait impls: one shared place per direction. ----

/// Polls 100 times, each with a new waker; after each poll exactly one waker — the
/// last poller's — may be held for this direction. Returns the wakers.
fn poll_from_many_wakers(
    what: &str,
    mut poll_pending: impl FnMut(&mut std::task::Context<'_>) -> bool,
) -> Vec<CountingWaker> {
    let wakers: Vec<CountingWaker> = (0..100).map(|_| CountingWaker::new()).collect();
    for (i, waker) in wakers.iter().enumerate() {
        let pending = poll_pending(&mut std::task::Context::from_waker(waker.waker()));
        assert!(pending, "{what}: poll {i} completed; the test needs it to wait");
        let held: usize = wakers.iter().map(CountingWaker::held).sum();
        assert_eq!(held, 1, "{what}: after {} polls from different wakers, {held} are held", i + 1);
        assert_eq!(waker.held(), 1, "{what}: the waker kept must be the last poller's");
    }
    wakers
}

fn total_held(wakers: &[CountingWaker]) -> usize {
    wakers.iter().map(CountingWaker::held).sum()
}

#[cfg(feature = "futures-io")]
#[test]
fn stream_trait_impls_keep_one_waker_per_direction_and_wake_the_last() {
    use wakeful::io::{AsyncRead, AsyncWrite};
    run(async {
        let (mut client, mut server) = tcp_pair().await;
        let mut buf = [0; 64];
        let mut flip = false;
        let readers = poll_from_many_wakers("TcpStream::poll_read", |cx| {
            // poll_read and poll_read_vectored share the read place.
            flip = !flip;
            if flip {
                Pin::new(&mut server).poll_read(cx, &mut buf).is_pending()
            } else {
                let mut bufs = [io::IoSliceMut::new(&mut buf)];
                Pin::new(&mut server).poll_read_vectored(cx, &mut bufs).is_pending()
            }
        });
        assert!(fill_send_buffer(server.as_raw_fd()) > 0);
        let writers = poll_from_many_wakers("TcpStream::poll_write", |cx| {
            Pin::new(&mut server).poll_write(cx, &[3; 100]).is_pending()
        });
        assert_eq!(total_held(&readers) + total_held(&writers), 2, "one per direction");

        client.write_all(b"x").await.unwrap();
        timeout(PATIENCE, readers[99].woken()).await.expect("the last poller was never woken");
        let woken: usize = readers[..99].iter().map(CountingWaker::wakes).sum();
        assert_eq!(woken, 0, "only the last poller is woken");
        drop(server);
        assert_eq!(total_held(&readers) + total_held(&writers), 0, "released with the socket");

        let (a, _b) = UnixStream::pair().unwrap();
        let (mut read, write) = a.into_split();
        let readers = poll_from_many_wakers("OwnedReadHalf::poll_read", |cx| {
            Pin::new(&mut read).poll_read(cx, &mut buf).is_pending()
        });
        drop(read);
        assert_eq!(total_held(&readers), 1, "the other half still holds the socket");
        drop(write);
        assert_eq!(total_held(&readers), 0, "released with the socket");
    });
}

#[cfg(feature = "tokio-io")]
#[test]
fn tokio_trait_impls_keep_one_waker_per_direction() {
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    run(async {
        let (_client, mut server) = tcp_pair().await;
        let mut buf = [0; 64];
        let readers = poll_from_many_wakers("tokio AsyncRead::poll_read", |cx| {
            Pin::new(&mut server).poll_read(cx, &mut ReadBuf::new(&mut buf)).is_pending()
        });
        assert!(fill_send_buffer(server.as_raw_fd()) > 0);
        let writers = poll_from_many_wakers("tokio AsyncWrite::poll_write", |cx| {
            Pin::new(&mut server).poll_write(cx, &[3; 100]).is_pending()
        });
        assert_eq!(total_held(&readers) + total_held(&writers), 2, "one per direction");
        drop(server);
        assert_eq!(total_held(&readers) + total_held(&writers), 0, "released with the socket");
    });
}

#[test]
fn poll_methods_keep_one_waker_per_direction_until_the_socket_is_dropped() {
    let dir = TempDir::new("poll");
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut incoming = listener.incoming();
        let mut flip = false;
        let wakers = poll_from_many_wakers("TcpListener::poll_accept", |cx| {
            // poll_accept and the Incoming stream share the listener's place.
            flip = !flip;
            if flip {
                listener.poll_accept(cx).is_pending()
            } else {
                futures_core::Stream::poll_next(Pin::new(&mut incoming), cx).is_pending()
            }
        });
        drop(listener);
        assert_eq!(total_held(&wakers), 0, "TcpListener: released with the socket");

        let listener = UnixListener::bind(dir.path("poll.sock")).unwrap();
        let wakers =
            poll_from_many_wakers("UnixListener::poll_accept", |cx| listener.poll_accept(cx).is_pending());
        drop(listener);
        assert_eq!(total_held(&wakers), 0, "UnixListener: released with the socket");

        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0; 64];
        let mut flip = false;
        let wakers = poll_from_many_wakers("UdpSocket::poll_recv_from", |cx| {
            flip = !flip;
            if flip {
                socket.poll_recv_from(cx, &mut buf).is_pending()
            } else {
                socket.poll_recv(cx, &mut buf).is_pending()
            }
        });
        drop(socket);
        assert_eq!(total_held(&wakers), 0, "UdpSocket: released with the socket");

        let (socket, _peer) = UnixDatagram::pair().unwrap();
        let wakers = poll_from_many_wakers("UnixDatagram::poll_recv_from", |cx| {
            socket.poll_recv_from(cx, &mut buf).is_pending()
        });
        drop(socket);
        assert_eq!(total_held(&wakers), 0, "UnixDatagram: released with the socket");

        let (a, _a_peer) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        assert!(fill_send_buffer(a.as_raw_fd()) > 0);
        let fd = AsyncFd::new(a).unwrap();
        let readers =
            poll_from_many_wakers("AsyncFd::poll_read_ready", |cx| fd.poll_read_ready(cx).is_pending());
        let writers =
            poll_from_many_wakers("AsyncFd::poll_write_ready", |cx| fd.poll_write_ready(cx).is_pending());
        assert_eq!(total_held(&readers) + total_held(&writers), 2, "AsyncFd: one per direction");
        drop(fd);
        assert_eq!(total_held(&readers) + total_held(&writers), 0, "AsyncFd: released with the fd");

        let mut ticks = interval(HOUR);
        ticks.tick().await;
        let wakers = poll_from_many_wakers("Interval::poll_tick", |cx| ticks.poll_tick(cx).is_pending());
        drop(ticks);
        assert_eq!(total_held(&wakers), 0, "Interval: released when dropped");

        let mut nap = pin!(sleep(HOUR));
        let wakers = poll_from_many_wakers("Sleep polled by many", |cx| nap.as_mut().poll(cx).is_pending());
        nap.set(sleep(Duration::ZERO));
        assert_eq!(total_held(&wakers), 0, "Sleep: released when dropped");
    });
}

// ---- Aborted tasks. ----

/// Spawns a task that waits on `wait` (polled with a counting waker that relays to the
/// task's), aborts it, and checks that after one runtime turn its future is dropped,
/// the task is gone from the runtime, and nothing holds the waker `wait` was given.
async fn assert_aborted_task_is_gone_after_one_turn<F: Future + 'static>(what: &str, wait: F) {
    yield_now().await; // so that the timers of whatever polls us are in place
    let alive_before = wakeful::stats().unwrap().tasks_alive;
    let timers_before = wakeful::stats().unwrap().timers_pending;
    let drops = Drops::default();
    let relay = Rc::new(CountingWaker::new());
    let tracked = drops.track();
    let task_relay = relay.clone();
    let task = spawn(async move {
        let _tracked = tracked;
        let mut wait = pin!(wait);
        poll_fn(|cx| {
            task_relay.forward_to(cx.waker());
            task_relay.poll(wait.as_mut())
        })
        .await;
    });
    run_ready_tasks().await; // the task runs, and waits
    assert!(relay.held() >= 1, "{what}: the task is not waiting");
    assert_eq!(wakeful::stats().unwrap().tasks_alive, alive_before + 1);

    task.abort();
    run_ready_tasks().await; // the aborted task's future is dropped when it would run
    assert_eq!(drops.count(), 1, "{what}: the aborted task's future was not dropped");
    assert!(task.is_finished(), "{what}: the aborted task is not finished");
    assert_eq!(wakeful::stats().unwrap().tasks_alive, alive_before, "{what}: the task is still alive");
    assert_eq!(relay.held(), 0, "{what}: something still holds the waker the aborted future was polled with");
    assert_eq!(wakeful::stats().unwrap().timers_pending, timers_before, "{what}: its timer is still pending");
    relay.stop_forwarding(); // drops the task's own waker, held by the relay
    assert!(task.await.unwrap_err().is_cancelled());
}

#[test]
fn an_aborted_task_waiting_on_an_idle_listener_is_gone_after_one_turn() {
    run(async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let waiting = listener.clone();
        assert_aborted_task_is_gone_after_one_turn("accept", async move { waiting.accept().await.map(drop) })
            .await;
        // The listener still accepts.
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        timeout(PATIENCE, listener.accept()).await.expect("accept after an abort").unwrap();
    });
}

#[test]
fn an_aborted_task_waiting_on_an_idle_udp_socket_is_gone_after_one_turn() {
    run(async {
        let socket = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let waiting = socket.clone();
        let recv = async move { waiting.recv_from(&mut [0; 64]).await.map(drop) };
        assert_aborted_task_is_gone_after_one_turn("recv_from", recv).await;
    });
}

#[test]
fn an_aborted_task_waiting_on_a_sleep_is_gone_after_one_turn() {
    run(async {
        assert_aborted_task_is_gone_after_one_turn("sleep", sleep(HOUR)).await;
    });
}

// ---- accept pausing through fd exhaustion. ----

/// Fds duplicated from `fd` until the process may open no more.
fn exhaust_fds(fd: RawFd) -> Vec<std::os::fd::OwnedFd> {
    let mut held = Vec::new();
    loop {
        // SAFETY: dup takes no pointers; `fd` is open for the call.
        let new = unsafe { libc::dup(fd) };
        if new < 0 {
            let err = io::Error::last_os_error();
            assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "dup: {err}");
            return held;
        }
        // SAFETY: `new` was just returned by dup and nothing else owns it.
        held.push(unsafe { std::os::fd::FromRawFd::from_raw_fd(new) });
        assert!(held.len() < 1024, "the fd limit never stopped dup");
    }
}

/// An accept that ran out of fds waits on a timer of its own (the back-off pause);
/// dropped there, it leaves no waker in the timer wheel, and the connection it could
/// not take is still queued for the next accept.
#[test]
fn an_accept_dropped_while_pausing_for_fds_leaves_no_waker_and_loses_no_connection() {
    const NAME: &str = "an_accept_dropped_while_pausing_for_fds_leaves_no_waker_and_loses_no_connection";
    if util::ran_in_child(NAME) {
        return;
    }
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        util::set_fd_limit(client.as_raw_fd() as u64 + 16);
        let exhausted = exhaust_fds(client.as_raw_fd());
        run_ready_tasks().await; // `run` puts its own timer in place
        let timers = wakeful::stats().unwrap().timers_pending;

        let waker = CountingWaker::new();
        let mut accept = Box::pin(listener.accept());
        // The first poll may find no readiness yet: wait for the reactor to see the
        // queued connection, then the accept fails with EMFILE and pauses.
        if waker.poll(accept.as_mut()).is_pending() && wakeful::stats().unwrap().timers_pending == timers {
            timeout(PATIENCE, waker.woken()).await.expect("the queued connection never woke accept");
            assert!(waker.poll(accept.as_mut()).is_pending(), "accept succeeded with no fd to spare");
        }
        assert_eq!(wakeful::stats().unwrap().timers_pending, timers + 1, "accept pauses on a timer");
        assert!(waker.held() >= 1, "the pausing accept keeps its waker in its timer");
        drop(accept);
        assert_eq!(waker.held(), 0, "the dropped accept left its waker behind");
        assert_eq!(wakeful::stats().unwrap().timers_pending, timers, "the dropped accept's timer is gone");

        drop(exhausted);
        let (_server, peer) =
            timeout(PATIENCE, listener.accept()).await.expect("accept after fds were freed").unwrap();
        assert_eq!(peer, client.local_addr().unwrap(), "the queued connection is still there");
    });
}
