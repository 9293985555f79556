//! The `poll_*` methods and the I/O trait impls share one place per direction: polled
//! from many wakers they hold at most one waker each (the last poller's, the one
//! woken), and give it back when the socket is dropped.
//!
//! Each test polls with its own [`CountingWaker`] from inside a runtime (the sockets
//! need its reactor) and counts the clones of it that anything else still holds.

mod util;

use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::pin::{pin, Pin};
use std::time::Duration;

use util::cancel::{fill_send_buffer, small_buffer_tcp_pair, HOUR};
use util::{run, CountingWaker, TempDir, PATIENCE};
use wakeful::net::{AsyncFd, TcpListener, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use wakeful::time::{interval, sleep, timeout};

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
        let (mut client, mut server) = small_buffer_tcp_pair().await;
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
        let (_client, mut server) = small_buffer_tcp_pair().await;
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
