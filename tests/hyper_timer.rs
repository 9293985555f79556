//! `wakeful::hyper::HyperTimer` and its `Send + Sync` sleeps: moved to, polled on,
//! reset on and dropped on other threads and other runtimes; dropped while waiting;
//! extreme durations; wakers that run code when dropped.
#![cfg(feature = "hyper")]

mod util;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use util::cancel::{assert_drop_leaves_no_waker, HOUR};
use util::{CountingWaker, PATIENCE};
use wakeful::hyper::{HyperSleep, HyperTimer};
use wakeful::time::timeout;
use wakeful::Runtime;

fn assert_send_sync<T: Send + Sync>() {}

/// A sleep from `HyperTimer`, polled once (so its timer is in `rt`'s wheel) with `waker`.
#[allow(clippy::async_yields_async)] // the sleep is returned unfinished, on purpose
fn registered(rt: &Runtime, duration: Duration, waker: &Waker) -> Pin<Box<dyn Sleep>> {
    rt.block_on(async {
        let mut sleep = HyperTimer.sleep(duration);
        assert!(
            sleep.as_mut().poll(&mut Context::from_waker(waker)).is_pending(),
            "a {duration:?} sleep was ready at once"
        );
        sleep
    })
}

/// Awaits `sleep` on `rt`, bounded by `PATIENCE`; returns when it completed.
fn finish(rt: &Runtime, sleep: Pin<Box<dyn Sleep>>) -> Instant {
    rt.block_on(async {
        timeout(PATIENCE, sleep).await.expect("the sleep never completed");
        Instant::now()
    })
}

#[test]
fn sleeps_are_send_and_sync_and_fire_not_before_their_deadline() {
    assert_send_sync::<HyperSleep>();
    assert_send_sync::<Pin<Box<dyn Sleep>>>();
    let rt = Runtime::new().unwrap();
    let start = Instant::now();
    let sleep = HyperTimer.sleep(Duration::from_millis(20));
    assert!(sleep.is::<HyperSleep>());
    assert!(finish(&rt, sleep) >= start + Duration::from_millis(20));
    let deadline = Instant::now() + Duration::from_millis(10);
    assert!(finish(&rt, HyperTimer.sleep_until(deadline)) >= deadline);
    assert_eq!(rt.stats().timers_pending, 0, "a completed sleep left its timer behind");
}

#[test]
fn sleep_dropped_while_waiting_leaves_no_timer_and_no_waker() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        assert_drop_leaves_no_waker("HyperSleep", HyperSleep::new(HOUR));
        assert_drop_leaves_no_waker("HyperTimer::sleep", HyperTimer.sleep(HOUR));
    });
    assert_eq!(rt.stats().timers_pending, 0);
}

#[test]
fn sleep_dropped_on_another_thread_is_removed_by_its_own_thread_later() {
    let rt = Runtime::new().unwrap();
    let waker = CountingWaker::new();
    let sleep = registered(&rt, HOUR, waker.waker());
    assert_eq!((rt.stats().timers_pending, waker.held()), (1, 1));
    thread::spawn(move || drop(sleep)).join().expect("dropping a sleep on another thread panicked");
    // The other thread could not touch this reactor: the timer is still there...
    assert_eq!((rt.stats().timers_pending, waker.held()), (1, 1));
    // ...until the next sleep polled on this runtime removes it.
    finish(&rt, HyperTimer.sleep(Duration::from_millis(1)));
    assert_eq!(rt.stats().timers_pending, 0, "the posted timer was never removed");
    assert_eq!(waker.held(), 0, "the posted timer's waker was never dropped");
}

#[test]
fn sleep_dropped_on_another_thread_may_fire_harmlessly_before_removal() {
    let rt = Runtime::new().unwrap();
    let waker = CountingWaker::new();
    let sleep = registered(&rt, Duration::from_millis(5), waker.waker());
    thread::spawn(move || drop(sleep)).join().unwrap();
    // A plain wakeful sleep does not look at hyper's mailbox: the orphan fires.
    rt.block_on(wakeful::time::sleep(Duration::from_millis(30)));
    assert_eq!(waker.wakes(), 1, "the orphaned timer fired into its waker once");
    finish(&rt, HyperTimer.sleep(Duration::ZERO));
    finish(&rt, HyperTimer.sleep(Duration::from_millis(1)));
    assert_eq!((rt.stats().timers_pending, waker.held()), (0, 0));
}

