use super::*;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::AtomicUsize;
use std::sync::Barrier;
use std::task::Wake;

/// A waker that counts its wakes.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter::default());
    (counter.clone(), Waker::from(counter))
}

/// A pipe whose read end, registered, reports nothing until written to: a source
/// that makes turns ask the OS without adding events of its own. Keep both ends.
pub(super) fn quiet_pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both fds were just created and are owned only here.
    let (rx, tx) = unsafe { (std::fs::File::from_raw_fd(fds[0]), std::fs::File::from_raw_fd(fds[1])) };
    // SAFETY: F_SETFL with an integer flag on a live fd.
    assert_eq!(unsafe { libc::fcntl(rx.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) }, 0);
    (rx, tx)
}

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

const PATIENCE: Option<Duration> = Some(Duration::from_secs(10));

#[test]
fn readable_after_write_wakes_reader() {
    let reactor = Reactor::new().unwrap();
    let (mut a, mut b) = pair();
    let token = reactor.register(b.as_raw_fd()).unwrap();
    let (count, waker) = counter();
    let mut cx = Context::from_waker(&waker);

    // A fresh socket is writable: the first turn reports it, with no reader waiting.
    assert!(reactor.poll_ready(token, Direction::Read, &mut None, &mut cx).is_pending());
    a.write_all(b"hello").unwrap();
    assert_eq!(reactor.turn(PATIENCE).unwrap(), 1, "one waker woken");
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    let Poll::Ready(Ok(ready)) = reactor.poll_ready(token, Direction::Read, &mut None, &mut cx) else {
        panic!("source should be readable");
    };
    assert!(ready.contains(Readiness::READABLE | Readiness::WRITABLE), "{ready:?}");

    // Drain to WouldBlock, clear, and the source waits again.
    let mut buf = [0; 16];
    assert_eq!(b.read(&mut buf).unwrap(), 5);
    assert_eq!(b.read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    reactor.clear_readiness(token, Direction::Read, ready);
    assert!(reactor.poll_ready(token, Direction::Read, &mut None, &mut cx).is_pending());
    assert!(
        reactor.poll_ready(token, Direction::Write, &mut None, &mut cx).is_ready(),
        "write readiness kept"
    );
    reactor.deregister(token).unwrap();
}

#[test]
fn peer_close_reports_read_closed() {
    let reactor = Reactor::new().unwrap();
    let (a, b) = pair();
    let token = reactor.register(b.as_raw_fd()).unwrap();
    let (count, waker) = counter();
    assert!(reactor
        .poll_ready(token, Direction::Read, &mut None, &mut Context::from_waker(&waker))
        .is_pending());
    drop(a);
    reactor.turn(PATIENCE).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1, "reader woken by the hang-up");
    let Poll::Ready(Ok(ready)) =
        reactor.poll_ready(token, Direction::Read, &mut None, &mut Context::from_waker(&waker))
    else {
        panic!("closed source must be ready");
    };
    assert!(ready.contains(Readiness::READ_CLOSED), "{ready:?}");
}

