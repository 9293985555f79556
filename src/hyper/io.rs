//! [`HyperIo`]: a stream seen through the other ecosystem's I/O traits, both ways.

use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use hyper::rt::{Read, ReadBuf, ReadBufCursor, Write};
use wakeful_net::io::{AsyncRead, AsyncWrite};

/// The most a single read asks of the stream: hyper's buffers grow with its reads, and
/// the part offered is zeroed before each read (see [`HyperIo`]).
const MAX_READ: usize = 64 * 1024;

/// A stream with hyper's I/O traits, or hyper's I/O with the `futures-io` traits.
///
/// - Over any wakeful stream (`TcpStream`, `UnixStream`, their halves, `BufReader`…)
///   or anything else with `futures-io`'s [`AsyncRead`] / [`AsyncWrite`], it is
///   hyper's [`Read`] / [`Write`]: what `serve_connection` and `handshake` take.
///   Vectored writes go through to the stream (`writev`), and hyper's `shutdown` is
///   the stream's [`poll_close`](AsyncWrite::poll_close) (for a socket, the write
///   half's `shutdown`).
/// - Over hyper's I/O (an `Upgraded` connection, say), it is [`AsyncRead`] /
///   [`AsyncWrite`], so wakeful's `io` helpers (`copy`, `BufReader`, `read_exact`…)
///   work on it.
///
/// A read offers the stream at most 64 KiB of hyper's buffer, zeroed first:
/// `futures-io` readers take initialised memory, and hyper's buffer is not.
///
/// ```
/// use wakeful::hyper::HyperIo;
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (a, _b) = UnixStream::pair()?;
///     let io = HyperIo::new(a);
///     assert!(io.get_ref().local_addr().is_ok()); // the stream stays reachable
///     let _a: UnixStream = io.into_inner();
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct HyperIo<T> {
    inner: T,
}

impl<T> HyperIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> HyperIo<T> {
        HyperIo { inner }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably (reading or writing it directly is allowed, between
    /// hyper's uses).
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped stream, pinned.
    pub fn inner_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        // SAFETY: `inner` is structurally pinned: `HyperIo` is `Unpin` exactly when `T`
        // is (auto trait), has no `Drop`, and never moves `inner` out of a `Pin`.
        unsafe { self.map_unchecked_mut(|io| &mut io.inner) }
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T> From<T> for HyperIo<T> {
    fn from(inner: T) -> HyperIo<T> {
        HyperIo::new(inner)
    }
}

impl<T: AsyncRead> Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let want = buf.remaining().min(MAX_READ);
        // SAFETY: the bytes are only written (with zeros), never de-initialised.
        let unfilled = unsafe { &mut buf.as_mut()[..want] };
        unfilled.fill(MaybeUninit::new(0));
        // SAFETY: every byte of `unfilled` was initialised just above, and
        // `MaybeUninit<u8>` has the layout of `u8`.
        let bytes = unsafe { &mut *(unfilled as *mut [MaybeUninit<u8>] as *mut [u8]) };
        let n = ready!(self.inner_pin_mut().poll_read(cx, bytes))?;
        if n > want {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "wakeful::hyper::HyperIo: the stream reported {n} bytes read into a {want}-byte buffer"
                ),
            )));
        }
        // SAFETY: the first `n` (≤ `want`) bytes of the unfilled part are initialised.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> Write for HyperIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let n = ready!(self.inner_pin_mut().poll_write(cx, buf))?;
        Poll::Ready(written(n, buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let n = ready!(self.inner_pin_mut().poll_write_vectored(cx, bufs))?;
        Poll::Ready(written(n, bufs.iter().fold(0, |sum, b| sum.saturating_add(b.len()))))
    }

    /// True: `futures-io` cannot say whether a writer's vectored writes are real, and
    /// every wakeful stream's are (a writer with the default method writes the first
    /// slice, which hyper handles as a short write).
    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner_pin_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner_pin_mut().poll_close(cx)
    }
}

/// `n` bytes written of `given`, checked: hyper advances its buffers by the count
/// unchecked, and a count past their end would panic inside it.
fn written(n: usize, given: usize) -> io::Result<usize> {
    if n > given {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("wakeful::hyper::HyperIo: the stream reported {n} bytes written from {given}"),
        ));
    }
    Ok(n)
}

impl<T: Read> AsyncRead for HyperIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut filled = ReadBuf::new(buf);
        ready!(self.inner_pin_mut().poll_read(cx, filled.unfilled()))?;
        Poll::Ready(Ok(filled.filled().len()))
    }
}

impl<T: Write> AsyncWrite for HyperIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.inner_pin_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner_pin_mut().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner_pin_mut().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner_pin_mut().poll_shutdown(cx)
    }
}
