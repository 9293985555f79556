//! Byte-stream I/O shared by TCP and Unix streams and their halves: the poll functions
//! on [`IoSource`], and the inherent async methods every stream type offers, written
//! once as macros.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};

use wakeful_reactor::{errno, Direction, Readiness, WaiterKey};

use crate::io_source::IoSource;
use crate::sys::socket;

impl<T: AsRawFd> IoSource<T> {
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        waiter: &mut Option<WaiterKey>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io_stream(Direction::Read, cx, waiter, buf.len(), |io| socket::recv(io.as_raw_fd(), buf, 0))
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
        self.io(Direction::Read, |io| socket::recv(io.as_raw_fd(), buf, libc::MSG_PEEK)).await
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
            if let Some(err) = socket::take_error(self.as_raw_fd())? {
                return Err(err);
            }
            match socket::peer_addr(self.as_raw_fd()) {
                Ok(_) => return Ok(()),
                Err(e) if errno(&e) == Some(libc::ENOTCONN) && ready == Readiness::WRITABLE => {
                    self.clear_readiness(Direction::Write, ready);
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Direction::Read, |io| socket::recv(io.as_raw_fd(), buf, 0))
    }

    pub(crate) fn try_recv_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.try_io(Direction::Read, |io| socket::recv_vectored(io.as_raw_fd(), bufs))
    }

    pub(crate) fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(Direction::Write, |io| socket::send(io.as_raw_fd(), buf))
    }

    pub(crate) fn try_send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.try_io(Direction::Write, |io| socket::send_vectored(io.as_raw_fd(), bufs))
    }
}

/// Reads until `buf` is full; `UnexpectedEof` if the stream ends first.
pub(crate) async fn read_exact<T: AsRawFd>(source: &IoSource<T>, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.recv(&mut buf[filled..]).await? {
            0 => {
                let message = format!("stream ended after {filled} of {} bytes", buf.len());
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, message));
            }
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Reads until end of stream, appending to `buf`; returns the bytes read. If
/// cancelled, `buf` holds exactly the bytes read so far (it grows one completed read at
/// a time).
pub(crate) async fn read_to_end<T: AsRawFd>(source: &IoSource<T>, buf: &mut Vec<u8>) -> io::Result<usize> {
    let start = buf.len();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match source.recv(&mut chunk).await? {
            0 => return Ok(buf.len() - start),
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Writes all of `buf`; `WriteZero` if the socket accepts no more.
pub(crate) async fn write_all<T: AsRawFd>(source: &IoSource<T>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match source.send(buf).await? {
            0 => return Err(io::Error::new(io::ErrorKind::WriteZero, "the socket accepted no bytes")),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

/// The reading methods of a stream type whose `fn source(&self) -> &IoSource<_>`
/// gives its registration.
macro_rules! read_methods {
    () => {
        /// Reads some bytes into `buf`, waiting until at least one is available;
        /// `Ok(0)` at end of stream. Cancel-safe: if dropped before completion, no
        /// data was read.
        pub async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source().recv(buf).await
        }

        /// Reads into several buffers at once (`readv`). Cancel-safe, as `read`.
        pub async fn read_vectored(
            &mut self,
            bufs: &mut [std::io::IoSliceMut<'_>],
        ) -> std::io::Result<usize> {
            self.source().recv_vectored(bufs).await
        }

        /// Reads exactly `buf.len()` bytes, or fails with `UnexpectedEof`. Not
        /// cancel-safe: if dropped midway, the bytes read so far are lost.
        pub async fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            $crate::stream::read_exact(self.source(), buf).await
        }

        /// Reads until end of stream, appending to `buf`; returns the bytes read.
        /// Cancel-safe in that nothing is lost: if dropped midway, `buf` holds exactly
        /// the bytes read so far.
        pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
            $crate::stream::read_to_end(self.source(), buf).await
        }

        /// Waits for readable data (or end of stream) without reading it. Cancel-safe.
        pub async fn readable(&self) -> std::io::Result<()> {
            self.source().ready(wakeful_reactor::Direction::Read).await.map(drop)
        }

        /// Reads what is available now, without waiting: `WouldBlock` if nothing is.
        pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source().try_recv(buf)
        }

        /// [`try_read`](Self::try_read) into several buffers.
        pub fn try_read_vectored(&self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
            self.source().try_recv_vectored(bufs)
        }

        /// Reads bytes without removing them from the socket, waiting for some.
        /// Cancel-safe: nothing is consumed either way.
        pub async fn peek(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.source().peek(buf).await
        }
    };
}
pub(crate) use read_methods;

/// The writing methods of a stream type, as [`read_methods`].
macro_rules! write_methods {
    () => {
        /// Writes some of `buf`, waiting until the socket accepts at least one byte.
        /// Never raises `SIGPIPE`: a closed peer is an `Err(BrokenPipe)`. Cancel-safe:
        /// if dropped before completion, nothing was written.
        pub async fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.source().send(buf).await
        }

        /// Writes from several buffers at once (`sendmsg`). Cancel-safe, as `write`.
        pub async fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            self.source().send_vectored(bufs).await
        }

        /// Writes all of `buf`, looping over partial writes. Not cancel-safe: if
        /// dropped midway, an unknown prefix of `buf` was written.
        pub async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
            $crate::stream::write_all(self.source(), buf).await
        }

        /// Nothing to flush: writes go straight to the socket. For symmetry with
        /// buffered writers. Cancel-safe.
        pub async fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }

        /// Waits until the socket accepts writes (or is closed). Cancel-safe.
        pub async fn writable(&self) -> std::io::Result<()> {
            self.source().ready(wakeful_reactor::Direction::Write).await.map(drop)
        }

        /// Writes what the socket accepts now, without waiting: `WouldBlock` if none.
        pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
            self.source().try_send(buf)
        }

        /// [`try_write`](Self::try_write) from several buffers.
        pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            self.source().try_send_vectored(bufs)
        }
    };
}
pub(crate) use write_methods;
