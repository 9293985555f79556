//! `wakeful::fs::File`: one operation in flight through a buffer (tokio's model).
//! Writes complete into the buffer, flush waits for them and reports their errors,
//! seeks and reads see the bytes written before them, and dropping any future at
//! any `Pending` loses no byte.

mod util;

use std::io::SeekFrom;
use std::pin::Pin;
use std::task::Poll;

use futures_lite::io::AsyncSeekExt;
use util::{CountingWaker, TempDir};
use wakeful::fs::{File, OpenOptions};
use wakeful::io::{AsyncReadExt, AsyncWriteExt};

/// Reads `dst.len()` bytes, leaving more read ahead in the file's buffer: a read of 64
/// is started and dropped (its bytes are kept), then the small read takes from them.
async fn read_leaving_bytes_ahead(file: &mut File, dst: &mut [u8]) {
    for _ in 0..100 {
        let polled = util::poll_once(&mut file.read(&mut [0; 64]));
        match polled {
            Poll::Pending => return file.read_exact(dst).await.unwrap(),
            // The pool was quicker than the poll: the bytes were read; step back, again.
            Poll::Ready(n) => drop(file.seek(SeekFrom::Current(-(n.unwrap() as i64))).await.unwrap()),
        }
    }
    panic!("every read finished within its first poll");
}

async fn read_write(path: &std::path::Path) -> File {
    OpenOptions::new().read(true).write(true).create(true).truncate(true).open(path).await.unwrap()
}

#[test]
fn write_flush_then_read_back_through_a_second_handle() {
    let dir = TempDir::new("file-write-read");
    let path = dir.path("f");
    let content = util::pattern(5 * 1024 * 1024 + 17, 9); // more than two 2 MiB trips
    util::run(async {
        let mut file = File::create(&path).await.unwrap();
        file.write_all(&content).await.unwrap();
        file.flush().await.unwrap();
        file.sync_all().await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), content.len() as u64);
        let mut back = Vec::new();
        File::open(&path).await.unwrap().read_to_end(&mut back).await.unwrap();
        assert!(back == content, "read back differs");
    });
}

#[test]
fn seek_after_write_sees_the_write_and_read_ahead_is_given_back() {
    let dir = TempDir::new("file-seek");
    let path = dir.path("f");
    util::run(async {
        let mut file = read_write(&path).await;
        file.write_all(b"0123456789").await.unwrap();
        // No flush: the seek waits for the write before it.
        assert_eq!(file.seek(SeekFrom::End(0)).await.unwrap(), 10);
        assert_eq!(file.seek(SeekFrom::Start(2)).await.unwrap(), 2);
        let mut two = [0; 2];
        read_leaving_bytes_ahead(&mut file, &mut two).await;
        assert_eq!(&two, b"23");
        // The read fetched the rest ahead; the logical position is still 4.
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 4);
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"45");
        // A write after a read-ahead lands at the logical position.
        file.write_all(b"ab").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"012345ab89");
        // A seek to a negative position fails, and the position stays where it was.
        file.seek(SeekFrom::Start(1)).await.unwrap();
        read_leaving_bytes_ahead(&mut file, &mut two).await;
        let err = file.seek(SeekFrom::Current(-100)).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().starts_with(&format!("seek {}", path.display())), "{err}");
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"34", "the failed seek moved the position");
        assert_eq!(
            file.seek(SeekFrom::Current(i64::MIN)).await.unwrap_err().kind(),
            std::io::ErrorKind::InvalidInput
        );
    });
}

