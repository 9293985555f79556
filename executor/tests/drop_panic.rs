//! A `Drop` that panics, anywhere the runtime drops a user value: the future (after it
//! finished, on abort, at shutdown), its output, and a panic payload — including a
//! payload whose own `Drop` panics again. Each value must be dropped exactly once, no
//! panic may escape the runtime, and the runtime must stay usable. Runs under Miri,
//! which also reports a double drop of the heap memory every `Tracked` owns.

mod common;

use std::panic;

use common::{assert_usable, Counter, OnDrop, PanickyPayload, Probe, Tracked};
use wakeful_executor::{spawn, yield_now, Runtime};

const EVERY_DROP: [OnDrop; 3] = [OnDrop::Count, OnDrop::Panic, OnDrop::PanicTwice];

#[test]
fn future_dropped_once_after_it_returned_ready() {
    for on_drop in EVERY_DROP {
        let (polls, drops, payload_drops) = (Counter::default(), Counter::default(), Counter::default());
        let rt = Runtime::new();
        let tracked = Tracked::with_payload_counter(&drops, on_drop, &payload_drops);
        let out = rt.block_on(async { spawn(Probe::after(1, &polls, 5, tracked)).await });
        assert_eq!(out.unwrap(), 5, "{on_drop:?}: the output survives a panicking drop of the future");
        assert_eq!((polls.get(), drops.get()), (2, 1), "{on_drop:?}");
        assert_usable(&rt);
        drop(rt);
        assert_eq!(drops.get(), 1, "{on_drop:?}: not dropped again at shutdown");
        assert_eq!(payload_drops.get(), usize::from(on_drop == OnDrop::PanicTwice), "{on_drop:?}");
    }
}

#[test]
fn future_dropped_once_on_abort() {
    for on_drop in EVERY_DROP {
        let (polls, drops, payload_drops) = (Counter::default(), Counter::default(), Counter::default());
        let rt = Runtime::new();
        let tracked = Tracked::with_payload_counter(&drops, on_drop, &payload_drops);
        let err = rt.block_on(async {
            let task = spawn(Probe::<()>::pending(&polls, tracked));
            yield_now().await;
            task.abort();
            task.await.unwrap_err()
        });
        assert!(err.is_cancelled(), "{on_drop:?}: {err:?}");
        assert_eq!((polls.get(), drops.get()), (1, 1), "{on_drop:?}");
        assert_usable(&rt);
        drop(rt);
        assert_eq!(drops.get(), 1, "{on_drop:?}: not dropped again at shutdown");
        assert_eq!(payload_drops.get(), usize::from(on_drop == OnDrop::PanicTwice), "{on_drop:?}");
    }
}

#[test]
fn every_future_dropped_once_at_shutdown_despite_panicking_drops() {
    let drops: Vec<Counter> = EVERY_DROP.iter().map(|_| Counter::default()).collect();
    let rt = Runtime::new();
    // Two of each, so that a panic in one drop cannot hide the others.
    let handles: Vec<_> = EVERY_DROP
        .iter()
        .zip(&drops)
        .cycle()
        .take(2 * EVERY_DROP.len())
        .map(|(&on_drop, drops)| {
            rt.spawn(Probe::<()>::pending(&Counter::default(), Tracked::new(drops, on_drop)))
        })
        .collect();
    rt.block_on(yield_now());
    assert_eq!(rt.stats().tasks_alive, 6);
    drop(rt);
    assert_eq!(drops.iter().map(Counter::get).collect::<Vec<_>>(), [2, 2, 2]);
    let again = Runtime::new();
    for handle in handles {
        assert!(again.block_on(handle).unwrap_err().is_cancelled());
    }
    assert_usable(&again);
}

#[test]
fn detached_output_dropped_once_despite_panicking_drop() {
    for on_drop in EVERY_DROP {
        let (drops, payload_drops) = (Counter::default(), Counter::default());
        let rt = Runtime::new();
        let tracked = Tracked::with_payload_counter(&drops, on_drop, &payload_drops);
        let finished = rt.block_on(async {
            let task = spawn(async move {
                yield_now().await;
                tracked // the output
            });
            let probe = spawn(async {});
            drop(task); // detached: the runtime drops the output when it is ready
            for _ in 0..3 {
                yield_now().await;
            }
            probe.is_finished()
        });
        assert!(finished);
        assert_eq!(drops.get(), 1, "{on_drop:?}");
        assert_eq!(payload_drops.get(), usize::from(on_drop == OnDrop::PanicTwice), "{on_drop:?}");
        assert_usable(&rt);
    }
}

