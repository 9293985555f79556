//! The run loop lends its reference to the task being polled (`PollRef`): wakers
//! cloned, woken and dropped on the runtime's thread during the poll use it instead of
//! counting, and a wake there marks the task queued without an atomic operation. These
//! tests take the lent reference everywhere it can go — to another thread, into a
//! panic, into an abort, past the poll's end — and check that every wake still polls
//! the task and every reference is given back exactly once. Miri runs them: it reports
//! a reference counted too low (use after free) or too high (a leaked task).

mod common;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Poll, Waker};
use std::thread;

use common::{Counter, Watchdog};
use wakeful_executor::{spawn, yield_now, Runtime};

#[test]
fn clones_wakes_and_drops_in_one_poll_keep_the_count() {
    let rt = Runtime::new();
    let polls = Rc::new(Cell::new(0));
    let kept: Rc<Cell<Option<Waker>>> = Rc::default();
    let (p, k) = (polls.clone(), kept.clone());
    rt.block_on(async move {
        spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            // Clone (takes the lent reference), drop (gives it back), clone twice,
            // wake one by value, one by reference, keep the other past the poll.
            drop(cx.waker().clone());
            let a = cx.waker().clone();
            let b = a.clone();
            a.wake();
            b.wake_by_ref();
            cx.waker().wake_by_ref();
            k.set(Some(b));
            if p.get() < 5 {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }))
        .await
        .unwrap();
    });
    assert_eq!(polls.get(), 5, "each poll's wakes coalesce into one more poll");
    let waker = kept.take().expect("the last poll kept a waker");
    waker.wake(); // the task is gone: a stale wake, which gives back its reference
    drop(rt);
}

#[test]
fn a_waker_cloned_in_a_poll_is_woken_and_dropped_on_other_threads() {
    let _watchdog = Watchdog::start("a wake from another thread was lost", Waker::noop().clone());
    let rt = Runtime::new();
    let polls = Counter::default();
    let threads: Rc<Cell<Vec<thread::JoinHandle<()>>>> = Rc::default();
    let (p, t) = (polls.clone(), threads.clone());
    rt.block_on(async move {
        spawn(poll_fn(move |cx| {
            p.add();
            let mut running = t.take();
            match p.get() {
                // The first clone takes the lent reference: wake it from a thread.
                1 => running.push(thread::spawn({
                    let waker = cx.waker().clone();
                    move || waker.wake()
                })),
                // Drop one there, wake a second from there by reference.
                2 => {
                    let (dropped, woken) = (cx.waker().clone(), cx.waker().clone());
                    running.push(thread::spawn(move || {
                        drop(dropped);
                        woken.wake_by_ref();
                    }));
                }
                _ => {
                    t.set(running);
                    return Poll::Ready(());
                }
            }
            t.set(running);
            Poll::Pending
        }))
        .await
        .unwrap();
    });
    threads.take().into_iter().for_each(|thread| thread.join().unwrap());
    assert_eq!(polls.get(), 3, "two remote wakes, two more polls");
    assert_eq!(rt.stats().wakes_remote, 2, "{:?}", rt.stats());
}

#[test]
fn a_local_wake_of_a_task_queued_from_another_thread_adds_no_poll() {
    let _watchdog = Watchdog::start("a wake from another thread was lost", Waker::noop().clone());
    let rt = Runtime::new();
    let polls = Rc::new(Cell::new(0));
    let local: Rc<Cell<Option<Waker>>> = Rc::default();
    let (to_thread, from_task) = mpsc::channel::<Waker>();
    let (p, l) = (polls.clone(), local.clone());
    rt.block_on(async move {
        let task = spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() > 1 {
                return Poll::Ready(());
            }
            l.set(Some(cx.waker().clone()));
            to_thread.send(cx.waker().clone()).unwrap();
            Poll::Pending
        }));
        yield_now().await; // the task runs once, hands out its wakers
        let remote = thread::spawn(move || from_task.recv().unwrap().wake());
        remote.join().unwrap(); // queued remotely: `SCHEDULED` is set
        local.take().unwrap().wake(); // so this wake has nothing to push
        task.await.unwrap();
    });
    assert_eq!(polls.get(), 2, "one remote and one local wake, one poll");
}

#[test]
fn a_poll_that_panics_after_lending_its_reference_gives_it_back() {
    let rt = Runtime::new();
    let kept: Rc<Cell<Option<Waker>>> = Rc::default();
    let k = kept.clone();
    let result = rt.block_on(async move {
        spawn(poll_fn(move |cx| -> Poll<()> {
            k.set(Some(cx.waker().clone()));
            cx.waker().wake_by_ref();
            panic!("after lending the run loop's reference");
        }))
        .await
    });
    assert!(result.unwrap_err().is_panic());
    // The queued entry (a stale one now) and the kept waker each hold a reference.
    rt.block_on(yield_now());
    drop(kept.take());
    drop(rt);
}

#[test]
fn a_task_aborting_itself_in_a_poll_with_clones_out() {
    let rt = Runtime::new();
    let kept: Rc<Cell<Option<Waker>>> = Rc::default();
    let handle_slot: Rc<Cell<Option<wakeful_executor::AbortHandle>>> = Rc::default();
    let (k, h) = (kept.clone(), handle_slot.clone());
    let result = rt.block_on(async move {
        let task = spawn(poll_fn(move |cx| -> Poll<()> {
            k.set(Some(cx.waker().clone()));
            if let Some(handle) = h.take() {
                handle.abort(); // a local wake by reference, during the task's own poll
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }));
        handle_slot.set(Some(task.abort_handle()));
        task.await
    });
    assert!(result.unwrap_err().is_cancelled());
    let waker = kept.take().unwrap();
    waker.wake_by_ref(); // outside the runtime: the atomic path, on a finished task
    drop(waker);
}

#[test]
fn a_waker_kept_across_polls_is_still_counted_when_the_runtime_is_dropped() {
    let rt = Runtime::new();
    let kept: Rc<Cell<Option<Waker>>> = Rc::default();
    let k = kept.clone();
    rt.block_on(async move {
        // Never finishes: the runtime's drop cancels it, with its waker stored here.
        spawn(poll_fn(move |cx| -> Poll<()> {
            k.set(Some(cx.waker().clone()));
            Poll::Pending
        }));
        yield_now().await;
    });
    drop(rt);
    let waker = kept.take().unwrap();
    thread::spawn(move || waker.wake()).join().unwrap(); // the last reference, elsewhere
}
