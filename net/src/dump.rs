//! Task dumps with the reactor's waiters in words: the glue's share of
//! [`Dump`].
//!
//! The reactor lists the wakers it holds, each with an fd and direction or a timer's
//! deadline ([`Reactor::waiting`]); the executor recognises its own tasks' wakers
//! among them. This module, between the two, says what each fd is, asking the OS at
//! dump time: "fd 9 (TcpStream 127.0.0.1:8002 ← 127.0.0.1:53122) readable",
//! "fd 7 (TcpListener 127.0.0.1:8002) readable", "fd 5 (pipe) readable",
//! "timer due in 2.3 s". A call that fails gives a plainer description, never an
//! error.

use std::fmt::Write as _;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use wakeful_executor::task::{self, Dump, Holder};
use wakeful_reactor::{Direction, Reactor, WaitsFor};

use crate::context;
use crate::sys::addr::SockAddr;
use crate::sys::fd::{file_kind, FileKind};
use crate::sys::{socket, sockopt};

/// Every live task of the runtime running on this thread and what it waits on, the
/// reactor's waiters described in words; empty outside a runtime. The facade's
/// `wakeful::task::dump`.
///
/// ```
/// use std::time::Duration;
/// use wakeful_executor::task::WaitsOn;
///
/// wakeful::block_on(async {
///     let sleeper = wakeful::spawn(wakeful::time::sleep(Duration::from_secs(60)));
///     wakeful::task::yield_now().await; // it runs, and waits
///     let dump = wakeful_net::dump::dump();
///     let WaitsOn::Held(what) = &dump.get(sleeper.id()).unwrap().waits_on[0] else { panic!() };
///     assert!(what.starts_with("timer due in 59.") || what.starts_with("timer due in 60"), "{what}");
/// });
/// assert!(wakeful_net::dump::dump().is_empty());
/// ```
pub fn dump() -> Dump {
    let holders = context::with_current(|reactor| reactor.map(|r| holders(r)).unwrap_or_default());
    task::dump_with(&holders)
}

/// The wakers `reactor` holds, each described in words, for
/// [`Runtime::dump_with`](wakeful_executor::Runtime::dump_with).
///
/// ```
/// use std::time::{Duration, Instant};
/// use wakeful_reactor::Reactor;
///
/// let reactor = Reactor::new()?;
/// let key = reactor.insert_timer(Instant::now() + Duration::from_secs(90), std::task::Waker::noop());
/// let holders = wakeful_net::dump::holders(&reactor);
/// assert_eq!(holders.len(), 1);
/// assert!(format!("{:?}", holders[0]).contains("timer due in"));
/// reactor.remove_timer(key);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn holders(reactor: &Reactor) -> Vec<Holder> {
    let now = reactor.now();
    reactor
        .waiting()
        .into_iter()
        .map(|waiting| {
            let what = match waiting.waits_for {
                WaitsFor::Io { fd, direction } => {
                    let ready = if direction == Direction::Read { "readable" } else { "writable" };
                    format!("{} {ready}", describe_fd(fd))
                }
                WaitsFor::Timer { deadline } => describe_timer(deadline, now),
                _ => "the reactor".to_string(),
            };
            Holder::new(waiting.data, waiting.vtable, what)
        })
        .collect()
}

/// "timer due in 2.3 s", or "timer due now" once past.
fn describe_timer(deadline: Instant, now: Instant) -> String {
    let left = deadline.saturating_duration_since(now);
    if left.is_zero() {
        return "timer due now".to_string();
    }
    format!("timer due in {}", human(left))
}

/// `d` to a reader's precision: "2.3 s", "15 ms", "40 µs", "3.2 h", "36500 days".
fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 2.0 * 86_400.0 {
        format!("{:.0} days", secs / 86_400.0)
    } else if secs >= 3600.0 {
        format!("{:.1} h", secs / 3600.0)
    } else if secs >= 1.0 {
        format!("{secs:.1} s")
    } else if d >= Duration::from_millis(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} µs", d.as_micros().max(1))
    }
}

/// "fd 9 (TcpStream 127.0.0.1:8002 ← 127.0.0.1:53122)", or as much of it as the OS
/// tells: "fd 9 (socket)", or just "fd 9".
///
/// ```
/// use std::os::fd::AsRawFd;
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let (fd, addr) = (listener.as_raw_fd(), listener.local_addr()?);
/// assert_eq!(wakeful_net::dump::describe_fd(fd), format!("fd {fd} (TcpListener {addr})"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn describe_fd(fd: RawFd) -> String {
    let mut out = format!("fd {fd}");
    let kind = match file_kind(fd) {
        Ok(FileKind::Socket) => describe_socket(fd),
        Ok(FileKind::Pipe) => "pipe".to_string(),
        Ok(FileKind::CharDevice) => "character device".to_string(),
        Ok(FileKind::Regular) => "file".to_string(),
        Ok(FileKind::Other) | Err(_) => return out,
    };
    let _ = write!(out, " ({kind})");
    out
}

