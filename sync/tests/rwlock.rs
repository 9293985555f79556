//! RwLock: a waiting writer holds back later readers (as tokio's), a cancelled writer
//! lets them in, downgrade, max readers, owned guards.

mod common;

use common::Task;
use std::rc::Rc;
use wakeful::sync::RwLock;

/// Reader holds; a writer waits; a later reader must wait behind it. Returns what the
/// late reader's try and poll saw, and who got in after the first reader left.
macro_rules! writer_blocks_later_readers {
    ($lock:expr) => {{
        let l = $lock;
        let r1 = l.try_read().unwrap();
        let mut w = Task::new(l.write());
        w.pending("writer behind a reader");
        let late_try = l.try_read().is_ok();
        let mut r2 = Task::new(l.read());
        let late_pending = r2.poll().is_pending();
        drop(r1);
        let writer_woken = w.waker.wakes() == 1;
        let guard = w.ready("writer");
        let reader_still_waits = r2.poll().is_pending();
        drop(guard);
        let reader_in = r2.poll().is_ready();
        (late_try, late_pending, writer_woken, reader_still_waits, reader_in)
    }};
}

#[test]
fn a_waiting_writer_holds_back_later_readers_as_on_tokio() {
    let ours = writer_blocks_later_readers!(RwLock::new(0));
    let theirs = writer_blocks_later_readers!(tokio::sync::RwLock::new(0));
    assert_eq!(ours, (false, true, true, true, true));
    assert_eq!(ours, theirs);
}

#[test]
fn a_cancelled_writer_lets_the_readers_behind_it_in() {
    let l = RwLock::new(0);
    let r1 = l.try_read().unwrap();
    let mut w = Task::new(l.write());
    w.pending("writer");
    let mut readers: Vec<_> = (0..3).map(|_| Task::new(l.read())).collect();
    readers.iter_mut().for_each(|r| r.pending("reader behind writer"));
    drop(w.fut);
    assert_eq!(w.waker.held_elsewhere(), 0, "the writer's waker left with it");
    for r in &mut readers {
        assert_eq!(r.waker.wakes(), 1);
        let _guard = r.ready("reader let in");
    }
    drop(r1);
}

#[test]
fn a_granted_writer_dropped_unpolled_passes_the_lock_on() {
    let l = RwLock::new(0);
    let r1 = l.try_read().unwrap();
    let mut w = Task::new(l.write());
    let mut r2 = Task::new(l.read());
    w.pending("writer");
    r2.pending("reader");
    drop(r1); // grants the writer
    drop(w.fut); // which never sees it
    assert_eq!(r2.waker.wakes(), 1);
    drop(r2.ready("reader after the cancelled grant"));
    assert!(l.try_write().is_ok(), "nothing left held");
}

#[test]
fn downgrade_keeps_writers_out_and_lets_queued_readers_in() {
    let l = RwLock::new(1);
    let mut g = l.try_write().unwrap();
    *g = 2;
    let mut r = Task::new(l.read());
    let mut w = Task::new(l.write());
    r.pending("reader");
    w.pending("writer");
    let g = g.downgrade();
    assert_eq!(*g, 2);
    let r = r.ready("reader after downgrade");
    assert_eq!(*r, 2);
    assert!(w.poll().is_pending(), "the writer still waits");
    drop(g);
    assert!(w.poll().is_pending(), "the queued reader still holds");
    drop(r);
    assert_eq!(*w.ready("writer after both readers"), 2);
}

#[test]
fn readers_beyond_the_maximum_wait() {
    let l = RwLock::with_max_readers((), 2);
    let (a, b) = (l.try_read().unwrap(), l.try_read().unwrap());
    assert!(l.try_read().is_err());
    let mut c = Task::new(l.read());
    c.pending("third reader");
    drop(a);
    let _guard = c.ready("third reader after one left");
    drop(b);
}

#[test]
fn owned_guards_and_panics_leave_the_lock_usable() {
    wakeful::block_on(async {
        let l = Rc::new(RwLock::new(String::from("a")));
        let l2 = l.clone();
        let task = wakeful::spawn(async move {
            let mut g = l2.write_owned().await;
            g.push('b');
            panic!("while writing");
        });
        assert!(task.await.is_err());
        let r = l.clone().read_owned().await;
        assert_eq!(&*r, "ab");
        assert!(l.clone().try_write_owned().is_err());
        drop(r);
        let w = l.clone().try_write_owned().unwrap().downgrade();
        assert!(l.clone().try_read_owned().is_ok() && l.try_write().is_err());
        drop(w);
        assert_eq!(Rc::try_unwrap(l).unwrap().into_inner(), "ab");
    });
}
