//! The Redis-protocol example (`examples/kv`), spoken to by the real `redis-cli`
//! (redis-tools, installed by `.ci/run`) and by raw sockets: commands, expiry,
//! pipelining, pub/sub between two clients, the connection limit, graceful shutdown,
//! and requests split byte by byte, large, or malformed.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use util::example::{connect, Running};
use util::PATIENCE;

/// `redis-cli -h HOST -p PORT args...`, not yet waited for.
fn cli(addr: &str, args: &[&str]) -> Command {
    let (host, port) = addr.rsplit_once(':').unwrap();
    let mut command = Command::new("redis-cli");
    command.args(["--no-raw", "-h", host, "-p", port]).args(args);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn spawn_cli(command: &mut Command) -> Child {
    command.spawn().unwrap_or_else(|err| {
        panic!("cannot run redis-cli ({err}): install redis-tools (apt-get install -y redis-tools), as .ci/run does")
    })
}

/// Waits for a `redis-cli` (bounded: killed and failed after `PATIENCE`).
fn finish(mut child: Child) -> Output {
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
fn redis(addr: &str, args: &[&str]) -> String {
    let output = finish(spawn_cli(&mut cli(addr, args)));
    assert!(output.status.success(), "redis-cli {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim_end().to_string()
}

fn start(extra: &[&str]) -> (Running, String) {
    let mut args = vec!["--addr", "127.0.0.1:0"];
    args.extend(extra);
    let mut server = Running::start("kv", &args);
    let addr = server.listening_addr();
    (server, addr)
}

#[test]
fn redis_cli_commands_get_redis_replies() {
    let (_server, addr) = start(&[]);
    assert_eq!(redis(&addr, &["ping"]), "PONG");
    assert_eq!(redis(&addr, &["ping", "hi there"]), "\"hi there\"");
    assert_eq!(redis(&addr, &["echo", "é\u{1}"]), "\"\\xc3\\xa9\\x01\"");
    assert_eq!(redis(&addr, &["set", "k", "v1"]), "OK");
    assert_eq!(redis(&addr, &["get", "k"]), "\"v1\"");
    assert_eq!(redis(&addr, &["set", "k", "v2", "nx"]), "(nil)");
    assert_eq!(redis(&addr, &["set", "k", "v3", "xx"]), "OK");
    assert_eq!(redis(&addr, &["set", "absent", "v", "xx"]), "(nil)");
    assert_eq!(redis(&addr, &["get", "k"]), "\"v3\"");
    assert_eq!(redis(&addr, &["exists", "k", "k", "absent"]), "(integer) 2");
    assert_eq!(redis(&addr, &["set", "k2", "x"]), "OK");
    assert_eq!(redis(&addr, &["del", "k", "k2", "absent"]), "(integer) 2");
    assert_eq!(redis(&addr, &["get", "k"]), "(nil)");
    assert!(redis(&addr, &["get"]).contains("ERR wrong number of arguments for 'get' command"));
    assert!(redis(&addr, &["set", "k", "v", "ex", "0"]).contains("ERR invalid expire time"));
    assert!(redis(&addr, &["set", "k", "v", "px", "notanumber"]).contains("ERR value is not an integer"));
    assert!(redis(&addr, &["set", "k", "v", "ex", "9223372036854775807"]).contains("ERR invalid expire time"));
    assert!(redis(&addr, &["set", "k", "v", "nx", "xx"]).contains("ERR syntax error"));
    assert!(redis(&addr, &["flushall"]).contains("ERR unknown command 'flushall'"));
}

#[test]
fn set_px_expires_the_key() {
    let (_server, addr) = start(&[]);
    assert_eq!(redis(&addr, &["set", "short", "v", "px", "50"]), "OK");
    assert_eq!(redis(&addr, &["set", "long", "v", "ex", "3600"]), "OK");
    // A later, nearer deadline must wake the expiry task early.
    assert_eq!(redis(&addr, &["set", "shorter", "v", "px", "20"]), "OK");
    let deadline = Instant::now() + PATIENCE;
    while redis(&addr, &["exists", "short", "shorter"]) != "(integer) 0" {
        assert!(Instant::now() < deadline, "the keys did not expire");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(redis(&addr, &["get", "short"]), "(nil)");
    assert_eq!(redis(&addr, &["get", "long"]), "\"v\"", "a key far from its deadline stays");
    // Overwriting without PX removes the deadline.
    assert_eq!(redis(&addr, &["set", "kept", "v", "px", "30"]), "OK");
    assert_eq!(redis(&addr, &["set", "kept", "w"]), "OK");
    std::thread::sleep(Duration::from_millis(60)); // past the old deadline: nothing to wait for
    assert_eq!(redis(&addr, &["get", "kept"]), "\"w\"");
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let (_server, addr) = start(&[]);
    let mut input = Vec::new();
    for i in 0..2000 {
        input.extend_from_slice(
            format!("*3\r\n$3\r\nSET\r\n${}\r\nkey{i}\r\n$1\r\n{}\r\n", 3 + i.to_string().len(), i % 10)
                .as_bytes(),
        );
    }
    let mut child = spawn_cli(cli(&addr, &["--pipe"]).stdin(Stdio::piped()));
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = finish(child);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("errors: 0, replies: 2000"), "{stdout}");
    // Many replies in one go, from one raw write of many requests.
    let mut stream = connect(&addr);
    let mut requests = Vec::new();
    for i in [0, 1999, 5] {
        requests.extend_from_slice(
            format!("*2\r\n$3\r\nGET\r\n${}\r\nkey{i}\r\n", 3 + i.to_string().len()).as_bytes(),
        );
    }
    stream.write_all(&requests).unwrap();
    assert_eq!(read_exactly(&mut stream, 21), b"$1\r\n0\r\n$1\r\n9\r\n$1\r\n5\r\n");
}

#[test]
fn subscribers_get_what_is_published() {
    let (_server, addr) = start(&[]);
    let mut subscriber = spawn_cli(&mut cli(&addr, &["subscribe", "news", "weather"]));
    let mut out = subscriber.stdout.take().unwrap();
    // Wait until both subscriptions are acknowledged, then publish.
    let mut seen = String::new();
    let deadline = Instant::now() + PATIENCE;
    while seen.matches("subscribe").count() < 2 {
        assert!(Instant::now() < deadline, "no subscription acknowledged: {seen:?}");
        let mut chunk = [0; 256];
        let n = out.read(&mut chunk).unwrap();
        assert!(n > 0, "redis-cli ended: {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
    assert_eq!(redis(&addr, &["publish", "news", "hello"]), "(integer) 1");
    assert_eq!(redis(&addr, &["publish", "weather", "rain"]), "(integer) 1");
    assert_eq!(redis(&addr, &["publish", "nobody", "x"]), "(integer) 0");
    while !seen.contains("rain") {
        assert!(Instant::now() < deadline, "messages not delivered: {seen:?}");
        let mut chunk = [0; 256];
        let n = out.read(&mut chunk).unwrap();
        assert!(n > 0, "redis-cli ended: {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
    let hello = seen.find("hello").expect("hello delivered");
    assert!(hello < seen.find("rain").unwrap(), "in order: {seen}");
    assert!(seen.contains("news") && seen.contains("weather"), "{seen}");
    subscriber.kill().unwrap();
    subscriber.wait().unwrap();
}

#[test]
fn subscribed_connections_unsubscribe_and_return_to_commands() {
    let (_server, addr) = start(&[]);
    let mut stream = connect(&addr);
    stream.write_all(b"*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n").unwrap();
    let acks = b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n";
    assert_eq!(read_exactly(&mut stream, acks.len()), acks);
    stream.write_all(b"GET a\r\n").unwrap();
    let refusal = read_line(&mut stream);
    assert!(refusal.starts_with("-ERR Can't execute 'get'"), "{refusal}");
    stream.write_all(b"PING\r\n").unwrap();
    assert_eq!(read_exactly(&mut stream, 20), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(redis(&addr, &["publish", "b", "x\r\ny"]), "(integer) 1");
    let message = b"*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$4\r\nx\r\ny\r\n";
    assert_eq!(read_exactly(&mut stream, message.len()), message);
    stream.write_all(b"UNSUBSCRIBE\r\n").unwrap();
    let mut unsubscribed = String::from_utf8(read_exactly(&mut stream, 2 * 33)).unwrap();
    unsubscribed = unsubscribed.replace("$1\r\na\r\n", "$1\r\nX\r\n").replace("$1\r\nb\r\n", "$1\r\nX\r\n");
    assert_eq!(
        unsubscribed,
        "*3\r\n$11\r\nunsubscribe\r\n$1\r\nX\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nX\r\n:0\r\n"
    );
    assert_eq!(redis(&addr, &["publish", "b", "x"]), "(integer) 0", "nobody listens any more");
    stream.write_all(b"PING\r\n").unwrap();
    assert_eq!(read_exactly(&mut stream, 7), b"+PONG\r\n", "back to normal commands");
}

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
fn a_request_split_byte_by_byte_is_one_request() {
    let (_server, addr) = start(&[]);
    let mut stream = connect(&addr);
    stream.set_nodelay(true).unwrap();
    let request =
        b"*3\r\n$3\r\nSET\r\n$4\r\nk\0\r\n\r\n$5\r\n\xff\r\n\0\x01\r\n*2\r\n$3\r\nGET\r\n$4\r\nk\0\r\n\r\n";
    for byte in request.iter() {
        stream.write_all(std::slice::from_ref(byte)).unwrap();
    }
    assert_eq!(read_exactly(&mut stream, 16), b"+OK\r\n$5\r\n\xff\r\n\0\x01\r\n");
}

#[test]
fn a_one_mib_value_round_trips() {
    let (_server, addr) = start(&[]);
    let value: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut stream = connect(&addr);
    let mut request = format!("*3\r\n$3\r\nSET\r\n$1\r\nv\r\n${}\r\n", value.len()).into_bytes();
    request.extend_from_slice(&value);
    request.extend_from_slice(b"\r\n*2\r\n$3\r\nGET\r\n$1\r\nv\r\n");
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || writer.write_all(&request).unwrap());
    assert_eq!(read_exactly(&mut stream, 5), b"+OK\r\n");
    let header = format!("${}\r\n", value.len());
    assert_eq!(read_exactly(&mut stream, header.len()), header.as_bytes());
    assert!(read_exactly(&mut stream, value.len()) == value, "the value comes back byte for byte");
    assert_eq!(read_exactly(&mut stream, 2), b"\r\n");
    sender.join().unwrap();
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

#[test]
fn kv_rejects_bad_arguments() {
    for args in [&["--bogus"][..], &["--max-conns", "0"], &["--max-conns"], &["--grace", "-1"]] {
        let output = util::example::example("kv").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("usage: kv"));
    }
}

fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut buf = vec![0; len];
    stream.read_exact(&mut buf).unwrap_or_else(|err| panic!("reading {len} bytes: {err}"));
    buf
}

fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0; 1];
    while !line.ends_with(b"\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "closed mid-line: {line:?}");
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// Subscriptions per connection are capped (`StreamMap` finds keys linearly): the
/// channel over the cap gets an error, the others their acknowledgements.
#[test]
fn subscriptions_over_the_cap_are_refused() {
    let (_server, addr) = start(&[]);
    let mut stream = connect(&addr);
    let names: Vec<String> = (0..4097).map(|i| format!("c{i:05}")).collect();
    let mut request = format!("*{}\r\n$9\r\nSUBSCRIBE\r\n", names.len() + 1);
    for name in &names {
        request.push_str(&format!("$6\r\n{name}\r\n"));
    }
    stream.write_all(request.as_bytes()).unwrap();
    for i in 1..=4096 {
        let ack = format!("*3\r\n$9\r\nsubscribe\r\n$6\r\n{}\r\n:{i}\r\n", names[i - 1]);
        assert_eq!(read_exactly(&mut stream, ack.len()), ack.as_bytes());
    }
    let refused = read_line(&mut stream);
    assert!(refused.starts_with("-ERR at most 4096 subscriptions"), "{refused:?}");
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

/// The server's resident memory, in KiB.
fn rss_kib(server: &Running) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("a VmRSS line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A channel nobody listens to any more is forgotten when its last subscriber
/// leaves, as Redis does: a client subscribing to fresh names and unsubscribing,
/// over and over, does not make the server grow (each channel's queue holds 1024
/// slots, 32 KiB, whether or not anything is ever published on it).
#[test]
fn channels_left_by_their_last_subscriber_are_freed() {
    let (server, addr) = start(&[]);
    let mut stream = connect(&addr);
    /// Subscribes `stream` to 1024 fresh channels, then unsubscribes from all if
    /// `leave`, and reads every acknowledgement.
    fn round(stream: &mut TcpStream, round: usize, leave: bool) {
        let names: Vec<String> = (0..1024).map(|i| format!("r{round:03}c{i:05}")).collect();
        let mut request = format!("*{}\r\n$9\r\nSUBSCRIBE\r\n", names.len() + 1);
        for name in &names {
            request.push_str(&format!("${}\r\n{name}\r\n", name.len()));
        }
        if leave {
            request.push_str("*1\r\n$11\r\nUNSUBSCRIBE\r\n");
        }
        stream.write_all(request.as_bytes()).unwrap();
        let ack = |kind: &str, name: &str, n: usize| {
            format!("*3\r\n${}\r\n{kind}\r\n${}\r\n{name}\r\n:{n}\r\n", kind.len(), name.len())
        };
        let mut expected: String =
            names.iter().enumerate().map(|(i, n)| ack("subscribe", n, i + 1)).collect();
        if leave {
            expected.extend(names.iter().enumerate().map(|(i, n)| ack("unsubscribe", n, 1023 - i)));
        }
        let replies = read_exactly(stream, expected.len());
        assert!(replies == expected.as_bytes(), "round {round}: every channel acknowledged in order");
    }
    round(&mut stream, 0, true);
    let before = rss_kib(&server);
    for r in 1..=6 {
        round(&mut stream, r, true);
    }
    let after = rss_kib(&server);
    assert!(
        after < before + 32 * 1024,
        "6 rounds of 1024 channels subscribed then left grew the server from {before} KiB to {after} KiB"
    );
    // Clients that close while subscribed leave their channels to be swept out as
    // new ones are made: at most one round's worth stays, not six.
    let before = rss_kib(&server);
    for r in 7..=12 {
        round(&mut connect(&addr), r, false);
    }
    let after = rss_kib(&server);
    assert!(
        after < before + 48 * 1024,
        "6 clients closing with 1024 channels each grew the server from {before} KiB to {after} KiB"
    );
    assert_eq!(redis(&addr, &["publish", "r000c00000", "x"]), "(integer) 0");
}

/// A subscriber that does not read is disconnected once 32 MiB of messages wait for
/// it, as Redis does (its pub/sub output limit): the server does not keep every
/// message published since, up to 1024 of 16 MiB each per channel.
#[test]
fn a_subscriber_that_does_not_read_is_disconnected_not_buffered_for() {
    let (server, addr) = start(&[]);
    let mut subscriber = connect(&addr);
    subscriber.write_all(b"SUBSCRIBE ch\r\n").unwrap();
    let ack = b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
    assert_eq!(read_exactly(&mut subscriber, ack.len()), ack);
    let before = rss_kib(&server);
    let mut publisher = connect(&addr);
    let message = vec![b'x'; 1 << 20];
    let mut request = format!("*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n${}\r\n", message.len()).into_bytes();
    request.extend_from_slice(&message);
    request.extend_from_slice(b"\r\n");
    let mut receivers = Vec::new();
    for _ in 0..300 {
        publisher.write_all(&request).unwrap();
        receivers.push(read_line(&mut publisher));
    }
    let grown = rss_kib(&server) - before;
    assert!(
        grown < 150 << 10,
        "300 MiB published to a subscriber that does not read grew the server by {grown} KiB"
    );
    assert_eq!(receivers.last().unwrap(), ":0\r\n", "the subscriber was let go");
    // What it is sent ends, cut short, with the connection.
    let mut rest = Vec::new();
    let _ = subscriber.read_to_end(&mut rest);
    assert!(rest.len() < 300 << 20);
}

/// The tokio twin (benches/tokio_kv) gives the example's replies, byte for byte, so
/// that the benchmark compares the same server.
#[test]
fn the_tokio_twin_gives_the_same_replies() {
    let script: &[&[&str]] = &[
        &["set", "a", "1", "px", "60000", "nx"],
        &["set", "a", "2", "nx"],
        &["get", "a"],
        &["exists", "a", "b"],
        &["del", "a", "b"],
        &["publish", "ch", "x"],
        &["ping", "hello"],
        &["get"],
        &["nonsense", "arg"],
        &["config", "get", "save"],
    ];
    let mut replies = Vec::new();
    for name in ["kv", "tokio_kv"] {
        let mut server = Running::start(name, &["--addr", "127.0.0.1:0"]);
        let addr = server.listening_addr();
        replies.push(script.iter().map(|args| redis(&addr, args)).collect::<Vec<_>>());
    }
    assert_eq!(replies[0], replies[1]);
    assert_eq!(replies[0][2], "\"1\"");
}
