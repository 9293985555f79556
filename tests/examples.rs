//! Every example, started as its own process and spoken to over loopback, the way a
//! user would: with plain blocking std sockets, not with wakeful.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use util::PATIENCE;

/// The compiled example `name` (cargo builds examples before running tests).
fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let path: PathBuf = dir.join("examples").join(name);
    assert!(path.exists(), "example binary {path:?} not built: run `cargo test` (which builds the examples) or `cargo build --examples` first");
    Command::new(path)
}

/// A running example; killed (by its PID) if the test ends before it exits.
struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Running {
    fn start(name: &str, args: &[&str]) -> Running {
        let mut child = example(name)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start example");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Running { child, stdout }
    }

    /// The next line of output (the examples print line by line).
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read example output");
        assert!(!line.is_empty(), "example ended its output early");
        line
    }

    /// Reads lines until one contains `needle`; returns it.
    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            let line = self.line();
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// The address from the "listening on ADDR" line every server prints first.
    fn listening_addr(&mut self) -> String {
        let line = self.wait_for("listening on ");
        line.split("listening on ").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
    }

    fn signal(&self, signal: i32) {
        // SAFETY: sends a signal to our own child process, by its PID.
        assert_eq!(unsafe { libc::kill(self.child.id() as libc::pid_t, signal) }, 0);
    }

    /// Waits (bounded) for the process to exit.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "example did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the example");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

fn echo_round_trip(stream: &mut TcpStream, message: &[u8]) {
    stream.write_all(message).unwrap();
    let mut back = vec![0; message.len()];
    stream.read_exact(&mut back).unwrap();
    assert_eq!(back, message);
}

#[test]
fn echo_serves_many_clients_and_shuts_down_gracefully() {
    let mut server = Running::start("echo", &["--addr", "127.0.0.1:0", "--grace", "10"]);
    let addr = server.listening_addr();

    let mut clients: Vec<TcpStream> = (0..5).map(|_| connect(&addr)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        echo_round_trip(client, format!("hello from client {i}\n").as_bytes());
    }
    // A large message: the server's partial reads and writes must add up.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut writer = clients[0].try_clone().unwrap();
    let to_send = big.clone();
    let sender = std::thread::spawn(move || writer.write_all(&to_send).unwrap());
    let mut back = vec![0; big.len()];
    clients[0].read_exact(&mut back).unwrap();
    sender.join().unwrap();
    assert!(back == big);

    // Ctrl-C: stop accepting, keep serving the live connections.
    server.signal(libc::SIGINT);
    server.wait_for("shutting down");
    assert!(TcpStream::connect(&addr).is_err(), "new clients are refused after Ctrl-C");
    echo_round_trip(&mut clients[1], b"still served during the grace period");
    drop(clients);
    server.wait_for("bye");
    let status = server.wait_exit();
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
}

#[test]
fn echo_rejects_bad_arguments() {
    let output = example("echo").arg("--bogus").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: echo"));
}

#[test]
fn timers_end_in_order_two_three_one() {
    let output = example("timers").args(["--scale", "0.05"]).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let ends: Vec<&str> = stdout.lines().filter(|l| l.contains(" end: ")).collect();
    assert_eq!(ends.len(), 3, "{stdout}");
    assert!(
        ends[0].starts_with("Task 2 end")
            && ends[1].starts_with("Task 3 end")
            && ends[2].starts_with("Task 1 end"),
        "{stdout}"
    );
    let total: f64 = stdout.lines().find_map(|l| l.strip_prefix("Total: ")).unwrap().trim().parse().unwrap();
    assert!(
        (3.0..4.5).contains(&total),
        "three tasks of 3, 1 and 2 units take about 3 units, not 6: {total}"
    );
}

