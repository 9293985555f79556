//! TCP echo server — the ancestors' first program, as async/await.
//!
//! ```text
//! cargo run --example echo                       # listens on 127.0.0.1:8000
//! cargo run --example echo -- --addr [::1]:9000  # elsewhere; port 0 picks one
//! nc 127.0.0.1 8000                              # type lines, see them come back
//! ```
//!
//! Where the generator loop did `yield READ, sock` and one `recv`/`send` per wakeup,
//! each connection here is a task that loops `read` → `write_all`: partial reads and
//! writes are handled, and any number of clients are served at once.
//!
//! Ctrl-C (or SIGTERM) shuts down gracefully: the listener closes at once (new clients
//! are refused), live connections get `--grace` seconds (default 5) to finish, and the
//! process exits 0.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::task::Poll;
use std::time::Duration;

use wakeful::net::{TcpListener, TcpStream};
use wakeful::signal::unix::{signal, SignalKind};
use wakeful::time::timeout;
use wakeful::JoinHandle;

struct Options {
    addr: String,
    grace: Duration,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("echo: {message}\nusage: echo [--addr HOST:PORT] [--grace SECONDS]");
            return ExitCode::from(2);
        }
    };
    match wakeful::block_on(serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("echo: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(options: Options) -> std::io::Result<()> {
    let listener = TcpListener::bind(options.addr.as_str()).await?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    println!("echo: listening on {} (Ctrl-C to stop)", listener.local_addr()?);

    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    loop {
        // Wait for whichever comes first: a client, or a request to stop.
        let next = poll_fn(|cx| {
            if interrupt.poll_recv(cx).is_ready() || terminate.poll_recv(cx).is_ready() {
                return Poll::Ready(None);
            }
            listener.poll_accept(cx).map(Some)
        })
        .await;
        match next {
            Some(Ok((stream, peer))) => {
                connections.retain(|c| !c.is_finished());
                connections.push(wakeful::spawn(echo(stream, peer)));
            }
            // An accept error concerns one connection, not the server: log, go on.
            Some(Err(err)) => eprintln!("echo: accept: {err}"),
            None => break,
        }
    }

    drop(listener); // new clients are refused from here on
    connections.retain(|c| !c.is_finished());
    println!(
        "echo: shutting down; waiting up to {:?} for {} connection(s)",
        options.grace,
        connections.len()
    );
    let finished = timeout(options.grace, async {
        for connection in connections {
            let _ = connection.await;
        }
    })
    .await;
    if finished.is_err() {
        println!("echo: grace period over; closing the remaining connections");
    }
    println!("echo: bye");
    Ok(())
}

/// Echoes until the client closes. Each read is written back whole (`write_all`
/// loops over partial writes).
async fn echo(mut stream: TcpStream, peer: SocketAddr) {
    if let Err(err) = stream.set_nodelay(true) {
        eprintln!("echo: {peer}: {err}");
    }
    let mut buf = vec![0; 4096];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => return,
            Ok(n) => n,
            // A client that vanishes without closing (a reset) is just gone.
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(err) => return eprintln!("echo: {peer}: read: {err}"),
        };
        if let Err(err) = stream.write_all(&buf[..n]).await {
            return eprintln!("echo: {peer}: write: {err}");
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options { addr: "127.0.0.1:8000".into(), grace: Duration::from_secs(5) };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => options.addr = value("--addr")?,
            "--grace" => {
                let secs = value("--grace")?;
                let secs: f64 = secs.parse().map_err(|_| format!("--grace: not a number: {secs:?}"))?;
                options.grace =
                    Duration::try_from_secs_f64(secs).map_err(|_| "--grace must be ≥ 0".to_string())?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}
