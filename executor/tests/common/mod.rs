//! Helpers shared by the executor's scenario tests: counters, values whose `Drop`
//! panics (or panics with a payload whose own `Drop` panics), and foreign wakers.
//! No syscalls: every test using these runs under Miri.

#![allow(dead_code)] // each test file uses its own subset

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

mod watchdog;

#[allow(unused_imports)] // each test file uses its own subset
pub use watchdog::{Watchdog, PATIENCE};

/// A shared count (of polls, wakes, drops…), readable from any thread.
#[derive(Clone, Default, Debug)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A panic payload whose own `Drop` panics: the hardest thing to drop quietly.
pub struct PanickyPayload(pub Counter);

impl Drop for PanickyPayload {
    fn drop(&mut self) {
        self.0.add();
        panic!("the panic payload's drop panics too");
    }
}

/// How a [`Tracked`] value's `Drop` behaves, besides counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDrop {
    /// Just counts.
    Count,
    /// Counts, then panics with a string.
    Panic,
    /// Counts, then panics with a [`PanickyPayload`] (counted by the second counter).
    PanicTwice,
}

/// Counts its drops and may panic in `Drop`. Owns heap memory, so that dropping it
/// twice is a double free (which Miri reports even when the counter would not).
pub struct Tracked {
    drops: Counter,
    on_drop: OnDrop,
    payload_drops: Counter,
    _heap: Box<u64>,
}

impl Tracked {
    pub fn new(drops: &Counter, on_drop: OnDrop) -> Tracked {
        Tracked::with_payload_counter(drops, on_drop, &Counter::default())
    }

    pub fn with_payload_counter(drops: &Counter, on_drop: OnDrop, payload_drops: &Counter) -> Tracked {
        Tracked { drops: drops.clone(), on_drop, payload_drops: payload_drops.clone(), _heap: Box::new(7) }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.add();
        match self.on_drop {
            OnDrop::Count => {}
            OnDrop::Panic => panic!("Tracked's drop panics"),
            OnDrop::PanicTwice => panic::panic_any(PanickyPayload(self.payload_drops.clone())),
        }
    }
}

/// A future that counts its polls and owns a [`Tracked`] value, so that dropping the
/// future (not finishing it: an `async` block drops its locals as it finishes) runs
/// the value's `Drop`. Ready with `output` after `pending_polls` polls, if ever.
pub struct Probe<T> {
    polls: Counter,
    pending_polls: Option<usize>,
    output: Option<T>,
    _tracked: Tracked,
}

impl<T> Probe<T> {
    /// Ready with `output` at the first poll.
    pub fn ready(polls: &Counter, output: T, tracked: Tracked) -> Probe<T> {
        Probe { polls: polls.clone(), pending_polls: Some(0), output: Some(output), _tracked: tracked }
    }

    /// Pending (and waking itself) `n` times, then ready with `output`.
    pub fn after(n: usize, polls: &Counter, output: T, tracked: Tracked) -> Probe<T> {
        Probe { polls: polls.clone(), pending_polls: Some(n), output: Some(output), _tracked: tracked }
    }

    /// Never ready, never wakes itself.
    pub fn pending(polls: &Counter, tracked: Tracked) -> Probe<T> {
        Probe { polls: polls.clone(), pending_polls: None, output: None, _tracked: tracked }
    }
}

impl<T: Unpin> Future for Probe<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.polls.add();
        match self.pending_polls {
            Some(n) if self.polls.get() > n => Poll::Ready(self.output.take().expect("polled after Ready")),
            Some(_) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            None => Poll::Pending,
        }
    }
}

/// What a [`ForeignWaker`] does in each of its callbacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    PanicOnWake,
    PanicOnDrop,
}

/// A waker that is not the executor's (built with `std::task::Wake`), counting its
/// wakes and drops, optionally panicking, and optionally calling back into the
/// runtime from `wake` and `drop` through `callback`.
pub struct ForeignWaker {
    pub wakes: Counter,
    pub drops: Counter,
    pub fault: Fault,
    pub callback: Option<Box<dyn Fn() + Send + Sync>>,
}

