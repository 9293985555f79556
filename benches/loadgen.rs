//! loadgen — a runtime-neutral echo load generator: one thread, raw epoll, no async
//! runtime, so it favours no server. Linux only.
//!
//! ```text
//! cargo run --release --example loadgen -- --addr 127.0.0.1:8000 --conns 100 --size 64 --depth 1 --secs 5
//! cargo run --release --example loadgen -- --udp --addr 127.0.0.1:8001 --conns 10
//! ```
//!
//! Every connection keeps `--depth` requests of `--size` bytes in flight (closed loop:
//! each echo received sends the next request). Every echoed byte is checked against
//! what was sent; a mismatch aborts the run. After `--warmup` seconds, requests and
//! their latencies are counted for `--secs` seconds. The last line of output is one
//! line of `key=value` pairs, for scripts:
//!
//! ```text
//! loadgen: requests=512345 rps=102469 p50_us=95 p99_us=180 p999_us=410 errors=0 lost=0 conns=100 total=614800
//! ```
//!
//! `--idle` only connects and holds the connections for `--secs` (to measure a
//! server's memory per idle connection).
//!
//! UDP: each "connection" is a socket connected to the server; a datagram carries a
//! sequence number and a pattern. A request unanswered for a second is counted lost
//! and replaced.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

struct Options {
    addr: SocketAddr,
    conns: usize,
    size: usize,
    depth: usize,
    secs: f64,
    warmup: f64,
    udp: bool,
    /// Connect, send nothing, hold the connections for `secs`: for memory per idle
    /// connection.
    idle: bool,
}

