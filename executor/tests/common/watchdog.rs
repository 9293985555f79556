//! A watchdog for tests whose failure mode is a lost wake: a hang must fail the test,
//! not pass for a slow success.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Waker;

/// How long one bounded step of a test may take before it fails. Generous: the
/// machine may be loaded; under Miri time is virtual and passes only when every
/// thread is blocked, i.e. exactly when a wake was lost.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

/// A thread that fails the test unless [`Watchdog::pet`] is called at least every
/// [`PATIENCE`]. When it bites, it sets [`Watchdog::bitten`] and wakes `rescue` (the
/// `block_on` future's waker: a path independent of the task wakes under test), so
/// that the test fails with its own message; if even that goes unanswered, it prints
/// `what` and aborts the process, as a hang must not pass for a slow success.
pub struct Watchdog {
    pets: Option<std::sync::mpsc::Sender<()>>,
    bitten: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    pub fn start(what: &'static str, rescue: Waker) -> Watchdog {
        use std::io::Write;
        let (pets, petted) = std::sync::mpsc::channel::<()>();
        let bitten = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = bitten.clone();
        let thread = std::thread::spawn(move || loop {
            match petted.recv_timeout(PATIENCE) {
                Ok(()) => continue,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    flag.store(true, Ordering::SeqCst);
                    rescue.wake_by_ref();
                    if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = petted.recv_timeout(PATIENCE) {
                        // Straight to stderr: the test harness captures `eprintln!`, and
                        // would lose the message with the process.
                        let _ = writeln!(
                            std::io::stderr(),
                            "watchdog: {what}: no progress in {:?}, even after a rescue wake",
                            2 * PATIENCE
                        );
                        std::process::abort();
                    }
                    return;
                }
            }
        });
        Watchdog { pets: Some(pets), bitten, thread: Some(thread) }
    }

    /// Progress: the next step gets a fresh [`PATIENCE`].
    pub fn pet(&self) {
        let _ = self.pets.as_ref().expect("running").send(());
    }

    /// True once the watchdog ran out of patience.
    pub fn bitten(&self) -> bool {
        self.bitten.load(Ordering::SeqCst)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.pets.take()); // disconnects: the thread returns
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
