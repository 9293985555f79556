//! Files and directories: std's `fs`, run on the [blocking pool](crate::blocking).
//!
//! ```
//! use wakeful::fs;
//! use wakeful::io::{AsyncReadExt, AsyncWriteExt};
//!
//! wakeful::block_on(async {
//!     let dir = std::env::temp_dir().join(format!("wakeful-fs-doc-{}", std::process::id()));
//!     fs::create_dir_all(&dir).await?;
//!     fs::write(dir.join("a.txt"), "hello").await?;
//!     assert_eq!(fs::read_to_string(dir.join("a.txt")).await?, "hello");
//!
//!     let mut file = fs::File::create(dir.join("b.bin")).await?;
//!     file.write_all(b"bytes").await?;
//!     file.flush().await?; // see File: a write completes into a buffer
//!     let mut back = Vec::new();
//!     fs::File::open(dir.join("b.bin")).await?.read_to_end(&mut back).await?;
//!     assert_eq!(back, b"bytes");
//!
//!     let mut entries = fs::read_dir(&dir).await?;
//!     let mut names = Vec::new();
//!     while let Some(entry) = entries.next_entry().await? {
//!         names.push(entry.file_name());
//!     }
//!     names.sort();
//!     assert_eq!(names, ["a.txt", "b.bin"]);
//!
//!     let err = fs::read(dir.join("missing")).await.unwrap_err();
//!     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
//!     assert!(err.to_string().starts_with("read "), "the message names the path: {err}");
//!     fs::remove_dir_all(&dir).await
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Each function moves its arguments to a pool thread, runs std's function there and
//! wakes the caller with the result. The futures are `Send` and need no runtime
//! context: they work under any executor (the pool's thread wakes whatever waker
//! polled them).
//!
//! # Errors name their paths
//!
//! std's errors say "No such file or directory" but not which file. Every error from
//! this module says which operation on which path failed, as in
//! `open /srv/data/x.db: No such file or directory (os error 2)`; its
//! [`kind`](std::io::Error::kind) is std's, and its
//! [`source`](std::error::Error::source) is std's error itself (with its
//! `raw_os_error`), as the wrapped error's `raw_os_error()` is `None`.
//!
//! # Cancellation
//!
//! Dropping one of these futures does not cancel the operation once queued: it runs
//! on its pool thread to the end and its result is dropped (as in tokio, where the
//! work is a detached `spawn_blocking`). So `remove_file` dropped early may still
//! remove the file.
//!
//! # Differences from tokio
//!
//! - The futures do not need a runtime (tokio's panic outside one).
//! - Errors carry the path (tokio passes std's errors through).
//! - [`ReadDir`] also implements `Stream` (tokio needs `tokio_stream`'s wrapper).
//! - Not here: `OpenOptionsExt`-style Unix extensions beyond `mode` /
//!   `custom_flags`, `File::try_clone`, `set_max_buf_size`, `symlink_dir/file`
//!   (Windows only).

mod file;
// Reads, writes and seeks reach a `File` only through the I/O traits: built without
// `futures-io` and `tokio-io`, the machinery behind them has no caller.
#[cfg_attr(not(any(feature = "futures-io", feature = "tokio-io")), allow(dead_code))]
mod file_io;
mod open_options;
mod read_dir;

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};

use crate::blocking::unblock;

