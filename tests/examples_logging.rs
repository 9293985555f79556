//! The logging example: to the terminal and a file, alerts mailed to a local SMTP
//! server, and an undeliverable alert reported, not fatal.
//!
//! Each example runs as its own process, spoken to over loopback with plain blocking
//! std sockets (`util::example`).

mod util;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use util::example::example;
use util::PATIENCE;

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
