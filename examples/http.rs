//! A minimal HTTP/1.1 server with keep-alive, written directly on wakeful's
//! `TcpStream` — small, but careful with what clients send.
//!
//! ```text
//! cargo run --release --example http                  # on 127.0.0.1:8080
//! curl -i http://127.0.0.1:8080/
//! curl -i --data 'echo me' http://127.0.0.1:8080/echo
//! wrk -t1 -c100 -d10s http://127.0.0.1:8080/          # load, from another core
//! cargo run --release --example http -- --cores 2     # one runtime per core, one port
//! ```
//!
//! - `GET /` answers `Hello, world!`; `POST /echo` answers with the request's body.
//! - Connections are kept alive (HTTP/1.1 default; `Connection: close` honoured;
//!   HTTP/1.0 closes unless it asks for keep-alive); pipelined requests are answered in
//!   order.
//! - Malformed requests get `400` and the connection is closed; a header section over
//!   8 KiB gets `431`, a body over 1 MiB `413`, chunked bodies `501`. Nothing else is
//!   disturbed: every connection is its own task.
//!
//! # Limits: what one client can hold
//!
//! Every phase of a connection has a deadline, so a client that sends or reads slowly
//! (or not at all) holds its connection for a bounded time:
//!
//! - **Idle and header section**: the next request's header section must arrive whole
//!   within `--header-timeout` seconds (default 10) of the connection opening or the
//!   previous response being sent. If it is late, the client gets `408` and is
//!   disconnected; an idle keep-alive connection (nothing sent) is closed quietly.
//! - **Body**: the body must arrive whole within `--body-timeout` seconds (default 10)
//!   of the end of the header section, or `408` and disconnect. One deadline for the
//!   whole body, not a minimum rate: simpler, and it bounds the time as firmly. At the
//!   default, a 1 MiB body needs about 100 KiB/s; raise it for slow links.
//! - **Response**: the client must take the whole response within `--write-timeout`
//!   seconds (default 10), or the connection is closed.
//!
//! So a request holds its connection for at most the sum of the three. Memory is
//! bounded too: the server reads nothing more while a response is unsent, so a client
//! that pipelines requests and never reads them only fills the kernel's socket buffers
//! (where TCP flow control stops it), never the server's memory. A connection holds at
//! most one request (head, the body, and one 4 KiB read past them) and its response's
//! head; the echoed body is sent from the request's buffer, not copied. The number of
//! connections is bounded only by the process's file descriptor limit.
//!
//! # Past one core
//!
//! With `--cores N` (default 1), N single-threaded runtimes serve the port
//! (`wakeful::cores`): each core has its own `SO_REUSEPORT` listener on the same
//! address (see `shared/reuseport.rs`), and a connection is served by the core that
//! accepted it, start to end. Ctrl-C (or SIGTERM) stops every core: each stops
//! accepting, drops its connections, and the number each accepted is printed. With one
//! core the server runs until killed, as before.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::process::ExitCode;
use std::task::Poll;
use std::time::{Duration, Instant};

use wakeful::cores::Core;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::signal::unix::{signal, SignalKind};
use wakeful::time::{timeout, timeout_at};

#[path = "shared/reuseport.rs"]
mod reuseport;

const MAX_HEAD: usize = 8 * 1024;
const MAX_BODY: usize = 1024 * 1024;
/// The most read at once: how far past a request's end the server may read.
const READ_CHUNK: usize = 4096;
/// Responses up to this size go out in one write; a larger body is sent from where it
/// lies, not copied after its head.
const COPY_BODY_UP_TO: usize = 16 * 1024;

/// The deadlines of a connection's phases (see the module docs).
#[derive(Clone, Copy)]
struct Limits {
    header: Duration,
    body: Duration,
    write: Duration,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8080".to_string();
    let ten = Duration::from_secs(10);
    let mut limits = Limits { header: ten, body: ten, write: ten };
    let mut cores = 1;
    while let Some(arg) = args.next() {
        let limit = match arg.as_str() {
            "--addr" => match args.next() {
                Some(value) => {
                    addr = value;
                    continue;
                }
                None => return usage("--addr needs HOST:PORT"),
            },
            // Refused here, not by `wakeful::cores`: the startup allocates per core first.
            "--cores" => match args
                .next()
                .and_then(|n| n.parse().ok())
                .filter(|n: &usize| (1..=wakeful::cores::MAX_CORES).contains(n))
            {
                Some(n) => {
                    cores = n;
                    continue;
                }
                None => {
                    return usage(&format!("--cores needs a number from 1 to {}", wakeful::cores::MAX_CORES))
                }
            },
            "--header-timeout" => &mut limits.header,
            "--body-timeout" => &mut limits.body,
            "--write-timeout" => &mut limits.write,
            _ => return usage(&format!("unexpected argument {arg:?}")),
        };
        match seconds(args.next()) {
            Some(duration) => *limit = duration,
            None => return usage(&format!("{arg} needs a positive number of seconds")),
        }
    }
    let served =
        if cores == 1 { wakeful::block_on(serve(&addr, limits)) } else { serve_cores(&addr, cores, limits) };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("http: {err}");
            ExitCode::FAILURE
        }
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!(
        "http: {message}\nusage: http [--addr HOST:PORT] [--header-timeout SECONDS] \
         [--body-timeout SECONDS] [--write-timeout SECONDS] [--cores N]"
    );
    ExitCode::from(2)
}

