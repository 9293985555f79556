//! More places the run loop's lent reference (`PollRef`) can go: another task's poll,
//! a nested runtime's shutdown, a panic payload, the task's own output, the future's
//! `Drop` as it completes, `Runtime::drop`, `step` between `block_on`s, a `JoinSet`.
//! Each test ends with every waker and handle dropped, so Miri reports any reference
//! counted too low (use after free, double free) or too high (a leaked task).

// Cloning a waker only to wake it is the point here: the clone takes the lent reference.
#![allow(clippy::waker_clone_wake)]

mod common;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::panic;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::thread;

use common::Counter;
use wakeful_executor::{spawn, yield_now, JoinSet, PollOutcome, Runtime, Step};

type Slot = Rc<RefCell<Vec<Waker>>>;

#[test]
fn a_waker_cloned_in_another_tasks_poll_is_dropped_in_the_owners_poll() {
    let rt = Runtime::new();
    let slot: Slot = Rc::default();
    let polls = Rc::new(Cell::new(0));
    let (s, p, s2) = (slot.clone(), polls.clone(), slot.clone());
    rt.block_on(async move {
        let a = spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            // Lends the reference, then drops what B cloned (counted) in A's poll.
            let own = cx.waker().clone();
            let others: Vec<Waker> = s.borrow_mut().drain(..).collect();
            drop(others);
            s.borrow_mut().push(own);
            if p.get() < 4 {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }));
        let mut b_polls = 0;
        let b = spawn(poll_fn(move |cx| {
            // Clones A's waker twice in B's poll, wakes one by value, keeps the other.
            b_polls += 1;
            let a_waker = s2.borrow().first().cloned();
            if let Some(waker) = a_waker {
                let again = waker.clone();
                waker.wake();
                s2.borrow_mut().push(again);
            }
            if b_polls > 8 {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }));
        a.await.unwrap();
        drop(b);
    });
    assert_eq!(polls.get(), 4);
    slot.borrow_mut().clear();
    drop(rt);
}

#[test]
fn a_nested_runtime_dropped_in_a_poll_wakes_and_drops_the_outer_tasks_lent_reference() {
    let outer = Runtime::new();
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    outer.block_on(async move {
        spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() > 1 {
                return Poll::Ready(());
            }
            let inner = Runtime::new();
            // The first clone takes the lent reference; the inner tasks own it now.
            let lent = cx.waker().clone();
            let counted = cx.waker().clone();
            let by_val = inner.spawn(async move {
                yield_now().await;
                drop(counted);
            });
            let on_drop = inner.spawn(async move {
                struct WakeOnDrop(Option<Waker>);
                impl Drop for WakeOnDrop {
                    fn drop(&mut self) {
                        self.0.take().unwrap().wake();
                    }
                }
                let _w = WakeOnDrop(Some(lent));
                std::future::pending::<()>().await
            });
            // An inner handle polled here: the outer task's waker is its join waker.
            let mut by_val = std::pin::pin!(by_val);
            assert!(by_val.as_mut().poll(cx).is_pending());
            drop(on_drop);
            drop(inner); // Enter::for_shutdown: the outer task's wakers go the atomic way
            assert!(by_val.as_mut().poll(cx).is_ready());
            Poll::Pending
        }))
        .await
        .unwrap();
    });
    assert_eq!(polls.get(), 2, "the wake from the inner runtime's shutdown polled it again");
}

#[test]
fn a_panic_payload_and_an_output_holding_the_tasks_own_waker() {
    let rt = Runtime::new();
    rt.block_on(async {
        let panicked = spawn(poll_fn(|cx| -> Poll<()> {
            let waker = cx.waker().clone();
            waker.wake_by_ref();
            panic::panic_any(waker)
        }));
        let err = panicked.await.unwrap_err();
        let payload = err.into_panic();
        let waker = payload.downcast::<Waker>().unwrap();
        waker.wake_by_ref();
        drop(waker);
        let output = spawn(poll_fn(|cx| {
            let waker = cx.waker().clone();
            cx.waker().wake_by_ref();
            Poll::Ready(waker)
        }));
        let waker = output.await.unwrap();
        waker.wake();
        // Detached: the runtime drops the output (the waker) at completion.
        let detached = spawn(poll_fn(|cx| Poll::Ready(cx.waker().clone())));
        drop(detached);
        yield_now().await;
    });
    drop(rt);
}