#[test]
fn futures_dropped_at_each_pending_lose_no_written_byte() {
    let dir = TempDir::new("file-drop-writes");
    let path = dir.path("f");
    let expected = util::run(async {
        let mut file = read_write(&path).await;
        let mut expected = Vec::new();
        let waker = CountingWaker::new();
        for i in 0..200u32 {
            let chunk = util::pattern(100 + i as usize, i as u8);
            // A write polled once: Ready(n) hands n bytes over; Pending takes none.
            let mut write = file.write(&chunk);
            if let Poll::Ready(n) = waker.poll(Pin::new(&mut write)) {
                expected.extend_from_slice(&chunk[..n.unwrap()]);
            }
            drop(write);
            match i % 3 {
                0 => drop(waker.poll(Pin::new(&mut file.flush()))),
                1 => drop(waker.poll(Pin::new(&mut file.seek(SeekFrom::End(0))))),
                _ => drop(waker.poll(Pin::new(&mut file.read(&mut [0; 16])))),
            }
        }
        let tail = b"the end";
        file.write_all(tail).await.unwrap();
        expected.extend_from_slice(tail);
        file.flush().await.unwrap();
        // Every waker handed to a job was woken and dropped when the job finished.
        assert_eq!(waker.held(), 0, "a waker left behind");
        expected
    });
    let on_disk = std::fs::read(&path).unwrap();
    assert!(on_disk.len() >= expected.len() - 7);
    assert!(
        on_disk == expected,
        "bytes lost or reordered: {} on disk, {} expected",
        on_disk.len(),
        expected.len()
    );
}