impl ForeignWaker {
    pub fn new(wakes: &Counter, drops: &Counter, fault: Fault) -> Arc<ForeignWaker> {
        Arc::new(ForeignWaker { wakes: wakes.clone(), drops: drops.clone(), fault, callback: None })
    }

    pub fn with_callback(
        wakes: &Counter,
        drops: &Counter,
        callback: impl Fn() + Send + Sync + 'static,
    ) -> Arc<ForeignWaker> {
        Arc::new(ForeignWaker {
            wakes: wakes.clone(),
            drops: drops.clone(),
            fault: Fault::None,
            callback: Some(Box::new(callback)),
        })
    }

    pub fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(self.clone())
    }
}

impl Wake for ForeignWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.add();
        if let Some(callback) = &self.callback {
            callback();
        }
        if self.fault == Fault::PanicOnWake {
            panic!("ForeignWaker panics on wake");
        }
    }
}

impl Drop for ForeignWaker {
    fn drop(&mut self) {
        self.drops.add();
        if let Some(callback) = &self.callback {
            callback();
        }
        if self.fault == Fault::PanicOnDrop {
            panic!("ForeignWaker panics on drop");
        }
    }
}

/// A future that never completes, holding `value` (a [`Tracked`], say) until it is
/// dropped.
pub async fn pending_with<T: 'static>(value: T) {
    std::future::pending::<()>().await;
    drop(value);
}

/// A slot where a task leaves its waker for someone else (another thread, a fake
/// reactor) to take and wake.
#[derive(Clone, Default)]
pub struct WakerSlot(Arc<std::sync::Mutex<Option<Waker>>>);

impl WakerSlot {
    /// Pending until woken once through the slot; counts its polls.
    pub fn wait(&self, polls: std::rc::Rc<std::cell::Cell<usize>>) -> impl Future<Output = ()> + '_ {
        let mut stored = false;
        std::future::poll_fn(move |cx| {
            polls.set(polls.get() + 1);
            if stored {
                return Poll::Ready(());
            }
            stored = true;
            *self.0.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    pub fn take(&self) -> Option<Waker> {
        self.0.lock().unwrap().take()
    }
}

/// Polls `future` once with `waker`.
pub fn poll_once<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Runs `f`, expecting it to panic.
pub fn expect_panic(f: impl FnOnce()) {
    assert!(panic::catch_unwind(AssertUnwindSafe(f)).is_err(), "expected a panic");
}

/// A waker whose `clone` panics (impossible with `std::task::Wake`, whose clone is an
/// `Arc` clone). Its wakes and drops do nothing; it owns no resource.
pub fn clone_panicking_waker() -> Waker {
    use std::task::{RawWaker, RawWakerVTable};

    fn clone(_: *const ()) -> RawWaker {
        panic!("waker clone panics");
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: the vtable's functions ignore the data pointer, which is never read.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// `ThreadPark` that reports each blocking park on a channel, just before blocking.
pub struct ReportingPark {
    pub inner: wakeful_executor::ThreadPark,
    pub parking: std::sync::mpsc::Sender<()>,
}

impl wakeful_executor::Park for ReportingPark {
    fn park(&mut self, timeout: Option<std::time::Duration>) {
        if timeout.is_none() {
            let _ = self.parking.send(());
        }
        self.inner.park(timeout);
    }

    fn unparker(&self) -> Box<dyn wakeful_executor::Unpark> {
        self.inner.unparker()
    }
}

/// The runtime still spawns, runs and joins tasks, and lists none as alive.
pub fn assert_usable(rt: &wakeful_executor::Runtime) {
    use wakeful_executor::{spawn, yield_now};
    assert_eq!(
        rt.block_on(async {
            spawn(async {
                yield_now().await;
                1
            })
            .await
            .unwrap()
        }),
        1
    );
    assert_eq!(rt.stats().tasks_alive, 0, "{:?}", rt.stats());
}
