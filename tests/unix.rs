//! Unix sockets over the public API: streams, listeners, datagrams, addresses.

mod util;

use std::io;
use std::net::Shutdown;
use std::time::Duration;

use util::{pattern, run, TempDir};
use wakeful::net::{UnixDatagram, UnixListener, UnixStream};
use wakeful::spawn;

#[test]
fn listener_accepts_and_streams_echo_with_half_close() {
    let dir = TempDir::new("echo");
    let path = dir.path("echo.sock");
    let data = pattern(300_000, 5);
    let echoed = run(async {
        let listener = UnixListener::bind(&path)?;
        assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
        let server = spawn(async move {
            let (mut conn, peer) = listener.accept().await?;
            assert!(peer.is_unnamed(), "{peer:?}");
            let mut buf = vec![0; 4096];
            loop {
                match conn.read(&mut buf).await? {
                    0 => break conn.shutdown(Shutdown::Write),
                    n => conn.write_all(&buf[..n]).await?,
                }
            }
        });
        let client = UnixStream::connect(&path).await?;
        assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
        // Write and read at once: 300 kB does not fit in the socket buffers.
        let (mut read, mut write) = client.into_split();
        let sent = data.clone();
        let writer = spawn(async move {
            write.write_all(&sent).await?;
            write.shutdown()
        });
        let mut echoed = Vec::new();
        read.read_to_end(&mut echoed).await?;
        writer.await.unwrap()?;
        server.await.unwrap()?;
        io::Result::Ok(echoed)
    })
    .unwrap();
    assert!(echoed == data, "echo differs");
}

#[test]
fn pair_split_and_reunite() {
    run(async {
        let (a, mut b) = UnixStream::pair()?;
        assert!(a.local_addr()?.is_unnamed());
        let (mut read, mut write) = a.into_split();
        write.write_all(b"ping").await?;
        let mut buf = [0; 4];
        b.read_exact(&mut buf).await?;
        b.write_all(b"pong").await?;
        read.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"pong");
        let mut a = read.reunite(write).expect("same stream");
        let (mut r, mut w) = b.split();
        w.write_all(b"!").await?;
        a.read_exact(&mut buf[..1]).await?;
        assert_eq!(&buf[..1], b"!");
        drop(a);
        assert_eq!(r.read(&mut buf).await?, 0, "end of stream after the peer is dropped");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn connect_errors_name_the_path() {
    let dir = TempDir::new("missing");
    let missing = dir.path("nobody-home.sock");
    let err = run(UnixStream::connect(&missing)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("nobody-home.sock"), "{err}");

    let long = dir.path(&"x".repeat(200));
    let err = run(UnixStream::connect(&long)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

#[test]
fn datagrams_between_paths_and_pairs() {
    let dir = TempDir::new("dgram");
    let (server_path, client_path) = (dir.path("server.sock"), dir.path("client.sock"));
    run(async {
        let server = UnixDatagram::bind(&server_path)?;
        let client = UnixDatagram::bind(&client_path)?;
        client.send_to(b"request", &server_path).await?;
        let mut buf = [0; 64];
        let (n, from) = server.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"request");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        server.send_to(b"reply", from.as_pathname().unwrap()).await?;
        let n = client.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"reply");

        let unbound = UnixDatagram::unbound()?;
        unbound.connect(&server_path)?;
        assert_eq!(unbound.peer_addr()?.as_pathname(), Some(server_path.as_path()));
        unbound.send(b"anonymous").await?;
        let (n, from) = server.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from.is_unnamed()), (&b"anonymous"[..], true));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn unix_datagram_truncation_is_reported() {
    run(async {
        let (a, b) = UnixDatagram::pair()?;
        a.send(&[1; 50]).await?;
        a.send(b"ok").await?;
        let mut small = [0; 8];
        let err = b.recv(&mut small).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
        let n = b.recv(&mut small).await?;
        assert_eq!(&small[..n], b"ok");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn connect_to_a_full_backlog_fails_rather_than_pretending() {
    let dir = TempDir::new("backlog");
    let path = dir.path("full.sock");
    run(async {
        let listener = UnixListener::bind(&path)?;
        // SAFETY: shrinks the backlog of a live listening socket.
        assert_eq!(unsafe { libc::listen(std::os::fd::AsRawFd::as_raw_fd(&listener), 0) }, 0);
        let mut connected = Vec::new();
        for _ in 0..6 {
            match UnixStream::connect(&path).await {
                Ok(stream) => {
                    assert!(stream.peer_addr().is_ok(), "a stream returned by connect is connected");
                    connected.push(stream);
                }
                Err(err) => assert!(err.to_string().contains("full.sock"), "{err}"),
            }
        }
        assert!(!connected.is_empty(), "the backlog admits at least one");
        io::Result::Ok(())
    })
    .unwrap();
}

/// An unconnected `send_to` a receiver whose queue is full waits without spinning —
/// on Linux the sender reads as writable again after each failed send, so a wait on
/// writability alone would retry every turn — and goes through once the receiver
/// drains. No datagram is lost or repeated.
#[test]
fn unconnected_send_to_a_full_receiver_waits_without_spinning() {
    let dir = TempDir::new("full-receiver");
    run(async {
        let path = dir.path("receiver");
        let receiver = UnixDatagram::bind(&path)?;
        let sender = std::rc::Rc::new(UnixDatagram::unbound()?);
        let mut sent = 0u32;
        while wakeful::time::timeout(Duration::from_millis(50), sender.send_to(&sent.to_le_bytes(), &path))
            .await
            .is_ok()
        {
            sent += 1;
            assert!(sent < 100_000, "the receiver's queue never filled");
        }
        let turns_before = wakeful::stats().unwrap().reactor_turns;
        let blocked = wakeful::time::timeout(Duration::from_millis(200), sender.send_to(b"x", &path)).await;
        let turns = wakeful::stats().unwrap().reactor_turns - turns_before;
        assert!(blocked.is_err(), "the receiver is full: the send waits");
        assert!(turns < 300, "{turns} reactor turns in 200 ms: the send spun");

        let last = sent;
        let task = spawn({
            let (sender, path) = (sender.clone(), path.clone());
            async move { sender.send_to(&last.to_le_bytes(), &path).await }
        });
        let mut buf = [0u8; 8];
        for expected in 0..=last {
            let n =
                wakeful::time::timeout(util::PATIENCE, receiver.recv(&mut buf)).await.expect("received")?;
            assert_eq!(u32::from_le_bytes(buf[..n].try_into().unwrap()), expected, "in order, none lost");
        }
        let started = std::time::Instant::now();
        wakeful::time::timeout(util::PATIENCE, task).await.expect("the send resumed").unwrap()?;
        assert!(started.elapsed() < util::PATIENCE);
        io::Result::Ok(())
    })
    .unwrap();
}