/// A positive number of seconds; anything over a year counts as a year, so that a
/// deadline `Instant::now() + limit` cannot overflow (`Duration` holds far more than
/// an `Instant` can add).
fn seconds(value: Option<String>) -> Option<Duration> {
    let duration = Duration::try_from_secs_f64(value?.parse().ok()?).ok()?;
    (!duration.is_zero()).then_some(duration.min(Duration::from_secs(365 * 86_400)))
}

async fn serve(addr: &str, limits: Limits) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("http: listening on {}", listener.local_addr()?);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(wakeful::spawn(connection(stream, limits))),
            Err(err) => eprintln!("http: accept: {err}"),
        }
    }
}

/// `--cores N`: N runtimes, one per thread, each with its own listener on the port.
fn serve_cores(addr: &str, cores: usize, limits: Limits) -> io::Result<()> {
    let addr = std::net::ToSocketAddrs::to_socket_addrs(addr)?.next().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("--addr {addr:?} names no address"))
    })?;
    let builder = wakeful::cores::Builder::new();
    let accepted =
        reuseport::run_cores(builder, addr, cores, move |core, ticket| serve_core(core, ticket, limits))?;
    for (index, accepted) in accepted.into_iter().enumerate() {
        println!("http: core {index} accepted {accepted} connection(s)");
    }
    println!("http: bye");
    Ok(())
}

/// One core of `--cores N`: accepts until the cores are asked to stop (core 0 asks on
/// Ctrl-C or SIGTERM); returns how many connections it accepted. Its connections are
/// dropped with its runtime.
async fn serve_core(core: Core, ticket: reuseport::Ticket, limits: Limits) -> io::Result<u64> {
    // Asked first, so that a shutdown lets this core return its count.
    let mut stop = core.shutdown_requested();
    let listener = ticket.bind_or_stop(&mut stop).await?;
    let mut stop = pin!(stop);
    if core.index() == 0 {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let handle = core.handle();
        drop(wakeful::spawn(async move {
            poll_fn(|cx| match interrupt.poll_recv(cx).is_ready() || terminate.poll_recv(cx).is_ready() {
                true => Poll::Ready(()),
                false => Poll::Pending,
            })
            .await;
            handle.shutdown();
        }));
        println!("http: listening on {} with {} cores", listener.local_addr()?, core.cores());
    }
    let mut accepted = 0;
    loop {
        let next = poll_fn(|cx| match stop.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => listener.poll_accept(cx).map(Some),
        })
        .await;
        match next {
            Some(Ok((stream, _))) => {
                accepted += 1;
                drop(wakeful::spawn(connection(stream, limits)));
            }
            Some(Err(err)) => eprintln!("http: core {}: accept: {err}", core.index()),
            None => return Ok(accepted),
        }
    }
}

/// A request, as far as this server cares.
struct Request {
    method: String,
    path: String,
    keep_alive: bool,
    body: Vec<u8>,
}