#[test]
fn reads_dropped_at_each_pending_lose_no_byte() {
    let dir = TempDir::new("file-drop-reads");
    let path = dir.path("f");
    let content = util::pattern(300_000, 4);
    std::fs::write(&path, &content).unwrap();
    let got = util::run(async {
        let mut file = File::open(&path).await.unwrap();
        let mut got = Vec::new();
        let waker = CountingWaker::new();
        let mut buf = vec![0; 1000];
        loop {
            // One poll, then dropped; bytes a finished read fetched come out next time.
            let polled = waker.poll(Pin::new(&mut file.read(&mut buf)));
            if let Poll::Ready(n) = polled {
                let n = n.unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            if got.len() % 7 == 0 {
                drop(waker.poll(Pin::new(&mut file.seek(SeekFrom::Current(0)))));
            }
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(waker.held(), 0, "a waker left behind");
        got
    });
    assert_eq!(got.len(), content.len());
    assert!(got == content, "bytes lost, repeated or reordered");
}

#[test]
fn a_write_error_surfaces_at_flush_with_the_path() {
    let dir = TempDir::new("file-write-error");
    let path = dir.path("f");
    std::fs::write(&path, b"x").unwrap();
    util::run(async {
        let mut file = File::open(&path).await.unwrap(); // read-only
                                                         // The write completes into the buffer: the OS says no later.
        assert_eq!(file.write(b"abc").await.unwrap(), 3);
        let err = file.flush().await.unwrap_err();
        assert!(err.to_string().starts_with(&format!("write {}: ", path.display())), "{err}");
        file.flush().await.unwrap(); // reported once
                                     // Seen by the next write when nothing flushed.
        assert_eq!(file.write(b"abc").await.unwrap(), 3);
        assert!(file.write(b"abc").await.is_err());
    });
}

#[test]
fn a_huge_read_buffer_is_filled_by_trips_of_bounded_size() {
    let dir = TempDir::new("file-huge-read");
    let path = dir.path("f");
    std::fs::write(&path, util::pattern(3 * 1024 * 1024, 1)).unwrap();
    util::run(async {
        let mut file = File::open(&path).await.unwrap();
        let mut huge = vec![0; 64 * 1024 * 1024];
        let n = file.read(&mut huge).await.unwrap();
        assert!(n > 0 && n <= 2 * 1024 * 1024, "one trip reads at most 2 MiB, read {n}");
        assert_eq!(file.read(&mut []).await.unwrap(), 0, "an empty buffer reads nothing");
    });
}

#[test]
fn dropping_a_file_without_flush_still_writes_its_bytes() {
    let dir = TempDir::new("file-drop-unflushed");
    let path = dir.path("f");
    util::run(async {
        let mut file = File::create(&path).await.unwrap();
        assert_eq!(file.write(b"kept").await.unwrap(), 4);
        drop(file);
        let deadline = std::time::Instant::now() + util::PATIENCE;
        while std::fs::read(&path).unwrap() != b"kept" {
            assert!(std::time::Instant::now() < deadline, "the unflushed write was lost");
            wakeful::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    });
}

#[test]
fn set_len_into_std_and_from_std() {
    let dir = TempDir::new("file-std");
    let path = dir.path("f");
    util::run(async {
        let mut file = read_write(&path).await;
        file.write_all(b"0123456789").await.unwrap();
        file.set_len(4).await.unwrap(); // waits for the write first
        assert_eq!(file.metadata().await.unwrap().len(), 4);
        file.sync_data().await.unwrap();
        let err = file.set_len(u64::MAX).await.unwrap_err(); // past any file size
        assert!(err.to_string().starts_with(&format!("set_len {}: ", path.display())), "{err}");
        file.seek(SeekFrom::Start(1)).await.unwrap();
        let mut one = [0; 1];
        read_leaving_bytes_ahead(&mut file, &mut one).await; // "23" left ahead
        let file = match file.try_into_std() {
            Ok(_) => panic!("bytes read ahead: not convertible as is"),
            Err(file) => file,
        };
        let mut std = file.into_std().await;
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut std, &mut rest).unwrap();
        assert_eq!(rest, "23", "into_std gave the read-ahead back");
        let mut file = File::from_std(std);
        file.write_all(b"!").await.unwrap();
        file.flush().await.unwrap();
        assert!(file.try_into_std().is_ok());
        assert_eq!(std::fs::read(&path).unwrap(), b"0123!");
    });
}

#[test]
fn open_options_and_create_new() {
    let dir = TempDir::new("file-options");
    let path = dir.path("f");
    util::run(async {
        File::create_new(&path).await.unwrap();
        let err = File::create_new(&path).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        let mut file = File::options().append(true).open(&path).await.unwrap();
        file.write_all(b"a").await.unwrap();
        file.write_all(b"b").await.unwrap();
        file.flush().await.unwrap();
        let err = File::options().open(&path).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "neither read nor write: {err}");
    });
    assert_eq!(std::fs::read(&path).unwrap(), b"ab");
}

#[cfg(feature = "tokio-io")]
#[test]
fn tokio_traits_read_write_and_seek() {
    let dir = TempDir::new("file-tokio-io");
    let path = dir.path("f");
    util::run(async {
        let mut file = read_write(&path).await;
        tokio::io::AsyncWriteExt::write_all(&mut file, b"hello tokio").await.unwrap();
        assert_eq!(tokio::io::AsyncSeekExt::seek(&mut file, SeekFrom::Start(6)).await.unwrap(), 6);
        let mut word = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut file, &mut word).await.unwrap();
        assert_eq!(word, "tokio");
        assert_eq!(tokio::io::AsyncSeekExt::stream_position(&mut file).await.unwrap(), 11);
        tokio::io::AsyncWriteExt::shutdown(&mut file).await.unwrap();
    });
}

/// Deterministic: the pool has one thread, held busy, so the abandoned `metadata` job
/// stays queued with its clone of the file while `into_std` runs (before the fix this
/// reached an `unreachable!`).
#[test]
fn into_std_while_a_dropped_metadata_job_holds_the_file() {
    const NAME: &str = "into_std_while_a_dropped_metadata_job_holds_the_file";
    if util::ran_in_child(NAME) {
        return;
    }
    let dir = TempDir::new("file-into-std-shared");
    let path = dir.path("f");
    std::fs::write(&path, b"abc").unwrap();
    util::run(async {
        let file = File::open(&path).await.unwrap();
        wakeful::task::blocking::set_max_threads(1).unwrap();
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let busy = wakeful::task::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            gate.recv_timeout(util::PATIENCE).is_ok()
        });
        started.recv_timeout(util::PATIENCE).unwrap();
        drop(util::poll_once(&mut Box::pin(file.metadata())));
        assert_eq!(wakeful::task::blocking::stats().queued, 1, "the metadata job waits");
        let mut std = file.into_std().await; // a duplicate fd: no panic
        let mut all = String::new();
        std::io::Read::read_to_string(&mut std, &mut all).unwrap();
        assert_eq!(all, "abc");
        release.send(()).unwrap();
        assert!(busy.await.unwrap());
        // An empty write is a no-op that hands nothing to the pool.
        let mut file = File::from_std(std);
        assert_eq!(file.write(&[]).await.unwrap(), 0);
    });
}

