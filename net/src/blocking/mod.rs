//! Running blocking code off the runtime's thread: [`spawn_blocking`], and the pool of
//! threads behind it (also behind [`fs`](crate::fs)).
//!
//! ```
//! use wakeful::task;
//!
//! wakeful::block_on(async {
//!     // A blocking call (a hash, a compression, a DNS lookup) runs on a pool thread;
//!     // the runtime's thread keeps running tasks meanwhile.
//!     let sum = task::spawn_blocking(|| (1..=1000u64).sum::<u64>());
//!     assert_eq!(sum.await.unwrap(), 500_500);
//!
//!     let err = task::spawn_blocking(|| panic!("boom")).await.unwrap_err();
//!     assert!(err.is_panic());
//! });
//! ```
//!
//! # One pool per process
//!
//! The threads belong to the process, not to a runtime (the model of smol's `blocking`
//! crate). wakeful runs one runtime per thread, and soon one per core: a bound per
//! runtime would multiply by the number of runtimes, while what must be bounded is the
//! process's threads. A pool shared by all runtimes also keeps its threads warm across
//! short-lived runtimes (`wakeful::block_on` in a loop).
//!
//! - **Bounded**: at most [`DEFAULT_MAX_THREADS`] (512) threads, or the value of the
//!   environment variable `WAKEFUL_MAX_BLOCKING_THREADS` (a positive integer, read on
//!   first use; anything else is ignored), or what [`set_max_threads`] says. Past the
//!   bound, jobs wait in a FIFO queue for a thread to come free.
//! - **On demand**: a thread starts when a job finds no idle thread, and is named
//!   `wakeful-blocking-N`.
//! - **Reaped**: a thread idle for the keep-alive (10 s by default, see
//!   [`set_keep_alive`]) exits.
//! - **Failures**: if the OS refuses a thread while none is alive to run the job, the
//!   job is dropped unrun and its `JoinHandle` resolves to a [`JoinError`] whose panic
//!   payload (a `String`) gives the OS error; the runtime does not panic. A panic in a
//!   closure reaches its `JoinHandle`, payload kept; the pool thread lives on.
//!
//! # Results and the runtime
//!
//! `spawn_blocking` queues the closure at once and spawns a local task that waits for
//! its result in a small `Send` slot (`slot.rs`); the pool thread fills it and wakes
//! the task through the executor's remote-wake path. Because the `JoinHandle` is an
//! ordinary task's, `abort`, [`AbortHandle`](wakeful_executor::AbortHandle) and
//! [`JoinSet`](wakeful_executor::JoinSet) work unchanged:
//!
//! - aborted (or its runtime dropped) **before the closure starts**: it never runs;
//! - aborted **after it started**: it runs to the end, and its result is dropped on
//!   the pool thread.
//!
//! Dropping a runtime with blocking work running does not wait for it: the work is
//! detached (smol's behaviour), queued closures of that runtime are dropped unrun (as
//! tokio's shutdown drops them), and running ones finish on their pool thread. The
//! jobs of [`fs`](crate::fs) run even when their future is dropped (tokio's
//! "mandatory" blocking tasks). Process exit does not wait for any of them.
//!
//! [`in_flight`] counts the jobs submitted from this thread that have not finished.
//! While a job of a runtime is out, that runtime's paused clock does not auto-advance
//! (each job holds an auto-advance inhibitor until its result's wake is delivered), so
//! a `timeout` around `spawn_blocking` under `start_paused` does not fire at once.
//!
//! # Differences from tokio
//!
//! - One pool per process rather than per runtime; set with [`set_max_threads`],
//!   [`set_keep_alive`], [`set_thread_stack_size`] (tokio's `Builder` options
//!   `max_blocking_threads`, `thread_keep_alive`, `thread_stack_size`) at any time.
//! - Dropping the runtime detaches running blocking work (tokio's `Runtime::drop`
//!   waits for it; `shutdown_timeout` / `shutdown_background` bound or skip the wait).
//! - The returned `JoinHandle` is `!Send`, as every wakeful handle (the closure and
//!   its result are `Send + 'static`, as in tokio).
//! - Outside a runtime, `spawn_blocking` panics, as tokio's does.
//!
//! [`JoinError`]: wakeful_executor::JoinError

mod pool;
mod slot;

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use wakeful_executor::JoinHandle;

pub use pool::{PoolStats, DEFAULT_KEEP_ALIVE, DEFAULT_MAX_THREADS};
pub(crate) use slot::{OnDrop, Receiver};

