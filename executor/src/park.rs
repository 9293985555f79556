//! [`Park`]: how the executor waits when it has nothing to run, without making a
//! syscall of its own. The facade plugs in the reactor; [`ThreadPark`] is the default.

use std::thread::{self, Thread};
use std::time::Duration;

/// Blocks the runtime's thread until something may have woken a task.
///
/// The executor calls `park(None)` when it is idle, and `park(Some(Duration::ZERO))`
/// every `event_interval` polls to let I/O and timers in (or, after a turn that left
/// more tasks queued, once those have run). An implementation may return
/// early (spurious wakeups are fine) but must return promptly after
/// [`Unpark::unpark`], including an unpark that came before the call.
///
/// ```
/// use std::time::Duration;
/// use wakeful_executor::{Builder, Park, ThreadPark, Unpark};
///
/// /// Counts how often the runtime had nothing to do.
/// struct CountingPark(ThreadPark, u32);
///
/// impl Park for CountingPark {
///     fn park(&mut self, timeout: Option<Duration>) {
///         self.1 += 1;
///         self.0.park(timeout);
///     }
///     fn unparker(&self) -> Box<dyn Unpark> {
///         self.0.unparker()
///     }
/// }
///
/// let rt = Builder::default().build_with_park(CountingPark(ThreadPark::new(), 0));
/// assert_eq!(rt.block_on(async { 7 }), 7);
/// ```
pub trait Park {
    /// Waits at most `timeout` (`None`: until unparked or an outside event).
    fn park(&mut self, timeout: Option<Duration>);

    /// A handle that ends the current or next `park`, from any thread.
    fn unparker(&self) -> Box<dyn Unpark>;
}

/// Ends a [`Park::park`] from any thread.
///
/// ```
/// use wakeful_executor::{Park, ThreadPark};
///
/// let mut park = ThreadPark::new();
/// let unparker = park.unparker();
/// std::thread::spawn(move || unparker.unpark()).join().unwrap();
/// park.park(None); // returns: the unpark came first
/// ```
pub trait Unpark: Send + Sync + 'static {
    /// Makes the current or next `park` return.
    fn unpark(&self);
}

/// Parks with `std::thread::park`: for runtimes without I/O, and for tests under Miri.
///
/// ```
/// // `Runtime::new()` parks with a `ThreadPark`: no reactor, no syscalls of its own.
/// let rt = wakeful_executor::Runtime::new();
/// assert_eq!(rt.block_on(async { "parked with std" }), "parked with std");
/// ```
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
