//! The HTTP example: keep-alive, bad requests, and a deadline for every phase of a
//! connection (a trickled body, a client that pipelines and never reads, deadlines
//! too far for an `Instant`).
//!
//! Each example runs as its own process, spoken to over loopback with plain blocking
//! std sockets (`util::example`).

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use util::example::{connect, example, Running};
use util::PATIENCE;

/// One HTTP response read from a keep-alive connection: status, headers, body.
fn http_response(reader: &mut BufReader<TcpStream>) -> (u16, Vec<String>, Vec<u8>) {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).expect("status code").parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        headers.push(line.trim_end().to_string());
    }
    let length: usize =
        headers.iter().find_map(|h| h.strip_prefix("Content-Length: ")).unwrap().parse().unwrap();
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, headers, body)
}

fn at_end(reader: &mut BufReader<TcpStream>) -> bool {
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).map(|_| rest.is_empty()).unwrap_or(false)
}

#[test]
fn http_keeps_alive_and_rejects_bad_requests_without_harm() {
    let mut server = Running::start("http", &["--addr", "127.0.0.1:0", "--header-timeout", "0.3"]);
    let addr = server.listening_addr();

    // Keep-alive, with two pipelined requests in one write.
    let good = connect(&addr);
    let mut good_reader = BufReader::new(good.try_clone().unwrap());
    (&good)
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    let (status, headers, body) = http_response(&mut good_reader);
    assert_eq!((status, body.as_slice()), (200, &b"Hello, world!\n"[..]));
    assert!(headers.contains(&"Connection: keep-alive".to_string()), "{headers:?}");
    let (status, _, body) = http_response(&mut good_reader);
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]));

    // Each bad client gets its error and a closed connection.
    let cases: [(&[u8], u16); 5] = [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\n\r\n", 400),
        (b"POST /echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        (b"GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n", 404),
    ];
    for (request, expected) in cases {
        let bad = connect(&addr);
        (&bad).write_all(request).unwrap();
        let mut reader = BufReader::new(bad);
        assert_eq!(http_response(&mut reader).0, expected, "{}", String::from_utf8_lossy(request));
        assert!(at_end(&mut reader), "the connection is closed after {expected}");
    }
    let huge = connect(&addr);
    let _ = (&huge).write_all(format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(10_000)).as_bytes());
    assert_eq!(http_response(&mut BufReader::new(huge)).0, 431);

    // A slow client: half a request line, then nothing.
    let slow = connect(&addr);
    (&slow).write_all(b"GET / HT").unwrap();
    let started = Instant::now();
    let mut slow_reader = BufReader::new(slow);
    assert_eq!(http_response(&mut slow_reader).0, 408);
    assert!(started.elapsed() >= Duration::from_millis(250), "timed out early: {:?}", started.elapsed());
    assert!(at_end(&mut slow_reader));

    // The idle keep-alive connection was closed quietly by the same timeout.
    assert!(at_end(&mut good_reader));
    // And the server still serves.
    let after = connect(&addr);
    (&after).write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut after_reader = BufReader::new(after);
    assert_eq!(http_response(&mut after_reader).0, 200);
    assert!(at_end(&mut after_reader), "HTTP/1.0 closes after the response");
}

/// Sends `bytes` one at a time, `gap` apart: a slow client. Ends early when the
/// server has closed the connection.
fn trickle(stream: TcpStream, bytes: Vec<u8>, gap: Duration) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for byte in bytes {
            if (&stream).write_all(&[byte]).is_err() {
                return;
            }
            std::thread::sleep(gap); // the pace of the attack, not a synchronization
        }
    })
}

