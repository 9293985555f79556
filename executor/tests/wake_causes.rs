//! Every wake that queues a task is attributed to a cause: the task itself, another
//! task, a cause passed by `wake_with_cause` (and inherited by the wakes it makes in
//! turn), the thread between polls, or another thread. Counted per task by kind, and
//! listed by `Runtime::step`. No syscalls: runs under Miri.

mod common;

use std::cell::{Cell, RefCell};
use std::future::{pending, poll_fn};
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
