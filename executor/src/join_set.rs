//! [`JoinSet`]: many spawned tasks of one output type, awaited in completion order.
//!
//! Every entry of the set owns a [`JoinHandle`] and a waker of its own, made once per
//! slot and reused: the waker holds the slot's key, and the runtime wakes it when the
//! task completes (`complete` in `runtime.rs`), which pushes the key onto the set's
//! ready list and wakes whoever waits in [`JoinSet::join_next`]. So a completion costs
//! O(1) whatever the size of the set, and `join_next` never scans the entries.
//!
//! The wakers are `Send + Sync`, as std requires of any `Waker`, so the ready list is
//! behind a `Mutex`; it is only ever taken on the runtime's thread, uncontended, and
//! never held across user code (a waker's `clone`, `wake` or `drop`).

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use crate::abort_handle::AbortHandle;
use crate::join::JoinHandle;
use crate::join_error::JoinError;
use crate::task::Id;

/// A set of tasks spawned on the current runtime, awaited in the order they finish.
///
/// Dropping the set aborts every task still in it (their futures are dropped at the
/// runtime's next turn); [`detach_all`](JoinSet::detach_all) lets them run on instead.
///
/// ```
/// use wakeful_executor::{block_on, yield_now, JoinSet};
///
/// block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..3u32 {
///         set.spawn(async move {
///             for _ in 0..i { yield_now().await }
///             i
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(result) = set.join_next().await {
///         order.push(result.unwrap());
///     }
///     assert_eq!(order, [0, 1, 2]);
/// });
/// ```
///
/// # Differences from tokio
/// - Tasks need not be `Send`: `spawn` and `spawn_local` are the same method, and
///   need no `LocalSet`. There is no `spawn_on` / `spawn_local_on` (a set spawns
///   on the runtime running on this thread) and no `spawn_blocking`.
pub struct JoinSet<T> {
    /// Slab of entries; `free` heads the list of vacant ones.
    slots: Vec<Slot<T>>,
    free: Vec<usize>,
    len: usize,
    ready: Arc<Ready>,
}

struct Slot<T> {
    handle: Option<JoinHandle<T>>,
    /// Pushes this slot's key onto `ready`; reused by every task the slot holds.
    waker: Waker,
}

/// Keys of entries whose task completed, and who waits for one.
#[derive(Default)]
struct Ready {
    list: Mutex<ReadyList>,
}

#[derive(Default)]
struct ReadyList {
    keys: VecDeque<usize>,
    waiter: Option<Waker>,
}

impl Ready {
    fn lock(&self) -> MutexGuard<'_, ReadyList> {
        // Never held across user code, so a poisoned lock still holds consistent data.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Drops the stored waiter when a `join_next` future ends or is dropped.
struct ForgetWaiter(Arc<Ready>);

impl Drop for ForgetWaiter {
    fn drop(&mut self) {
        let waiter = self.0.lock().waiter.take();
        drop(waiter); // user code: outside the lock
    }
}

struct EntryWaker {
    ready: Arc<Ready>,
    key: usize,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waiter = {
            let mut list = self.ready.lock();
            list.keys.push_back(self.key);
            list.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet { slots: Vec::new(), free: Vec::new(), len: 0, ready: Arc::default() }
    }

    /// How many tasks are in the set: running, or finished and not yet joined.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Aborts every task in the set. They stay in it: each is joined, as a cancelled
    /// [`JoinError`] or its output if it finished first.
    pub fn abort_all(&mut self) {
        for handle in self.slots.iter().filter_map(|slot| slot.handle.as_ref()) {
            handle.abort();
        }
    }

    /// Empties the set without aborting: the tasks run on, their outputs dropped.
    pub fn detach_all(&mut self) {
        self.ready.lock().keys.clear();
        for key in 0..self.slots.len() {
            if let Some(handle) = self.slots[key].handle.take() {
                self.free.push(key);
                drop(handle);
            }
        }
        self.len = 0;
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns `future` on the runtime of this thread and adds it to the set.
    ///
    /// # Panics
    /// Outside a runtime, as [`spawn`](crate::spawn) does.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// The same as [`spawn`](JoinSet::spawn): every task here is local to its thread.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.spawn(future)
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let key = match self.free.pop() {
            Some(key) => key,
            None => {
                let key = self.slots.len();
                let waker = Waker::from(Arc::new(EntryWaker { ready: self.ready.clone(), key }));
                self.slots.push(Slot { handle: None, waker });
                key
            }
        };
        let slot = &mut self.slots[key];
        let handle = slot.handle.insert(handle);
        self.len += 1;
        // From now on the task's completion pushes `key`; one that completed already
        // (spawned while the runtime shuts down) never will, so it is pushed here.
        handle.register(&slot.waker);
        if handle.is_finished() {
            self.ready.lock().keys.push_back(key);
        }
        abort
    }

    /// Waits for the next task to finish and returns its result; `None` if the set is
    /// empty. Tasks come out in the order they finished.
    ///
    /// Cancel-safe: dropping the future before it completes loses no result.
    /// Dropping it, finished or not, drops the waker it stored: none is left behind.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        let _forget = ForgetWaiter(self.ready.clone());
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// As [`join_next`](JoinSet::join_next), with the task's id beside its output (an
    /// error carries it: [`JoinError::id`]). Cancel-safe.
    ///
    /// ```
    /// use wakeful_executor::{block_on, JoinSet};
    ///
    /// block_on(async {
    ///     let mut set = JoinSet::new();
    ///     let id = set.spawn(async { 7 }).id();
    ///     assert_eq!(set.join_next_with_id().await.unwrap().unwrap(), (id, 7));
    /// });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        let _forget = ForgetWaiter(self.ready.clone());
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// The result of a task that already finished, if any, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        Some(self.try_join_next_with_id()?.map(|(_, output)| output))
    }

    /// As [`try_join_next`](JoinSet::try_join_next), with the task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        loop {
            let key = self.ready.lock().keys.pop_front()?;
            if let Some(result) = self.take_if_finished(key) {
                return Some(result);
            }
        }
    }

    /// Polls for the next finished task, as [`join_next`](JoinSet::join_next) awaits.
    /// `Ready(None)` if the set is empty; `Pending` stores `cx`'s waker.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx).map(|next| Some(next?.map(|(_, output)| output)))
    }

    /// As [`poll_join_next`](JoinSet::poll_join_next), with the task's id.
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        loop {
            if let Some(result) = self.try_join_next_with_id() {
                return Poll::Ready(Some(result));
            }
            if self.len == 0 {
                return Poll::Ready(None);
            }
            // The waker's `clone` and the old one's `drop` are user code: run outside
            // the lock (a `drop` may even end a runtime, completing tasks of the set).
            let same = self.ready.lock().waiter.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
            if !same {
                let new = cx.waker().clone();
                let old = self.ready.lock().waiter.replace(new);
                drop(old);
            }
            if self.ready.lock().keys.is_empty() {
                return Poll::Pending;
            }
        }
    }

    /// Aborts every task and waits until all have stopped; the set is then empty.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in the order they finished.
    ///
    /// # Panics
    /// If a task panicked (its panic resumes here) or was cancelled; the tasks still
    /// in the set are then aborted, as the set is dropped.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len);
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(err) => match err.try_into_panic() {
                    Ok(payload) => panic::resume_unwind(payload),
                    Err(err) => panic!("JoinSet::join_all: {err}"),
                },
            }
        }
        outputs
    }

    /// The entry's result if its task finished; then the entry leaves the set.
    fn take_if_finished(&mut self, key: usize) -> Option<Result<(Id, T), JoinError>> {
        let slot = self.slots.get_mut(key)?;
        let handle = slot.handle.as_mut()?; // a stale key: the entry left already
                                            // Polling registers the slot's waker again if the task has not finished (a
                                            // stale key naming a reused slot), so its completion is still seen.
        let id = handle.id();
        let result = match Pin::new(handle).poll(&mut Context::from_waker(&slot.waker)) {
            Poll::Ready(result) => result.map(|output| (id, output)),
            Poll::Pending => return None,
        };
        drop(slot.handle.take());
        self.free.push(key);
        self.len -= 1;
        Some(result)
    }
}

impl<T> Drop for JoinSet<T> {
    /// Aborts every task still in the set.
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}

impl<T: 'static, F: Future<Output = T> + 'static> Extend<F> for JoinSet<T> {
    fn extend<I: IntoIterator<Item = F>>(&mut self, futures: I) {
        for future in futures {
            self.spawn(future);
        }
    }
}

impl<T: 'static, F: Future<Output = T> + 'static> FromIterator<F> for JoinSet<T> {
    /// Spawns every future into a new set.
    fn from_iter<I: IntoIterator<Item = F>>(futures: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(futures);
        set
    }
}
