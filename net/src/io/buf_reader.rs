//! [`BufReader`]: fewer, larger reads.

use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

pin_project! {
    /// Adds a buffer to a reader, for line- or delimiter-oriented reading
    /// ([`AsyncBufReadExt`](super::AsyncBufReadExt)) and for many small reads.
    ///
    /// Reads at least as large as the buffer bypass it when it is empty. Writes pass
    /// straight through to the wrapped stream when it is also a writer.
    ///
    /// ```
    /// use wakeful::io::{AsyncBufReadExt, BufReader};
    /// use wakeful::net::UnixStream;
    ///
    /// wakeful::block_on(async {
    ///     let (mut tx, rx) = UnixStream::pair()?;
    ///     tx.write_all(b"a,b,c").await?;
    ///     drop(tx);
    ///     let mut reader = BufReader::new(rx);
    ///     let mut field = Vec::new();
    ///     reader.read_until(b',', &mut field).await?;
    ///     assert_eq!(field, b"a,");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[derive(Debug)]
    pub struct BufReader<R> {
        #[pin]
        inner: R,
        buf: Box<[u8]>,
        // `buf[pos..filled]` is read from `inner` but not yet consumed.
        pos: usize,
        filled: usize,
    }
}

impl<R: AsyncRead> BufReader<R> {
    /// A reader with an 8 KiB buffer.
    pub fn new(inner: R) -> BufReader<R> {
        BufReader::with_capacity(super::DEFAULT_BUF_SIZE, inner)
    }

    /// A reader with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R) -> BufReader<R> {
        BufReader { inner, buf: vec![0; capacity.max(1)].into_boxed_slice(), pos: 0, filled: 0 }
    }
}

impl<R> BufReader<R> {
    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The wrapped reader, mutably (reading from it directly skips the buffer).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The wrapped reader, pinned (reading from it directly skips the buffer).
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// The bytes buffered and not yet consumed.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// The wrapped reader; buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead> AsyncRead for BufReader<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.pos == self.filled && out.len() >= self.buf.len() {
            return self.project().inner.poll_read(cx, out);
        }
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }

    fn poll_read_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if self.pos == self.filled && total >= self.buf.len() {
            return self.project().inner.poll_read_vectored(cx, bufs);
        }
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let mut copied = 0;
        for buf in bufs.iter_mut() {
            let n = (available.len() - copied).min(buf.len());
            buf[..n].copy_from_slice(&available[copied..copied + n]);
            copied += n;
        }
        self.consume(copied);
        Poll::Ready(Ok(copied))
    }
}

impl<R: AsyncRead> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.project();
        if *this.pos == *this.filled {
            let n = ready!(this.inner.poll_read(cx, this.buf))?;
            *this.pos = 0;
            *this.filled = n;
        }
        Poll::Ready(Ok(&this.buf[*this.pos..*this.filled]))
    }

    fn consume(self: Pin<&mut Self>, amount: usize) {
        let this = self.project();
        *this.pos = (*this.pos + amount).min(*this.filled);
    }
}

/// Writes pass through: the buffer is for reading only.
impl<R: AsyncWrite> AsyncWrite for BufReader<R> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}
