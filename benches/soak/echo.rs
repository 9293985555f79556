//! `soak echo`: cycles of many concurrent echo connections against an in-process
//! wakeful echo server, each followed by a check that nothing was left behind.
//!
//! After every cycle, within a bounded wait ([`SETTLE`]):
//! - the process's open fds equal the baseline exactly (both ends live here);
//! - the live tasks of both runtimes equal their baselines exactly;
//! - RSS, once the allocator has handed its free memory back (`malloc_trim`), is at
//!   most the baseline plus [`RSS_SLACK_KIB`]. What stays is fragmentation: up to
//!   ~9 MiB over the baseline seen at 4000 connections, coming and going from cycle to
//!   cycle. A leak adds up
//!   over the cycles instead: the long form (80 000 connections) fails on one of
//!   about 200 bytes a connection.
//!
//! Closing: most client sockets close with `SO_LINGER` 0 (a reset: no TIME_WAIT, so
//! thousands of connections a cycle cannot use up the ephemeral ports; the server sees
//! `ECONNRESET`); one in [`GRACEFUL_EVERY`] closes gracefully (shutdown, then wait for
//! the server's own close), so the server's end-of-stream path is soaked too.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::time::{Duration, Instant};

use wakeful::net::{TcpListener, TcpStream, UnixStream};
use wakeful::time::{sleep, timeout};

use crate::{mib, open_fds, raise_fd_limit, rss_kib, Options};

/// How long fds and tasks may take to return to baseline after a cycle.
const SETTLE: Duration = Duration::from_secs(10);
/// RSS over the pre-soak baseline allowed after any cycle (`--rss-slack-mib`).
const RSS_SLACK_KIB: u64 = 16 * 1024;
/// One connection in this many closes gracefully; the others with a reset.
const GRACEFUL_EVERY: usize = 8;
/// Connects in flight at once: under the listener's backlog (1024).
const CONNECT_BATCH: usize = 512;

pub fn run(options: &Options) -> Result<(), String> {
    let cycles: usize = options.get("cycles", Some(3))?;
    let conns: usize = options.get("conns", Some(500))?;
    let size: usize = options.get("size", Some(16 * 1024))?;
    let slack_kib = options.get("rss-slack-mib", Some(RSS_SLACK_KIB / 1024))? * 1024;
    if cycles == 0 || conns == 0 || size == 0 {
        return Err("--cycles, --conns and --size must be at least 1".into());
    }
    raise_fd_limit(2 * conns as u64 + 256)?;
    let (addr, mut control) = start_server()?;
    wakeful::block_on(async {
        let me = std::process::id();
        let base_fds = open_fds(me)?;
        let base_server = server_tasks(&mut control)?;
        let base_client = client_tasks();
        let base_rss = trimmed_rss()?;
        println!(
            "soak: echo: {cycles} cycles of {conns} connections; baseline fds {base_fds}, tasks {base_server} \
             (server) {base_client} (client), RSS {:.1} MiB",
            mib(base_rss)
        );
        for cycle in 1..=cycles {
            let started = Instant::now();
            let streams = connect_all(addr, conns).await?;
            // Peak: every connection open at once, each with its server task.
            let (fds, server) =
                settle(&mut control, base_fds + 2 * conns, base_server + conns as u64).await?;
            let (streams, checked) = echo_all(streams, cycle, size).await?;
            close_all(streams).await?;
            settle(&mut control, base_fds, base_server).await?;
            let client = client_tasks();
            let kept = rss_kib(me)?;
            let rss = trimmed_rss()?;
            println!(
                "soak: echo: cycle {cycle}/{cycles}: {conns} connections, {:.1} MB echoed and checked in \
                 {:.2} s; peak fds {fds}, server tasks {server}; after: fds {base_fds}, tasks {base_server}+{client}, \
                 RSS {:.1} MiB ({:.1} MiB before malloc_trim)",
                checked as f64 / 1e6,
                started.elapsed().as_secs_f64(),
                mib(rss),
                mib(kept)
            );
            if client != base_client {
                return Err(format!(
                    "client runtime has {client} live tasks after cycle {cycle}, not {base_client}"
                ));
            }
            if rss > base_rss + slack_kib {
                return Err(format!(
                    "RSS {:.1} MiB after cycle {cycle}: over the baseline {:.1} MiB + {:.0} MiB",
                    mib(rss),
                    mib(base_rss),
                    mib(slack_kib)
                ));
            }
        }
        println!("soak: echo: OK (fds and tasks exact; RSS within {:.0} MiB of baseline)", mib(slack_kib));
        Ok(())
    })
}

/// Starts the echo server on its own thread and runtime; returns its address and the
/// control socket that answers its live task count.
fn start_server() -> Result<(SocketAddr, StdUnixStream), String> {
    let (control, theirs) = StdUnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
    control.set_read_timeout(Some(SETTLE)).map_err(|e| e.to_string())?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        wakeful::block_on(async move {
            let listener = match TcpListener::bind("127.0.0.1:0").await {
                Ok(listener) => listener,
                Err(err) => return drop(tx.send(Err(format!("bind: {err}")))),
            };
            let _ = tx.send(listener.local_addr().map_err(|e| e.to_string()));
            match UnixStream::from_std(theirs) {
                Ok(control) => drop(wakeful::spawn(answer_stats(control))),
                Err(err) => return eprintln!("soak: control socket: {err}"),
            }
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => drop(wakeful::spawn(echo(stream))),
                    Err(err) => eprintln!("soak: accept: {err}"),
                }
            }
        })
    });
    let addr = rx.recv_timeout(SETTLE).map_err(|_| "the echo server did not start".to_string())??;
    Ok((addr, control))
}

