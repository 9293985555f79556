//! The lost-waker detector: what it reports, once, and what it never reports.

mod util;

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use wakeful::task::{self, WaitsOn};
use wakeful::Report;

/// A runtime whose reports land in the returned list, lost-waker detector on.
fn reporting() -> (wakeful::Runtime, Arc<Mutex<Vec<Report>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let rt = wakeful::Runtime::builder()
        .detect_lost_wakers(true)
        .long_poll_threshold(None)
        .on_report(move |report| sink.lock().unwrap().push(report.clone()))
        .build()
        .unwrap();
    (rt, seen)
}

fn lost_reports(seen: &Mutex<Vec<Report>>) -> Vec<wakeful::LostWaker> {
    let seen = seen.lock().unwrap();
    seen.iter()
        .filter_map(|report| match report {
            Report::LostWaker(lost) => Some(lost.clone()),
            _ => None,
        })
        .collect()
}

/// Returns `Pending` without storing the waker: the bug the detector is for.
fn forgetful() -> impl Future<Output = ()> {
    poll_fn(|_cx| Poll::Pending)
}

#[test]
fn a_lost_waker_is_dumped_and_reported_once_with_location_and_type() {
    let (rt, seen) = reporting();
    let (stuck, line) = (task::Builder::new().name("forgetful").spawn_on(forgetful(), &rt).unwrap(), line!());
    // A second task loses its waker on its second poll, after waking itself once.
    let later = rt.spawn(async {
        task::yield_now().await;
        forgetful().await
    });
    rt.run_until_stalled();
    let dump = rt.dump();
    assert_eq!(dump.get(stuck.id()).unwrap().waits_on, [WaitsOn::Nothing], "{dump}");
    assert_eq!(dump.get(later.id()).unwrap().waits_on, [WaitsOn::Nothing], "{dump}");
    assert!(dump.to_string().contains("\"forgetful\" (idle, 1 poll"), "{dump}");
    assert!(
        dump.to_string()
            .contains("waits on nothing: no waker of it is held anywhere — it can never wake (lost waker)"),
        "{dump}"
    );

    let lost = lost_reports(&seen);
    assert_eq!(lost.len(), 2, "{lost:?}");
    assert_eq!((lost[0].id, lost[0].name.as_deref()), (stuck.id(), Some("forgetful")));
    assert_eq!((lost[0].location.file(), lost[0].location.line()), (file!(), line));
    assert!(lost[0].future_type.contains("PollFn"), "{}", lost[0].future_type);
    assert_eq!(lost[1].id, later.id());
    let text = Report::LostWaker(lost[0].clone()).to_string();
    assert!(
        text.starts_with(&format!(
            "lost waker: {} \"forgetful\" (spawned at {}:{line}:",
            stuck.id(),
            file!()
        )),
        "{text}"
    );

    // Still abortable; nothing more is reported, before or after.
    rt.run_until_stalled();
    stuck.abort();
    later.abort();
    assert!(rt.block_on(stuck).unwrap_err().is_cancelled());
    assert!(rt.block_on(later).unwrap_err().is_cancelled());
    assert_eq!(lost_reports(&seen).len(), 2);
}

#[test]
fn a_task_that_aborts_itself_after_dropping_its_waker_is_not_reported() {
    let (rt, seen) = reporting();
    let slot: Rc<RefCell<Option<wakeful::task::AbortHandle>>> = Rc::default();
    let mine = slot.clone();
    let handle = rt.spawn(poll_fn(move |_cx| {
        // No waker stored — but the abort wakes the task, which is then queued.
        mine.borrow().as_ref().expect("the handle is there before the first poll").abort();
        Poll::<()>::Pending
    }));
    *slot.borrow_mut() = Some(handle.abort_handle());
    rt.run_until_stalled();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled(), "the abort still works");
    assert_eq!(lost_reports(&seen).len(), 0, "queued by the abort: not lost");
}

#[test]
fn abort_handles_are_not_wakers() {
    let (rt, seen) = reporting();
    let handle = rt.spawn(forgetful());
    let aborts: Vec<_> = (0..3).map(|_| handle.abort_handle()).collect();
    rt.run_until_stalled();
    // Nothing wakes it: an abort cancels it. Reported (truly), and abortable still.
    assert_eq!(rt.dump().get(handle.id()).unwrap().waits_on, [WaitsOn::Nothing]);
    assert_eq!(lost_reports(&seen).len(), 1);
    aborts[1].abort();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    assert!(aborts.iter().all(|abort| abort.is_finished()));
    assert_eq!(lost_reports(&seen).len(), 1, "reported once");
}

/// A future that keeps a clone of its own waker and nothing else: no one else can
/// wake it, but the runtime cannot tell its own future from a channel.
struct SelfClone(Option<Waker>);

