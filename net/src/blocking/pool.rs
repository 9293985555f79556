//! The process's pool of blocking threads: a FIFO queue of jobs under one mutex,
//! threads started on demand up to a bound, and reaped after an idle keep-alive.
//!
//! No user code runs under the mutex: a job is popped, the lock released, then run.
//! A job never unwinds into the worker loop ([`contain`]), so a panic in user code
//! costs no thread and leaves the counters right.

use std::any::Any;
use std::collections::VecDeque;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// A unit of work: the user's closure wrapped with its result slot.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// Threads at most, unless `WAKEFUL_MAX_BLOCKING_THREADS` or `set_max_threads` says
/// otherwise (tokio's default).
pub const DEFAULT_MAX_THREADS: usize = 512;
/// How long an idle thread waits for work before it exits (tokio's default).
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);
/// The environment variable read once, when the pool is first used.
const MAX_THREADS_ENV: &str = "WAKEFUL_MAX_BLOCKING_THREADS";

pub(crate) struct Pool {
    state: Mutex<State>,
    /// Signalled once per job pushed while some thread is idle, and when the settings
    /// change (an idle thread re-reads its keep-alive).
    work: Condvar,
}

struct State {
    /// Jobs not yet taken by a thread, oldest first.
    queue: VecDeque<Job>,
    /// Threads started and not yet exited (running a job or idle).
    threads: usize,
    /// Threads waiting on `work`.
    idle: usize,
    max_threads: usize,
    keep_alive: Duration,
    /// For `thread::Builder::stack_size`; `None` is std's default.
    stack_size: Option<usize>,
    /// Threads ever started, which numbers their names `wakeful-blocking-N`.
    started: u64,
}

/// A snapshot of the pool, for tests and monitoring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Threads alive: running a job or idle.
    pub threads: usize,
    /// Threads waiting for work.
    pub idle: usize,
    /// Jobs waiting for a thread.
    pub queued: usize,
    /// Threads ever started.
    pub started: u64,
}

/// The one pool of the process, created on first use.
pub(crate) fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            threads: 0,
            idle: 0,
            max_threads: max_threads_from_env(),
            keep_alive: DEFAULT_KEEP_ALIVE,
            stack_size: None,
            started: 0,
        }),
        work: Condvar::new(),
    })
}

/// The bound from the environment: a positive integer, else the default.
fn max_threads_from_env() -> usize {
    std::env::var(MAX_THREADS_ENV)
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_MAX_THREADS)
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No user code runs under the lock, so it is never poisoned in practice; if
        // it were, the state is still consistent (every update is a single step).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `job`, starting a thread if no idle one is left to take it and the
    /// bound allows. Fails, handing the job back, only if no thread is alive to ever
    /// run it and the OS refused to start one.
    pub(crate) fn submit(&'static self, job: Job) -> Result<(), (Job, io::Error)> {
        let mut state = self.lock();
        state.queue.push_back(job);
        if state.idle > 0 {
            // Each push while a thread is idle signals one.
            self.work.notify_one();
        }
        match self.start_threads(&mut state) {
            Ok(()) => Ok(()),
            Err(err) if state.threads == 0 => {
                let job = state.queue.pop_back().expect("the job just pushed");
                Err((job, err))
            }
            Err(_) => Ok(()), // a live thread will take it in turn
        }
    }

    /// Starts threads while more jobs wait than idle threads can take, up to the
    /// bound. Spawned under the lock, so `threads` is exact; a new thread blocks on
    /// the lock until the caller releases it.
    fn start_threads(&'static self, state: &mut State) -> io::Result<()> {
        while state.queue.len() > state.idle && state.threads < state.max_threads {
            let mut builder = thread::Builder::new().name(format!("wakeful-blocking-{}", state.started + 1));
            if let Some(size) = state.stack_size {
                builder = builder.stack_size(size);
            }
            // An idle thread counts as taking one job: a new one is for the rest.
            builder.spawn(move || self.work_loop())?;
            state.threads += 1;
            state.started += 1;
            state.idle += 1; // it takes a job as soon as it gets the lock
        }
        Ok(())
    }

    /// A worker: takes jobs until none comes for `keep_alive`, then exits.
    fn work_loop(&'static self) {
        let mut state = self.lock();
        state.idle -= 1; // counted as idle by `start_threads` until now
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                contain(job);
                state = self.lock();
                continue;
            }
            // Idle: wait for a job, re-reading the keep-alive after each wake so that
            // `set_keep_alive` applies to threads already waiting.
            let idle_since = Instant::now();
            state.idle += 1;
            let expired = loop {
                if !state.queue.is_empty() {
                    break false;
                }
                let waited = idle_since.elapsed();
                if waited >= state.keep_alive {
                    break true;
                }
                let rest = state.keep_alive - waited;
                state = self.work.wait_timeout(state, rest).unwrap_or_else(PoisonError::into_inner).0;
            };
            state.idle -= 1;
            if expired {
                state.threads -= 1;
                return;
            }
        }
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let state = self.lock();
        PoolStats {
            threads: state.threads,
            idle: state.idle,
            queued: state.queue.len(),
            started: state.started,
        }
    }

    pub(crate) fn set_max_threads(&'static self, max: usize) {
        let mut state = self.lock();
        state.max_threads = max;
        // Jobs that waited for the old bound start now if the new one allows; if the
        // OS refuses a thread, they wait for the ones alive (some are: they waited).
        let _ = self.start_threads(&mut state);
    }

    pub(crate) fn set_keep_alive(&self, keep_alive: Duration) {
        self.lock().keep_alive = keep_alive;
        self.work.notify_all();
    }

    pub(crate) fn set_stack_size(&self, size: Option<usize>) {
        self.lock().stack_size = size;
    }
}

/// Runs `f`, catching a panic and dropping its payload without unwinding (a payload
/// whose `Drop` panics again is dropped in turn a few times, then leaked).
pub(crate) fn contain(f: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
        drop_payload(payload);
    }
}

pub(crate) fn drop_payload(mut payload: Box<dyn Any + Send>) {
    for _ in 0..4 {
        match panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(next) => payload = next,
        }
    }
    std::mem::forget(payload);
}
