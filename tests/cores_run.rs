//! wakeful::cores: starting, ending and failing — cores(0), factories that return at
//! once or panic, a panic on one core ending the rest, shutdown, nested runs.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use util::{bounded, PATIENCE};
use wakeful::cores::{Builder, CoresError};

#[test]
fn zero_cores_is_an_invalid_input_error() {
    let err = Builder::new().cores(0).run(|_core| async {}).unwrap_err();
    assert!(err.to_string().contains("cores(0)"), "{err}");
    assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn a_huge_core_count_is_an_invalid_input_error_not_an_allocation_failure() {
    for cores in [wakeful::cores::MAX_CORES + 1, usize::MAX] {
        let err = Builder::new().cores(cores).run(|_core| async {}).unwrap_err();
        assert!(err.to_string().contains(&format!("cores({cores}): at most 65536")), "{err}");
        assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::InvalidInput);
    }
}

#[test]
fn factories_that_return_at_once_give_outputs_in_core_order() {
    let outputs = bounded(|| Builder::new().cores(4).run(|core| async move { (core.index(), core.cores()) }));
    assert_eq!(outputs.unwrap(), [(0, 4), (1, 4), (2, 4), (3, 4)]);
}

#[test]
fn default_builder_runs_one_core_per_available_cpu() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let outputs = bounded(|| Builder::new().run(|core| async move { core.cores() })).unwrap();
    assert_eq!(outputs, vec![cpus; cpus]);
}

#[test]
fn pinned_cores_run_each_on_its_own_thread() {
    let outputs = bounded(|| {
        Builder::new().cores(3).pin(true).run(|core| async move {
            (core.index(), std::thread::current().name().map(String::from), wakeful::cores::current_index())
        })
    })
    .unwrap();
    for (index, name, current) in outputs {
        assert_eq!(name.as_deref(), Some(format!("wakeful-core-{index}").as_str()));
        assert_eq!(current, Some(index));
    }
}

#[test]
fn a_panic_on_core_1_is_reported_with_its_number_and_ends_the_others() {
    let started = Instant::now();
    let err = bounded(|| {
        Builder::new().cores(3).run(|core| async move {
            if core.index() == 1 {
                wakeful::yield_now().await;
                panic!("boom on purpose");
            }
            // The others would wait forever: the panic must end them.
            std::future::pending::<()>().await;
        })
    })
    .unwrap_err();
    assert_eq!(err.core(), Some(1));
    assert!(err.is_panic());
    assert_eq!(err.panic_message(), Some("boom on purpose"));
    assert_eq!(err.to_string(), "core 1 panicked: boom on purpose");
    assert!(started.elapsed() < PATIENCE);
}

#[test]
fn a_panicking_factory_is_reported_and_listening_cores_end_gracefully() {
    let result = bounded(|| {
        Builder::new().cores(2).run(|core| {
            assert!(core.index() != 0, "factory refused core {}", core.index());
            async move {
                core.shutdown_requested().await;
                "ended gracefully"
            }
        })
    });
    let err = result.unwrap_err();
    assert_eq!(err.core(), Some(0));
    assert_eq!(err.panic_message(), Some("factory refused core 0"));
}

#[test]
fn one_shutdown_ends_every_core_listening_or_not() {
    let outcome = bounded(|| {
        Builder::new().cores(3).run(|core| async move {
            match core.index() {
                // Listens, and returns an output.
                0 => {
                    core.shutdown_requested().await;
                    Some("graceful")
                }
                // Shuts down, then waits forever without listening: dropped.
                1 => {
                    core.handle().shutdown();
                    std::future::pending().await
                }
                _ => std::future::pending().await,
            }
        })
    });
    let err = outcome.unwrap_err();
    assert!(err.is_shutdown(), "{err}");
    assert_eq!(err.core(), Some(1));
}

#[test]
fn a_listening_core_that_never_returns_is_dropped_after_the_shutdown_timeout() {
    let started = Instant::now();
    let err = bounded(|| {
        Builder::new().cores(2).shutdown_timeout(Duration::from_millis(50)).run(|core| async move {
            let _ignored = core.shutdown_requested(); // asked, but never awaited
            if core.index() == 0 {
                core.handle().shutdown();
            }
            std::future::pending::<()>().await;
        })
    })
    .unwrap_err();
    assert!(err.is_shutdown() && err.core() == Some(0), "{err}");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(50) && elapsed < PATIENCE, "{elapsed:?}");
}

#[test]
fn shutdown_timeout_max_means_no_limit_and_does_not_overflow() {
    let outputs = bounded(|| {
        Builder::new().cores(2).shutdown_timeout(Duration::MAX).run(|core| async move {
            let stop = core.shutdown_requested();
            if core.index() == 1 {
                core.handle().shutdown();
            }
            stop.await;
            // Still polled well after the signal: no deadline cut it short.
            wakeful::time::sleep(Duration::from_millis(20)).await;
            core.index()
        })
    });
    assert_eq!(outputs.unwrap(), [0, 1]);
}

