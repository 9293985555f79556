//! [`BufStream`]: a stream buffered in both directions.

use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

use super::{BufReader, BufWriter};

pin_project! {
    /// A stream with a read buffer and a write buffer: a [`BufReader`] around a
    /// [`BufWriter`], as tokio's.
    ///
    /// Written bytes wait in the write buffer until a flush, a close, or a full
    /// buffer; a read does not flush them, so flush a request before awaiting its
    /// reply. Dropping a `BufStream` loses unflushed bytes.
    ///
    /// ```
    /// use wakeful::io::{AsyncBufReadExt, AsyncWriteExt, BufStream};
    /// use wakeful::net::UnixStream;
    ///
    /// wakeful::block_on(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let mut stream = BufStream::new(a);
    ///     stream.write_all(b"PING\r\n").await?;
    ///     stream.flush().await?;
    ///     let mut request = [0; 6];
    ///     b.read_exact(&mut request).await?;
    ///     b.write_all(b"+PONG\r\n").await?;
    ///     let mut reply = String::new();
    ///     stream.read_line(&mut reply).await?;
    ///     assert_eq!(reply, "+PONG\r\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[derive(Debug)]
    pub struct BufStream<S> {
        #[pin]
        inner: BufReader<BufWriter<S>>,
    }
}

impl<S: AsyncRead + AsyncWrite> BufStream<S> {
    /// A stream with 8 KiB buffers each way.
    pub fn new(stream: S) -> BufStream<S> {
        BufStream { inner: BufReader::new(BufWriter::new(stream)) }
    }

    /// A stream with a read buffer of `reader_capacity` bytes and a write buffer of
    /// `writer_capacity` bytes.
    pub fn with_capacity(reader_capacity: usize, writer_capacity: usize, stream: S) -> BufStream<S> {
        let writer = BufWriter::with_capacity(writer_capacity, stream);
        BufStream { inner: BufReader::with_capacity(reader_capacity, writer) }
    }
}

impl<S> BufStream<S> {
    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref().get_ref()
    }

    /// The wrapped stream, mutably (using it directly skips both buffers).
    pub fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut().get_mut()
    }

    /// The wrapped stream, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut S> {
        self.project().inner.get_pin_mut().get_pin_mut()
    }

    /// The wrapped stream; bytes in either buffer are lost (flush first).
    pub fn into_inner(self) -> S {
        self.inner.into_inner().into_inner()
    }
}

impl<S> From<BufReader<BufWriter<S>>> for BufStream<S> {
    fn from(inner: BufReader<BufWriter<S>>) -> BufStream<S> {
        BufStream { inner }
    }
}

impl<S: AsyncRead> AsyncRead for BufStream<S> {
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

impl<S: AsyncRead> AsyncBufRead for BufStream<S> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.project().inner.poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amount: usize) {
        self.project().inner.consume(amount)
    }
}

impl<S: AsyncWrite> AsyncWrite for BufStream<S> {
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
