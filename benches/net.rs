//! Sockets, wakeful against tokio's current-thread runtime in the same run: a 64-byte
//! TCP round trip, a 1 MiB TCP transfer, a 64-byte UDP round trip. Client and server
//! are two tasks on one runtime, over loopback, so the figures are the runtimes' cost
//! per operation (syscalls included), not the network's.
//!
//! ```text
//! cargo bench --bench net
//! ```

use std::future::Future;
use std::net::SocketAddr;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROUND_TRIPS: usize = 1_000;
const TRANSFER: usize = 1 << 20;

fn tokio_rt() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    (rt, tokio::task::LocalSet::new())
}

fn tokio_block_on<F: Future>(rt: &(tokio::runtime::Runtime, tokio::task::LocalSet), future: F) -> F::Output {
    rt.1.block_on(&rt.0, future)
}

/// A connected TCP pair: (client, server side).
async fn wakeful_tcp_pair() -> (wakeful::net::TcpStream, wakeful::net::TcpStream) {
    let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = wakeful::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    (client, server)
}

async fn tokio_tcp_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    (client, server)
}

fn tcp_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_round_trip_64B");
    group.throughput(Throughput::Elements(ROUND_TRIPS as u64));

    let rt = wakeful::Runtime::new().unwrap();
    let (mut client, mut server) = rt.block_on(wakeful_tcp_pair());
    let echo = rt.spawn(async move {
        let mut buf = [0u8; 64];
        while server.read_exact(&mut buf).await.is_ok() {
            server.write_all(&buf).await.unwrap();
        }
    });
    group.bench_function(BenchmarkId::new("wakeful", ROUND_TRIPS), |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut buf = [7u8; 64];
                for _ in 0..ROUND_TRIPS {
                    client.write_all(&buf).await.unwrap();
                    client.read_exact(&mut buf).await.unwrap();
                }
            })
        })
    });
    drop(client);
    rt.block_on(echo).unwrap();

    let rt = tokio_rt();
    let (mut client, mut server) = tokio_block_on(&rt, tokio_tcp_pair());
    let echo = rt.1.spawn_local(async move {
        let mut buf = [0u8; 64];
        while server.read_exact(&mut buf).await.is_ok() {
            server.write_all(&buf).await.unwrap();
        }
    });
    group.bench_function(BenchmarkId::new("tokio-current-thread", ROUND_TRIPS), |b| {
        b.iter(|| {
            tokio_block_on(&rt, async {
                let mut buf = [7u8; 64];
                for _ in 0..ROUND_TRIPS {
                    client.write_all(&buf).await.unwrap();
                    client.read_exact(&mut buf).await.unwrap();
                }
            })
        })
    });
    drop(client);
    tokio_block_on(&rt, echo).unwrap();
    group.finish();
}

fn tcp_transfer(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_transfer_1MiB");
    group.throughput(Throughput::Bytes(TRANSFER as u64));
    let data = vec![1u8; TRANSFER];

    let rt = wakeful::Runtime::new().unwrap();
    group.bench_function("wakeful", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (mut client, mut server) = wakeful_tcp_pair().await;
                let data = data.clone();
                let writer = wakeful::spawn(async move { client.write_all(&data).await.unwrap() });
                let mut buf = vec![0u8; 64 * 1024];
                let mut received = 0;
                while received < TRANSFER {
                    received += server.read(&mut buf).await.unwrap();
                }
                writer.await.unwrap();
            })
        })
    });

    let rt = tokio_rt();
    group.bench_function("tokio-current-thread", |b| {
        b.iter(|| {
            tokio_block_on(&rt, async {
                let (mut client, mut server) = tokio_tcp_pair().await;
                let data = data.clone();
                let writer = tokio::task::spawn_local(async move { client.write_all(&data).await.unwrap() });
                let mut buf = vec![0u8; 64 * 1024];
                let mut received = 0;
                while received < TRANSFER {
                    received += server.read(&mut buf).await.unwrap();
                }
                writer.await.unwrap();
            })
        })
    });
    group.finish();
}

fn udp_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("udp_round_trip_64B");
    group.throughput(Throughput::Elements(ROUND_TRIPS as u64));

    let rt = wakeful::Runtime::new().unwrap();
    let (client, server_addr) = rt.block_on(async {
        let server = wakeful::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = server.local_addr().unwrap();
        wakeful::spawn(async move {
            let mut buf = [0u8; 64];
            loop {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                server.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let client = wakeful::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(addr).await.unwrap();
        (client, addr)
    });
    let _ = server_addr;
    group.bench_function(BenchmarkId::new("wakeful", ROUND_TRIPS), |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut buf = [7u8; 64];
                for _ in 0..ROUND_TRIPS {
                    client.send(&buf).await.unwrap();
                    client.recv(&mut buf).await.unwrap();
                }
            })
        })
    });

    let rt = tokio_rt();
    let client = tokio_block_on(&rt, async {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::task::spawn_local(async move {
            let mut buf = [0u8; 64];
            loop {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                server.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(addr).await.unwrap();
        client
    });
    group.bench_function(BenchmarkId::new("tokio-current-thread", ROUND_TRIPS), |b| {
        b.iter(|| {
            tokio_block_on(&rt, async {
                let mut buf = [7u8; 64];
                for _ in 0..ROUND_TRIPS {
                    client.send(&buf).await.unwrap();
                    client.recv(&mut buf).await.unwrap();
                }
            })
        })
    });
    group.finish();
}

criterion_group!(net, tcp_round_trip, tcp_transfer, udp_round_trip);
criterion_main!(net);