/// Why a request could not be served; each maps to a response and a closed connection.
enum Reject {
    BadRequest(&'static str),
    HeadTooLarge,
    BodyTooLarge,
    Chunked,
    TimedOut,
    /// The client closed, or the socket failed: nothing to answer.
    Gone,
}

impl Reject {
    fn status(&self) -> Option<(u16, &'static str, &'static str)> {
        match self {
            Reject::BadRequest(why) => Some((400, "Bad Request", why)),
            Reject::HeadTooLarge => {
                Some((431, "Request Header Fields Too Large", "header section over 8 KiB\n"))
            }
            Reject::BodyTooLarge => Some((413, "Content Too Large", "body over 1 MiB\n")),
            Reject::Chunked => Some((501, "Not Implemented", "chunked request bodies are not supported\n")),
            Reject::TimedOut => Some((408, "Request Timeout", "the request took too long to arrive\n")),
            Reject::Gone => None,
        }
    }
}

async fn connection(mut stream: TcpStream, limits: Limits) {
    let _ = stream.set_nodelay(true);
    // Bytes read but not yet used: the start of the next (pipelined) request.
    let mut buf = Vec::with_capacity(READ_CHUNK);
    loop {
        let request = read_request(&mut stream, &mut buf, limits).await;
        let (status, reason, body, keep_alive) = match &request {
            Ok(request) => {
                let (status, reason, body) = route(request);
                (status, reason, body, request.keep_alive)
            }
            Err(reject) => match reject.status() {
                Some((status, reason, body)) => (status, reason, body.as_bytes(), false),
                None => return,
            },
        };
        // Nothing more is read until this response is out: a client that does not
        // read cannot make the server buffer, only wait, and not past the deadline.
        let sent = timeout(limits.write, respond(&mut stream, status, reason, body, keep_alive)).await;
        if !matches!(sent, Ok(Ok(()))) || !keep_alive {
            return;
        }
    }
}

fn route(request: &Request) -> (u16, &'static str, &[u8]) {
    match (request.method.as_str(), request.path.as_str()) {
        ("GET" | "HEAD", "/") => (200, "OK", b"Hello, world!\n"),
        ("POST" | "PUT", "/echo") => (200, "OK", &request.body),
        (_, "/" | "/echo") => (405, "Method Not Allowed", b"method not allowed\n"),
        _ => (404, "Not Found", b"not found\n"),
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    reason: &str,
    body: &[u8],
    keep_alive: bool,
) -> io::Result<()> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: {connection}\r\n\r\n",
        body.len()
    );
    if body.len() <= COPY_BODY_UP_TO {
        let mut response = head.into_bytes();
        response.extend_from_slice(body);
        stream.write_all(&response).await
    } else {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await
    }
}

/// Reads one request: the header section by the header deadline, then the body by the
/// body deadline. Reads stop at the end of the body, so `buf` never holds more than
/// one request and one read past its head.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, limits: Limits) -> Result<Request, Reject> {
    let deadline = Instant::now() + limits.header;
    let head_len = loop {
        if let Some(end) = find_head_end(buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(Reject::HeadTooLarge);
        }
        match timeout_at(deadline, read_more(stream, buf, READ_CHUNK)).await {
            Err(_elapsed) => return Err(if buf.is_empty() { Reject::Gone } else { Reject::TimedOut }),
            Ok(Ok(0)) if buf.is_empty() => return Err(Reject::Gone), // closed between requests
            Ok(Ok(0)) => return Err(Reject::BadRequest("the request ended early\n")),
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return Err(Reject::Gone),
        }
    };
    if head_len > MAX_HEAD {
        return Err(Reject::HeadTooLarge);
    }
    let (mut request, content_length) = parse_head(&buf[..head_len])?;
    buf.drain(..head_len);
    // No room is reserved for the announced length: memory follows what arrives.
    let deadline = Instant::now() + limits.body;
    while buf.len() < content_length {
        match timeout_at(deadline, read_more(stream, buf, content_length - buf.len())).await {
            Err(_elapsed) => return Err(Reject::TimedOut),
            Ok(Ok(0)) => return Err(Reject::BadRequest("the body ended early\n")),
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return Err(Reject::Gone),
        }
    }
    // A large body ends the buffer (reads stopped there), so it is taken, not copied.
    request.body = if content_length > 0 && buf.len() == content_length {
        std::mem::take(buf)
    } else {
        buf.drain(..content_length).collect()
    };
    Ok(request)
}

/// Reads at most `max` bytes (and at most [`READ_CHUNK`]) onto the end of `buf`.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    let mut chunk = [0u8; READ_CHUNK];
    let n = stream.read(&mut chunk[..max.min(READ_CHUNK)]).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// The length of the header section, through the blank line, if it is all here.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Parses the request line and headers; returns the request (its body still empty)
/// and the body's length.
fn parse_head(head: &[u8]) -> Result<(Request, usize), Reject> {
    let head =
        std::str::from_utf8(head).map_err(|_| Reject::BadRequest("the header section is not UTF-8\n"))?;
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, path, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(p), Some(v), None) if !m.is_empty() && p.starts_with('/') => (m, p, v),
        _ => return Err(Reject::BadRequest("malformed request line\n")),
    };
    if !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Reject::BadRequest("malformed method\n"));
    }
    let mut keep_alive = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(Reject::BadRequest("unsupported HTTP version\n")),
    };
    let mut content_length = 0usize;
    for line in lines.take_while(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(Reject::BadRequest("malformed header line\n"))?;
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(Reject::BadRequest("malformed header name\n"));
        }
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse().map_err(|_| Reject::BadRequest("malformed Content-Length\n"))?;
            if content_length > MAX_BODY {
                return Err(Reject::BodyTooLarge);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Reject::Chunked);
        } else if name.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                keep_alive = false;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                keep_alive = true;
            }
        }
    }
    Ok((Request { method: method.into(), path: path.into(), keep_alive, body: Vec::new() }, content_length))
}