/// `TcpListener 127.0.0.1:8002`, `UdpSocket [::1]:5353 → [::1]:53`, `UnixStream
/// /tmp/s ← (unnamed)`, ... from `SO_TYPE`, `SO_ACCEPTCONN`, `getsockname` and
/// `getpeername`.
fn describe_socket(fd: RawFd) -> String {
    let Ok(local) = socket::local_addr(fd) else { return "socket".to_string() };
    let stream = sockopt::is_stream(fd).ok();
    let listening = stream == Some(true) && sockopt::is_listening(fd).unwrap_or(false);
    let peer = socket::peer_addr(fd).ok();
    let (family, local) = match (local.as_inet(), local.as_unix_path()) {
        (Some(addr), _) => ("inet", addr.to_string()),
        (None, Some(path)) => ("unix", unix_name(path)),
        (None, None) => return "socket".to_string(),
    };
    let name = match (family, stream, listening) {
        ("inet", Some(true), true) => "TcpListener",
        ("inet", Some(true), false) => "TcpStream",
        ("inet", Some(false), _) => "UdpSocket",
        ("unix", Some(true), true) => "UnixListener",
        ("unix", Some(true), false) => "UnixStream",
        ("unix", Some(false), _) => "UnixDatagram",
        _ => "socket",
    };
    match (listening, peer.as_ref().map(peer_name)) {
        (false, Some(peer)) if stream == Some(true) => format!("{name} {local} ← {peer}"),
        (false, Some(peer)) => format!("{name} {local} → {peer}"),
        _ => format!("{name} {local}"),
    }
}

fn peer_name(peer: &SockAddr) -> String {
    match (peer.as_inet(), peer.as_unix_path()) {
        (Some(addr), _) => addr.to_string(),
        (None, Some(path)) => unix_name(path),
        (None, None) => "?".to_string(),
    }
}

fn unix_name(path: Option<std::path::PathBuf>) -> String {
    path.map_or_else(|| "(unnamed)".to_string(), |path| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn fds_are_named_by_what_they_are() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(
            describe_fd(listener.as_raw_fd()),
            format!("fd {} (TcpListener {addr})", listener.as_raw_fd())
        );
        let client = std::net::TcpStream::connect(addr).unwrap();
        let local = client.local_addr().unwrap();
        assert_eq!(
            describe_fd(client.as_raw_fd()),
            format!("fd {} (TcpStream {local} ← {addr})", client.as_raw_fd())
        );
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let udp_addr = udp.local_addr().unwrap();
        assert_eq!(describe_fd(udp.as_raw_fd()), format!("fd {} (UdpSocket {udp_addr})", udp.as_raw_fd()));
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert_eq!(
            describe_fd(a.as_raw_fd()),
            format!("fd {} (UnixStream (unnamed) ← (unnamed))", a.as_raw_fd())
        );
        let (read, _write) = crate::sys::signal::self_pipe().unwrap();
        assert_eq!(describe_fd(read.as_raw_fd()), format!("fd {} (pipe)", read.as_raw_fd()));
    }

    #[test]
    fn a_closed_fd_is_just_a_number() {
        // Not a real closed fd: in a test run in parallel, another test may reuse it.
        assert_eq!(describe_fd(RawFd::MAX), format!("fd {}", RawFd::MAX));
        assert_eq!(describe_fd(-1), "fd -1");
    }

    #[test]
    fn timers_say_when() {
        let now = Instant::now();
        assert_eq!(describe_timer(now, now), "timer due now");
        assert_eq!(describe_timer(now, now + Duration::from_secs(1)), "timer due now");
        assert_eq!(describe_timer(now + Duration::from_millis(2300), now), "timer due in 2.3 s");
        assert_eq!(describe_timer(now + Duration::from_millis(15), now), "timer due in 15 ms");
        assert_eq!(describe_timer(now + Duration::from_nanos(1), now), "timer due in 1 µs");
        assert_eq!(describe_timer(now + Duration::from_secs(7200), now), "timer due in 2.0 h");
        assert_eq!(describe_timer(now + Duration::from_secs(3 * 86_400), now), "timer due in 3 days");
    }
}
