//! The long-poll detector: reports, the hook, and what turns it off.

mod util;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wakeful::{task, Report};

/// A busy wait: the stall under test, not a synchronization.
fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn collecting(threshold: Option<Duration>, measure: bool) -> (wakeful::Runtime, Arc<Mutex<Vec<Report>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let rt = wakeful::Runtime::builder()
        .measure_polls(measure)
        .long_poll_threshold(threshold)
        // Tasks here wait on `pending()`, which the lost-waker detector (rightly)
        // reports: these tests count long polls only.
        .detect_lost_wakers(false)
        .on_report(move |report| sink.lock().unwrap().push(report.clone()))
        .build()
        .unwrap();
    (rt, seen)
}

async fn blocking_task() {
    spin(Duration::from_millis(30));
    task::yield_now().await; // a second, short poll: not reported
}

#[test]
fn a_long_poll_is_reported_once_with_its_task() {
    let (rt, seen) = collecting(Some(Duration::from_millis(10)), true);
    let (id, line) = rt.block_on(async {
        let (handle, line) = (task::Builder::new().name("stall").spawn(blocking_task()).unwrap(), line!());
        let id = handle.id();
        handle.await.unwrap();
        (id, line)
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let Report::LongPoll(long) = &seen[0] else { panic!("{seen:?}") };
    assert_eq!(long.id, id);
    assert_eq!(long.name.as_deref(), Some("stall"));
    assert_eq!((long.location.file(), long.location.line()), (file!(), line));
    assert!(long.future_type.contains("blocking_task"), "{}", long.future_type);
    assert!(long.duration >= Duration::from_millis(30) && long.threshold == Duration::from_millis(10));
    let line = seen[0].to_string();
    assert!(line.starts_with(&format!("long poll: {id} \"stall\" (spawned at {}:", file!())), "{line}");
}

#[test]
fn a_panicking_hook_is_contained_and_keeps_being_called() {
    let calls = Arc::new(Mutex::new(0));
    let count = calls.clone();
    let rt = wakeful::Runtime::builder()
        .measure_polls(true)
        .long_poll_threshold(Some(Duration::from_millis(5)))
        .on_report(move |_| {
            *count.lock().unwrap() += 1;
            panic!("hook panics");
        })
        .build()
        .unwrap();
    let out = rt.block_on(async {
        let first = wakeful::spawn(async { spin(Duration::from_millis(10)) });
        let second = wakeful::spawn(async {
            spin(Duration::from_millis(10));
            7
        });
        first.await.unwrap();
        second.await.unwrap()
    });
    assert_eq!(out, 7, "the tasks ran on, results intact");
    assert_eq!(*calls.lock().unwrap(), 2, "one report per long poll, despite the panics");
    assert_eq!(rt.block_on(async { 1 }), 1, "the runtime still works");
}

#[test]
fn the_hook_runs_outside_the_poll_and_may_use_the_runtime() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let rt = wakeful::Runtime::builder()
        .measure_polls(true)
        .long_poll_threshold(Some(Duration::from_millis(5)))
        .on_report(move |report| {
            let Report::LongPoll(long) = report else { return };
            let state = task::tasks().into_iter().find(|info| info.id == long.id).map(|info| info.state);
            // Spawning from the hook works; the spawned task is short.
            drop(wakeful::spawn(async {}));
            sink.lock().unwrap().push((task::try_id(), state));
        })
        .build()
        .unwrap();
    rt.block_on(async {
        wakeful::spawn(async {
            spin(Duration::from_millis(10));
            std::future::pending::<()>().await
        });
        task::yield_now().await;
        task::yield_now().await;
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, None, "not inside the task's poll");
    assert_ne!(seen[0].1, Some(task::TaskState::Running));
}

#[test]
fn without_measuring_or_threshold_the_detector_is_silent() {
    for (threshold, measure) in [(Some(Duration::ZERO), false), (None, true), (Some(Duration::MAX), true)] {
        let (rt, seen) = collecting(threshold, measure);
        rt.block_on(async { wakeful::spawn(blocking_task()).await.unwrap() });
        assert!(
            seen.lock().unwrap().is_empty(),
            "threshold {threshold:?}, measuring {measure}: {:?}",
            seen.lock().unwrap()
        );
    }
}

#[test]
fn a_zero_threshold_reports_every_measurable_poll() {
    let (rt, seen) = collecting(Some(Duration::ZERO), true);
    let polls = rt.block_on(async {
        let handle = wakeful::spawn(async {
            for _ in 0..3 {
                spin(Duration::from_micros(50));
                task::yield_now().await;
            }
        });
        let id = handle.id();
        handle.await.unwrap();
        id
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4, "four polls, each longer than zero: {seen:?}");
    assert!(seen.iter().all(|r| matches!(r, Report::LongPoll(long) if long.id == polls)));
}

#[test]
fn the_default_hook_prints_one_line_to_stderr() {
    const NAME: &str = "the_default_hook_prints_one_line_to_stderr";
    if util::is_child(NAME) {
        let rt = wakeful::Runtime::builder().measure_polls(true).build().unwrap();
        rt.block_on(async { wakeful::spawn(async { spin(Duration::from_millis(30)) }).await.unwrap() });
        return;
    }
    let output = util::in_child(NAME);
    util::assert_child_passed(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<_> = stderr.lines().filter(|line| line.starts_with("wakeful: long poll: task ")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(file!()) && lines[0].contains("threshold 10ms"), "{stderr}");
}

#[test]
fn a_long_poll_that_panics_is_still_reported_and_the_panic_reaches_the_handle() {
    let (rt, seen) = collecting(Some(Duration::from_millis(5)), true);
    let err = rt.block_on(async {
        wakeful::spawn(async {
            spin(Duration::from_millis(10));
            panic!("after a stall");
        })
        .await
        .unwrap_err()
    });
    assert!(err.is_panic());
    let seen = seen.lock().unwrap();
    assert!(matches!(&seen[..], [Report::LongPoll(long)] if long.id == err.id()), "{seen:?}");
}

#[test]
fn a_long_drop_of_an_aborted_task_is_reported_too() {
    struct SlowDrop;
    impl Drop for SlowDrop {
        fn drop(&mut self) {
            spin(Duration::from_millis(10));
        }
    }
    let (rt, seen) = collecting(Some(Duration::from_millis(5)), true);
    let id = rt.block_on(async {
        let guard = SlowDrop;
        let handle = wakeful::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        task::yield_now().await;
        handle.abort();
        let id = handle.id();
        assert!(handle.await.unwrap_err().is_cancelled());
        id
    });
    assert!(
        matches!(&seen.lock().unwrap()[..], [Report::LongPoll(long)] if long.id == id),
        "{:?}",
        seen.lock().unwrap()
    );
}

#[test]
fn runtimes_built_from_clones_of_a_builder_share_the_hook() {
    let seen = Arc::new(Mutex::new(0));
    let count = seen.clone();
    let builder = wakeful::Runtime::builder()
        .measure_polls(true)
        .long_poll_threshold(Some(Duration::from_millis(5)))
        .on_report(move |_| *count.lock().unwrap() += 1);
    for rt in [builder.clone().build().unwrap(), builder.build().unwrap()] {
        rt.block_on(async { wakeful::spawn(async { spin(Duration::from_millis(10)) }).await.unwrap() });
    }
    assert_eq!(*seen.lock().unwrap(), 2);
}

#[test]
fn a_task_whose_long_poll_finished_it_is_gone_from_the_records_the_hook_reads() {
    // The docs: "A task that completed is gone from the records at once". The hook
    // of a long final poll must not see the finished task as a live, idle one.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let rt = wakeful::Runtime::builder()
        .measure_polls(true)
        .long_poll_threshold(Some(Duration::from_millis(5)))
        .on_report(move |report| {
            let Report::LongPoll(long) = report else { return };
            let listed = task::tasks().into_iter().find(|info| info.id == long.id).map(|info| info.state);
            sink.lock().unwrap().push(listed);
        })
        .build()
        .unwrap();
    rt.block_on(async {
        wakeful::spawn(async { spin(Duration::from_millis(10)) }).await.unwrap();
    });
    let seen = seen.lock().unwrap();
    assert_eq!(*seen, vec![None], "the finished task was still listed when the hook ran");
}
