//! [`File`]: an open file whose reads, writes and seeks run on the blocking pool.
//! Its `futures-io` and tokio I/O traits are in `io_traits`.

use std::fs::{Metadata, Permissions};
use std::future::poll_fn;
use std::io::{self, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::file_io::{Io, State};
use super::OpenOptions;
use crate::blocking::unblock;

#[cfg(any(feature = "futures-io", feature = "tokio-io"))]
mod io_traits;

/// An open file, with `futures-io`'s [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`]
/// (and tokio's `AsyncRead` / `AsyncWrite` / `AsyncSeek` with the `tokio-io` feature),
/// so `wakeful::io`'s extension methods, `copy` and `BufReader` work on it.
///
/// [`AsyncRead`]: futures_io::AsyncRead
/// [`AsyncWrite`]: futures_io::AsyncWrite
/// [`AsyncSeek`]: futures_io::AsyncSeek
///
/// ```
/// use futures_io::AsyncSeek;
/// use wakeful::fs::File;
/// use wakeful::io::{AsyncReadExt, AsyncWriteExt};
///
/// wakeful::block_on(async {
///     let path = std::env::temp_dir().join(format!("wakeful-file-doc-{}", std::process::id()));
///     let mut file = File::options().read(true).write(true).create(true).truncate(true).open(&path).await?;
///     file.write_all(b"hello world").await?;
///     // A seek waits for the write before it.
///     let pos = std::future::poll_fn(|cx| std::pin::Pin::new(&mut file).poll_seek(cx, std::io::SeekFrom::Start(6))).await?;
///     assert_eq!(pos, 6);
///     let mut word = String::new();
///     file.read_to_string(&mut word).await?;
///     assert_eq!(word, "world");
///     wakeful::fs::remove_file(&path).await
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # One operation at a time, through a buffer
///
/// As tokio's `File`: each read, write or seek is a job on the pool, and a `File` has
/// at most one in flight. A read fills an internal buffer of up to 2 MiB (at most the
/// caller's slice) and copies out of it; later reads take what it holds first. A write
/// copies up to 2 MiB of the caller's bytes into the buffer, hands it to the pool and
/// returns `Ready(n)` *before the bytes reach the OS*; the next operation waits for it,
/// and **a write's error surfaces at the next write, `flush` or seek**. So:
///
/// - `flush` waits for the write in flight and returns its error (it does not `fsync`:
///   that is [`sync_all`](File::sync_all) / [`sync_data`](File::sync_data));
/// - a seek waits for the write before it, and a read or seek after bytes were read
///   ahead moves the OS's position back first, so positions are as with std's `File`;
/// - **dropping a `File` without `flush`** does not lose the bytes of a write in
///   flight (the job runs to the end, and the fd closes after it), but its error is
///   lost, and the fd stays open until then. Flush before dropping to know.
///
/// Every method is cancel-safe in the sense of losing no bytes: the operation in
/// flight belongs to the `File`, not to the future, so a dropped `read`, `write`,
/// `flush` or seek is finished by the next call (a read's bytes come out of the next
/// read). A seek dropped before it completed may still move the position: the next
/// seek to the same target completes with it, a different target seeks again.
///
/// # Differences from tokio
///
/// - `set_len`, `sync_all`, `sync_data` and `set_permissions` take `&mut self`
///   (tokio's take `&self` and lock an internal mutex); they wait for the operation in
///   flight and, unlike tokio's, return a pending write's error instead of keeping it.
/// - `futures-io`'s `poll_seek` is one call; tokio's `start_seek` / `poll_complete`
///   (under `tokio-io`) run the same machinery.
/// - Errors name the file's path (when opened by path).
#[derive(Debug)]
pub struct File {
    io: Io,
    /// The target of tokio's `start_seek`, for its `poll_complete`.
    #[cfg_attr(not(feature = "tokio-io"), allow(dead_code))]
    pending_seek: Option<SeekFrom>,
}

impl File {
    pub(crate) fn with_path(std: std::fs::File, path: Option<Arc<Path>>) -> File {
        File { io: Io::new(std, path), pending_seek: None }
    }

    /// Opens `path` read-only.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` write-only, created if missing, truncated if present.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().write(true).create(true).truncate(true).open(path).await
    }

    /// Creates `path` read-write, failing with `AlreadyExists` if it exists.
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).write(true).create_new(true).open(path).await
    }

    /// An [`OpenOptions`], all options off.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file (errors will not name a path).
    pub fn from_std(std: std::fs::File) -> File {
        File::with_path(std, None)
    }

    /// The std file, once the operation in flight has finished (its error, if any,
    /// is dropped: [`flush`](futures_io::AsyncWrite::poll_flush) first to see it).
    /// Bytes read ahead are given back by moving the file position back.
    ///
    /// If a `metadata`, `sync_*` or `set_permissions` future was dropped
    /// while its job still holds the file, the result is a duplicate fd of the same
    /// open file (`try_clone`: same position and flags), as the job's own closes later.
    ///
    /// # Panics
    /// In that case only, if the process is out of file descriptors for the duplicate.
    pub async fn into_std(mut self) -> std::fs::File {
        let _ = self.settle().await;
        match Arc::try_unwrap(self.io.std) {
            Ok(std) => std,
            Err(shared) => match shared.try_clone() {
                Ok(std) => std,
                Err(err) => panic!(
                    "wakeful::fs::File::into_std: cannot duplicate the fd a dropped job still holds: {err}"
                ),
            },
        }
    }

    /// The std file if no operation is in flight, no byte is read ahead and no write
    /// error is waiting to be reported, else the `File` back (a `flush` reports that
    /// error).
    pub fn try_into_std(self) -> Result<std::fs::File, File> {
        let idle = matches!(&self.io.state, State::Idle(Some(buf)) if buf.is_empty());
        if !idle || self.io.last_write_err.is_some() {
            return Err(self);
        }
        let File { io: Io { std, path, state, last_write_err }, pending_seek } = self;
        Arc::try_unwrap(std).map_err(|std| File { io: Io { std, path, state, last_write_err }, pending_seek })
    }

    /// The file's metadata (does not wait for the operation in flight, as tokio's).
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let (std, path) = (self.io.std.clone(), self.io.path.clone());
        unblock(move || std.metadata().map_err(|err| with_optional_path("metadata", path.as_deref(), err)))
            .await
    }

    /// Truncates or extends the file to `size` bytes; the position does not change.
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.settle().await?;
        self.io.start_set_len(size)?;
        poll_fn(|cx| self.io.poll_set_len(cx)).await
    }

    /// `fsync`: data and metadata reach the disk.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.settle().await?;
        self.blocking("sync_all", std::fs::File::sync_all).await
    }

    /// `fdatasync`: data reaches the disk (metadata only as needed to read it back).
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.settle().await?;
        self.blocking("sync_data", std::fs::File::sync_data).await
    }

    /// Sets the file's permission bits.
    pub async fn set_permissions(&mut self, permissions: Permissions) -> io::Result<()> {
        self.settle().await?;
        self.blocking("set_permissions", move |file| file.set_permissions(permissions)).await
    }

    /// Waits for the operation in flight (a write's error is returned), then gives
    /// back bytes read ahead by moving the position back.
    ///
    /// The operation in flight is waited for and the read-ahead given back even when a
    /// write's error is kept (`into_std` relies on both); that error comes last, and
    /// stays kept if this future is dropped.
    async fn settle(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_idle(cx)).await;
        if matches!(&self.io.state, State::Idle(Some(buf)) if !buf.is_empty()) {
            let sought = poll_fn(|cx| self.io.poll_seek_keeping_write_err(cx, SeekFrom::Current(0))).await;
            if let Err(err) = sought {
                return Err(self.io.last_write_err.take().unwrap_or(err));
            }
        }
        match self.io.last_write_err.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        op: &'static str,
        f: impl FnOnce(&std::fs::File) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let (std, path) = (self.io.std.clone(), self.io.path.clone());
        unblock(move || f(&std).map_err(|err| with_optional_path(op, path.as_deref(), err))).await
    }
}

fn with_optional_path(op: &str, path: Option<&Path>, err: io::Error) -> io::Error {
    match path {
        Some(path) => super::with_path(op, path, err),
        None => err,
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.std.as_raw_fd()
    }
}

impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.std.as_fd()
    }
}
