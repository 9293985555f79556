//! Dropping a waiting future loses nothing: no byte, no datagram, no connection (also
//! when an accept is dropped while pausing for fds), and the other waiters of the
//! same socket are still woken.
//!
//! Each test polls with its own [`CountingWaker`] from inside a runtime (the sockets
//! need its reactor) and counts the clones of it that anything else still holds.

mod util;

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::pin;

use util::cancel::{assert_drop_leaves_no_waker, small_buffer_tcp_pair};
use util::{pattern, run, run_ready_tasks, CountingWaker, TempDir, PATIENCE};
use wakeful::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use wakeful::spawn;
use wakeful::time::timeout;

#[test]
fn a_dropped_read_loses_no_bytes() {
    let data = pattern(100_000, 7);
    run(async {
        let (mut client, mut server) = small_buffer_tcp_pair().await;
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
