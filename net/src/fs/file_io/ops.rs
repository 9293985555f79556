//! The operations of [`Io`]: read, write, flush, seek and `set_len`, each waiting
//! for the one in flight, then taking its turn through the state machine.

use std::io::{self, Seek, SeekFrom};
use std::task::{ready, Context, Poll};

use super::super::with_path;
use super::{Io, Op, MAX_BUF};

impl Io {
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
