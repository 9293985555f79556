//! watch: the version rules side by side with tokio, cancellation of `changed()` and
//! `closed()`, panics in `send_modify`, many watchers.

mod common;

use common::Task;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wakeful::sync::watch;

/// One script of sends, marks and closes, run on either implementation; returns what
/// the receiver observed at each step.
macro_rules! version_script {
    ($watch:path) => {{
        use $watch as w;
        let mut log: Vec<String> = Vec::new();
        let (tx, mut rx) = w::channel(0);
        log.push(format!("fresh has_changed={:?}", rx.has_changed()));
        {
            let mut changed = Task::new(rx.changed());
            log.push(format!("changed pending={}", changed.poll().is_pending()));
            tx.send(1).unwrap();
            log.push(format!("woken={}", changed.waker.wakes()));
            log.push(format!("changed={:?}", changed.ready("after send")));
        }
        log.push(format!("after changed has_changed={:?}", rx.has_changed()));
        tx.send_replace(2);
        tx.send_replace(3);
        let r = rx.borrow_and_update();
        log.push(format!("coalesced {} {}", *r, r.has_changed()));
        drop(r);
        rx.mark_changed();
        log.push(format!("mark_changed {:?}", rx.has_changed()));
        rx.mark_unchanged();
        log.push(format!("mark_unchanged {:?}", rx.has_changed()));
        log.push(format!(
            "modified={}",
            tx.send_if_modified(|v| {
                *v += 0;
                false
            })
        ));
        log.push(format!("unmodified {:?}", rx.has_changed()));
        tx.send_modify(|v| *v = 4);
        let rx2 = tx.subscribe();
        log.push(format!("subscriber {:?} count={}", rx2.has_changed(), tx.receiver_count()));
        drop(tx);
        log.push(format!("closed has_changed={:?}", rx.has_changed().is_err()));
        let mut pending = Task::new(async { rx.changed().await.is_ok() });
        log.push(format!("unseen after close ok={}", pending.ready("unseen")));
        drop(pending);
        let mut again = Task::new(rx.changed());
        log.push(format!("then err={}", again.ready("closed").is_err()));
        drop(again);
        log.push(format!("value {}", *rx.borrow()));
        drop(rx2);
        log
    }};
}

#[test]
fn versions_marks_and_closing_match_tokio() {
    let ours = version_script!(wakeful::sync::watch);
    let theirs = version_script!(tokio::sync::watch);
    assert_eq!(ours, theirs);
    assert!(ours.contains(&"coalesced 3 true".to_string()), "{ours:?}");
}

#[test]
fn send_without_receivers_fails_and_stores_nothing_as_tokio() {
    let (tx, rx) = watch::channel(1);
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(*tx.borrow(), 1);
    assert_eq!(tx.send_replace(3), 1, "send_replace stores anyway");

    let (ttx, trx) = tokio::sync::watch::channel(1);
    drop(trx);
    assert_eq!(ttx.send(2).unwrap_err().0, 2);
    assert_eq!(*ttx.borrow(), 1);
    assert_eq!(ttx.send_replace(3), 1);
}

#[test]
fn a_dropped_changed_leaves_no_waker_and_marks_nothing_seen() {
    let (tx, mut rx) = watch::channel(0);
    let mut other = rx.clone();
    let mut b = Task::new(other.changed());
    b.pending("b");
    let a_waker = {
        let mut a = Task::new(rx.changed());
        a.pending("a");
        a.waker
    };
    assert_eq!(a_waker.held_elsewhere(), 0);
    tx.send(1).unwrap();
    assert_eq!((a_waker.wakes(), b.waker.wakes()), (0, 1));
    assert!(b.ready("b").is_ok());
    assert_eq!(rx.has_changed(), Ok(true), "the dropped wait marked nothing seen");
}

#[test]
fn closed_waits_for_the_last_receiver_and_gives_its_place_up() {
    let (tx, rx) = watch::channel(());
    let rx2 = rx.clone();
    let mut dropped = Task::new(tx.closed());
    dropped.pending("first closed()");
    drop(dropped.fut);
    assert_eq!(dropped.waker.held_elsewhere(), 0);
    let mut closed = Task::new(tx.closed());
    closed.pending("closed()");
    drop(rx);
    closed.pending("one receiver left");
    drop(rx2);
    assert_eq!(closed.waker.wakes(), 1);
    closed.ready("no receivers");
}

#[test]
fn a_panic_in_send_modify_keeps_the_change_and_tells_nobody_as_tokio() {
    let (tx, mut rx) = watch::channel(vec![1]);
    let r = catch_unwind(AssertUnwindSafe(|| {
        tx.send_modify(|v| {
            v.push(2);
            panic!("in closure")
        })
    }));
    assert!(r.is_err());
    assert_eq!(rx.has_changed(), Ok(false));
    assert_eq!(*rx.borrow_and_update(), [1, 2]);
    tx.send(vec![3]).expect("usable after the panic");
    assert_eq!(rx.has_changed(), Ok(true));

    let (ttx, trx) = tokio::sync::watch::channel(vec![1]);
    let r = catch_unwind(AssertUnwindSafe(|| {
        ttx.send_modify(|v| {
            v.push(2);
            panic!("in closure")
        })
    }));
    assert!(r.is_err());
    assert!(!trx.has_changed().unwrap());
    assert_eq!(*trx.borrow(), [1, 2]);
}

#[test]
#[should_panic(expected = "drop the `Ref` first")]
fn sending_while_borrowed_panics_clearly_instead_of_deadlocking() {
    let (tx, rx) = watch::channel(0);
    let _r = rx.borrow();
    tx.send_replace(1);
}

#[test]
fn wait_for_checks_the_current_value_then_each_change() {
    let (tx, mut rx) = watch::channel(1);
    let mut w = Task::new(async { *rx.wait_for(|v| *v % 2 == 0).await.unwrap() });
    w.pending("odd value");
    tx.send(3).unwrap();
    w.pending("still odd");
    tx.send(4).unwrap();
    assert_eq!(w.ready("even"), 4);
    drop(w);
    assert_eq!(rx.has_changed(), Ok(false), "wait_for marked it seen");
    let mut gone = Task::new(rx.wait_for(|v| *v > 10));
    drop(tx);
    assert!(gone.ready("closed").is_err());
}

#[test]
fn ten_thousand_watchers_half_cancelled_are_each_woken_once() {
    let (tx, rx) = watch::channel(0);
    let mut rxs: Vec<_> = (0..10_000).map(|_| rx.clone()).collect();
    let mut tasks: Vec<_> = rxs.iter_mut().map(|r| Some(Task::new(r.changed()))).collect();
    for t in tasks.iter_mut().flatten() {
        t.pending("watching");
    }
    for t in tasks.iter_mut().step_by(2) {
        *t = None;
    }
    tx.send(1).unwrap();
    for t in tasks.iter_mut().flatten() {
        assert_eq!(t.waker.wakes(), 1);
        assert!(t.ready("woken").is_ok());
    }
}
