//! TCP over the public API: echo, half-close, reset, big transfers through small
//! buffers, many connections, IPv6, refused connects, fd exhaustion, no SIGPIPE.

mod util;

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_core::Stream;
use util::{assert_child_passed, in_child, is_child, pattern, raise_fd_limit, run, PATIENCE};
use wakeful::net::{TcpListener, TcpSocket, TcpStream};
use wakeful::spawn;
use wakeful::time::{sleep, timeout};

/// A listener on 127.0.0.1 whose accepted connections echo until end of stream.
async fn echo_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    spawn(async move {
        loop {
            let (mut conn, _) = listener.accept().await.expect("accept");
            spawn(async move {
                let mut buf = vec![0; 4096];
                loop {
                    let n = conn.read(&mut buf).await.expect("server read");
                    if n == 0 {
                        break;
                    }
                    conn.write_all(&buf[..n]).await.expect("server write");
                }
            });
        }
    });
    Ok(addr)
}

#[test]
fn echo_round_trip_and_addresses() {
    run(async {
        let addr = echo_server().await?;
        let mut client = TcpStream::connect(addr).await?;
        assert_eq!(client.peer_addr()?, addr);
        assert!(client.local_addr()?.ip().is_loopback());
        client.set_nodelay(true)?;
        assert!(client.nodelay()?);
        client.set_ttl(42)?;
        assert_eq!(client.ttl()?, 42);
        client.set_linger(Some(Duration::from_secs(1)))?;
        client.write_all(b"hello, wakeful").await?;
        let mut buf = [0; 14];
        client.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"hello, wakeful");
        assert!(client.take_error()?.is_none());
        io::Result::Ok(())
    })
    .unwrap();
}

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
fn one_mib_through_small_buffers_arrives_intact() {
    let data = pattern(1 << 20, 3);
    let received = run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let reader = spawn(async move {
            let (mut conn, _) = listener.accept().await?;
            let mut all = Vec::new();
            conn.read_to_end(&mut all).await?;
            io::Result::Ok(all)
        });
        let socket = TcpSocket::new_v4()?;
        socket.set_send_buffer_size(4096)?;
        socket.set_recv_buffer_size(4096)?;
        let mut client = socket.connect(addr).await?;
        client.write_all(&data).await?;
        client.shutdown(Shutdown::Write)?;
        reader.await.unwrap()
    })
    .unwrap();
    assert_eq!(received.len(), data.len());
    assert!(received == data, "bytes were reordered, lost or duplicated");
}