fn parse() -> Result<Options, String> {
    let mut options = Options {
        addr: "127.0.0.1:8000".parse().unwrap(),
        conns: 1,
        size: 64,
        depth: 1,
        secs: 5.0,
        warmup: 1.0,
        udp: false,
        idle: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--udp" || arg == "--idle" {
            options.udp |= arg == "--udp";
            options.idle |= arg == "--idle";
            continue;
        }
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        let bad = format!("{arg}: bad value {value:?}");
        match arg.as_str() {
            "--addr" => {
                options.addr = value.parse().map_err(|_| format!("--addr: not an address: {value}"))?
            }
            "--conns" => options.conns = value.parse().map_err(|_| bad.clone())?,
            "--size" => options.size = value.parse().map_err(|_| bad.clone())?,
            "--depth" => options.depth = value.parse().map_err(|_| bad.clone())?,
            "--secs" => options.secs = value.parse().map_err(|_| bad.clone())?,
            "--warmup" => options.warmup = value.parse().map_err(|_| bad.clone())?,
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    if options.conns == 0 || options.depth == 0 || options.size < 8 {
        return Err("--conns and --depth must be ≥ 1, --size ≥ 8".into());
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("loadgen: {message}\nusage: loadgen [--addr A] [--conns N] [--size B] [--depth D] [--secs S] [--warmup S] [--udp]");
            return ExitCode::from(2);
        }
    };
    raise_fd_limit(options.conns as u64 * 2 + 64);
    if options.idle {
        return match hold_idle(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("loadgen: {err}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&options) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("loadgen: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Opens `--conns` TCP connections, says so, and holds them idle for `--secs`.
fn hold_idle(options: &Options) -> io::Result<()> {
    let conns: Vec<TcpStream> =
        (0..options.conns).map(|_| TcpStream::connect(options.addr)).collect::<io::Result<_>>()?;
    println!("loadgen: idle={} connected", conns.len());
    std::thread::sleep(Duration::from_secs_f64(options.secs));
    Ok(())
}

/// The byte at `offset` of request `seq` on connection `conn`.
fn pattern(conn: usize, seq: u64, offset: usize) -> u8 {
    (conn as u64).wrapping_mul(31).wrapping_add(seq.wrapping_mul(7)).wrapping_add(offset as u64) as u8
}

/// One connection's state.
struct Conn {
    stream: Option<TcpStream>,
    udp: Option<UdpSocket>,
    /// TCP: bytes of requests not yet accepted by the socket.
    out: VecDeque<u8>,
    /// UDP: datagrams not yet sent.
    datagrams: VecDeque<Vec<u8>>,
    /// Send times of the requests in flight, oldest first (with their sequence numbers).
    in_flight: VecDeque<(u64, Instant)>,
    next_seq: u64,
    /// Progress through the oldest request's echo (TCP).
    received: usize,
}

impl Conn {
    fn queue_request(&mut self, id: usize, size: usize) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.udp.is_some() {
            // A datagram: the sequence number, then the pattern.
            let mut datagram = seq.to_le_bytes().to_vec();
            datagram.extend((8..size).map(|i| pattern(id, seq, i)));
            self.datagrams.push_back(datagram);
        } else {
            self.out.extend((0..size).map(|i| pattern(id, seq, i)));
        }
        self.in_flight.push_back((seq, Instant::now()));
    }

    fn fd(&self) -> i32 {
        match (&self.stream, &self.udp) {
            (Some(s), _) => s.as_raw_fd(),
            (_, Some(u)) => u.as_raw_fd(),
            _ => unreachable!(),
        }
    }
}

struct Stats {
    latencies_ns: Vec<u64>,
    counting: bool,
    lost: u64,
    /// Requests answered over the whole run, warm-up included.
    total: u64,
}

fn run(options: &Options) -> io::Result<String> {
    // SAFETY: epoll_create1 takes no pointers.
    let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if epfd < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut conns = Vec::with_capacity(options.conns);
    for id in 0..options.conns {
        let mut conn = Conn {
            stream: None,
            udp: None,
            out: VecDeque::new(),
            datagrams: VecDeque::new(),
            in_flight: VecDeque::new(),
            next_seq: 0,
            received: 0,
        };
        if options.udp {
            let socket = UdpSocket::bind("127.0.0.1:0")?;
            socket.connect(options.addr)?;
            socket.set_nonblocking(true)?;
            conn.udp = Some(socket);
        } else {
            // Blocking connects, one by one: deterministic, and quick on loopback.
            let stream = TcpStream::connect(options.addr)?;
            stream.set_nodelay(true)?;
            stream.set_nonblocking(true)?;
            conn.stream = Some(stream);
        }
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLET) as u32,
            u64: id as u64,
        };
        // SAFETY: a live epoll fd, a live socket fd, a valid event.
        if unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, conn.fd(), &mut event) } < 0 {
            return Err(io::Error::last_os_error());
        }
        for _ in 0..options.depth {
            conn.queue_request(id, options.size);
        }
        conns.push(conn);
    }

    let mut stats = Stats { latencies_ns: Vec::new(), counting: false, lost: 0, total: 0 };
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(options.warmup);
    let end = measure_from + Duration::from_secs_f64(options.secs);
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_loss_check = Instant::now();
    for (id, conn) in conns.iter_mut().enumerate() {
        flush(conn, id)?;
    }
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        stats.counting = now >= measure_from;
        // SAFETY: `events` has room for its length in entries.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, 10) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        for event in &events[..n as usize] {
            let id = event.u64 as usize;
            let conn = &mut conns[id];
            if options.udp {
                receive_udp(conn, id, options, &mut buf, &mut stats)?;
            } else {
                receive_tcp(conn, id, options, &mut buf, &mut stats)?;
            }
            flush(conn, id)?;
        }
        if options.udp && last_loss_check.elapsed() > Duration::from_millis(100) {
            last_loss_check = Instant::now();
            for (id, conn) in conns.iter_mut().enumerate() {
                replace_lost(conn, id, options.size, &mut stats);
                flush(conn, id)?;
            }
        }
    }
    // SAFETY: closing our own epoll fd.
    unsafe { libc::close(epfd) };

    let requests = stats.latencies_ns.len();
    stats.latencies_ns.sort_unstable();
    let pct = |p: f64| -> u64 {
        if requests == 0 {
            return 0;
        }
        stats.latencies_ns[((requests as f64 * p) as usize).min(requests - 1)] / 1000
    };
    Ok(format!(
        "loadgen: requests={requests} rps={:.0} p50_us={} p99_us={} p999_us={} errors=0 lost={} conns={} total={}",
        requests as f64 / options.secs,
        pct(0.50),
        pct(0.99),
        pct(0.999),
        stats.lost,
        options.conns,
        stats.total
    ))
}