#[test]
fn sleep_polled_on_another_runtime_on_another_thread_fires_there() {
    let rt = Runtime::new().unwrap();
    let sleep = registered(&rt, Duration::from_millis(50), Waker::noop());
    let deadline = Instant::now() + Duration::from_millis(50);
    let fired = thread::spawn(move || finish(&Runtime::new().unwrap(), sleep)).join().unwrap();
    assert!(fired + Duration::from_millis(1) >= deadline, "fired early");
    finish(&rt, HyperTimer.sleep(Duration::from_millis(1))); // removes the old timer
    assert_eq!(rt.stats().timers_pending, 0);
}

#[test]
fn sleep_polled_on_another_runtime_of_the_same_thread_moves_its_timer() {
    let (first, second) = (Runtime::new().unwrap(), Runtime::new().unwrap());
    let sleep = registered(&first, Duration::from_millis(20), Waker::noop());
    assert_eq!(first.stats().timers_pending, 1);
    finish(&second, sleep);
    assert_eq!(first.stats().timers_pending, 0, "left behind in the first runtime's wheel");
    assert_eq!(second.stats().timers_pending, 0);
}

#[test]
fn sleep_outliving_its_runtime_drops_quietly_or_registers_anew() {
    let rt = Runtime::new().unwrap();
    let dropped = registered(&rt, HOUR, Waker::noop());
    let kept = registered(&rt, Duration::from_millis(10), Waker::noop());
    drop(rt);
    drop(dropped);
    finish(&Runtime::new().unwrap(), kept);
}

#[test]
fn sleep_dropped_outside_its_runtime_on_its_thread_removes_its_timer() {
    let rt = Runtime::new().unwrap();
    let waker = CountingWaker::new();
    let sleep = registered(&rt, HOUR, waker.waker());
    drop(sleep); // no runtime running here now, but the reactor is this thread's
    assert_eq!((rt.stats().timers_pending, waker.held()), (0, 0));
}

#[test]
fn reset_earlier_and_later_moves_the_deadline_in_place() {
    let rt = Runtime::new().unwrap();
    let mut sleep = registered(&rt, HOUR, Waker::noop());
    let earlier = Instant::now() + Duration::from_millis(20);
    HyperTimer.reset(&mut sleep, earlier);
    assert!(sleep.is::<HyperSleep>(), "reset replaced our own sleep");
    let fired = finish(&rt, sleep);
    assert!(fired >= earlier && fired < earlier + PATIENCE);

    let mut sleep = registered(&rt, Duration::from_millis(5), Waker::noop());
    let later = Instant::now() + Duration::from_millis(120);
    HyperTimer.reset(&mut sleep, later);
    assert!(finish(&rt, sleep) >= later, "fired at the old deadline");
    assert_eq!(rt.stats().timers_pending, 0);
}

#[test]
fn reset_after_completion_rearms_the_sleep() {
    let rt = Runtime::new().unwrap();
    let mut sleep = HyperTimer.sleep(Duration::from_millis(1));
    rt.block_on(sleep.as_mut());
    let again = Instant::now() + Duration::from_millis(30);
    HyperTimer.reset(&mut sleep, again);
    let waker = CountingWaker::new();
    rt.block_on(async { assert!(waker.poll(sleep.as_mut()).is_pending(), "completed sleep not re-armed") });
    assert!(finish(&rt, sleep) >= again);
}

#[test]
fn reset_on_another_thread_takes_effect_where_next_polled() {
    let rt = Runtime::new().unwrap();
    let sleep = registered(&rt, HOUR, Waker::noop());
    let soon = Instant::now() + Duration::from_millis(20);
    let sleep = thread::spawn(move || {
        let mut sleep = sleep;
        HyperTimer.reset(&mut sleep, soon);
        sleep
    })
    .join()
    .unwrap();
    assert!(finish(&rt, sleep) >= soon);
    assert_eq!(rt.stats().timers_pending, 0, "the hour-long timer stayed in the wheel");
}