/// For a client that has stopped reading: reads whatever the server sent until it
/// closes, and returns the status of the response, if one arrived (a reset may
/// discard it). Fails if the server has not closed within `within`.
fn status_then_close(stream: &TcpStream, within: Duration) -> Option<u16> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the server did not close the connection within {within:?}");
        stream.set_read_timeout(Some(left)).unwrap();
        match (&*stream).read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(err)
                if matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                panic!("the server did not close the connection within {within:?}")
            }
            Err(err) => panic!("reading from the server: {err}"),
        }
    }
    let text = String::from_utf8_lossy(&seen);
    text.strip_prefix("HTTP/1.1 ").map(|rest| rest[..3].parse().expect("a status code"))
}

/// `GET /` on a new connection; returns the status and how long the answer took.
fn timed_get(addr: &str) -> (u16, Duration) {
    let started = Instant::now();
    let client = connect(addr);
    (&client).write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    let status = http_response(&mut BufReader::new(client)).0;
    (status, started.elapsed())
}

#[test]
fn http_cuts_off_a_trickled_body_at_the_body_deadline() {
    let mut server = Running::start("http", &["--addr", "127.0.0.1:0", "--body-timeout", "0.5"]);
    let addr = server.listening_addr();

    // The head at once, then the body a byte every 20 ms: it would take 20 s to
    // arrive, and the trickle stops after 4 s, short of it.
    let slow = connect(&addr);
    (&slow).write_all(b"POST /echo HTTP/1.1\r\nContent-Length: 1000\r\n\r\n").unwrap();
    let started = Instant::now();
    let trickler = trickle(slow.try_clone().unwrap(), vec![b'x'; 200], Duration::from_millis(20));

    let (status, latency) = timed_get(&addr);
    assert_eq!(status, 200, "others are served meanwhile");
    assert!(latency < Duration::from_secs(1), "a normal request took {latency:?}");

    let status = status_then_close(&slow, Duration::from_secs(3));
    let elapsed = started.elapsed();
    assert!(matches!(status, None | Some(408)), "a late body gets 408 (or a reset), got {status:?}");
    assert!(elapsed >= Duration::from_millis(450), "cut off before the body deadline: {elapsed:?}");
    trickler.join().unwrap();
    assert_eq!(timed_get(&addr).0, 200, "the server still serves");
}

/// `write_all` on a socket with a short write timeout, giving up at `give_up`.
fn send_by(stream: &TcpStream, mut bytes: &[u8], give_up: Instant) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match (&*stream).write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < give_up => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

#[test]
fn http_disconnects_clients_that_pipeline_and_never_read() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let write_timeout = Duration::from_secs(2);
    let mut server = Running::start("http", &["--addr", "127.0.0.1:0", "--write-timeout", "2"]);
    let addr = server.listening_addr();

    // Attackers: 1 MiB POST /echo after 1 MiB POST /echo (64 MiB in all, far more than
    // the socket buffers hold), and never a read.
    let mut request = b"POST /echo HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n".to_vec();
    request.resize(request.len() + (1 << 20), b'x');
    let request = Arc::new(request);
    let started = Instant::now();
    // Past this, an attacker still connected gives up: the test fails, bounded.
    let give_up = started + write_timeout + Duration::from_secs(3);
    let attackers: Vec<_> = (0..4)
        .map(|_| {
            let stream = connect(&addr);
            stream.set_write_timeout(Some(Duration::from_millis(100))).unwrap();
            let written = Arc::new(AtomicUsize::new(0));
            let (progress, request) = (written.clone(), request.clone());
            let thread = std::thread::spawn(move || {
                for _ in 0..64 {
                    for piece in request.chunks(64 * 1024) {
                        if let Err(err) = send_by(&stream, piece, give_up) {
                            return (err, Instant::now());
                        }
                        progress.fetch_add(piece.len(), Ordering::Relaxed);
                    }
                }
                panic!("the server took 64 MiB of requests without its responses being read");
            });
            (written, thread)
        })
        .collect();

    // Once every attacker is well under way, a normal client is served promptly.
    let deadline = Instant::now() + PATIENCE;
    while attackers.iter().any(|(written, _)| written.load(Ordering::Relaxed) < 2 << 20) {
        assert!(Instant::now() < deadline, "the attackers could not send 2 MiB each");
        std::thread::sleep(Duration::from_millis(5));
    }
    let (status, latency) = timed_get(&addr);
    assert_eq!(status, 200);
    assert!(latency < Duration::from_secs(1), "a normal request took {latency:?} during the attack");
    assert!(
        attackers.iter().all(|(_, thread)| !thread.is_finished()),
        "an attacker was disconnected before the normal client was served: too soon to tell"
    );

    // Each attacker is disconnected once its response has waited `write_timeout`.
    for (_, thread) in attackers {
        let (err, when) = thread.join().unwrap();
        let after = when - started;
        assert!(
            matches!(err.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe),
            "an attacker was still connected after {after:?} ({err}): no write deadline?"
        );
        assert!(
            after >= write_timeout,
            "disconnected after {after:?}, before the {write_timeout:?} write deadline"
        );
    }
    assert_eq!(timed_get(&addr).0, 200, "the server still serves");
}

