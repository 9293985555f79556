//! Every async method that can wait, dropped at its first `Pending`: it keeps its
//! task's waker in a place of its own (a source's waiters, a timer) and must give it
//! back when dropped.
//!
//! Each test polls with its own [`CountingWaker`] from inside a runtime (the sockets
//! need its reactor) and counts the clones of it that anything else still holds.

mod util;

use std::future::pending;
use std::io;
use std::os::fd::AsRawFd;
use std::time::Instant;

use util::cancel::{
    assert_drop_leaves_no_waker, fill_send_buffer, full_backlog_listener, small_buffer_tcp_pair, HOUR,
};
use util::{run, TempDir};
use wakeful::net::{
    AsyncFd, TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};
use wakeful::reactor::Direction;
use wakeful::time::{interval, sleep, sleep_until, timeout};

#[test]
fn tcp_futures_dropped_while_waiting_leave_no_waker() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert_drop_leaves_no_waker("TcpListener::accept", listener.accept());

        let (mut client, mut server) = small_buffer_tcp_pair().await;
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
