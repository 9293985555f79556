//! A scripted stream for the I/O extension tests, implementing both `futures-io`'s
//! traits and tokio's, so that one scenario runs through wakeful's and tokio's
//! utilities alike and their observable results can be compared.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One step of a script.
#[derive(Clone, Debug)]
pub enum Step {
    /// Reads deliver these bytes (over several reads if the caller's buffer is smaller);
    /// writes accept at most this many bytes (`Data(vec![0; n])`).
    Data(Vec<u8>),
    /// Return `Pending` once, after waking the task (so any executor polls again).
    Pending,
    /// Fail once with this kind.
    Fail(io::ErrorKind),
    /// Panic (for tests of what a panicking reader leaves behind).
    Panic,
}

/// A stream whose reads and writes follow scripts. With no write steps left, writes
/// accept everything; with no read steps left, reads return end of stream.
#[derive(Debug, Default)]
pub struct Script {
    reads: VecDeque<Step>,
    writes: VecDeque<Step>,
    /// Everything accepted by writes, in order.
    pub written: Vec<u8>,
    pub flushes: usize,
    pub closed: bool,
}

impl Script {
    pub fn reading(steps: impl IntoIterator<Item = Step>) -> Script {
        Script { reads: steps.into_iter().collect(), ..Script::default() }
    }

    pub fn writing(steps: impl IntoIterator<Item = Step>) -> Script {
        Script { writes: steps.into_iter().collect(), ..Script::default() }
    }

    /// Reads `bytes`, one `Data` step per chunk of `chunk` bytes, `Pending` between.
    pub fn chunked(bytes: &[u8], chunk: usize) -> Script {
        let mut steps = Vec::new();
        for piece in bytes.chunks(chunk) {
            steps.push(Step::Data(piece.to_vec()));
            steps.push(Step::Pending);
        }
        Script::reading(steps)
    }

    pub fn push_read(&mut self, step: Step) {
        self.reads.push_back(step);
    }

    pub fn push_write(&mut self, step: Step) {
        self.writes.push_back(step);
    }

    pub fn reads_left(&self) -> usize {
        self.reads.len()
    }

    fn read(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.reads.pop_front() {
            None => Poll::Ready(Ok(0)),
            Some(Step::Data(mut bytes)) => {
                let n = bytes.len().min(out.len());
                out[..n].copy_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    self.reads.push_front(Step::Data(bytes.split_off(n)));
                }
                Poll::Ready(Ok(n))
            }
            Some(Step::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(Step::Fail(kind)) => Poll::Ready(Err(io::Error::new(kind, "scripted read failure"))),
            Some(Step::Panic) => panic!("scripted read panic"),
        }
    }

    fn write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match self.writes.pop_front() {
            None => {
                self.written.extend_from_slice(data);
                Poll::Ready(Ok(data.len()))
            }
            Some(Step::Data(limit)) => {
                let n = limit.len().min(data.len());
                self.written.extend_from_slice(&data[..n]);
                Poll::Ready(Ok(n))
            }
            Some(Step::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(Step::Fail(kind)) => Poll::Ready(Err(io::Error::new(kind, "scripted write failure"))),
            Some(Step::Panic) => panic!("scripted write panic"),
        }
    }
}

impl wakeful::io::AsyncRead for Script {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().read(cx, buf)
    }
}

impl wakeful::io::AsyncWrite for Script {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().flushes += 1;
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().closed = true;
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncRead for Script {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = std::task::ready!(self.get_mut().read(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Script {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().flushes += 1;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().closed = true;
        Poll::Ready(Ok(()))
    }
}
