//! The count of wakers: every reference that is not a waker's is placed.

use std::future::poll_fn;
use std::task::{Poll, Waker};

use super::*;
use crate::{spawn, yield_now, Runtime};

/// Returns `Pending` without storing the waker.
fn forgetful() -> impl std::future::Future<Output = ()> {
    poll_fn(|_| Poll::Pending)
}

fn waits(rt: &Runtime, id: Id) -> Vec<WaitsOn> {
    rt.dump().get(id).expect("live").waits_on.clone()
}

#[test]
fn a_queued_task_waits_on_nothing_else_and_is_not_lost() {
    let rt = Runtime::new();
    let handle = rt.spawn(forgetful());
    assert_eq!(waits(&rt, handle.id()), []);
    assert_eq!(rt.dump().tasks()[0].info.state, TaskState::Scheduled);
}

#[test]
fn a_detached_task_with_no_waker_is_lost() {
    let rt = Runtime::new();
    let id = rt.block_on(async {
        let id = spawn(forgetful()).id(); // the handle is dropped at once
        yield_now().await;
        id
    });
    assert_eq!(waits(&rt, id), [WaitsOn::Nothing]);
}

#[test]
fn a_clone_kept_during_the_poll_is_a_waker_and_the_lent_reference_is_counted_once() {
    let rt = Runtime::new();
    let handle = rt.spawn(poll_fn(|cx| {
        let _kept = cx.waker().clone(); // takes the run loop's reference (lent)
        let me = dump().get(crate::task::id()).map(|t| t.waits_on.clone());
        Poll::Ready(me)
    }));
    let me = rt.block_on(handle).unwrap();
    assert_eq!(me, Some(vec![WaitsOn::Elsewhere(1)]));
}

#[test]
fn foreign_wakers_and_unknown_pointers_are_ignored() {
    let rt = Runtime::new();
    let handle = rt.spawn(forgetful());
    let data = (&0u8 as *const u8).cast::<()>(); // no task's header
    let holders = [Holder::of(Waker::noop(), "a noop"), Holder::new(data, Waker::noop().vtable(), "nobody")];
    let dump = rt.dump_with(&holders);
    assert_eq!(dump.get(handle.id()).unwrap().waits_on, []);
    assert_eq!(dump.len(), 1);
}

#[test]
#[cfg_attr(miri, ignore)] // 65 540 handles: minutes under Miri, and no unsafe of its own
fn too_many_abort_handles_to_count_give_no_verdict() {
    let rt = Runtime::new();
    let handle = rt.spawn(forgetful());
    let many: Vec<_> = (0..u32::from(u16::MAX) + 5).map(|_| handle.abort_handle()).collect();
    rt.block_on(yield_now());
    assert_eq!(waits(&rt, handle.id()), [], "unknown: neither lost nor held");
    drop(many); // no underflow: the count sticks
    assert_eq!(waits(&rt, handle.id()), []);
    let few: Vec<_> = (0..3).map(|_| handle.abort_handle()).collect();
    few[0].abort();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn the_display_lists_every_task_with_its_waits() {
    let rt = Runtime::new();
    let handle = rt.spawn(forgetful());
    rt.block_on(yield_now());
    let text = rt.dump().to_string();
    let id = handle.id();
    assert!(text.starts_with(&format!("1 live task\n{id} (idle, 1 poll")), "{text}");
    assert!(text.contains("\n  spawned at executor/src/task/dump_tests.rs:"), "{text}");
    assert!(
        text.ends_with(
            "  waits on nothing: no waker of it is held anywhere — it can never wake (lost waker)\n"
        ),
        "{text}"
    );
}

#[test]
fn durations_read_as_a_person_would() {
    assert_eq!(seconds(Duration::from_millis(2345)), "2.3 s");
    assert_eq!(seconds(Duration::from_millis(15)), "15 ms");
    assert_eq!(seconds(Duration::from_micros(40)), "40 µs");
}

#[test]
fn the_block_on_future_is_listed_by_what_it_waits_on() {
    let rt = Runtime::new();
    let dump = rt.block_on(async {
        let child = spawn(async { yield_now().await });
        let mut child = std::pin::pin!(child);
        // Polled here, by the block_on future: the child's join waker is the inbox's.
        assert!(futures_poll(child.as_mut()).await.is_pending());
        let dump = dump();
        drop(child.await);
        dump
    });
    assert_eq!(dump.len(), 1);
    assert_eq!(dump.block_on(), [WaitsOn::JoinHandle(dump.tasks()[0].info.id)]);
    assert!(dump.to_string().contains("\nthe block_on future\n  waits on the JoinHandle of task"), "{dump}");
}

/// Polls `fut` once with the caller's context.
async fn futures_poll<F: std::future::Future>(mut fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await
}
