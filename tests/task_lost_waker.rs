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
