//! The Linux backend: `epoll` for readiness, an `eventfd` for cross-thread wakeups.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{timeout_millis, NOTIFY_TOKEN};
use crate::Readiness;

/// An epoll instance. Closed on drop.
#[derive(Debug)]
pub(crate) struct Selector {
    epfd: OwnedFd,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: epoll_create1 takes no pointers; a non-negative result is a new fd
        // that nothing else owns, so wrapping it in `OwnedFd` is the only owner.
        let fd = syscall!("epoll_create1", unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` was just returned by the kernel and is owned by no one else.
        let epfd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Selector { epfd })
    }

    /// Watches `fd` for read, write and peer half-close, edge-triggered.
    pub(crate) fn register(&self, fd: RawFd, token: u64) -> io::Result<()> {
        let flags = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET;
        self.ctl(libc::EPOLL_CTL_ADD, fd, flags as u32, token, "epoll_ctl(ADD)")
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0, "epoll_ctl(DEL)")
    }

    fn ctl(&self, op: i32, fd: RawFd, events: u32, token: u64, what: &str) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        // SAFETY: `epfd` is a live epoll fd; `event` is a valid epoll_event that the
        // kernel only reads during the call (Linux ≥ 2.6.9 ignores it for DEL).
        syscall!(what, unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut event) })?;
        Ok(())
    }

    /// Waits for events; `EINTR` returns with none (a signal is a spurious wakeup).
    pub(crate) fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.list.clear();
        let capacity = events.list.capacity().min(libc::c_int::MAX as usize) as libc::c_int;
        // SAFETY: the kernel writes at most `capacity` entries into the vector's spare
        // capacity, which is allocated and exclusively borrowed for the call.
        let n = syscall!("epoll_wait", unsafe {
            libc::epoll_wait(
                self.epfd.as_raw_fd(),
                events.list.as_mut_ptr(),
                capacity,
                timeout_millis(timeout),
            )
        });
        match n {
            // SAFETY: epoll_wait initialised the first `n` entries (n ≤ capacity).
            Ok(n) => unsafe { events.list.set_len(n as usize) },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// A buffer of events filled by one [`Selector::select`].
pub(crate) struct Events {
    list: Vec<libc::epoll_event>,
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

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, Readiness)> + '_ {
        self.list.iter().map(|e| (e.u64, readiness(e.events as libc::c_int)))
    }
}

fn readiness(events: libc::c_int) -> Readiness {
    let mut ready = Readiness::EMPTY;
    // EPOLLPRI (out-of-band data) counts as readable, as a read will see it.
    if events & (libc::EPOLLIN | libc::EPOLLPRI) != 0 {
        ready |= Readiness::READABLE;
    }
    if events & libc::EPOLLOUT != 0 {
        ready |= Readiness::WRITABLE;
    }
    // EPOLLHUP: both directions are shut (or a pipe's writer is gone).
    if events & libc::EPOLLHUP != 0 {
        ready |= Readiness::READ_CLOSED | Readiness::WRITE_CLOSED;
    }
    if events & libc::EPOLLRDHUP != 0 {
        ready |= Readiness::READ_CLOSED;
    }
    if events & libc::EPOLLERR != 0 {
        ready |= Readiness::ERROR;
    }
    ready
}

/// An `eventfd` registered with the selector, level-triggered, under [`NOTIFY_TOKEN`].
#[derive(Debug)]
pub(crate) struct Notifier {
    fd: OwnedFd,
}

impl Notifier {
    pub(crate) fn new(selector: &Selector) -> io::Result<Notifier> {
        // SAFETY: eventfd takes no pointers; a non-negative result is a new fd.
        let fd = syscall!("eventfd", unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: `fd` was just returned by the kernel and is owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // Level-triggered: the event repeats until `drain` reads the counter.
        selector.ctl(
            libc::EPOLL_CTL_ADD,
            fd.as_raw_fd(),
            libc::EPOLLIN as u32,
            NOTIFY_TOKEN,
            "epoll_ctl(ADD eventfd)",
        )?;
        Ok(Notifier { fd })
    }

    pub(crate) fn notify(&self) -> io::Result<()> {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live local to a live eventfd.
        match syscall!("write(eventfd)", unsafe {
            libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8)
        }) {
            // EAGAIN: the counter is at its maximum, so the fd is readable already and
            // the selector will wake; nothing is lost.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
            Ok(_) => Ok(()),
        }
    }

    pub(crate) fn drain(&self) -> io::Result<()> {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live local from a live eventfd.
        match syscall!("read(eventfd)", unsafe {
            libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8)
        }) {
            // EAGAIN: already drained by an earlier turn; the event was stale.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
            Ok(_) => Ok(()),
        }
    }
}
