//! UDP client — the ancestor used its UDP server handler as a client too; so do we:
//! the same socket type, `connect`ed to one peer.
//!
//! ```text
//! cargo run --example udp_client -- hello there        # to 127.0.0.1:8001
//! cargo run --example udp_client -- --addr 127.0.0.1:9001 ping
//! ```
//!
//! Sends each argument as a datagram and prints the reply. UDP may lose datagrams, so
//! each is retried up to three times, waiting one second for a reply each time.

use std::process::ExitCode;
use std::time::Duration;

use wakeful::net::UdpSocket;
use wakeful::time::timeout;

const TRIES: u32 = 3;
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut addr = "127.0.0.1:8001".to_string();
    if args.first().map(String::as_str) == Some("--addr") {
        if args.len() < 2 {
            eprintln!("usage: udp_client [--addr HOST:PORT] MESSAGE...");
            return ExitCode::from(2);
        }
        addr = args.remove(1);
        args.remove(0);
    }
    match wakeful::block_on(ask(&addr, args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("udp_client: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn ask(addr: &str, messages: Vec<String>) -> std::io::Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    socket.connect(addr).await?;
    let mut buf = vec![0u8; 65536];
    for message in messages {
        let mut reply = None;
        for _ in 0..TRIES {
            socket.send(message.as_bytes()).await?;
            if let Ok(received) = timeout(REPLY_TIMEOUT, socket.recv(&mut buf)).await {
                reply = Some(received?);
                break;
            }
        }
        let n = reply.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no reply from {addr} after {TRIES} tries"),
            )
        })?;
        println!("{}", String::from_utf8_lossy(&buf[..n]));
    }
    Ok(())
}
