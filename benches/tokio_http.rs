//! The tokio twin of `examples/http.rs`, for `benches/compare.sh --cores`: the same
//! request parsing, routes, responses and per-phase deadlines (10 s each), on tokio.
//! Kept to what the benchmark exercises: `GET /` and `POST /echo` with keep-alive and
//! pipelining; bad requests get `400` and a closed connection.
//!
//! ```text
//! cargo run --release --example tokio_http -- --addr 127.0.0.1:8080                 # current-thread
//! cargo run --release --example tokio_http -- --multi-thread 2                      # 2 workers
//! cargo run --release --example tokio_http -- --reuseport --addr 127.0.0.1:8080     # start twice
//! ```

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::{timeout, timeout_at, Instant};

const MAX_HEAD: usize = 8 * 1024;
const MAX_BODY: usize = 1024 * 1024;
const READ_CHUNK: usize = 4096;
const LIMIT: Duration = Duration::from_secs(10);

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut addr, mut reuseport, mut workers) = ("127.0.0.1:8080".to_string(), false, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().expect("--addr needs a value"),
            "--reuseport" => reuseport = true,
            "--multi-thread" => {
                let n = args.next().and_then(|n| n.parse::<usize>().ok()).filter(|&n| n > 0);
                workers = Some(n.expect("--multi-thread needs a number of workers > 0"));
            }
            other => panic!("unknown argument {other:?}"),
        }
    }
    let rt = match workers {
        Some(n) => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build()?,
        None => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
    };
    rt.block_on(serve(&addr, reuseport))
}

async fn serve(addr: &str, reuseport: bool) -> io::Result<()> {
    let addr: std::net::SocketAddr =
        addr.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "--addr: not IP:PORT"))?;
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    if reuseport {
        socket.set_reuseport(true)?;
    }
    socket.bind(addr)?;
    let listener: TcpListener = socket.listen(1024)?;
    println!("tokio_http: listening on {}", listener.local_addr()?);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(tokio::spawn(connection(stream))),
            Err(err) => eprintln!("tokio_http: accept: {err}"),
        }
    }
}

async fn connection(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(READ_CHUNK);
    loop {
        let (status, reason, body, keep_alive) = match read_request(&mut stream, &mut buf).await {
            Ok((method, path, keep_alive, body)) => {
                let (status, reason, body): (u16, &str, Vec<u8>) = match (method.as_str(), path.as_str()) {
                    ("GET" | "HEAD", "/") => (200, "OK", b"Hello, world!\n".to_vec()),
                    ("POST" | "PUT", "/echo") => (200, "OK", body),
                    _ => (404, "Not Found", b"not found\n".to_vec()),
                };
                (status, reason, body, keep_alive)
            }
            Err(Some(why)) => (400, "Bad Request", why.as_bytes().to_vec(), false),
            Err(None) => return,
        };
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let mut response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: {connection}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(&body);
        let sent = timeout(LIMIT, stream.write_all(&response)).await;
        if !matches!(sent, Ok(Ok(()))) || !keep_alive {
            return;
        }
    }
}

/// One request: (method, path, keep-alive, body); `Err(None)`: the client is gone.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<(String, String, bool, Vec<u8>), Option<&'static str>> {
    let deadline = Instant::now() + LIMIT;
    let head_len = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(Some("header section too large\n"));
        }
        match timeout_at(deadline, read_more(stream, buf, READ_CHUNK)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Err(None),
            Ok(Ok(_)) => {}
        }
    };
    let head = std::str::from_utf8(&buf[..head_len]).map_err(|_| Some("not UTF-8\n"))?;
    let mut lines = head.lines();
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let (method, path, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(p), Some(v), None) if !m.is_empty() && p.starts_with('/') => (m, p, v),
        _ => return Err(Some("malformed request line\n")),
    };
    let mut keep_alive = version == "HTTP/1.1";
    let mut content_length = 0usize;
    for line in lines.take_while(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(Some("malformed header line\n"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse().map_err(|_| Some("malformed Content-Length\n"))?;
            if content_length > MAX_BODY {
                return Err(Some("body too large\n"));
            }
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.eq_ignore_ascii_case("close");
        }
    }
    let (method, path) = (method.to_string(), path.to_string());
    buf.drain(..head_len);
    let deadline = Instant::now() + LIMIT;
    while buf.len() < content_length {
        match timeout_at(deadline, read_more(stream, buf, content_length - buf.len())).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Err(None),
            Ok(Ok(_)) => {}
        }
    }
    let body = buf.drain(..content_length).collect();
    Ok((method, path, keep_alive, body))
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    let mut chunk = [0u8; READ_CHUNK];
    let n = stream.read(&mut chunk[..max.min(READ_CHUNK)]).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}
