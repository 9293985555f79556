//! The tokio twin of `examples/echo.rs`, for `benches/compare.sh`: tokio's
//! current-thread runtime, the same 4 KiB read buffer, `TCP_NODELAY` on accepted
//! sockets, one task per connection, read → write_all. Also a UDP echo (`--udp`), the
//! twin of `examples/udp_server.rs` without the upper-casing.
//!
//! ```text
//! cargo run --release --example tokio_echo -- --addr 127.0.0.1:8000
//! cargo run --release --example tokio_echo -- --udp --addr 127.0.0.1:8001
//! ```

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut addr, mut udp) = ("127.0.0.1:8000".to_string(), false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().expect("--addr needs a value"),
            "--udp" => udp = true,
            other => panic!("unknown argument {other:?}"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        if udp {
            udp_echo(&addr).await
        } else {
            tcp_echo(&addr).await
        }
    })
}

async fn tcp_echo(addr: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
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
