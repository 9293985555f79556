//! User code that calls back into the runtime from wherever the runtime runs it: a
//! future's `Drop` (at shutdown, on abort), an output's `Drop` (detached, or with its
//! handle), a foreign join waker's `wake` and `drop`, a waker woken by the `Park`, and
//! a task awaiting its own handle. Each callback reads `current_stats()`, spawns a
//! task and aborts another one: none may find a table of the executor borrowed
//! (a `RefCell` panic) or a task half-updated. Runs under Miri.

mod common;

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use common::{pending_with, poll_once, Counter, ForeignWaker, OnDrop, Tracked};
use wakeful_executor::{
    current_stats, spawn, yield_now, Builder, JoinHandle, Park, Runtime, ThreadPark, Unpark,
};

thread_local! {
    /// The task each callback aborts (thread-local: a `Send` waker can reach it).
    static VICTIM: RefCell<Option<JoinHandle<()>>> = const { RefCell::new(None) };
    /// The tasks the callbacks spawned.
    static SPAWNED: RefCell<Vec<JoinHandle<&'static str>>> = const { RefCell::new(Vec::new()) };
    /// One entry per callback: whether `current_stats()` found the runtime.
    static CALLS: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
}

/// The callback: stats, spawn, abort — everything that borrows the runtime's tables.
fn call_back() {
    let saw_runtime = current_stats().is_some_and(|stats| stats.tasks_spawned > 0);
    let spawned = spawn(async { "spawned from a callback" });
    SPAWNED.with(|s| s.borrow_mut().push(spawned));
    VICTIM.with(|v| v.borrow().as_ref().map(JoinHandle::abort));
    CALLS.with(|c| c.borrow_mut().push(saw_runtime));
}

/// Calls back when dropped.
struct CallsBackOnDrop;

impl Drop for CallsBackOnDrop {
    fn drop(&mut self) {
        call_back();
    }
}

/// Spawns the victim: a task that never finishes, counting its drops.
fn spawn_victim(rt: &Runtime, dropped: &Counter) {
    let victim = rt.spawn(pending_with(Tracked::new(dropped, OnDrop::Count)));
    VICTIM.with(|v| *v.borrow_mut() = Some(victim));
}

fn calls() -> Vec<bool> {
    CALLS.with(|c| c.borrow_mut().drain(..).collect())
}

/// The spawned tasks' results, awaited on `rt`: `Ok` if they ran, `Err` if cancelled.
fn spawned_results(rt: &Runtime) -> Vec<bool> {
    let handles: Vec<_> = SPAWNED.with(|s| s.borrow_mut().drain(..).collect());
    handles.into_iter().map(|h| rt.block_on(h).is_ok()).collect()
}

/// After a callback on a running runtime: the victim was aborted (its future dropped
/// once) and the spawned task ran.
fn assert_called_back_while_running(rt: &Runtime, victim_dropped: &Counter) {
    rt.block_on(async {
        for _ in 0..3 {
            yield_now().await;
        }
    });
    assert_eq!(calls(), [true], "one callback, which found the runtime");
    assert_eq!(victim_dropped.get(), 1, "the callback's abort dropped the victim once");
    assert_eq!(spawned_results(rt), [true], "the callback's task ran");
    assert_eq!(rt.stats().tasks_alive, 0, "{:?}", rt.stats());
}

#[test]
fn future_dropped_at_shutdown_calls_back() {
    let victim_dropped = Counter::default();
    let rt = Runtime::new();
    rt.spawn(pending_with(CallsBackOnDrop)); // first, so it is dropped before the victim
    spawn_victim(&rt, &victim_dropped);
    rt.block_on(yield_now());
    drop(rt);
    assert_eq!(calls(), [true]);
    assert_eq!(victim_dropped.get(), 1);
    let again = Runtime::new();
    assert_eq!(spawned_results(&again), [false], "spawned during shutdown: cancelled");
    assert!(again.block_on(VICTIM.with(|v| v.borrow_mut().take()).unwrap()).unwrap_err().is_cancelled());
}

#[test]
fn future_dropped_on_abort_calls_back() {
    let victim_dropped = Counter::default();
    let rt = Runtime::new();
    let task = rt.spawn(pending_with(CallsBackOnDrop));
    spawn_victim(&rt, &victim_dropped);
    rt.block_on(yield_now());
    task.abort();
    assert_called_back_while_running(&rt, &victim_dropped);
    assert!(rt.block_on(task).unwrap_err().is_cancelled());
}

#[test]
fn detached_output_dropped_calls_back() {
    let victim_dropped = Counter::default();
    let rt = Runtime::new();
    spawn_victim(&rt, &victim_dropped);
    drop(rt.spawn(async { CallsBackOnDrop }));
    assert_called_back_while_running(&rt, &victim_dropped);
}

#[test]
fn output_dropped_with_its_handle_calls_back() {
    let victim_dropped = Counter::default();
    let rt = Runtime::new();
    spawn_victim(&rt, &victim_dropped);
    let task = rt.spawn(async { CallsBackOnDrop });
    rt.block_on(async {
        while !task.is_finished() {
            yield_now().await;
        }
        drop(task); // inside block_on: the callback's spawn needs a current runtime
    });
    assert_called_back_while_running(&rt, &victim_dropped);
}

