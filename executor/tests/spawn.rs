//! Spawning and joining: outputs come back through the handle, tasks need not be
//! `Send`, a task spawned before `block_on` runs during it, a panicking task is
//! isolated, and misuse (`spawn` outside a runtime, nested `block_on`) panics clearly.
//! Runs under Miri.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use wakeful_executor::{block_on, spawn, yield_now, Runtime};

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
