//! wakeful::cores: crossing cores — spawn_on round trips, a channel ping-pong,
//! remote handles dropped, aborted, joined from plain threads, panics on arrival,
//! spawns to cores that ended.

mod util;

use std::rc::Rc;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use util::bounded;
use wakeful::cores::{current_index, Builder};
use wakeful::sync::remote;

#[test]
fn one_hundred_thousand_cross_core_spawn_round_trips_lose_nothing() {
    const ROUND_TRIPS: u64 = 100_000;
    const IN_FLIGHT: u64 = 500;
    let outputs = bounded(|| {
        Builder::new().cores(2).run(|core| async move {
            let stop = core.shutdown_requested();
            if core.index() != 0 {
                stop.await; // serve until core 0 is done
                return (0, 0);
            }
            let handle = core.handle();
            let (mut sum, mut count) = (0u64, 0u64);
            for batch in 0..ROUND_TRIPS / IN_FLIGHT {
                let handles: Vec<_> = (0..IN_FLIGHT)
                    .map(|i| {
                        let n = batch * IN_FLIGHT + i;
                        // The future holds an Rc: it is built on core 1 and stays there.
                        handle.spawn_on(1, move || {
                            let local = Rc::new(n);
                            async move { (*local, current_index()) }
                        })
                    })
                    .collect();
                for remote in handles {
                    let (n, ran_on) = remote.await.unwrap();
                    assert_eq!(ran_on, Some(1));
                    sum += n;
                    count += 1;
                }
            }
            handle.shutdown();
            (count, sum)
        })
    })
    .unwrap();
    assert_eq!(outputs[0], (ROUND_TRIPS, ROUND_TRIPS * (ROUND_TRIPS - 1) / 2));
}

#[test]
fn a_cross_core_channel_ping_pong_loses_nothing() {
    const PINGS: u32 = 20_000;
    let (ping_tx, ping_rx) = remote::mpsc::channel::<u32>(1);
    let (pong_tx, pong_rx) = remote::mpsc::channel::<u32>(1);
    let ends = Mutex::new((Some((ping_tx, pong_rx)), Some((ping_rx, pong_tx))));
    let outputs = bounded(move || {
        Builder::new().cores(2).run(move |core| {
            let mut ends = ends.lock().unwrap();
            let pinger = if core.index() == 0 { ends.0.take() } else { None };
            let ponger = if core.index() == 1 { ends.1.take() } else { None };
            drop(ends);
            async move {
                let mut received = 0u32;
                if let Some((tx, mut rx)) = pinger {
                    for n in 0..PINGS {
                        tx.send(n).await.unwrap();
                        assert_eq!(rx.recv().await, Some(n + 1));
                        received += 1;
                    }
                } else if let Some((mut rx, tx)) = ponger {
                    while let Some(n) = rx.recv().await {
                        tx.send(n + 1).await.unwrap();
                        received += 1;
                    }
                }
                received
            }
        })
    })
    .unwrap();
    assert_eq!(outputs, [PINGS, PINGS]);
}

#[test]
fn spawn_on_from_a_plain_thread_and_join_blocking() {
    let cores = Builder::new().cores(2).start(|core| async move { core.shutdown_requested().await });
    let handle = cores.handle();
    let joined = bounded(move || {
        let on_1 = handle.spawn_on(1, || async {
            wakeful::time::sleep(Duration::from_millis(5)).await;
            current_index()
        });
        let on_0 = handle.spawn_on(0, || async { current_index() });
        let joined = (on_0.join().unwrap(), on_1.join().unwrap());
        handle.shutdown();
        joined
    });
    assert_eq!(joined, (Some(0), Some(1)));
    cores.join().unwrap();
}

