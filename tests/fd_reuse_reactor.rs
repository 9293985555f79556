//! File descriptor numbers reused, and `dup`ed fds closed, at the reactor's own API
//! (register, deregister, turn): a source that takes a reused number and slot starts
//! with no readiness and no wake of the old one. (Through the facade: `fd_reuse.rs`.)
//!
//! Every test here relies on the kernel handing out the lowest free fd number, so each
//! runs in a child process where no other test opens fds meanwhile.

mod util;

use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use util::{assert_reuses, dup, CountingWaker, PATIENCE};
use wakeful::reactor::{Direction, Reactor, Readiness, Token, WaiterKey};

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
fn turn_until_woken(reactor: &Reactor, wakes: &CountingWaker, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while wakes.wakes() == 0 {
        let left =
            deadline.checked_duration_since(Instant::now()).unwrap_or_else(|| panic!("{what}: no wake"));
        reactor.turn(Some(left)).unwrap();
    }
}

/// The checks after a number was reused by `token`: no read readiness and no wake
/// until its peer writes, then exactly one wake and `READABLE`.
fn assert_fresh_source(reactor: &Reactor, token: Token, peer: &mut StdUnixStream) {
    let wakes = CountingWaker::new();
    let waker = wakes.waker();
    let mut waiter = None;
    assert!(poll_read(reactor, token, &mut waiter, waker).is_pending(), "the new source starts unready");
    drain_events(reactor);
    let ready = reactor.readiness(token).unwrap();
    assert!(!ready.intersects(Direction::Read.wakes_on()), "stale read readiness: {ready:?}");
    assert!(poll_read(reactor, token, &mut waiter, waker).is_pending(), "stale read readiness");
    assert_eq!(wakes.wakes(), 0, "woken for an event of the old socket");
    peer.write_all(b"fresh").unwrap();
    turn_until_woken(reactor, &wakes, "the new source");
    assert_eq!(wakes.wakes(), 1, "one event, one wake");
    match poll_read(reactor, token, &mut waiter, waker) {
        Poll::Ready(Ok(ready)) => assert!(ready.contains(Readiness::READABLE), "{ready:?}"),
        other => panic!("the new source after its peer wrote: {other:?}"),
    }
}

#[test]
fn reactor_forgets_a_deregistered_source_whose_number_and_slot_are_reused() {
    if util::ran_in_child("reactor_forgets_a_deregistered_source_whose_number_and_slot_are_reused") {
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
    if util::ran_in_child("reactor_survives_a_dup_closed_before_it_was_deregistered") {
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

    let s_wakes = CountingWaker::new();
    let s_waker = s_wakes.waker();
    let mut s_waiter = None;
    drain_events(&reactor);
    assert!(poll_read(&reactor, s_token, &mut s_waiter, s_waker).is_pending());
    s_peer.write_all(b"for S").unwrap(); // reported under s_token and under zombie
    turn_until_woken(&reactor, &s_wakes, "S");
    assert!(matches!(poll_read(&reactor, s_token, &mut s_waiter, s_waker), Poll::Ready(Ok(_))));
    assert_fresh_source(&reactor, c_token, &mut c_peer);
    reactor.deregister(c_token).unwrap();
    reactor.deregister(s_token).unwrap();
    drop((s, c, s_peer));
}
