//! [`AsyncFd`]: drive any file descriptor — a pipe, a tty, an inotify or timer fd —
//! with the runtime's reactor.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{ready, Context, Poll};

use wakeful_reactor::{Direction, Readiness};

use crate::io_source::IoSource;

/// An fd registered with the current runtime's reactor, for I/O that has no wakeful
/// type of its own.
///
/// `AsyncFd::new` makes the fd non-blocking (a blocking fd would stall the runtime) and
/// registers it; dropping the `AsyncFd` deregisters it and drops `T`, which closes the
/// fd if `T` owns it.
///
/// Wait for readiness, then try the operation inside [`AsyncFdReadyGuard::try_io`]: if
/// it would block, the guard clears the readiness and you wait again.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use wakeful::net::AsyncFd;
///
/// wakeful::block_on(async {
///     let (mut tx, rx) = UnixStream::pair()?;
///     let rx = AsyncFd::new(rx)?;
///     tx.write_all(b"ping")?;
///     let mut buf = [0; 4];
///     let n = loop {
///         let mut guard = rx.readable().await?;
///         match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///             Ok(result) => break result?,
///             Err(_would_block) => continue,
///         }
///     };
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Several tasks may wait on one `AsyncFd`; each is woken when it becomes ready.
#[derive(Debug)]
pub struct AsyncFd<T: AsRawFd> {
    source: IoSource<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Sets `O_NONBLOCK` on `inner` and registers it for read and write readiness.
    ///
    /// Fails outside a runtime, or if the fd cannot be polled (a regular file, which
    /// epoll refuses with `EPERM`).
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        Ok(AsyncFd { source: IoSource::new(inner)? })
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        self.source.get_ref()
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.source.get_mut()
    }

    /// Deregisters the fd and returns the value (still non-blocking).
    pub fn into_inner(self) -> io::Result<T> {
        self.source.into_inner()
    }

    /// Waits until the fd is readable (or closed, or in error).
    ///
    /// Cancel-safe: nothing is read.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Direction::Read).await
    }

    /// Waits until the fd is writable (or closed, or in error).
    ///
    /// Cancel-safe: nothing is written.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Direction::Write).await
    }

    async fn ready(&self, dir: Direction) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let ready = self.source.ready(dir).await?;
        Ok(AsyncFdReadyGuard { fd: self, dir, ready })
    }

    /// Polls for read readiness; on `Pending` the task is woken when it changes (only
    /// the task that polled last, as with every `poll_*` method).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        self.poll_ready(Direction::Read, cx)
    }

    /// Polls for write readiness; on `Pending` the task is woken when it changes.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        self.poll_ready(Direction::Write, cx)
    }

    fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        let ready = ready!(self.source.poll_shared(dir, |waiter| self.source.poll_ready(dir, cx, waiter)))?;
        Poll::Ready(Ok(AsyncFdReadyGuard { fd: self, dir, ready }))
    }

    /// Waits for `dir`, runs `op`, and repeats while it returns `WouldBlock`.
    /// Cancel-safe if `op` is: it is never left half-run, but a dropped future may
    /// have run it several times (each ending in `WouldBlock`).
    pub async fn async_io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.source.io(dir, &mut op).await
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.source.as_raw_fd()
    }
}

/// Proof that an [`AsyncFd`] was ready in one direction, as of the last reactor turn.
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use wakeful::net::AsyncFd;
///
/// wakeful::block_on(async {
///     let (a, _b) = UnixStream::pair()?;
///     let fd = AsyncFd::new(a)?;
///     let guard = fd.writable().await?; // a fresh socket can be written
///     assert!(!guard.ready().is_empty());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    fd: &'a AsyncFd<T>,
    dir: Direction,
    ready: Readiness,
}

/// The operation in [`AsyncFdReadyGuard::try_io`] would have blocked; readiness was
/// cleared, so wait again.
///
/// ```
/// use std::io::Read;
/// use std::os::unix::net::UnixStream;
/// use wakeful::net::AsyncFd;
///
/// wakeful::block_on(async {
///     let (a, _b) = UnixStream::pair()?;
///     let fd = AsyncFd::new(a)?;
///     let mut guard = fd.writable().await?;
///     // Nothing to read: the read would block, the guard clears readiness.
///     let mut buf = [0; 4];
///     assert!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).is_err());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TryIoError(());

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    /// The readiness observed.
    pub fn ready(&self) -> Readiness {
        self.ready
    }

    /// Forgets the readiness, so the next wait sleeps until the OS reports a change.
    /// Call it after an operation returned `WouldBlock` outside `try_io`.
    pub fn clear_ready(&mut self) {
        self.fd.source.clear_readiness(self.dir, self.ready);
    }

    /// Runs `op`; if it returns `WouldBlock`, clears the readiness and returns
    /// `Err(TryIoError)`, else its result.
    pub fn try_io<R>(
        &mut self,
        op: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match op(self.fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard is for.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.fd
    }
}
