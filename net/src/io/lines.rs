//! [`Lines`] and [`Split`]: a buffered reader as a sequence of lines or segments.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_io::AsyncBufRead;
use pin_project_lite::pin_project;

use super::buf_read_ext::poll_read_until;

pin_project! {
    /// The lines of a reader, from [`AsyncBufReadExt::lines`](super::AsyncBufReadExt::lines):
    /// each without its `\n` or `\r\n`; the last line may lack one.
    ///
    /// [`next_line`](Lines::next_line) is cancel-safe: a partly read line stays inside
    /// `Lines` until the next call completes it. A line that is not UTF-8 is consumed
    /// and reported as `InvalidData`; the next call reads the next line. Also a
    /// [`Stream`] of `io::Result<String>` (tokio needs `tokio_stream`'s `LinesStream`
    /// for that).
    ///
    /// ```
    /// use wakeful::io::{AsyncBufReadExt, BufReader};
    /// use wakeful::net::UnixStream;
    ///
    /// wakeful::block_on(async {
    ///     let (mut a, b) = UnixStream::pair()?;
    ///     a.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await?;
    ///     drop(a);
    ///     let mut lines = BufReader::new(b).lines();
    ///     assert_eq!(lines.next_line().await?.as_deref(), Some("GET / HTTP/1.1"));
    ///     assert_eq!(lines.next_line().await?.as_deref(), Some("Host: x"));
    ///     assert_eq!(lines.next_line().await?, None);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[derive(Debug)]
    pub struct Lines<R> {
        #[pin]
        reader: R,
        // The line read so far: kept here so that a dropped `next_line` loses nothing.
        buf: Vec<u8>,
    }
}

pin_project! {
    /// The segments of a reader separated by a delimiter byte, from
    /// [`AsyncBufReadExt::split`](super::AsyncBufReadExt::split): each without the
    /// delimiter; the last may lack one.
    ///
    /// [`next_segment`](Split::next_segment) is cancel-safe: a partly read segment
    /// stays inside `Split` until the next call completes it. Also a [`Stream`] of
    /// `io::Result<Vec<u8>>` (tokio's is not).
    ///
    /// ```
    /// use wakeful::io::{AsyncBufReadExt, BufReader};
    /// use wakeful::net::UnixStream;
    ///
    /// wakeful::block_on(async {
    ///     let (mut a, b) = UnixStream::pair()?;
    ///     a.write_all(b"a\0bc\0").await?;
    ///     drop(a);
    ///     let mut fields = BufReader::new(b).split(0);
    ///     assert_eq!(fields.next_segment().await?, Some(b"a".to_vec()));
    ///     assert_eq!(fields.next_segment().await?, Some(b"bc".to_vec()));
    ///     assert_eq!(fields.next_segment().await?, None);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[derive(Debug)]
    pub struct Split<R> {
        #[pin]
        reader: R,
        delimiter: u8,
        // The segment read so far: kept here so that a dropped `next_segment` loses nothing.
        buf: Vec<u8>,
    }
}

/// `get_ref`, `get_mut`, `get_pin_mut` and `into_inner`, the same on both.
macro_rules! accessors {
    ($ty:ident) => {
        impl<R> $ty<R> {
            /// The wrapped reader.
            pub fn get_ref(&self) -> &R {
                &self.reader
            }

            /// The wrapped reader, mutably (reading from it directly skips what is
            /// already taken into a partial item).
            pub fn get_mut(&mut self) -> &mut R {
                &mut self.reader
            }

            /// The wrapped reader, pinned.
            pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
                self.project().reader
            }

            /// The wrapped reader; a partly read item is lost.
            pub fn into_inner(self) -> R {
                self.reader
            }
        }
    };
}

accessors!(Lines);
accessors!(Split);

impl<R: AsyncBufRead> Lines<R> {
    pub(super) fn new(reader: R) -> Lines<R> {
        Lines { reader, buf: Vec::new() }
    }

    /// The next line, `None` at end of stream. Cancel-safe.
    pub async fn next_line(&mut self) -> io::Result<Option<String>>
    where
        R: Unpin,
    {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next_line(cx)).await
    }

    /// Polls for the next line, `None` at end of stream.
    pub fn poll_next_line(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Option<String>>> {
        let this = self.project();
        ready!(poll_read_until(this.reader, cx, b'\n', this.buf))?;
        if this.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        // Take the line out first, so that an error below leaves nothing behind.
        let mut line = std::mem::take(this.buf);
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        match String::from_utf8(line) {
            Ok(line) => Poll::Ready(Ok(Some(line))),
            Err(e) => Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e))),
        }
    }
}

impl<R: AsyncBufRead> Stream for Lines<R> {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_next_line(cx).map(Result::transpose)
    }
}

impl<R: AsyncBufRead> Split<R> {
    pub(super) fn new(reader: R, delimiter: u8) -> Split<R> {
        Split { reader, delimiter, buf: Vec::new() }
    }

    /// The next segment, `None` at end of stream. Cancel-safe.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>>
    where
        R: Unpin,
    {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next_segment(cx)).await
    }

    /// Polls for the next segment, `None` at end of stream.
    pub fn poll_next_segment(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        let this = self.project();
        ready!(poll_read_until(this.reader, cx, *this.delimiter, this.buf))?;
        if this.buf.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut segment = std::mem::take(this.buf);
        if segment.last() == Some(this.delimiter) {
            segment.pop();
        }
        Poll::Ready(Ok(Some(segment)))
    }
}

impl<R: AsyncBufRead> Stream for Split<R> {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_next_segment(cx).map(Result::transpose)
    }
}
