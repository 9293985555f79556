//! Helpers of the cancellation tests (`cancel_*.rs`): futures dropped while they
//! wait, polled with a [`CountingWaker`] of the test's own.

use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use wakeful::net::{TcpListener, TcpSocket, TcpStream};

use super::CountingWaker;

/// Long enough to never fire during a test.
pub const HOUR: Duration = Duration::from_secs(3600);

/// Polls `future` once with a counting waker: it must wait, keeping the waker (or
/// nothing could wake it); dropped, it must leave no clone of the waker behind.
pub fn assert_drop_leaves_no_waker<F: Future>(what: &str, future: F) {
    let waker = CountingWaker::new();
    let mut future = Box::pin(future);
    assert!(waker.poll(future.as_mut()).is_pending(), "{what}: completed at once; the test needs it to wait");
    assert!(waker.held() >= 1, "{what}: waits without keeping its waker: nothing could wake it");
    drop(future);
    assert_eq!(waker.held(), 0, "{what}: dropped while waiting, it left clones of its waker behind");
}

/// Fills the send buffer of the non-blocking socket `fd` (queue of a datagram socket)
/// until the kernel says `EAGAIN`; returns the bytes queued.
pub fn fill_send_buffer(fd: RawFd) -> usize {
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
pub async fn small_buffer_tcp_pair() -> (TcpStream, TcpStream) {
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
pub async fn full_backlog_listener() -> (TcpListener, std::net::TcpStream) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let queued = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (listener, queued)
}