impl Future for SelfClone {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0 = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[test]
fn a_task_holding_its_own_waker_counts_as_held_elsewhere() {
    let (rt, seen) = reporting();
    let handle = rt.spawn(SelfClone(None));
    rt.run_until_stalled();
    assert_eq!(rt.dump().get(handle.id()).unwrap().waits_on, [WaitsOn::Elsewhere(1)]);
    assert!(lost_reports(&seen).is_empty(), "a waker exists: never a lost-waker report");
}

#[test]
fn a_dump_from_the_report_hook_sees_the_lost_task() {
    let dumps = Arc::new(Mutex::new(Vec::new()));
    let sink = dumps.clone();
    let rt = wakeful::Runtime::builder()
        .detect_lost_wakers(true)
        .on_report(move |_| sink.lock().unwrap().push(task::dump()))
        .build()
        .unwrap();
    let handle = rt.spawn(forgetful());
    rt.run_until_stalled();
    let dumps = dumps.lock().unwrap();
    assert_eq!(dumps.len(), 1);
    assert_eq!(dumps[0].get(handle.id()).unwrap().waits_on, [WaitsOn::Nothing], "{}", dumps[0]);
}

#[test]
fn a_panicking_report_hook_is_contained() {
    let rt = wakeful::Runtime::builder()
        .detect_lost_wakers(true)
        .on_report(|report| panic!("the hook fails on {report}"))
        .build()
        .unwrap();
    let stuck = rt.spawn(forgetful());
    let after = rt.spawn(async {
        task::yield_now().await;
        7
    });
    assert_eq!(rt.block_on(after).unwrap(), 7, "the runtime runs on");
    assert_eq!(rt.dump().get(stuck.id()).unwrap().waits_on, [WaitsOn::Nothing]);
}

#[test]
fn a_dump_from_the_long_poll_hook_does_not_count_the_run_loops_reference_as_a_waker() {
    let dumps = Arc::new(Mutex::new(Vec::new()));
    let sink = dumps.clone();
    let rt = wakeful::Runtime::builder()
        .detect_lost_wakers(false)
        .measure_polls(true)
        .long_poll_threshold(Some(std::time::Duration::from_micros(100)))
        .on_report(move |report| {
            if let Report::LongPoll(long) = report {
                sink.lock().unwrap().push((long.id, task::dump()));
            }
        })
        .build()
        .unwrap();
    // A long poll (blocking inside async code) that also forgets its waker.
    let stuck = rt.spawn(poll_fn(|_cx| {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(1) {}
        Poll::<()>::Pending
    }));
    rt.run_until_stalled();
    let dumps = dumps.lock().unwrap();
    assert_eq!(dumps.len(), 1, "one long poll");
    let (id, dump) = &dumps[0];
    assert_eq!(*id, stuck.id());
    assert_eq!(dump.get(stuck.id()).unwrap().waits_on, [WaitsOn::Nothing], "{dump}");
}

#[test]
fn wakers_cloned_dropped_and_woken_on_other_threads_are_never_reported_lost() {
    let (tx, rx) = std::sync::mpsc::channel::<Waker>();
    // Two threads race the runtime's reads of the count: each clone, drop and wake
    // there changes the word the detector loads after every `Pending`.
    let rx = Arc::new(Mutex::new(rx));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || loop {
                let next = rx.lock().unwrap().recv();
                let Ok(waker) = next else { break };
                let extra = waker.clone();
                drop(waker);
                extra.wake();
            })
        })
        .collect();
    let lost = util::bounded(move || {
        let (rt, seen) = reporting();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let tx = tx.clone();
                rt.spawn(async move {
                    for _ in 0..1_000 {
                        let mut sent = false;
                        poll_fn(|cx| {
                            if sent {
                                return Poll::Ready(());
                            }
                            sent = true;
                            tx.send(cx.waker().clone()).unwrap();
                            Poll::Pending
                        })
                        .await;
                    }
                })
            })
            .collect();
        drop(tx);
        for task in tasks {
            rt.block_on(task).unwrap();
        }
        lost_reports(&seen).len()
    });
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(lost, 0, "every task had a waker on another thread at each Pending");
}

#[test]
fn wakers_cloned_and_dropped_during_a_step_are_counted_right() {
    let (rt, seen) = reporting();
    let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
    let keep = slot.clone();
    let mut polls = 0;
    let handle = rt.spawn(poll_fn(move |cx| {
        polls += 1;
        // A clone takes the run loop's reference, a second counts a new one; one of
        // them is dropped during the poll, the other kept: one waker.
        let first = cx.waker().clone();
        let second = cx.waker().clone();
        drop(if polls % 2 == 0 { first } else { second.clone() });
        *keep.borrow_mut() = Some(second);
        if polls == 4 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
    for _ in 0..3 {
        // A wake from outside the runtime comes through its inbox: a turn, then the poll.
        let polled = (0..3).any(|_| matches!(rt.step(), wakeful::Step::Polled(_)));
        assert!(polled, "the task was woken");
        let dump = rt.dump();
        assert_eq!(dump.get(handle.id()).unwrap().waits_on, [WaitsOn::Elsewhere(1)], "{dump}");
        slot.borrow_mut().take().unwrap().wake();
    }
    rt.run_until_stalled();
    assert!(handle.is_finished());
    assert!(lost_reports(&seen).is_empty(), "{:?}", lost_reports(&seen));
}