#[test]
fn reset_of_a_foreign_sleep_replaces_it_with_ours() {
    struct Never;
    impl Future for Never {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }
    impl Sleep for Never {}
    let mut sleep: Pin<Box<dyn Sleep>> = Box::pin(Never);
    let deadline = Instant::now() + Duration::from_millis(5);
    HyperTimer.reset(&mut sleep, deadline);
    assert!(sleep.is::<HyperSleep>());
    assert!(finish(&Runtime::new().unwrap(), sleep) >= deadline);
}

#[test]
fn extreme_durations_neither_panic_nor_overflow() {
    // Zero (and any passed deadline) completes at once, even outside a runtime.
    let waker = CountingWaker::new();
    assert!(waker.poll(HyperTimer.sleep(Duration::ZERO).as_mut()).is_ready());
    assert!(waker.poll(Pin::new(&mut HyperSleep::until(Instant::now()))).is_ready());
    // Duration::MAX saturates to "never".
    let never = HyperSleep::new(Duration::MAX);
    assert!(never.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
    let rt = Runtime::new().unwrap();
    let sleep = registered(&rt, Duration::MAX, waker.waker());
    drop(sleep);
    assert_eq!((rt.stats().timers_pending, waker.held()), (0, 0));
}

#[test]
fn polled_outside_a_runtime_panics_with_a_clear_message() {
    let mut sleep = HyperSleep::new(HOUR);
    let panic =
        catch_unwind(AssertUnwindSafe(|| CountingWaker::new().poll(Pin::new(&mut sleep)))).unwrap_err();
    let message = panic.downcast_ref::<String>().expect("a formatted panic message");
    assert!(message.contains("HyperSleep") && message.contains("no wakeful runtime"), "{message}");
}

#[test]
fn a_waker_that_panics_when_cloned_leaves_no_timer() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let mut sleep = HyperSleep::new(HOUR);
        let waker = util::panicking_clone_waker();
        let result =
            catch_unwind(AssertUnwindSafe(|| Pin::new(&mut sleep).poll(&mut Context::from_waker(&waker))));
        assert!(result.is_err(), "the waker's clone should have panicked");
        assert_drop_leaves_no_waker("HyperSleep after a panicking clone", sleep);
    });
    assert_eq!(rt.stats().timers_pending, 0);
}

/// A waker whose last drop drops a sleep: removing one timer runs code that removes
/// another, re-entering the timer's bookkeeping.
struct DropsASleep(Mutex<Option<Pin<Box<dyn Sleep>>>>);

