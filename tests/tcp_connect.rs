//! Making TCP connections: refused and unresolvable addresses fail fast and say
//! which, several addresses are tried in turn, IPv6 loopback works, std sockets are
//! taken over (made non-blocking), and sockets made outside a runtime fail clearly.

mod util;

use std::io::{self};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use util::run;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::time::timeout;

/// A port with nothing listening on it (bound, then closed).
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[test]
fn connect_to_a_closed_port_fails_fast() {
    let addr = closed_port();
    let started = Instant::now();
    let err = run(TcpStream::connect(addr)).expect_err("nothing listens there");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    assert!(err.to_string().contains(&addr.to_string()), "the error names the address: {err}");
    assert!(started.elapsed() < Duration::from_secs(2), "refusal took {:?}", started.elapsed());
}

#[test]
fn connect_tries_every_address_in_turn() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let open = listener.local_addr()?;
        let addrs = [closed_port(), open];
        let client = TcpStream::connect(&addrs[..]).await?;
        assert_eq!(client.peer_addr()?, open);
        // A host name, resolved off the runtime's thread; "localhost" may also name ::1,
        // where nothing listens: that address fails and the next is tried.
        let by_name = TcpStream::connect(("localhost", open.port())).await?;
        assert_eq!(by_name.peer_addr()?, open);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn unresolvable_host_is_a_clear_error() {
    let err = run(TcpStream::connect("no-such-host.invalid:80")).unwrap_err();
    assert!(err.to_string().contains("no-such-host.invalid"), "{err}");
}

#[test]
fn ipv6_loopback() {
    run(async {
        let listener = TcpListener::bind("[::1]:0").await?;
        let addr = listener.local_addr()?;
        assert!(addr.is_ipv6());
        let mut client = TcpStream::connect(addr).await?;
        let (mut server, peer) = listener.accept().await?;
        assert_eq!(peer, client.local_addr()?);
        client.write_all(b"six").await?;
        let mut buf = [0; 3];
        server.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"six");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn blocking_std_sockets_are_made_non_blocking() {
    run(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?; // blocking
        let addr = std_listener.local_addr()?;
        let listener = TcpListener::from_std(std_listener)?;
        let std_client = std::net::TcpStream::connect(addr)?; // blocking
        let (mut server, _) = listener.accept().await?;
        let client = TcpStream::from_std(std_client)?;
        // A blocking read here would hang the runtime (and this test's timeout).
        let mut buf = [0; 1];
        let pending = timeout(Duration::from_millis(20), server.read(&mut buf)).await;
        assert!(pending.is_err(), "no data: the read must wait, not block the thread");
        let std_back = client.into_std()?;
        drop(std_back);
        assert_eq!(server.read(&mut buf).await?, 0);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn sockets_outside_a_runtime_fail_clearly() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = TcpListener::from_std(std_listener).unwrap_err();
    assert!(err.to_string().contains("no wakeful runtime is running on this thread"), "{err}");
}
