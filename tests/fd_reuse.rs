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
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::time::Duration;

use util::{assert_reuses, dup, run, PATIENCE};
use wakeful::net::{AsyncFd, UnixStream};
use wakeful::reactor::Readiness;
use wakeful::time::timeout;

/// How long a source is watched for readiness it must not get. Readiness already
/// queued in the kernel reaches the reactor on its very next turn; this window holds
/// many turns, so a stale event would show well within it.
const QUIET: Duration = Duration::from_millis(50);

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
    if util::ran_in_child("a_reused_number_gets_no_readiness_queued_for_the_closed_socket") {
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
    if util::ran_in_child("a_reused_number_gets_no_readiness_cached_for_the_closed_socket") {
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
    if util::ran_in_child("closing_an_unregistered_dup_leaves_the_registration_alive") {
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
    if util::ran_in_child("dropping_a_registered_dup_leaves_the_original_registration_alive") {
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
    if util::ran_in_child("a_socket_kept_open_by_a_dup_cannot_wake_the_source_that_took_its_number") {
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
