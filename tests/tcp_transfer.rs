//! Bytes through TCP, checked end to end: an echo round trip, 1 MiB through small
//! buffers, a thousand connections at once, and split halves used from two tasks.

mod util;

use std::io::{self};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use util::{pattern, raise_fd_limit, run, PATIENCE};
use wakeful::net::{TcpListener, TcpSocket, TcpStream};
use wakeful::spawn;
use wakeful::time::timeout;

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
