//! `wakeful::fs`'s functions and `read_dir`: results as std's, errors that name their
//! paths, and futures that work without a runtime.

mod util;

use std::io::ErrorKind;

use util::TempDir;
use wakeful::fs;

#[test]
fn write_read_metadata_copy_rename_remove_round_trip() {
    let dir = TempDir::new("fs-round-trip");
    util::run(async {
        let a = dir.path("a.bin");
        let content = util::pattern(100_000, 3);
        fs::write(&a, &content).await.unwrap();
        assert_eq!(fs::read(&a).await.unwrap(), content);
        assert_eq!(fs::metadata(&a).await.unwrap().len(), 100_000);
        assert!(fs::try_exists(&a).await.unwrap());
        assert_eq!(fs::copy(&a, dir.path("b.bin")).await.unwrap(), 100_000);
        fs::rename(dir.path("b.bin"), dir.path("c.bin")).await.unwrap();
        assert!(!fs::try_exists(dir.path("b.bin")).await.unwrap());
        assert_eq!(fs::read(dir.path("c.bin")).await.unwrap(), content);
        fs::write(dir.path("t.txt"), "text").await.unwrap();
        assert_eq!(fs::read_to_string(dir.path("t.txt")).await.unwrap(), "text");
        fs::symlink(&a, dir.path("link")).await.unwrap();
        assert!(fs::symlink_metadata(dir.path("link")).await.unwrap().file_type().is_symlink());
        assert_eq!(fs::read_link(dir.path("link")).await.unwrap(), a);
        assert_eq!(fs::canonicalize(dir.path("link")).await.unwrap(), std::fs::canonicalize(&a).unwrap());
        fs::remove_file(dir.path("link")).await.unwrap();
        fs::create_dir_all(dir.path("x/y/z")).await.unwrap();
        fs::create_dir(dir.path("x/y/z/w")).await.unwrap();
        fs::remove_dir(dir.path("x/y/z/w")).await.unwrap();
        fs::remove_dir_all(dir.path("x")).await.unwrap();
        assert!(!fs::try_exists(dir.path("x")).await.unwrap());
        fs::remove_file(&a).await.unwrap();
    });
}

#[test]
fn errors_keep_their_kind_and_name_the_path() {
    let dir = TempDir::new("fs-errors");
    util::run(async {
        let missing = dir.path("missing/file");
        let err = fs::read(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            format!("read {}: No such file or directory (os error 2)", missing.display())
        );
        // std's error stays reachable, with its errno.
        let source = std::error::Error::source(&err).unwrap().downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(source.raw_os_error(), Some(libc::ENOENT));

        let err = fs::File::open(&missing).await.unwrap_err();
        assert!(err.to_string().starts_with(&format!("open {}: ", missing.display())), "{err}");
        let err = fs::rename(&missing, dir.path("to")).await.unwrap_err();
        assert!(
            err.to_string().contains(&format!("{} to {}", missing.display(), dir.path("to").display())),
            "{err}"
        );
        fs::create_dir(dir.path("d")).await.unwrap();
        assert_eq!(fs::create_dir(dir.path("d")).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
        assert!(fs::remove_file(dir.path("d")).await.unwrap_err().to_string().starts_with("remove_file "));
        fs::write(dir.path("bad.txt"), [0xff, 0xfe]).await.unwrap();
        assert_eq!(fs::read_to_string(dir.path("bad.txt")).await.unwrap_err().kind(), ErrorKind::InvalidData);
        let err = fs::read_dir(&missing).await.unwrap_err();
        assert!(err.to_string().starts_with("read_dir "), "{err}");
    });
}

#[test]
fn read_dir_lists_every_entry_across_chunks_even_with_dropped_calls() {
    let dir = TempDir::new("fs-read-dir");
    for i in 0..100 {
        std::fs::write(dir.path(&format!("f{i:03}")), [i as u8]).unwrap();
    }
    let names = util::run(async {
        let mut entries = fs::read_dir(dir.path("")).await.unwrap();
        let mut names = Vec::new();
        let mut dropped = 0;
        loop {
            // Every other call is polled once and dropped: what it started is kept.
            if dropped < 10 {
                let mut next = Box::pin(entries.next_entry());
                if let std::task::Poll::Ready(entry) = util::poll_once(&mut next) {
                    if let Some(entry) = entry.unwrap() {
                        names.push(entry.file_name().into_string().unwrap());
                    } else {
                        break;
                    }
                } else {
                    dropped += 1;
                }
            }
            match entries.next_entry().await.unwrap() {
                Some(entry) => {
                    assert_eq!(entry.path(), dir.path(entry.file_name().to_str().unwrap()));
                    assert!(entry.file_type().await.unwrap().is_file());
                    assert_eq!(entry.metadata().await.unwrap().len(), 1);
                    names.push(entry.file_name().into_string().unwrap());
                }
                None => break,
            }
        }
        assert!(entries.next_entry().await.unwrap().is_none(), "the end stays the end");
        names
    });
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "no entry twice");
    assert_eq!(sorted, (0..100).map(|i| format!("f{i:03}")).collect::<Vec<_>>());
}

#[test]
fn read_dir_is_a_stream() {
    let dir = TempDir::new("fs-read-dir-stream");
    for i in 0..40 {
        std::fs::write(dir.path(&format!("{i}")), []).unwrap();
    }
    let count = util::run(async {
        let mut entries = fs::read_dir(dir.path("")).await.unwrap();
        let mut count = 0;
        while let Some(entry) = util::next(&mut entries).await {
            entry.unwrap();
            count += 1;
        }
        count
    });
    assert_eq!(count, 40);
}

#[test]
fn fs_futures_work_without_a_runtime_and_are_send() {
    let dir = TempDir::new("fs-no-runtime");
    let path = dir.path("f");
    fn assert_send<T: Send>(t: T) -> T {
        t
    }
    // Another executor entirely, on another thread.
    std::thread::spawn(move || {
        futures_lite::future::block_on(assert_send(async {
            fs::write(&path, b"elsewhere").await.unwrap();
            assert_eq!(fs::read(&path).await.unwrap(), b"elsewhere");
        }))
    })
    .join()
    .unwrap();
}

#[test]
fn a_dropped_write_future_still_writes() {
    let dir = TempDir::new("fs-dropped-write");
    let path = dir.path("f");
    util::run(async {
        let mut write = Box::pin(fs::write(path.clone(), b"detached"));
        // Usually Pending (queued on the pool); Ready only if the pool beat the poll.
        let _ = util::poll_once(&mut write);
        drop(write);
        // Detached, as tokio's: it runs to the end. Its file appears.
        let deadline = std::time::Instant::now() + util::PATIENCE;
        while fs::read(&path).await.map(|b| b.len()).unwrap_or(0) < 8 {
            assert!(std::time::Instant::now() < deadline, "the dropped write never happened");
            wakeful::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    });
    assert_eq!(std::fs::read(&path).unwrap(), b"detached");
}
