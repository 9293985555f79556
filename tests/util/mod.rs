//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

pub mod cancel;
pub mod example;
pub mod kv;
pub mod leak_check;
mod wakers;

#[allow(unused_imports)] // each test binary uses its own subset
pub use wakers::{panicking_clone_waker, panicking_wake_waker, CountingWaker};

/// Counts drops of the [`Tracked`] values made from it.
#[derive(Clone, Default)]
pub struct Drops(Rc<Cell<usize>>);

impl Drops {
    pub fn track(&self) -> Tracked {
        Tracked(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.get()
    }
}

pub struct Tracked(Rc<Cell<usize>>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Polls `future` once with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// Generous bound for "this should happen promptly" on a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Runs `future` on a new runtime, failing the test if it takes longer than
/// [`PATIENCE`]: no test can hang.
pub fn run<F: Future>(future: F) -> F::Output {
    wakeful::block_on(async { wakeful::time::timeout(PATIENCE, future).await.expect("test timed out") })
}

/// Runs `f` on a thread of its own, failing the test if it takes longer than
/// [`PATIENCE`] (for blocking calls such as `wakeful::cores::Builder::run`).
pub fn bounded<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(PATIENCE) {
        Ok(result) => {
            thread.join().unwrap();
            result
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => std::panic::resume_unwind(thread.join().unwrap_err()),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("still running after {PATIENCE:?}: stuck"),
    }
}

/// Raises the soft limit on open files to the hard limit (at most `want`), for tests
/// with many connections.
pub fn raise_fd_limit(want: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a live rlimit the kernel fills in.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
    let target = (want as libc::rlim_t).min(limit.rlim_max);
    if limit.rlim_cur < target {
        limit.rlim_cur = target;
        // SAFETY: `limit` is a valid rlimit, only read.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    }
}

/// The soft and hard limits on open files.
fn rlimit_nofile() -> libc::rlimit {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a live rlimit the kernel fills in.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
    limit
}

/// The soft limit on open files.
#[allow(clippy::unnecessary_cast)] // `rlim_t` is `u64` here, not on every target
pub fn fd_limit() -> u64 {
    rlimit_nofile().rlim_cur as u64
}

/// Sets the soft limit on open files (the hard limit stays).
pub fn set_fd_limit(soft: u64) {
    let mut limit = rlimit_nofile();
    limit.rlim_cur = soft as libc::rlim_t;
    // SAFETY: `limit` is a live rlimit the kernel only reads.
    let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(set, 0, "{}", std::io::Error::last_os_error());
}

/// The environment variable that marks a child run of one test (see [`in_child`]).
const CHILD: &str = "WAKEFUL_TEST_CHILD";

/// Runs the test `name` of this test binary again in a child process, with
/// [`is_child`] true there, and returns its outcome. For tests that change
/// process-wide state (resource limits, signal dispositions) or that could kill the
/// process when the code under test is wrong.
pub fn in_child(name: &str) -> std::process::Output {
    let exe = std::env::current_exe().expect("test binary path");
    std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .output()
        .expect("run the test binary again")
}

/// True in the child process started by [`in_child`] for this test.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|child| child == name)
}

/// Asserts that the child run of a test passed, showing its output if not.
pub fn assert_child_passed(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "child test failed: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
}

/// In the parent: runs test `name` in a child process (see [`in_child`]), checks that
/// it passed, and returns true (the caller returns). In the child: false (the caller
/// runs the test).
pub fn ran_in_child(name: &str) -> bool {
    if is_child(name) {
        return false;
    }
    assert_child_passed(&in_child(name));
    true
}

/// The next item of a stream.
pub async fn next<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// A second fd for the socket of `fd`, closed when dropped.
pub fn dup(fd: std::os::fd::RawFd) -> std::os::fd::OwnedFd {
    // SAFETY: dup takes no pointers; `fd` is open for the call.
    let new = unsafe { libc::dup(fd) };
    assert!(new >= 0, "dup: {}", std::io::Error::last_os_error());
    // SAFETY: `new` was just returned by dup and nothing else owns it.
    unsafe { std::os::fd::FromRawFd::from_raw_fd(new) }
}

/// Asserts that `fd` took the number `expected` just freed (the kernel hands out the
/// lowest free number).
pub fn assert_reuses(expected: std::os::fd::RawFd, fd: std::os::fd::RawFd) {
    assert_eq!(fd, expected, "the new socket must reuse the number just closed (lowest free fd)");
}

/// `len` bytes of a pattern that reveals reordering, loss and duplication.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed).collect()
}

/// Runs `test` on its own thread and fails if it has not finished within [`PATIENCE`]:
/// for tests whose failure mode is a busy loop, which no async timeout can interrupt.
pub fn with_watchdog(test: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(PATIENCE) {
        Ok(()) => runner.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The test panicked: surface its message.
            if let Err(panic) = runner.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("test still running after {PATIENCE:?}: stuck")
        }
    }
}

/// Lets every task that is ready now run once, from the `block_on` future: two
/// yields, as the runtime polls the `block_on` future before the ready tasks after
/// each look at I/O (every `event_interval` polls), so one yield may come back first.
pub async fn run_ready_tasks() {
    wakeful::yield_now().await;
    wakeful::yield_now().await;
}

/// A fresh directory for one test's files (Unix socket paths), removed when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("wakeful-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