#[test]
fn spawn_on_to_a_core_that_ended_is_a_cancelled_join_error_not_a_hang() {
    let (seen_tx, seen_rx) = mpsc::channel();
    let seen_tx = Mutex::new(seen_tx);
    let err = bounded(move || {
        Builder::new().cores(2).run(move |core| {
            let seen = seen_tx.lock().unwrap().clone();
            async move {
                if core.index() == 1 {
                    panic!("core 1 ends early"); // its runtime is dropped at once
                }
                core.shutdown_requested().await; // fired by core 1's panic
                                                 // Until core 1's runtime is gone a spawn may still run there; after, each
                                                 // one resolves to cancelled: never a hang.
                loop {
                    match core.handle().spawn_on(1, || async {}).await {
                        Ok(()) => wakeful::time::sleep(Duration::from_millis(1)).await,
                        Err(err) => return seen.send(err.is_cancelled()).unwrap(),
                    }
                }
            }
        })
    })
    .unwrap_err();
    assert_eq!(err.core(), Some(1));
    assert!(seen_rx.recv().unwrap(), "the spawn to the ended core was cancelled");
}

#[test]
fn a_core_whose_future_returned_serves_spawn_on_until_every_core_ended() {
    let outputs = bounded(|| {
        Builder::new().cores(2).run(|core| async move {
            if core.index() == 1 {
                return None; // returns at once, and still serves
            }
            wakeful::time::sleep(Duration::from_millis(10)).await;
            core.handle().spawn_on(1, || async { current_index() }).await.ok()
        })
    });
    assert_eq!(outputs.unwrap(), [Some(Some(1)), None]);
}

#[test]
fn a_closure_that_panics_on_arrival_is_a_join_error_and_the_core_runs_on() {
    let outputs = bounded(|| {
        Builder::new().cores(2).run(|core| async move {
            if core.index() == 1 {
                return String::new();
            }
            let handle = core.handle();
            // Spawned on this very core: the panic must not reach this future.
            let other = handle.spawn_on(0, || -> std::future::Ready<()> { panic!("refused on arrival") });
            let err = other.await.unwrap_err();
            assert!(err.is_panic());
            // Core 0 still serves.
            assert_eq!(handle.spawn_on(0, || async { 7 }).await.unwrap(), 7);
            err.to_string()
        })
    })
    .unwrap();
    assert_eq!(outputs[0], "task panicked: refused on arrival");
}

#[test]
fn a_future_that_panics_on_a_remote_core_is_a_join_error_with_the_payload() {
    let outputs = bounded(|| {
        Builder::new().cores(2).run(|core| async move {
            let stop = core.shutdown_requested();
            if core.index() == 1 {
                stop.await;
                return None;
            }
            let failed = core.handle().spawn_on(1, || async {
                wakeful::yield_now().await;
                std::panic::panic_any(42u32)
            });
            let payload = failed.await.unwrap_err().into_panic();
            core.handle().shutdown();
            payload.downcast_ref::<u32>().copied()
        })
    });
    assert_eq!(outputs.unwrap(), [Some(42), None]);
}

#[test]
fn a_dropped_remote_handle_detaches_the_task_which_still_runs() {
    let outputs = bounded(|| {
        Builder::new().cores(2).run(|core| async move {
            let stop = core.shutdown_requested();
            if core.index() == 1 {
                stop.await;
                return false;
            }
            let (done_tx, done_rx) = remote::oneshot::channel();
            let detached = core.handle().spawn_on(1, move || async move {
                // Long enough that the handle is surely dropped before it ends.
                wakeful::time::sleep(Duration::from_millis(20)).await;
                done_tx.send("still ran").unwrap();
            });
            drop(detached);
            let ran = done_rx.await == Ok("still ran");
            core.handle().shutdown();
            ran
        })
    });
    assert_eq!(outputs.unwrap(), [true, false]);
}