/// Sends queued requests until the socket would block.
fn flush(conn: &mut Conn, id: usize) -> io::Result<()> {
    loop {
        let result = match (&mut conn.stream, &conn.udp) {
            (Some(stream), _) => match conn.out.as_slices().0 {
                [] => return Ok(()),
                front => stream.write(front),
            },
            (_, Some(udp)) => match conn.datagrams.front() {
                None => return Ok(()),
                Some(datagram) => udp.send(datagram),
            },
            _ => unreachable!(),
        };
        match result {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    format!("connection {id}: closed by the server"),
                ))
            }
            Ok(n) if conn.udp.is_some() => {
                debug_assert_eq!(n, conn.datagrams[0].len());
                conn.datagrams.pop_front();
            }
            Ok(n) => drop(conn.out.drain(..n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            // UDP: an ICMP error from an earlier datagram; this one was not sent.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && conn.udp.is_some() => return Ok(()),
            Err(e) => return Err(io::Error::new(e.kind(), format!("connection {id}: send: {e}"))),
        }
    }
}

fn receive_tcp(
    conn: &mut Conn,
    id: usize,
    options: &Options,
    buf: &mut [u8],
    stats: &mut Stats,
) -> io::Result<()> {
    loop {
        let n = match conn.stream.as_mut().unwrap().read(buf) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("connection {id}: closed by the server"),
                ))
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(io::Error::new(e.kind(), format!("connection {id}: recv: {e}"))),
        };
        for &byte in &buf[..n] {
            let Some(&(seq, sent)) = conn.in_flight.front() else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("connection {id}: bytes nobody asked for"),
                ));
            };
            if byte != pattern(id, seq, conn.received) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("connection {id}: request {seq}, byte {}: echo differs", conn.received),
                ));
            }
            conn.received += 1;
            if conn.received == options.size {
                conn.received = 0;
                conn.in_flight.pop_front();
                stats.total += 1;
                if stats.counting {
                    stats.latencies_ns.push(sent.elapsed().as_nanos() as u64);
                }
                conn.queue_request(id, options.size);
            }
        }
    }
}

fn receive_udp(
    conn: &mut Conn,
    id: usize,
    options: &Options,
    buf: &mut [u8],
    stats: &mut Stats,
) -> io::Result<()> {
    loop {
        let n = match conn.udp.as_ref().unwrap().recv(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            // An ICMP error for an earlier datagram: the server is not there (yet).
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(io::Error::new(e.kind(), format!("socket {id}: recv: {e}"))),
        };
        if n != options.size {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("socket {id}: a {n}-byte echo")));
        }
        let seq = u64::from_le_bytes(buf[..8].try_into().unwrap());
        if (8..n).any(|i| buf[i] != pattern(id, seq, i)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("socket {id}: request {seq}: echo differs"),
            ));
        }
        // A late echo of a request already counted lost is ignored.
        if let Some(position) = conn.in_flight.iter().position(|&(s, _)| s == seq) {
            let (_, sent) = conn.in_flight.remove(position).unwrap();
            stats.total += 1;
            if stats.counting {
                stats.latencies_ns.push(sent.elapsed().as_nanos() as u64);
            }
            conn.queue_request(id, options.size);
        }
    }
}

/// UDP: requests unanswered for a second are counted lost and replaced.
fn replace_lost(conn: &mut Conn, id: usize, size: usize, stats: &mut Stats) {
    while conn.in_flight.front().is_some_and(|&(_, sent)| sent.elapsed() > Duration::from_secs(1))
        && conn.datagrams.is_empty()
    {
        conn.in_flight.pop_front();
        stats.lost += 1;
        conn.queue_request(id, size);
    }
}

fn raise_fd_limit(want: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: a live rlimit, filled in then read.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < want {
            limit.rlim_cur = want.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
