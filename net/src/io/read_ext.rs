//! [`AsyncReadExt`]: async methods for every `futures-io` reader, with tokio's names.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::AsyncRead;

use super::loops;

/// What [`read_buf`](AsyncReadExt::read_buf) reserves when the vector is full (as
/// tokio does for a `Vec<u8>`): the vector's own doubling does the rest.
const READ_BUF_RESERVE: usize = 64;

/// The most [`read_buf`](AsyncReadExt::read_buf) reads in one call: the spare capacity
/// it reads into must be zeroed first (a `&mut [u8]` may not point at uninitialized
/// memory), so a huge spare capacity is not zeroed on every poll.
const READ_BUF_MAX: usize = 64 * 1024;

/// Declares the typed reads: `$be` reads big-endian (tokio's default names), `$le`
/// little-endian.
macro_rules! read_numbers {
    ($($be:ident $le:ident: $ty:ty;)*) => {$(
        #[doc = concat!("Reads a big-endian `", stringify!($ty), "`; `UnexpectedEof` if the stream ")]
        #[doc = "ends first. Not cancel-safe: dropped midway, the bytes read so far are lost."]
        fn $be(&mut self) -> impl Future<Output = io::Result<$ty>> + '_
        where
            Self: Unpin,
        {
            read_array(self, <$ty>::from_be_bytes)
        }

        #[doc = concat!("Reads a little-endian `", stringify!($ty), "`; `UnexpectedEof` if the stream ")]
        #[doc = "ends first. Not cancel-safe: dropped midway, the bytes read so far are lost."]
        fn $le(&mut self) -> impl Future<Output = io::Result<$ty>> + '_
        where
            Self: Unpin,
        {
            read_array(self, <$ty>::from_le_bytes)
        }
    )*};
}

/// Async methods for every [`AsyncRead`], named and behaving as tokio's
/// `AsyncReadExt` (the [module docs](super) list the differences).
///
/// ```
/// use wakeful::io::{AsyncReadExt, AsyncWriteExt};
/// use wakeful::net::UnixStream;
///
/// wakeful::block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     AsyncWriteExt::write_u16(&mut a, 0x0102).await?;
///     AsyncWriteExt::write_all(&mut a, b"generic").await?;
///     AsyncWriteExt::close(&mut a).await?;
///     assert_eq!(b.read_u16().await?, 0x0102);
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

    /// Reads some bytes into the spare capacity of `buf` and appends them, reserving
    /// room first if `buf` is full; returns the bytes read, `Ok(0)` at end of stream.
    ///
    /// tokio's takes any `bytes::BufMut`; wakeful has no `bytes` dependency, so this
    /// takes a `Vec<u8>`, and reads at most 64 KiB per call (the spare capacity is
    /// zeroed before each read). Cancel-safe: dropped before it returns, `buf` is
    /// unchanged and nothing was read.
    fn read_buf<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        poll_fn(move |cx| poll_read_buf(Pin::new(&mut *self), cx, buf))
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

    /// Reads a `u8`; `UnexpectedEof` at end of stream. Cancel-safe: a single byte is
    /// read whole or not at all.
    fn read_u8(&mut self) -> impl Future<Output = io::Result<u8>> + '_
    where
        Self: Unpin,
    {
        read_array(self, u8::from_be_bytes)
    }

    /// Reads an `i8`; `UnexpectedEof` at end of stream. Cancel-safe: a single byte is
    /// read whole or not at all.
    fn read_i8(&mut self) -> impl Future<Output = io::Result<i8>> + '_
    where
        Self: Unpin,
    {
        read_array(self, i8::from_be_bytes)
    }

    read_numbers! {
        read_u16 read_u16_le: u16;
        read_i16 read_i16_le: i16;
        read_u32 read_u32_le: u32;
        read_i32 read_i32_le: i32;
        read_u64 read_u64_le: u64;
        read_i64 read_i64_le: i64;
        read_u128 read_u128_le: u128;
        read_i128 read_i128_le: i128;
        read_f32 read_f32_le: f32;
        read_f64 read_f64_le: f64;
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// Reads exactly `N` bytes and converts them: the typed reads.
fn read_array<R, T, const N: usize>(
    reader: &mut R,
    convert: fn([u8; N]) -> T,
) -> impl Future<Output = io::Result<T>> + '_
where
    R: AsyncRead + Unpin + ?Sized,
    T: 'static,
{
    let mut bytes = [0u8; N];
    let mut filled = 0;
    poll_fn(move |cx| {
        ready!(loops::poll_read_exact(cx, &mut bytes, &mut filled, |cx, rest| Pin::new(&mut *reader)
            .poll_read(cx, rest)))?;
        Poll::Ready(Ok(convert(bytes)))
    })
}

/// One read into the spare capacity of `buf` (see `read_buf`).
fn poll_read_buf<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
) -> Poll<io::Result<usize>> {
    if buf.len() == buf.capacity() {
        buf.reserve(READ_BUF_RESERVE);
    }
    let start = buf.len();
    let spare = (buf.capacity() - start).min(READ_BUF_MAX);
    buf.resize(start + spare, 0);
    // Whatever happens below (Pending, an error, a panic in the reader), `buf` ends
    // with exactly the bytes it had plus those read.
    let mut filling = Filling { buf, len: start };
    let n = ready!(reader.poll_read(cx, &mut filling.buf[start..]))?;
    if n > spare {
        let message = format!("the reader reported {n} bytes read into a buffer of {spare}");
        return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, message)));
    }
    filling.len = start + n;
    Poll::Ready(Ok(n))
}

/// Truncates a vector to `len` when dropped.
struct Filling<'a> {
    buf: &'a mut Vec<u8>,
    len: usize,
}

impl Drop for Filling<'_> {
    fn drop(&mut self) {
        self.buf.truncate(self.len);
    }
}

/// Appends `bytes` to `buf` if they are UTF-8; otherwise `InvalidData` and `buf`
/// unchanged. Returns the bytes appended.
pub(super) fn append_utf8(buf: &mut String, bytes: Vec<u8>) -> io::Result<usize> {
    let text = String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    buf.push_str(&text);
    Ok(text.len())
}
