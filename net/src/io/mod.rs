//! Runtime-neutral async I/O: the `futures-io` traits, and what the trait crates leave
//! out — extension methods, [`copy`], [`BufReader`], [`BufWriter`].
//!
//! Every wakeful stream type (`TcpStream`, `UnixStream` and their halves) implements
//! [`AsyncRead`] and [`AsyncWrite`], so generic code works over all of them and over
//! other runtimes' types alike. With the `tokio-io` feature they also implement tokio's
//! `AsyncRead` / `AsyncWrite`, for libraries written against those.
//!
//! ```
//! use wakeful::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use wakeful::net::UnixStream;
//!
//! wakeful::block_on(async {
//!     let (mut a, b) = UnixStream::pair()?;
//!     AsyncWriteExt::write_all(&mut a, b"first line\nsecond line\n").await?;
//!     let mut lines = BufReader::new(b);
//!     let mut line = String::new();
//!     lines.read_line(&mut line).await?;
//!     assert_eq!(line, "first line\n");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

#[cfg(any(feature = "futures-io", feature = "tokio-io"))]
mod impls;
pub(crate) mod loops;

#[cfg(feature = "futures-io")]
mod buf_reader;
#[cfg(feature = "futures-io")]
mod buf_writer;
#[cfg(feature = "futures-io")]
mod ext;

#[cfg(feature = "futures-io")]
pub use buf_reader::BufReader;
#[cfg(feature = "futures-io")]
pub use buf_writer::BufWriter;
#[cfg(feature = "futures-io")]
pub use ext::{copy, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
#[cfg(feature = "futures-io")]
pub use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
pub use std::io::{Error, ErrorKind, Result};

/// The default buffer size of [`BufReader`], [`BufWriter`] and [`copy`].
#[cfg(feature = "futures-io")]
const DEFAULT_BUF_SIZE: usize = 8 * 1024;