#[test]
fn file_and_its_futures_are_send_as_tokio_s() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<File>();
    assert_send_sync::<OpenOptions>();
    assert_send_sync::<wakeful::fs::ReadDir>();
    assert_send(&File::open("/nonexistent"));
}

/// A write's error kept by a read (the read waited for the write and went on) must not
/// make `into_std` skip giving back the bytes read ahead.
#[test]
fn into_std_after_an_unseen_write_error_gives_back_the_read_ahead() {
    let dir = TempDir::new("file-into-std-write-err");
    let path = dir.path("f");
    std::fs::write(&path, b"0123456789").unwrap();
    util::run(async {
        // Until a read of 64 is still in flight after its first poll (the pool may be
        // quicker): stepping back with a seek would report the kept error, so each
        // attempt starts again from a fresh handle.
        let mut file = 'attempts: {
            for _ in 0..100 {
                let mut file = File::open(&path).await.unwrap(); // read-only: the write fails later
                assert_eq!(file.write(b"x").await.unwrap(), 1);
                // An empty read waits for the failed write, keeping its error for later.
                assert_eq!(file.read(&mut []).await.unwrap(), 0);
                if util::poll_once(&mut file.read(&mut [0; 64])).is_pending() {
                    break 'attempts file; // dropped in flight: its bytes are kept
                }
            }
            panic!("every read finished within its first poll");
        };
        let mut two = [0; 2];
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"01");
        let mut std = file.into_std().await;
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut std, &mut rest).unwrap();
        assert_eq!(rest, "23456789", "into_std lost the read-ahead after a write error");
    });
}

/// `into_std` promises the operation in flight has finished: a kept write error must
/// not let it return while a read job still uses (and moves) the file.
#[test]
fn into_std_after_an_unseen_write_error_waits_for_the_read_in_flight() {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both fds were just created and are owned by nothing else.
    let (reader, mut writer) = unsafe {
        use std::os::fd::FromRawFd;
        (std::fs::File::from_raw_fd(fds[0]), std::fs::File::from_raw_fd(fds[1]))
    };
    util::run(async move {
        let mut file = File::from_std(reader);
        assert_eq!(file.write(b"x").await.unwrap(), 1); // EBADF later: a read end
        assert_eq!(file.read(&mut []).await.unwrap(), 0); // keeps the write's error
        let mut dst = [0; 8];
        // The pipe is empty: the read job blocks until the writer writes.
        assert!(util::poll_once(&mut file.read(&mut dst)).is_pending());
        let mut into_std = Box::pin(file.into_std());
        assert!(
            util::poll_once(&mut into_std).is_pending(),
            "into_std returned while a read job still held the file"
        );
        std::io::Write::write_all(&mut writer, b"hello").unwrap();
        drop(into_std.await);
    });
}

/// A dropped `set_len` is the `File`'s operation in flight, as a dropped write is: a
/// later write runs after it, never before (the write would be truncated away).
/// Before the fix the two jobs raced on two pool threads: a few of the 40 rounds lost.
#[test]
fn a_write_after_a_dropped_set_len_runs_after_it() {
    let dir = TempDir::new("file-set-len-order");
    let path = dir.path("f");
    let content = vec![7u8; 8 * 1024 * 1024];
    util::run(async {
        for round in 0..40 {
            let mut file = read_write(&path).await;
            file.write_all(&content).await.unwrap();
            file.flush().await.unwrap();
            if util::poll_once(&mut Box::pin(file.set_len(0))).is_ready() {
                continue; // finished at once: nothing in flight to order
            }
            file.write_all(b"x").await.unwrap();
            file.flush().await.unwrap();
            // Truncated, then written at the position 8 MiB: a hole, then "x".
            let len = std::fs::metadata(&path).unwrap().len();
            assert_eq!(len, content.len() as u64 + 1, "round {round}: the write ran before the set_len");
        }
    });
}

