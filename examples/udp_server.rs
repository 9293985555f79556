//! UDP server — connectionless: one socket serves every peer.
//!
//! ```text
//! cargo run --example udp_server                       # on 127.0.0.1:8001
//! cargo run --example udp_client -- hello              # in another terminal
//! ```
//!
//! Each datagram is answered with the same bytes upper-cased, sent back to whoever sent
//! it; no per-peer state, as in the ancestor's `UDPServerHandler`. A datagram larger
//! than the 64 KiB buffer cannot exist over UDP/IPv4, so none is ever truncated; errors
//! concerning one datagram are logged and the server goes on.

use std::process::ExitCode;

use wakeful::net::UdpSocket;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = match (args.next().as_deref(), args.next()) {
        (None, _) => "127.0.0.1:8001".to_string(),
        (Some("--addr"), Some(addr)) => addr,
        _ => {
            eprintln!("usage: udp_server [--addr HOST:PORT]");
            return ExitCode::from(2);
        }
    };
    match wakeful::block_on(serve(&addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("udp_server: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: &str) -> std::io::Result<()> {
    let socket = UdpSocket::bind(addr).await?;
    println!("udp_server: listening on {}", socket.local_addr()?);
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(err) => {
                eprintln!("udp_server: recv: {err}");
                continue;
            }
        };
        buf[..n].make_ascii_uppercase();
        if let Err(err) = socket.send_to(&buf[..n], peer).await {
            eprintln!("udp_server: send to {peer}: {err}");
        }
    }
}
