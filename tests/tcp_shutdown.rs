//! The ends of a TCP connection: half-close, a reset peer, dropping the owned write
//! half, and writes to a closed peer that must fail without `SIGPIPE`.

mod util;

use std::io::{self};
use std::net::Shutdown;
use std::time::Duration;

use util::run;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::spawn;
use wakeful::time::sleep;

#[test]
fn half_close_lets_the_peer_finish() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await?;
            let mut request = Vec::new();
            conn.read_to_end(&mut request).await?; // ends at the client's half-close
            conn.write_all(format!("got {} bytes", request.len()).as_bytes()).await?;
            conn.shutdown(Shutdown::Write)
        });
        let mut client = TcpStream::connect(addr).await?;
        client.write_all(&[7; 1000]).await?;
        client.shutdown(Shutdown::Write)?;
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await?;
        assert_eq!(reply, b"got 1000 bytes");
        server.await.unwrap()
    })
    .unwrap();
}

#[test]
fn peer_reset_is_an_error_not_a_hang() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut client = TcpStream::connect(addr).await?;
        let (conn, _) = listener.accept().await?;
        conn.set_linger(Some(Duration::ZERO))?; // close sends RST
        drop(conn);
        let mut buf = [0; 16];
        let err = client.read(&mut buf).await.expect_err("a reset connection must not read Ok");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn dropping_the_owned_write_half_closes_the_writing_side() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        let (_read, write) = client.into_split();
        drop(write);
        let mut buf = [0; 1];
        assert_eq!(server.read(&mut buf).await?, 0, "the peer sees end of stream");
        io::Result::Ok(())
    })
    .unwrap();
}

/// Writing to a connection the peer closed is an error, never a `SIGPIPE` — checked
/// in a child process where `SIGPIPE` would kill the process (Rust ignores it by
/// default; a C host program may not).
#[test]
fn writes_to_a_closed_peer_never_raise_sigpipe() {
    const NAME: &str = "writes_to_a_closed_peer_never_raise_sigpipe";
    if util::ran_in_child(NAME) {
        return;
    }
    // SAFETY: restoring the default disposition of SIGPIPE: terminate the process.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        drop(server);
        drop(listener);
        let chunk = [0u8; 65536];
        let err = loop {
            match client.write(&chunk).await {
                Ok(_) => sleep(Duration::from_millis(1)).await,
                Err(e) => break e,
            }
        };
        assert!(
            matches!(err.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset),
            "expected a broken pipe, got {err}"
        );
        io::Result::Ok(())
    })
    .unwrap();
}
