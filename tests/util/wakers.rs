//! Wakers made by the tests: one whose clones and wakes are counted, and ones that
//! panic when cloned or woken.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// A test's own waker, whose clones can be counted: `held` says how many copies of it
/// something else (a reactor's waiters, a timer) keeps, `wakes` how often it was woken.
///
/// Optionally it forwards each wake to another waker ([`woken`](Self::woken) sets
/// one), so that a test can sleep until it is woken instead of spinning.
pub struct CountingWaker {
    counter: std::sync::Arc<WakeCounter>,
    waker: Waker,
}

#[derive(Default)]
struct WakeCounter {
    wakes: std::sync::atomic::AtomicUsize,
    forward: std::sync::Mutex<Option<Waker>>,
}

impl std::task::Wake for WakeCounter {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.wakes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let forward = self.forward.lock().unwrap().take();
        if let Some(waker) = forward {
            waker.wake();
        }
    }
}

impl CountingWaker {
    pub fn new() -> CountingWaker {
        let counter = std::sync::Arc::new(WakeCounter::default());
        let waker = Waker::from(counter.clone());
        CountingWaker { counter, waker }
    }

    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Clones of this waker kept by anyone but this struct.
    pub fn held(&self) -> usize {
        // Ours: the `Arc` and the `Waker` made from it.
        std::sync::Arc::strong_count(&self.counter) - 2
    }

    pub fn wakes(&self) -> usize {
        self.counter.wakes.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Polls `future` once with this waker.
    pub fn poll<F: Future + ?Sized>(&self, future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(&self.waker))
    }

    /// Completes once this waker has been woken at least once.
    pub async fn woken(&self) {
        std::future::poll_fn(|cx| {
            *self.counter.forward.lock().unwrap() = Some(cx.waker().clone());
            if self.wakes() > 0 {
                drop(self.counter.forward.lock().unwrap().take());
                return Poll::Ready(());
            }
            Poll::Pending
        })
        .await
    }

    /// Forwards the next wake to `waker` (replacing any earlier forward).
    pub fn forward_to(&self, waker: &Waker) {
        *self.counter.forward.lock().unwrap() = Some(waker.clone());
    }

    /// Stops forwarding (drops the waker given to [`forward_to`](Self::forward_to)).
    pub fn stop_forwarding(&self) {
        drop(self.counter.forward.lock().unwrap().take());
    }
}

impl Default for CountingWaker {
    fn default() -> Self {
        CountingWaker::new()
    }
}

/// A waker whose `clone` panics (its other entries do nothing).
pub fn panicking_clone_waker() -> Waker {
    fn clone(_: *const ()) -> RawWaker {
        panic!("clone refused, on purpose");
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: every entry of the vtable ignores the data pointer, which is null.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// A waker whose `wake` forwards to `inner`, then panics.
pub fn panicking_wake_waker(inner: Waker) -> Waker {
    struct Bomb(Waker);
    impl std::task::Wake for Bomb {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.wake_by_ref();
            panic!("wake refused, on purpose");
        }
    }
    Waker::from(std::sync::Arc::new(Bomb(inner)))
}
