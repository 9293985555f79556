//! examples/http.rs at the edges of its arguments, found in review.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use util::PATIENCE;

/// The http example, killed (by its PID) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_http(args: &[&str]) -> (Server, String) {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let path = dir.join("examples").join("http");
    assert!(path.exists(), "example binary {path:?} not built: run `cargo test`, which builds it");
    let mut child = Command::new(path)
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the http example");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("its first line");
    let addr = line.split("listening on ").nth(1).expect("a 'listening on' line").trim().to_string();
    (Server(child), addr)
}

/// Deadlines are positive numbers of seconds; a very large one (1e19 s, which
/// `Duration` holds) means "practically none" and must not break the server. Before
/// the fix, `Instant::now() + limit` overflowed and panicked in every connection task:
/// the server accepted connections and closed them unanswered.
#[test]
fn http_serves_with_deadlines_too_far_for_an_instant() {
    let (_server, addr) =
        start_http(&["--header-timeout", "1e19", "--body-timeout", "1e19", "--write-timeout", "1e19"]);
    let mut client = TcpStream::connect(&addr).expect("connect to the example");
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    client.write_all(b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello").unwrap();
    let mut response = Vec::new();
    let _ = client.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "no answer from the server: {response:?}");
    assert!(response.ends_with("hello"), "{response:?}");
}
