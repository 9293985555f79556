//! Pub/sub in the Redis-protocol example (`examples/kv`): messages between two
//! clients, unsubscribing back to commands, the per-connection subscription cap,
//! channels freed when left, and subscribers that do not read.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use util::example::{connect, Running};
use util::kv::{cli, read_exactly, read_line, redis, spawn_cli, start};
use util::PATIENCE;

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

/// Subscriptions per connection are capped (each holds memory for the connection's
/// life): the channel over the cap gets an error, the others their acknowledgements.
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
