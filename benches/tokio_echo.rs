//! The tokio twin of `examples/echo.rs`, for `benches/compare.sh`: tokio's
//! current-thread runtime, the same 4 KiB read buffer, `TCP_NODELAY` on accepted
//! sockets, one task per connection, read → write_all. Also a UDP echo (`--udp`), the
//! twin of `examples/udp_server.rs` without the upper-casing.
//!
//! ```text
//! cargo run --release --example tokio_echo -- --addr 127.0.0.1:8000
//! cargo run --release --example tokio_echo -- --udp --addr 127.0.0.1:8001
//! cargo run --release --example tokio_echo -- --multi-thread 2   # tokio's pool, 2 workers
//! cargo run --release --example tokio_echo -- --reuseport --addr 127.0.0.1:8000  # twice
//! ```
//!
//! Past one core (`benches/compare.sh --cores`), tokio is measured two ways beside
//! `echo --cores N`: its multi-thread runtime with N workers (`--multi-thread N`: one
//! listener, work stealing), and N current-thread processes sharing one port through
//! `SO_REUSEPORT` (`--reuseport`: the kernel spreads the connections, as it does over
//! wakeful's cores).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, UdpSocket};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut addr, mut udp, mut reuseport) = ("127.0.0.1:8000".to_string(), false, false);
    let mut workers: Option<usize> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().expect("--addr needs a value"),
            "--udp" => udp = true,
            "--reuseport" => reuseport = true,
            "--multi-thread" => {
                let n = args.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0);
                workers = Some(n.expect("--multi-thread needs a number of workers > 0"));
            }
            other => panic!("unknown argument {other:?}"),
        }
    }
    let rt = match workers {
        Some(n) => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build()?,
        None => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
    };
    rt.block_on(async move {
        if udp {
            udp_echo(&addr).await
        } else {
            tcp_echo(&addr, reuseport).await
        }
    })
}

/// A listener on `addr`, with `SO_REUSEPORT` (and `SO_REUSEADDR`) if asked, so that
/// other processes may listen on the same port.
fn listen(addr: &str, reuseport: bool) -> std::io::Result<TcpListener> {
    let addr: std::net::SocketAddr = addr
        .parse()
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "--addr: not IP:PORT"))?;
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    if reuseport {
        socket.set_reuseport(true)?;
    }
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn tcp_echo(addr: &str, reuseport: bool) -> std::io::Result<()> {
    let listener = listen(addr, reuseport)?;
    println!("tokio_echo: listening on {}", listener.local_addr()?);
    loop {
        let (mut stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let mut buf = vec![0; 4096];
            loop {
                let n = match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
    }
}

async fn udp_echo(addr: &str) -> std::io::Result<()> {
    let socket = UdpSocket::bind(addr).await?;
    println!("tokio_echo: listening on {}", socket.local_addr()?);
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, peer) = socket.recv_from(&mut buf).await?;
        let _ = socket.send_to(&buf[..n], peer).await;
    }
}