#[test]
fn thousand_connections_each_echo_64_kib() {
    raise_fd_limit(4096);
    const CONNS: usize = 1000;
    const SIZE: usize = 64 * 1024;
    let rt = wakeful::Runtime::new().unwrap();
    let started = Instant::now();
    rt.block_on(async {
        let addr = echo_server().await.unwrap();
        let clients: Vec<_> = (0..CONNS)
            .map(|i| {
                spawn(async move {
                    let data = pattern(SIZE, i as u8);
                    let stream = TcpStream::connect(addr).await?;
                    let (mut read, mut write) = stream.into_split();
                    let sent = data.clone();
                    let writer = spawn(async move { write.write_all(&sent).await });
                    let mut echoed = vec![0; SIZE];
                    read.read_exact(&mut echoed).await?;
                    writer.await.unwrap()?;
                    assert!(echoed == data, "connection {i}: echo differs");
                    io::Result::Ok(())
                })
            })
            .collect();
        for client in clients {
            timeout(PATIENCE * 3, client).await.expect("echo timed out").unwrap().unwrap();
        }
    });
    assert!(started.elapsed() < PATIENCE * 3);
    assert!(rt.stats().events > CONNS as u64);
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
fn read_timeout_fires_on_a_silent_peer() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (_silent, _) = listener.accept().await?;
        let started = Instant::now();
        let mut buf = [0; 1];
        let result = timeout(Duration::from_millis(30), client.read(&mut buf)).await;
        assert!(result.is_err(), "the read must time out");
        assert!(started.elapsed() >= Duration::from_millis(30));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn split_halves_work_from_two_tasks_and_reunite() {
    run(async {
        let addr = echo_server().await?;
        let stream = TcpStream::connect(addr).await?;
        let (mut read, mut write) = stream.into_split();
        let writer = spawn(async move {
            for i in 0..100u8 {
                write.write_all(&[i; 100]).await?;
            }
            io::Result::Ok(write)
        });
        let mut echoed = vec![0; 10_000];
        read.read_exact(&mut echoed).await?;
        assert!(echoed.chunks(100).enumerate().all(|(i, c)| c.iter().all(|&b| b == i as u8)));
        let write = writer.await.unwrap()?;

        let other = TcpStream::connect(addr).await?;
        let (other_read, other_write) = other.into_split();
        let mismatch = read.reunite(other_write).expect_err("halves of different streams");
        let (read, _) = (mismatch.0, mismatch.1);
        let mut stream = read.reunite(write).expect("halves of one stream");
        drop(other_read);

        let (mut r, mut w) = stream.split();
        w.write_all(b"borrowed").await?;
        let mut buf = [0; 8];
        r.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"borrowed");
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

#[test]
fn vectored_io_peek_and_try_operations() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;

        let mut buf = [0; 8];
        let err = server.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "nothing to read yet");

        client.writable().await?;
        let n = client.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")]).await?;
        assert_eq!(n, 4);
        server.readable().await?;
        assert_eq!(server.peek(&mut buf).await?, 4, "peek sees the bytes");
        let (mut first, mut second) = ([0; 1], [0; 3]);
        let n =
            server.read_vectored(&mut [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)]).await?;
        assert_eq!((n, &first, &second), (4, b"a", b"bcd"));

        assert_eq!(client.try_write(b"xyz")?, 3);
        server.readable().await?;
        assert_eq!(server.try_read(&mut buf)?, 3);
        assert_eq!(&buf[..3], b"xyz");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn incoming_is_a_stream_of_connections() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let clients: Vec<_> = (0..3).map(|_| spawn(TcpStream::connect(addr))).collect();
        let mut incoming = listener.incoming();
        for _ in 0..3 {
            let next = poll_fn(|cx| Pin::new(&mut incoming).poll_next(cx)).await;
            next.expect("the stream never ends")?;
        }
        for client in clients {
            client.await.unwrap()?;
        }
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

#[test]
fn reuseport_lets_two_listeners_share_a_port() {
    run(async {
        let first = TcpSocket::new_v4()?;
        first.set_reuseport(true)?;
        assert!(first.reuseport()?);
        first.bind("127.0.0.1:0".parse().unwrap())?;
        let addr = first.local_addr()?;
        let second = TcpSocket::new_v4()?;
        second.set_reuseport(true)?;
        second.bind(addr)?;
        let (a, b) = (first.listen(16)?, second.listen(16)?);
        assert_eq!(a.local_addr()?, b.local_addr()?);
        io::Result::Ok(())
    })
    .unwrap();
}

/// Accept survives running out of descriptors: it pauses instead of spinning or
/// failing, and takes the queued connections once descriptors are freed.
#[test]
fn accept_recovers_from_fd_exhaustion() {
    const NAME: &str = "accept_recovers_from_fd_exhaustion";
    if !is_child(NAME) {
        return assert_child_passed(&in_child(NAME));
    }
    let rt = wakeful::Runtime::new().unwrap();
    let (listener, clients) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Eight connections wait in the backlog (the kernel completes handshakes).
        let clients: Vec<_> = (0..8).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
        (listener, clients)
    });
    // Room for only three more descriptors.
    let highest = clients.iter().map(std::os::fd::AsRawFd::as_raw_fd).max().unwrap();
    util::set_fd_limit((highest + 4) as u64);

    let accepted = rt.block_on(async {
        let mut held = Vec::new();
        // Accept until stuck: the limit stops it short of eight.
        while let Ok(conn) = timeout(Duration::from_millis(100), listener.accept()).await {
            held.push(conn.expect("accept returns no error during exhaustion").0);
        }
        let stuck_with = held.len();
        assert!(stuck_with < 8, "the descriptor limit stopped accept");
        // While stuck, accept backs off instead of spinning.
        let turns_before = rt.stats().reactor_turns;
        assert!(timeout(Duration::from_millis(100), listener.accept()).await.is_err());
        let turns = rt.stats().reactor_turns - turns_before;
        assert!(turns < 50, "{turns} reactor turns in 100 ms: accept spun instead of backing off");
        // Free the descriptors: the queued connections come through.
        held.clear();
        let mut accepted = stuck_with;
        while accepted < 8 {
            timeout(PATIENCE, listener.accept()).await.expect("accept recovered").unwrap();
            accepted += 1;
        }
        accepted
    });
    assert_eq!(accepted, 8, "every queued connection was accepted");
    drop(clients);
}

