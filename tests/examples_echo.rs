//! The echo, TCP client, UDP server and load generator examples: many clients,
//! graceful shutdown on Ctrl-C, bad arguments, refused connections, and the load tool
//! driving both echo servers.
//!
//! Each example runs as its own process, spoken to over loopback with plain blocking
//! std sockets (`util::example`).

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use util::example::{connect, echo_round_trip, example, Running};

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

/// Reads the per-core lines ("core I accepted N connection(s)") up to "bye"; returns
/// the counts in core order.
fn accepted_per_core(server: &mut Running, prefix: &str) -> Vec<u64> {
    let mut accepted = Vec::new();
    loop {
        let line = server.line();
        if line.contains(&format!("{prefix}: bye")) {
            return accepted;
        }
        if let Some(rest) = line.strip_prefix(&format!("{prefix}: core {} accepted ", accepted.len())) {
            accepted.push(rest.split(' ').next().unwrap().parse().unwrap());
        }
    }
}

#[test]
fn echo_on_two_cores_serves_100_clients_on_both_and_stops_every_core_on_ctrl_c() {
    let mut server = Running::start("echo", &["--addr", "127.0.0.1:0", "--cores", "2", "--grace", "10"]);
    let addr = server.listening_addr();
    let mut clients: Vec<TcpStream> = (0..100).map(|_| connect(&addr)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        echo_round_trip(client, format!("hello from client {i}\n").as_bytes());
    }

    // One Ctrl-C: every core stops accepting, and still serves its live connections.
    server.signal(libc::SIGINT);
    for _ in 0..2 {
        server.wait_for("shutting down");
    }
    assert!(TcpStream::connect(&addr).is_err(), "new clients are refused by every core after Ctrl-C");
    for client in clients.iter_mut().step_by(10) {
        echo_round_trip(client, b"still served during the grace period");
    }
    drop(clients);
    let accepted = accepted_per_core(&mut server, "echo");
    assert_eq!(accepted.len(), 2, "one count per core: {accepted:?}");
    assert_eq!(accepted.iter().sum::<u64>(), 100, "every client accepted once: {accepted:?}");
    // The kernel spreads connections by a hash of the client's port: with 100 clients,
    // a core left out would mean the listeners do not share the port.
    #[cfg(target_os = "linux")]
    assert!(accepted.iter().all(|&n| n > 0), "both cores accepted some: {accepted:?}");
    let status = server.wait_exit();
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
}

#[test]
fn echo_rejects_zero_cores() {
    let output = example("echo").args(["--cores", "0"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--cores"), "{output:?}");
}

/// A count no machine has is refused by the argument parser, before the startup
/// allocates per-core channels (`usize::MAX` overflowed that allocation and panicked;
/// tens of millions took gigabytes before `wakeful::cores` refused the count).
#[test]
fn echo_rejects_more_cores_than_wakeful_cores_accepts_before_allocating() {
    for count in [u64::MAX.to_string(), (wakeful::cores::MAX_CORES + 1).to_string()] {
        let output = example("echo").args(["--addr", "127.0.0.1:0", "--cores", &count]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "--cores {count}: {output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("--cores"), "{output:?}");
    }
}

/// A port held by a listener without `SO_REUSEPORT`: core 0 cannot bind, and every
/// core ends with the error (none waits forever for core 0's address).
#[test]
fn echo_on_two_cores_reports_a_port_in_use_and_exits() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut server = Running::start("echo", &["--addr", &addr, "--cores", "2"]);
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(1), "a failed bind exits 1, got {status:?}");
}

/// A core that cannot start (no file descriptor left for its runtime) never takes
/// its startup ticket: the cores waiting for it in the port hand-over must end at
/// the shutdown its failure fires, not after the whole `--grace`-long shutdown
/// timeout (31 s here).
#[test]
fn echo_on_four_cores_with_too_few_fds_for_every_runtime_exits_at_once() {
    let exe = example("echo").get_program().to_owned();
    // The limit is applied by the shell, in the child only: some core's runtime
    // cannot get its fds (which one depends on the fds inherited).
    let script = format!("ulimit -n 10 && exec '{}' --addr 127.0.0.1:0 --cores 4 --grace 30", exe.display());
    let mut child = std::process::Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            child.kill().unwrap(); // our own child, by its handle
            child.wait().unwrap();
            panic!(
                "echo still starting after {:?}: the cores wait out the shutdown timeout",
                started.elapsed()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    // Which core runs out first, and whether in its runtime or its listener, depends
    // on timing; the error printed is that cause, never the other cores' stopping.
    assert!(stderr.contains("os error 24"), "the cause, no fds: {stderr}");
    assert!(!stderr.contains("stopped before every core listened"), "{stderr}");
}
