//! Panics in wakers that are not the executor's own: a foreign waker stored in a
//! `JoinHandle` panics when woken, dropped or cloned, and a task's poll panics. Each
//! waker is woken and dropped exactly once, no panic the runtime causes escapes it,
//! no task is skipped, and the runtime stays usable. Runs under Miri.

mod common;

use std::future::poll_fn;
use std::task::Poll;

use common::{
    assert_usable, clone_panicking_waker, expect_panic, poll_once, Counter, Fault, ForeignWaker, OnDrop,
    Probe, Tracked,
};
use wakeful_executor::{spawn, yield_now, Runtime};

#[test]
fn join_waker_panicking_on_wake_does_not_escape_the_run_loop() {
    let (wakes, drops, polls) = (Counter::default(), Counter::default(), Counter::default());
    let rt = Runtime::new();
    let out = rt.block_on(async {
        let mut task =
            spawn(Probe::after(2, &polls, "done", Tracked::new(&Counter::default(), OnDrop::Count)));
        let foreign = ForeignWaker::new(&wakes, &drops, Fault::PanicOnWake);
        assert!(poll_once(&mut task, &foreign.waker()).is_pending());
        drop(foreign); // the handle holds the only clone
        while !task.is_finished() {
            yield_now().await; // the task completes here, waking the foreign waker
        }
        task.await
    });
    assert_eq!(out.unwrap(), "done");
    assert_eq!((polls.get(), wakes.get(), drops.get()), (3, 1, 1));
    assert_usable(&rt);
}

#[test]
fn join_waker_panicking_on_wake_at_shutdown_skips_no_task() {
    let (wakes, drops) = (Counter::default(), Counter::default());
    let futures_dropped: Vec<Counter> = (0..3).map(|_| Counter::default()).collect();
    let rt = Runtime::new();
    let mut handles: Vec<_> = futures_dropped
        .iter()
        .map(|dropped| {
            rt.spawn(Probe::<()>::pending(&Counter::default(), Tracked::new(dropped, OnDrop::Count)))
        })
        .collect();
    rt.block_on(yield_now());
    // The first task shut down wakes a panicking waker: the others must still go.
    let foreign = ForeignWaker::new(&wakes, &drops, Fault::PanicOnWake);
    assert!(poll_once(&mut handles[0], &foreign.waker()).is_pending());
    drop(foreign);
    drop(rt);
    assert_eq!(futures_dropped.iter().map(Counter::get).collect::<Vec<_>>(), [1, 1, 1]);
    assert_eq!((wakes.get(), drops.get()), (1, 1));
    let again = Runtime::new();
    for handle in handles {
        assert!(again.block_on(handle).unwrap_err().is_cancelled());
    }
    assert_usable(&again);
}

#[test]
fn join_waker_panicking_on_drop_with_the_handle_still_drops_the_output() {
    for finished_first in [false, true] {
        let (wakes, drops, outputs) = (Counter::default(), Counter::default(), Counter::default());
        let rt = Runtime::new();
        rt.block_on(async {
            let output = Tracked::new(&outputs, OnDrop::Count);
            let mut task = spawn(async move {
                yield_now().await;
                output
            });
            let foreign = ForeignWaker::new(&wakes, &drops, Fault::PanicOnDrop);
            assert!(poll_once(&mut task, &foreign.waker()).is_pending());
            drop(foreign);
            if finished_first {
                // Completing wakes the waker by value, which drops it: take it back
                // by polling with a harmless waker first.
                poll_fn(|cx| {
                    assert!(poll_once(&mut task, cx.waker()).is_pending());
                    Poll::Ready(())
                })
                .await;
                while !task.is_finished() {
                    yield_now().await;
                }
            }
            drop(task); // drops the panicking waker, if still held, and the output
            for _ in 0..3 {
                yield_now().await;
            }
        });
        assert_eq!((wakes.get(), drops.get(), outputs.get()), (0, 1, 1), "finished first: {finished_first}");
        assert_usable(&rt);
    }
}

