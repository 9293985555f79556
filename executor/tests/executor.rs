//! The executor's public behaviour, scenario by scenario, with counters of polls,
//! wakes and drops. Runs under Miri: no syscalls, no I/O, only `ThreadPark`.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

mod common;

use common::ReportingPark;
use wakeful_executor::{block_on, spawn, yield_now, Builder, JoinHandle, Park, Runtime, ThreadPark, Unpark};

/// Counts its drops.
#[derive(Clone, Default)]
struct Drops(Rc<Cell<usize>>);

impl Drops {
    fn count(&self) -> usize {
        self.0.get()
    }
}

struct Tracked(Drops);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0 .0.set(self.0 .0.get() + 1);
    }
}

/// A future that never completes on its own, holding a drop-tracked value.
async fn pending_forever(tracked: Tracked) {
    std::future::pending::<()>().await;
    drop(tracked);
}

/// A slot where a task leaves its waker for someone else to wake.
#[derive(Clone, Default)]
struct WakerSlot(Arc<Mutex<Option<Waker>>>);

impl WakerSlot {
    /// Pending until woken once through the slot; counts its polls.
    fn wait(&self, polls: Rc<Cell<usize>>) -> impl Future<Output = ()> + '_ {
        let mut stored = false;
        poll_fn(move |cx| {
            polls.set(polls.get() + 1);
            if stored {
                return Poll::Ready(());
            }
            stored = true;
            *self.0.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    fn take(&self) -> Option<Waker> {
        self.0.lock().unwrap().take()
    }
}

const SPINS: usize = if cfg!(miri) { 50 } else { 10_000 };

#[test]
fn spawn_and_join_returns_output() {
    let out = block_on(async {
        let a = spawn(async { 20 });
        let b = spawn(async { 22 });
        a.await.unwrap() + b.await.unwrap()
    });
    assert_eq!(out, 42);
}

#[test]
fn tasks_need_not_be_send() {
    let rt = Runtime::new();
    let shared = Rc::new(Cell::new(0));
    let s = shared.clone();
    rt.block_on(async move {
        spawn(async move { s.set(7) }).await.unwrap();
    });
    assert_eq!(shared.get(), 7);
}

#[test]
fn runtime_spawn_before_block_on_runs_during_it() {
    let rt = Runtime::new();
    let handle = rt.spawn(async { "ran" });
    assert!(!handle.is_finished());
    assert_eq!(rt.block_on(handle).unwrap(), "ran");
    let stats = rt.stats();
    assert_eq!((stats.tasks_spawned, stats.tasks_alive), (1, 0));
}

#[test]
fn cross_thread_wake_while_parked() {
    let (parking_tx, parking_rx) = mpsc::channel();
    let rt =
        Builder::default().build_with_park(ReportingPark { inner: ThreadPark::new(), parking: parking_tx });
    let slot = WakerSlot::default();
    let polls = Rc::new(Cell::new(0));
    let waker_thread = thread::spawn({
        let slot = slot.clone();
        move || {
            // The runtime is parking (or parked): wake it from here.
            parking_rx.recv().unwrap();
            slot.take().expect("waker stored before parking").wake();
        }
    });
    rt.block_on(async {
        let task = spawn({
            let (slot, polls) = (slot.clone(), polls.clone());
            async move { slot.wait(polls).await }
        });
        task.await.unwrap();
    });
    waker_thread.join().unwrap();
    assert_eq!(polls.get(), 2, "polled once to park, once after the remote wake");
    let stats = rt.stats();
    assert_eq!(stats.wakes_remote, 1, "{stats:?}");
    assert!(stats.parks >= 1, "{stats:?}");
}

#[test]
fn block_on_future_woken_from_another_thread() {
    let slot = WakerSlot::default();
    let polls = Rc::new(Cell::new(0));
    let waker_thread = thread::spawn({
        let slot = slot.clone();
        move || loop {
            if let Some(waker) = slot.take() {
                break waker.wake();
            }
            thread::yield_now();
        }
    });
    block_on(slot.wait(polls.clone()));
    waker_thread.join().unwrap();
    assert_eq!(polls.get(), 2);
}

#[test]
fn abort_drops_the_future_and_reports_cancelled() {
    let drops = Drops::default();
    let rt = Runtime::new();
    let err = rt.block_on(async {
        let task = spawn(pending_forever(Tracked(drops.clone())));
        yield_now().await; // let it start and park
        assert!(!task.is_finished());
        task.abort();
        task.abort(); // idempotent
        task.await.unwrap_err()
    });
    assert!(err.is_cancelled() && !err.is_panic(), "{err:?}");
    assert_eq!(err.to_string(), "task was cancelled");
    assert_eq!(drops.count(), 1);
    assert_eq!(rt.stats().tasks_alive, 0);
}

#[test]
#[allow(clippy::async_yields_async)] // returns the handle itself, to await it later
fn task_can_abort_itself() {
    let rt = Runtime::new();
    let slot: Rc<Cell<Option<JoinHandle<()>>>> = Rc::default();
    let handle = rt.block_on(async {
        let s = slot.clone();
        let task = spawn(async move {
            let me: JoinHandle<()> = loop {
                match s.take() {
                    Some(me) => break me,
                    None => yield_now().await,
                }
            };
            me.abort();
            s.set(Some(me));
            std::future::pending::<()>().await;
        });
        slot.set(Some(task));
        loop {
            yield_now().await;
            if let Some(task) = slot.take() {
                if task.is_finished() {
                    break task;
                }
                slot.set(Some(task));
            }
        }
    });
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn abort_after_completion_keeps_the_output() {
    block_on(async {
        let task = spawn(async { 5 });
        while !task.is_finished() {
            yield_now().await;
        }
        task.abort();
        assert_eq!(task.await.unwrap(), 5);
    });
}

#[test]
fn panic_is_isolated_and_reported() {
    let rt = Runtime::new();
    let (err, other) = rt.block_on(async {
        let bad = spawn(async {
            yield_now().await;
            panic!("boom");
        });
        let good = spawn(async {
            for _ in 0..3 {
                yield_now().await;
            }
            "still here"
        });
        (bad.await.unwrap_err(), good.await.unwrap())
    });
    assert_eq!(other, "still here");
    assert!(err.is_panic() && !err.is_cancelled());
    assert_eq!(err.to_string(), "task panicked: boom");
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
    // The runtime is still usable.
    assert_eq!(rt.block_on(async { spawn(async { 1 }).await.unwrap() }), 1);
}

#[test]
fn detached_task_runs_to_completion() {
    let drops = Drops::default();
    let done = Rc::new(Cell::new(false));
    let rt = Runtime::new();
    rt.block_on(async {
        let d = done.clone();
        let tracked = Tracked(drops.clone());
        drop(spawn(async move {
            yield_now().await;
            d.set(true);
            tracked // the output, dropped by the runtime since nobody awaits it
        }));
        while !done.get() {
            yield_now().await;
        }
    });
    assert!(done.get());
    assert_eq!(drops.count(), 1, "a detached task's output is dropped");
}

#[test]
#[allow(clippy::async_yields_async)] // returns the handle itself, to drop it later
fn output_dropped_with_unawaited_handle() {
    let drops = Drops::default();
    let rt = Runtime::new();
    let handle = rt.block_on(async {
        let handle = spawn({
            let drops = drops.clone();
            async move { Tracked(drops) }
        });
        while !handle.is_finished() {
            yield_now().await;
        }
        handle
    });
    assert_eq!(drops.count(), 0, "the output waits for its handle");
    drop(handle);
    assert_eq!(drops.count(), 1);
}

#[test]
fn stale_wakes_are_harmless() {
    let rt = Runtime::new();
    let saved: Rc<Cell<Option<Waker>>> = Rc::default();
    let s = saved.clone();
    rt.block_on(async move {
        spawn(poll_fn(move |cx| {
            s.set(Some(cx.waker().clone()));
            Poll::Ready(())
        }))
        .await
        .unwrap();
    });
    let waker = saved.take().unwrap();
    let polls = rt.stats().polls;
    waker.wake_by_ref();
    let by_value = waker.clone();
    by_value.wake();
    rt.block_on(yield_now());
    assert_eq!(rt.stats().polls, polls + 2, "only the block_on future was polled (twice)");

    // After the runtime is gone, a wake from another thread does nothing.
    drop(rt);
    thread::spawn(move || waker.wake()).join().unwrap();
}

#[test]
fn wakes_coalesce_into_one_poll() {
    let rt = Runtime::new();
    let polls = Rc::new(Cell::new(0));
    rt.block_on(async {
        let p = polls.clone();
        let task = spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                let clones: Vec<Waker> = (0..10).map(|_| cx.waker().clone()).collect();
                clones.into_iter().for_each(Waker::wake);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(())
        }));
        task.await.unwrap();
    });
    assert_eq!(polls.get(), 2, "eleven wakes, one extra poll");
}

