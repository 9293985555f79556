//! [`AsyncWriteExt`]: async methods for every `futures-io` writer, with tokio's names.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;

use futures_io::AsyncWrite;

use super::loops;

/// Declares the typed writes: `$be` writes big-endian (tokio's default names), `$le`
/// little-endian.
macro_rules! write_numbers {
    ($($be:ident $le:ident: $ty:ty;)*) => {$(
        #[doc = concat!("Writes a big-endian `", stringify!($ty), "`. Not cancel-safe: dropped ")]
        #[doc = "midway, an unknown prefix of its bytes was written."]
        fn $be(&mut self, n: $ty) -> impl Future<Output = io::Result<()>> + '_
        where
            Self: Unpin,
        {
            write_array(self, n.to_be_bytes())
        }

        #[doc = concat!("Writes a little-endian `", stringify!($ty), "`. Not cancel-safe: dropped ")]
        #[doc = "midway, an unknown prefix of its bytes was written."]
        fn $le(&mut self, n: $ty) -> impl Future<Output = io::Result<()>> + '_
        where
            Self: Unpin,
        {
            write_array(self, n.to_le_bytes())
        }
    )*};
}

/// Async methods for every [`AsyncWrite`], named and behaving as tokio's
/// `AsyncWriteExt` (the [module docs](super) list the differences).
///
/// ```
/// use wakeful::io::{AsyncWrite, AsyncWriteExt};
///
/// /// Works on any writer: a wakeful socket, a buffer, another runtime's type.
/// async fn greet(out: &mut (impl AsyncWrite + Unpin)) -> std::io::Result<()> {
///     out.write_u32_le(6).await?;
///     out.write_all(b"hello\n").await?;
///     out.flush().await
/// }
///
/// wakeful::block_on(async {
///     let (mut a, mut b) = wakeful::net::UnixStream::pair()?;
///     greet(&mut a).await?;
///     let mut buf = [0; 10];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"\x06\0\0\0hello\n");
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

    /// Writes all of `*buf`, advancing the slice past each byte written; `WriteZero`
    /// if the writer accepts no more.
    ///
    /// tokio's takes any `bytes::Buf`; wakeful has no `bytes` dependency, so this
    /// takes a `&[u8]` to advance. Cancel-safe in tokio's sense: dropped midway,
    /// `*buf` is exactly what was not written, and calling again continues.
    fn write_all_buf<'a>(&'a mut self, buf: &'a mut &[u8]) -> impl Future<Output = io::Result<()>> + 'a
    where
        Self: Unpin,
    {
        poll_fn(move |cx| {
            let mut written = 0;
            let data: &[u8] = buf;
            let result = loops::poll_write_all(cx, data, &mut written, |cx, rest| {
                Pin::new(&mut *self).poll_write(cx, rest)
            });
            // Progress lives in the caller's slice, not in this future.
            *buf = &data[written..];
            result
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

    /// tokio's name for [`close`](AsyncWriteExt::close): flushes, then shuts down the
    /// writing side. Cancel-safe: call it again to finish.
    fn shutdown(&mut self) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        poll_fn(move |cx| Pin::new(&mut *self).poll_close(cx))
    }

    /// Writes a `u8`. Cancel-safe: a single byte is written whole or not at all.
    fn write_u8(&mut self, n: u8) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        write_array(self, [n])
    }

    /// Writes an `i8`. Cancel-safe: a single byte is written whole or not at all.
    fn write_i8(&mut self, n: i8) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        write_array(self, n.to_be_bytes())
    }

    write_numbers! {
        write_u16 write_u16_le: u16;
        write_i16 write_i16_le: i16;
        write_u32 write_u32_le: u32;
        write_i32 write_i32_le: i32;
        write_u64 write_u64_le: u64;
        write_i64 write_i64_le: i64;
        write_u128 write_u128_le: u128;
        write_i128 write_i128_le: i128;
        write_f32 write_f32_le: f32;
        write_f64 write_f64_le: f64;
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}

/// Writes all of `bytes`, held in the future: the typed writes.
fn write_array<W, const N: usize>(writer: &mut W, bytes: [u8; N]) -> impl Future<Output = io::Result<()>> + '_
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut written = 0;
    poll_fn(move |cx| {
        loops::poll_write_all(cx, &bytes, &mut written, |cx, rest| {
            Pin::new(&mut *writer).poll_write(cx, rest)
        })
    })
}
