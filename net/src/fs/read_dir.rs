//! [`read_dir`]: a directory's entries, read on the pool a chunk at a time.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::with_path;
use crate::blocking::{run, unblock, OnDrop, Receiver};

/// Entries read per trip to the pool: fewer wakeups than one at a time, and a bounded
/// wait before the first entry of a huge directory.
const CHUNK: usize = 32;

/// The entries of the directory at `path` ([`fs::read_dir`](std::fs::read_dir)), in
/// the OS's order, without `.` and `..`.
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path: Arc<Path> = path.as_ref().into();
    let opened = path.clone();
    let std = unblock(move || std::fs::read_dir(&opened).map_err(|err| with_path("read_dir", &opened, err)))
        .await?;
    Ok(ReadDir { path, entries: VecDeque::new(), state: State::Idle(Some(std)) })
}

/// A directory being read: [`next_entry`](ReadDir::next_entry) until `None`. Also a
/// `Stream` of `io::Result<DirEntry>`.
#[derive(Debug)]
pub struct ReadDir {
    path: Arc<Path>,
    /// Entries read ahead by the last chunk, oldest first.
    entries: VecDeque<io::Result<DirEntry>>,
    state: State,
}

type Chunk = (Option<std::fs::ReadDir>, VecDeque<io::Result<DirEntry>>);

#[derive(Debug)]
enum State {
    /// Between chunks; `None` once the OS said there are no more entries.
    Idle(Option<std::fs::ReadDir>),
    /// A chunk being read on the pool.
    Reading(Receiver<Chunk>),
}

impl ReadDir {
    /// The next entry, or `None` at the end. An error for one entry does not end the
    /// listing. Cancel-safe: the entries read meanwhile stay for the next call.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// [`next_entry`](Self::next_entry) as a poll function.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            if let Some(entry) = self.entries.pop_front() {
                return Poll::Ready(entry.map(Some));
            }
            match &mut self.state {
                State::Idle(None) => return Poll::Ready(Ok(None)),
                State::Idle(std) => {
                    let mut std = std.take().expect("matched Some");
                    let path = self.path.clone();
                    let job = move || {
                        let mut chunk = VecDeque::with_capacity(CHUNK);
                        for _ in 0..CHUNK {
                            match std.next() {
                                Some(entry) => chunk.push_back(
                                    entry.map(DirEntry::new).map_err(|err| with_path("read_dir", &path, err)),
                                ),
                                None => return (None, chunk),
                            }
                        }
                        (Some(std), chunk)
                    };
                    match run(job, OnDrop::Detach) {
                        Ok(receiver) => self.state = State::Reading(receiver),
                        // No thread to read on: the listing ends with this error.
                        Err(err) => return Poll::Ready(Err(with_path("read_dir", &self.path, err))),
                    }
                }
                State::Reading(receiver) => match ready!(Pin::new(receiver).poll(cx)) {
                    Ok((std, chunk)) => {
                        self.entries = chunk;
                        self.state = State::Idle(std);
                    }
                    Err(payload) => std::panic::resume_unwind(payload),
                },
            }
        }
    }
}

impl futures_core::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

/// One entry of a [`ReadDir`] (std's [`DirEntry`](std::fs::DirEntry)).
#[derive(Debug, Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
}

impl DirEntry {
    fn new(std: std::fs::DirEntry) -> DirEntry {
        DirEntry { std: Arc::new(std) }
    }

    /// The directory's path joined with [`file_name`](Self::file_name).
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name, without its directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The inode number, from the directory listing itself.
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symlink.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        unblock(move || std.metadata().map_err(|err| with_path("metadata", &std.path(), err))).await
    }

    /// The entry's type, not following a symlink (from the listing where the OS gives
    /// it, else from a `stat`).
    pub async fn file_type(&self) -> io::Result<FileType> {
        let std = self.std.clone();
        unblock(move || std.file_type().map_err(|err| with_path("file_type", &std.path(), err))).await
    }
}