#[test]
fn shutdown_drops_every_future_on_its_thread() {
    let drops = Drops::default();
    let rt = Runtime::new();
    let handles: Vec<_> = rt.block_on(async {
        let handles: Vec<_> = (0..5).map(|_| spawn(pending_forever(Tracked(drops.clone())))).collect();
        yield_now().await;
        handles
    });
    let queued = rt.spawn(pending_forever(Tracked(drops.clone()))); // never polled
    assert_eq!(rt.stats().tasks_alive, 6);
    assert_eq!(drops.count(), 0);
    drop(rt);
    assert_eq!(drops.count(), 6, "every future dropped with the runtime");
    assert!(handles.iter().chain([&queued]).all(JoinHandle::is_finished));
    let again = Runtime::new();
    for handle in handles {
        assert!(again.block_on(handle).unwrap_err().is_cancelled());
    }
}

#[test]
fn spawn_during_shutdown_is_cancelled() {
    struct SpawnOnDrop(Rc<Cell<Option<JoinHandle<()>>>>, Drops);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let late = Tracked(self.1.clone());
            self.0.set(Some(spawn(async move { drop(late) })));
        }
    }
    let late = Rc::default();
    let drops = Drops::default();
    let rt = Runtime::new();
    let guard = SpawnOnDrop(Rc::clone(&late), drops.clone());
    rt.spawn(async move {
        std::future::pending::<()>().await;
        drop(guard);
    });
    drop(rt);
    let handle = late.take().expect("spawned during shutdown");
    assert_eq!(drops.count(), 1, "the late task's future was dropped unrun");
    assert!(block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn always_ready_task_cannot_starve_others() {
    let spins = [Rc::new(Cell::new(0)), Rc::new(Cell::new(0))];
    let rt = Runtime::new();
    rt.block_on(async {
        let spinners: Vec<_> = spins
            .iter()
            .map(|count| {
                let count = count.clone();
                spawn(async move {
                    loop {
                        count.set(count.get() + 1);
                        yield_now().await;
                    }
                })
            })
            .collect();
        let worker = spawn(async {
            for _ in 0..100 {
                yield_now().await;
            }
        });
        worker.await.unwrap();
        spinners.iter().for_each(JoinHandle::abort);
    });
    // FIFO: each spinner runs once per turn of the worker (give or take the ends).
    for count in &spins {
        assert!((100..=103).contains(&count.get()), "spinner ran {} times for 100 worker turns", count.get());
    }
}

/// A fake reactor: an "event" is delivered (its waker woken) by a non-blocking park.
#[derive(Clone, Default)]
struct FakeReactor {
    slot: WakerSlot,
    zero_parks: Rc<Cell<usize>>,
}

impl Park for FakeReactor {
    fn park(&mut self, timeout: Option<Duration>) {
        assert_eq!(timeout, Some(Duration::ZERO), "never idle: a task is always ready");
        self.zero_parks.set(self.zero_parks.get() + 1);
        if let Some(waker) = self.slot.take() {
            waker.wake();
        }
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        struct Nothing;
        impl Unpark for Nothing {
            fn unpark(&self) {}
        }
        Box::new(Nothing)
    }
}

#[test]
fn always_ready_task_cannot_starve_io() {
    let reactor = FakeReactor::default();
    let interval = 7;
    let rt = Builder::default().event_interval(interval).build_with_park(reactor.clone());
    let spins = Rc::new(Cell::new(0));
    rt.block_on(async {
        let s = spins.clone();
        let spinner = spawn(async move {
            loop {
                s.set(s.get() + 1);
                yield_now().await;
            }
        });
        reactor.slot.wait(Rc::default()).await; // "I/O" that only the reactor delivers
        spinner.abort();
    });
    assert_eq!(reactor.zero_parks.get(), 1, "the reactor got its turn");
    assert!(spins.get() <= interval as usize, "reactor turned within {interval} polls, not {}", spins.get());
}

#[test]
fn yield_loop_counts_polls_and_local_wakes() {
    let rt = Runtime::new();
    rt.block_on(async {
        spawn(async {
            for _ in 0..SPINS {
                yield_now().await;
            }
        })
        .await
        .unwrap()
    });
    let stats = rt.stats();
    assert!(stats.polls > SPINS as u64, "{stats:?}");
    assert!(stats.wakes_local >= SPINS as u64, "{stats:?}");
    assert_eq!(stats.wakes_remote, 0, "{stats:?}");
}

#[test]
fn many_tasks_ping_pong_through_wakers() {
    // Two tasks hand a token back and forth through each other's wakers.
    let rt = Runtime::new();
    let rounds = if cfg!(miri) { 20 } else { 1000 };
    let turn = Rc::new(Cell::new(0usize));
    let wakers: Rc<[Cell<Option<Waker>>; 2]> = Rc::default();
    let player = |me: usize| {
        let (turn, wakers) = (turn.clone(), wakers.clone());
        poll_fn(move |cx| {
            while turn.get() % 2 == me {
                if turn.get() >= rounds {
                    return Poll::Ready(());
                }
                turn.set(turn.get() + 1);
                if let Some(other) = wakers[1 - me].take() {
                    other.wake();
                }
            }
            if turn.get() >= rounds {
                return Poll::Ready(());
            }
            wakers[me].set(Some(cx.waker().clone()));
            Poll::Pending
        })
    };
    rt.block_on(async {
        let a = spawn(player(0));
        let b = spawn(player(1));
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(turn.get(), rounds);
}

#[test]
#[should_panic(expected = "wakeful::spawn called outside a runtime")]
fn spawn_outside_runtime_panics_clearly() {
    drop(spawn(async {}));
}

#[test]
#[should_panic(expected = "block_on called from inside a running runtime")]
fn nested_block_on_panics_clearly() {
    block_on(async { block_on(async {}) });
}

#[test]
fn runtime_survives_nested_block_on_panic_in_a_task() {
    let rt = Runtime::new();
    let err = rt.block_on(async { spawn(async { block_on(async {}) }).await.unwrap_err() });
    assert!(err.to_string().contains("inside a running runtime"), "{err}");
}

#[test]
fn wake_from_many_threads_at_once() {
    let rt = Runtime::new();
    let threads = if cfg!(miri) { 2 } else { 8 };
    let woken = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(AtomicBool::new(false));
    let polls = Rc::new(Cell::new(0));
    rt.block_on(async {
        let p = polls.clone();
        let (w, g) = (woken.clone(), go.clone());
        let task = spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                for _ in 0..threads {
                    let (waker, w, g) = (cx.waker().clone(), w.clone(), g.clone());
                    thread::spawn(move || {
                        while !g.load(Ordering::Acquire) {
                            thread::yield_now();
                        }
                        waker.wake();
                        w.fetch_add(1, Ordering::SeqCst);
                    });
                }
                g.store(true, Ordering::Release);
                return Poll::Pending;
            }
            Poll::Ready(())
        }));
        task.await.unwrap();
    });
    assert!(polls.get() >= 2);
    // Detached threads may still be finishing their wakes: each must be harmless.
    drop(rt);
    while woken.load(Ordering::SeqCst) < threads {
        thread::yield_now();
    }
}

