//! The per-datagram receive path (one `recvfrom` with `MSG_TRUNC` on Linux, `recvmsg`
//! elsewhere): the real size of a truncated datagram, the sender's address in both
//! families, connected and unconnected sockets, peek, and every form of `send_to`'s
//! address.

mod util;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use util::{pattern, run};
use wakeful::net::UdpSocket;

/// `recv_from`, `try_recv_from`, `recv` and `try_recv` all report a datagram larger
/// than the buffer as `InvalidData`, with the buffer holding its start.
async fn assert_each_receive_reports_truncation(rx: &UdpSocket, tx: &UdpSocket) -> io::Result<()> {
    let to = rx.local_addr()?;
    let connected = rx.peer_addr().is_ok();
    for (round, size) in [(0u8, 17usize), (1, 1000), (2, 4096), (3, 9)].into_iter() {
        let sent = pattern(size, round);
        tx.send_to(&sent, to).await?;
        let mut small = [0u8; 8];
        let err = match round {
            0 => rx.recv_from(&mut small).await.map(drop),
            1 => {
                rx.readable().await?;
                rx.try_recv_from(&mut small).map(drop)
            }
            2 if connected => rx.recv(&mut small).await.map(drop),
            2 => rx.recv_from(&mut small).await.map(drop),
            _ => {
                rx.readable().await?;
                rx.try_recv(&mut small).map(drop)
            }
        }
        .expect_err("a datagram larger than the buffer");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "round {round}: {err}");
        assert!(err.to_string().contains("truncated to the 8-byte buffer"), "round {round}: {err}");
        #[cfg(target_os = "linux")]
        assert!(err.to_string().contains(&format!("of {size} bytes")), "round {round}, real size: {err}");
        assert_eq!(small, sent[..8], "round {round}: the buffer holds the datagram's start");
    }
    // Each truncated datagram was consumed whole: the next one is received intact.
    tx.send_to(b"intact", to).await?;
    let mut buf = [0u8; 64];
    let (n, from) = rx.recv_from(&mut buf).await?;
    assert_eq!((&buf[..n], from), (&b"intact"[..], tx.local_addr()?));
    Ok(())
}

#[test]
fn truncation_is_reported_by_every_receive_on_an_unconnected_ipv4_socket() {
    run(async {
        let (rx, tx) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
        assert_each_receive_reports_truncation(&rx, &tx).await
    })
    .unwrap();
}

#[test]
fn truncation_is_reported_by_every_receive_on_a_connected_ipv6_socket() {
    run(async {
        let (rx, tx) = (UdpSocket::bind("[::1]:0").await?, UdpSocket::bind("[::1]:0").await?);
        rx.connect(tx.local_addr()?).await?;
        assert_each_receive_reports_truncation(&rx, &tx).await
    })
    .unwrap();
}

#[test]
fn a_datagram_exactly_the_buffers_size_is_whole_and_its_ipv6_sender_exact() {
    run(async {
        let rx = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).await?;
        let tx = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).await?;
        let sent = pattern(512, 4);
        tx.send_to(&sent, rx.local_addr()?).await?;
        let mut exact = vec![0; 512];
        let (n, from) = rx.recv_from(&mut exact).await?;
        assert_eq!(n, 512, "a full buffer is not a truncation");
        assert!(exact == sent, "the datagram arrived altered");
        let SocketAddr::V6(from) = from else { panic!("an IPv6 sender read as {from}") };
        let SocketAddr::V6(expected) = tx.local_addr()? else { unreachable!() };
        assert_eq!(
            (from.ip(), from.port(), from.flowinfo(), from.scope_id()),
            (expected.ip(), expected.port(), 0, 0),
            "the sender's address, field by field"
        );
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn peek_leaves_a_large_datagram_queued_for_a_large_enough_receive() {
    run(async {
        let (rx, tx) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
        let sent = pattern(3000, 5);
        tx.send_to(&sent, rx.local_addr()?).await?;
        let mut small = [0; 10];
        for _ in 0..2 {
            let (n, from) = rx.peek_from(&mut small).await?;
            assert_eq!(
                (n, &small[..], from),
                (10, &sent[..10], tx.local_addr()?),
                "peek is not a truncation"
            );
        }
        let mut buf = vec![0; 4000];
        let (n, _) = rx.recv_from(&mut buf).await?;
        assert!(n == 3000 && buf[..n] == sent[..], "the peeked datagram is received whole");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn send_to_accepts_every_address_form() {
    run(async {
        let rx = UdpSocket::bind("127.0.0.1:0").await?;
        let tx = UdpSocket::bind("127.0.0.1:0").await?;
        let to = rx.local_addr()?;
        let port = to.port();
        let SocketAddr::V4(v4) = to else { unreachable!() };
        tx.send_to(b"0", to).await?;
        tx.send_to(b"1", &to).await?;
        tx.send_to(b"2", v4).await?;
        tx.send_to(b"3", (Ipv4Addr::LOCALHOST, port)).await?;
        tx.send_to(b"4", format!("127.0.0.1:{port}")).await?;
        tx.send_to(b"5", ("127.0.0.1", port)).await?;
        tx.send_to(b"6", ("localhost", port)).await?;
        tx.send_to(b"7", &[to][..]).await?;
        let mut buf = [0; 4];
        for expected in b'0'..=b'7' {
            let (n, _) = rx.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], &[expected], "datagrams in order, one per form");
        }
        // An empty list is a clear error, not a panic.
        let err = tx.send_to(b"x", &[][..] as &[SocketAddr]).await.expect_err("no address");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        // An IPv6 target from an IPv4 socket: the OS's error, reported.
        let v6 = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, port, 0, 0));
        assert!(tx.send_to(b"x", v6).await.is_err(), "an IPv4 socket cannot send to {v6}");
        io::Result::Ok(())
    })
    .unwrap();
}