impl Wake for DropsASleep {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DropsASleep {
    fn drop(&mut self) {
        drop(self.0.lock().unwrap().take());
    }
}

#[test]
fn a_waker_dropping_another_sleep_when_dropped_is_handled() {
    let rt = Runtime::new().unwrap();
    let inner = registered(&rt, HOUR, Waker::noop());
    let waker = Waker::from(Arc::new(DropsASleep(Mutex::new(Some(inner)))));
    let outer = registered(&rt, HOUR, &waker);
    drop(waker); // the wheel now holds the last clone
    assert_eq!(rt.stats().timers_pending, 2);
    drop(outer);
    assert_eq!(rt.stats().timers_pending, 0);

    // The same through the mailbox: both removed while draining it.
    let inner = registered(&rt, HOUR, Waker::noop());
    let waker = Waker::from(Arc::new(DropsASleep(Mutex::new(Some(inner)))));
    let outer = registered(&rt, HOUR, &waker);
    drop(waker);
    thread::spawn(move || drop(outer)).join().unwrap();
    finish(&rt, HyperTimer.sleep(Duration::from_millis(1)));
    assert_eq!(rt.stats().timers_pending, 0);
}

#[test]
fn ten_thousand_sleeps_dropped_on_another_thread_are_all_removed() {
    let rt = Runtime::new().unwrap();
    let waker = CountingWaker::new();
    let sleeps: Vec<_> = (0..10_000).map(|_| registered(&rt, HOUR, waker.waker())).collect();
    assert_eq!(rt.stats().timers_pending, 10_000);
    thread::spawn(move || drop(sleeps)).join().unwrap();
    finish(&rt, HyperTimer.sleep(Duration::from_millis(1)));
    assert_eq!((rt.stats().timers_pending, waker.held()), (0, 0));
}

#[test]
fn a_registered_sleep_past_its_deadline_completes_outside_any_runtime() {
    // The doc: a deadline already passed completes without a runtime. A sleep that was
    // polled once (so it holds a timer) must keep that promise too: on its own thread
    // after its runtime stopped running, and on a thread with no runtime at all.
    let rt = Runtime::new().unwrap();
    let (mut here, there) = (
        registered(&rt, Duration::from_millis(5), Waker::noop()),
        registered(&rt, Duration::from_millis(5), Waker::noop()),
    );
    rt.block_on(wakeful::time::sleep(Duration::from_millis(10))); // both deadlines pass
    let polled = catch_unwind(AssertUnwindSafe(|| CountingWaker::new().poll(here.as_mut())));
    assert!(matches!(polled, Ok(Poll::Ready(()))), "on its thread, outside the runtime: {polled:?}");
    let elsewhere = thread::spawn(move || {
        let mut there = there;
        CountingWaker::new().poll(there.as_mut()).is_ready()
    })
    .join();
    assert!(matches!(elsewhere, Ok(true)), "on a thread without a runtime: {elsewhere:?}");
    drop(here);
    finish(&rt, HyperTimer.sleep(Duration::from_millis(1)));
    assert_eq!(rt.stats().timers_pending, 0);
}

/// A waker that panics when its last clone is dropped.
struct PanicsWhenDropped;

impl Wake for PanicsWhenDropped {
    fn wake(self: Arc<Self>) {}
}

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("a waker panicking in its Drop");
    }
}

#[test]
fn a_waker_panicking_when_dropped_from_the_mailbox_loses_no_other_timer() {
    let rt = Runtime::new().unwrap();
    let waker = CountingWaker::new();
    let panicky = Waker::from(Arc::new(PanicsWhenDropped));
    let mut sleeps = vec![registered(&rt, HOUR, &panicky)];
    drop(panicky); // the wheel now holds the last clone
    sleeps.extend((0..9).map(|_| registered(&rt, HOUR, waker.waker())));
    assert_eq!(rt.stats().timers_pending, 10);
    // Posted in order: the panicking waker's timer first, then nine others.
    thread::spawn(move || drop(sleeps)).join().unwrap();
    let drained = catch_unwind(AssertUnwindSafe(|| finish(&rt, HyperTimer.sleep(Duration::from_millis(1)))));
    assert!(drained.is_err(), "the waker's panic should reach the poll that dropped it");
    // The panic must not have thrown away the rest of the mailbox.
    finish(&rt, HyperTimer.sleep(Duration::from_millis(1)));
    assert_eq!(
        (rt.stats().timers_pending, waker.held()),
        (0, 0),
        "timers posted behind the panicking one stayed in the wheel for good"
    );
}

#[test]
fn sleeps_dropped_on_many_threads_while_their_home_drains_are_all_removed() {
    // Posting and draining race: a key posted while the home thread empties the mailbox
    // must be removed by a later drain, never lost between the flag and the lock.
    let rt = Runtime::new().unwrap();
    let waker = CountingWaker::new();
    let batches: Vec<Vec<_>> =
        (0..4).map(|_| (0..2_000).map(|_| registered(&rt, HOUR, waker.waker())).collect()).collect();
    let droppers: Vec<_> =
        batches.into_iter().map(|batch| thread::spawn(move || batch.into_iter().for_each(drop))).collect();
    while !droppers.iter().all(|t| t.is_finished()) {
        drop(registered(&rt, HOUR, Waker::noop())); // registering drains the mailbox
    }
    droppers.into_iter().for_each(|t| t.join().unwrap());
    finish(&rt, HyperTimer.sleep(Duration::from_millis(1)));
    assert_eq!((rt.stats().timers_pending, waker.held()), (0, 0), "a posted timer was lost in the race");
}
