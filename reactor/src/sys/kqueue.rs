//! The BSD and macOS backend: `kqueue` for readiness, `EVFILT_USER` for cross-thread
//! wakeups.
//!
//! kqueue reports read and write readiness as separate events (filters) for the same
//! fd; both carry the source's token, and the reactor merges them into its cached bits.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;
use std::{cmp, ptr};

use super::UNPARK_TOKEN;
use crate::Readiness;

/// A kqueue. Closed on drop.
#[derive(Debug)]
pub(crate) struct Selector {
    kq: OwnedFd,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: kqueue takes no arguments; a non-negative result is a new fd.
        let fd = syscall!("kqueue", unsafe { libc::kqueue() })?;
        // SAFETY: `fd` was just returned by the kernel and is owned by no one else.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: F_SETFD on a live fd takes an integer argument, no pointers.
        syscall!("fcntl(F_SETFD)", unsafe { libc::fcntl(kq.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
        Ok(Selector { kq })
    }

    /// Watches `fd` with two filters, read and write, edge-triggered (`EV_CLEAR`).
    pub(crate) fn register(&self, fd: RawFd, token: u64) -> io::Result<()> {
        let flags = libc::EV_ADD | libc::EV_CLEAR | libc::EV_RECEIPT;
        let mut changes = [
            kevent(fd as usize, libc::EVFILT_READ, flags, 0, token),
            kevent(fd as usize, libc::EVFILT_WRITE, flags, 0, token),
        ];
        // EPIPE: a write filter on a pipe whose reader is gone. The read filter is in
        // place and the next write reports the broken pipe, so this is not an error.
        self.apply(&mut changes, &[libc::EPIPE], "kevent(EV_ADD)")
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let flags = libc::EV_DELETE | libc::EV_RECEIPT;
        let mut changes = [
            kevent(fd as usize, libc::EVFILT_READ, flags, 0, 0),
            kevent(fd as usize, libc::EVFILT_WRITE, flags, 0, 0),
        ];
        // ENOENT: that filter was never added (see EPIPE above); nothing to remove.
        self.apply(&mut changes, &[libc::ENOENT], "kevent(EV_DELETE)")
    }

    /// Submits `changes` with `EV_RECEIPT`: each comes back with its own errno in `data`.
    fn apply(&self, changes: &mut [libc::kevent], ignored: &[i32], what: &str) -> io::Result<()> {
        let n = changes.len() as libc::c_int;
        // SAFETY: `changes` is both the change list and the receipt list; the kernel
        // reads `n` entries and writes back at most `n`, all within the slice.
        syscall!(what, unsafe {
            libc::kevent(self.kq.as_raw_fd(), changes.as_ptr(), n, changes.as_mut_ptr(), n, ptr::null())
        })?;
        for change in changes.iter() {
            let errno = change.data as i32;
            if change.flags & libc::EV_ERROR != 0 && errno != 0 && !ignored.contains(&errno) {
                let err = io::Error::from_raw_os_error(errno);
                return Err(crate::syscall_error(err, what));
            }
        }
        Ok(())
    }

    /// Waits for events; `EINTR` returns with none (a signal is a spurious wakeup).
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.list.clear();
        let timespec = timeout.map(|t| libc::timespec {
            tv_sec: cmp::min(t.as_secs(), libc::time_t::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let timespec_ptr = timespec.as_ref().map_or(ptr::null(), |t| t as *const _);
        let capacity = events.list.capacity().min(libc::c_int::MAX as usize) as libc::c_int;
        // SAFETY: no changes are submitted; the kernel writes at most `capacity`
        // entries into the vector's spare capacity; `timespec_ptr` is null or points
        // to a live local.
        let n = syscall!("kevent(wait)", unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                ptr::null(),
                0,
                events.list.as_mut_ptr(),
                capacity,
                timespec_ptr,
            )
        });
        match n {
            // SAFETY: kevent initialised the first `n` entries (n ≤ capacity).
            Ok(n) => unsafe { events.list.set_len(n as usize) },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// Builds a `kevent`; the struct's field types differ between the BSDs, hence `as _`.
fn kevent(ident: usize, filter: i16, flags: u16, fflags: u32, token: u64) -> libc::kevent {
    // SAFETY: `kevent` is a plain C struct for which all-zero bytes are a valid value.
    let mut ev: libc::kevent = unsafe { std::mem::zeroed() };
    ev.ident = ident as _;
    ev.filter = filter as _;
    ev.flags = flags as _;
    ev.fflags = fflags as _;
    ev.udata = token as usize as _;
    ev
}

/// A buffer of events filled by one [`Selector::select`].
pub(crate) struct Events {
    list: Vec<libc::kevent>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").field("len", &self.list.len()).finish()
    }
}

impl Events {
    pub(crate) fn with_capacity(capacity: usize) -> Events {
        Events { list: Vec::with_capacity(capacity) }
    }

    /// Forgets the last wait's events (for a turn that does not wait).
    pub(crate) fn clear(&mut self) {
        self.list.clear();
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, Readiness)> + '_ {
        self.list.iter().map(|e| (e.udata as usize as u64, readiness(e)))
    }
}

fn readiness(ev: &libc::kevent) -> Readiness {
    let mut ready = Readiness::EMPTY;
    let eof = ev.flags & libc::EV_EOF != 0;
    if ev.filter == libc::EVFILT_READ {
        ready |= Readiness::READABLE;
        if eof {
            ready |= Readiness::READ_CLOSED;
        }
    }
    if ev.filter == libc::EVFILT_WRITE {
        ready |= Readiness::WRITABLE;
        if eof {
            ready |= Readiness::WRITE_CLOSED;
        }
    }
    // With EV_EOF a non-zero `fflags` is the socket's pending error.
    if ev.flags & libc::EV_ERROR != 0 || (eof && ev.fflags != 0) {
        ready |= Readiness::ERROR;
    }
    ready
}

/// An `EVFILT_USER` event on a duplicate of the kqueue fd, so that the unparker may
/// outlive the selector without ever touching a reused fd number. `EV_CLEAR` resets
/// the event when it is reported: nothing to read.
#[derive(Debug)]
pub(crate) struct Unparker {
    kq: OwnedFd,
}

impl Unparker {
    pub(crate) fn new(selector: &Selector) -> io::Result<Unparker> {
        // SAFETY: F_DUPFD_CLOEXEC on a live fd takes an integer argument; a
        // non-negative result is a new fd owned by no one else.
        let fd = syscall!("fcntl(F_DUPFD_CLOEXEC)", unsafe {
            libc::fcntl(selector.kq.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0)
        })?;
        // SAFETY: `fd` was just returned by the kernel and is owned by no one else.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        let flags = libc::EV_ADD | libc::EV_CLEAR | libc::EV_RECEIPT;
        let mut change = [kevent(0, libc::EVFILT_USER, flags, 0, UNPARK_TOKEN)];
        selector.apply(&mut change, &[], "kevent(EVFILT_USER add)")?;
        Ok(Unparker { kq })
    }

    pub(crate) fn unpark(&self) -> io::Result<()> {
        let change = kevent(0, libc::EVFILT_USER, 0, libc::NOTE_TRIGGER, UNPARK_TOKEN);
        // SAFETY: submits one change read from a live local; no event list.
        syscall!("kevent(NOTE_TRIGGER)", unsafe {
            libc::kevent(self.kq.as_raw_fd(), &change, 1, ptr::null_mut(), 0, ptr::null())
        })?;
        Ok(())
    }
}