#[test]
fn pipe_write_end_reports_writable() {
    let reactor = Reactor::new().unwrap();
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both fds were just created and are owned only here.
    let (rx, tx) = unsafe { (std::fs::File::from_raw_fd(fds[0]), std::fs::File::from_raw_fd(fds[1])) };
    // SAFETY: F_SETFL with an integer flag on a live fd.
    assert_eq!(unsafe { libc::fcntl(tx.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) }, 0);
    let token = reactor.register(tx.as_raw_fd()).unwrap();
    let (_, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    assert!(
        reactor.poll_ready(token, Direction::Write, &mut None, &mut cx).is_pending(),
        "nothing reported yet"
    );
    reactor.turn(PATIENCE).unwrap();
    assert!(reactor.poll_ready(token, Direction::Write, &mut None, &mut cx).is_ready());
    assert!(reactor.poll_ready(token, Direction::Read, &mut None, &mut cx).is_pending());
    reactor.deregister(token).unwrap();
    drop(rx);
}

use std::os::fd::FromRawFd;

#[test]
fn deregistered_source_gets_no_events() {
    let reactor = Reactor::new().unwrap();
    let (mut a, b) = pair();
    let token = reactor.register(b.as_raw_fd()).unwrap();
    reactor.turn(PATIENCE).unwrap(); // the initial writable event
    reactor.deregister(token).unwrap();
    a.write_all(b"x").unwrap();
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.stats().events, 1, "only the event from before deregistration");
    let (_, waker) = counter();
    let err = match reactor.poll_ready(token, Direction::Read, &mut None, &mut Context::from_waker(&waker)) {
        Poll::Ready(Err(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    };
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("not registered"), "{err}");
    assert_eq!(reactor.deregister(token).unwrap_err().kind(), io::ErrorKind::NotFound);
}

#[test]
fn reused_fd_is_not_reached_by_stale_token() {
    let reactor = Reactor::new().unwrap();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    let old = reactor.register(fd).unwrap();
    reactor.deregister(old).unwrap();

    // Reuse the fd number for another socket (dup2 closes the old one atomically,
    // so no test running in parallel can take the number in between).
    let (mut c, d) = pair();
    // SAFETY: both fds are live; `b` owns `fd` and now owns the duplicate instead.
    assert_eq!(unsafe { libc::dup2(d.as_raw_fd(), fd) }, fd);
    let new = reactor.register(fd).unwrap();
    assert_ne!(old, new, "same fd, same slot, new token");

    let (count, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    assert!(
        reactor.poll_ready(old, Direction::Read, &mut None, &mut cx).is_ready(),
        "stale token errs at once"
    );
    assert!(reactor.deregister(old).is_err(), "stale token cannot deregister the new source");
    reactor.clear_readiness(old, Direction::Write, Readiness::WRITABLE);
    assert!(reactor.poll_ready(new, Direction::Read, &mut None, &mut cx).is_pending());
    c.write_all(b"x").unwrap();
    reactor.turn(PATIENCE).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1, "the new owner is woken");
    assert!(
        reactor.poll_ready(new, Direction::Write, &mut None, &mut cx).is_ready(),
        "stale clear was ignored"
    );
    reactor.deregister(new).unwrap();
}

#[test]
fn unpark_from_another_thread_ends_a_blocked_turn() {
    let reactor = Reactor::new().unwrap();
    // A source, so that the non-blocking turn below asks the OS (see the next test).
    let (rx, _tx) = quiet_pipe();
    let token = reactor.register(rx.as_raw_fd()).unwrap();
    let unparker = reactor.unparker();
    let barrier = Arc::new(Barrier::new(2));
    let thread = std::thread::spawn({
        let barrier = barrier.clone();
        move || {
            barrier.wait();
            // A burst: one syscall, one wakeup.
            for _ in 0..1000 {
                unparker.unpark();
            }
        }
    });
    barrier.wait();
    let started = Instant::now();
    reactor.turn(Some(Duration::from_secs(30))).unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "the unpark did not end the wait");
    thread.join().unwrap();
    // Unparks that raced with the end of that turn leave one unpark pending, no more.
    reactor.turn(Some(Duration::ZERO)).unwrap();

    // That unpark was consumed: the next wait runs its full timeout.
    let started = Instant::now();
    reactor.turn(Some(Duration::from_millis(20))).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(20), "a stale unpark ended the wait");
    assert_eq!(reactor.stats().events, 0, "the unparker's event is not counted as an I/O event");
    reactor.deregister(token).unwrap();
}

#[test]
fn a_turn_that_may_not_wait_skips_the_os_when_no_source_is_registered() {
    let reactor = Reactor::new().unwrap();
    // An unparker's write whose flag an earlier turn already took: only the OS knows.
    reactor.unparker().0.sys.unpark().unwrap();
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.stats().unparks, 0, "no source: the non-blocking turn made no syscall");
    assert_eq!(reactor.stats().turns, 1, "it still counts as a turn (timers were looked at)");
    // The edge is still queued: it ends the next wait at once (one spurious turn)...
    reactor.turn(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(reactor.stats().unparks, 1, "the blocking turn saw the queued unpark");
    // ...and only that one.
    let started = Instant::now();
    reactor.turn(Some(Duration::from_millis(20))).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(20), "a stale unpark ended the wait");
    // A flagged unpark is seen without the OS.
    reactor.unparker().unpark();
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.stats().unparks, 2, "the flag counts the unpark");

    // With a source registered, the same turn asks the OS, and finds the write.
    let (rx, _tx) = quiet_pipe();
    let token = reactor.register(rx.as_raw_fd()).unwrap();
    reactor.turn(Some(Duration::from_secs(30))).unwrap(); // the flagged unpark's edge
    reactor.unparker().0.sys.unpark().unwrap();
    let unparks = reactor.stats().unparks;
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(reactor.stats().unparks, unparks + 1, "a source registered: the turn asked the OS");
    reactor.deregister(token).unwrap();
}

#[test]
fn timer_bounds_the_wait_and_never_fires_early() {
    let reactor = Reactor::new().unwrap();
    let (count, waker) = counter();
    let deadline = Instant::now() + Duration::from_millis(30);
    let key = reactor.insert_timer(deadline, &waker);
    assert!(!reactor.poll_timer(key, &waker));
    while count.0.load(Ordering::SeqCst) == 0 {
        reactor.turn(None).unwrap();
        assert!(Instant::now() < deadline + Duration::from_secs(10), "timer never fired");
    }
    assert!(Instant::now() >= deadline, "timer fired early");
    assert!(reactor.poll_timer(key, &waker));
    assert_eq!(reactor.stats().timers_fired, 1);
    reactor.remove_timer(key);
    assert_eq!(reactor.len(), (0, 0));
}