/// Deadlines are positive numbers of seconds; a very large one (1e19 s, which
/// `Duration` holds) means "practically none" and must not break the server: once,
/// `Instant::now() + limit` overflowed and panicked in every connection task, and the
/// server closed connections unanswered.
#[test]
fn http_serves_with_deadlines_too_far_for_an_instant() {
    let limits = ["--header-timeout", "1e19", "--body-timeout", "1e19", "--write-timeout", "1e19"];
    let mut server = Running::start("http", &[&["--addr", "127.0.0.1:0"][..], &limits[..]].concat());
    let mut client = connect(&server.listening_addr());
    client.write_all(b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello").unwrap();
    let mut response = Vec::new();
    let _ = client.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "no answer from the server: {response:?}");
    assert!(response.ends_with("hello"), "{response:?}");
}

#[test]
fn http_on_two_cores_serves_100_clients_on_both_and_stops_on_ctrl_c() {
    let mut server = Running::start("http", &["--addr", "127.0.0.1:0", "--cores", "2"]);
    let addr = server.listening_addr();
    let clients: Vec<TcpStream> = (0..100).map(|_| connect(&addr)).collect();
    for client in &clients {
        (&*client).write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    }
    for client in &clients {
        let (status, _, body) = http_response(&mut BufReader::new(client.try_clone().unwrap()));
        assert_eq!((status, body.as_slice()), (200, &b"Hello, world!\n"[..]));
    }

    server.signal(libc::SIGINT);
    let mut accepted = Vec::new();
    loop {
        let line = server.line();
        if line.contains("http: bye") {
            break;
        }
        if let Some(rest) = line.strip_prefix(&format!("http: core {} accepted ", accepted.len())) {
            accepted.push(rest.split(' ').next().unwrap().parse::<u64>().unwrap());
        }
    }
    assert_eq!(accepted.len(), 2, "one count per core: {accepted:?}");
    assert_eq!(accepted.iter().sum::<u64>(), 100, "every client accepted once: {accepted:?}");
    #[cfg(target_os = "linux")]
    assert!(accepted.iter().all(|&n| n > 0), "both cores accepted some: {accepted:?}");
    assert!(server.wait_exit().success());
    // The cores dropped their connections with their runtimes: each client sees the end.
    for client in clients {
        assert!(at_end(&mut BufReader::new(client)), "a connection outlived its core");
    }
}

/// A count no machine has is refused by the argument parser, before the startup
/// allocates per-core channels (`usize::MAX` overflowed that allocation and panicked).
#[test]
fn http_rejects_more_cores_than_wakeful_cores_accepts_before_allocating() {
    for count in [u64::MAX.to_string(), (wakeful::cores::MAX_CORES + 1).to_string()] {
        let output = example("http").args(["--addr", "127.0.0.1:0", "--cores", &count]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "--cores {count}: {output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("--cores"), "{output:?}");
    }
}
