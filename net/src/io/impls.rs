//! The runtime-neutral I/O traits on every stream type: `futures_io`'s (feature
//! `futures-io`, on by default) and tokio's (feature `tokio-io`), both written once
//! over the stream poll functions of `IoSource`.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use wakeful_reactor::Direction;

use crate::io_source::IoSource;
use crate::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::sys::socket;
use crate::{TcpStream, UnixStream};

macro_rules! async_read {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        #[cfg(feature = "futures-io")]
        impl<$($generics)*> futures_io::AsyncRead for $ty {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                poll_recv(self.source(), cx, buf)
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                poll_recv_vectored(self.source(), cx, bufs)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<$($generics)*> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let n = std::task::ready!(poll_recv(self.source(), cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
        }
    )*};
}

macro_rules! async_write {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        #[cfg(feature = "futures-io")]
        impl<$($generics)*> futures_io::AsyncWrite for $ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                poll_send(self.source(), cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                poll_send_vectored(self.source(), cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            /// Shuts down the writing direction: the peer reads end of stream.
            fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(socket::shutdown_write(self.source().as_raw_fd()))
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<$($generics)*> tokio::io::AsyncWrite for $ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                poll_send(self.source(), cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                poll_send_vectored(self.source(), cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            /// Shuts down the writing direction: the peer reads end of stream.
            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(socket::shutdown_write(self.source().as_raw_fd()))
            }
        }
    )*};
}

async_read! {
    [] TcpStream,
    [] UnixStream,
    [T: AsRawFd] ReadHalf<'_, T>,
    [T: AsRawFd] OwnedReadHalf<T>,
}

async_write! {
    [] TcpStream,
    [] UnixStream,
    [T: AsRawFd] WriteHalf<'_, T>,
    [T: AsRawFd] OwnedWriteHalf<T>,
}

// The trait methods keep no state between polls, so they wait in the place each source
// keeps for such callers: the last task to poll a direction is the one woken.

fn poll_recv<T: AsRawFd>(
    source: &IoSource<T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    source.poll_shared(Direction::Read, |waiter| source.poll_recv(cx, waiter, buf))
}

fn poll_recv_vectored<T: AsRawFd>(
    source: &IoSource<T>,
    cx: &mut Context<'_>,
    bufs: &mut [IoSliceMut<'_>],
) -> Poll<io::Result<usize>> {
    source.poll_shared(Direction::Read, |waiter| source.poll_recv_vectored(cx, waiter, bufs))
}

fn poll_send<T: AsRawFd>(source: &IoSource<T>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
    source.poll_shared(Direction::Write, |waiter| source.poll_send(cx, waiter, buf))
}

fn poll_send_vectored<T: AsRawFd>(
    source: &IoSource<T>,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    source.poll_shared(Direction::Write, |waiter| source.poll_send_vectored(cx, waiter, bufs))
}
