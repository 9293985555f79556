//! [`AsyncBufReadExt`]: async methods for every `futures-io` buffered reader, with
//! tokio's names.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncBufRead;

use super::read_ext::append_utf8;
use super::{Lines, Split};

/// Async methods for every [`AsyncBufRead`], named and behaving as tokio's
/// `AsyncBufReadExt` (the [module docs](super) list the differences).
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
    /// returns the bytes read, 0 at end of stream. Cancel-safe: dropped midway, `buf`
    /// holds what was consumed, and calling again continues.
    fn read_until<'a>(
        &'a mut self,
        delimiter: u8,
        buf: &'a mut Vec<u8>,
    ) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        let start = buf.len();
        poll_fn(move |cx| {
            ready!(poll_read_until(Pin::new(&mut *self), cx, delimiter, buf))?;
            Poll::Ready(Ok(buf.len() - start))
        })
    }

    /// Reads a line (through `\n`, kept) as UTF-8, appending to `buf`; returns the
    /// bytes read, 0 at end of stream. `InvalidData` (and `buf` unchanged, the line
    /// consumed) if the line is not UTF-8, as tokio's. Not cancel-safe: dropped
    /// midway, the part of the line read is lost (`buf` is unchanged; tokio leaves it
    /// unspecified).
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

    /// The lines of this reader, without their `\n` or `\r\n`: see [`Lines`].
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines::new(self)
    }

    /// The segments of this reader separated by `delimiter` (not kept): see [`Split`].
    fn split(self, delimiter: u8) -> Split<Self>
    where
        Self: Sized,
    {
        Split::new(self, delimiter)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

/// Appends to `buf` through the first `delimiter` (kept) or to end of stream. Each
/// consumed byte is in `buf` before anything else can fail, so polling again after
/// `Pending` continues where it stopped.
pub(super) fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    delimiter: u8,
    buf: &mut Vec<u8>,
) -> Poll<io::Result<()>> {
    loop {
        let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
        let (done, used) = match available.iter().position(|&b| b == delimiter) {
            Some(i) => (true, i + 1),
            None => (available.is_empty(), available.len()),
        };
        buf.extend_from_slice(&available[..used]);
        reader.as_mut().consume(used);
        if done {
            return Poll::Ready(Ok(()));
        }
    }
}