/// Writing to a connection the peer closed is an error, never a `SIGPIPE` — checked
/// in a child process where `SIGPIPE` would kill the process (Rust ignores it by
/// default; a C host program may not).
#[test]
fn writes_to_a_closed_peer_never_raise_sigpipe() {
    const NAME: &str = "writes_to_a_closed_peer_never_raise_sigpipe";
    if !is_child(NAME) {
        return assert_child_passed(&in_child(NAME));
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

#[test]
fn urgent_data_does_not_stall_reads() {
    // A read stops short at TCP's urgent mark with data still queued: the short read
    // must not be taken for "drained", or the rest would never be read.
    util::with_watchdog(|| {
        run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let client = std::net::TcpStream::connect(listener.local_addr()?)?;
            let (mut server, _) = listener.accept().await?;
            let fd = std::os::fd::AsRawFd::as_raw_fd(&client);
            for (bytes, flags) in [(&b"abc"[..], 0), (b"X", libc::MSG_OOB), (b"def", 0)] {
                // SAFETY: sends from a live buffer on a live socket.
                let sent = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), flags) };
                assert_eq!(sent, bytes.len() as isize);
            }
            let mut received = Vec::new();
            while received.len() < 6 {
                let mut buf = [0; 64];
                let n =
                    timeout(Duration::from_secs(5), server.read(&mut buf)).await.expect("read stalled")?;
                received.extend_from_slice(&buf[..n]);
            }
            assert_eq!(received, b"abcdef", "the urgent byte is out of band; the rest arrives");
            io::Result::Ok(())
        })
        .unwrap();
    });
}

#[test]
fn read_to_end_cancelled_keeps_exactly_what_was_read() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        client.write_all(b"12345").await?;
        let mut buf = Vec::new();
        let cut_short = timeout(Duration::from_millis(50), server.read_to_end(&mut buf)).await;
        assert!(cut_short.is_err(), "no end of stream yet");
        assert_eq!(buf, b"12345", "no padding left behind by the cancelled read");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn vectored_writes_beyond_iov_max_are_partial_not_errors() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let _server = listener.accept().await?;
        let bytes = vec![7u8; 2000];
        let slices: Vec<IoSlice<'_>> = bytes.chunks(1).map(IoSlice::new).collect();
        let n = client.write_vectored(&slices).await?;
        assert!((1..=1024).contains(&n), "wrote {n} of 2000 one-byte slices");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn several_tasks_may_accept_on_one_listener() {
    run(async {
        let listener = std::rc::Rc::new(TcpListener::bind("127.0.0.1:0").await?);
        let addr = listener.local_addr()?;
        let acceptors: Vec<_> = (0..2)
            .map(|_| {
                let listener = listener.clone();
                spawn(async move { listener.accept().await.map(|(_, peer)| peer) })
            })
            .collect();
        wakeful::yield_now().await; // both are waiting now
        let _clients = (TcpStream::connect(addr).await?, TcpStream::connect(addr).await?);
        for acceptor in acceptors {
            timeout(Duration::from_secs(5), acceptor).await.expect("every acceptor is woken").unwrap()?;
        }
        io::Result::Ok(())
    })
    .unwrap();
}