/// An io::Error that names the operation and the path(s) it failed on.
#[derive(Debug)]
struct PathError {
    what: String,
    source: io::Error,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl std::error::Error for PathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// `err`, with "`op` `path`: " before its message; same kind, std's error as source.
pub(crate) fn with_path(op: &str, path: &Path, err: io::Error) -> io::Error {
    let kind = err.kind();
    io::Error::new(kind, PathError { what: format!("{op} {}", path.display()), source: err })
}

fn with_paths(op: &str, from: &Path, to: &Path, err: io::Error) -> io::Error {
    let kind = err.kind();
    io::Error::new(
        kind,
        PathError { what: format!("{op} {} to {}", from.display(), to.display()), source: err },
    )
}

/// Defines `pub async fn $name(path) -> io::Result<$out>` over `std::fs::$name`.
macro_rules! one_path {
    ($($(#[$doc:meta])* $name:ident -> $out:ty;)*) => {$(
        $(#[$doc])*
        pub async fn $name(path: impl AsRef<Path>) -> io::Result<$out> {
            let path = path.as_ref().to_owned();
            unblock(move || std::fs::$name(&path).map_err(|err| with_path(stringify!($name), &path, err))).await
        }
    )*};
}

one_path! {
    /// The whole contents of a file (std's [`fs::read`](std::fs::read)).
    read -> Vec<u8>;
    /// The whole contents of a file, which must be UTF-8
    /// ([`fs::read_to_string`](std::fs::read_to_string)).
    read_to_string -> String;
    /// Metadata, following symlinks ([`fs::metadata`](std::fs::metadata)).
    metadata -> Metadata;
    /// Metadata of the link itself ([`fs::symlink_metadata`](std::fs::symlink_metadata)).
    symlink_metadata -> Metadata;
    /// Creates one directory; its parent must exist ([`fs::create_dir`](std::fs::create_dir)).
    create_dir -> ();
    /// Creates a directory and its missing parents ([`fs::create_dir_all`](std::fs::create_dir_all)).
    create_dir_all -> ();
    /// Removes a file or symlink ([`fs::remove_file`](std::fs::remove_file)).
    remove_file -> ();
    /// Removes an empty directory ([`fs::remove_dir`](std::fs::remove_dir)).
    remove_dir -> ();
    /// Removes a directory and everything in it ([`fs::remove_dir_all`](std::fs::remove_dir_all)).
    remove_dir_all -> ();
    /// The absolute path with symlinks resolved ([`fs::canonicalize`](std::fs::canonicalize)).
    canonicalize -> PathBuf;
    /// Where a symlink points ([`fs::read_link`](std::fs::read_link)).
    read_link -> PathBuf;
}

/// Whether `path` exists: `Ok(false)` if it does not, an error if that cannot be told
/// (a permission denied on a parent) — [`fs::exists`](std::fs::exists).
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref().to_owned();
    unblock(move || path.try_exists().map_err(|err| with_path("try_exists", &path, err))).await
}

/// Creates or truncates the file at `path` and writes `contents`
/// ([`fs::write`](std::fs::write)). Not atomic: a reader may see it half written.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    unblock(move || std::fs::write(&path, contents).map_err(|err| with_path("write", &path, err))).await
}

/// Renames `from` to `to`, replacing `to` if it exists ([`fs::rename`](std::fs::rename)).
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    unblock(move || std::fs::rename(&from, &to).map_err(|err| with_paths("rename", &from, &to, err))).await
}

/// Copies the contents and permissions of `from` to `to`; returns the bytes copied
/// ([`fs::copy`](std::fs::copy)).
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    unblock(move || std::fs::copy(&from, &to).map_err(|err| with_paths("copy", &from, &to, err))).await
}

/// Makes `link` a hard link to `original` ([`fs::hard_link`](std::fs::hard_link)).
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    unblock(move || {
        std::fs::hard_link(&original, &link).map_err(|err| with_paths("hard_link", &original, &link, err))
    })
    .await
}

/// Makes `link` a symlink to `original` ([`std::os::unix::fs::symlink`]).
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    unblock(move || {
        std::os::unix::fs::symlink(&original, &link)
            .map_err(|err| with_paths("symlink", &original, &link, err))
    })
    .await
}

/// Sets the permissions of `path` ([`fs::set_permissions`](std::fs::set_permissions)).
pub async fn set_permissions(path: impl AsRef<Path>, permissions: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    unblock(move || {
        std::fs::set_permissions(&path, permissions).map_err(|err| with_path("set_permissions", &path, err))
    })
    .await
}
