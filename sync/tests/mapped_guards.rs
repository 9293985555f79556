//! `map`/`try_map` on Mutex and RwLock guards: the lock stays held by the mapped
//! guard, comes back on `try_map`'s `None`, is released by a panic in the closure, and
//! is handed to the next in line when the mapped guard drops; same scenario on tokio.

mod common;

use common::Task;
use std::panic::{catch_unwind, AssertUnwindSafe};

#[derive(Debug, Default)]
struct Pair {
    left: Vec<u32>,
    right: Option<String>,
}

macro_rules! mapped_scenario {
    ($sync:path) => {{
        use $sync as sync;
        let mut log = Vec::new();
        let mutex = sync::Mutex::new(Pair::default());
        {
            let mut left = sync::MutexGuard::map(mutex.lock().await, |pair| &mut pair.left);
            left.push(1);
            log.push(format!("mapped {:?}, try_lock {}", *left, mutex.try_lock().is_ok()));
            let mut again = sync::MappedMutexGuard::map(left, |left| &mut left[0]);
            *again += 1;
        }
        let back = sync::MutexGuard::try_map(mutex.lock().await, |pair| pair.right.as_mut());
        log.push(format!("try_map none: guard back {:?}", back.as_ref().err().map(|g| g.left.clone())));
        drop(back);
        let rw = sync::RwLock::new(Pair::default());
        {
            let mut right = sync::RwLockWriteGuard::map(rw.write().await, |pair| &mut pair.right);
            *right = Some("r".into());
            log.push(format!("write mapped, try_read {}", rw.try_read().is_ok()));
        }
        let a = sync::RwLockReadGuard::map(rw.read().await, |pair| &pair.right);
        let b = sync::RwLockReadGuard::try_map(rw.read().await, |pair| pair.right.as_deref()).unwrap();
        log.push(format!("read mapped {:?} {:?}, try_write {}", *a, &*b, rw.try_write().is_ok()));
        drop((a, b));
        log.push(format!("after: {:?} {:?}", mutex.lock().await.left, rw.try_write().is_ok()));
        log
    }};
}

#[test]
fn mapped_guards_behave_as_tokio_s() {
    let ours = wakeful::block_on(async { mapped_scenario!(wakeful::sync) });
    let theirs = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async { mapped_scenario!(tokio::sync) });
    assert_eq!(ours, theirs);
    assert_eq!(ours.last().unwrap(), "after: [2] true");
}

#[test]
fn a_panic_in_a_map_closure_releases_the_lock() {
    let mutex = wakeful::sync::Mutex::new(Pair::default());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let guard = mutex.try_lock().unwrap();
        wakeful::sync::MutexGuard::map(guard, |_| -> &mut u32 { panic!("in map") })
    }));
    assert!(result.is_err());
    assert!(mutex.try_lock().is_ok(), "the unwind released the mutex");

    let rw = wakeful::sync::RwLock::new(Pair::default());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let guard = rw.try_write().unwrap();
        wakeful::sync::RwLockWriteGuard::try_map(guard, |_| -> Option<&mut u32> { panic!("in try_map") })
    }));
    assert!(result.is_err());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let guard = rw.try_read().unwrap();
        wakeful::sync::RwLockReadGuard::map(guard, |_| -> &u32 { panic!("in map") })
    }));
    assert!(result.is_err());
    assert!(rw.try_write().is_ok(), "both unwinds released the lock");
}

#[test]
fn dropping_a_mapped_guard_hands_the_lock_to_the_next_in_line() {
    let mutex = wakeful::sync::Mutex::new(Pair::default());
    let mapped = wakeful::sync::MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.left);
    let mut waiting = Task::new(async { mutex.lock().await.left.len() });
    waiting.pending("the mapped guard holds the lock");
    drop(mapped);
    assert_eq!(waiting.waker.wakes(), 1, "the release woke the waiter");
    assert_eq!(waiting.ready("handed the lock"), 0);

    let rw = wakeful::sync::RwLock::new(5u32);
    let reader = wakeful::sync::RwLockReadGuard::map(rw.try_read().unwrap(), |n| n);
    let mut writer = Task::new(async { *rw.write().await += 1 });
    writer.pending("a mapped read guard holds the lock");
    drop(reader);
    writer.ready("handed the write lock");
    assert_eq!(*rw.try_read().unwrap(), 6);
}
