//! A minimal HTTP/1.1 server with keep-alive, written directly on wakeful's
//! `TcpStream` — small, but careful with what clients send.
//!
//! ```text
//! cargo run --release --example http                  # on 127.0.0.1:8080
//! curl -i http://127.0.0.1:8080/
//! curl -i --data 'echo me' http://127.0.0.1:8080/echo
//! wrk -t1 -c100 -d10s http://127.0.0.1:8080/          # load, from another core
//! ```
//!
//! - `GET /` answers `Hello, world!`; `POST /echo` answers with the request's body.
//! - Connections are kept alive (HTTP/1.1 default; `Connection: close` honoured;
//!   HTTP/1.0 closes unless it asks for keep-alive); pipelined requests are answered in
//!   order.
//! - Malformed requests get `400` and the connection is closed; a header section over
//!   8 KiB gets `431`, a body over 1 MiB `413`, chunked bodies `501`. Nothing else is
//!   disturbed: every connection is its own task.
//! - Slow clients: a request's header section must arrive within `--header-timeout`
//!   seconds (default 10), or the client gets `408` and is disconnected. The same
//!   limit applies to an idle keep-alive connection.

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use wakeful::net::{TcpListener, TcpStream};
use wakeful::time::timeout_at;

const MAX_HEAD: usize = 8 * 1024;
const MAX_BODY: usize = 1024 * 1024;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8080".to_string();
    let mut header_timeout = Duration::from_secs(10);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            ("--header-timeout", Some(value)) => {
                match value.parse::<f64>().ok().and_then(|s| Duration::try_from_secs_f64(s).ok()) {
                    Some(duration) if !duration.is_zero() => header_timeout = duration,
                    _ => return usage("--header-timeout needs a positive number of seconds"),
                }
            }
            _ => return usage(&format!("unexpected argument {arg:?}")),
        }
    }
    match wakeful::block_on(serve(&addr, header_timeout)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("http: {err}");
            ExitCode::FAILURE
        }
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("http: {message}\nusage: http [--addr HOST:PORT] [--header-timeout SECONDS]");
    ExitCode::from(2)
}

async fn serve(addr: &str, header_timeout: Duration) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("http: listening on {}", listener.local_addr()?);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(wakeful::spawn(connection(stream, header_timeout))),
            Err(err) => eprintln!("http: accept: {err}"),
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

async fn connection(mut stream: TcpStream, header_timeout: Duration) {
    let _ = stream.set_nodelay(true);
    // Bytes read but not yet used: the start of the next (pipelined) request.
    let mut buf = Vec::with_capacity(4096);
    loop {
        match read_request(&mut stream, &mut buf, header_timeout).await {
            Ok(request) => {
                let keep_alive = request.keep_alive;
                let (status, reason, body) = route(&request);
                if respond(&mut stream, status, reason, body, keep_alive).await.is_err() || !keep_alive {
                    return;
                }
            }
            Err(reject) => {
                if let Some((status, reason, body)) = reject.status() {
                    let _ = respond(&mut stream, status, reason, body.as_bytes(), false).await;
                }
                return;
            }
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
    let mut response = Vec::with_capacity(head.len() + body.len());
    response.extend_from_slice(head.as_bytes());
    response.extend_from_slice(body);
    stream.write_all(&response).await
}

/// Reads one request: the header section within `header_timeout`, then the body.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    header_timeout: Duration,
) -> Result<Request, Reject> {
    let deadline = std::time::Instant::now() + header_timeout;
    let head_len = loop {
        if let Some(end) = find_head_end(buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(Reject::HeadTooLarge);
        }
        match timeout_at(deadline, read_more(stream, buf)).await {
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
    while buf.len() < content_length {
        match read_more(stream, buf).await {
            Ok(0) => return Err(Reject::BadRequest("the body ended early\n")),
            Ok(_) => {}
            Err(_) => return Err(Reject::Gone),
        }
    }
    request.body = buf.drain(..content_length).collect();
    Ok(request)
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
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
