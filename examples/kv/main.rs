//! A Redis-protocol key-value server: `PING`, `ECHO`, `GET`, `SET` (with `EX`/`PX`,
//! `NX`/`XX`), `DEL`, `EXISTS`, `PUBLISH`, `SUBSCRIBE`/`UNSUBSCRIBE`, served to
//! `redis-cli`, `redis-benchmark` or any Redis client.
//!
//! ```text
//! cargo run --release --example kv -- --addr 127.0.0.1:6379 --max-conns 250
//! redis-cli -p 6379 set greeting hello px 5000
//! redis-cli -p 6379 get greeting
//! ```
//!
//! The pieces a tokio server reaches for, from wakeful: `sync::{broadcast, mpsc,
//! Notify, Semaphore}`, `select!`, `stream::StreamMap`, the I/O extension methods and
//! `BufWriter`. Its twin on tokio is `benches/tokio_kv/` (diff the two).
//!
//! - At most `--max-conns` clients are served at once (a `Semaphore`, whose owned
//!   permit each connection task holds): the next one is accepted when one leaves.
//! - Ctrl-C (SIGINT) or SIGTERM shuts down gracefully: no new client is accepted,
//!   each connection finishes the request it is serving (its reply is written whole)
//!   and then closes, and the process waits for them (at most `--grace` seconds,
//!   default 10) and exits 0.
//! - A request that is not RESP gets `-ERR Protocol error: ...` and the connection is
//!   closed, as Redis does. Limits: `resp::MAX_BULK` (16 MiB) per value,
//!   `resp::MAX_ARGS` arguments, `resp::MAX_INLINE` per inline command, and 4096
//!   subscriptions per connection.
//! - A subscriber that does not read is disconnected once 32 MiB of messages wait
//!   for it, as Redis does; one that falls more than 1024 messages behind on a
//!   channel between two of its turns skips the ones it missed (the `broadcast`
//!   channel's lag).

mod commands;
mod connection;
mod db;
mod resp;
mod subscriber;

use std::io;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use wakeful::net::{TcpListener, TcpStream};
use wakeful::signal::unix::{signal, SignalKind};
use wakeful::sync::{broadcast, mpsc, Semaphore};
use wakeful::time::timeout;

use commands::{apply, Action};
use connection::Connection;
use db::Db;
use resp::Reply;
use subscriber::{subscribed, Ended};

struct Options {
    addr: String,
    max_conns: usize,
    grace: Duration,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("kv: {message}\nusage: kv [--addr HOST:PORT] [--max-conns N] [--grace SECONDS]");
            return ExitCode::from(2);
        }
    };
    match wakeful::block_on(serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kv: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(options: Options) -> io::Result<()> {
    let listener = TcpListener::bind(options.addr.as_str()).await?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    println!("kv: listening on {} (Ctrl-C to stop)", listener.local_addr()?);

    let db = Db::new();
    // Shutdown is announced to every connection; each holds a clone of `done_tx`, so
    // `done_rx` ends when the last connection task has.
    let (shutdown_tx, _) = broadcast::channel::<()>(1);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let limit = Rc::new(Semaphore::new(options.max_conns));

    let accepting = async {
        loop {
            // A permit first: at the limit, clients wait in the listen backlog.
            let permit = limit.clone().acquire_owned().await.expect("the semaphore is never closed");
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                // About one connection, or out of fds for a moment: log, and give the
                // other connections a moment to close some before trying again.
                Err(err) => {
                    eprintln!("kv: accept: {err}");
                    wakeful::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let (db, shutdown, done) = (db.clone(), shutdown_tx.subscribe(), done_tx.clone());
            wakeful::spawn(async move {
                // A client that vanishes without closing (a reset) is just gone.
                let gone = |err: &io::Error| {
                    matches!(err.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe)
                };
                if let Err(err) =
                    handle(stream, &db, shutdown)
                        .await
                        .or_else(|err| if gone(&err) { Ok(()) } else { Err(err) })
                {
                    eprintln!("kv: {peer}: {err}");
                }
                drop((permit, done));
            });
        }
    };
    wakeful::select! {
        _ = accepting => {}
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }

    drop(listener); // new clients are refused from here on
    let live = options.max_conns - limit.available_permits();
    println!("kv: shutting down; waiting up to {:?} for {live} connection(s)", options.grace);
    let _ = shutdown_tx.send(());
    drop(done_tx);
    if timeout(options.grace, done_rx.recv()).await.is_err() {
        println!("kv: grace period over; closing the remaining connections");
    }
    db.shut_down();
    println!("kv: bye");
    Ok(())
}

/// Serves one client until it leaves, breaks the protocol, or the server shuts down.
async fn handle(stream: TcpStream, db: &Db, mut shutdown: broadcast::Receiver<()>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut connection = Connection::new(stream);
    loop {
        // Between requests, and only there, shutdown ends the connection: a request
        // read is always answered.
        let request = wakeful::select! {
            request = connection.read_request() => request?,
            _ = shutdown.recv() => return Ok(()),
        };
        let args = match request {
            None => return Ok(()),
            Some(Ok(args)) => args,
            Some(Err(err)) => {
                Reply::error(&mut connection.out, &format!("ERR {err}"));
                return connection.send_now().await;
            }
        };
        match apply(db, &args, &mut connection.out) {
            Action::Next => connection.send().await?,
            Action::Subscribe(channels) => {
                match subscribed(db, &mut connection, &mut shutdown, channels).await? {
                    Ended::Unsubscribed => {}
                    Ended::Closed | Ended::Shutdown => return Ok(()),
                }
            }
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options =
        Options { addr: "127.0.0.1:6379".into(), max_conns: 250, grace: Duration::from_secs(10) };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => options.addr = value("--addr")?,
            "--max-conns" => {
                let n = value("--max-conns")?;
                options.max_conns = match n.parse() {
                    Ok(n) if n > 0 && n <= Semaphore::MAX_PERMITS => n,
                    _ => return Err(format!("--max-conns: not a count from 1 on: {n:?}")),
                };
            }
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
