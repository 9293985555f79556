//! wakeful's executor: single-threaded, waker-based, and free of syscalls of its own.
//!
//! It runs `'static` futures that need not be `Send` as *tasks*, each one heap
//! allocation, and waits through a [`Park`] when none is ready — the facade plugs in
//! the reactor; [`ThreadPark`] needs nothing but std (and runs under Miri).
//!
//! # The life of a task
//!
//! ```text
//!   spawn ──(1)──► queued ──(2)──► polling ──(3)──► waiting ──(4)──► queued ──► …
//!                    ▲                │   │
//!                    └──────(5)───────┘   └──(6)──► complete ──(7)──► freed
//! ```
//!
//! The names in the diagram are not stored as such. What is stored, and where:
//!
//! | in the diagram | `SCHEDULED` bit | `COMPLETE` bit | what else says so |
//! |----------------|-----------------|----------------|-------------------|
//! | queued         | set (or the header's `queued_local`, for a wake on the runtime's thread) | clear | one entry per flag in the ready or the remote queue (`src/queue.rs`), holding a reference |
//! | polling        | clear           | clear          | nothing: the run loop is inside this task's poll (`run` in `src/runtime.rs`) |
//! | waiting        | clear           | clear          | nothing: whatever the task waits on holds a clone of its waker |
//! | complete       | ignored (left as it was) | set   | the stage is `Finished` or `Consumed` (`src/task.rs`) |
//! | freed          | —               | —              | the reference count in the same word reached zero |
//!
//! Both bits and the reference count are the one atomic word of `src/state.rs`. An
//! abort is not a state of its own: `JoinHandle::abort` sets the header's `cancelled`
//! flag (`src/task.rs`, runtime thread only) and wakes the task, and its next turn in
//! the run loop takes edge (6) without a poll. Likewise `detached` (the handle was
//! dropped) only says what becomes of the output.
//!
//! 1. [`spawn`] allocates the task (`src/task.rs`) with `SCHEDULED` set and pushes
//!    it onto the ready queue (`src/queue.rs`).
//! 2. The run loop ([`Runtime::block_on`]) pops it, clears `queued_local` or else
//!    `SCHEDULED` (`State::start_poll`) and polls the future with a waker that borrows
//!    the queue's reference (`src/waker.rs`), lending that reference to the first
//!    clone of the waker (`PollRef` in `src/task.rs`).
//! 3. The future returns `Pending`, having stored a clone of the waker with whatever
//!    it waits on (a socket's slot in the reactor, a timer, a channel).
//! 4. `Waker::wake` → `wake_by_val` (`src/scheduler.rs`) → ready queue: the local
//!    queue on the runtime's thread, with no atomic operation; from another thread the remote queue plus
//!    [`Unpark::unpark`], which ends the runtime's park. A task is queued at most
//!    once per flag (local, remote), however many wakes.
//! 5. A wake *during* the poll queues it again at once (its flag was cleared first).
//! 6. `Ready`, a panic (caught, reported as [`JoinError`]), or
//!    [`JoinHandle::abort`] completes it: `COMPLETE` is set, and its [`JoinHandle`]
//!    is woken.
//! 7. When the last reference (live list, handle, wakers, queue entries) is dropped,
//!    the allocation is freed. Wakes after completion are no-ops.
//!
//! Every `event_interval` polls (default 61) the loop parks for zero time, so that
//! I/O and timers get their turn even when some task is always ready — or, when the
//! last turn left more tasks queued than that, once those have run (at most 1024
//! polls), as a turn sooner could not make a task it wakes run sooner; the ready queue
//! is FIFO, so a task that wakes itself forever lets every other task run in between;
//! and a task whose I/O is always ready yields once its [`coop`] budget is spent.
//!
//! Dropping the [`Runtime`] drops every unfinished future on its thread.
//!
//! # Seeing inside
//!
//! Every task has an id, the spawn location, maybe a name, and counters of polls and
//! wakes by kind; [`Runtime::tasks`] (or [`task::tasks`] from inside) lists them.
//! With [`Builder::measure_polls`] (on in debug builds) each poll is timed — the
//! executor's only clock reads — and a poll longer than
//! [`Builder::long_poll_threshold`] is sent as a [`Report`] to
//! [`Builder::on_report`]'s hook (default: a line on stderr).
//!
//! [`Runtime::dump`] (or [`task::dump()`]) lists what each task waits on: who holds its
//! wakers — holders the caller lists (the facade passes the reactor's, in words),
//! other tasks' `JoinHandle`s, wakers held elsewhere (counted from the reference
//! count), or none at all. The lost-waker detector ([`Builder::detect_lost_wakers`],
//! on in debug builds) reports a task that returned `Pending` with none, once.
//!
//! # Files, bottom up
//!
//! Each file uses only files listed before it, except `task` and `scheduler`, which
//! use each other (a task holds its runtime's inbox; the scheduler queues tasks):
//!
//! 1. leaves: `sync` (std's atomics, or loom's), `unwind`, `join_error`, `park`
//!    ([`Park`], [`Unpark`]), `stats`, [`coop`], `report` ([`Report`]: what the
//!    detectors found, and the hook it goes to);
//! 2. `state`: the atomic word of a task;
//! 3. `task` ⇄ `scheduler` (where a woken task goes; which runtime this thread
//!    drives), with the scheduler's tables `queue` and `live`; under `task/`, what
//!    users see of a task: `id` ([`task::Id`], [`task::id`]), `info` (per-task
//!    counters, [`task::TaskInfo`] records) and `builder` ([`task::Builder`]: names);
//!    `measure`: timing polls, and the long-poll detector; `task/dump`: who holds a
//!    task's wakers, and [`task::Dump`]; `lost`: the lost-waker detector;
//! 4. `waker`: the `RawWakerVTable`, on top of `scheduler::wake_by_val` and its kin;
//! 5. `abort_handle` ([`AbortHandle`]), then `join`: [`JoinHandle`], then `join_set`:
//!    [`JoinSet`], on top of the handle and [`spawn`];
//! 6. `runtime`: the run loop, [`Runtime`], [`Builder`], [`spawn`], and what becomes
//!    of a task on the runtime's thread (polled, completed, dropped at shutdown);
//!    then `step`: the loop one unit at a time, each reported ([`Runtime::step`]).
//!
//! # Panics in user code
//!
//! A panic in a task's `poll` completes the task: its handle gets a [`JoinError`]
//! with the payload. The other user code that the runtime runs on its own behalf —
//! dropping a future, an output or a panic payload, waking or dropping the waker a
//! [`JoinHandle`] stored — runs after the runtime's bookkeeping, outside any borrow
//! of its tables, with a panic contained (`src/unwind.rs`): the panic hook reports
//! it, each value is still dropped exactly once, and the runtime runs on. A payload
//! whose `Drop` panics again is dropped in turn; one that keeps panicking is leaked
//! rather than unwound. Panics in code the caller runs itself propagate to the caller:
//! the `block_on` future, a [`Park`], the `clone` of the waker passed to
//! `JoinHandle::poll`.
//!
//! ```
//! use wakeful_executor::{spawn, yield_now, Runtime};
//!
//! let rt = Runtime::new();
//! let sum = rt.block_on(async {
//!     let tasks: Vec<_> = (0..10).map(|i| spawn(async move { yield_now().await; i })).collect();
//!     let mut sum = 0;
//!     for task in tasks {
//!         sum += task.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(sum, 45);
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

mod abort_handle;
mod builder;
pub mod coop;
mod join;
mod join_error;
mod join_set;
mod live;
#[cfg(all(test, loom))]
mod loom_tests;
mod lost;
mod measure;
mod park;
mod queue;
mod report;
mod runtime;
mod scheduler;
mod state;
mod stats;
mod step;
mod sync;
pub mod task;
pub mod trace;
mod unwind;
mod waker;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use abort_handle::AbortHandle;
pub use builder::Builder;
pub use join::JoinHandle;
pub use join_error::JoinError;
pub use join_set::JoinSet;
pub use park::{Park, ThreadPark, Unpark};
pub use report::{LongPoll, LostWaker, Report};
pub use runtime::{current_stats, spawn, Runtime, DEFAULT_EVENT_INTERVAL};
pub use stats::Stats;
pub use step::{PollOutcome, Polled, RunUntilStalled, Step, WokenTask, RUN_UNTIL_STALLED_MAX_POLLS};

/// Runs `future` to completion on a new [`Runtime`] without I/O.
pub fn block_on<F: Future>(future: F) -> F::Output {
    Runtime::new().block_on(future)
}

/// Gives the other ready tasks a turn: wakes itself and returns `Pending` once.
/// Cancel-safe.
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
