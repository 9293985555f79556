//! Task records: `Runtime::tasks()` / `task::tasks()`, names, spawn locations, states,
//! and per-task counters of polls, wakes by kind and (when measured) time.

mod util;

use std::sync::mpsc;
use std::task::Waker;
use std::thread;
use std::time::{Duration, Instant};

use wakeful::task::{self, JoinSet, TaskInfo, TaskState, WakeKind};

fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn record(id: task::Id) -> TaskInfo {
    task::tasks().into_iter().find(|info| info.id == id).expect("the task is listed")
}

fn measured(on: bool) -> wakeful::Runtime {
    wakeful::Runtime::builder().measure_polls(on).build().unwrap()
}

#[test]
fn names_and_spawn_locations_appear_in_records() {
    let rt = wakeful::Runtime::new().unwrap();
    let on_rt = (rt.spawn(std::future::pending::<()>()), line!());
    let built =
        (task::Builder::new().name("setup").spawn_on(std::future::pending::<()>(), &rt).unwrap(), line!());
    let lines = rt.block_on(async {
        let plain = (wakeful::spawn(std::future::pending::<()>()), line!());
        let named =
            (task::Builder::new().name("conn 12").spawn(std::future::pending::<()>()).unwrap(), line!());
        let mut set = JoinSet::new();
        let in_set = (set.spawn(std::future::pending::<()>()), line!());
        let ids = [plain.0.id(), named.0.id(), in_set.0.id(), on_rt.0.id(), built.0.id()];
        let lines = [plain.1, named.1, in_set.1, on_rt.1, built.1];
        let names = [None, Some("conn 12"), None, None, Some("setup")];
        for ((id, line), name) in ids.into_iter().zip(lines).zip(names) {
            let info = record(id);
            assert_eq!(info.location.file(), file!(), "{info:?}");
            assert_eq!(info.location.line(), line, "{info:?}");
            assert_eq!(info.name.as_deref(), name);
            assert!(info.future_type.contains("Pending"), "{}", info.future_type);
        }
        set.detach_all();
        lines
    });
    assert_eq!(rt.tasks().len(), 5, "all five still live: {lines:?}");
}

#[test]
fn a_task_listing_itself_sees_running_and_the_others_scheduled_or_idle() {
    util::run(async {
        let idle = wakeful::spawn(std::future::pending::<()>());
        task::yield_now().await; // `idle` runs once and waits
        let queued = wakeful::spawn(async {});
        let me = wakeful::spawn(async {
            let all = task::tasks();
            let state = |id| all.iter().find(|info| info.id == id).map(|info| info.state);
            (state(task::id()), all.len())
        });
        let (idle_id, queued_id) = (idle.id(), queued.id());
        assert_eq!(record(idle_id).state, TaskState::Idle);
        assert_eq!(record(queued_id).state, TaskState::Scheduled);
        // `queued` ran (and left) before `me`: FIFO. Listed: `idle` and `me`.
        assert_eq!(me.await.unwrap(), (Some(TaskState::Running), 2));
        assert!(task::tasks().iter().all(|info| info.id != queued_id), "complete tasks leave the records");
        idle.abort();
        assert_eq!(record(idle_id).state, TaskState::Scheduled, "aborted: queued to be dropped");
    });
}

#[test]
fn wakes_are_counted_by_kind_itself_local_and_remote() {
    util::run(async {
        // Itself: two yields.
        let yielder = wakeful::spawn(async {
            task::yield_now().await;
            task::yield_now().await;
            std::future::pending::<()>().await
        });
        // Local: woken by the block_on future, through a channel.
        let (tx, mut rx) = wakeful::sync::mpsc::channel::<()>(1);
        let receiver = wakeful::spawn(async move { while rx.recv().await.is_some() {} });
        // Remote: another thread wakes a waker it was sent.
        let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
        let remote = wakeful::spawn(async move {
            let mut sent = false;
            std::future::poll_fn(move |cx| {
                if sent {
                    return std::task::Poll::Ready(());
                }
                sent = true;
                waker_tx.send(cx.waker().clone()).unwrap();
                std::task::Poll::Pending
            })
            .await;
            std::future::pending::<()>().await
        });
        for _ in 0..4 {
            task::yield_now().await;
        }
        tx.send(()).await.unwrap();
        task::yield_now().await;
        let waker = waker_rx.recv_timeout(util::PATIENCE).expect("the task sent its waker");
        thread::spawn(move || waker.wake()).join().unwrap();
        let deadline = Instant::now() + util::PATIENCE;
        while record(remote.id()).polls < 2 {
            assert!(Instant::now() < deadline, "the remote wake never ran the task");
            task::yield_now().await;
        }
        let wakes = record(yielder.id()).wakes;
        assert_eq!((wakes[WakeKind::Itself], wakes[WakeKind::Local], wakes[WakeKind::Remote]), (2, 0, 0));
        let wakes = record(receiver.id()).wakes;
        assert_eq!((wakes[WakeKind::Itself], wakes[WakeKind::Local], wakes[WakeKind::Remote]), (0, 1, 0));
        let wakes = record(remote.id()).wakes;
        assert_eq!((wakes[WakeKind::Itself], wakes[WakeKind::Local], wakes[WakeKind::Remote]), (0, 0, 1));
        assert_eq!(wakes.total(), 1);
        assert_eq!(record(yielder.id()).polls, 3);
        drop(tx);
        receiver.await.unwrap();
    });
}

