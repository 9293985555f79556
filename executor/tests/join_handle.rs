//! What a `JoinHandle` does to its task: `abort` (also from the task itself, also
//! after it finished), and detaching by dropping the handle, with the output dropped
//! by whoever ends up owning it. Counters of drops; runs under Miri.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{pending_with, Counter, OnDrop, Tracked};
use wakeful_executor::{block_on, spawn, yield_now, JoinHandle, Runtime};

#[test]
fn abort_drops_the_future_and_reports_cancelled() {
    let drops = Counter::default();
    let rt = Runtime::new();
    let err = rt.block_on(async {
        let task = spawn(pending_with(Tracked::new(&drops, OnDrop::Count)));
        yield_now().await; // let it start and park
        assert!(!task.is_finished());
        task.abort();
        task.abort(); // idempotent
        task.await.unwrap_err()
    });
    assert!(err.is_cancelled() && !err.is_panic(), "{err:?}");
    assert_eq!(err.to_string(), "task was cancelled");
    assert_eq!(drops.get(), 1);
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
fn detached_task_runs_to_completion() {
    let drops = Counter::default();
    let done = Rc::new(Cell::new(false));
    let rt = Runtime::new();
    rt.block_on(async {
        let d = done.clone();
        let tracked = Tracked::new(&drops, OnDrop::Count);
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
    assert_eq!(drops.get(), 1, "a detached task's output is dropped");
}

#[test]
#[allow(clippy::async_yields_async)] // returns the handle itself, to drop it later
fn output_dropped_with_unawaited_handle() {
    let drops = Counter::default();
    let rt = Runtime::new();
    let handle = rt.block_on(async {
        let handle = spawn({
            let drops = drops.clone();
            async move { Tracked::new(&drops, OnDrop::Count) }
        });
        while !handle.is_finished() {
            yield_now().await;
        }
        handle
    });
    assert_eq!(drops.get(), 0, "the output waits for its handle");
    drop(handle);
    assert_eq!(drops.get(), 1);
}
