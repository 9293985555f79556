//! Helpers of the example tests (`examples_*.rs`): start an example as its own
//! process and speak to it over loopback, the way a user would, with plain blocking
//! std sockets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::PATIENCE;

/// The compiled example `name` (cargo builds examples before running tests).
pub fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let path: PathBuf = dir.join("examples").join(name);
    assert!(path.exists(), "example binary {path:?} not built: run `cargo test` (which builds the examples) or `cargo build --examples` first");
    Command::new(path)
}

/// A running example; killed (by its PID) if the test ends before it exits.
pub struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Running {
    pub fn start(name: &str, args: &[&str]) -> Running {
        let mut child = example(name)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start example");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Running { child, stdout }
    }

    /// The example's process id (to read its `/proc` entries).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line of output (the examples print line by line).
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read example output");
        assert!(!line.is_empty(), "example ended its output early");
        line
    }

    /// Reads lines until one contains `needle`; returns it.
    pub fn wait_for(&mut self, needle: &str) -> String {
        loop {
            let line = self.line();
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// The address from the "listening on ADDR" line every server prints first.
    pub fn listening_addr(&mut self) -> String {
        let line = self.wait_for("listening on ");
        line.split("listening on ").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: sends a signal to our own child process, by its PID.
        assert_eq!(unsafe { libc::kill(self.child.id() as libc::pid_t, signal) }, 0);
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
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

pub fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the example");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

pub fn echo_round_trip(stream: &mut TcpStream, message: &[u8]) {
    stream.write_all(message).unwrap();
    let mut back = vec![0; message.len()];
    stream.read_exact(&mut back).unwrap();
    assert_eq!(back, message);
}