/// The edges of the receive buffer: an empty datagram into an empty buffer and a
/// full one, a datagram exactly the buffer's size and one byte more, and any datagram
/// into an empty buffer (truncated to nothing, reported with its real size).
#[test]
fn empty_datagrams_empty_buffers_and_one_byte_over_are_told_apart() {
    run(async {
        let (rx, tx) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
        let to = rx.local_addr()?;
        let me = tx.local_addr()?;
        tx.send_to(b"", to).await?;
        assert_eq!(rx.recv_from(&mut []).await?, (0, me), "empty into empty is whole");
        tx.send_to(b"", to).await?;
        assert_eq!(rx.recv_from(&mut [0; 16]).await?, (0, me), "empty into 16 bytes");
        tx.send_to(&[9; 16], to).await?;
        let mut buf = [0; 16];
        assert_eq!(rx.recv_from(&mut buf).await?, (16, me), "exactly the buffer's size");
        tx.send_to(&[8; 17], to).await?;
        let err = rx.recv_from(&mut buf).await.expect_err("one byte over");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        tx.send_to(b"abc", to).await?;
        let err = rx.recv_from(&mut []).await.expect_err("3 bytes into none");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        #[cfg(target_os = "linux")]
        assert!(err.to_string().contains("of 3 bytes"), "{err}");
        // Nothing left over from the truncated ones.
        tx.send_to(b"end", to).await?;
        let (n, _) = rx.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"end");
        io::Result::Ok(())
    })
    .unwrap();
}

/// A dual-stack IPv6 socket reads an IPv4 sender as the v4-mapped address, as std and
/// the OS do.
#[test]
fn an_ipv4_sender_reads_as_v4_mapped_on_a_dual_stack_socket() {
    run(async {
        let rx = match UdpSocket::bind("[::]:0").await {
            Ok(rx) => rx,
            Err(e) => {
                eprintln!("no IPv6 here: {e}");
                return Ok(());
            }
        };
        let tx = UdpSocket::bind("127.0.0.1:0").await?;
        let port = rx.local_addr()?.port();
        tx.send_to(b"v4", (Ipv4Addr::LOCALHOST, port)).await?;
        let mut buf = [0; 8];
        let (n, from) = rx.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"v4");
        let SocketAddr::V6(from) = from else { panic!("{from}") };
        assert_eq!(from.ip().to_ipv4_mapped(), Some(Ipv4Addr::LOCALHOST), "{from}");
        assert_eq!(from.port(), tx.local_addr()?.port());
        io::Result::Ok(())
    })
    .unwrap();
}

/// Unix datagrams through the same receive: an unbound sender (no address), a bound
/// one (its path), an abstract one (Linux; read as unnamed), an empty datagram and
/// truncation with its real size.
#[test]
fn unix_datagram_senders_of_every_kind_and_the_buffer_edges() {
    use wakeful::net::unix::UnixDatagram;
    let dir = util::TempDir::new("unix_datagram_senders_of_every_kind");
    run(async {
        let rx_path = dir.path("rx");
        let rx = UnixDatagram::bind(&rx_path)?;
        let unbound = UnixDatagram::unbound()?;
        unbound.send_to(b"anon", &rx_path).await?;
        let mut buf = [0; 8];
        let (n, from) = rx.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from.as_pathname()), (&b"anon"[..], None));

        let tx_path = dir.path("tx");
        let named = UnixDatagram::bind(&tx_path)?;
        named.send_to(b"", &rx_path).await?;
        let (n, from) = rx.recv_from(&mut []).await?;
        assert_eq!((n, from.as_pathname()), (0, Some(tx_path.as_path())), "empty into empty");
        named.send_to(&[1; 9], &rx_path).await?;
        let err = rx.recv_from(&mut buf).await.expect_err("9 bytes into 8");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        #[cfg(target_os = "linux")]
        assert!(err.to_string().contains("of 9 bytes"), "{err}");
        named.send_to(&[2; 8], &rx_path).await?;
        let (n, from) = rx.recv_from(&mut buf).await?;
        assert_eq!((n, buf, from.as_pathname()), (8, [2; 8], Some(tx_path.as_path())));

        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let name = format!("wakeful-abstract-{}", std::process::id());
            let abs = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            let std_tx = std::os::unix::net::UnixDatagram::bind_addr(&abs)?;
            std_tx.send_to(b"abs", &rx_path)?;
            let (n, from) = rx.recv_from(&mut buf).await?;
            assert_eq!((&buf[..n], from.as_pathname()), (&b"abs"[..], None), "abstract: no path");
        }
        io::Result::Ok(())
    })
    .unwrap();
}
