//! The shutdown signal every core shares: fired once, by [`Handle::shutdown`] or by a
//! core that failed, and awaited by [`ShutdownRequested`] futures on any core or
//! thread.
//!
//! [`Handle::shutdown`]: super::Handle::shutdown

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// The signal: a flag, and the wakers of the futures that wait for it.
#[derive(Default)]
pub(crate) struct Signal {
    /// Set once, never cleared. Read without the lock on every poll.
    fired: AtomicBool,
    /// Waiting futures by id; the id lets a dropped future take its waker out.
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    next_id: u64,
    list: Vec<(u64, Waker)>,
}

impl Signal {
    /// Fires the signal and wakes every waiter, outside the lock: a waker is user
    /// code, and may poll or drop a `ShutdownRequested` of this signal. A waker that
    /// panics is contained (the panic hook reports it): every other core must still
    /// hear of the shutdown, and a failing core's thread calls this too. True the
    /// first time.
    pub(crate) fn fire(&self) -> bool {
        if self.fired.swap(true, Ordering::AcqRel) {
            return false;
        }
        let waiters = std::mem::take(&mut self.lock().list);
        for (_, waker) in waiters {
            let woken = catch_unwind(AssertUnwindSafe(|| waker.wake()));
            // A payload whose own `Drop` panics is leaked rather than unwound.
            if let Err(payload) = woken {
                if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
                    std::mem::forget(again);
                }
            }
        }
        true
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }

    /// A waiter mutex is only held while a `Vec` is edited: take it even if poisoned.
    fn lock(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Completes once every core has been asked to stop: by
/// [`Handle::shutdown`](super::Handle::shutdown), or because a core panicked or
/// could not start. From [`Core::shutdown_requested`](super::Core::shutdown_requested)
/// or [`Handle::shutdown_signal`](super::Handle::shutdown_signal).
///
/// `Send + Sync + Unpin`, awaitable from any runtime; cancel-safe (dropped while it
/// waits, it takes its waker out). Once complete it stays complete.
///
/// ```
/// use std::time::Duration;
///
/// let ticks = wakeful::cores::Builder::new().cores(2).run(|core| async move {
///     let mut stop = std::pin::pin!(core.shutdown_requested());
///     let mut ticks = 0;
///     loop {
///         wakeful::select! {
///             _ = &mut stop => return ticks,
///             _ = wakeful::time::sleep(Duration::from_millis(1)) => {
///                 ticks += 1;
///                 if core.index() == 0 && ticks == 3 {
///                     core.handle().shutdown();
///                 }
///             }
///         }
///     }
/// })?;
/// // Core 1 may not have ticked at all: its thread may start after core 0's 3 ms.
/// assert_eq!(ticks[0], 3);
/// # Ok::<(), wakeful::cores::CoresError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct ShutdownRequested {
    signal: Arc<Signal>,
    /// The id of the waker this future left in the signal, if any.
    id: Option<u64>,
}

impl ShutdownRequested {
    pub(crate) fn new(signal: Arc<Signal>) -> ShutdownRequested {
        ShutdownRequested { signal, id: None }
    }

    /// Whether the shutdown was requested, without waiting.
    pub fn is_requested(&self) -> bool {
        self.signal.is_fired()
    }
}

impl Future for ShutdownRequested {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.is_fired() {
            return Poll::Ready(());
        }
        // Cloned before the lock: a waker's clone is user code.
        let waker = cx.waker().clone();
        let signal = self.signal.clone();
        let mut waiters = signal.lock();
        // Checked again under the lock: `fire` sets the flag, then takes the list.
        if signal.is_fired() {
            return Poll::Ready(());
        }
        let old = match self.id {
            Some(id) => waiters
                .list
                .iter_mut()
                .find(|(entry, _)| *entry == id)
                .map(|(_, slot)| std::mem::replace(slot, waker)),
            None => {
                let id = waiters.next_id;
                waiters.next_id += 1;
                waiters.list.push((id, waker));
                self.id = Some(id);
                None
            }
        };
        drop(waiters);
        drop(old);
        Poll::Pending
    }
}

impl Drop for ShutdownRequested {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let mut waiters = self.signal.lock();
        let taken =
            waiters.list.iter().position(|(entry, _)| *entry == id).map(|at| waiters.list.swap_remove(at));
        drop(waiters);
        drop(taken);
    }
}

impl fmt::Debug for ShutdownRequested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownRequested").field("requested", &self.is_requested()).finish()
    }
}

/// The grace period after a shutdown, on the OS clock: a thread that fires `expired`
/// once `timeout` has passed, unless the alarm is dropped first. Not a runtime timer:
/// a paused clock ([`Builder::start_paused`](super::Builder::start_paused)) jumps
/// ahead whenever the core is idle, and would end the grace at once while the core
/// drains by waiting for a client, another core or a thread.
pub(crate) struct Alarm {
    expired: ShutdownRequested,
    cancelled: Arc<AtomicBool>,
    thread: std::thread::Thread,
}

impl Alarm {
    /// `None` if the OS refused the thread (the caller falls back to a runtime timer).
    pub(crate) fn start(timeout: std::time::Duration) -> Option<Alarm> {
        let deadline = std::time::Instant::now().checked_add(timeout)?;
        let signal = Arc::new(Signal::default());
        let cancelled = Arc::new(AtomicBool::new(false));
        let (fire, stop) = (signal.clone(), cancelled.clone());
        let spawned = std::thread::Builder::new().name("wakeful-core-grace".into()).spawn(move || {
            while !stop.load(Ordering::Acquire) {
                let now = std::time::Instant::now();
                if now >= deadline {
                    fire.fire();
                    return;
                }
                std::thread::park_timeout(deadline - now);
            }
        });
        let thread = spawned.ok()?.thread().clone();
        Some(Alarm { expired: ShutdownRequested::new(signal), cancelled, thread })
    }

    /// Ready once the timeout has passed.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.expired).poll(cx)
    }
}

impl Drop for Alarm {
    /// Ends the thread now rather than at the deadline.
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
