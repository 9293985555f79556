//! `JoinSet`: results in completion order, abort on drop (futures dropped), panics as
//! `JoinError`, cancel-safety of `join_next` and no waker left behind, detaching,
//! shutdown, and 10 000 tasks without quadratic cost.

mod common;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

use common::{pending_with, Counter, Fault, ForeignWaker, OnDrop, Tracked};
use wakeful_executor::{yield_now, JoinSet, Runtime};

/// Yields `n` times, then returns `n`.
async fn after_yields(n: usize) -> usize {
    for _ in 0..n {
        yield_now().await;
    }
    n
}

#[test]
fn results_come_in_completion_order_not_spawn_order() {
    let order = Runtime::new().block_on(async {
        let mut set = JoinSet::new();
        for n in [5, 1, 4, 0, 3, 2] {
            set.spawn(after_yields(n));
        }
        assert_eq!(set.len(), 6);
        let mut order = Vec::new();
        while let Some(result) = set.join_next().await {
            order.push(result.unwrap());
        }
        assert!(set.is_empty());
        order
    });
    assert_eq!(order, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn dropping_the_set_aborts_every_task_and_drops_its_future() {
    let drops = Counter::default();
    let rt = Runtime::new();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..10 {
            set.spawn(pending_with(Tracked::new(&drops, OnDrop::Count)));
        }
        yield_now().await; // every task starts and waits forever
        assert_eq!(drops.get(), 0);
        drop(set);
        yield_now().await; // the runtime's next turn drops the aborted futures
        yield_now().await;
    });
    assert_eq!(drops.get(), 10);
    assert_eq!(rt.stats().tasks_alive, 0);
}

#[test]
fn a_panicking_task_surfaces_as_a_join_error_and_the_others_still_finish() {
    let (panics, oks) = Runtime::new().block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("task 1 fails") });
        set.spawn(async { 2 });
        set.spawn(async {
            yield_now().await;
            3
        });
        let (mut panics, mut oks) = (Vec::new(), Vec::new());
        while let Some(result) = set.join_next().await {
            match result {
                Ok(n) => oks.push(n),
                Err(err) => panics.push(err.to_string()),
            }
        }
        (panics, oks)
    });
    assert_eq!(panics, ["task panicked: task 1 fails"]);
    assert_eq!(oks, [2, 3]);
}

#[test]
fn abort_all_keeps_the_tasks_in_the_set_as_cancelled() {
    let drops = Counter::default();
    let results = Runtime::new().block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { Ok::<_, ()>(1) });
        yield_now().await; // the first finishes before the abort
        let tracked = Tracked::new(&drops, OnDrop::Count);
        let abort = set.spawn(async move {
            pending_with(tracked).await;
            Ok(2)
        });
        set.abort_all();
        assert_eq!(set.len(), 2);
        let mut results = Vec::new();
        while let Some(result) = set.join_next().await {
            results.push(result.map_err(|err| err.is_cancelled()));
        }
        assert!(abort.is_finished());
        results
    });
    assert_eq!(results, [Ok(Ok(1)), Err(true)]);
    assert_eq!(drops.get(), 1);
}

#[test]
fn an_abort_handle_from_spawn_cancels_only_its_task() {
    let results = Runtime::new().block_on(async {
        let mut set = JoinSet::new();
        let first = set.spawn(async {
            std::future::pending::<()>().await;
            1
        });
        set.spawn(after_yields(2));
        first.abort();
        let mut results = Vec::new();
        while let Some(result) = set.join_next().await {
            results.push(result.map_err(|err| err.is_cancelled()));
        }
        results
    });
    assert_eq!(results, [Err(true), Ok(2)]);
}

#[test]
fn detach_all_empties_the_set_and_lets_the_tasks_run_on() {
    let finished = Counter::default();
    let rt = Runtime::new();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for n in 0..4 {
            let finished = finished.clone();
            set.spawn(async move {
                after_yields(n).await;
                finished.add();
            });
        }
        set.detach_all();
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
        drop(set); // aborts nothing: the set is empty
        for _ in 0..6 {
            yield_now().await;
        }
    });
    assert_eq!(finished.get(), 4);
    assert_eq!(rt.stats().tasks_alive, 0);
}

#[test]
fn shutdown_aborts_and_waits_until_the_set_is_empty() {
    let drops = Counter::default();
    Runtime::new().block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..5 {
            set.spawn(pending_with(Tracked::new(&drops, OnDrop::Count)));
        }
        set.shutdown().await;
        assert!(set.is_empty());
        assert_eq!(drops.get(), 5, "every future is dropped once shutdown returns");
    });
}