#[test]
#[allow(clippy::async_yields_async)] // returns the handle itself, to drop it later
fn unread_output_dropped_once_with_its_handle() {
    for on_drop in EVERY_DROP {
        let drops = Counter::default();
        let rt = Runtime::new();
        let handle = rt.block_on(async {
            let tracked = Tracked::new(&drops, on_drop);
            let task = spawn(async move { tracked });
            while !task.is_finished() {
                yield_now().await;
            }
            task
        });
        assert_eq!(drops.get(), 0);
        drop(handle); // drops the output: a panic there is contained
        assert_eq!(drops.get(), 1, "{on_drop:?}");
        assert_usable(&rt);
        drop(rt);
        assert_eq!(drops.get(), 1, "{on_drop:?}");
    }
}

#[test]
fn panic_payload_whose_drop_panics_is_dropped_once_when_detached() {
    let payload_drops = Counter::default();
    let rt = Runtime::new();
    rt.block_on(async {
        let payload = PanickyPayload(payload_drops.clone());
        drop(spawn(async move {
            yield_now().await;
            panic::panic_any(payload);
        }));
        for _ in 0..3 {
            yield_now().await;
        }
    });
    assert_eq!(payload_drops.get(), 1, "the JoinError nobody reads is dropped by the runtime");
    assert_usable(&rt);
}

#[test]
fn panic_payload_whose_drop_panics_survives_shutdown_in_its_handle() {
    let payload_drops = Counter::default();
    let rt = Runtime::new();
    let payload = PanickyPayload(payload_drops.clone());
    let handle = rt.spawn(async move { panic::panic_any(payload) });
    rt.block_on(yield_now());
    assert!(handle.is_finished());
    drop(rt);
    assert_eq!(payload_drops.get(), 0, "the handle still holds the JoinError");
    drop(handle);
    assert_eq!(payload_drops.get(), 1);
}

#[test]
fn poll_panic_then_panicking_future_drop_reports_the_poll_panic() {
    let (drops, payload_drops) = (Counter::default(), Counter::default());
    let rt = Runtime::new();
    let tracked = Tracked::with_payload_counter(&drops, OnDrop::PanicTwice, &payload_drops);
    /// Panics in `poll`; its field `Tracked` then panics in `drop`.
    struct PanicsInPoll {
        _tracked: Tracked,
    }
    impl std::future::Future for PanicsInPoll {
        type Output = ();
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            panic!("poll panics");
        }
    }
    let err = rt.block_on(spawn_and_join(PanicsInPoll { _tracked: tracked }));
    assert_eq!(err.unwrap_err().to_string(), "task panicked: poll panics");
    assert_eq!((drops.get(), payload_drops.get()), (1, 1));
    assert_usable(&rt);
}

async fn spawn_and_join<F: std::future::Future + 'static>(
    future: F,
) -> Result<F::Output, wakeful_executor::JoinError> {
    spawn(future).await
}

#[test]
fn runtime_dropped_while_a_panic_unwinds_contains_panicking_drops() {
    let (future_drops, output_drops) = (Counter::default(), Counter::default());
    let (fd, od) = (future_drops.clone(), output_drops.clone());
    let unwound = panic::catch_unwind(move || {
        let rt = Runtime::new();
        rt.spawn(Probe::<()>::pending(&Counter::default(), Tracked::new(&fd, OnDrop::PanicTwice)));
        let output = Tracked::new(&od, OnDrop::PanicTwice);
        drop(rt.spawn(async move { output }));
        rt.block_on(yield_now());
        // `rt` is dropped by this unwind: a panic escaping its drop would abort.
        panic!("the caller panics");
    });
    assert!(unwound.is_err());
    assert_eq!((future_drops.get(), output_drops.get()), (1, 1));
}
