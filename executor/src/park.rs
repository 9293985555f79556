//! [`Park`]: how the executor waits when it has nothing to run, without making a
//! syscall of its own. The facade plugs in the reactor; [`ThreadPark`] is the default.

use std::thread::{self, Thread};
use std::time::Duration;

/// Blocks the runtime's thread until something may have woken a task.
///
/// The executor calls `park(None)` when it is idle, and `park(Some(Duration::ZERO))`
/// every `event_interval` polls to let I/O and timers in. An implementation may return
/// early (spurious wakeups are fine) but must return promptly after
/// [`Unpark::unpark`], including an unpark that came before the call.
pub trait Park {
    /// Waits at most `timeout` (`None`: until unparked or an outside event).
    fn park(&mut self, timeout: Option<Duration>);

    /// A handle that ends the current or next `park`, from any thread.
    fn unparker(&self) -> Box<dyn Unpark>;
}

/// Ends a [`Park::park`] from any thread.
pub trait Unpark: Send + Sync + 'static {
    /// Makes the current or next `park` return.
    fn unpark(&self);
}

/// Parks with `std::thread::park`: for runtimes without I/O, and for tests under Miri.
#[derive(Debug)]
pub struct ThreadPark {
    thread: Thread,
}

impl ThreadPark {
    /// Parks the calling thread, which must be the one that runs the runtime.
    pub fn new() -> ThreadPark {
        ThreadPark { thread: thread::current() }
    }
}

impl Default for ThreadPark {
    fn default() -> Self {
        ThreadPark::new()
    }
}

impl Park for ThreadPark {
    fn park(&mut self, timeout: Option<Duration>) {
        match timeout {
            None => thread::park(),
            Some(timeout) if timeout.is_zero() => {}
            Some(timeout) => thread::park_timeout(timeout),
        }
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        Box::new(self.thread.clone())
    }
}

impl Unpark for Thread {
    fn unpark(&self) {
        Thread::unpark(self);
    }
}
