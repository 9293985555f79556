//! UDP over the public API: round trips, connected sockets, truncation, multicast.

mod util;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use util::{pattern, run};
use wakeful::net::UdpSocket;
use wakeful::spawn;
use wakeful::time::timeout;

#[test]
fn send_to_and_recv_from_one_socket_serves_all_peers() {
    run(async {
        let server = UdpSocket::bind("127.0.0.1:0").await?;
        let addr = server.local_addr()?;
        let echo = spawn(async move {
            let mut buf = [0; 1500];
            for _ in 0..6 {
                let (n, from) = server.recv_from(&mut buf).await?;
                server.send_to(&buf[..n], from).await?;
            }
            io::Result::Ok(())
        });
        for i in 0..3u8 {
            let client = UdpSocket::bind("127.0.0.1:0").await?;
            for j in 0..2u8 {
                let message = pattern(100 + usize::from(i * 10 + j), i);
                client.send_to(&message, addr).await?;
                let mut buf = [0; 1500];
                let (n, from) = client.recv_from(&mut buf).await?;
                assert_eq!(from, addr);
                assert_eq!(&buf[..n], &message[..]);
            }
        }
        echo.await.unwrap()
    })
    .unwrap();
}

#[test]
fn connected_socket_sends_and_receives_with_its_peer_only() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let stranger = UdpSocket::bind("127.0.0.1:0").await?;
        a.connect(b.local_addr()?).await?;
        b.connect(a.local_addr()?).await?;
        assert_eq!(a.peer_addr()?, b.local_addr()?);
        stranger.send_to(b"not for you", a.local_addr()?).await?;
        b.send(b"hello").await?;
        let mut buf = [0; 32];
        let n = a.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"hello", "the stranger's datagram is filtered out");
        let quiet = timeout(Duration::from_millis(20), a.recv(&mut buf)).await;
        assert!(quiet.is_err(), "nothing else arrives");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_datagram_larger_than_the_buffer_is_reported_not_cut() {
    run(async {
        let rx = UdpSocket::bind("127.0.0.1:0").await?;
        let tx = UdpSocket::bind("127.0.0.1:0").await?;
        let big = pattern(100, 9);
        tx.send_to(&big, rx.local_addr()?).await?;
        tx.send_to(b"small", rx.local_addr()?).await?;

        let mut peeked = [0; 10];
        let (n, _) = rx.peek_from(&mut peeked).await?;
        assert_eq!((n, &peeked[..]), (10, &big[..10]), "peek fills the buffer and leaves the datagram");

        let mut buf = [0; 10];
        let err = rx.recv_from(&mut buf).await.expect_err("a truncated datagram is an error");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("truncated to the 10-byte buffer"), "{err}");
        #[cfg(target_os = "linux")]
        assert!(err.to_string().contains("of 100 bytes"), "{err}");
        assert_eq!(&buf, &big[..10], "the buffer holds the datagram's start");

        let (n, _) = rx.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"small", "the next datagram is intact");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn try_operations_and_readiness() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await?;
        let b = UdpSocket::bind("127.0.0.1:0").await?;
        let mut buf = [0; 8];
        assert_eq!(a.try_recv_from(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        b.writable().await?;
        assert_eq!(b.try_send_to(b"now", a.local_addr()?)?, 3);
        a.readable().await?;
        let (n, from) = a.try_recv_from(&mut buf)?;
        assert_eq!((&buf[..n], from), (&b"now"[..], b.local_addr()?));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn ipv6_loopback_and_options() {
    run(async {
        let a = UdpSocket::bind("[::1]:0").await?;
        let b = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).await?;
        a.send_to(b"v6", b.local_addr()?).await?;
        let mut buf = [0; 4];
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"v6"[..], a.local_addr()?));

        let v4 = UdpSocket::bind("127.0.0.1:0").await?;
        v4.set_broadcast(true)?;
        assert!(v4.broadcast()?);
        v4.set_ttl(7)?;
        assert_eq!(v4.ttl()?, 7);
        v4.set_multicast_loop_v4(true)?;
        v4.set_multicast_ttl_v4(1)?;
        assert!(v4.take_error()?.is_none());
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn multicast_v4_delivers_to_members() {
    run(async {
        let group = Ipv4Addr::new(239, 255, 77, 1);
        let member = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await?;
        member.join_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
        let port = member.local_addr()?.port();
        let sender = UdpSocket::bind("127.0.0.1:0").await?;
        sender.set_multicast_loop_v4(true)?;
        set_multicast_interface(&sender, Ipv4Addr::LOCALHOST)?;
        sender.send_to(b"to the group", (group, port)).await?;
        let mut buf = [0; 32];
        let (n, _) = member.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"to the group");
        member.leave_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
        io::Result::Ok(())
    })
    .unwrap();
}

/// Sends multicast through `interface` (`IP_MULTICAST_IF`, which std does not expose),
/// so the test needs no route but loopback's.
fn set_multicast_interface(socket: &UdpSocket, interface: Ipv4Addr) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let addr = libc::in_addr { s_addr: u32::from_ne_bytes(interface.octets()) };
    let len = std::mem::size_of::<libc::in_addr>() as libc::socklen_t;
    // SAFETY: `addr` is a live in_addr of `len` bytes, only read.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            (&addr as *const libc::in_addr).cast(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[test]
fn many_datagrams_round_trip_in_lockstep() {
    run(async {
        let server = UdpSocket::bind("127.0.0.1:0").await?;
        let client = UdpSocket::bind("127.0.0.1:0").await?;
        client.connect(server.local_addr()?).await?;
        let echo = spawn(async move {
            let mut buf = [0; 64];
            for _ in 0..1000 {
                let (n, from) = server.recv_from(&mut buf).await?;
                server.send_to(&buf[..n], from).await?;
            }
            io::Result::Ok(())
        });
        let mut buf = [0; 64];
        for i in 0..1000u32 {
            client.send(&i.to_le_bytes()).await?;
            let n = client.recv(&mut buf).await?;
            assert_eq!(&buf[..n], &i.to_le_bytes());
        }
        echo.await.unwrap()
    })
    .unwrap();
}

#[test]
fn an_icmp_error_is_reported_then_recv_waits_again() {
    // The error readiness (EPOLLERR) must not stay cached after the error was
    // consumed: the next recv waits instead of spinning on EAGAIN forever.
    util::with_watchdog(|| {
        run(async {
            let closed = std::net::UdpSocket::bind("127.0.0.1:0")?.local_addr()?; // then dropped
            let socket = UdpSocket::bind("127.0.0.1:0").await?;
            socket.connect(closed).await?;
            socket.send(b"anyone?").await?;
            let mut buf = [0; 16];
            let first =
                timeout(Duration::from_secs(5), socket.recv(&mut buf)).await.expect("the ICMP error arrives");
            assert_eq!(first.unwrap_err().kind(), io::ErrorKind::ConnectionRefused);
            let second = timeout(Duration::from_millis(50), socket.recv(&mut buf)).await;
            assert!(second.is_err(), "nothing to receive: the recv waits and times out");
            io::Result::Ok(())
        })
        .unwrap();
    });
}