#[test]
fn tcp_client_talks_to_echo() {
    let mut server = Running::start("echo", &["--addr", "127.0.0.1:0"]);
    let addr = server.listening_addr();
    let output = example("tcp_client").args(["--addr", &addr, "hello", "async world"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "hello\nasync world\n");

    // From standard input when there are no arguments.
    let mut child = example("tcp_client")
        .args(["--addr", &addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"line one\nline two\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "line one\nline two\n");
}

#[test]
fn tcp_client_reports_a_refused_connection() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let output = example("tcp_client").args(["--addr", &closed, "hi"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refused") && stderr.contains(&closed), "{stderr}");
}

#[test]
fn udp_server_answers_every_client_from_one_socket() {
    let mut server = Running::start("udp_server", &["--addr", "127.0.0.1:0"]);
    let addr = server.listening_addr();
    for words in [["one", "two"], ["three", "four"]] {
        let output = example("udp_client").args(["--addr", &addr, words[0], words[1]]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let expected = format!("{}\n{}\n", words[0].to_uppercase(), words[1].to_uppercase());
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    }
}

/// A chat client over a blocking std socket, reading line by line.
struct ChatClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl ChatClient {
    fn join(addr: &str) -> ChatClient {
        let stream = connect(addr);
        let mut client = ChatClient { writer: stream.try_clone().unwrap(), reader: BufReader::new(stream) };
        assert!(client.line().starts_with("* welcome, guest-"));
        client
    }

    fn say(&mut self, line: &str) {
        self.writer.write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    /// The next line; empty at end of stream.
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a line within the test's patience");
        line
    }
}

#[test]
fn chat_broadcasts_and_idle_timeouts_end_with_their_connections() {
    let mut server = Running::start("chat", &["--addr", "127.0.0.1:0", "--idle", "0.5"]);
    let addr = server.listening_addr();
    let mut a = ChatClient::join(&addr);
    let mut b = ChatClient::join(&addr);
    assert_eq!(a.line(), "* guest-2 joined\n");
    let mut c = ChatClient::join(&addr);
    assert_eq!(a.line(), "* guest-3 joined\n");
    assert_eq!(b.line(), "* guest-3 joined\n");

    a.say("hello, room");
    assert_eq!(b.line(), "[guest-1] hello, room\n");
    assert_eq!(c.line(), "[guest-1] hello, room\n");
    b.say("/nick bob");
    assert_eq!(a.line(), "* guest-2 is now bob\n");
    assert_eq!(c.line(), "* guest-2 is now bob\n");
    c.say("/quit");
    assert_eq!(c.line(), "", "quitting closes the connection");
    assert_eq!(a.line(), "* guest-3 left\n", "the sender never hears its own lines");
    assert_eq!(b.line(), "* guest-3 left\n");

    // Silence: each remaining connection's own idle timer ends it.
    let started = Instant::now();
    assert_eq!(a.line(), "* idle for 500ms, bye\n");
    assert!(started.elapsed() >= Duration::from_millis(400), "the idle timer fired early");
    let rest: Vec<String> = std::iter::from_fn(|| Some(a.line()).filter(|l| !l.is_empty())).collect();
    assert!(rest.iter().all(|l| l.starts_with("* bob")), "only bob's idle exit may follow: {rest:?}");
    let b_lines: Vec<String> = std::iter::from_fn(|| Some(b.line()).filter(|l| !l.is_empty())).collect();
    assert!(b_lines.iter().any(|l| l == "* idle for 500ms, bye\n"), "{b_lines:?}");
    assert!(b_lines.iter().all(|l| l.contains("idle") || l == "* guest-1 left\n"), "{b_lines:?}");
    // When the last client is gone, no timer is left behind.
    server.wait_for("0 member(s), 0 timer(s) pending");
}

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

/// A real SMTP server (Python's aiosmtpd, installed by `.ci/run`) on a free port,
/// printing every message it receives.
fn smtp_server() -> (Child, BufReader<ChildStdout>, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new("python3")
        .args(["-u", "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Debugging", "-l", &addr])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 with aiosmtpd (pip install aiosmtpd)");
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(&addr).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("aiosmtpd exited ({status}): is it installed? pip install aiosmtpd");
        }
        assert!(Instant::now() < deadline, "aiosmtpd did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout, addr)
}

#[test]
fn logging_writes_terminal_and_file_and_mails_alerts() {
    let (mut smtp, mut mails, smtp_addr) = smtp_server();
    let log_path = std::env::temp_dir().join(format!("wakeful-logging-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log_path);
    let output = example("logging")
        .args(["--file", log_path.to_str().unwrap(), "--smtp", &smtp_addr, "--to", "ops@example.com"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INFO service starting") && stderr.contains("ALERT disk 99% full"), "{stderr}");
    assert!(!stderr.contains("could not mail"), "{stderr}");
    let file = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(file.lines().count(), 4, "{file}");
    assert!(file.contains("WARN disk 91% full"), "{file}");
    let _ = std::fs::remove_file(&log_path);

    // The mail arrived, whole.
    let mut seen = String::new();
    while !seen.contains("writes will fail soon") {
        let mut line = String::new();
        assert!(mails.read_line(&mut line).unwrap() > 0, "aiosmtpd ended without the mail:\n{seen}");
        seen.push_str(&line);
    }
    assert!(seen.contains("Subject: ALERT: disk 99% full"), "{seen}");
    assert!(seen.contains("ops@example.com"), "{seen}");
    let _ = smtp.kill();
    let _ = smtp.wait();
}

#[test]
fn logging_reports_an_undeliverable_alert() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let output = example("logging").args(["--smtp", &closed, "--to", "ops@example.com"]).output().unwrap();
    assert!(output.status.success(), "a failed mail is logged, not fatal");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("WARN could not mail the alert") && stderr.contains("refused"), "{stderr}");
}

/// The example's hyper adapters, reused by the test's client (its timer is the
/// server's business, hence unused here).
#[path = "../examples/hyper/rt.rs"]
#[allow(dead_code)]
mod hyper_rt;

#[test]
fn hyper_serves_hyper_client_both_on_wakeful() {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::rt::Executor;
    use hyper_rt::{HyperIo, WakefulExecutor};

    let mut server = Running::start("hyper", &["--addr", "127.0.0.1:0"]);
    let addr = server.listening_addr();
    util::run(async {
        let stream = wakeful::net::TcpStream::connect(addr.as_str()).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(HyperIo(stream)).await.unwrap();
        WakefulExecutor.execute(async move {
            let _ = connection.await;
        });
        for _ in 0..3 {
            // Several requests on one kept-alive connection.
            let request =
                hyper::Request::get("/").header("host", &addr).body(Full::new(Bytes::new())).unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.status(), 200);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"Hello from hyper on wakeful!\n");
        }
        let payload = Bytes::from(vec![b'x'; 100_000]);
        let request =
            hyper::Request::post("/echo").header("host", &addr).body(Full::new(payload.clone())).unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), payload);
        let request =
            hyper::Request::get("/missing").header("host", &addr).body(Full::new(Bytes::new())).unwrap();
        assert_eq!(sender.send_request(request).await.unwrap().status(), 404);
    });
}

#[test]
fn wake_trace_shows_each_step_in_the_counters() {
    let output = example("wake_trace").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    for step in ["①", "②", "③", "④", "⑤", "⑥"] {
        assert!(stdout.contains(step), "step {step} missing:\n{stdout}");
    }
    assert!(stdout.contains("5 bytes: \"hello\""), "{stdout}");
    let line = |marker: &str| stdout.lines().find(|l| l.contains(marker)).unwrap_or_default().to_string();
    let local = line("[① to ⑤]");
    assert!(local.contains("wakes_local 0→1") && local.contains("events 0→"), "{local}");
    assert!(!local.contains("wakes_remote"), "the reactor woke the task on its own thread: {local}");
    assert!(line("[⑥]").contains("wakes_remote 0→1"), "{stdout}");
}

/// The benchmark load tool (benches/loadgen.rs) against the echo example: it runs,
/// verifies every byte, and reports.
#[test]
fn loadgen_drives_the_echo_servers() {
    let mut tcp = Running::start("echo", &["--addr", "127.0.0.1:0"]);
    let mut udp = Running::start("udp_server", &["--echo", "--addr", "127.0.0.1:0"]);
    for (addr, extra) in [(tcp.listening_addr(), None), (udp.listening_addr(), Some("--udp"))] {
        let mut args =
            vec!["--addr", &addr, "--conns", "20", "--depth", "2", "--secs", "0.5", "--warmup", "0.1"];
        args.extend(extra);
        let output = example("loadgen").args(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
        let requests: u64 =
            stdout.split("requests=").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert!(requests > 100, "{stdout}");
        assert!(stdout.contains("errors=0"), "{stdout}");
    }
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