#[test]
fn join_waker_panicking_on_drop_when_replaced_keeps_the_new_one() {
    let (old_wakes, old_drops) = (Counter::default(), Counter::default());
    let (new_wakes, new_drops) = (Counter::default(), Counter::default());
    let rt = Runtime::new();
    let out = rt.block_on(async {
        let mut task = spawn(async {
            yield_now().await;
            7
        });
        let old = ForeignWaker::new(&old_wakes, &old_drops, Fault::PanicOnDrop);
        assert!(poll_once(&mut task, &old.waker()).is_pending());
        drop(old);
        let new = ForeignWaker::new(&new_wakes, &new_drops, Fault::None);
        assert!(poll_once(&mut task, &new.waker()).is_pending(), "the old waker's panic is contained");
        assert_eq!(old_drops.get(), 1);
        while !task.is_finished() {
            yield_now().await;
        }
        assert_eq!(new_wakes.get(), 1, "the new waker was stored and woken");
        task.await
    });
    assert_eq!(out.unwrap(), 7);
    assert_eq!((old_wakes.get(), old_drops.get(), new_drops.get()), (0, 1, 1));
    assert_usable(&rt);
}

#[test]
fn join_waker_panicking_on_clone_leaves_the_previous_waker_in_place() {
    let (wakes, drops) = (Counter::default(), Counter::default());
    let rt = Runtime::new();
    let out = rt.block_on(async {
        let mut task = spawn(async {
            yield_now().await;
            9
        });
        let first = ForeignWaker::new(&wakes, &drops, Fault::None);
        assert!(poll_once(&mut task, &first.waker()).is_pending());
        drop(first);
        // The caller's own waker panics in `clone`: that panic is the caller's.
        expect_panic(|| drop(poll_once(&mut task, &clone_panicking_waker())));
        assert_eq!((wakes.get(), drops.get()), (0, 0), "the first waker is still stored");
        while !task.is_finished() {
            yield_now().await;
        }
        assert_eq!((wakes.get(), drops.get()), (1, 1), "and it was woken");
        task.await
    });
    assert_eq!(out.unwrap(), 9);
    assert_usable(&rt);
}

#[test]
fn poll_panic_is_reported_and_its_waker_clones_released() {
    let (polls, drops) = (Counter::default(), Counter::default());
    let rt = Runtime::new();
    let saved = std::rc::Rc::new(std::cell::Cell::new(None));
    let err = rt.block_on(async {
        let (polls, saved) = (polls.clone(), saved.clone());
        let tracked = Tracked::new(&drops, OnDrop::Count);
        spawn(poll_fn(move |cx| {
            let _keep = &tracked;
            polls.add();
            saved.set(Some(cx.waker().clone())); // outlives the task
            panic!("poll panics");
            #[allow(unreachable_code)]
            Poll::Ready(())
        }))
        .await
    });
    assert_eq!(err.unwrap_err().to_string(), "task panicked: poll panics");
    assert_eq!((polls.get(), drops.get()), (1, 1));
    let waker = saved.take().expect("the poll stored a waker");
    let before = rt.stats().polls;
    waker.wake(); // a stale wake: the task is complete
    assert_usable(&rt);
    assert_eq!(rt.stats().polls, before + 4, "only the check's own task and block_on were polled");
}

/// A `Park` whose first `park` panics.
struct PanicsOnce(wakeful_executor::ThreadPark, bool);

impl wakeful_executor::Park for PanicsOnce {
    fn park(&mut self, timeout: Option<std::time::Duration>) {
        if !std::mem::replace(&mut self.1, true) {
            panic!("park panics");
        }
        self.0.park(timeout);
    }

    fn unparker(&self) -> Box<dyn wakeful_executor::Unpark> {
        self.0.unparker()
    }
}

#[test]
fn park_panic_reaches_the_caller_and_the_runtime_runs_on() {
    let rt = wakeful_executor::Builder::default().build_with_park(PanicsOnce(Default::default(), false));
    let polls = Counter::default();
    let task = rt.spawn({
        let polls = polls.clone();
        async move {
            polls.add();
            yield_now().await;
            polls.add();
        }
    });
    // Pending without a wake: the loop runs the task, then parks, which panics.
    expect_panic(|| rt.block_on(poll_fn(|_| Poll::<()>::Pending)));
    assert_eq!(rt.block_on(task).map(|()| polls.get()).unwrap(), 2, "the task survived the panic");
    assert_usable(&rt);
}