/// The server: echoes until the client closes or resets.
async fn echo(mut stream: TcpStream) {
    let mut buf = vec![0; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The server: for each byte received on `control`, sends back its live task count.
async fn answer_stats(mut control: UnixStream) {
    let mut byte = [0];
    while let Ok(1) = control.read(&mut byte).await {
        let tasks = wakeful::stats().map_or(u64::MAX, |stats| stats.tasks_alive);
        if control.write_all(&tasks.to_le_bytes()).await.is_err() {
            return;
        }
    }
}

fn server_tasks(control: &mut StdUnixStream) -> Result<u64, String> {
    let mut answer = [0; 8];
    control
        .write_all(b"?")
        .and_then(|()| control.read_exact(&mut answer))
        .map_err(|e| format!("control: {e}"))?;
    Ok(u64::from_le_bytes(answer))
}

/// This process's RSS after handing the allocator's free memory back to the kernel
/// (glibc keeps it otherwise: RSS would then measure the allocator, not wakeful).
fn trimmed_rss() -> Result<u64, String> {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only releases free memory; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
    rss_kib(std::process::id())
}

fn client_tasks() -> u64 {
    wakeful::stats().map_or(u64::MAX, |stats| stats.tasks_alive)
}

/// Waits (bounded) until the process has `fds` open and the server `tasks` live.
async fn settle(control: &mut StdUnixStream, fds: usize, tasks: u64) -> Result<(usize, u64), String> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let now = (open_fds(std::process::id())?, server_tasks(control)?);
        if now == (fds, tasks) {
            return Ok(now);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "after {SETTLE:?}: {} open fds and {} server tasks, expected {fds} and {tasks}",
                now.0, now.1
            ));
        }
        sleep(Duration::from_millis(10)).await; // polling /proc: nothing to wake us
    }
}

async fn connect_all(addr: SocketAddr, conns: usize) -> Result<Vec<TcpStream>, String> {
    let mut streams = Vec::with_capacity(conns);
    for start in (0..conns).step_by(CONNECT_BATCH) {
        let batch: Vec<_> = (start..conns.min(start + CONNECT_BATCH))
            .map(|_| wakeful::spawn(timeout(SETTLE, TcpStream::connect(addr))))
            .collect();
        for connect in batch {
            let stream = connect.await.map_err(|e| format!("connect task: {e}"))?;
            streams.push(
                stream.map_err(|_| "connect timed out".to_string())?.map_err(|e| format!("connect: {e}"))?,
            );
        }
    }
    Ok(streams)
}

/// `len` bytes that differ by connection, cycle and round.
fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31).wrapping_add(seed.wrapping_mul(2_654_435_761)) >> 3) as u8).collect()
}

/// Two round trips of a few KiB on every connection at once; every byte compared.
async fn echo_all(
    streams: Vec<TcpStream>,
    cycle: usize,
    size: usize,
) -> Result<(Vec<TcpStream>, u64), String> {
    let tasks: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(id, mut stream)| {
            wakeful::spawn(timeout(SETTLE, async move {
                let mut checked = 0;
                for round in 0..2 {
                    let seed = id * 1_000_003 + cycle * 7919 + round;
                    let sent = pattern(1 + seed % size, seed);
                    let mut back = vec![0; sent.len()];
                    stream.write_all(&sent).await.map_err(|e| format!("connection {id}: write: {e}"))?;
                    stream.read_exact(&mut back).await.map_err(|e| format!("connection {id}: read: {e}"))?;
                    if let Some(at) = sent.iter().zip(&back).position(|(a, b)| a != b) {
                        return Err(format!("connection {id}: echo differs at byte {at} of {}", sent.len()));
                    }
                    checked += sent.len() as u64;
                }
                Ok((stream, checked))
            }))
        })
        .collect();
    let mut streams = Vec::with_capacity(tasks.len());
    let mut total = 0;
    for task in tasks {
        let result = task.await.map_err(|e| format!("echo task: {e}"))?;
        let (stream, checked) = result.map_err(|_| format!("an echo took over {SETTLE:?}"))??;
        streams.push(stream);
        total += checked;
    }
    Ok((streams, total))
}

/// Closes every connection: most with a reset, one in [`GRACEFUL_EVERY`] gracefully.
async fn close_all(streams: Vec<TcpStream>) -> Result<(), String> {
    let mut graceful = Vec::new();
    for (id, mut stream) in streams.into_iter().enumerate() {
        if id % GRACEFUL_EVERY == 0 {
            graceful.push(wakeful::spawn(timeout(SETTLE, async move {
                stream.shutdown(Shutdown::Write)?;
                stream.read(&mut [0; 1]).await // 0: the server closed its end
            })));
        } else {
            stream.set_linger(Some(Duration::ZERO)).map_err(|e| format!("SO_LINGER: {e}"))?;
        }
    }
    for close in graceful {
        match close.await.map_err(|e| format!("close task: {e}"))? {
            Ok(Ok(0)) => {}
            Ok(Ok(_)) => return Err("the server echoed after the client's shutdown".into()),
            Ok(Err(err)) => return Err(format!("graceful close: {err}")),
            Err(_) => {
                return Err(format!("the server did not close within {SETTLE:?} of the client's shutdown"))
            }
        }
    }
    Ok(())
}
