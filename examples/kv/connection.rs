//! One client's connection: requests read into a buffer and parsed from it, replies
//! gathered and written through a `BufWriter`, flushed once no whole request is left
//! buffered, so that pipelined requests get their replies in one write.

use std::io;

use wakeful::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use wakeful::net::TcpStream;

use super::resp::{parse_request, Progress, ProtocolError, Request, MAX_BULK};

pub struct Connection {
    /// Reads pass through the `BufWriter` to the socket.
    stream: BufWriter<TcpStream>,
    /// Bytes read and not yet parsed start at `start`.
    buffer: Vec<u8>,
    start: usize,
    /// How far the request at `start` was checked while incomplete.
    progress: Progress,
    /// The next request, parsed ahead by `has_request`.
    ahead: Option<Result<(Request, usize), ProtocolError>>,
    /// Replies not yet written.
    pub out: Vec<u8>,
}

impl Connection {
    pub fn new(stream: TcpStream) -> Connection {
        Connection {
            stream: BufWriter::new(stream),
            buffer: Vec::with_capacity(4096),
            start: 0,
            progress: Progress::default(),
            ahead: None,
            out: Vec::with_capacity(4096),
        }
    }

    /// The next request; `None` once the client has closed between requests.
    ///
    /// Cancel-safe: the bytes read stay in the buffer, so a `select!` may drop this
    /// future and call it again without losing part of a request.
    pub async fn read_request(&mut self) -> io::Result<Option<Result<Request, ProtocolError>>> {
        loop {
            let parsed = match self.ahead.take() {
                Some(parsed) => Some(parsed),
                None => parse_request(&self.buffer[self.start..], &mut self.progress).transpose(),
            };
            match parsed {
                Some(Ok((request, len))) => {
                    self.start += len;
                    if request.is_empty() {
                        continue; // an empty inline line
                    }
                    return Ok(Some(Ok(request)));
                }
                Some(Err(err)) => return Ok(Some(Err(err))),
                None => {}
            }
            // Only part of a request: keep it at the front, and read more after it.
            self.buffer.drain(..self.start);
            self.start = 0;
            if self.buffer.len() > MAX_BULK + 64 * 1024 {
                return Ok(Some(Err(ProtocolError("request too large".into()))));
            }
            if self.stream.read_buf(&mut self.buffer).await? == 0 {
                return match self.buffer.is_empty() {
                    true => Ok(None),
                    false => {
                        Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed mid-request"))
                    }
                };
            }
        }
    }

    /// True if a whole request (or a protocol error) is buffered already.
    fn has_request(&mut self) -> bool {
        if self.ahead.is_none() {
            self.ahead = parse_request(&self.buffer[self.start..], &mut self.progress).transpose();
        }
        self.ahead.is_some()
    }

    /// Writes the gathered replies; flushes unless another request is waiting, whose
    /// reply will go out with these.
    pub async fn send(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.out).await?;
        self.out.clear();
        if !self.has_request() {
            self.stream.flush().await?;
        }
        Ok(())
    }

    /// Writes some of the gathered replies, or flushes once all are written: true
    /// when flushed. Cancel-safe: what was written is gone from `out`, the rest stays.
    pub async fn write_or_flush(&mut self) -> io::Result<bool> {
        if self.out.is_empty() {
            self.stream.flush().await?;
            return Ok(true);
        }
        let written = self.stream.write(&self.out).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        self.out.drain(..written);
        Ok(false)
    }

    /// Writes and flushes the gathered replies.
    pub async fn send_now(&mut self) -> io::Result<()> {
        self.stream.write_all(&self.out).await?;
        self.out.clear();
        self.stream.flush().await
    }
}