#[test]
fn a_future_waking_and_cloning_itself_from_its_drop_as_it_completes() {
    struct Drops(Option<Waker>, Rc<RefCell<Vec<Waker>>>);
    impl Drop for Drops {
        fn drop(&mut self) {
            // Runs inside the last poll (the future is dropped in place as it completes).
            let waker = self.0.take().unwrap();
            waker.wake_by_ref();
            self.1.borrow_mut().push(waker.clone());
            waker.wake();
        }
    }
    let rt = Runtime::new();
    let kept: Slot = Rc::default();
    let k = kept.clone();
    rt.block_on(async move {
        let mut guard = None;
        spawn(poll_fn(move |cx| {
            if guard.is_none() {
                guard = Some(Drops(Some(cx.waker().clone()), k.clone()));
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(())
        }))
        .await
        .unwrap();
        yield_now().await; // the stale entries run
    });
    kept.borrow_mut().drain(..).for_each(Waker::wake);
    drop(rt);
}

#[test]
fn wakes_during_runtime_drop_reach_live_finished_and_dropped_tasks() {
    struct OnDrop(Slot, Counter);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.1.add();
            // Wake every task (some live, some dropped already) by value and by
            // reference, and clone them, from inside the runtime's shutdown.
            let all: Vec<Waker> = self.0.borrow_mut().drain(..).collect();
            for waker in all {
                waker.wake_by_ref();
                let again = waker.clone();
                waker.wake();
                self.0.borrow_mut().push(again);
            }
        }
    }
    let rt = Runtime::new();
    let wakers: Slot = Rc::default();
    let drops = Counter::default();
    for i in 0..4 {
        let guard = OnDrop(wakers.clone(), drops.clone());
        let w = wakers.clone();
        rt.spawn(poll_fn(move |cx| -> Poll<()> {
            let _keep = &guard;
            w.borrow_mut().push(cx.waker().clone());
            w.borrow_mut().push(cx.waker().clone());
            if i == 3 {
                cx.waker().wake_by_ref(); // one still queued at shutdown
            }
            Poll::Pending
        }));
    }
    rt.block_on(yield_now());
    drop(rt);
    assert_eq!(drops.get(), 4);
    let left: Vec<Waker> = wakers.borrow_mut().drain(..).collect();
    left.into_iter().for_each(|waker| thread::spawn(move || waker.wake()).join().unwrap());
}

#[test]
fn steps_interleaved_with_block_on_and_wakes_between_them() {
    let rt = Runtime::new();
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let task = rt.spawn(poll_fn(move |cx| {
        let n = s.borrow().len();
        s.borrow_mut().push(cx.waker().clone());
        match n {
            0 => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            1..=3 => Poll::Pending,
            _ => Poll::Ready(n),
        }
    }));
    let Step::Polled(first) = rt.step() else { panic!("spawned") };
    assert_eq!((first.outcome, first.woke.len()), (PollOutcome::Pending, 1));
    // Woken between steps (no runtime on the thread: the atomic path) while queued.
    slot.borrow()[0].wake_by_ref();
    let Step::Polled(_) = rt.step() else { panic!("queued locally") };
    // Now queued only through the atomic flag.
    slot.borrow()[1].wake_by_ref();
    assert!(matches!(rt.step(), Step::Woke(_)));
    let Step::Polled(_) = rt.step() else { panic!("woke") };
    rt.block_on(async {
        let w = slot.borrow()[2].clone();
        w.wake();
        yield_now().await;
        slot.borrow()[0].clone().wake();
    });
    assert_eq!(rt.block_on(task).unwrap(), 4);
    assert!(rt.step().is_stalled());
    slot.borrow_mut().clear();
}