#[test]
fn measured_polls_record_busy_time_longest_poll_and_idle_time() {
    let rt = measured(true);
    rt.block_on(async {
        let spinner = wakeful::spawn(async {
            spin(Duration::from_millis(3));
            task::yield_now().await;
            spin(Duration::from_millis(1));
            std::future::pending::<()>().await
        });
        task::yield_now().await;
        task::yield_now().await;
        let info = record(spinner.id());
        assert_eq!(info.polls, 2);
        assert!(info.busy >= Duration::from_millis(4), "{info:?}");
        assert!(info.longest_poll >= Duration::from_millis(3) && info.longest_poll <= info.busy, "{info:?}");
        let idle = info.idle_for.expect("measured, polled, not running");
        spin(Duration::from_millis(2));
        assert!(record(spinner.id()).idle_for.unwrap() >= idle + Duration::from_millis(2));
        let me = wakeful::spawn(async { record(task::id()).idle_for }).await.unwrap();
        assert_eq!(me, None, "a running task is not idle");
        let fresh = wakeful::spawn(async {});
        assert_eq!(record(fresh.id()).idle_for, None, "never polled");
    });
}

#[test]
fn unmeasured_polls_read_no_clock_and_record_no_time() {
    let rt = measured(false);
    rt.block_on(async {
        let spinner = wakeful::spawn(async {
            spin(Duration::from_millis(3));
            std::future::pending::<()>().await
        });
        task::yield_now().await;
        let info = record(spinner.id());
        assert_eq!(info.polls, 1);
        assert_eq!((info.busy, info.longest_poll, info.idle_for), (Duration::ZERO, Duration::ZERO, None));
    });
}

#[test]
fn builder_spawn_outside_a_runtime_is_an_error_not_a_panic() {
    let err = task::Builder::new().name("x").spawn(async {}).unwrap_err();
    assert!(err.to_string().contains("outside a runtime"), "{err}");
    assert!(task::tasks().is_empty(), "no runtime, no records");
}

#[test]
fn huge_and_empty_names_are_kept_whole() {
    util::run(async {
        let huge = "n".repeat(1 << 20);
        let a = task::Builder::new().name(huge.clone()).spawn(std::future::pending::<()>()).unwrap();
        let b = task::Builder::new().name("").spawn(std::future::pending::<()>()).unwrap();
        assert_eq!(record(a.id()).name.as_deref(), Some(huge.as_str()));
        assert_eq!(record(b.id()).name.as_deref(), Some(""));
        assert!(format!("{:?}", record(b.id())).contains("TaskInfo"));
    });
}

#[test]
fn records_of_a_runtime_are_its_own() {
    let one = wakeful::Runtime::new().unwrap();
    let two = wakeful::Runtime::new().unwrap();
    let a = one.spawn(async {});
    assert_eq!(one.tasks().len(), 1);
    assert!(two.tasks().is_empty());
    assert!(two.block_on(async { task::tasks() }).is_empty(), "inside two, one's tasks are not listed");
    one.block_on(a).unwrap();
    assert!(one.tasks().is_empty(), "joined and gone");
}

#[test]
fn records_and_ids_in_a_drop_at_shutdown_do_not_panic() {
    struct Probe(std::rc::Rc<std::cell::Cell<Option<(usize, bool)>>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            self.0.set(Some((task::tasks().len(), task::try_id().is_some())));
        }
    }
    let seen = std::rc::Rc::new(std::cell::Cell::new(None));
    let rt = wakeful::Runtime::new().unwrap();
    let probe = Probe(seen.clone());
    rt.spawn(async move {
        let _probe = probe;
        std::future::pending::<()>().await
    });
    rt.block_on(task::yield_now());
    drop(rt);
    // The list is emptied before the futures are dropped; the id is still known.
    assert_eq!(seen.get(), Some((0, true)));
}

#[test]
fn a_task_waking_itself_from_its_own_drop_counts_no_poll_and_leaves_the_records() {
    struct WakeOnDrop(Option<Waker>);
    impl Drop for WakeOnDrop {
        fn drop(&mut self) {
            if let Some(waker) = self.0.take() {
                waker.wake();
            }
        }
    }
    util::run(async {
        let handle = wakeful::spawn(async {
            let mut guard = WakeOnDrop(None);
            std::future::poll_fn(|cx| {
                guard.0 = Some(cx.waker().clone());
                std::task::Poll::<()>::Pending
            })
            .await;
        });
        task::yield_now().await;
        let id = handle.id();
        assert_eq!((record(id).polls, record(id).wakes.total()), (1, 0));
        handle.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert!(task::tasks().iter().all(|info| info.id != id), "gone after the abort");
        task::yield_now().await; // the stale queue entry from the wake in Drop is skipped
    });
}

#[test]
fn a_task_spawned_on_another_core_records_the_caller_of_spawn_on() {
    let outputs = wakeful::cores::Builder::new()
        .cores(2)
        .run(|core| async move {
            if core.index() == 1 {
                return None;
            }
            #[rustfmt::skip] // `line!()` on the line of the call
            let (line, handle) = (line!(), core.handle().spawn_on(1, || async {
                let me = task::id();
                task::tasks().into_iter().find(|info| info.id == me).map(|info| info.location)
            }));
            Some((handle.await.unwrap(), line))
        })
        .unwrap();
    let (location, line) = outputs[0].unwrap();
    let location = location.expect("the task lists itself");
    assert_eq!(
        (location.file(), location.line()),
        (file!(), line),
        "recorded inside wakeful, not at the caller"
    );
}