#[test]
fn removed_timer_does_not_fire() {
    let reactor = Reactor::new().unwrap();
    let (count, waker) = counter();
    let key = reactor.insert_timer(Instant::now(), &waker);
    reactor.remove_timer(key);
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
    assert_eq!(reactor.stats().timers_fired, 0);
}

#[test]
fn errors_name_the_call_and_keep_the_code() {
    let reactor = Reactor::new().unwrap();
    let err = reactor.register(-1).unwrap_err();
    assert_eq!(crate::errno(&err), Some(libc::EBADF), "{err}");
    #[cfg(any(target_os = "linux", target_os = "android"))]
    assert!(err.to_string().starts_with("epoll_ctl(ADD): "), "{err}");
    assert_eq!(reactor.len(), (0, 0), "a failed registration leaves no source behind");
}

#[test]
fn the_longest_waits_are_accepted_by_the_os() {
    // Duration::MAX must not overflow a timespec or a millisecond count into an
    // EINVAL: an unpark (already pending) ends each wait at once.
    let reactor = Reactor::new().unwrap();
    for timeout in
        [Duration::MAX, Duration::from_secs(u64::MAX / 2), Duration::from_millis(i32::MAX as u64 + 1)]
    {
        reactor.unparker().unpark();
        reactor.turn(Some(timeout)).unwrap_or_else(|e| panic!("turn({timeout:?}): {e}"));
    }
    let far = reactor.insert_timer(Instant::now() + Duration::from_secs(86_400 * 365 * 200), Waker::noop());
    reactor.unparker().unpark();
    reactor.turn(None).unwrap();
    reactor.remove_timer(far);
}

#[test]
fn one_turn_collects_every_ready_source_of_a_busy_server() {
    // A busy server's batch: hundreds of sockets ready at once must come back from one
    // wait (the event buffer holds them), so that the executor, which runs a turn's
    // whole batch before turning again, pays one syscall per batch.
    const SOURCES: usize = 300; // 600 fds: well within the usual soft limit of 1024
    let reactor = Reactor::new().unwrap();
    let pairs: Vec<_> = (0..SOURCES).map(|_| pair()).collect();
    let tokens: Vec<_> = pairs.iter().map(|(_, b)| reactor.register(b.as_raw_fd()).unwrap()).collect();
    reactor.turn(Some(Duration::ZERO)).unwrap(); // each fresh socket reports "writable"
    let (count, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    for &token in &tokens {
        assert!(reactor.poll_ready(token, Direction::Read, &mut None, &mut cx).is_pending());
    }
    for (a, _) in &pairs {
        (&*a).write_all(b"ping").unwrap();
    }
    let before = reactor.stats();
    assert_eq!(reactor.turn(Some(Duration::ZERO)).unwrap(), SOURCES, "every reader woken by one turn");
    assert_eq!(reactor.stats().events - before.events, SOURCES as u64, "one wait returned them all");
    assert_eq!(count.0.load(Ordering::SeqCst), SOURCES);
    for token in tokens {
        reactor.deregister(token).unwrap();
    }
}

/// A waker that appends its name to a shared log when woken.
struct Named(&'static str, Arc<std::sync::Mutex<Vec<&'static str>>>);

impl Wake for Named {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

#[test]
fn a_due_timer_is_woken_ahead_of_the_io_of_the_same_turn() {
    // The executor runs a turn's whole batch before the next turn, and queues woken
    // tasks in wake order. A timer that fell due early in a busy batch must not be
    // queued behind every socket that became ready later in that batch: it would wait
    // for two batches instead of one.
    let reactor = Reactor::new().unwrap();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let pairs: Vec<_> = (0..3).map(|_| pair()).collect();
    let tokens: Vec<_> = pairs.iter().map(|(_, b)| reactor.register(b.as_raw_fd()).unwrap()).collect();
    reactor.turn(Some(Duration::ZERO)).unwrap(); // each fresh socket reports "writable"
    let io_waker = Waker::from(Arc::new(Named("io", log.clone())));
    let mut cx = Context::from_waker(&io_waker);
    for &token in &tokens {
        assert!(reactor.poll_ready(token, Direction::Read, &mut None, &mut cx).is_pending());
    }
    let timer = reactor.insert_timer(reactor.now(), &Waker::from(Arc::new(Named("timer", log.clone()))));
    for (a, _) in &pairs {
        (&*a).write_all(b"ping").unwrap();
    }
    assert_eq!(reactor.turn(Some(Duration::ZERO)).unwrap(), 4);
    assert_eq!(*log.lock().unwrap(), ["timer", "io", "io", "io"], "the due timer first");
    reactor.remove_timer(timer);
    for token in tokens {
        reactor.deregister(token).unwrap();
    }
}
