//! TCP echo server — the ancestors' first program, as async/await.
//!
//! ```text
//! cargo run --example echo                       # listens on 127.0.0.1:8000
//! cargo run --example echo -- --addr [::1]:9000  # elsewhere; port 0 picks one
//! cargo run --example echo -- --cores 2          # one runtime per core, one port
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
//!
//! With `--cores N` (default 1), N single-threaded runtimes serve the port
//! (`wakeful::cores`): each core has its own `SO_REUSEPORT` listener on the same
//! address (see `shared/reuseport.rs` for how port 0 is shared), accepts its share of
//! the clients, and serves them on its own thread — a connection never changes core.
//! Core 0 takes Ctrl-C and asks every core to stop; each drains as above, and the
//! number of clients each core accepted is printed on exit.

use std::future::{poll_fn, Future};
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::pin;
use std::process::ExitCode;
use std::task::Poll;
use std::time::Duration;

use wakeful::cores::Core;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::signal::unix::{signal, SignalKind};
use wakeful::time::timeout;
use wakeful::JoinHandle;

#[path = "shared/reuseport.rs"]
mod reuseport;

struct Options {
    addr: String,
    grace: Duration,
    cores: usize,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("echo: {message}\nusage: echo [--addr HOST:PORT] [--grace SECONDS] [--cores N]");
            return ExitCode::from(2);
        }
    };
    let served =
        if options.cores == 1 { wakeful::block_on(serve_one(options)) } else { serve_cores(options) };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("echo: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One runtime on the main thread: the whole server.
async fn serve_one(options: Options) -> std::io::Result<()> {
    let listener = TcpListener::bind(options.addr.as_str()).await?;
    let stop = ctrl_c_or_sigterm()?;
    println!("echo: listening on {} (Ctrl-C to stop)", listener.local_addr()?);
    serve(listener, stop, options.grace, "echo").await;
    println!("echo: bye");
    Ok(())
}

/// `--cores N`: N runtimes, one per thread, each with its own listener on the port.
fn serve_cores(options: Options) -> std::io::Result<()> {
    let addr = resolve(&options.addr)?;
    let grace = options.grace;
    // Each core drains its connections for up to `grace` before it returns.
    let builder =
        wakeful::cores::Builder::new().shutdown_timeout(grace.saturating_add(Duration::from_secs(1)));
    let accepted = reuseport::run_cores(builder, addr, options.cores, move |core, ticket| {
        serve_core(core, ticket, grace)
    })?;
    for (index, accepted) in accepted.into_iter().enumerate() {
        println!("echo: core {index} accepted {accepted} connection(s)");
    }
    println!("echo: bye");
    Ok(())
}

/// One core of `--cores N`: its listener, and on core 0 the Ctrl-C that stops all.
async fn serve_core(core: Core, ticket: reuseport::Ticket, grace: Duration) -> std::io::Result<u64> {
    // Asked first, so that a shutdown lets this core drain instead of dropping it.
    let mut stop = core.shutdown_requested();
    let listener = ticket.bind_or_stop(&mut stop).await?;
    if core.index() == 0 {
        let ctrl_c = ctrl_c_or_sigterm()?;
        let handle = core.handle();
        drop(wakeful::spawn(async move {
            ctrl_c.await;
            handle.shutdown();
        }));
        let addr = listener.local_addr()?;
        println!("echo: listening on {addr} with {} cores (Ctrl-C to stop)", core.cores());
    }
    Ok(serve(listener, stop, grace, &format!("echo: core {}", core.index())).await)
}

/// Completes at the first SIGINT or SIGTERM (registered now, before it is awaited).
fn ctrl_c_or_sigterm() -> std::io::Result<impl Future<Output = ()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(poll_fn(move |cx| {
        if interrupt.poll_recv(cx).is_ready() || terminate.poll_recv(cx).is_ready() {
            return Poll::Ready(());
        }
        Poll::Pending
    }))
}

/// Accepts clients until `stop` completes, then closes the listener and gives the
/// live connections `grace` to finish. Returns how many clients were accepted.
async fn serve(listener: TcpListener, stop: impl Future<Output = ()>, grace: Duration, name: &str) -> u64 {
    let mut stop = pin!(stop);
    let mut accepted = 0;
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    loop {
        // Wait for whichever comes first: a client, or a request to stop.
        let next = poll_fn(|cx| {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            listener.poll_accept(cx).map(Some)
        })
        .await;
        match next {
            Some(Ok((stream, peer))) => {
                accepted += 1;
                connections.retain(|c| !c.is_finished());
                connections.push(wakeful::spawn(echo(stream, peer)));
            }
            // An accept error concerns one connection, not the server: log, go on.
            Some(Err(err)) => eprintln!("{name}: accept: {err}"),
            None => break,
        }
    }

    drop(listener); // new clients are refused from here on
    connections.retain(|c| !c.is_finished());
    println!("{name}: shutting down; waiting up to {grace:?} for {} connection(s)", connections.len());
    let finished = timeout(grace, async {
        for connection in connections {
            let _ = connection.await;
        }
    })
    .await;
    if finished.is_err() {
        println!("{name}: grace period over; closing the remaining connections");
    }
    accepted
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
    let mut options = Options { addr: "127.0.0.1:8000".into(), grace: Duration::from_secs(5), cores: 1 };
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
            "--cores" => {
                let n = value("--cores")?;
                // Refused here, not by `wakeful::cores`: the startup allocates per core first.
                let max = wakeful::cores::MAX_CORES;
                options.cores = n
                    .parse()
                    .ok()
                    .filter(|&n| (1..=max).contains(&n))
                    .ok_or(format!("--cores: not a number from 1 to {max}: {n:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

/// The one address `--addr` names (the cores must all bind the same one).
fn resolve(addr: &str) -> std::io::Result<SocketAddr> {
    addr.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("--addr {addr:?} names no address"))
    })
}
