//! Every wake that queues a task is attributed to a cause: the task itself, another
//! task, a cause passed by `wake_with_cause` (and inherited by the wakes it makes in
//! turn), the thread between polls, or another thread. Counted per task by kind, and
//! listed by `Runtime::step`. No syscalls: runs under Miri.

mod common;

use std::cell::{Cell, RefCell};
use std::future::{pending, poll_fn, Future};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use std::time::{Duration, Instant};

use wakeful_executor::task::{self, wake_with_cause, Id, IoEvents, TaskInfo, WakeCause, WakeKind, Wakes};
use wakeful_executor::{
    spawn, yield_now, Builder, JoinSet, Park, PollOutcome, Runtime, Step, ThreadPark, Unpark, WokenTask,
};

/// The wakes of task `id`, from inside the runtime.
fn wakes_of(id: Id) -> Wakes {
    task::tasks().into_iter().find(|info: &TaskInfo| info.id == id).expect("the task is live").wakes
}

/// Asserts that `wakes` holds one wake, of `kind`.
#[track_caller]
fn assert_one(wakes: Wakes, kind: WakeKind) {
    assert_eq!((wakes[kind], wakes.total()), (1, 1), "expected one {kind:?} wake, got {wakes:?}");
}

/// A task that parks its waker in a slot and waits for ever.
fn parked_task(rt: &Runtime) -> (Id, Rc<RefCell<Option<Waker>>>) {
    let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
    let handle = rt.spawn({
        let slot = slot.clone();
        poll_fn(move |cx| {
            *slot.borrow_mut() = Some(cx.waker().clone());
            Poll::<()>::Pending
        })
    });
    (handle.id(), slot)
}

#[test]
fn yield_now_is_counted_as_itself() {
    Runtime::new().block_on(async {
        let task = spawn(async {
            yield_now().await;
            pending::<()>().await
        });
        yield_now().await;
        yield_now().await;
        assert_one(wakes_of(task.id()), WakeKind::Itself);
    });
}

#[test]
fn a_wake_from_another_task_is_counted_as_task_and_shows_in_its_poll() {
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    assert!(matches!(rt.step(), Step::Polled(_)));
    let waker = slot.borrow_mut().take().unwrap();
    let sender = rt.spawn(async move { waker.wake() }).id();
    let Step::Polled(polled) = rt.step() else { panic!("the sender was ready") };
    assert_eq!((polled.task, polled.woke), (sender, vec![waiter]), "the sender's poll woke the waiter");
    rt.block_on(async { assert_one(wakes_of(waiter), WakeKind::Task) });
}