/// A write or seek the pool cannot start (no thread alive, the OS refuses one) fails,
/// and the bytes read ahead it had dropped must not move the position.
#[test]
fn a_write_or_seek_the_pool_cannot_start_keeps_the_position() {
    const NAME: &str = "a_write_or_seek_the_pool_cannot_start_keeps_the_position";
    if util::ran_in_child(NAME) {
        return;
    }
    use wakeful::task::blocking;
    let dir = TempDir::new("file-no-thread");
    let path = dir.path("f");
    std::fs::write(&path, b"0123456789").unwrap();
    let std = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
    let no_thread = || {
        blocking::set_keep_alive(std::time::Duration::ZERO);
        let deadline = std::time::Instant::now() + util::PATIENCE;
        while blocking::stats().threads != 0 {
            assert!(std::time::Instant::now() < deadline, "pool threads never exited");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        blocking::set_thread_stack_size(1 << 47); // more than the address space
    };
    let threads_again = || blocking::set_thread_stack_size(256 * 1024);
    util::run(async {
        let mut file = File::from_std(std);
        let mut two = [0; 2];
        read_leaving_bytes_ahead(&mut file, &mut two).await;
        assert_eq!(&two, b"01");
        no_thread();
        assert!(file.write(b"ab").await.is_err(), "no thread: the write cannot start");
        threads_again();
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 2, "the failed write moved the position");
        read_leaving_bytes_ahead(&mut file, &mut two).await;
        assert_eq!(&two, b"23");
        no_thread();
        assert!(file.seek(SeekFrom::Current(1)).await.is_err(), "no thread: the seek cannot start");
        threads_again();
        file.write_all(b"ab").await.unwrap();
        file.flush().await.unwrap();
    });
    assert_eq!(std::fs::read(&path).unwrap(), b"0123ab6789", "the failed seek moved the position");
}

/// The docs: a write's error surfaces at the next write, flush *or seek*, also when a
/// read waited for the failed write in between (and kept its error).
#[test]
fn a_write_error_kept_by_a_read_surfaces_at_the_next_seek() {
    let dir = TempDir::new("file-write-error-seek");
    let path = dir.path("f");
    std::fs::write(&path, b"0123").unwrap();
    util::run(async {
        let mut file = File::open(&path).await.unwrap(); // read-only: the write fails later
        assert_eq!(file.write(b"x").await.unwrap(), 1);
        assert_eq!(file.read(&mut []).await.unwrap(), 0); // waits for it, keeps its error
        let err = file.seek(SeekFrom::Start(2)).await.unwrap_err();
        assert!(err.to_string().starts_with(&format!("write {}: ", path.display())), "{err}");
        file.flush().await.unwrap(); // reported once
        assert_eq!(file.seek(SeekFrom::Start(2)).await.unwrap(), 2);
    });
}

/// `try_into_std` keeps a write error nobody has seen yet: the `File` comes back, and
/// the error is reported by the next `flush`.
#[test]
fn try_into_std_with_an_unseen_write_error_gives_the_file_back() {
    let dir = TempDir::new("file-try-into-std-write-err");
    let path = dir.path("f");
    std::fs::write(&path, b"0123456789").unwrap();
    util::run(async {
        let mut file = File::open(&path).await.unwrap(); // read-only: the write fails later
        assert_eq!(file.write(b"x").await.unwrap(), 1);
        // An empty read waits for the failed write, keeping its error for later.
        assert_eq!(file.read(&mut []).await.unwrap(), 0);
        let mut file = file.try_into_std().expect_err("the kept write error must not be dropped");
        assert!(file.flush().await.is_err(), "flush reports the write error kept");
    });
}
