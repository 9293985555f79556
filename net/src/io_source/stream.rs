//! The byte-stream operations of an [`IoSource`]: what TCP and Unix streams and their
//! halves do with their sockets, under both their async methods and their `poll_*`
//! trait impls.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};

use wakeful_reactor::{Direction, Readiness, WaiterKey};

use super::IoSource;
use crate::io::loops;
use crate::sys::{socket, sockopt};

impl<T: AsRawFd> IoSource<T> {
    /// [`poll_io`](Self::poll_io) for a stream read or write of `len` bytes: a short
    /// write means the socket buffer filled, and (see the module docs) a short TCP read
    /// that it was drained, so readiness is cleared now, saving the syscall that would
    /// only say `EAGAIN`.
    pub(crate) fn poll_io_stream(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_until_drained(dir, cx, waiter, op, |&n, ready| {
            n > 0 && n < len && self.drained_by_short(dir, ready)
        })
    }

    /// [`try_io`](Self::try_io) for a stream read or write of `len` bytes, with the
    /// short-transfer rule of [`poll_io_stream`](Self::poll_io_stream): the
    /// `readable().await` + `try_read` idiom then costs no `recv` more than `read()`.
    fn try_io_stream(
        &self,
        dir: Direction,
        len: usize,
        op: impl FnOnce(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.try_io_until_drained(dir, op, |&n, ready| n > 0 && n < len && self.drained_by_short(dir, ready))
    }

    fn drained_by_short(&self, dir: Direction, ready: Readiness) -> bool {
        match dir {
            Direction::Write => true,
            Direction::Read => self.short_read_drains && !ready.contains(Readiness::PRIORITY),
        }
    }

    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io_stream(Direction::Read, cx, waiter, buf.len(), |io| socket::recv(io.as_raw_fd(), buf))
    }

    pub(crate) fn poll_recv_vectored(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().take(socket::MAX_IOVECS).map(|b| b.len()).sum();
        self.poll_io_stream(Direction::Read, cx, waiter, len, |io| {
            socket::recv_vectored(io.as_raw_fd(), bufs)
        })
    }

    pub(crate) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io_stream(Direction::Write, cx, waiter, buf.len(), |io| socket::send(io.as_raw_fd(), buf))
    }

    pub(crate) fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().take(socket::MAX_IOVECS).map(|b| b.len()).sum();
        self.poll_io_stream(Direction::Write, cx, waiter, len, |io| {
            socket::send_vectored(io.as_raw_fd(), bufs)
        })
    }

    /// The async forms, each a future with its own place among the waiters.
    pub(crate) async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.wait(Direction::Read, |cx, waiter| self.poll_recv(cx, waiter, buf)).await
    }

    pub(crate) async fn recv_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.wait(Direction::Read, |cx, waiter| self.poll_recv_vectored(cx, waiter, bufs)).await
    }

    pub(crate) async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io(Direction::Read, |io| socket::peek(io.as_raw_fd(), buf)).await
    }

    pub(crate) async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.wait(Direction::Write, |cx, waiter| self.poll_send(cx, waiter, buf)).await
    }

    pub(crate) async fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.wait(Direction::Write, |cx, waiter| self.poll_send_vectored(cx, waiter, bufs)).await
    }

    /// Waits for a non-blocking `connect` to finish: writable, then `SO_ERROR`, then
    /// a peer address (a spurious wakeup finds none yet, and waits again).
    pub(crate) async fn wait_connected(&self) -> io::Result<()> {
        loop {
            let ready = self.ready(Direction::Write).await?;
            if let Some(err) = sockopt::take_error(self.as_raw_fd())? {
                return Err(err);
            }
            match socket::peer_addr(self.as_raw_fd()) {
                Ok(_) => return Ok(()),
                Err(e) if socket::is_not_connected(&e) && ready == Readiness::WRITABLE => {
                    self.clear_readiness(Direction::Write, ready);
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io_stream(Direction::Read, buf.len(), |io| socket::recv(io.as_raw_fd(), buf))
    }

    pub(crate) fn try_recv_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let len = bufs.iter().take(socket::MAX_IOVECS).map(|b| b.len()).sum();
        self.try_io_stream(Direction::Read, len, |io| socket::recv_vectored(io.as_raw_fd(), bufs))
    }

    pub(crate) fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io_stream(Direction::Write, buf.len(), |io| socket::send(io.as_raw_fd(), buf))
    }

    pub(crate) fn try_send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let len = bufs.iter().take(socket::MAX_IOVECS).map(|b| b.len()).sum();
        self.try_io_stream(Direction::Write, len, |io| socket::send_vectored(io.as_raw_fd(), bufs))
    }

    /// Reads until `buf` is full; `UnexpectedEof` if the stream ends first.
    pub(crate) async fn read_exact(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        self.wait(Direction::Read, |cx, waiter| {
            loops::poll_read_exact(cx, buf, &mut filled, |cx, rest| self.poll_recv(cx, waiter, rest))
        })
        .await?;
        Ok(filled)
    }

    /// Reads until end of stream, appending to `buf`; returns the bytes read. If
    /// cancelled, `buf` holds exactly the bytes read so far.
    pub(crate) async fn read_to_end(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        let mut chunk = vec![0u8; 64 * 1024];
        self.wait(Direction::Read, |cx, waiter| {
            loops::poll_read_to_end(cx, buf, &mut chunk, |cx, chunk| self.poll_recv(cx, waiter, chunk))
        })
        .await?;
        Ok(buf.len() - start)
    }

    /// Writes all of `buf`; `WriteZero` if the socket accepts no more.
    pub(crate) async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        let mut written = 0;
        self.wait(Direction::Write, |cx, waiter| {
            loops::poll_write_all(cx, buf, &mut written, |cx, rest| self.poll_send(cx, waiter, rest))
        })
        .await
    }
}
