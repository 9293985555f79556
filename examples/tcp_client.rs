//! TCP client — the first ancestor's non-blocking client handler, as async/await.
//!
//! ```text
//! cargo run --example tcp_client -- hello world            # to 127.0.0.1:8000
//! echo hi | cargo run --example tcp_client -- --addr 127.0.0.1:9000
//! ```
//!
//! Connects (giving up after `--connect-timeout` seconds, default 5), sends each
//! argument — or, with none, each line of standard input — as a line, and prints each
//! reply line. Run it against `cargo run --example echo`.

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

use wakeful::io::{AsyncBufReadExt, BufReader};
use wakeful::net::TcpStream;
use wakeful::time::timeout;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let mut addr = "127.0.0.1:8000".to_string();
    let mut connect_timeout = Duration::from_secs(5);
    let mut lines = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().unwrap_or_default(),
            "--connect-timeout" => match args.next().and_then(|s| s.parse::<f64>().ok()) {
                Some(secs) if secs > 0.0 => connect_timeout = Duration::from_secs_f64(secs),
                _ => return usage("--connect-timeout needs a positive number of seconds"),
            },
            _ => lines.push(arg),
        }
    }
    if addr.is_empty() {
        return usage("--addr needs a value");
    }
    if lines.is_empty() {
        // Reading stdin blocks, so it is done before the runtime starts.
        lines = std::io::stdin().lock().lines().map_while(Result::ok).collect();
    }
    match wakeful::block_on(talk(&addr, connect_timeout, lines)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tcp_client: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn talk(addr: &str, connect_timeout: Duration, lines: Vec<String>) -> std::io::Result<()> {
    let stream = timeout(connect_timeout, TcpStream::connect(addr)).await.map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::TimedOut, format!("connect to {addr}: timed out"))
    })??;
    let (read, mut write) = stream.into_split();
    let mut replies = BufReader::new(read);
    for line in lines {
        write.write_all(format!("{line}\n").as_bytes()).await?;
        let mut reply = String::new();
        if replies.read_line(&mut reply).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        print!("{reply}");
    }
    Ok(())
}

fn usage(message: &str) -> ExitCode {
    eprintln!(
        "tcp_client: {message}\nusage: tcp_client [--addr HOST:PORT] [--connect-timeout SECS] [LINE...]"
    );
    ExitCode::from(2)
}
