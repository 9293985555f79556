//! The loops over partial reads and writes — `read_exact`, `read_to_end`, `write_all` —
//! written once, over any poll function: the streams' inherent methods run them on
//! their sockets, the extension traits on any `AsyncRead` / `AsyncWrite`, and
//! `BufWriter` to flush its buffer.
//!
//! Each keeps its progress in a place the caller owns (`filled`, `written`), so a
//! caller that polls again after `Pending` resumes where it stopped.

use std::io;
use std::task::{ready, Context, Poll};

/// Reads until `buf[*filled..]` is full; `UnexpectedEof` if the reader ends first.
pub(crate) fn poll_read_exact(
    cx: &mut Context<'_>,
    buf: &mut [u8],
    filled: &mut usize,
    mut read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    while *filled < buf.len() {
        match ready!(read(cx, &mut buf[*filled..]))? {
            0 => {
                let message = format!("stream ended after {filled} of {} bytes", buf.len());
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::UnexpectedEof, message)));
            }
            n => *filled += n,
        }
    }
    Poll::Ready(Ok(()))
}

/// Reads until end of stream through `chunk`, appending to `buf`: if the caller stops
/// polling, `buf` holds exactly the bytes read so far.
pub(crate) fn poll_read_to_end(
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
    chunk: &mut [u8],
    mut read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    loop {
        match ready!(read(cx, chunk))? {
            0 => return Poll::Ready(Ok(())),
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Writes `buf[*written..]`; `WriteZero` if the writer accepts no more.
pub(crate) fn poll_write_all(
    cx: &mut Context<'_>,
    buf: &[u8],
    written: &mut usize,
    mut write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    while *written < buf.len() {
        match ready!(write(cx, &buf[*written..]))? {
            0 => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the writer accepted no bytes",
                )))
            }
            n => *written += n,
        }
    }
    Poll::Ready(Ok(()))
}