#[test]
fn join_waker_woken_on_completion_calls_back() {
    let (wakes, drops, victim_dropped) = (Counter::default(), Counter::default(), Counter::default());
    let rt = Runtime::new();
    spawn_victim(&rt, &victim_dropped);
    let mut task = rt.spawn(async { yield_now().await });
    let foreign = ForeignWaker::with_callback(&wakes, &drops, call_back);
    rt.block_on(async { assert!(poll_once(&mut task, &foreign.waker()).is_pending()) });
    drop(foreign);
    // The wake calls back once; the drop (right after, inside `wake`) a second time.
    rt.block_on(async {
        while !task.is_finished() {
            yield_now().await;
        }
    });
    assert_eq!((wakes.get(), drops.get()), (1, 1));
    assert_eq!(calls(), [true, true]);
    assert_eq!(victim_dropped.get(), 1);
    assert_eq!(spawned_results(&rt), [true, true]);
}

#[test]
fn join_waker_dropped_at_shutdown_calls_back() {
    let (wakes, drops, victim_dropped) = (Counter::default(), Counter::default(), Counter::default());
    let rt = Runtime::new();
    let mut task = rt.spawn(pending_with(()));
    spawn_victim(&rt, &victim_dropped);
    let foreign = ForeignWaker::with_callback(&wakes, &drops, call_back);
    rt.block_on(async { assert!(poll_once(&mut task, &foreign.waker()).is_pending()) });
    drop(foreign);
    drop(rt); // cancels `task` first, waking (and so dropping) the foreign waker
    assert_eq!((wakes.get(), drops.get()), (1, 1));
    assert_eq!(calls(), [true, true]);
    assert_eq!(victim_dropped.get(), 1);
    let again = Runtime::new();
    assert_eq!(spawned_results(&again), [false, false], "spawned during shutdown: cancelled");
    assert!(again.block_on(task).unwrap_err().is_cancelled());
}

/// A `Park` that, like a reactor, wakes the wakers it holds from inside `park`.
struct WakingPark {
    inner: ThreadPark,
    wakers: Rc<RefCell<Vec<std::task::Waker>>>,
}

impl Park for WakingPark {
    fn park(&mut self, timeout: Option<Duration>) {
        let wakers: Vec<_> = self.wakers.borrow_mut().drain(..).collect();
        if wakers.is_empty() {
            self.inner.park(timeout);
        }
        wakers.into_iter().for_each(std::task::Waker::wake);
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        self.inner.unparker()
    }
}

#[test]
fn waker_woken_by_the_park_calls_back() {
    let (wakes, drops, victim_dropped) = (Counter::default(), Counter::default(), Counter::default());
    let wakers = Rc::default();
    let rt = Builder::default()
        .build_with_park(WakingPark { inner: ThreadPark::new(), wakers: Rc::clone(&wakers) });
    spawn_victim(&rt, &victim_dropped);
    let mut foreign = Some(ForeignWaker::with_callback(&wakes, &drops, call_back));
    let polls = Counter::default();
    rt.block_on(poll_fn(|cx| {
        polls.add();
        if let Some(foreign) = foreign.take() {
            // Parked: the park wakes the foreign waker (calling back, twice: it is the
            // last reference, so `wake` drops it) and this one.
            wakers.borrow_mut().extend([std::task::Waker::from(foreign), cx.waker().clone()]);
            return Poll::Pending;
        }
        Poll::Ready(())
    }));
    assert_eq!((wakes.get(), drops.get()), (1, 1));
    assert_eq!(calls(), [true, true], "called back from wake (in park) and from drop");
    assert_called_back_while_running_twice(&rt, &victim_dropped);
}

fn assert_called_back_while_running_twice(rt: &Runtime, victim_dropped: &Counter) {
    rt.block_on(async {
        for _ in 0..3 {
            yield_now().await;
        }
    });
    assert_eq!(victim_dropped.get(), 1);
    assert_eq!(spawned_results(rt), [true, true]);
}

#[test]
fn task_awaiting_its_own_handle_stays_pending_until_aborted() {
    // The task polls its own handle from inside its own poll: the handle must not
    // touch the task's stage, which the run loop holds borrowed (Miri checks this).
    let rt = Runtime::new();
    let own: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let polls = Counter::default();
    let task = rt.spawn({
        let (own, polls) = (Rc::clone(&own), polls.clone());
        poll_fn(move |cx| {
            polls.add();
            let mut slot = own.borrow_mut();
            let handle = slot.as_mut().expect("handle stored before the first poll");
            assert!(poll_once(handle, cx.waker()).is_pending(), "its own output cannot be ready");
            Poll::Pending
        })
    });
    let observer = rt.spawn(async {});
    *own.borrow_mut() = Some(task);
    rt.block_on(async {
        yield_now().await;
        assert!(observer.await.is_ok());
    });
    assert_eq!(polls.get(), 1, "its own waker, stored in its handle, was not woken");
    let task = own.borrow_mut().take().unwrap();
    task.abort();
    assert!(rt.block_on(task).unwrap_err().is_cancelled());
    assert_eq!(polls.get(), 1);
}
