//! `soak slowloris`: slow and non-reading clients against `examples/http`, while a
//! normal client measures its latency and a sampler watches the server's RSS.
//!
//! Attackers start spread over the first second and, each time the server cuts them
//! off, connect again, until `--secs` have passed:
//! - `header`: a request line and part of a header, then one more byte every
//!   [`GAP`], never ending the header section;
//! - `body`: a whole header section announcing a 1 MB body, then the body a byte
//!   every [`GAP`];
//! - `noread`: 1 MiB `POST /echo` requests back to back, never reading a response.
//!
//! Bounds:
//! - once the attackers have gone, the server's open fds are back at their count
//!   before the attack within `--deadline` + [`SLACK`];
//! - there are at least as many cut-offs (a `408`, a close or a reset) as attackers, and no
//!   connection is held past `--deadline` + [`SLACK`];
//! - every normal request succeeds, and their p99 latency is under `--p99-ms`;
//! - the server's RSS stays under its value before the attack plus
//!   [`RSS_SLACK_KIB`] plus, per attacker, [`RSS_PER_TRICKLER_KIB`] (header, body)
//!   or [`RSS_PER_HOARDER_KIB`] (noread: one 1 MiB request held, and its reads).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wakeful::net::TcpStream;
use wakeful::time::{sleep, timeout, timeout_at};

use crate::{mib, ms, open_fds, percentile, raise_fd_limit, rss_kib, Options};

/// The pause between two trickled bytes.
const GAP: Duration = Duration::from_millis(100);
/// How far past the deadline a cut-off may come: the trickle's gap, timer and
/// scheduling delays on a loaded machine, and, for `noread`, filling the socket
/// buffers before the response stalls.
const SLACK: Duration = Duration::from_millis(1500);
const RSS_SLACK_KIB: u64 = 16 * 1024;
const RSS_PER_TRICKLER_KIB: u64 = 24;
const RSS_PER_HOARDER_KIB: u64 = 1024 + 256;
const BODY_LEN: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Header,
    Body,
    NoRead,
}

/// How one attacking connection ended.
enum End {
    /// Cut off by the server after being held this long; with the status it sent.
    Cut(Duration, Option<u16>),
    /// Still open when the attack ended, after this long.
    Open(Duration),
}

impl End {
    fn held(&self) -> Duration {
        match self {
            End::Cut(held, _) | End::Open(held) => *held,
        }
    }
}

