//! File descriptor numbers reused while readiness for their old socket is pending, and
//! `dup`ed fds, through the facade and at the reactor level.
//!
//! On Linux an epoll registration belongs to the pair (open file description, fd
//! number): closing one of two fds of a socket leaves the other's registration alone,
//! and a registration outlives the close of its fd while a dup keeps the socket open.
//! wakeful must not let any of that leak readiness to the wrong source: a new source
//! that reuses a number starts with nothing, and a surviving one misses nothing.
//!
//! Every test here relies on the kernel handing out the lowest free fd number, so each
//! runs in a child process where no other test opens fds meanwhile.

mod util;

use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use util::{assert_child_passed, in_child, is_child, run, PATIENCE};
use wakeful::net::{AsyncFd, UnixStream};
use wakeful::reactor::{Direction, Reactor, Readiness, Token, WaiterKey};
use wakeful::time::timeout;

/// How long a source is watched for readiness it must not get. Readiness already
/// queued in the kernel reaches the reactor on its very next turn; this window holds
/// many turns, so a stale event would show well within it.
const QUIET: Duration = Duration::from_millis(50);

/// In the parent: runs test `name` in a child process, checks it passed, and returns
/// true (the caller returns). In the child: false (the caller runs the test).
fn ran_in_child(name: &str) -> bool {
    if is_child(name) {
        return false;
    }
    assert_child_passed(&in_child(name));
    true
}

/// Asserts that `fd` took the number `expected` just freed.
fn assert_reuses(expected: RawFd, fd: RawFd) {
    assert_eq!(fd, expected, "the new socket must reuse the number just closed (lowest free fd)");
}

/// A second fd for the socket of `fd`, closed when dropped.
fn dup(fd: RawFd) -> OwnedFd {
    // SAFETY: dup takes no pointers; `fd` is open for the call.
    let new = unsafe { libc::dup(fd) };
    assert!(new >= 0, "dup: {}", io::Error::last_os_error());
    // SAFETY: `new` was just returned by dup and nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(new) }
}

/// Asserts that nothing can be read from `stream` now, nor within [`QUIET`].
async fn assert_nothing_to_read(stream: &UnixStream, what: &str) {
    let mut buf = [0; 64];
    match stream.try_read(&mut buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("{what}: try_read with nothing sent returned {other:?}"),
    }
    assert!(timeout(QUIET, stream.readable()).await.is_err(), "{what}: readable with nothing sent");
    match stream.try_read(&mut buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("{what}: try_read after a quiet wait returned {other:?}"),
    }
}

/// Asserts that `stream` wakes for, and reads, exactly `message`.
async fn assert_reads(stream: &mut UnixStream, message: &[u8], what: &str) {
    let mut buf = vec![0; message.len()];
    timeout(PATIENCE, stream.read_exact(&mut buf))
        .await
        .unwrap_or_else(|_| panic!("{what}: never woke for data"))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(buf, message, "{what}");
}

