//! Where `net` finds the reactor: the runtime of the current thread.
//!
//! The facade's `Runtime::block_on` [`enter`]s its reactor for the duration; sockets
//! and timers created inside take an `Rc` of it, so they keep working (and can be
//! dropped cleanly) wherever their owner goes on this thread.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use wakeful_executor::task::{wake_with_cause, IoEvents, WakeCause};
use wakeful_executor::trace::Tracer;
use wakeful_executor::{Park, Unpark};
use wakeful_reactor::{AutoAdvanceInhibitor, Reactor, Readiness, Woken};

thread_local! {
    static CURRENT: RefCell<Option<Rc<Reactor>>> = const { RefCell::new(None) };
}

/// Makes `reactor` this thread's current one until the guard is dropped.
pub fn enter(reactor: &Rc<Reactor>) -> EnterGuard {
    let previous = CURRENT.with(|c| c.replace(Some(reactor.clone())));
    EnterGuard { previous }
}

/// Restores the previous current reactor when dropped.
///
/// ```
/// use std::rc::Rc;
/// use wakeful_net::context;
/// use wakeful_reactor::Reactor;
///
/// let reactor = Rc::new(Reactor::new()?);
/// assert!(context::current().is_err());
/// {
///     let _guard = context::enter(&reactor);
///     assert!(context::current().is_ok());
/// }
/// assert!(context::current().is_err(), "the guard restored the previous state");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct EnterGuard {
    previous: Option<Rc<Reactor>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let left = CURRENT.with(|c| c.replace(self.previous.take()));
        // Outside the borrow: if that was the last `Rc`, the reactor drops here, with
        // every waker still stored in it, and a waker's `Drop` may look for the
        // current runtime.
        drop(left);
    }
}

/// This thread's reactor, or an error saying that no runtime is running here.
pub fn current() -> io::Result<Rc<Reactor>> {
    CURRENT.with(|c| c.borrow().clone()).ok_or_else(no_runtime)
}

/// The error of [`current`] outside a runtime.
pub(crate) fn no_runtime() -> io::Error {
    io::Error::other(
        "no wakeful runtime is running on this thread: \
         use wakeful::block_on or Runtime::block_on around async code that does I/O or sleeps",
    )
}

/// The current instant of this thread's runtime's clock (paused or not); outside a
/// runtime, the OS's monotonic clock. Every deadline and elapsed check in `net` reads
/// the time here, so that a paused clock governs them all.
///
/// Never panics, as std's: in a thread-local's destructor that runs after this
/// module's context is gone, there is no runtime, so the OS clock.
pub(crate) fn now() -> std::time::Instant {
    if !wakeful_reactor::clock_ever_paused_on_this_thread() {
        return std::time::Instant::now(); // every clock here is the OS's
    }
    let runtime = CURRENT.try_with(|c| c.borrow().as_ref().map(|r| r.now()));
    runtime.ok().flatten().unwrap_or_else(std::time::Instant::now)
}

/// Runs `f` with this thread's reactor, if any, without cloning its `Rc`.
///
/// `f` must not enter or leave a runtime (the context stays borrowed meanwhile).
///
/// In a thread-local's destructor that runs after this module's context is gone
/// (a waker kept in a thread-local, dropped at thread exit, that takes a task dump),
/// there is no runtime: `f` gets `None`, rather than a panic that would abort.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Rc<Reactor>>) -> R) -> R {
    let mut f = Some(f);
    let mut call = |reactor: Option<&Rc<Reactor>>| f.take().expect("called once")(reactor);
    match CURRENT.try_with(|c| call(c.borrow().as_ref())) {
        Ok(output) => output,
        Err(_destroyed) => call(None),
    }
}