pub fn run(options: &Options) -> Result<(), String> {
    let addr: SocketAddr = options.get("addr", None)?;
    let pid: u32 = options.get("pid", None)?;
    let clients: usize = options.get("clients", None)?;
    let secs = options.seconds("secs", None)?;
    let deadline = options.seconds("deadline", None)?;
    let p99_bound = Duration::from_millis(options.get("p99-ms", Some(200))?);
    let mode = match options.get::<String>("mode", None)?.as_str() {
        "header" => Mode::Header,
        "body" => Mode::Body,
        "noread" => Mode::NoRead,
        other => return Err(format!("--mode {other:?}: header, body or noread")),
    };
    let name = ["header", "body", "noread"][mode as usize];
    if clients == 0 {
        return Err("--clients must be at least 1".into());
    }
    raise_fd_limit(clients as u64 + 256)?;

    let base_rss = rss_kib(pid)?;
    let base_fds = open_fds(pid)?;
    let per_client = if mode == Mode::NoRead { RSS_PER_HOARDER_KIB } else { RSS_PER_TRICKLER_KIB };
    let rss_bound = base_rss + RSS_SLACK_KIB + clients as u64 * per_client;
    let started = Instant::now();
    let end = started + secs;
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut max = 0;
            while !done.load(Ordering::Relaxed) {
                max = max.max(rss_kib(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(50)); // the sampling period
            }
            max
        })
    };
    // Normal requests count once the attack is at full strength (all attackers started).
    let normal = std::thread::spawn(move || normal_client(addr, started + Duration::from_secs(1), end));
    let ends = wakeful::block_on(attack(addr, mode, clients, end));
    done.store(true, Ordering::Relaxed);
    let max_rss = sampler.join().map_err(|_| "the RSS sampler panicked")?;
    let mut latencies = normal.join().map_err(|_| "the normal client panicked")??;
    let ends = ends?;
    if ends.is_empty() {
        return Err(format!("slowloris {name}: no attacker connected: is --secs over 1?"));
    }
    let (fds, released) = released_fds(pid, base_fds, deadline + SLACK)?;
    let held_bound = deadline + SLACK;
    let mut held: Vec<Duration> = ends.iter().map(End::held).collect();
    held.sort();
    latencies.sort();
    let p99 = percentile(&latencies, 99.0);

    // Report, then check.
    let cuts = ends.iter().filter(|end| matches!(end, End::Cut(..))).count();
    let answered = ends.iter().filter(|end| matches!(end, End::Cut(_, Some(_)))).count();
    let held_max = *held.last().unwrap();
    println!(
        "soak: slowloris {name}: {clients} attackers for {:.1} s: {cuts} cut off ({answered} with a status, the \
         rest closed or reset); held p50 {:.2} s, max {:.2} s (bound {:.2} s)",
        secs.as_secs_f64(),
        percentile(&held, 50.0).as_secs_f64(),
        held_max.as_secs_f64(),
        held_bound.as_secs_f64()
    );
    println!(
        "soak: slowloris {name}: {} normal requests meanwhile, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (bound p99 \
         {} ms); server RSS {:.1} MiB before, {:.1} MiB at most during (bound {:.1} MiB)",
        latencies.len(),
        ms(percentile(&latencies, 50.0)),
        ms(p99),
        ms(*latencies.last().unwrap()),
        p99_bound.as_millis(),
        mib(base_rss),
        mib(max_rss),
        mib(rss_bound)
    );
    println!(
        "soak: slowloris {name}: server fds {base_fds} before, {fds} {:.2} s after the attack",
        released.as_secs_f64()
    );
    let wrong_status = ends.iter().find_map(|end| match end {
        End::Cut(_, Some(status)) if *status != 408 => Some(*status),
        _ => None,
    });
    let broken = if fds != base_fds {
        format!("the server kept {fds} fds open, not {base_fds}")
    } else if let Some(status) = wrong_status {
        format!("an attacker got status {status}, not 408")
    } else if cuts < clients {
        format!("only {cuts} cut-offs for {clients} attackers")
    } else if held_max > held_bound {
        format!("a connection was held {held_max:?}, past {held_bound:?}")
    } else if p99 > p99_bound {
        format!("normal p99 latency {p99:?} over {p99_bound:?}")
    } else if max_rss > rss_bound {
        format!("server RSS {:.1} MiB, over {:.1} MiB", mib(max_rss), mib(rss_bound))
    } else {
        println!("soak: slowloris {name}: OK");
        return Ok(());
    };
    Err(format!("slowloris {name}: {broken}"))
}