#[test]
fn a_reused_number_gets_no_readiness_queued_for_the_closed_socket() {
    if ran_in_child("a_reused_number_gets_no_readiness_queued_for_the_closed_socket") {
        return;
    }
    run(async {
        // A is readable in the kernel, and the reactor has not turned since: the event
        // is queued, not yet seen.
        let (a, mut a_peer) = StdUnixStream::pair()?;
        let a = UnixStream::from_std(a)?;
        a_peer.write_all(b"for A only")?;
        let number = a.as_raw_fd();
        drop(a); // deregistered, then closed
        let (b, mut b_peer) = StdUnixStream::pair()?;
        let mut b = UnixStream::from_std(b)?;
        assert_reuses(number, b.as_raw_fd());
        assert_nothing_to_read(&b, "B after A's queued event").await;
        b_peer.write_all(b"for B")?;
        assert_reads(&mut b, b"for B", "B").await;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_reused_number_gets_no_readiness_cached_for_the_closed_socket() {
    if ran_in_child("a_reused_number_gets_no_readiness_cached_for_the_closed_socket") {
        return;
    }
    run(async {
        // This time the reactor saw A readable and cached it; B takes both A's fd
        // number and A's registration slot.
        let (a, mut a_peer) = StdUnixStream::pair()?;
        let a = UnixStream::from_std(a)?;
        a_peer.write_all(b"for A only")?;
        a.readable().await?;
        let number = a.as_raw_fd();
        let sources = wakeful::stats().unwrap().sources;
        drop(a);
        let (b, mut b_peer) = StdUnixStream::pair()?;
        let mut b = UnixStream::from_std(b)?;
        assert_reuses(number, b.as_raw_fd());
        assert_eq!(wakeful::stats().unwrap().sources, sources, "B replaced A");
        assert_nothing_to_read(&b, "B after A's cached readiness").await;
        b_peer.write_all(b"for B")?;
        assert_reads(&mut b, b"for B", "B").await;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn closing_an_unregistered_dup_leaves_the_registration_alive() {
    if ran_in_child("closing_an_unregistered_dup_leaves_the_registration_alive") {
        return;
    }
    run(async {
        let (s, mut s_peer) = StdUnixStream::pair()?;
        let mut s = UnixStream::from_std(s)?;
        let copy = dup(s.as_raw_fd());
        let number = copy.as_raw_fd();
        drop(copy);
        // A new source on the dup's number must not hear of S's traffic.
        let (c, mut c_peer) = StdUnixStream::pair()?;
        let mut c = UnixStream::from_std(c)?;
        assert_reuses(number, c.as_raw_fd());
        s_peer.write_all(b"for S")?;
        assert_reads(&mut s, b"for S", "S, whose dup was closed").await;
        assert_nothing_to_read(&c, "C, on the closed dup's number").await;
        c_peer.write_all(b"for C")?;
        assert_reads(&mut c, b"for C", "C").await;
        // And S keeps waking, edge after edge.
        s_peer.write_all(b"again")?;
        assert_reads(&mut s, b"again", "S, a second time").await;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn dropping_a_registered_dup_leaves_the_original_registration_alive() {
    if ran_in_child("dropping_a_registered_dup_leaves_the_original_registration_alive") {
        return;
    }
    run(async {
        // Two registrations of one socket: S through its own fd, and an AsyncFd on a dup.
        let (s, mut s_peer) = StdUnixStream::pair()?;
        let mut s = UnixStream::from_std(s)?;
        let copy = AsyncFd::new(dup(s.as_raw_fd()))?;
        let number = copy.as_raw_fd();
        s_peer.write_all(b"both")?;
        let ready = timeout(PATIENCE, copy.readable()).await.expect("the dup's registration wakes")?.ready();
        assert!(ready.contains(Readiness::READABLE), "{ready:?}");
        assert_reads(&mut s, b"both", "S, next to its registered dup").await;
        drop(copy); // deregisters the dup's number, then closes it
        let (c, mut c_peer) = StdUnixStream::pair()?;
        let mut c = UnixStream::from_std(c)?;
        assert_reuses(number, c.as_raw_fd());
        s_peer.write_all(b"S only")?;
        assert_reads(&mut s, b"S only", "S, after its dup was dropped").await;
        assert_nothing_to_read(&c, "C, on the dropped dup's number").await;
        c_peer.write_all(b"for C")?;
        assert_reads(&mut c, b"for C", "C").await;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_socket_kept_open_by_a_dup_cannot_wake_the_source_that_took_its_number() {
    if ran_in_child("a_socket_kept_open_by_a_dup_cannot_wake_the_source_that_took_its_number") {
        return;
    }
    run(async {
        // S is dropped (deregistered, closed) while a dup keeps the socket open: had the
        // close come before the deregistration, the kernel would keep reporting S's
        // events under S's token.
        let (s, mut s_peer) = StdUnixStream::pair()?;
        let s = UnixStream::from_std(s)?;
        let survivor = StdUnixStream::from(dup(s.as_raw_fd()));
        let number = s.as_raw_fd();
        drop(s);
        let (c, mut c_peer) = StdUnixStream::pair()?;
        let mut c = UnixStream::from_std(c)?;
        assert_reuses(number, c.as_raw_fd());
        s_peer.write_all(b"for the old socket")?;
        assert_nothing_to_read(&c, "C, on the number of a socket still open elsewhere").await;
        // The data went to the old socket, still reachable through the dup (which
        // shares its non-blocking flag).
        let mut buf = [0; 64];
        let n = io::Read::read(&mut &survivor, &mut buf)?;
        assert_eq!(&buf[..n], b"for the old socket");
        c_peer.write_all(b"for C")?;
        assert_reads(&mut c, b"for C", "C").await;
        io::Result::Ok(())
    })
    .unwrap();
}

// ---- The reactor's own API: register, deregister, turn. ----

/// Counts wakes.
#[derive(Default)]
struct WakeCount(AtomicUsize);

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl WakeCount {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A non-blocking std socket pair: the end to register, and its peer (blocking).
fn pair() -> (StdUnixStream, StdUnixStream) {
    let (a, b) = StdUnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    (a, b)
}

/// Polls for reading as one waiting future, whose place among the waiters is `waiter`.
fn poll_read(
    reactor: &Reactor,
    token: Token,
    waiter: &mut Option<WaiterKey>,
    waker: &Waker,
) -> Poll<io::Result<Readiness>> {
    reactor.poll_ready(token, Direction::Read, waiter, &mut Context::from_waker(waker))
}

/// Turns the reactor without blocking: whatever the kernel has queued is delivered.
fn drain_events(reactor: &Reactor) {
    for _ in 0..3 {
        reactor.turn(Some(Duration::ZERO)).unwrap();
    }
}

/// Turns the reactor until `wakes` counts a wake, failing after [`PATIENCE`].
fn turn_until_woken(reactor: &Reactor, wakes: &WakeCount, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while wakes.get() == 0 {
        let left =
            deadline.checked_duration_since(Instant::now()).unwrap_or_else(|| panic!("{what}: no wake"));
        reactor.turn(Some(left)).unwrap();
    }
}

/// The checks after a number was reused by `token`: no read readiness and no wake
/// until its peer writes, then exactly one wake and `READABLE`.
fn assert_fresh_source(reactor: &Reactor, token: Token, peer: &mut StdUnixStream) {
    let wakes = Arc::new(WakeCount::default());
    let waker = Waker::from(wakes.clone());
    let mut waiter = None;
    assert!(poll_read(reactor, token, &mut waiter, &waker).is_pending(), "the new source starts unready");
    drain_events(reactor);
    let ready = reactor.readiness(token).unwrap();
    assert!(!ready.intersects(Direction::Read.wakes_on()), "stale read readiness: {ready:?}");
    assert!(poll_read(reactor, token, &mut waiter, &waker).is_pending(), "stale read readiness");
    assert_eq!(wakes.get(), 0, "woken for an event of the old socket");
    peer.write_all(b"fresh").unwrap();
    turn_until_woken(reactor, &wakes, "the new source");
    assert_eq!(wakes.get(), 1, "one event, one wake");
    match poll_read(reactor, token, &mut waiter, &waker) {
        Poll::Ready(Ok(ready)) => assert!(ready.contains(Readiness::READABLE), "{ready:?}"),
        other => panic!("the new source after its peer wrote: {other:?}"),
    }
}

#[test]
fn reactor_forgets_a_deregistered_source_whose_number_and_slot_are_reused() {
    if ran_in_child("reactor_forgets_a_deregistered_source_whose_number_and_slot_are_reused") {
        return;
    }
    let reactor = Reactor::new().unwrap();
    for cached in [false, true] {
        let (a, mut a_peer) = pair();
        let old = reactor.register(a.as_raw_fd()).unwrap();
        a_peer.write_all(b"stale").unwrap();
        if cached {
            drain_events(&reactor);
            assert!(reactor.readiness(old).unwrap().contains(Readiness::READABLE));
        }
        let number = a.as_raw_fd();
        reactor.deregister(old).unwrap();
        drop(a);
        let (b, mut b_peer) = pair();
        assert_reuses(number, b.as_raw_fd());
        let new = reactor.register(b.as_raw_fd()).unwrap();
        assert_ne!(old, new, "a reused slot gets a new generation");
        assert!(reactor.readiness(old).is_err(), "the old token is dead");
        assert_fresh_source(&reactor, new, &mut b_peer);
        reactor.deregister(new).unwrap();
        drop((b, a_peer));
    }
    assert_eq!(reactor.len(), (0, 0));
}

#[test]
fn reactor_survives_a_dup_closed_before_it_was_deregistered() {
    if ran_in_child("reactor_survives_a_dup_closed_before_it_was_deregistered") {
        return;
    }
    // Against the docs ("deregister before closing"), a registered dup is closed first
    // while the socket stays open through its first fd. epoll keeps that registration
    // (the socket's file is alive) and goes on reporting S's events under the dup's
    // token, even after `deregister` (whose EPOLL_CTL_DEL finds no fd) freed the
    // token's slot. The source that then takes both the dup's number and that slot
    // must get none of them: only the token's generation tells them apart.
    let reactor = Reactor::new().unwrap();
    let (s, mut s_peer) = pair();
    let s_token = reactor.register(s.as_raw_fd()).unwrap();
    let copy = dup(s.as_raw_fd());
    let zombie = reactor.register(copy.as_raw_fd()).unwrap();
    let number = copy.as_raw_fd();
    drop(copy);
    let _ = reactor.deregister(zombie); // EBADF from the kernel, but the slot is freed
    assert_eq!(reactor.len().0, 1, "only S is registered");
    let (c, mut c_peer) = pair();
    assert_reuses(number, c.as_raw_fd());
    let c_token = reactor.register(c.as_raw_fd()).expect("the number is free for a new file");
    assert_ne!(c_token, zombie);

    let s_wakes = Arc::new(WakeCount::default());
    let s_waker = Waker::from(s_wakes.clone());
    let mut s_waiter = None;
    drain_events(&reactor);
    assert!(poll_read(&reactor, s_token, &mut s_waiter, &s_waker).is_pending());
    s_peer.write_all(b"for S").unwrap(); // reported under s_token and under zombie
    turn_until_woken(&reactor, &s_wakes, "S");
    assert!(matches!(poll_read(&reactor, s_token, &mut s_waiter, &s_waker), Poll::Ready(Ok(_))));
    assert_fresh_source(&reactor, c_token, &mut c_peer);
    reactor.deregister(c_token).unwrap();
    reactor.deregister(s_token).unwrap();
    drop((s, c, s_peer));
}
