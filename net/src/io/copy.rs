//! [`copy`], [`copy_buf`] and [`copy_bidirectional`]: one reader into one writer, or
//! two streams into each other, as tokio's.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

use super::loops;

/// Copies everything from `reader` to `writer` until end of stream, then flushes;
/// returns the bytes copied. Whenever the reader has nothing ready, what was written
/// is flushed first, so a buffered writer never holds data while the copy waits.
/// Not cancel-safe: dropped midway, bytes read but not yet written are lost.
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
    let mut buffer = CopyBuffer::new();
    poll_fn(|cx| buffer.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer))).await
}

/// Copies everything from a buffered `reader` to `writer` through the reader's own
/// buffer, until end of stream, then flushes; returns the bytes copied. Flushes
/// whenever the reader has nothing ready, as [`copy`]. Cancel-safe in that nothing
/// is lost: the reader's buffer keeps what was not written.
///
/// ```
/// use wakeful::io::{copy_buf, BufReader};
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut source, from) = UnixStream::pair()?;
///     let (mut to, mut sink) = UnixStream::pair()?;
///     source.write_all(b"through the reader's buffer").await?;
///     drop(source);
///     assert_eq!(copy_buf(&mut BufReader::new(from), &mut to).await?, 27);
///     drop(to);
///     let mut received = Vec::new();
///     sink.read_to_end(&mut received).await?;
///     assert_eq!(received, b"through the reader's buffer");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn copy_buf<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut copied = 0u64;
    let mut need_flush = false;
    poll_fn(|cx| loop {
        let available = match Pin::new(&mut *reader).poll_fill_buf(cx) {
            Poll::Ready(available) => available?,
            Poll::Pending => {
                if need_flush {
                    ready!(Pin::new(&mut *writer).poll_flush(cx))?;
                    need_flush = false;
                }
                return Poll::Pending;
            }
        };
        if available.is_empty() {
            ready!(Pin::new(&mut *writer).poll_flush(cx))?;
            return Poll::Ready(Ok(copied));
        }
        let n = ready!(Pin::new(&mut *writer).poll_write(cx, available))?;
        if n == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the writer accepted no bytes",
            )));
        }
        Pin::new(&mut *reader).consume(n);
        copied += n as u64;
        need_flush = true;
    })
    .await
}

/// Copies `a` into `b` and `b` into `a` at once, until both reach end of stream;
/// returns the bytes copied `(a to b, b to a)`. When one side's reader ends, the
/// other side's writer is flushed and closed (`poll_close`, tokio's `poll_shutdown`),
/// so its peer reads end of stream, while the other direction carries on. The first
/// error from either direction ends both and is returned.
///
/// Not cancel-safe: dropped midway, bytes read but not yet written are lost.
///
/// ```
/// use wakeful::io::{copy_bidirectional, AsyncReadExt, AsyncWriteExt};
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut client, mut proxy_a) = UnixStream::pair()?;
///     let (mut proxy_b, mut server) = UnixStream::pair()?;
///     let proxy = wakeful::spawn(async move { copy_bidirectional(&mut proxy_a, &mut proxy_b).await });
///     client.write_all(b"ping").await?;
///     AsyncWriteExt::close(&mut client).await?;
///     let mut request = Vec::new();
///     server.read_to_end(&mut request).await?;
///     server.write_all(b"pong!").await?;
///     drop(server);
///     let mut reply = Vec::new();
///     client.read_to_end(&mut reply).await?;
///     assert_eq!((request.as_slice(), reply.as_slice()), (&b"ping"[..], &b"pong!"[..]));
///     assert_eq!(proxy.await??, (4, 5));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = Direction::Copying(CopyBuffer::new());
    let mut b_to_a = Direction::Copying(CopyBuffer::new());
    poll_fn(|cx| {
        // Poll both every time: each direction's progress is its own state.
        let a_to_b = a_to_b.poll(cx, &mut *a, &mut *b)?;
        let b_to_a = b_to_a.poll(cx, &mut *b, &mut *a)?;
        let (Poll::Ready(a_to_b), Poll::Ready(b_to_a)) = (a_to_b, b_to_a) else {
            return Poll::Pending;
        };
        Poll::Ready(Ok((a_to_b, b_to_a)))
    })
    .await
}

/// One direction of [`copy_bidirectional`].
enum Direction {
    Copying(CopyBuffer),
    /// The reader ended after this many bytes: closing the writer.
    Closing(u64),
    Done(u64),
}

impl Direction {
    fn poll<R, W>(&mut self, cx: &mut Context<'_>, reader: &mut R, writer: &mut W) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + Unpin + ?Sized,
        W: AsyncWrite + Unpin + ?Sized,
    {
        loop {
            match self {
                Direction::Copying(buffer) => {
                    let copied =
                        ready!(buffer.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer)))?;
                    *self = Direction::Closing(copied);
                }
                Direction::Closing(copied) => {
                    ready!(Pin::new(&mut *writer).poll_close(cx))?;
                    *self = Direction::Done(*copied);
                }
                Direction::Done(copied) => return Poll::Ready(Ok(*copied)),
            }
        }
    }
}

/// The state of a copy between polls: the chunk read and how much of it is written.
struct CopyBuffer {
    buf: Box<[u8]>,
    /// `buf[written..filled]` is read and not yet written.
    written: usize,
    filled: usize,
    copied: u64,
    read_done: bool,
    /// Bytes went to the writer since its last flush.
    need_flush: bool,
}

impl CopyBuffer {
    fn new() -> CopyBuffer {
        CopyBuffer {
            buf: vec![0; super::DEFAULT_BUF_SIZE].into_boxed_slice(),
            written: 0,
            filled: 0,
            copied: 0,
            read_done: false,
            need_flush: false,
        }
    }

    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            // ① Nothing left to write: read the next chunk.
            if self.written == self.filled && !self.read_done {
                match reader.as_mut().poll_read(cx, &mut self.buf) {
                    Poll::Ready(Ok(0)) => self.read_done = true,
                    Poll::Ready(Ok(n)) => {
                        self.written = 0;
                        self.filled = n.min(self.buf.len());
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        // ② The reader waits: what was written must not wait in a
                        // buffered writer meanwhile.
                        if self.need_flush {
                            ready!(writer.as_mut().poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
            }
            // ③ Write the chunk out; progress stays in `written` across `Pending`.
            if self.written < self.filled {
                let before = self.written;
                let result =
                    loops::poll_write_all(cx, &self.buf[..self.filled], &mut self.written, |cx, rest| {
                        writer.as_mut().poll_write(cx, rest)
                    });
                self.copied += (self.written - before) as u64;
                self.need_flush |= self.written > before;
                ready!(result)?;
            }
            // ④ End of stream and everything written: flush, done.
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.copied));
            }
        }
    }
}
