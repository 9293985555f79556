//! UDP server — connectionless: one socket serves every peer.
//!
//! ```text
//! cargo run --example udp_server                       # on 127.0.0.1:8001
//! cargo run --example udp_client -- hello              # in another terminal
//! ```
//!
//! Each datagram is answered with the same bytes upper-cased (or unchanged, with
//! `--echo`, as the benchmarks want), sent back to whoever sent it; no per-peer state,
//! as in the ancestor's `UDPServerHandler`. A datagram larger
//! than the 64 KiB buffer cannot exist over UDP/IPv4, so none is ever truncated; errors
//! concerning one datagram are logged and the server goes on.

use std::process::ExitCode;

use wakeful::net::UdpSocket;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut addr, mut upper_case) = ("127.0.0.1:8001".to_string(), true);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--echo" => upper_case = false,
            "--addr" => match args.next() {
                Some(value) => addr = value,
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    match wakeful::block_on(serve(&addr, upper_case)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("udp_server: {err}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: udp_server [--addr HOST:PORT] [--echo]");
    ExitCode::from(2)
}

async fn serve(addr: &str, upper_case: bool) -> std::io::Result<()> {
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
        if upper_case {
            buf[..n].make_ascii_uppercase();
        }
        if let Err(err) = socket.send_to(&buf[..n], peer).await {
            eprintln!("udp_server: send to {peer}: {err}");
        }
    }
}
