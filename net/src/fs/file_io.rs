//! The state machine behind [`File`](super::File)'s I/O traits: one operation in
//! flight at a time, with a buffer that moves to the pool thread and back.
//!
//! ```text
//!   Idle(buf) ──read: buf empty──► Busy(Read)  ──done──► Idle(buf = bytes read ahead)
//!      │      ──write: copy into buf, Ready(n) at once──► Busy(Write) ──done──► Idle
//!      │      ──seek──► Busy(Seek)  ──done──► Idle
//!      └── read with bytes in buf: copied out, no trip to the pool
//! ```
//!
//! Any operation first waits for the one in flight. Bytes read ahead and not consumed
//! mean the OS's file position is past the caller's: a write or a seek moves it back
//! first. A write's error is kept and reported by the next write, flush or seek.
//!
//! Here: the buffer, the states and the machinery that starts a job and waits for
//! it; each operation's transitions (read, write, flush, seek, `set_len`) are in
//! `ops`.

use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::with_path;
use crate::blocking::{run, OnDrop, Receiver};

mod ops;

/// The most one read or write moves per trip to the pool (tokio's default): bounds the
/// buffer whatever the caller's slice.
pub(crate) const MAX_BUF: usize = 2 * 1024 * 1024;

/// Bytes on their way: read ahead (`data[pos..]` not yet consumed) or to write.
#[derive(Debug, Default)]
pub(crate) struct Buf {
    data: Vec<u8>,
    pos: usize,
}

impl Buf {
    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.data.len() - self.pos);
        dst[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if self.is_empty() {
            self.clear();
        }
        n
    }

    /// Drops the bytes read ahead; returns how far the file position must move back.
    fn discard_read(&mut self) -> i64 {
        let ahead = (self.data.len() - self.pos) as i64;
        self.clear();
        -ahead
    }

    fn read_from(&mut self, file: &std::fs::File, want: usize) -> io::Result<usize> {
        self.data.resize(want, 0);
        self.pos = 0;
        let result = loop {
            match (&*file).read(&mut self.data) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.data.truncate(*result.as_ref().unwrap_or(&0));
        result
    }

    fn write_to(&mut self, file: &std::fs::File) -> io::Result<()> {
        let result = (&*file).write_all(&self.data[self.pos..]);
        self.clear();
        result
    }
}

/// What the operation in flight did.
#[derive(Debug)]
pub(crate) enum Op {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    /// `set_len`: in the state machine so that a later operation waits for it even
    /// when its future was dropped (a write must not run before a truncation).
    SetLen(io::Result<()>),
}

#[derive(Debug)]
pub(crate) enum State {
    /// No operation in flight; the buffer is here (`None` only while moved out).
    Idle(Option<Buf>),
    /// An operation in flight; for a seek, its target, to tell a seek that a dropped
    /// future started from the one being asked for now.
    Busy(Receiver<(Op, Buf)>, Option<SeekFrom>),
}

/// The I/O half of a `File`: its fd, its state, and the error of a write nobody saw.
#[derive(Debug)]
pub(crate) struct Io {
    pub(crate) std: Arc<std::fs::File>,
    pub(crate) path: Option<Arc<Path>>,
    pub(crate) state: State,
    pub(crate) last_write_err: Option<io::Error>,
}

impl Io {
    pub(crate) fn new(std: std::fs::File, path: Option<Arc<Path>>) -> Io {
        Io { std: Arc::new(std), path, state: State::Idle(Some(Buf::default())), last_write_err: None }
    }

    /// `err` with the operation and, if known, the file's path in its message.
    pub(crate) fn error(&self, op: &str, err: io::Error) -> io::Error {
        match &self.path {
            Some(path) => with_path(op, path, err),
            None => err,
        }
    }

    /// The error of an operation the pool could not start (no thread): the bytes read
    /// ahead went with its job, so the OS's position moves back by `back` here, at
    /// once (an `lseek`, which does not block), to stay the caller's.
    fn unstarted(&self, op: &str, back: i64, err: io::Error) -> io::Error {
        if back != 0 {
            let _ = (&*self.std).seek(SeekFrom::Current(back));
        }
        self.error(op, err)
    }

    fn start(
        &mut self,
        seek: Option<SeekFrom>,
        job: impl FnOnce(&std::fs::File) -> (Op, Buf) + Send + 'static,
    ) -> io::Result<()> {
        let std = self.std.clone();
        let receiver = run(move || job(&std), OnDrop::Detach)?;
        self.state = State::Busy(receiver, seek);
        Ok(())
    }

    /// Waits for the operation in flight, if any; back to `Idle`. The caller decides
    /// what the finished operation's outcome means to it.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Op, Option<SeekFrom>)>> {
        let State::Busy(receiver, seek) = &mut self.state else { return Poll::Ready(None) };
        let seek = *seek;
        match ready!(Pin::new(receiver).poll(cx)) {
            Ok((op, buf)) => {
                self.state = State::Idle(Some(buf));
                Poll::Ready(Some((op, seek)))
            }
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }

    fn take_buf(&mut self) -> Buf {
        match &mut self.state {
            State::Idle(buf) => buf.take().unwrap_or_default(),
            State::Busy(..) => unreachable!("take_buf while an operation is in flight"),
        }
    }

    fn put_buf(&mut self, buf: Buf) {
        self.state = State::Idle(Some(buf));
    }

    /// Waits for the operation in flight, if any, keeping a write's error in
    /// `last_write_err` (nothing is lost if the caller is dropped meanwhile).
    pub(crate) fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match ready!(self.poll_finish(cx)) {
                Some((Op::Write(Err(err)), _)) => self.last_write_err = Some(err),
                Some(_) => {}
                None => return Poll::Ready(()),
            }
        }
    }
}
