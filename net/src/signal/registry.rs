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
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::Waker;

use wakeful_reactor::syscall;

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
    let (read, write) = self_pipe()?;
    let globals = GLOBALS.get_or_init(|| {
        PIPE_WRITE.store(write.as_raw_fd(), Ordering::SeqCst);
        Globals { read, _write: write, installed: Mutex::new([false; MAX_SIGNAL]) }
    });
    Ok(globals)
}

/// A non-blocking, close-on-exec pipe.
fn self_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe writes.
    syscall!("pipe", unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: both fds were just returned by the kernel and are owned by no one else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    for fd in [&read, &write] {
        // SAFETY: fcntl with integer arguments on a live fd.
        unsafe {
            syscall!("fcntl(F_SETFD)", libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
            let flags = syscall!("fcntl(F_GETFL)", libc::fcntl(fd.as_raw_fd(), libc::F_GETFL))?;
            syscall!("fcntl(F_SETFL)", libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK))?;
        }
    }
    Ok((read, write))
}

extern "C" fn on_signal(signal: libc::c_int) {
    // Async-signal-safe only: atomics and write(2). errno is saved and restored, so
    // that the interrupted code never sees it change.
    let saved = io::Error::last_os_error().raw_os_error();
    if let Some(count) = DELIVERIES.get(signal as usize) {
        count.fetch_add(1, Ordering::SeqCst);
    }
    let fd = PIPE_WRITE.load(Ordering::SeqCst);
    if fd >= 0 {
        // EAGAIN: the pipe is full, so it is readable already and listeners will
        // wake; the counter above is what they read. Nothing is lost.
        // SAFETY: writes one byte from a static to a live pipe.
        unsafe { libc::write(fd, b"s".as_ptr().cast(), 1) };
    }
    if let Some(errno) = saved {
        set_errno(errno);
    }
}

fn set_errno(errno: i32) {
    // SAFETY: the errno location is this thread's, valid for its life.
    unsafe {
        #[cfg(target_os = "linux")]
        {
            *libc::__errno_location() = errno;
        }
        #[cfg(target_os = "android")]
        {
            *libc::__errno() = errno;
        }
        #[cfg(any(target_os = "freebsd", target_os = "macos", target_os = "ios"))]
        {
            *libc::__error() = errno;
        }
        #[cfg(target_os = "openbsd")]
        {
            *libc::__errno() = errno;
        }
    }
}

/// Installs the handler for `signal` (once per process), and returns a duplicate of
/// the self-pipe's read end and the signal's delivery count so far.
pub(crate) fn listen(signal: i32) -> io::Result<(OwnedFd, u64)> {
    if signal <= 0 || signal as usize >= MAX_SIGNAL || FORBIDDEN.contains(&signal) {
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
        install(signal)?;
        installed[signal as usize] = true;
    }
    drop(installed);
    let seen = DELIVERIES[signal as usize].load(Ordering::SeqCst);
    Ok((dup(globals.read.as_raw_fd())?, seen))
}

/// Signals that cannot be caught, or whose handler must not return.
const FORBIDDEN: [i32; 6] =
    [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

fn install(signal: i32) -> io::Result<()> {
    // SAFETY: all-zero is a valid `sigaction`; the fields we need are set below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `sa_mask` is a live sigset; `action` is fully initialised and the
    // handler only does async-signal-safe work.
    unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        syscall!(format!("sigaction({signal})"), libc::sigaction(signal, &action, std::ptr::null_mut()))?;
    }
    Ok(())
}

fn dup(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC on a live fd; a non-negative result is a new fd.
    let new = syscall!("fcntl(F_DUPFD_CLOEXEC)", unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })?;
    // SAFETY: `new` was just returned by the kernel and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
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