thread_local! {
    /// Jobs submitted from this thread and not yet finished (see [`in_flight`]).
    static IN_FLIGHT: Arc<AtomicUsize> = Arc::new(AtomicUsize::new(0));
}

/// Runs `f` on the blocking pool and returns a handle to its result.
///
/// The closure starts as soon as a pool thread is free (it does not wait for the
/// handle to be polled). Awaiting the handle gives `Ok(value)`, or a `JoinError`: a
/// panic in `f` (`is_panic()`, payload kept), an abort before `f` started
/// (`is_cancelled()`; `f` never runs), or no thread to run it (`is_panic()`, with a
/// `String` payload naming the OS error). See the [module docs](self) for abort,
/// runtime drop and the pool's bound.
///
/// # Panics
/// If no runtime is running on this thread (outside `block_on`), as
/// [`spawn`](wakeful_executor::spawn) does.
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if wakeful_executor::current_stats().is_none() {
        panic!(
            "wakeful::spawn_blocking called outside a runtime: call it inside block_on, or run the closure \
             on a thread of your own"
        );
    }
    let receiver = run(f, OnDrop::Cancel);
    wakeful_executor::spawn(async move {
        let receiver = match receiver {
            Ok(receiver) => receiver,
            Err(err) => {
                let message = format!("wakeful::spawn_blocking: no thread to run the closure: {err}");
                panic::resume_unwind(Box::new(message))
            }
        };
        match receiver.await {
            Ok(value) => value,
            // Re-raised inside the task: the executor turns it into the JoinError.
            Err(payload) => panic::resume_unwind(payload),
        }
    })
}

/// Queues `f` on the pool; the receiver resolves to its value or panic payload.
pub(crate) fn run<F, T>(f: F, on_drop: OnDrop) -> io::Result<Receiver<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let counter = IN_FLIGHT.try_with(Arc::clone).unwrap_or_default();
    let (sender, receiver) = slot::channel(on_drop, counter);
    let job = Box::new(move || {
        if sender.start() {
            let outcome = panic::catch_unwind(AssertUnwindSafe(f));
            sender.finish(outcome);
        }
    });
    match pool::pool().submit(job) {
        Ok(()) => Ok(receiver),
        Err((job, err)) => {
            drop(job);
            Err(err)
        }
    }
}

/// Runs the I/O closure `f` on the pool, for `fs`: a job that is started is never
/// cancelled (dropping the future detaches it, as tokio's `fs` does).
pub(crate) async fn unblock<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match run(f, OnDrop::Detach)?.await {
        Ok(result) => result,
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// Jobs submitted from this thread (by `spawn_blocking` or `fs`) that have not
/// finished: queued, or running on a pool thread.
///
/// A job is counted from its submission until its waiting task has taken the result,
/// or the pool thread is done with it after storing it and waking that task, whichever
/// comes first: so when this reads 0 every result is either taken or its task is in the
/// executor's queue, and a task that has awaited its job sees it no longer counted.
pub fn in_flight() -> usize {
    IN_FLIGHT.try_with(|count| count.load(Ordering::SeqCst)).unwrap_or(0)
}

/// Sets the bound on the pool's threads (default [`DEFAULT_MAX_THREADS`], or
/// `WAKEFUL_MAX_BLOCKING_THREADS`). Raising it starts threads for the jobs waiting;
/// lowering it below the live threads stops new ones until enough have exited.
///
/// # Errors
/// `InvalidInput` for 0: a pool without threads would never run a job.
pub fn set_max_threads(max: usize) -> io::Result<()> {
    if max == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "set_max_threads: the bound must be at least 1",
        ));
    }
    pool::pool().set_max_threads(max);
    Ok(())
}

/// Sets how long an idle thread waits for a job before it exits (default
/// [`DEFAULT_KEEP_ALIVE`]); applies to idle threads at once. `Duration::ZERO` exits a
/// thread as soon as the queue is empty; `Duration::MAX` keeps threads forever.
pub fn set_keep_alive(keep_alive: Duration) {
    pool::pool().set_keep_alive(keep_alive);
}

/// Sets the stack size of threads started from now on (std's default otherwise). A
/// size the OS refuses makes `spawn_blocking` fail as described in the module docs.
pub fn set_thread_stack_size(bytes: usize) {
    pool::pool().set_stack_size(Some(bytes));
}

/// A snapshot of the pool's threads and queue.
pub fn stats() -> PoolStats {
    pool::pool().stats()
}
