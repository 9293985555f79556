//! The paused clock at the reactor's level: exact jumps through every wheel level,
//! deadline order, waits that a paused clock does not bound, and wakers that call back
//! into the clock while it fires them.

use super::*;
use std::rc::Rc;
use std::sync::Mutex;
use std::task::Wake;

/// Records its id in a shared log when woken.
struct Logged(u32, Arc<Mutex<Vec<u32>>>);

impl Wake for Logged {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

fn logged(id: u32, log: &Arc<Mutex<Vec<u32>>>) -> Waker {
    Waker::from(Arc::new(Logged(id, log.clone())))
}

fn paused() -> Reactor {
    let reactor = Reactor::new().unwrap();
    assert!(reactor.pause());
    reactor
}

#[test]
fn auto_advance_jumps_exactly_to_each_deadline_across_wheel_levels() {
    let reactor = paused();
    let start = reactor.now();
    let log = Arc::new(Mutex::new(Vec::new()));
    // From the first level to the top one: 1 µs, 70 ms, 5 s, 3 h, 20 days, 3 years.
    let offsets =
        [1_000, 70_000_000, 5_000_000_123, 10_800_000_000_000, 1_728_000_000_000_000, 94_608_000_000_000_000];
    for (id, &nanos) in offsets.iter().enumerate().rev() {
        reactor.insert_timer(start + Duration::from_nanos(nanos), &logged(id as u32, &log));
    }
    for (id, &nanos) in offsets.iter().enumerate() {
        assert!(reactor.auto_advance(), "timer {id} fires");
        assert_eq!(reactor.now() - start, Duration::from_nanos(nanos), "the clock stands at its deadline");
        assert_eq!(*log.lock().unwrap(), (0..=id as u32).collect::<Vec<_>>());
    }
    assert!(!reactor.auto_advance(), "no timer left: nothing to do");
    assert_eq!(reactor.stats().auto_advances, offsets.len() as u64);
    assert_eq!(reactor.stats().timers_fired, offsets.len() as u64);
}

#[test]
fn advance_wakes_the_timers_it_passes_in_deadline_order() {
    let reactor = paused();
    let start = reactor.now();
    let log = Arc::new(Mutex::new(Vec::new()));
    // Inserted out of order, several in one millisecond slot, some in later levels.
    let nanos = [900_000, 10, 500_000, 3_000_000_000, 20, 70_000_000, 499_999];
    for (id, &n) in nanos.iter().enumerate() {
        reactor.insert_timer(start + Duration::from_nanos(n), &logged(id as u32, &log));
    }
    let later = reactor.insert_timer(start + Duration::from_secs(4), &logged(99, &log));
    assert_eq!(reactor.advance(Duration::from_secs(3)), Some(nanos.len()));
    let mut by_deadline: Vec<u32> = (0..nanos.len() as u32).collect();
    by_deadline.sort_by_key(|&id| nanos[id as usize]);
    assert_eq!(*log.lock().unwrap(), by_deadline);
    assert_eq!(reactor.now() - start, Duration::from_secs(3));
    assert!(!reactor.poll_timer(later, Waker::noop()), "a timer past the jump waits");
    assert_eq!(reactor.stats().auto_advances, 0, "a jump by hand is no auto-advance");
}

#[test]
fn a_paused_clock_bounds_no_wait_but_a_due_timer_ends_it_at_once() {
    let reactor = paused();
    let key = reactor.insert_timer(reactor.now() + Duration::from_millis(1), Waker::noop());
    let wall = Instant::now();
    reactor.turn(Some(Duration::from_millis(20))).unwrap();
    assert!(wall.elapsed() >= Duration::from_millis(20), "the 1 ms timer did not end the wait");
    assert!(!reactor.poll_timer(key, Waker::noop()), "nor fired: the clock stood still");

    reactor.advance(Duration::from_millis(1));
    let due = reactor.insert_timer(reactor.now(), Waker::noop());
    let wall = Instant::now();
    reactor.turn(None).unwrap(); // returns at once: a timer is due
    assert!(wall.elapsed() < Duration::from_secs(5));
    assert!(reactor.poll_timer(due, Waker::noop()));
}

#[test]
fn pause_resume_advance_report_misuse_instead_of_acting() {
    let reactor = Reactor::new().unwrap();
    assert!(!reactor.resume(), "not paused");
    assert_eq!(reactor.advance(Duration::from_secs(1)), None, "not paused");
    assert!(!reactor.auto_advance(), "not paused");
    assert!(reactor.pause());
    assert!(!reactor.pause(), "already paused");
    let frozen = reactor.now();
    assert_eq!(reactor.advance(Duration::MAX), Some(0));
    let end = reactor.now();
    assert!(end - frozen >= Duration::from_secs(86_400 * 365 * 580), "saturated at the end of time");
    assert_eq!(reactor.advance(Duration::MAX), Some(0));
    assert_eq!(reactor.now(), end, "and stays there");
    // Every timer is due at the end of time, even the latest one the wheel can name.
    let last = reactor.insert_timer(end + Duration::from_secs(1), Waker::noop());
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert!(reactor.poll_timer(last, Waker::noop()));
    assert!(reactor.resume());
    assert!(reactor.now() >= end, "resumed from where it stood");
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Reactor>>> = const { RefCell::new(None) };
}

/// Moves the clock from inside `wake`, then panics: both must leave the reactor whole.
struct Meddling(Arc<Mutex<Vec<u32>>>, u32);

impl Wake for Meddling {
    fn wake(self: Arc<Self>) {
        self.0.lock().unwrap().push(self.1);
        CURRENT.with(|r| {
            let reactor = r.borrow().clone().unwrap();
            reactor.advance(Duration::from_secs(1));
            reactor.auto_advance();
            let _ = reactor.inhibit_auto_advance();
        });
        if self.1 == 0 {
            panic!("a waker that panics");
        }
    }
}

#[test]
fn wakers_that_move_the_clock_or_panic_while_it_fires_them_break_nothing() {
    let reactor = Rc::new(paused());
    CURRENT.with(|r| *r.borrow_mut() = Some(reactor.clone()));
    let start = reactor.now();
    let log = Arc::new(Mutex::new(Vec::new()));
    for id in 0..3 {
        let waker = Waker::from(Arc::new(Meddling(log.clone(), id)));
        reactor.insert_timer(start + Duration::from_millis(u64::from(id) + 1), &waker);
    }
    // Fires 0, whose wake jumps 1 s (firing 1 and 2 from inside, each jumping 1 s
    // more), then panics.
    reactor.advance(Duration::from_millis(1));
    assert_eq!(*log.lock().unwrap(), [0, 1, 2]);
    assert_eq!(reactor.now() - start, Duration::from_millis(3001));
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.stats().timers_fired, 3, "each fired once");
    assert!(!reactor.auto_advance_inhibited(), "the inhibitors were dropped");
    CURRENT.with(|r| r.borrow_mut().take());
}