#[test]
fn a_join_set_of_tasks_lending_their_wakers_to_each_other() {
    let rt = Runtime::new();
    let slot: Slot = Rc::default();
    let total = rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..6usize {
            let s = slot.clone();
            let mut polls = 0;
            set.spawn(poll_fn(move |cx| {
                polls += 1;
                let theirs: Vec<Waker> = s.borrow_mut().drain(..).collect();
                s.borrow_mut().push(cx.waker().clone());
                for waker in theirs {
                    waker.wake_by_ref();
                    s.borrow_mut().push(waker);
                }
                if polls > i {
                    Poll::Ready(i)
                } else {
                    cx.waker().clone().wake();
                    Poll::Pending
                }
            }));
        }
        let first = set.join_next().await.unwrap().unwrap();
        set.abort_all();
        let mut sum = first;
        while let Some(next) = set.join_next().await {
            if let Ok(i) = next {
                sum += i;
            }
        }
        sum
    });
    assert!(total <= 15);
    slot.borrow_mut().clear();
}

#[test]
fn a_task_woken_on_the_runtimes_thread_is_listed_as_scheduled() {
    use wakeful_executor::task::{self, TaskState};
    let rt = Runtime::new();
    let slot: Slot = Rc::default();
    let (s, woken) = (slot.clone(), slot.clone());
    rt.block_on(async move {
        let waiting = spawn(poll_fn(move |cx| -> Poll<()> {
            s.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        }));
        yield_now().await; // it runs once and waits
        let state = || task::tasks().into_iter().find(|info| info.id == waiting.id()).unwrap().state;
        assert_eq!(state(), TaskState::Idle);
        // Woken here, on the runtime's thread: queued through `queued_local`.
        woken.borrow()[0].wake_by_ref();
        assert_eq!(state(), TaskState::Scheduled, "queued by a local wake");
        yield_now().await; // it runs and waits again
        assert_eq!(state(), TaskState::Idle);
        waiting.abort(); // also a local wake
        assert_eq!(state(), TaskState::Scheduled, "aborted: queued to be dropped");
    });
    slot.borrow_mut().clear();
}

#[test]
fn the_lent_reference_woken_and_dropped_on_a_thread_while_the_poll_still_runs() {
    let rt = Runtime::new();
    let polls = Counter::default();
    let threads: Rc<RefCell<Vec<thread::JoinHandle<()>>>> = Rc::default();
    let late: Rc<RefCell<Option<std::sync::mpsc::Sender<()>>>> = Rc::default();
    let (p, t, l) = (polls.clone(), threads.clone(), late.clone());
    rt.block_on(async move {
        spawn(poll_fn(move |cx| {
            p.add();
            if p.get() == 3 {
                return Poll::Ready(());
            }
            // The first clone is the run loop's reference; the thread wakes it by
            // value (and a counted clone by reference, then drops it) before this
            // poll returns, while this thread still uses the task.
            let (lent, counted) = (cx.waker().clone(), cx.waker().clone());
            let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
            t.borrow_mut().push(thread::spawn(move || {
                counted.wake_by_ref();
                drop(counted);
                lent.wake();
                done_tx.send(()).unwrap();
            }));
            done_rx.recv().unwrap();
            // A third waker goes to a thread that wakes it only after the runtime is gone.
            let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
            let after = cx.waker().clone();
            t.borrow_mut().push(thread::spawn(move || {
                let _ = go_rx.recv();
                after.wake();
            }));
            *l.borrow_mut() = Some(go_tx);
            Poll::Pending
        }))
        .await
        .unwrap();
    });
    assert_eq!(polls.get(), 3);
    drop(rt);
    drop(late.borrow_mut().take());
    threads.borrow_mut().drain(..).for_each(|thread| thread.join().unwrap());
}