/// Keeps the paused clock of this thread's runtime from auto-advancing while the guard
/// lives (see [`Reactor::inhibit_auto_advance`]): for work done on other threads that
/// will wake a task here, such as a blocking pool's job. Take the guard on the
/// runtime's thread when the work is handed off; drop it, on any thread, after the
/// wake that delivers the result. Errors outside a runtime.
///
/// ```
/// use std::rc::Rc;
/// use wakeful_net::context;
/// use wakeful_reactor::Reactor;
///
/// let reactor = Rc::new(Reactor::new()?);
/// let _entered = context::enter(&reactor);
/// let guard = context::inhibit_auto_advance()?;
/// assert!(reactor.auto_advance_inhibited());
/// drop(guard);
/// assert!(!reactor.auto_advance_inhibited());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn inhibit_auto_advance() -> io::Result<AutoAdvanceInhibitor> {
    Ok(current()?.inhibit_auto_advance())
}

/// Ok if `reactor` is the one of the runtime running on this thread; otherwise the
/// error that a source or timer of it reports instead of waiting forever.
pub(crate) fn check_current(reactor: &Rc<Reactor>) -> io::Result<()> {
    if is_current(reactor) {
        return Ok(());
    }
    current()?; // no runtime at all here: say that
    Err(io::Error::other(
        "wakeful: this socket belongs to another runtime (one since dropped, or not the one \
         running on this thread now), whose reactor would never wake it: create sockets \
         inside the runtime that uses them",
    ))
}

/// True if `reactor` is the one of the runtime running on this thread.
pub(crate) fn is_current(reactor: &Rc<Reactor>) -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(|r| Rc::ptr_eq(r, reactor)))
}

/// The executor's [`Park`], implemented by turning the reactor: the glue between the
/// two crates, neither of which knows the other.
///
/// ```
/// // What `wakeful::Runtime::new()` does, by hand: the executor parks by turning the
/// // reactor, and `net` types find the reactor through the thread's context.
/// use std::rc::Rc;
/// use std::time::Duration;
/// use wakeful_executor::Builder;
/// use wakeful_net::context::{self, ReactorPark};
/// use wakeful_reactor::Reactor;
///
/// let reactor = Rc::new(Reactor::new()?);
/// let executor = Builder::default().build_with_park(ReactorPark::new(reactor.clone()));
/// let _entered = context::enter(&reactor);
/// executor.block_on(wakeful_net::time::sleep(Duration::from_millis(1)));
/// assert_eq!(reactor.stats().timers_fired, 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ReactorPark {
    reactor: Rc<Reactor>,
}

impl ReactorPark {
    /// Parks by turning `reactor`.
    pub fn new(reactor: Rc<Reactor>) -> ReactorPark {
        ReactorPark { reactor }
    }

    /// An idle park under a paused clock: I/O and wakes from other threads first (a
    /// non-blocking turn), then, if neither woke anyone, a jump of the clock to the
    /// next timer — never a wait for a timer the paused clock would never reach. With
    /// no timer pending, or auto-advance inhibited, it waits as usual: only I/O, another
    /// thread or the last inhibitor's drop can then wake a task.
    fn park_paused(&self) -> io::Result<usize> {
        if !self.reactor.auto_advance_inhibited() {
            let unparks = self.reactor.stats().unparks;
            let woken = self.reactor.turn_with(Some(Duration::ZERO), wake_for)?;
            if woken > 0
                || self.reactor.stats().unparks != unparks
                || self.reactor.auto_advance_with(wake_for)
            {
                return Ok(woken);
            }
        }
        self.reactor.turn_with(None, wake_for)
    }
}

/// Wakes a waker the reactor handed over, naming what ended its wait as the cause:
/// the reactor's [`Woken`] in the executor's words.
#[inline]
pub(crate) fn wake_for(waker: Waker, woken: Woken) {
    let cause = match woken {
        Woken::Io { fd, readiness } => WakeCause::Io { fd, events: io_events(readiness) },
        Woken::Timer { deadline } => WakeCause::Timer { deadline },
        // `Woken` may grow: a reason this crate does not know yet is still a wake
        // between polls on this thread.
        _ => WakeCause::Local,
    };
    wake_with_cause(waker, cause);
}

/// The reactor's readiness bits as the executor's [`IoEvents`] (neither crate knows
/// the other): both number them alike, so this is a copy (see the test below).
#[inline]
fn io_events(readiness: Readiness) -> IoEvents {
    IoEvents::from_bits(readiness.bits())
}