#[test]
fn an_aborted_remote_task_is_dropped_on_its_core_and_reports_cancelled() {
    let outputs = bounded(|| {
        Builder::new().cores(2).run(|core| async move {
            let stop = core.shutdown_requested();
            if core.index() == 1 {
                stop.await;
                return None;
            }
            let (dropped_tx, dropped_rx) = remote::oneshot::channel::<()>();
            let (started_tx, started_rx) = remote::oneshot::channel::<()>();
            let task = core.handle().spawn_on(1, move || async move {
                let _tell_on_drop = dropped_tx; // dropped with the future
                started_tx.send(()).unwrap();
                std::future::pending::<()>().await
            });
            started_rx.await.unwrap();
            task.abort();
            task.abort(); // twice: no effect
            let cancelled = task.await.unwrap_err().is_cancelled();
            // The future was dropped on core 1: the sender it held is gone.
            let dropped = dropped_rx.await.is_err();
            core.handle().shutdown();
            Some((cancelled, dropped))
        })
    });
    assert_eq!(outputs.unwrap(), [Some((true, true)), None]);
}

#[test]
fn abort_after_the_task_finished_keeps_its_output() {
    let outputs = bounded(|| {
        Builder::new().cores(1).run(|core| async move {
            let task = core.handle().spawn_on(0, || async { 3 });
            // Let it finish first.
            for _ in 0..10 {
                wakeful::yield_now().await;
            }
            task.abort();
            task.await.ok()
        })
    });
    assert_eq!(outputs.unwrap(), [Some(3)]);
}

#[test]
fn remote_tasks_still_running_when_their_core_ends_report_cancelled() {
    let (tx, rx) = mpsc::channel();
    let outputs = bounded(move || {
        Builder::new().cores(2).run(move |core| {
            let tx = tx.clone();
            async move {
                if core.index() == 0 {
                    let never = core.handle().spawn_on(1, std::future::pending::<()>);
                    tx.send(never).unwrap();
                    core.handle().shutdown();
                }
                core.shutdown_requested().await;
            }
        })
    });
    outputs.unwrap();
    let never = rx.recv().unwrap();
    assert!(bounded(move || never.join()).unwrap_err().is_cancelled());
}

#[test]
#[should_panic(expected = "no core 2 (there are 2)")]
fn spawn_on_a_core_that_does_not_exist_panics_with_a_clear_message() {
    let cores = Builder::new().cores(2).start(|_core| async {});
    let handle = cores.handle();
    drop(cores);
    drop(handle.spawn_on(2, || async {}));
}

#[test]
fn stats_come_from_every_core_and_sum() {
    let outputs = bounded(|| {
        Builder::new().cores(2).run(|core| async move {
            let stop = core.shutdown_requested();
            if core.index() == 1 {
                stop.await;
                return None;
            }
            for _ in 0..3 {
                core.handle().spawn_on(1, || async {}).await.unwrap();
            }
            let per_core = core.handle().stats().await;
            let total = core.handle().total_stats().await;
            core.handle().shutdown();
            Some((per_core, total))
        })
    })
    .unwrap();
    let (per_core, total) = outputs.into_iter().next().flatten().unwrap();
    assert_eq!(per_core.len(), 2);
    assert!(per_core[1].tasks_spawned >= 4, "the mailbox and three spawns on core 1: {:?}", per_core[1]);
    assert!(per_core[1].wakes_remote >= 1, "{:?}", per_core[1]);
    assert!(total.polls >= per_core[0].polls + per_core[1].polls);
    assert!(total.tasks_spawned >= per_core[0].tasks_spawned + per_core[1].tasks_spawned);
}

#[test]
fn remote_handles_and_the_cores_handle_are_send_and_sync_where_promised() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<wakeful::cores::Handle>();
    send_sync::<wakeful::cores::Core>();
    send_sync::<wakeful::cores::ShutdownRequested>();
    send_sync::<wakeful::cores::CoresError>();
    send::<wakeful::cores::RemoteJoinHandle<Arc<u8>>>();
}

#[test]
fn join_on_the_tasks_own_core_panics_instead_of_waiting_forever() {
    let err = bounded(|| {
        Builder::new().cores(1).run(|core| async move {
            core.handle().spawn_on(0, || async {}).join().unwrap();
        })
    })
    .unwrap_err();
    assert!(err.panic_message().is_some_and(|m| m.contains("would wait forever")), "{err}");
}