#[test]
fn a_join_handle_completion_is_counted_as_task() {
    Runtime::new().block_on(async {
        let gate = Rc::new(Cell::new(false));
        let open = gate.clone();
        let worker = spawn(poll_fn(move |cx| {
            if open.get() {
                return Poll::Ready(5);
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }));
        let done = Rc::new(Cell::new(0));
        let joined = done.clone();
        let joiner = spawn(async move {
            joined.set(worker.await.unwrap());
            pending::<()>().await // stay alive, to be listed
        });
        let joiner_id = joiner.id();
        drop(joiner);
        yield_now().await; // both run once: the joiner waits on the worker's handle
        gate.set(true);
        yield_now().await; // the worker finishes, and its completion wakes the joiner
        assert_eq!(done.get(), 5, "the joiner ran after the worker ended");
        assert_one(wakes_of(joiner_id), WakeKind::Task);
    });
}

#[test]
fn a_wake_from_the_block_on_future_is_counted_as_local() {
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    rt.block_on(async {
        yield_now().await;
        slot.borrow_mut().take().unwrap().wake();
        assert_one(wakes_of(waiter), WakeKind::Local);
    });
}

#[test]
fn a_wake_from_another_thread_is_counted_as_remote() {
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    assert!(matches!(rt.step(), Step::Polled(_)));
    let waker = slot.borrow_mut().take().unwrap();
    // Another thread, and this one outside the runtime: both through the remote queue.
    std::thread::spawn(move || wake_with_cause(waker, WakeCause::Timer { deadline: Instant::now() }))
        .join()
        .unwrap();
    assert_eq!(rt.step(), Step::Woke(vec![WokenTask { task: waiter, cause: WakeCause::Remote }]));
    rt.block_on(async { assert_one(wakes_of(waiter), WakeKind::Remote) });
}

#[test]
fn wake_with_cause_outside_any_runtime_is_a_remote_wake() {
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    assert!(matches!(rt.step(), Step::Polled(_)));
    wake_with_cause(slot.borrow_mut().take().unwrap(), WakeCause::Io { fd: 3, events: IoEvents::READABLE });
    assert_eq!(rt.step(), Step::Woke(vec![WokenTask { task: waiter, cause: WakeCause::Remote }]));
}

#[test]
fn wake_with_cause_names_the_cause_between_polls() {
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    rt.block_on(async {
        yield_now().await;
        let waker = slot.borrow_mut().take().unwrap();
        let cause = WakeCause::Io { fd: 7, events: IoEvents::WRITABLE };
        wake_with_cause(waker.clone(), cause);
        // Queued already: a second wake changes nothing and is not counted.
        wake_with_cause(waker, WakeCause::Timer { deadline: Instant::now() });
        assert_one(wakes_of(waiter), WakeKind::Io);
    });
}

#[test]
fn wake_with_cause_during_a_poll_is_the_polled_task() {
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    assert!(matches!(rt.step(), Step::Polled(_)));
    let waker = slot.borrow_mut().take().unwrap();
    rt.spawn(async move { wake_with_cause(waker, WakeCause::Remote) });
    rt.run_until_stalled();
    rt.block_on(async { assert_one(wakes_of(waiter), WakeKind::Task) });
}

#[test]
fn a_panicking_waker_does_not_leak_its_cause_to_the_next_wake() {
    struct Panics;
    impl Wake for Panics {
        fn wake(self: Arc<Self>) {
            panic!("this waker panics");
        }
    }
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    rt.block_on(async {
        yield_now().await;
        let deadline = Instant::now();
        let unwound = panic::catch_unwind(AssertUnwindSafe(|| {
            wake_with_cause(Waker::from(Arc::new(Panics)), WakeCause::Timer { deadline })
        }));
        assert!(unwound.is_err(), "the waker's panic reaches the caller");
        slot.borrow_mut().take().unwrap().wake();
        assert_one(wakes_of(waiter), WakeKind::Local);
    });
}

/// A sub-waker, as a `select!` or a `JoinSet` makes: waking it wakes its parent.
struct Sub(Mutex<Option<Waker>>);

impl Wake for Sub {
    fn wake(self: Arc<Self>) {
        if let Some(parent) = self.0.lock().unwrap().take() {
            parent.wake();
        }
    }
}

#[test]
fn a_sub_waker_passes_the_cause_to_its_parent() {
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    rt.block_on(async {
        yield_now().await;
        let sub = Waker::from(Arc::new(Sub(Mutex::new(slot.borrow_mut().take()))));
        wake_with_cause(sub, WakeCause::Timer { deadline: Instant::now() });
        assert_one(wakes_of(waiter), WakeKind::Timer);
    });
}

#[test]
fn a_join_set_wakes_its_owner_with_the_finished_task_as_cause() {
    Runtime::new().block_on(async {
        let gate = Rc::new(Cell::new(false));
        let open = gate.clone();
        let owner = spawn(async move {
            let mut set = JoinSet::new();
            set.spawn_local(poll_fn(move |cx| {
                if open.get() {
                    return Poll::Ready(());
                }
                cx.waker().wake_by_ref();
                Poll::Pending
            }));
            set.join_next().await.unwrap().unwrap();
            pending::<()>().await
        });
        yield_now().await;
        yield_now().await;
        let before = wakes_of(owner.id());
        gate.set(true);
        yield_now().await;
        yield_now().await;
        let after = wakes_of(owner.id());
        assert_eq!(after[WakeKind::Task] - before[WakeKind::Task], 1, "{before:?} -> {after:?}");
        assert_eq!(after.total() - before.total(), 1);
    });
}

#[test]
fn a_waker_of_another_runtime_on_this_thread_is_a_remote_wake() {
    let other = Runtime::new();
    let (waiter, slot) = parked_task(&other);
    assert!(matches!(other.step(), Step::Polled(_)));
    let waker = slot.borrow_mut().take().unwrap();
    Runtime::new().block_on(async move { wake_with_cause(waker, WakeCause::Local) });
    assert_eq!(other.step(), Step::Woke(vec![WokenTask { task: waiter, cause: WakeCause::Remote }]));
}

#[test]
fn a_foreign_waker_is_just_woken() {
    let (woken, drops) = (common::Counter::default(), common::Counter::default());
    let waker = common::ForeignWaker::new(&woken, &drops, common::Fault::None).waker();
    let waker_kept = waker.clone();
    wake_with_cause(waker.clone(), WakeCause::Local);
    Runtime::new().block_on(async { wake_with_cause(waker, WakeCause::Itself) });
    assert_eq!((woken.get(), drops.get()), (2, 0), "woken twice; one clone still here");
    drop(waker_kept);
}

/// A park whose turn wakes what it was given with a timer's cause, as the I/O glue does.
struct TimerPark {
    inner: ThreadPark,
    due: Rc<RefCell<Vec<Waker>>>,
    deadline: Instant,
}

impl Park for TimerPark {
    fn park(&mut self, timeout: Option<Duration>) {
        let due: Vec<Waker> = self.due.borrow_mut().drain(..).collect();
        if due.is_empty() {
            self.inner.park(timeout);
        }
        for waker in due {
            wake_with_cause(waker, WakeCause::Timer { deadline: self.deadline });
        }
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        self.inner.unparker()
    }
}

#[test]
fn a_step_lists_the_cause_the_park_gave() {
    let due = Rc::new(RefCell::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(3);
    let rt = Builder::default().build_with_park(TimerPark {
        inner: ThreadPark::new(),
        due: due.clone(),
        deadline,
    });
    let (waiter, slot) = parked_task(&rt);
    let Step::Polled(first) = rt.step() else { panic!("the task was ready") };
    assert_eq!(first.outcome, PollOutcome::Pending);
    due.borrow_mut().push(slot.borrow_mut().take().unwrap());
    assert_eq!(rt.step(), Step::Woke(vec![WokenTask { task: waiter, cause: WakeCause::Timer { deadline } }]));
    assert!(matches!(rt.step(), Step::Polled(_)));
    assert_eq!(rt.step(), Step::Stalled);
    rt.block_on(async { assert_one(wakes_of(waiter), WakeKind::Timer) });
}

#[test]
fn wake_kinds_index_their_counters_in_order() {
    assert_eq!(WakeKind::ALL.len(), WakeKind::COUNT);
    for (i, kind) in WakeKind::ALL.into_iter().enumerate() {
        assert_eq!(kind as usize, i);
    }
    let causes = [
        WakeCause::Itself,
        WakeCause::Task(Id::fresh()),
        WakeCause::Io { fd: 0, events: IoEvents::ERROR },
        WakeCause::Timer { deadline: Instant::now() },
        WakeCause::Local,
        WakeCause::Remote,
    ];
    assert_eq!(causes.map(|cause| cause.kind()), WakeKind::ALL);
}

/// A waker that records, when woken, what `task::try_id()` says.
struct RecordsTryId(Mutex<Vec<Option<Id>>>);

impl Wake for RecordsTryId {
    fn wake(self: Arc<Self>) {
        self.0.lock().unwrap().push(task::try_id());
    }
}

#[test]
fn try_id_in_a_join_handle_owners_waker_is_no_task() {
    Runtime::new().block_on(async {
        let recorder = Arc::new(RecordsTryId(Mutex::new(Vec::new())));
        let waker = Waker::from(recorder.clone());
        let mut worker = spawn(async { 5 });
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(std::pin::Pin::new(&mut worker).poll(&mut cx).is_pending(), "the worker has not run");
        yield_now().await; // the worker runs, completes, and wakes the handle's owner
        assert_eq!(*recorder.0.lock().unwrap(), [None], "no task is polled while the owner is woken");
        assert_eq!(worker.await.unwrap(), 5);
    });
}

/// Wakes the waker it holds when dropped.
struct WakeOnDrop(Option<Waker>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        if let Some(waker) = self.0.take() {
            waker.wake();
        }
    }
}

#[test]
fn a_detached_tasks_output_dropped_at_completion_is_caused_by_that_task() {
    let rt = Runtime::new();
    let (waiter, slot) = parked_task(&rt);
    assert!(matches!(rt.step(), Step::Polled(_)));
    let waker = slot.borrow_mut().take().unwrap();
    let finisher = rt.spawn(async move { WakeOnDrop(Some(waker)) });
    let finisher_id = finisher.id();
    drop(finisher); // detached: the runtime drops the output as the task completes
    let Step::Polled(polled) = rt.step() else { panic!("the finisher was ready") };
    assert_eq!((polled.task, polled.outcome, polled.woke), (finisher_id, PollOutcome::Ready, vec![waiter]));
    rt.block_on(async { assert_one(wakes_of(waiter), WakeKind::Task) });
}

/// A waker whose wake drives a runtime of its own to the end: the `block_on` future
/// wakes a task there, outside any poll.
struct RunsARuntime(Mutex<Option<Wakes>>);

impl Wake for RunsARuntime {
    fn wake(self: Arc<Self>) {
        let rt = Runtime::new();
        let (waiter, slot) = parked_task(&rt);
        let wakes = rt.block_on(async {
            yield_now().await;
            slot.borrow_mut().take().unwrap().wake();
            wakes_of(waiter)
        });
        *self.0.lock().unwrap() = Some(wakes);
    }
}

#[test]
fn a_cause_does_not_leak_into_a_runtime_run_inside_the_wake() {
    let runs = Arc::new(RunsARuntime(Mutex::new(None)));
    wake_with_cause(Waker::from(runs.clone()), WakeCause::Timer { deadline: Instant::now() });
    let wakes = runs.0.lock().unwrap().take().expect("the waker ran its runtime");
    assert_one(wakes, WakeKind::Local);
}

/// A park that, at its next turn, wakes every waker in `due` with an I/O cause.
struct BurstPark {
    inner: ThreadPark,
    due: Rc<RefCell<Vec<Waker>>>,
}

impl Park for BurstPark {
    fn park(&mut self, timeout: Option<Duration>) {
        let due: Vec<Waker> = self.due.borrow_mut().drain(..).collect();
        if due.is_empty() {
            self.inner.park(timeout);
        }
        for (fd, waker) in due.into_iter().enumerate() {
            wake_with_cause(waker, WakeCause::Io { fd: fd as i32, events: IoEvents::READABLE });
        }
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        self.inner.unparker()
    }
}

/// One turn that wakes many tasks: the step lists each with its cause in time linear
/// in their number (looked up one by one in the turn's log, it took quadratic time:
/// seconds for this many).
#[test]
#[cfg_attr(miri, ignore = "tens of thousands of tasks")]
fn a_step_that_wakes_many_tasks_lists_their_causes_in_linear_time() {
    const TASKS: usize = 40_000;
    let due = Rc::new(RefCell::new(Vec::new()));
    let rt = Builder::default()
        .detect_lost_wakers(false)
        .measure_polls(false)
        .build_with_park(BurstPark { inner: ThreadPark::new(), due: due.clone() });
    let slots: Vec<_> = (0..TASKS).map(|_| parked_task(&rt)).collect();
    assert!(rt.run_until_stalled().stalled);
    due.borrow_mut().extend(slots.iter().map(|(_, slot)| slot.borrow_mut().take().unwrap()));
    let started = Instant::now();
    let Step::Woke(woke) = rt.step() else { panic!("the burst woke every task") };
    let took = started.elapsed();
    assert_eq!(woke.len(), TASKS);
    for (fd, (entry, (id, _))) in woke.iter().zip(&slots).enumerate() {
        assert_eq!(
            *entry,
            WokenTask { task: *id, cause: WakeCause::Io { fd: fd as i32, events: IoEvents::READABLE } }
        );
    }
    assert!(took < Duration::from_secs(1), "one step over {TASKS} wakes took {took:?}");
}

/// A park whose turn calls back into its own runtime (its records, its dump, and a
/// step, which must refuse) before waking what it was given with a timer's cause.
struct ReentrantPark {
    inner: ThreadPark,
    rt: Rc<RefCell<std::rc::Weak<Runtime>>>,
    due: Rc<RefCell<Vec<Waker>>>,
    deadline: Instant,
    nested_step_refused: Rc<Cell<bool>>,
}

impl Park for ReentrantPark {
    fn park(&mut self, timeout: Option<Duration>) {
        let due: Vec<Waker> = self.due.borrow_mut().drain(..).collect();
        if due.is_empty() {
            return self.inner.park(timeout);
        }
        let rt = self.rt.borrow().upgrade().expect("the runtime is alive");
        for waker in due {
            wake_with_cause(waker, WakeCause::Timer { deadline: self.deadline });
            assert_eq!(rt.tasks().len(), 1);
            assert!(rt.dump().to_string().starts_with("1 live task"));
            let nested = panic::catch_unwind(AssertUnwindSafe(|| rt.step()));
            self.nested_step_refused.set(nested.is_err());
        }
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        self.inner.unparker()
    }
}

#[test]
fn a_turn_that_calls_back_into_its_runtime_keeps_the_step_log() {
    let (slot_rt, due, refused) = (Rc::default(), Rc::new(RefCell::new(Vec::new())), Rc::default());
    let deadline = Instant::now();
    let rt = Rc::new(Builder::default().build_with_park(ReentrantPark {
        inner: ThreadPark::new(),
        rt: Rc::clone(&slot_rt),
        due: due.clone(),
        deadline,
        nested_step_refused: Rc::clone(&refused),
    }));
    *slot_rt.borrow_mut() = Rc::downgrade(&rt);
    let (waiter, slot) = parked_task(&rt);
    assert!(matches!(rt.step(), Step::Polled(_)));
    due.borrow_mut().push(slot.borrow_mut().take().unwrap());
    assert_eq!(rt.step(), Step::Woke(vec![WokenTask { task: waiter, cause: WakeCause::Timer { deadline } }]));
    assert!(refused.get(), "a step from inside the turn panicked, as documented");
    assert!(matches!(rt.step(), Step::Polled(_)));
    assert_eq!(rt.step(), Step::Stalled);
}

/// A runtime traced into `sink` (a buffer of `capacity` events), with the lost-waker
/// detector on; the ids it reports lost.
fn traced_with_lost_reports(
    sink: impl wakeful_executor::trace::TraceSink + 'static,
    capacity: usize,
) -> (wakeful_executor::Runtime, Arc<Mutex<Vec<Id>>>) {
    let lost = Arc::new(Mutex::new(Vec::new()));
    let rt = Builder::default()
        .detect_lost_wakers(true)
        .on_report({
            let lost = lost.clone();
            move |report| {
                if let wakeful_executor::Report::LostWaker(l) = report {
                    lost.lock().unwrap().push(l.id);
                }
            }
        })
        .build_traced(ThreadPark::new(), wakeful_executor::trace::Tracer::new(sink, capacity));
    (rt, lost)
}

/// What each task waited on, per dump.
type Dumped = Rc<RefCell<Vec<(Id, Vec<task::WaitsOn>)>>>;

/// A sink that takes a dump of the runtime on every batch, keeping what it says of
/// each task: `Nothing` for the tasks it calls lost.
struct DumpingSink(Dumped);

impl wakeful_executor::trace::TraceSink for DumpingSink {
    fn write(&mut self, _events: &[wakeful_executor::trace::TraceEvent]) {
        for t in task::dump().iter() {
            self.0.borrow_mut().push((t.info.id, t.waits_on.clone()));
        }
    }
}

#[test]
fn a_traced_stepped_runtime_reports_the_lost_task_alone_and_its_sink_can_dump() {
    let seen: Dumped = Rc::default();
    // Capacity 2: the sink writes (and dumps) inside polls, inside wakes, at completions.
    let (rt, lost) = traced_with_lost_reports(DumpingSink(seen.clone()), 2);
    let (kept, slot) = parked_task(&rt);
    let dropped = rt.spawn(poll_fn(|cx| {
        drop(cx.waker().clone());
        Poll::<()>::Pending
    }));
    let dropped = dropped.id();
    let pinger = rt.spawn(async {
        for _ in 0..4 {
            yield_now().await
        }
    });
    while !rt.step().is_stalled() {}
    assert_eq!(*lost.lock().unwrap(), vec![dropped], "only the task without a waker is lost");
    slot.borrow_mut().take().unwrap().wake();
    while !rt.step().is_stalled() {}
    assert_eq!(*lost.lock().unwrap(), vec![dropped]);
    assert!(pinger.is_finished());
    let wrong: Vec<_> = seen
        .borrow()
        .iter()
        .filter(|(id, waits)| *id != dropped && waits.contains(&task::WaitsOn::Nothing))
        .cloned()
        .collect();
    assert!(wrong.is_empty(), "a dump from the sink called a task lost: {wrong:?} (kept: {kept})");
}

/// Per `Polled` and `Completed` event handed to the sink: what a dump taken there
/// says of that task (`None`: not listed).
type Seen = Rc<RefCell<Vec<(String, Option<(task::TaskState, Vec<task::WaitsOn>)>)>>>;

struct DumpAtEachPoll(Seen);

impl wakeful_executor::trace::TraceSink for DumpAtEachPoll {
    fn write(&mut self, events: &[wakeful_executor::trace::TraceEvent]) {
        use wakeful_executor::trace::EventKind;
        for event in events {
            let (what, id) = match &event.kind {
                EventKind::Polled { task, outcome, .. } => (format!("{task} polled {outcome:?}"), *task),
                EventKind::Completed { task } => (format!("{task} completed"), *task),
                _ => continue,
            };
            let dump = task::dump();
            let said = dump.get(id).map(|t| (t.info.state, t.waits_on.clone()));
            self.0.borrow_mut().push((what, said));
        }
    }
}

#[test]
fn a_dump_from_the_trace_sink_agrees_with_the_lost_waker_detector() {
    for stepped in [false, true] {
        let seen: Seen = Rc::default();
        // Capacity 1: every event goes to the sink as it is recorded.
        let (rt, lost) = traced_with_lost_reports(DumpAtEachPoll(seen.clone()), 1);
        let dropped = rt.spawn(poll_fn(|cx| {
            drop(cx.waker().clone());
            Poll::<()>::Pending
        }));
        let dropped_id = dropped.id();
        let done = rt.spawn(async {});
        let done_id = done.id();
        if stepped {
            rt.run_until_stalled();
        } else {
            rt.block_on(async { yield_now().await });
        }
        assert_eq!(*lost.lock().unwrap(), vec![dropped_id], "stepped: {stepped}");
        let seen = seen.borrow();
        let at = |what: String| {
            seen.iter().find(|(w, _)| *w == what).unwrap_or_else(|| panic!("{what}: {seen:?}")).1.clone()
        };
        let of_lost = at(format!("{dropped_id} polled Pending"));
        assert!(
            of_lost.as_ref().is_some_and(|(_, waits)| waits == &[task::WaitsOn::Nothing]),
            "stepped: {stepped}: the detector reports {dropped_id} lost, a dump at its poll's end says {of_lost:?}"
        );
        assert_eq!(at(format!("{done_id} polled Ready")), None, "stepped: {stepped}: its future is gone");
        assert_eq!(at(format!("{done_id} completed")), None, "stepped: {stepped}: its future is gone");
    }
}