#[test]
fn try_join_next_returns_only_finished_tasks() {
    Runtime::new().block_on(async {
        let mut set = JoinSet::new();
        assert!(set.try_join_next().is_none());
        set.spawn(after_yields(0));
        set.spawn(async {
            std::future::pending::<()>().await;
            1
        });
        assert!(set.try_join_next().is_none(), "nothing ran yet");
        yield_now().await;
        assert_eq!(set.try_join_next().unwrap().unwrap(), 0);
        assert!(set.try_join_next().is_none());
        assert_eq!(set.len(), 1);
    });
}

#[test]
fn join_next_dropped_while_pending_loses_nothing_and_leaves_no_waker() {
    Runtime::new().block_on(async {
        let mut set = JoinSet::new();
        set.spawn(after_yields(3));
        let (wakes, drops) = (Counter::default(), Counter::default());
        let foreign = ForeignWaker::new(&wakes, &drops, Fault::None);
        let waker = foreign.waker();
        drop(foreign);
        {
            let mut next = pin!(set.join_next());
            assert!(next.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        }
        drop(waker);
        assert_eq!(drops.get(), 1, "the dropped join_next kept a clone of the waker");
        assert_eq!(set.join_next().await.unwrap().unwrap(), 3, "the result was lost");
        assert_eq!(wakes.get(), 0);
    });
}

#[test]
fn a_waiting_join_next_is_woken_once_by_a_completion() {
    Runtime::new().block_on(async {
        let mut set = JoinSet::new();
        set.spawn(after_yields(2));
        set.spawn(after_yields(1));
        let (wakes, drops) = (Counter::default(), Counter::default());
        let waker = ForeignWaker::new(&wakes, &drops, Fault::PanicOnWake).waker();
        let mut cx = Context::from_waker(&waker);
        assert!(set.poll_join_next(&mut cx).is_pending());
        assert!(set.poll_join_next(&mut cx).is_pending(), "same waker: stored once");
        yield_now().await;
        yield_now().await;
        assert_eq!(wakes.get(), 1, "a panicking wake is contained and counted once");
        assert!(matches!(set.poll_join_next(&mut cx), Poll::Ready(Some(Ok(1)))));
        assert!(matches!(set.poll_join_next(&mut cx), Poll::Pending | Poll::Ready(Some(Ok(2)))));
    });
}

#[test]
fn join_all_returns_every_output_and_resumes_a_panic() {
    let rt = Runtime::new();
    let mut outputs =
        rt.block_on(async { (0..5).map(after_yields).collect::<JoinSet<_>>().join_all().await });
    outputs.sort();
    assert_eq!(outputs, [0, 1, 2, 3, 4]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { panic!("boom") });
            set.spawn(std::future::pending());
            set.join_all().await
        })
    }));
    let payload = result.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    rt.block_on(yield_now()); // the runtime's next turn drops the aborted future
    assert_eq!(rt.stats().tasks_alive, 0, "the pending task was aborted with the set");
}

#[test]
fn ten_thousand_tasks_join_in_linear_work() {
    // Under Miri, interpreting 10 000 tasks takes minutes: the same shape, smaller.
    const N: usize = if cfg!(miri) { 200 } else { 10_000 };
    let rt = Runtime::new();
    let sum = rt.block_on(async {
        let mut set = JoinSet::new();
        for n in 0..N {
            set.spawn(async move {
                yield_now().await;
                n
            });
        }
        let mut sum = 0;
        let mut joined = 0;
        while let Some(result) = set.join_next().await {
            sum += result.unwrap();
            joined += 1;
        }
        assert_eq!(joined, N);
        sum
    });
    assert_eq!(sum, N * (N - 1) / 2);
    // Two polls per task, and a handful for the joining future: no rescans.
    let polls = rt.stats().polls as usize;
    assert!(polls <= 2 * N + N / 10, "{polls} polls for {N} tasks");
}

#[test]
fn a_set_spawned_into_after_shutdown_reports_cancelled_tasks() {
    let rt = Runtime::new();
    let set = std::rc::Rc::new(std::cell::RefCell::new(JoinSet::new()));
    let inner = set.clone();
    // A task whose future, when dropped at the runtime's shutdown, spawns into the set.
    rt.spawn(async move {
        struct SpawnOnDrop(std::rc::Rc<std::cell::RefCell<JoinSet<u8>>>);
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                self.0.borrow_mut().spawn(async { 1 });
            }
        }
        let _guard = SpawnOnDrop(inner);
        std::future::pending::<()>().await;
    });
    rt.block_on(yield_now());
    drop(rt);
    let mut set = set.borrow_mut();
    assert_eq!(set.len(), 1);
    let result = set.try_join_next().expect("a task spawned at shutdown is finished at once");
    assert!(result.unwrap_err().is_cancelled());
}
