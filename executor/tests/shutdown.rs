//! Dropping the runtime: every task's future is dropped on the runtime's thread, in
//! place (as an abort drops it), and a task spawned during shutdown is cancelled
//! unrun. Runs under Miri, which checks that no future moved after it was pinned.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{pending_with, Counter, OnDrop, Tracked};
use wakeful_executor::{block_on, spawn, yield_now, JoinHandle, Runtime};

#[test]
fn shutdown_drops_every_future_on_its_thread() {
    let drops = Counter::default();
    let rt = Runtime::new();
    let handles: Vec<_> = rt.block_on(async {
        let handles: Vec<_> =
            (0..5).map(|_| spawn(pending_with(Tracked::new(&drops, OnDrop::Count)))).collect();
        yield_now().await;
        handles
    });
    let queued = rt.spawn(pending_with(Tracked::new(&drops, OnDrop::Count))); // never polled
    assert_eq!(rt.stats().tasks_alive, 6);
    assert_eq!(drops.get(), 0);
    drop(rt);
    assert_eq!(drops.get(), 6, "every future dropped with the runtime");
    assert!(handles.iter().chain([&queued]).all(JoinHandle::is_finished));
    let again = Runtime::new();
    for handle in handles {
        assert!(again.block_on(handle).unwrap_err().is_cancelled());
    }
}

#[test]
fn spawn_during_shutdown_is_cancelled() {
    struct SpawnOnDrop(Rc<Cell<Option<JoinHandle<()>>>>, Counter);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let late = Tracked::new(&self.1, OnDrop::Count);
            self.0.set(Some(spawn(async move { drop(late) })));
        }
    }
    let late = Rc::default();
    let drops = Counter::default();
    let rt = Runtime::new();
    let guard = SpawnOnDrop(Rc::clone(&late), drops.clone());
    rt.spawn(async move {
        std::future::pending::<()>().await;
        drop(guard);
    });
    drop(rt);
    let handle = late.take().expect("spawned during shutdown");
    assert_eq!(drops.get(), 1, "the late task's future was dropped unrun");
    assert!(block_on(handle).unwrap_err().is_cancelled());
}

/// Reads a local of its future when dropped: it must still be where the future was
/// pinned.
struct Guard<'a>(&'a [u64; 8], Rc<Cell<u64>>);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.1.set(self.0.iter().sum());
    }
}

#[test]
fn cancelled_futures_are_dropped_in_place() {
    // An async block borrowing its own local across an await: dropping it anywhere but
    // where it was pinned would read freed or overwritten memory (Miri checks this).
    let sum = Rc::new(Cell::new(0));
    let rt = Runtime::new();
    let s = sum.clone();
    let aborted = rt.spawn(async move {
        let data = [1u64; 8];
        let _guard = Guard(&data, s);
        std::future::pending::<()>().await;
    });
    rt.block_on(yield_now());
    aborted.abort();
    rt.block_on(async {
        while !aborted.is_finished() {
            yield_now().await;
        }
    });
    assert_eq!(sum.get(), 8, "abort dropped the future in place");

    sum.set(0);
    let s = sum.clone();
    rt.spawn(async move {
        let data = [1u64; 8];
        let _guard = Guard(&data, s);
        std::future::pending::<()>().await;
    });
    rt.block_on(yield_now());
    drop(rt);
    assert_eq!(sum.get(), 8, "shutdown dropped the future in place");
}
