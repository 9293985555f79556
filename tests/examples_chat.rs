//! The chat example: lines broadcast to every other client, and idle clients timed
//! out, each timeout ending with its connection.
//!
//! Each example runs as its own process, spoken to over loopback with plain blocking
//! std sockets (`util::example`).

mod util;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use util::example::{connect, Running};

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

#[test]
fn chat_prints_a_task_dump_on_sigusr1() {
    let mut server = Running::start("chat", &["--addr", "127.0.0.1:0", "--idle", "60"]);
    let addr = server.listening_addr();
    let client = ChatClient::join(&addr); // welcomed: its connection task now waits to read
    let client_addr = client.writer.local_addr().unwrap();
    server.signal(libc::SIGUSR1);
    server.wait_for("chat: task dump");
    let mut dump = Vec::new();
    loop {
        let line = server.line();
        if line.starts_with("chat: end of task dump") {
            break;
        }
        dump.push(line);
    }
    let dump = dump.concat();
    assert!(dump.contains(&format!("(TcpListener {addr}) readable\n")), "the accept wait:\n{dump}");
    assert!(
        dump.contains(&format!("(TcpStream {addr} ← {client_addr}) readable\n")),
        "the connection's read:\n{dump}"
    );
    assert!(dump.contains("\"guest-1\" (idle"), "named tasks:\n{dump}");
    assert!(dump.contains("waits on timer due in "), "the idle timer:\n{dump}");
    assert!(!dump.contains("lost waker"), "{dump}");
}
