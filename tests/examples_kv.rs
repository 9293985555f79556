//! The Redis-protocol example (`examples/kv`), spoken to by the real `redis-cli`
//! (redis-tools, installed by `.ci/run`) and by raw sockets: commands, expiry,
//! pipelining, requests split byte by byte or large, bad arguments, and the tokio twin.
//! Pub/sub is in `examples_kv_pubsub.rs`; the connection limit, graceful shutdown and
//! malformed or costly requests in `examples_kv_hostile.rs`.

mod util;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use util::example::{connect, Running};
use util::kv::{cli, finish, read_exactly, redis, spawn_cli, start};
use util::PATIENCE;

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
fn kv_rejects_bad_arguments() {
    for args in [&["--bogus"][..], &["--max-conns", "0"], &["--max-conns"], &["--grace", "-1"]] {
        let output = util::example::example("kv").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("usage: kv"));
    }
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
