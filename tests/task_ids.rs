//! Task ids: `task::id()`, `JoinHandle::id`, `AbortHandle::id`, `JoinError::id` and
//! `JoinSet::join_next_with_id`, with tokio's names and semantics.

mod util;

use std::cell::Cell;
use std::collections::HashSet;
use std::panic;
use std::rc::Rc;
use std::thread;

use wakeful::task::{self, Id, JoinSet};

#[test]
fn ids_are_unique_across_runtimes_and_threads() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(|| {
                let mut ids = Vec::new();
                for _ in 0..3 {
                    let rt = wakeful::Runtime::new().unwrap();
                    ids.extend(rt.block_on(async {
                        let handles: Vec<_> = (0..50).map(|_| wakeful::spawn(async { task::id() })).collect();
                        let mut ids = Vec::new();
                        for handle in handles {
                            let id = handle.id();
                            assert_eq!(handle.await.unwrap(), id, "task::id() inside is the handle's id");
                            ids.push(id);
                        }
                        ids
                    }));
                }
                ids
            })
        })
        .collect();
    let ids: Vec<Id> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let unique: HashSet<Id> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no id handed out twice");
    assert!(ids.iter().all(|id| id.as_u64() != 0));
}

#[test]
fn id_outside_a_task_panics_with_a_clear_message_and_try_id_is_none() {
    assert_eq!(task::try_id(), None);
    let err = panic::catch_unwind(task::id).unwrap_err();
    let message = err.downcast_ref::<&str>().copied().or(err.downcast_ref::<String>().map(String::as_str));
    assert!(message.is_some_and(|m| m.contains("outside a task") && m.contains("try_id")), "{message:?}");
    // The `block_on` future is not a task either, and the runtime survives asking.
    util::run(async {
        assert_eq!(task::try_id(), None);
        assert!(panic::catch_unwind(task::id).is_err());
        let inside = wakeful::spawn(async { task::try_id() });
        let id = inside.id();
        assert_eq!(inside.await.unwrap(), Some(id));
        assert_eq!(task::try_id(), None, "reset after the task's poll");
    });
}

#[test]
fn id_inside_another_runtime_on_another_thread_is_that_task_id() {
    util::run(async {
        let outer = wakeful::spawn(async {
            let me = task::id();
            // A second runtime on another thread, driven from inside this task.
            let (inner_seen, inner_handle_id) = thread::spawn(|| {
                wakeful::block_on(async {
                    let handle = wakeful::spawn(async { task::id() });
                    let id = handle.id();
                    (handle.await.unwrap(), id)
                })
            })
            .join()
            .unwrap();
            assert_eq!(inner_seen, inner_handle_id);
            assert_ne!(inner_seen, me);
            assert_eq!(task::id(), me, "this thread's answer is unchanged");
            me
        });
        let id = outer.id();
        assert_eq!(outer.await.unwrap(), id);
    });
}

#[test]
fn join_set_ids_match_the_handles_and_the_errors() {
    util::run(async {
        let mut set = JoinSet::new();
        let ok = set.spawn(async { task::id() }).id();
        let panicked = set.spawn(async { panic!("boom") }).id();
        let aborted = set.spawn(std::future::pending::<Id>());
        aborted.abort();
        let mut seen = Vec::new();
        while let Some(result) = set.join_next_with_id().await {
            match result {
                Ok((id, inner)) => {
                    assert_eq!(id, inner, "the id beside the output is the task's own");
                    seen.push(("ok", id));
                }
                Err(err) if err.is_panic() => seen.push(("panic", err.id())),
                Err(err) => seen.push(("cancelled", err.id())),
            }
        }
        seen.sort();
        let mut want = vec![("cancelled", aborted.id()), ("ok", ok), ("panic", panicked)];
        want.sort();
        assert_eq!(seen, want);
        assert!(set.try_join_next_with_id().is_none());
    });
}

#[test]
fn try_join_next_with_id_returns_finished_tasks_without_waiting() {
    util::run(async {
        let mut set = JoinSet::new();
        assert!(set.try_join_next_with_id().is_none(), "empty set");
        let id = set.spawn(async { 5 }).id();
        assert!(set.try_join_next_with_id().is_none(), "not run yet");
        task::yield_now().await;
        let (got, five) = set.try_join_next_with_id().expect("finished").unwrap();
        assert_eq!((got, five), (id, 5));
    });
}

#[test]
fn id_is_readable_in_the_drop_of_an_aborted_or_shut_down_task() {
    struct RecordOnDrop(Rc<Cell<Option<Id>>>);
    impl Drop for RecordOnDrop {
        fn drop(&mut self) {
            self.0.set(task::try_id());
        }
    }
    let aborted_seen = Rc::new(Cell::new(None));
    let shutdown_seen = Rc::new(Cell::new(None));
    let rt = wakeful::Runtime::new().unwrap();
    let (aborted_id, shutdown_id) = rt.block_on(async {
        let guard = RecordOnDrop(aborted_seen.clone());
        let aborted = wakeful::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        let guard = RecordOnDrop(shutdown_seen.clone());
        let kept = wakeful::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        task::yield_now().await;
        aborted.abort();
        let id = aborted.id();
        assert_eq!(aborted.await.unwrap_err().id(), id);
        (id, kept.id())
    });
    assert_eq!(aborted_seen.get(), Some(aborted_id));
    drop(rt);
    assert_eq!(shutdown_seen.get(), Some(shutdown_id));
}

#[test]
fn ids_display_as_task_n_and_handles_show_them() {
    util::run(async {
        let handle = wakeful::spawn(async {});
        let id = handle.id();
        assert_eq!(id.to_string(), format!("task {}", id.as_u64()));
        assert_eq!(format!("{id:?}"), format!("Id({})", id.as_u64()));
        assert!(format!("{handle:?}").contains(&format!("{id:?}")));
        assert_eq!(handle.abort_handle().id(), id);
        let later = wakeful::spawn(async {}).id();
        assert!(later > id, "ids grow");
    });
}

#[test]
fn id_in_the_drop_of_a_task_spawned_during_shutdown_is_that_task_id() {
    struct Probe(Rc<Cell<Option<task::Id>>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            self.0.set(task::try_id());
        }
    }
    struct OnDrop(Option<Box<dyn FnOnce()>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    let (seen, spawned) = (Rc::new(Cell::new(None)), Rc::new(Cell::new(None)));
    let (probe, id_of_spawned) = (Probe(seen.clone()), spawned.clone());
    let rt = wakeful::Runtime::new().unwrap();
    rt.spawn(async move {
        // Dropped at shutdown, where the spawn is cancelled at once: its future is
        // dropped there, and `task::id()` in that drop must name it, not this task.
        let _spawn_on_drop = OnDrop(Some(Box::new(move || {
            let handle = wakeful::spawn(async move { drop(probe) });
            id_of_spawned.set(Some(handle.id()));
        })));
        std::future::pending::<()>().await
    });
    rt.block_on(task::yield_now());
    drop(rt);
    assert!(spawned.get().is_some());
    assert_eq!(seen.get(), spawned.get(), "the id of the task dropping the probe's future");
}
