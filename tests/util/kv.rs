//! Helpers of the `examples_kv*` tests: drive the real `redis-cli` against the
//! Redis-protocol example (`examples/kv`) and speak to it over raw sockets.

use std::io::Read;
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::example::Running;
use super::PATIENCE;

/// `redis-cli -h HOST -p PORT args...`, not yet waited for.
pub fn cli(addr: &str, args: &[&str]) -> Command {
    let (host, port) = addr.rsplit_once(':').unwrap();
    let mut command = Command::new("redis-cli");
    command.args(["--no-raw", "-h", host, "-p", port]).args(args);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

pub fn spawn_cli(command: &mut Command) -> Child {
    command.spawn().unwrap_or_else(|err| {
        panic!("cannot run redis-cli ({err}): install redis-tools (apt-get install -y redis-tools), as .ci/run does")
    })
}

/// Waits for a `redis-cli` (bounded: killed and failed after `PATIENCE`).
pub fn finish(mut child: Child) -> Output {
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("redis-cli did not finish within {PATIENCE:?}: {:?}", child.wait_with_output());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

/// Runs `redis-cli args...` and returns its output, trimmed.
pub fn redis(addr: &str, args: &[&str]) -> String {
    let output = finish(spawn_cli(&mut cli(addr, args)));
    assert!(output.status.success(), "redis-cli {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim_end().to_string()
}

pub fn start(extra: &[&str]) -> (Running, String) {
    let mut args = vec!["--addr", "127.0.0.1:0"];
    args.extend(extra);
    let mut server = Running::start("kv", &args);
    let addr = server.listening_addr();
    (server, addr)
}

pub fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut buf = vec![0; len];
    stream.read_exact(&mut buf).unwrap_or_else(|err| panic!("reading {len} bytes: {err}"));
    buf
}

pub fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0; 1];
    while !line.ends_with(b"\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "closed mid-line: {line:?}");
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}