/// Waits (bounded by `patience`) for the server to be back at `base` open fds once
/// the attackers have gone; returns its fd count and the time waited.
fn released_fds(pid: u32, base: usize, patience: Duration) -> Result<(usize, Duration), String> {
    let started = Instant::now();
    loop {
        let fds = open_fds(pid)?;
        if fds == base || started.elapsed() > patience {
            return Ok((fds, started.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(10)); // polling /proc: nothing to wake us
    }
}

/// Runs `clients` attackers until `end`; returns how each connection ended.
async fn attack(addr: SocketAddr, mode: Mode, clients: usize, end: Instant) -> Result<Vec<End>, String> {
    let request = Rc::new({
        let mut request = format!("POST /echo HTTP/1.1\r\nContent-Length: {BODY_LEN}\r\n\r\n").into_bytes();
        request.resize(request.len() + BODY_LEN, b'x');
        request
    });
    let attackers: Vec<_> = (0..clients)
        .map(|i| {
            let request = request.clone();
            let start = Duration::from_secs(1).mul_f64(i as f64 / clients as f64);
            wakeful::spawn(async move {
                sleep(start).await;
                let mut ends = Vec::new();
                while Instant::now() < end {
                    let stream = timeout_at(end, TcpStream::connect(addr)).await;
                    let Ok(stream) = stream else { break }; // the attack is over
                    let stream = stream.map_err(|e| format!("attacker connect: {e}"))?;
                    ends.push(match mode {
                        Mode::NoRead => hoard(stream, &request, end).await,
                        _ => trickle(stream, mode, end).await,
                    });
                }
                Ok::<_, String>(ends)
            })
        })
        .collect();
    let mut ends = Vec::new();
    for attacker in attackers {
        ends.extend(attacker.await.map_err(|e| format!("attacker task: {e}"))??);
    }
    Ok(ends)
}

/// Sends a request's start, then a byte every [`GAP`], until the server answers or
/// closes, or the attack ends.
async fn trickle(mut stream: TcpStream, mode: Mode, end: Instant) -> End {
    let opened = Instant::now();
    let start: &[u8] = match mode {
        Mode::Header => b"GET / HTTP/1.1\r\nHost: soak\r\nX-Slow: ",
        _ => b"POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: 1000000\r\n\r\n",
    };
    if stream.write_all(start).await.is_err() {
        return End::Cut(opened.elapsed(), None);
    }
    let mut answer = [0; 64];
    loop {
        match timeout(GAP, stream.read(&mut answer)).await {
            Err(_gap) if Instant::now() >= end => return End::Open(opened.elapsed()),
            Err(_gap) => {
                if stream.write_all(b"x").await.is_err() {
                    return End::Cut(opened.elapsed(), None);
                }
            }
            Ok(Ok(n)) => return End::Cut(opened.elapsed(), status(&answer[..n])),
            Ok(Err(_)) => return End::Cut(opened.elapsed(), None),
        }
    }
}

/// Pipelines 1 MiB requests and never reads, until the server gives up on us.
async fn hoard(mut stream: TcpStream, request: &[u8], end: Instant) -> End {
    let opened = Instant::now();
    loop {
        match timeout_at(end, stream.write_all(request)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return End::Cut(opened.elapsed(), None),
            Err(_end) => return End::Open(opened.elapsed()),
        }
    }
}

/// The status code at the start of `answer`, if it holds one.
fn status(answer: &[u8]) -> Option<u16> {
    std::str::from_utf8(answer.strip_prefix(b"HTTP/1.1 ")?.get(..3)?).ok()?.parse().ok()
}

/// A well-behaved client: a new connection per request, `GET /` and `POST /echo` in
/// turn (the echo checked), until `end`. Returns the latencies of requests sent after
/// `from`; any failure fails the run.
fn normal_client(addr: SocketAddr, from: Instant, end: Instant) -> Result<Vec<Duration>, String> {
    let mut latencies = Vec::new();
    let mut seq = 0u64;
    while Instant::now() < end {
        let started = Instant::now();
        let (request, expected) = if seq % 2 == 0 {
            (
                "GET / HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n".to_string(),
                "Hello, world!\n".to_string(),
            )
        } else {
            let body = format!("normal request {seq}");
            let request = format!(
                "POST /echo HTTP/1.1\r\nHost: soak\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            (request, body)
        };
        let response =
            exchange(addr, request.as_bytes()).map_err(|e| format!("normal request {seq}: {e}"))?;
        if !response.starts_with("HTTP/1.1 200 ") || !response.ends_with(&expected) {
            return Err(format!("normal request {seq}: unexpected response {response:?}"));
        }
        if started >= from {
            latencies.push(started.elapsed());
        }
        seq += 1;
        std::thread::sleep(Duration::from_millis(10)); // the normal client's pace
    }
    if latencies.is_empty() {
        return Err("no normal request was measured: is --secs over 1?".into());
    }
    Ok(latencies)
}

/// One request on a new connection; the whole response (the server closes after it).
fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(request)?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}