#[test]
fn auto_advance_reaches_a_timer_centuries_away_in_one_call() {
    // Past the wheel's ~2.2 year horizon a timer goes round the top level once per
    // turn of it: 200 years is some 90 turns, each one step of auto-advance.
    let reactor = paused();
    let start = reactor.now();
    let log = Arc::new(Mutex::new(Vec::new()));
    let far = Duration::from_secs(86_400 * 365 * 200);
    reactor.insert_timer(start + far, &logged(0, &log));
    assert!(reactor.auto_advance(), "the far timer fires: a park would otherwise block forever");
    assert_eq!(*log.lock().unwrap(), [0]);
    assert_eq!(reactor.now() - start, far, "the clock stands at its deadline");
    // The latest deadline the wheel can name, too.
    let end = reactor.start + Duration::from_nanos(u64::MAX);
    let last = reactor.insert_timer(end, &logged(1, &log));
    assert!(reactor.auto_advance(), "the last timer fires");
    assert!(reactor.poll_timer(last, Waker::noop()));
    assert_eq!(reactor.now(), end);
    // From the start to the end in one call: the longest way round.
    let fresh = paused();
    let end = fresh.start + Duration::from_nanos(u64::MAX);
    let key = fresh.insert_timer(end, Waker::noop());
    assert!(fresh.auto_advance());
    assert!(fresh.poll_timer(key, Waker::noop()));
    assert_eq!(fresh.now(), end);
}

#[test]
fn a_turn_counts_an_unpark_caught_between_its_flag_and_its_syscall() {
    // Another thread queued a wake, then began `unpark`: it set the flag but has not
    // written yet. The runtime's park, seeing no event, must still learn of the wake,
    // or it auto-advances the paused clock past a task that is already woken.
    let reactor = paused();
    // A source, so that the non-blocking turns ask the OS: with none, they skip it,
    // and the late write below is only seen by the next blocking wait.
    let (rx, _tx) = super::tests::quiet_pipe();
    let token = reactor.register(std::os::fd::AsRawFd::as_raw_fd(&rx)).unwrap();
    reactor.insert_timer(reactor.now() + Duration::from_secs(3600), Waker::noop());
    reactor.unpark.pending.store(true, Ordering::SeqCst);
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.stats().unparks, 1, "the unpark under way is counted");
    // The write lands later: one spurious look more, then quiet (no spin).
    reactor.unparker().0.sys.unpark().unwrap();
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.stats().unparks, 2);
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.stats().unparks, 2);
    reactor.deregister(token).unwrap();
}