impl Park for ReactorPark {
    // Never inlined into `TracedPark::park`: a second copy made the compiler stop
    // inlining the reactor's turn into this one (measured with callgrind: +200
    // instructions per echo round trip, untraced). Only called through `dyn Park`
    // otherwise, so this changes nothing for the untraced runtime.
    #[inline(never)]
    fn park(&mut self, timeout: Option<Duration>) {
        let turned = match timeout {
            None if self.reactor.is_paused() => self.park_paused(),
            _ => self.reactor.turn_with(timeout, wake_for),
        };
        if let Err(err) = turned {
            // epoll_wait / kevent fail only on invalid arguments (EBADF, EFAULT,
            // EINVAL), never on a peer's behaviour: a broken invariant, not bad input.
            panic!("wakeful: the reactor could not wait for events: {err}");
        }
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        Box::new(Unparker(self.reactor.unparker()))
    }
}

/// A [`ReactorPark`] that records each wait into a trace: its timeout, and the
/// wakers, I/O events and timers it delivered. A park of its own, so that the
/// untraced park's code stays as it was. Made by [`ReactorPark::traced`].
#[derive(Debug)]
pub struct TracedPark {
    inner: ReactorPark,
    trace: Tracer,
}

impl ReactorPark {
    /// Records each wait into `tracer` — the tracer given to the executor too
    /// (`wakeful_executor::Builder::build_traced`).
    ///
    /// ```
    /// use std::rc::Rc;
    /// use wakeful_executor::trace::{EventKind, TraceEvent, TraceSink, Tracer};
    /// use wakeful_executor::Park;
    /// use wakeful_net::context::ReactorPark;
    /// use wakeful_reactor::Reactor;
    ///
    /// struct Check;
    /// impl TraceSink for Check {
    ///     fn write(&mut self, events: &[TraceEvent]) {
    ///         assert!(matches!(events[0].kind, EventKind::WaitBegin { .. }));
    ///         assert!(matches!(events[1].kind, EventKind::WaitEnd { woken: 0, .. }));
    ///     }
    /// }
    /// let tracer = Tracer::new(Check, 2);
    /// let mut park = ReactorPark::new(Rc::new(Reactor::new()?)).traced(tracer.clone());
    /// park.park(Some(std::time::Duration::ZERO));
    /// assert_eq!(tracer.stats().batches, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn traced(self, tracer: Tracer) -> TracedPark {
        TracedPark { inner: self, trace: tracer }
    }
}

impl Park for TracedPark {
    fn park(&mut self, timeout: Option<Duration>) {
        self.trace.wait_begin(timeout);
        let before = self.inner.reactor.stats();
        self.inner.park(timeout);
        let after = self.inner.reactor.stats();
        let events = after.events.wrapping_sub(before.events);
        self.trace.wait_end(events, after.timers_fired.wrapping_sub(before.timers_fired));
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        self.inner.unparker()
    }
}

/// The reactor's unparker seen through the executor's [`Unpark`]: a newtype, as
/// neither crate knows the other.
struct Unparker(wakeful_reactor::Unparker);

impl Unpark for Unparker {
    fn unpark(&self) {
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_bits_map_to_the_same_io_events() {
        let pairs = [
            (Readiness::READABLE, IoEvents::READABLE),
            (Readiness::WRITABLE, IoEvents::WRITABLE),
            (Readiness::READ_CLOSED, IoEvents::READ_CLOSED),
            (Readiness::WRITE_CLOSED, IoEvents::WRITE_CLOSED),
            (Readiness::ERROR, IoEvents::ERROR),
            (Readiness::PRIORITY, IoEvents::PRIORITY),
        ];
        for (readiness, events) in pairs {
            assert_eq!(io_events(readiness), events, "{readiness:?}");
        }
        assert_eq!(io_events(Readiness::READABLE | Readiness::ERROR), IoEvents::READABLE | IoEvents::ERROR);
    }
}
