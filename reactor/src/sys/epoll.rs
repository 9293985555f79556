//! The Linux backend: `epoll` for readiness, an `eventfd` for cross-thread wakeups.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{timeout_millis, UNPARK_TOKEN};
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

    /// Watches `fd` for read, write, urgent data and peer half-close, edge-triggered.
    pub(crate) fn register(&self, fd: RawFd, token: u64) -> io::Result<()> {
        let flags = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLPRI | libc::EPOLLRDHUP | libc::EPOLLET;
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
        let n = match timeout {
            Some(t) if !t.is_zero() && PRECISE_WAIT.load(Ordering::Relaxed) => {
                self.wait_precise(events, capacity, t)
            }
            _ => self.wait(events, capacity, timeout),
        };
        match n {
            // SAFETY: epoll_wait initialised the first `n` entries (n ≤ capacity).
            Ok(n) => unsafe { events.list.set_len(n as usize) },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// Whether `epoll_pwait2` works here. It takes a `timespec`, so a wait for a timer
/// ends on its deadline rather than on the next whole millisecond; kernels before 5.11
/// (ENOSYS) and some sandboxes (EPERM) refuse it once, and `epoll_wait` takes over.
static PRECISE_WAIT: AtomicBool = AtomicBool::new(cfg!(target_os = "linux"));

impl Selector {
    fn wait(
        &self,
        events: &mut Events,
        capacity: libc::c_int,
        timeout: Option<Duration>,
    ) -> io::Result<libc::c_int> {
        // SAFETY: the kernel writes at most `capacity` entries into the vector's spare
        // capacity, which is allocated and exclusively borrowed for the call.
        syscall!("epoll_wait", unsafe {
            libc::epoll_wait(
                self.epfd.as_raw_fd(),
                events.list.as_mut_ptr(),
                capacity,
                timeout_millis(timeout),
            )
        })
    }

    #[cfg(target_os = "linux")]
    fn wait_precise(
        &self,
        events: &mut Events,
        capacity: libc::c_int,
        timeout: Duration,
    ) -> io::Result<libc::c_int> {
        let timespec = libc::timespec {
            tv_sec: timeout.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as _,
        };
        // SAFETY: as in `wait`; `timespec` is a live local read by the kernel, and a
        // null signal mask means "leave the mask alone", as epoll_wait does.
        let n = syscall!("epoll_pwait2", unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                self.epfd.as_raw_fd(),
                events.list.as_mut_ptr(),
                capacity,
                &timespec as *const libc::timespec,
                ptr::null::<libc::sigset_t>(),
                0,
            )
        });
        match n {
            Err(e) if matches!(crate::errno(&e), Some(libc::ENOSYS | libc::EPERM)) => {
                PRECISE_WAIT.store(false, Ordering::Relaxed);
                self.wait(events, capacity, Some(timeout))
            }
            n => n.map(|n| n as libc::c_int),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn wait_precise(
        &self,
        events: &mut Events,
        capacity: libc::c_int,
        timeout: Duration,
    ) -> io::Result<libc::c_int> {
        self.wait(events, capacity, Some(timeout))
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

    /// Forgets the last wait's events (for a turn that does not wait).
    pub(crate) fn clear(&mut self) {
        self.list.clear();
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, Readiness)> + '_ {
        self.list.iter().map(|e| (e.u64, readiness(e.events as libc::c_int)))
    }
}

fn readiness(events: libc::c_int) -> Readiness {
    let mut ready = Readiness::EMPTY;
    if events & libc::EPOLLIN != 0 {
        ready |= Readiness::READABLE;
    }
    // Urgent data: readable, and a read may stop short at the urgent mark.
    if events & libc::EPOLLPRI != 0 {
        ready |= Readiness::READABLE | Readiness::PRIORITY;
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

/// An `eventfd` registered with the selector, edge-triggered, under [`UNPARK_TOKEN`].
///
/// Every write makes a new edge, so the counter need not be read between wakeups; it
/// is reset only in the (theoretical) case that it fills up.
#[derive(Debug)]
pub(crate) struct Unparker {
    fd: OwnedFd,
}

impl Unparker {
    pub(crate) fn new(selector: &Selector) -> io::Result<Unparker> {
        // SAFETY: eventfd takes no pointers; a non-negative result is a new fd.
        let fd = syscall!("eventfd", unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: `fd` was just returned by the kernel and is owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let flags = (libc::EPOLLIN | libc::EPOLLET) as u32;
        selector.ctl(libc::EPOLL_CTL_ADD, fd.as_raw_fd(), flags, UNPARK_TOKEN, "epoll_ctl(ADD eventfd)")?;
        Ok(Unparker { fd })
    }

    pub(crate) fn unpark(&self) -> io::Result<()> {
        let one: u64 = 1;
        loop {
            // SAFETY: writes 8 bytes from a live local to a live eventfd.
            let written = syscall!("write(eventfd)", unsafe {
                libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8)
            });
            match written {
                // EAGAIN: the counter is full. Reset it and write again, for the edge.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.reset()?,
                Err(e) => return Err(e),
                Ok(_) => return Ok(()),
            }
        }
    }

    fn reset(&self) -> io::Result<()> {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live local from a live eventfd.
        match syscall!("read(eventfd)", unsafe {
            libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8)
        }) {
            // EAGAIN: another thread reset it first; the counter is empty.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
            Ok(_) => Ok(()),
        }
    }
}
