//! hyper's runtime traits on wakeful: I/O adapters, an executor and a timer. Shared by
//! the `hyper` example (a server) and its test (hyper's client, also on wakeful).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use hyper::rt::{Executor, Read, ReadBufCursor, Sleep, Timer, Write};
use wakeful::io::{AsyncRead, AsyncWrite};

/// hyper's `Read` / `Write` for any wakeful stream (through its `futures-io` traits).
#[derive(Debug)]
pub struct HyperIo<T>(pub T);

impl<T: AsyncRead + Unpin> Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // Read into initialised memory and copy: no unsafe needed for an example.
        let mut chunk = [0u8; 16 * 1024];
        let want = buf.remaining().min(chunk.len());
        let n = ready!(Pin::new(&mut self.0).poll_read(cx, &mut chunk[..want]))?;
        buf.put_slice(&chunk[..n]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> Write for HyperIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// hyper's `Executor`: spawns on the current wakeful runtime (no `Send` needed).
#[derive(Clone, Copy, Debug)]
pub struct WakefulExecutor;

impl<F: Future + 'static> Executor<F> for WakefulExecutor {
    fn execute(&self, future: F) {
        drop(wakeful::spawn(future)); // detached: hyper owns the connection's life
    }
}

/// hyper's `Timer`, on wakeful's timer wheel.
#[derive(Clone, Copy, Debug)]
pub struct WakefulTimer;

impl Timer for WakefulTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(ThreadBound::new(wakeful::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(ThreadBound::new(wakeful::time::sleep_until(deadline)))
    }
}

/// A wakeful `Sleep` that hyper may treat as `Send + Sync`, as its `Timer` requires.
///
/// wakeful's timers belong to their runtime's thread. This wrapper only touches the
/// inner `Sleep` on the thread that made it: polling elsewhere panics, and dropping
/// elsewhere leaks it rather than touching the runtime from the wrong thread. On a
/// single-threaded runtime, hyper keeps its sleeps on that one thread anyway.
struct ThreadBound {
    sleep: std::mem::ManuallyDrop<wakeful::time::Sleep>,
    owner: ThreadId,
}

impl ThreadBound {
    fn new(sleep: wakeful::time::Sleep) -> ThreadBound {
        ThreadBound { sleep: std::mem::ManuallyDrop::new(sleep), owner: thread::current().id() }
    }
}

// SAFETY: the `Sleep` inside is only used on `owner` (checked in `poll` and `drop`),
// so moving or sharing the wrapper never lets another thread touch it.
unsafe impl Send for ThreadBound {}
// SAFETY: as above; `&ThreadBound` gives no access to the `Sleep` at all.
unsafe impl Sync for ThreadBound {}

impl Future for ThreadBound {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        assert_eq!(thread::current().id(), self.owner, "a wakeful timer was polled off its runtime's thread");
        Pin::new(&mut *self.sleep).poll(cx)
    }
}

impl Sleep for ThreadBound {}

impl Drop for ThreadBound {
    fn drop(&mut self) {
        if thread::current().id() == self.owner {
            // SAFETY: dropped exactly once, here, on the owning thread.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.sleep) };
        }
    }
}
