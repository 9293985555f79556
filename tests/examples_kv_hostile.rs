//! The Redis-protocol example (`examples/kv`) under strain: the connection limit,
//! graceful shutdown on Ctrl-C, and malformed or slowly trickled requests.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use util::example::{connect, Running};
use util::kv::{cli, finish, read_exactly, read_line, redis, spawn_cli, start};
use util::PATIENCE;

#[test]
fn the_connection_over_the_limit_waits_for_one_to_leave() {
    let (_server, addr) = start(&["--max-conns", "2"]);
    let mut first = connect(&addr);
    let mut second = connect(&addr);
    for stream in [&mut first, &mut second] {
        stream.write_all(b"PING\r\n").unwrap();
        assert_eq!(read_exactly(stream, 7), b"+PONG\r\n");
    }
    // A third client connects (into the kernel's backlog) but is not served yet.
    let mut third = connect(&addr);
    third.write_all(b"PING\r\n").unwrap();
    third.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut byte = [0; 1];
    let early = third.read(&mut byte);
    assert!(early.is_err(), "served over the limit: {early:?}");
    // A fourth, redis-cli, behind it in the backlog.
    let waiting = spawn_cli(&mut cli(&addr, &["ping"]));
    drop(first);
    third.set_read_timeout(Some(PATIENCE)).unwrap();
    assert_eq!(read_exactly(&mut third, 7), b"+PONG\r\n", "served once a client left");
    drop(second);
    let output = finish(waiting);
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "PONG", "served once another left");
}

#[test]
fn ctrl_c_delivers_the_reply_in_flight_then_exits_0() {
    let (mut server, addr) = start(&[]);
    // 12 MiB: more than loopback's socket buffers hold, so the server is likely still
    // writing at Ctrl-C (the test holds either way).
    let value = "v".repeat(12 << 20);
    let mut stream = connect(&addr);
    let set = format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n{value}\r\n", value.len());
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || writer.write_all(set.as_bytes()).unwrap());
    assert_eq!(read_exactly(&mut stream, 5), b"+OK\r\n");
    sender.join().unwrap();
    let idle = connect(&addr);
    stream.write_all(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n").unwrap();
    // The reply has begun (so the request was read) when Ctrl-C comes.
    let header = format!("${}\r\n", value.len());
    assert_eq!(read_exactly(&mut stream, header.len()), header.as_bytes());
    server.signal(libc::SIGINT);
    server.wait_for("shutting down");
    let reply = read_exactly(&mut stream, value.len() + 2);
    assert!(reply.starts_with(b"vvv") && reply.ends_with(b"v\r\n"), "the whole reply");
    // After the reply, the connection is closed, and so is the idle one.
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0);
    let mut idle = idle;
    assert_eq!(idle.read_to_end(&mut rest).unwrap(), 0);
    server.wait_for("bye");
    let status = server.wait_exit();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    assert!(TcpStream::connect(&addr).is_err(), "no longer listening");
}

#[test]
fn malformed_requests_get_an_error_and_a_clean_close() {
    let (_server, addr) = start(&[]);
    for bad in [
        &b"*2\r\n$3\r\nGET\r\n:1\r\n"[..],
        b"*x\r\n",
        b"*1\r\n$-5\r\n",
        b"*1\r\n$99999999999\r\n",
        b"*1\r\n$1\r\nab\r\n",
    ] {
        let mut stream = connect(&addr);
        stream.write_all(bad).unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).expect("closed cleanly, not reset");
        let reply = String::from_utf8_lossy(&reply);
        assert!(
            reply.starts_with("-ERR Protocol error: ") && reply.ends_with("\r\n"),
            "{bad:?} got {reply:?}"
        );
        assert_eq!(reply.matches("\r\n").count(), 1, "one error line: {reply:?}");
    }
    // Too large: a value over the 16 MiB limit is refused from its header alone.
    let mut stream = connect(&addr);
    stream.write_all(format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", 17 << 20).as_bytes()).unwrap();
    assert!(read_line(&mut stream).starts_with("-ERR Protocol error: invalid bulk length"));
    // An inline line with no end in sight, over 64 KiB.
    let mut stream = connect(&addr);
    let _ = stream.write_all(&vec![b'a'; 70 << 10]);
    assert!(read_line(&mut stream).starts_with("-ERR Protocol error: too big inline request"));
    // The server is still serving.
    assert_eq!(redis(&addr, &["ping"]), "PONG");
}

/// The CPU time the server has used (user and system).
fn cpu_time(server: &Running) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.pid())).unwrap();
    // The fields after the command name, which is in parentheses: utime and stime are
    // the 12th and 13th of them, in clock ticks.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// A request of 65 536 arguments trickled in one argument per packet is checked once
/// per byte, not from its start at each read (which cost the server time quadratic in
/// the request's length: seconds of it, with every other client waiting). The
/// measure is the server's CPU time, which a busy machine does not stretch.
#[test]
fn a_request_trickled_an_argument_at_a_time_costs_linear_time() {
    let (server, addr) = start(&[]);
    let mut slow = connect(&addr);
    slow.set_nodelay(true).unwrap();
    let arg = format!("$200\r\n{}\r\n", "a".repeat(200));
    let before = cpu_time(&server);
    slow.write_all(b"*65536\r\n$3\r\nDEL\r\n").unwrap();
    for _ in 0..65535 {
        slow.write_all(arg.as_bytes()).unwrap();
    }
    assert_eq!(read_exactly(&mut slow, 4), b":0\r\n", "the trickled request is answered");
    let spent = cpu_time(&server) - before;
    assert!(spent < Duration::from_millis(1500), "the server spent {spent:?} of CPU on one 13 MB request");
    assert_eq!(redis(&addr, &["ping"]), "PONG");
}
