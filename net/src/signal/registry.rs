//! The process-wide half of signal handling: one `sigaction` handler per signal,
//! delivery counters, and a self-pipe that wakes every runtime's listeners.
//!
//! A signal handler may only do async-signal-safe things. Ours does two: bump the
//! signal's delivery counter (an atomic), and write one byte to the self-pipe (a
//! `write(2)`). Listeners own a duplicate of the pipe's read end, registered with their
//! reactor: the byte wakes them, and they compare the counter with what they saw.
//!
//! The pipe is shared, so the first listener to drain it takes the byte meant for all
//! of them — and epoll drops an event whose fd is no longer readable when a busy
//! runtime finally collects it. So whoever drains the pipe also wakes every waiting
//! listener, through the [`WAITERS`] list, on whatever runtime it is.

use std::collections::HashMap;
use std::ffi::c_int;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::Waker;

use crate::sys::{self, fd};

/// Signal numbers are below this on every supported OS (Linux has 64, with realtime).
pub(crate) const MAX_SIGNAL: usize = 65;

/// How often each signal was delivered since its handler was installed.
static DELIVERIES: [AtomicU64; MAX_SIGNAL] = [const { AtomicU64::new(0) }; MAX_SIGNAL];

/// The self-pipe's write end, read by the handler (which may not take locks).
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

struct Globals {
    /// The self-pipe's read end; listeners register duplicates of it.
    read: OwnedFd,
    /// The write end, kept open for the life of the process.
    _write: OwnedFd,
    /// Which signals have our handler installed.
    installed: Mutex<[bool; MAX_SIGNAL]>,
}

fn globals() -> io::Result<&'static Globals> {
    static GLOBALS: OnceLock<Globals> = OnceLock::new();
    if let Some(globals) = GLOBALS.get() {
        return Ok(globals);
    }
    let (read, write) = sys::signal::self_pipe()?;
    let globals = GLOBALS.get_or_init(|| {
        PIPE_WRITE.store(write.as_raw_fd(), Ordering::SeqCst);
        Globals { read, _write: write, installed: Mutex::new([false; MAX_SIGNAL]) }
    });
    Ok(globals)
}

extern "C" fn on_signal(signal: c_int) {
    // Async-signal-safe only: an atomic counter and write(2) (see `sys/signal.rs`).
    sys::signal::preserving_errno(|| {
        if let Some(count) = DELIVERIES.get(signal as usize) {
            count.fetch_add(1, Ordering::SeqCst);
        }
        let pipe = PIPE_WRITE.load(Ordering::SeqCst);
        if pipe >= 0 {
            sys::signal::write_wake_byte(pipe);
        }
    });
}

/// Installs the handler for `signal` (once per process), and returns a duplicate of
/// the self-pipe's read end and the signal's delivery count so far.
pub(crate) fn listen(signal: i32) -> io::Result<(OwnedFd, u64)> {
    if signal <= 0 || signal as usize >= MAX_SIGNAL || !sys::signal::may_catch(signal) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "signal {signal} cannot be listened for (it is invalid, or it cannot or must not be caught)"
            ),
        ));
    }
    let globals = globals()?;
    let mut installed = globals.installed.lock().unwrap_or_else(|e| e.into_inner());
    if !installed[signal as usize] {
        sys::signal::install(signal, on_signal)?;
        installed[signal as usize] = true;
    }
    drop(installed);
    let seen = DELIVERIES[signal as usize].load(Ordering::SeqCst);
    Ok((fd::dup_cloexec(globals.read.as_raw_fd())?, seen))
}

/// Listeners waiting for a delivery, by listener id: woken by whoever drains the pipe.
static WAITERS: Mutex<Option<HashMap<u64, Waker>>> = Mutex::new(None);

/// Records `waker` as listener `id`'s, unless it is already. Wakers are cloned and
/// dropped outside the lock: both run the waker's own code, which may come back here.
pub(crate) fn wait(id: u64, waker: &Waker) {
    let stored = lock_waiters().as_ref().and_then(|w| w.get(&id).map(|stored| stored.will_wake(waker)));
    if stored == Some(true) {
        return;
    }
    let waker = waker.clone();
    let replaced = lock_waiters().get_or_insert_with(HashMap::new).insert(id, waker);
    drop(replaced);
}

/// Forgets listener `id` (dropped).
pub(crate) fn forget(id: u64) {
    let removed = lock_waiters().as_mut().and_then(|waiters| waiters.remove(&id));
    drop(removed);
}

fn lock_waiters() -> std::sync::MutexGuard<'static, Option<HashMap<u64, Waker>>> {
    // No user code runs under this lock, so a poisoned lock's data is intact.
    WAITERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wakes every waiting listener (they re-check their counters); called after draining
/// the pipe. Wakers are woken outside the lock.
pub(crate) fn wake_all() {
    let woken: Vec<Waker> = match lock_waiters().as_mut() {
        Some(waiters) => waiters.drain().map(|(_, waker)| waker).collect(),
        None => return,
    };
    woken.into_iter().for_each(Waker::wake);
}

/// A new listener id.
pub(crate) fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Deliveries of `signal` so far.
pub(crate) fn deliveries(signal: i32) -> u64 {
    DELIVERIES[signal as usize].load(Ordering::SeqCst)
}
