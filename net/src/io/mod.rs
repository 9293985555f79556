//! Runtime-neutral async I/O: the `futures-io` traits, and what the trait crates leave
//! out — tokio's extension methods ([`AsyncReadExt`], [`AsyncWriteExt`],
//! [`AsyncBufReadExt`]), [`copy()`], [`copy_buf`], [`copy_bidirectional`], [`BufReader`],
//! [`BufWriter`], [`BufStream`], [`Lines`] and [`Split`].
//!
//! Every wakeful stream type (`TcpStream`, `UnixStream` and their halves) implements
//! [`AsyncRead`] and [`AsyncWrite`], so generic code works over all of them and over
//! other runtimes' types alike. With the `tokio-io` feature they also implement tokio's
//! `AsyncRead` / `AsyncWrite`, for libraries written against those.
//!
//! ```
//! use wakeful::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
//! use wakeful::net::UnixStream;
//!
//! wakeful::block_on(async {
//!     let (a, b) = UnixStream::pair()?;
//!     let mut out = BufWriter::new(a);
//!     out.write_u32(5).await?; // a length prefix, big-endian as tokio's
//!     out.write_all(b"hello").await?;
//!     out.write_all(b"first line\nsecond line\n").await?;
//!     out.flush().await?;
//!     let mut input = BufReader::new(b);
//!     let len = input.read_u32().await?;
//!     let mut body = vec![0; len as usize];
//!     AsyncReadExt::read_exact(&mut input, &mut body).await?;
//!     assert_eq!(body, b"hello");
//!     let mut lines = input.lines();
//!     assert_eq!(lines.next_line().await?.as_deref(), Some("first line"));
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Cancel safety
//!
//! Each async method says whether it is cancel-safe, that is whether dropping it
//! before it completes (a losing `select!` branch, a timeout) loses data. As in
//! tokio: `read`, `read_buf`, `read_u8`, `write`, `write_u8`, `write_all_buf`,
//! `flush`, `read_until`, `Lines::next_line`, `Split::next_segment` are; the
//! multi-byte typed reads and writes, `read_exact`, `write_all`, `read_line`,
//! `read_to_string`, `copy` and `copy_bidirectional` are not.
//!
//! # Differences from tokio
//!
//! - The traits are `futures-io`'s: a reader fills a `&mut [u8]` (no `ReadBuf`), a
//!   writer's `poll_close` is tokio's `poll_shutdown`; [`AsyncWriteExt::shutdown`] and
//!   [`AsyncWriteExt::close`] are the same method.
//! - No `bytes` dependency: [`read_buf`](AsyncReadExt::read_buf) appends to a
//!   `Vec<u8>` (at most 64 KiB per call) and
//!   [`write_all_buf`](AsyncWriteExt::write_all_buf) advances a `&[u8]`, where tokio's
//!   take `BufMut` / `Buf`.
//! - [`Lines`] and [`Split`] implement `Stream` themselves (tokio needs
//!   `tokio_stream`'s wrappers).
//! - `read_line` dropped midway leaves its `String` unchanged (tokio's leaves it
//!   unspecified); in both, the part of the line read is lost.
//! - Not here: `AsyncSeek` and its extensions, `take`, `chain`, `duplex`, `split` of a
//!   stream into halves (the stream types have `split` / `into_split`), and the
//!   `copy_bidirectional_with_sizes` variant.

#[cfg(any(feature = "futures-io", feature = "tokio-io"))]
mod impls;
pub(crate) mod loops;

#[cfg(feature = "futures-io")]
mod buf_read_ext;
#[cfg(feature = "futures-io")]
mod buf_reader;
#[cfg(feature = "futures-io")]
mod buf_stream;
#[cfg(feature = "futures-io")]
mod buf_writer;
#[cfg(feature = "futures-io")]
mod copy;
#[cfg(feature = "futures-io")]
mod lines;
#[cfg(feature = "futures-io")]
mod read_ext;
#[cfg(feature = "futures-io")]
mod write_ext;

#[cfg(feature = "futures-io")]
pub use buf_read_ext::AsyncBufReadExt;
#[cfg(feature = "futures-io")]
pub use buf_reader::BufReader;
#[cfg(feature = "futures-io")]
pub use buf_stream::BufStream;
#[cfg(feature = "futures-io")]
pub use buf_writer::BufWriter;
#[cfg(feature = "futures-io")]
pub use copy::{copy, copy_bidirectional, copy_buf};
#[cfg(feature = "futures-io")]
pub use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
#[cfg(feature = "futures-io")]
pub use lines::{Lines, Split};
#[cfg(feature = "futures-io")]
pub use read_ext::AsyncReadExt;
pub use std::io::{Error, ErrorKind, Result};
#[cfg(feature = "futures-io")]
pub use write_ext::AsyncWriteExt;

/// The default buffer size of [`BufReader`], [`BufWriter`] and [`copy()`].
#[cfg(feature = "futures-io")]
const DEFAULT_BUF_SIZE: usize = 8 * 1024;
