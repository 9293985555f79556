//! Wakers are user code: every clone, drop and wake of one runs with no table of the
//! reactor borrowed, so a waker that calls back into the reactor cannot trip a
//! `RefCell`. And a future that stops waiting takes its waker with it.

use super::*;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::task::{RawWaker, RawWakerVTable};

thread_local! {
    /// The reactor under test, for the meddling waker to call back into.
    static REACTOR: RefCell<Option<Rc<Reactor>>> = const { RefCell::new(None) };
    /// How often the meddling waker reached the reactor.
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

/// Calls into this thread's reactor, as a waker's code might (`wakeful::stats()`
/// does exactly this). Panics if a table is borrowed.
fn meddle() {
    REACTOR.with(|r| {
        if let Some(reactor) = r.borrow().as_ref() {
            let _ = reactor.len();
            let _ = reactor.stats();
            CALLS.with(|c| c.set(c.get() + 1));
        }
    });
}

/// A waker that meddles on clone, wake and drop. Thread-bound by construction of
/// the test (it is never sent anywhere); a leaked `Box` is its data.
fn meddling_waker() -> Waker {
    static VTABLE: RawWakerVTable = RawWakerVTable::new(
        |data| {
            meddle();
            RawWaker::new(data, &VTABLE)
        },
        |_| meddle(),
        |_| meddle(),
        |_| meddle(),
    );
    static DATA: AtomicUsize = AtomicUsize::new(0);
    // SAFETY: the vtable's functions ignore the data pointer (a static), so every
    // contract of `RawWaker` holds trivially.
    unsafe { Waker::from_raw(RawWaker::new(&DATA as *const AtomicUsize as *const (), &VTABLE)) }
}

fn with_reactor(test: impl FnOnce(&Reactor)) {
    let reactor = Rc::new(Reactor::new().unwrap());
    REACTOR.with(|r| *r.borrow_mut() = Some(reactor.clone()));
    CALLS.with(|c| c.set(0));
    test(&reactor);
    REACTOR.with(|r| r.borrow_mut().take());
}

fn calls() -> usize {
    CALLS.with(Cell::get)
}

#[test]
fn waker_that_reenters_on_clone_drop_and_wake_of_a_source_waiter() {
    with_reactor(|reactor| {
        let (mut a, b) = UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let token = reactor.register(b.as_raw_fd()).unwrap();
        let meddler = meddling_waker();
        let (mut first, mut second) = (None, None);
        // Stored (a clone), replaced by another task's waker (a drop), cancelled.
        assert!(reactor
            .poll_ready(token, Direction::Read, &mut first, &mut Context::from_waker(&meddler))
            .is_pending());
        let other = Waker::noop();
        assert!(reactor
            .poll_ready(token, Direction::Read, &mut first, &mut Context::from_waker(other))
            .is_pending());
        assert!(reactor
            .poll_ready(token, Direction::Read, &mut second, &mut Context::from_waker(&meddler))
            .is_pending());
        reactor.cancel_wait(token, Direction::Read, &mut second);
        // Woken by an event.
        assert!(reactor
            .poll_ready(token, Direction::Read, &mut second, &mut Context::from_waker(&meddler))
            .is_pending());
        std::io::Write::write_all(&mut a, b"x").unwrap();
        reactor.turn(Some(Duration::from_secs(10))).unwrap();
        // Dropped with the source.
        let mut third = None;
        reactor.clear_readiness(token, Direction::Write, Readiness::WRITABLE);
        assert!(reactor
            .poll_ready(token, Direction::Write, &mut third, &mut Context::from_waker(&meddler))
            .is_pending());
        reactor.deregister(token).unwrap();
        assert!(calls() >= 7, "the waker ran {} times", calls());
    });
}

#[test]
fn waker_that_reenters_on_clone_drop_and_wake_of_a_timer() {
    with_reactor(|reactor| {
        let meddler = meddling_waker();
        let soon = reactor.insert_timer(Instant::now(), &meddler);
        let later = reactor.insert_timer(Instant::now() + Duration::from_secs(60), Waker::noop());
        assert!(!reactor.poll_timer(later, &meddler), "replacing the noop waker");
        assert!(!reactor.poll_timer(later, Waker::noop()), "replacing the meddler: a drop");
        assert!(!reactor.poll_timer(later, &meddler));
        reactor.remove_timer(later);
        reactor.turn(Some(Duration::from_secs(10))).unwrap();
        assert!(reactor.poll_timer(soon, &meddler));
        reactor.remove_timer(soon);
        assert!(calls() >= 6, "the waker ran {} times", calls());
    });
}

#[test]
fn dropped_waiters_leave_no_waker_behind() {
    let reactor = Reactor::new().unwrap();
    let (_a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let token = reactor.register(b.as_raw_fd()).unwrap();
    let task = Arc::new(Counter);
    for _ in 0..10_000 {
        let waker = Waker::from(task.clone());
        let mut waiter = None;
        assert!(reactor
            .poll_ready(token, Direction::Read, &mut waiter, &mut Context::from_waker(&waker))
            .is_pending());
        reactor.cancel_wait(token, Direction::Read, &mut waiter);
        assert_eq!(waiter, None);
    }
    assert_eq!(reactor.waiters(token, Direction::Read), 0);
    assert_eq!(Arc::strong_count(&task), 1, "no clone of the waker is kept");
    reactor.deregister(token).unwrap();
}

#[test]
fn a_waiter_polled_again_keeps_one_place() {
    let reactor = Reactor::new().unwrap();
    let (_a, b) = UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let token = reactor.register(b.as_raw_fd()).unwrap();
    let task = Arc::new(Counter);
    let waker = Waker::from(task.clone());
    let mut waiter = None;
    for _ in 0..100 {
        assert!(reactor
            .poll_ready(token, Direction::Read, &mut waiter, &mut Context::from_waker(&waker))
            .is_pending());
    }
    assert_eq!(reactor.waiters(token, Direction::Read), 1);
    assert_eq!(Arc::strong_count(&task), 3, "the test's, the local waker, one stored clone");
    reactor.deregister(token).unwrap();
    assert_eq!(Arc::strong_count(&task), 2, "deregistering drops the stored waker");
}

struct Counter;

impl std::task::Wake for Counter {
    fn wake(self: Arc<Self>) {}
}

thread_local! {
    /// The keys of the timers of a batch, and how many of their wakes ran to the end.
    static BATCH: RefCell<Vec<TimerKey>> = const { RefCell::new(Vec::new()) };
    static DONE: Cell<usize> = const { Cell::new(0) };
}

/// A timer's waker that, woken or dropped, changes the wheel: cancels its own timer
/// and the next one of the batch (fired or not), inserts a timer and resets it, and
/// lists what waits. Each wake that got through all of it counts in `DONE`.
struct Rearranger(usize);

impl Rearranger {
    fn rearrange(&self) {
        REACTOR.with(|r| {
            let Some(reactor) = r.borrow().clone() else { return };
            let keys = BATCH.with(|b| b.borrow().clone());
            reactor.remove_timer(keys[self.0]);
            reactor.remove_timer(keys[(self.0 + 1) % keys.len()]);
            let key = reactor.insert_timer(reactor.now() + Duration::from_secs(60), Waker::noop());
            reactor.reset_timer(key, reactor.now() + Duration::from_secs(61));
            let _ = reactor.waiting();
        });
    }
}

impl std::task::Wake for Rearranger {
    fn wake(self: Arc<Self>) {
        self.rearrange();
        DONE.with(|d| d.set(d.get() + 1));
    }
}

impl Drop for Rearranger {
    fn drop(&mut self) {
        self.rearrange();
    }
}

/// 40 timers due at once (more than one batch of the wheel), each waker changing the
/// wheel on wake and drop; fired by a turn, a paused clock's advance, or auto-advance.
fn a_batch_whose_wakers_rearrange_the_wheel(fire: impl Fn(&Reactor)) {
    with_reactor(|reactor| {
        let due = reactor.now() + Duration::from_millis(1);
        let keys: Vec<_> =
            (0..40).map(|i| reactor.insert_timer(due, &Waker::from(Arc::new(Rearranger(i))))).collect();
        BATCH.with(|b| *b.borrow_mut() = keys);
        DONE.with(|d| d.set(0));
        fire(reactor);
        assert_eq!(DONE.with(Cell::get), 40, "every wake ran to the end");
        // One new timer per wake and per drop (of the wakers that ran): 80.
        assert_eq!(reactor.len().1, 80, "only the timers the wakers inserted");
        BATCH.with(|b| b.borrow_mut().clear());
    });
}

#[test]
fn wakers_that_cancel_reset_and_insert_timers_of_their_batch_on_wake_and_drop() {
    a_batch_whose_wakers_rearrange_the_wheel(|reactor| {
        while DONE.with(Cell::get) == 0 {
            reactor.turn(Some(Duration::from_secs(10))).unwrap();
        }
    });
    a_batch_whose_wakers_rearrange_the_wheel(|reactor| {
        reactor.pause();
        assert_eq!(reactor.advance(Duration::from_millis(1)), Some(40));
    });
    a_batch_whose_wakers_rearrange_the_wheel(|reactor| {
        reactor.pause();
        assert!(reactor.auto_advance());
    });
}
