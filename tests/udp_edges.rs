//! UDP at its edges: the largest datagram, truncation, empty datagrams, ICMP errors.

mod util;

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use util::{pattern, run, PATIENCE};
use wakeful::net::UdpSocket;
use wakeful::time::timeout;

/// The largest UDP payload over IPv4: 65 535 − 20 (IP header) − 8 (UDP header).
const MAX_V4_PAYLOAD: usize = 65_507;

/// How long a socket is watched for a datagram or error that must not come. Anything
/// the kernel holds is delivered on the reactor's next turn, well within this.
const QUIET: Duration = Duration::from_millis(50);

/// Sets an integer socket option, for buffer sizes.
fn set_option(socket: &UdpSocket, name: libc::c_int, value: libc::c_int) {
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live c_int of `len` bytes that the kernel only reads.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            name,
            (&value as *const libc::c_int).cast(),
            len,
        )
    };
    assert_eq!(rc, 0, "setsockopt: {}", io::Error::last_os_error());
}

async fn bound() -> io::Result<UdpSocket> {
    UdpSocket::bind("127.0.0.1:0").await
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
fn closed_port() -> SocketAddr {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

#[test]
fn the_largest_ipv4_datagram_round_trips_and_one_byte_more_is_refused() {
    run(async {
        let (a, b) = (bound().await?, bound().await?);
        for socket in [&a, &b] {
            // Room for a few maximal datagrams, whatever the system default.
            set_option(socket, libc::SO_SNDBUF, 1 << 20);
            set_option(socket, libc::SO_RCVBUF, 1 << 20);
        }
        let big = pattern(MAX_V4_PAYLOAD, 11);
        assert_eq!(a.send_to(&big, b.local_addr()?).await?, MAX_V4_PAYLOAD);
        let mut buf = vec![0; MAX_V4_PAYLOAD + 1];
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!((n, from), (MAX_V4_PAYLOAD, a.local_addr()?));
        assert!(buf[..n] == big[..], "the datagram arrived altered");

        // Back, on connected sockets, into a buffer of exactly its size.
        a.connect(b.local_addr()?).await?;
        b.connect(a.local_addr()?).await?;
        assert_eq!(b.send(&buf[..n]).await?, MAX_V4_PAYLOAD);
        let mut exact = vec![0; MAX_V4_PAYLOAD];
        assert_eq!(a.recv(&mut exact).await?, MAX_V4_PAYLOAD, "a full buffer is not a truncation");
        assert!(exact == big);

        // One byte more cannot be an IPv4 datagram: a clear error, not a panic.
        let too_big = vec![0; MAX_V4_PAYLOAD + 1];
        let err = a.send(&too_big).await.expect_err("a 65 508-byte payload");
        assert_eq!(wakeful::reactor::errno(&err), Some(libc::EMSGSIZE), "{err}");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn truncation_is_reported_and_only_the_truncated_datagram_is_lost() {
    run(async {
        let (rx, tx) = (bound().await?, bound().await?);
        let to = rx.local_addr()?;
        let first = pattern(1000, 1);
        tx.send_to(&first, to).await?;
        tx.send_to(b"second, intact", to).await?;
        tx.send_to(&pattern(300, 2), to).await?;
        tx.send_to(b"fourth", to).await?;
        tx.send_to(b"fifth", to).await?;

        let mut small = [0; 16];
        let err = rx.recv_from(&mut small).await.expect_err("1000 bytes into 16");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        #[cfg(target_os = "linux")]
        assert!(err.to_string().contains("of 1000 bytes"), "the message gives the real size: {err}");
        assert_eq!(small, first[..16], "the buffer holds the datagram's start");
        let mut buf = [0; 2048];
        let (n, from) = rx.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"second, intact"[..], tx.local_addr()?), "the rest was dropped");

        // The same through try_recv_from (readiness is known by now) ...
        rx.readable().await?;
        let err = rx.try_recv_from(&mut small).expect_err("300 bytes into 16");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        assert_eq!(rx.try_recv_from(&mut buf)?.0, 6, "then 'fourth', whole");
        // ... and an empty buffer: any non-empty datagram is truncated.
        let err = rx.recv_from(&mut []).await.expect_err("5 bytes into 0");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        assert!(timeout(QUIET, rx.recv_from(&mut buf)).await.is_err(), "'fifth' was dropped whole");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn empty_datagrams_are_sent_and_received() {
    run(async {
        let (a, b) = (bound().await?, bound().await?);
        assert_eq!(a.send_to(&[], b.local_addr()?).await?, 0);
        let mut buf = [0xff; 8];
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!((n, from), (0, a.local_addr()?), "an empty datagram is received as one");
        assert_eq!(buf, [0xff; 8], "and writes nothing");

        // Into an empty buffer, an empty datagram is whole, not truncated.
        a.connect(b.local_addr()?).await?;
        b.connect(a.local_addr()?).await?;
        assert_eq!(b.send(&[]).await?, 0);
        assert_eq!(a.recv(&mut []).await?, 0);
        // An empty datagram is still one datagram: it does not merge with the next.
        b.send(&[]).await?;
        b.send(b"x").await?;
        assert_eq!(a.recv(&mut buf).await?, 0);
        assert_eq!(a.recv(&mut buf).await?, 1);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn icmp_port_unreachable_is_reported_once_and_the_socket_recovers() {
    util::with_watchdog(|| {
        run(async {
            let socket = bound().await?;
            socket.connect(closed_port()).await?;
            socket.send(b"anyone there?").await?;
            let mut buf = [0; 64];
            let first = timeout(PATIENCE, socket.recv(&mut buf)).await.expect("the ICMP error arrives");
            let err = first.expect_err("the port is closed");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
            // Reported once: it is consumed, not repeated.
            assert_eq!(socket.try_recv(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
            assert!(timeout(QUIET, socket.recv(&mut buf)).await.is_err(), "the error came back");
            assert!(socket.take_error()?.is_none());

            // The same socket, connected to a live peer, works.
            let peer = bound().await?;
            socket.connect(peer.local_addr()?).await?;
            peer.connect(socket.local_addr()?).await?;
            for round in 0..3u8 {
                socket.send(&[round; 10]).await?;
                let n = peer.recv(&mut buf).await?;
                assert_eq!(&buf[..n], &[round; 10]);
                peer.send(&[round + 100; 5]).await?;
                let n = timeout(PATIENCE, socket.recv(&mut buf)).await.expect("the reply")?;
                assert_eq!(&buf[..n], &[round + 100; 5]);
            }
            // After a successful exchange, the old error does not come back either.
            assert!(timeout(QUIET, socket.recv(&mut buf)).await.is_err(), "a stale error or datagram");
            assert_eq!(socket.try_recv(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
            io::Result::Ok(())
        })
        .unwrap();
    });
}

#[test]
fn an_unconnected_socket_is_not_failed_by_icmp_errors() {
    run(async {
        // Linux reports ICMP errors only on connected sockets: a server talking to many
        // peers must not see one peer's closed port as its own error.
        let socket = bound().await?;
        socket.send_to(b"to nobody", closed_port()).await?;
        let peer = bound().await?;
        peer.send_to(b"hello", socket.local_addr()?).await?;
        let mut buf = [0; 64];
        let (n, from) = socket.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"hello"[..], peer.local_addr()?));
        assert!(socket.take_error()?.is_none());
        io::Result::Ok(())
    })
    .unwrap();
}
