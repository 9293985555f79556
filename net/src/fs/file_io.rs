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

use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::with_path;
use crate::blocking::{run, OnDrop, Receiver};

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

    /// Starts `set_len` as the operation in flight (the caller has settled: idle, no
    /// byte read ahead).
    pub(crate) fn start_set_len(&mut self, size: u64) -> io::Result<()> {
        let buf = self.take_buf();
        let path = self.path.clone();
        self.start(None, move |file| {
            let result = file.set_len(size).map_err(|err| match &path {
                Some(path) => with_path("set_len", path, err),
                None => err,
            });
            (Op::SetLen(result), buf)
        })
        .map_err(|err| self.error("set_len", err))
    }

    /// The outcome of the `set_len` that [`start_set_len`](Io::start_set_len) started.
    pub(crate) fn poll_set_len(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(self.poll_finish(cx)) {
            Some((Op::SetLen(result), _)) => Poll::Ready(result),
            _ => Poll::Ready(Ok(())),
        }
    }

    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            match ready!(self.poll_finish(cx)) {
                // The read this call started (or one a dropped future started):
                // its bytes are in the buffer, copied out below.
                Some((Op::Read(Ok(_)), _)) => {
                    let mut buf = self.take_buf();
                    let n = buf.copy_to(dst);
                    self.put_buf(buf);
                    return Poll::Ready(Ok(n));
                }
                Some((Op::Read(Err(err)), _)) => return Poll::Ready(Err(self.error("read", err))),
                Some((Op::Write(Err(err)), _)) => self.last_write_err = Some(err),
                Some(_) => {}
                None => {
                    let mut buf = self.take_buf();
                    if !buf.is_empty() || dst.is_empty() {
                        let n = buf.copy_to(dst);
                        self.put_buf(buf);
                        return Poll::Ready(Ok(n));
                    }
                    let want = dst.len().min(MAX_BUF);
                    self.start(None, move |file| {
                        let result = buf.read_from(file, want);
                        (Op::Read(result), buf)
                    })
                    .map_err(|err| self.error("read", err))?;
                }
            }
        }
    }

    pub(crate) fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(err) = self.last_write_err.take() {
            return Poll::Ready(Err(err));
        }
        if src.is_empty() {
            return Poll::Ready(Ok(0)); // nothing to hand over, nothing to wait for
        }
        loop {
            match ready!(self.poll_finish(cx)) {
                Some((Op::Write(Err(err)), _)) => return Poll::Ready(Err(err)),
                Some(_) => {}
                None => {
                    let mut buf = self.take_buf();
                    let back = buf.discard_read();
                    let n = src.len().min(MAX_BUF);
                    buf.data.extend_from_slice(&src[..n]);
                    let path = self.path.clone();
                    self.start(None, move |file| {
                        let mut result =
                            if back != 0 { (&*file).seek(SeekFrom::Current(back)).map(drop) } else { Ok(()) };
                        if result.is_ok() {
                            result = buf.write_to(file);
                        }
                        buf.clear();
                        let result = result.map_err(|err| match &path {
                            Some(path) => with_path("write", path, err),
                            None => err,
                        });
                        (Op::Write(result), buf)
                    })
                    .map_err(|err| self.unstarted("write", back, err))?;
                    // The bytes are the pool's now: done, as far as the caller knows.
                    return Poll::Ready(Ok(n));
                }
            }
        }
    }

    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(err) = self.last_write_err.take() {
            return Poll::Ready(Err(err));
        }
        loop {
            match ready!(self.poll_finish(cx)) {
                Some((Op::Write(Err(err)), _)) => return Poll::Ready(Err(err)),
                Some(_) => {}
                None => return Poll::Ready(Ok(())),
            }
        }
    }

    pub(crate) fn poll_seek(&mut self, cx: &mut Context<'_>, target: SeekFrom) -> Poll<io::Result<u64>> {
        if let Some(err) = self.last_write_err.take() {
            return Poll::Ready(Err(err));
        }
        self.poll_seek_keeping_write_err(cx, target)
    }

    /// [`poll_seek`](Io::poll_seek) leaving a kept write error for later: for
    /// `settle`, which gives the read-ahead back first and reports the error after.
    pub(crate) fn poll_seek_keeping_write_err(
        &mut self,
        cx: &mut Context<'_>,
        target: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        loop {
            match ready!(self.poll_finish(cx)) {
                Some((Op::Seek(result), Some(seek))) if seek == target => {
                    return Poll::Ready(result.map_err(|err| self.error("seek", err)));
                }
                Some((Op::Write(Err(err)), _)) => return Poll::Ready(Err(err)),
                Some(_) => {}
                None => {
                    let mut buf = self.take_buf();
                    let back = buf.discard_read();
                    let pos = match target {
                        SeekFrom::Current(offset) => match offset.checked_add(back) {
                            Some(offset) => SeekFrom::Current(offset),
                            None => {
                                self.put_buf(buf);
                                let err =
                                    io::Error::new(io::ErrorKind::InvalidInput, "seek offset overflows");
                                return Poll::Ready(Err(self.error("seek", err)));
                            }
                        },
                        other => other,
                    };
                    self.start(Some(target), move |file| {
                        let result = (&*file).seek(pos);
                        if result.is_err() && back != 0 {
                            // Failed (a negative position): keep the caller's position,
                            // which the read-ahead had put `back` bytes behind the OS's.
                            let _ = (&*file).seek(SeekFrom::Current(back));
                        }
                        (Op::Seek(result), buf)
                    })
                    .map_err(|err| self.unstarted("seek", back, err))?;
                }
            }
        }
    }
}