#[test]
fn coop_budget_makes_an_always_ready_task_yield() {
    use wakeful_executor::coop::{poll_proceed, BUDGET};
    let other_ran = Rc::new(Cell::new(false));
    let rt = Runtime::new();
    let (ops, saw_other) = rt.block_on(async {
        // Outside a task the budget is unlimited.
        for _ in 0..BUDGET * 2 {
            poll_fn(poll_proceed).await;
        }
        // An "always ready" operation: it never waits, only spends budget. Spawned
        // first, it would finish in one poll if nothing made it yield.
        let seen = other_ran.clone();
        let busy = spawn(async move {
            let mut ops = 0u32;
            while ops < BUDGET * 3 {
                poll_fn(poll_proceed).await;
                ops += 1;
            }
            (ops, seen.get())
        });
        let flag = other_ran.clone();
        let other = spawn(async move { flag.set(true) });
        other.await.unwrap();
        busy.await.unwrap()
    });
    assert_eq!(ops, BUDGET * 3);
    assert!(saw_other, "the busy task yielded once its budget was spent");
}

/// Reads a local of its future when dropped: it must still be where the future was
/// pinned.
struct Guard<'a>(&'a [u64; 8], Rc<Cell<u64>>);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.1.set(self.0.iter().sum());
    }
}

#[test]
fn cancelled_futures_are_dropped_in_place() {
    // An async block borrowing its own local across an await: dropping it anywhere but
    // where it was pinned would read freed or overwritten memory (Miri checks this).
    let sum = Rc::new(Cell::new(0));
    let rt = Runtime::new();
    let s = sum.clone();
    let aborted = rt.spawn(async move {
        let data = [1u64; 8];
        let _guard = Guard(&data, s);
        std::future::pending::<()>().await;
    });
    rt.block_on(yield_now());
    aborted.abort();
    rt.block_on(async {
        while !aborted.is_finished() {
            yield_now().await;
        }
    });
    assert_eq!(sum.get(), 8, "abort dropped the future in place");

    sum.set(0);
    let s = sum.clone();
    rt.spawn(async move {
        let data = [1u64; 8];
        let _guard = Guard(&data, s);
        std::future::pending::<()>().await;
    });
    rt.block_on(yield_now());
    drop(rt);
    assert_eq!(sum.get(), 8, "shutdown dropped the future in place");
}
