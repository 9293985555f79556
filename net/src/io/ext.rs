//! Extension methods on the `futures-io` traits, and [`copy`].

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::Poll;

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

use super::loops;

/// Async methods for every [`AsyncRead`].
///
/// ```
/// use wakeful::io::{AsyncReadExt, AsyncWriteExt};
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     AsyncWriteExt::write_all(&mut a, b"generic").await?;
///     AsyncWriteExt::close(&mut a).await?;
///     let mut text = String::new();
///     AsyncReadExt::read_to_string(&mut b, &mut text).await?;
///     assert_eq!(text, "generic");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Reads some bytes; `Ok(0)` at end of stream. Cancel-safe for wakeful's streams
    /// (nothing is read unless it returns).
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        poll_fn(move |cx| Pin::new(&mut *self).poll_read(cx, buf))
    }

    /// Reads exactly `buf.len()` bytes, or fails with `UnexpectedEof`. Not
    /// cancel-safe: dropped midway, the bytes read so far are lost.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<()>> + 'a
    where
        Self: Unpin,
    {
        let mut filled = 0;
        poll_fn(move |cx| {
            loops::poll_read_exact(cx, buf, &mut filled, |cx, rest| Pin::new(&mut *self).poll_read(cx, rest))
        })
    }

    /// Reads to end of stream, appending to `buf`; returns the bytes read. Cancel-safe
    /// in that nothing is lost: dropped midway, `buf` holds what was read.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        let start = buf.len();
        let mut chunk = [0u8; super::DEFAULT_BUF_SIZE];
        poll_fn(move |cx| {
            loops::poll_read_to_end(cx, buf, &mut chunk, |cx, chunk| {
                Pin::new(&mut *self).poll_read(cx, chunk)
            })
            .map_ok(|()| buf.len() - start)
        })
    }

    /// Reads to end of stream as UTF-8, appending to `buf`; `InvalidData` (and `buf`
    /// unchanged) if the bytes are not UTF-8. Not cancel-safe: dropped midway, what
    /// was read is lost.
    fn read_to_string<'a>(&'a mut self, buf: &'a mut String) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        async move {
            let mut bytes = Vec::new();
            AsyncReadExt::read_to_end(self, &mut bytes).await?;
            append_utf8(buf, bytes)
        }
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// Async methods for every [`AsyncWrite`].
///
/// ```
/// use wakeful::io::{AsyncWrite, AsyncWriteExt};
///
/// /// Works on any writer: a wakeful socket, a buffer, another runtime's type.
/// async fn greet(out: &mut (impl AsyncWrite + Unpin)) -> std::io::Result<()> {
///     out.write_all(b"hello\n").await?;
///     out.flush().await
/// }
///
/// wakeful::block_on(async {
///     let (mut a, mut b) = wakeful::net::UnixStream::pair()?;
///     greet(&mut a).await?;
///     let mut buf = [0; 6];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hello\n");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf`. Cancel-safe for wakeful's streams (nothing is written
    /// unless it returns).
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        poll_fn(move |cx| Pin::new(&mut *self).poll_write(cx, buf))
    }

    /// Writes all of `buf`; `WriteZero` if the writer accepts no more. Not
    /// cancel-safe: dropped midway, an unknown prefix of `buf` was written.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a
    where
        Self: Unpin,
    {
        let mut written = 0;
        poll_fn(move |cx| {
            loops::poll_write_all(cx, buf, &mut written, |cx, rest| Pin::new(&mut *self).poll_write(cx, rest))
        })
    }

    /// Flushes buffered data. Cancel-safe: what is not flushed stays buffered.
    fn flush(&mut self) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        poll_fn(move |cx| Pin::new(&mut *self).poll_flush(cx))
    }

    /// Flushes, then closes the writing side (a socket's peer reads end of stream).
    /// Cancel-safe: call it again to finish.
    fn close(&mut self) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        poll_fn(move |cx| Pin::new(&mut *self).poll_close(cx))
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}

/// Async methods for every [`AsyncBufRead`].
///
/// ```
/// use wakeful::io::{AsyncBufReadExt, BufReader};
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut a, b) = UnixStream::pair()?;
///     a.write_all(b"key=value;").await?;
///     let mut reader = BufReader::new(b);
///     let mut key = Vec::new();
///     reader.read_until(b'=', &mut key).await?;
///     assert_eq!(key, b"key=");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Reads up to and including `delimiter` (or end of stream), appending to `buf`;
    /// returns the bytes read, 0 at end of stream. Nothing is lost if it is dropped
    /// midway: `buf` holds what was consumed.
    fn read_until<'a>(
        &'a mut self,
        delimiter: u8,
        buf: &'a mut Vec<u8>,
    ) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        let mut read = 0;
        poll_fn(move |cx| loop {
            let available = match Pin::new(&mut *self).poll_fill_buf(cx) {
                Poll::Ready(Ok(available)) => available,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            let (done, used) = match available.iter().position(|&b| b == delimiter) {
                Some(i) => (true, i + 1),
                None => (available.is_empty(), available.len()),
            };
            buf.extend_from_slice(&available[..used]);
            Pin::new(&mut *self).consume(used);
            read += used;
            if done {
                return Poll::Ready(Ok(read));
            }
        })
    }

    /// Reads a line (through `\n`, kept) as UTF-8, appending to `buf`; returns the
    /// bytes read, 0 at end of stream. `InvalidData` (and `buf` unchanged) if the line
    /// is not UTF-8. Not cancel-safe: dropped midway, the part of the line read is
    /// lost.
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        async move {
            let mut bytes = Vec::new();
            self.read_until(b'\n', &mut bytes).await?;
            append_utf8(buf, bytes)
        }
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

fn append_utf8(buf: &mut String, bytes: Vec<u8>) -> io::Result<usize> {
    let text = String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    buf.push_str(&text);
    Ok(text.len())
}

/// Copies everything from `reader` to `writer` until end of stream, then flushes;
/// returns the bytes copied. Not cancel-safe: dropped midway, bytes read but not yet
/// written are lost.
///
/// ```
/// use wakeful::io::{copy, AsyncWriteExt};
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut source, from) = UnixStream::pair()?;
///     let (mut to, mut sink) = UnixStream::pair()?;
///     AsyncWriteExt::write_all(&mut source, &[1; 100_000]).await?;
///     drop(source);
///     let mut from = from;
///     let copied = wakeful::spawn(async move { copy(&mut from, &mut to).await });
///     let mut received = Vec::new();
///     sink.read_to_end(&mut received).await?;
///     assert_eq!(copied.await??, 100_000);
///     assert_eq!(received.len(), 100_000);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; super::DEFAULT_BUF_SIZE];
    let mut copied = 0u64;
    loop {
        let n = AsyncReadExt::read(reader, &mut buf).await?;
        if n == 0 {
            AsyncWriteExt::flush(writer).await?;
            return Ok(copied);
        }
        AsyncWriteExt::write_all(writer, &buf[..n]).await?;
        copied += n as u64;
    }
}