#[test]
fn shutdown_from_a_plain_thread_ends_started_cores_and_join_returns_outputs() {
    let cores = Builder::new().cores(2).start(|core| async move {
        core.shutdown_requested().await;
        core.index() * 10
    });
    let handle = cores.handle();
    assert!(!handle.is_shutdown());
    handle.shutdown();
    handle.shutdown(); // twice: no effect
    assert_eq!(bounded(move || cores.join()).unwrap(), [0, 10]);
}

#[test]
fn dropping_started_cores_shuts_them_down_and_waits() {
    let ended = Arc::new(AtomicUsize::new(0));
    let counter = ended.clone();
    bounded(move || {
        let cores = Builder::new().cores(2).start(move |_core| {
            let counter = counter.clone();
            async move {
                let _count_on_drop = CountOnDrop(counter);
                std::future::pending::<()>().await;
            }
        });
        drop(cores);
    });
    assert_eq!(ended.load(Ordering::SeqCst), 2, "each core's future dropped before drop returned");
}

struct CountOnDrop(Arc<AtomicUsize>);

impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn run_inside_a_core_is_refused_not_a_deadlock() {
    let outputs = bounded(|| {
        Builder::new().cores(2).run(|_core| async {
            let nested = Builder::new().cores(1).run(|_core| async { 1 });
            nested.map_err(|err| err.to_string())
        })
    });
    for nested in outputs.unwrap() {
        let err = nested.unwrap_err();
        assert!(err.contains("inside a runtime"), "{err}");
    }
}

#[test]
fn start_and_join_inside_a_core_works_for_a_short_lived_set() {
    let outputs = bounded(|| {
        Builder::new().cores(1).run(|_core| async {
            let inner = Builder::new().cores(2).start(|core| async move { core.index() + 100 });
            inner.join().unwrap()
        })
    });
    assert_eq!(outputs.unwrap(), [vec![100, 101]]);
}

#[test]
fn block_on_inside_a_core_panics_as_it_does_in_any_runtime() {
    let err = bounded(|| {
        Builder::new().cores(1).run(|_core| async {
            wakeful::block_on(async {});
        })
    })
    .unwrap_err();
    assert!(err.is_panic() && err.core() == Some(0), "{err}");
}

#[test]
fn a_handle_used_after_run_returned_neither_hangs_nor_panics() {
    let (tx, rx) = mpsc::channel();
    let outputs = bounded(move || {
        Builder::new().cores(2).run(move |core| {
            let tx = tx.clone();
            async move {
                tx.send(core.handle()).unwrap();
                core.index()
            }
        })
    });
    assert_eq!(outputs.unwrap(), [0, 1]);
    let handle = rx.recv().unwrap();
    let late = handle.spawn_on(1, || async { 5 });
    assert!(late.join().unwrap_err().is_cancelled());
    handle.shutdown();
    assert!(handle.is_shutdown());
    let stats = wakeful::block_on(handle.stats());
    assert_eq!(stats.len(), 2);
    assert!(stats.iter().all(|s| s.polls >= 1), "the last counters of each core: {stats:?}");
    // Fired long ago: completes at once.
    let signal = handle.shutdown_signal(0);
    assert!(signal.is_requested());
    wakeful::block_on(signal);
}

#[test]
fn errors_convert_to_io_errors_for_question_mark() {
    fn main_like() -> std::io::Result<Vec<()>> {
        Ok(Builder::new().cores(1).run(|_core| async { panic!("in main") })?)
    }
    let err = bounded(main_like).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Other);
    assert_eq!(err.to_string(), "core 0 panicked: in main");
    let inner = err.into_inner().unwrap().downcast::<CoresError>().unwrap();
    assert_eq!(inner.core(), Some(0));
}

/// A paused clock auto-advances whenever the core is idle: the grace a listening
/// core gets after a shutdown must be real time, as tokio's `shutdown_timeout` is,
/// or a core that drains by waiting on anything but its own timers (a client, another
/// core, a thread) is dropped at its first idle moment.
#[test]
fn with_a_paused_clock_the_shutdown_timeout_is_real_time() {
    let (tx, rx) = wakeful::sync::remote::oneshot::channel::<u32>();
    let rx = std::sync::Mutex::new(Some(rx));
    let cores = Builder::new().cores(1).start_paused(true).shutdown_timeout(PATIENCE).start(move |core| {
        let rx = rx.lock().unwrap().take().unwrap();
        async move {
            core.shutdown_requested().await;
            // Draining: waits for a plain thread's answer, within the grace period.
            rx.await.unwrap()
        }
    });
    cores.handle().shutdown();
    // Real time, and well within the 10 s grace: the answer comes "late", not as
    // synchronisation (without the delay the test passes whatever the clock).
    std::thread::sleep(Duration::from_millis(100));
    let _ = tx.send(7);
    assert_eq!(bounded(move || cores.join()).expect("the core drained within its grace"), [7]);
}
