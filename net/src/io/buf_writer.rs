//! [`BufWriter`]: fewer, larger writes.

use std::io::{self, IoSliceMut};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

use super::loops;

pin_project! {
    /// Adds a buffer to a writer, so that many small writes become few syscalls.
    ///
    /// Buffered bytes reach the writer on [`flush`](super::AsyncWriteExt::flush) or
    /// [`close`](super::AsyncWriteExt::close), or when the buffer fills. Dropping a
    /// `BufWriter` with unflushed bytes loses them (a drop cannot wait): flush first.
    /// If a flush fails midway, the bytes not yet written stay in the buffer
    /// ([`buffer`](BufWriter::buffer)) and the next flush retries them.
    ///
    /// Reads pass straight through to the wrapped stream when it is also a reader
    /// (and a buffered reader), as tokio's: a `BufWriter<TcpStream>` serves both
    /// directions of a connection. A read does not flush: flush a request before
    /// awaiting its reply.
    ///
    /// ```
    /// use wakeful::io::{AsyncWriteExt, BufWriter};
    /// use wakeful::net::UnixStream;
    ///
    /// wakeful::block_on(async {
    ///     let (tx, mut rx) = UnixStream::pair()?;
    ///     let mut writer = BufWriter::new(tx);
    ///     for word in ["one ", "syscall ", "for all"] {
    ///         AsyncWriteExt::write_all(&mut writer, word.as_bytes()).await?;
    ///     }
    ///     writer.flush().await?;
    ///     let mut buf = [0; 19];
    ///     rx.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"one syscall for all");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[derive(Debug)]
    pub struct BufWriter<W> {
        #[pin]
        inner: W,
        buf: Vec<u8>,
        // `buf[..written]` already went to `inner` during an unfinished flush.
        written: usize,
    }
}

impl<W: AsyncWrite> BufWriter<W> {
    /// A writer with an 8 KiB buffer.
    pub fn new(inner: W) -> BufWriter<W> {
        BufWriter::with_capacity(super::DEFAULT_BUF_SIZE, inner)
    }

    /// A writer with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: W) -> BufWriter<W> {
        BufWriter { inner, buf: Vec::with_capacity(capacity.max(1)), written: 0 }
    }

    /// Writes the buffer out to `inner`.
    fn poll_flush_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let mut inner = this.inner;
        ready!(loops::poll_write_all(cx, this.buf, this.written, |cx, rest| inner
            .as_mut()
            .poll_write(cx, rest)))?;
        this.buf.clear();
        *this.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W> BufWriter<W> {
    /// The wrapped writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The wrapped writer, mutably (writing to it directly skips the buffer, so
    /// buffered bytes would come after).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The wrapped writer, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut W> {
        self.project().inner
    }

    /// The bytes buffered and not yet written.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.written..]
    }

    /// The wrapped writer; unflushed bytes are lost (flush first).
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: AsyncWrite> AsyncWrite for BufWriter<W> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if self.buf.len() + data.len() > self.buf.capacity() {
            ready!(self.as_mut().poll_flush_buf(cx))?;
        }
        if data.len() >= self.buf.capacity() {
            return self.project().inner.poll_write(cx, data);
        }
        self.project().buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush_buf(cx))?;
        self.project().inner.poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush_buf(cx))?;
        self.project().inner.poll_close(cx)
    }
}

/// Reads pass through: the buffer is for writing only.
impl<W: AsyncRead> AsyncRead for BufWriter<W> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.project().inner.poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_read_vectored(cx, bufs)
    }
}

impl<W: AsyncBufRead> AsyncBufRead for BufWriter<W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.project().inner.poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amount: usize) {
        self.project().inner.consume(amount)
    }
}
