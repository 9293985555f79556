//! A line-based chat server: many clients, every line broadcast to the others, and an
//! idle timeout per connection.
//!
//! ```text
//! cargo run --example chat                        # on 127.0.0.1:8002, idle 300 s
//! cargo run --example chat -- --addr 127.0.0.1:0 --idle 30
//! nc 127.0.0.1 8002                               # in two terminals: talk
//! ```
//!
//! Commands: `/nick NAME`, `/quit`. A client silent for `--idle` seconds is told so and
//! disconnected.
//!
//! `kill -USR1 <pid>` prints a task dump: every task, and what it waits on — the
//! listener's accept, each connection's read and idle timer, in words.
//!
//! The first ancestor let a `Timeout` be *owned by a handler*, so that closing the
//! connection cancelled its timeouts. Here the idle timeout is a `timeout(..)` future
//! inside the connection's task: when the connection ends, the task ends, the future is
//! dropped, and dropping it cancels the timer. No bookkeeping, nothing to forget — the
//! server prints the number of pending timers whenever a client leaves, to show it.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::future::poll_fn;
use std::io;
use std::process::ExitCode;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use wakeful::io::{AsyncBufReadExt, BufReader};
use wakeful::net::tcp::OwnedWriteHalf;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::signal::unix::{signal, SignalKind};
use wakeful::time::timeout;

/// Lines waiting for a slow client before it is disconnected instead.
const MAX_BACKLOG: usize = 1000;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8002".to_string();
    let mut idle = Duration::from_secs(300);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            ("--idle", Some(value)) => {
                match value.parse::<f64>().ok().and_then(|s| Duration::try_from_secs_f64(s).ok()) {
                    Some(duration) if !duration.is_zero() => idle = duration,
                    _ => return usage("--idle needs a positive number of seconds"),
                }
            }
            _ => return usage(&format!("unexpected argument {arg:?}")),
        }
    }
    match wakeful::block_on(serve(&addr, idle)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(err),
    }
}

async fn serve(addr: &str, idle: Duration) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    // Before the first line: once a caller knows where we listen, SIGUSR1 is safe.
    let dump_requests = signal(SignalKind::user_defined1())?;
    wakeful::task::Builder::new().name("dump on SIGUSR1").spawn(print_dumps(dump_requests))?;
    println!("chat: listening on {} (idle timeout {idle:?})", listener.local_addr()?);
    let room = Rc::new(Room::default());
    let mut next_id = 0u64;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                eprintln!("chat: accept: {err}");
                continue;
            }
        };
        next_id += 1;
        let (room, id) = (room.clone(), next_id);
        wakeful::task::Builder::new().name(format!("guest-{id}")).spawn(async move {
            connection(stream, &room, id, idle).await;
            // This connection's idle timer went with its `timeout` future.
            let timers = wakeful::stats().map_or(0, |s| s.timers_pending);
            println!("chat: guest-{id} disconnected; {} member(s), {timers} timer(s) pending", room.len());
        })?;
    }
}

/// Prints a task dump at each SIGUSR1: why is my task stuck?
async fn print_dumps(mut requests: wakeful::signal::unix::Signal) {
    while requests.recv().await.is_some() {
        println!("chat: task dump\n{}chat: end of task dump", wakeful::task::dump());
    }
}

/// One client: reads its lines (each under the idle timeout), broadcasts them.
async fn connection(stream: TcpStream, room: &Room, id: u64, idle: Duration) {
    let (read, write) = stream.into_split();
    let outbox = Outbox::default();
    let writer = wakeful::spawn(deliver(write, outbox.clone()));
    let mut name = format!("guest-{id}");
    room.join(id, &name, outbox.clone());
    outbox.push(format!("* welcome, {name}; /nick NAME to rename, /quit to leave\n"));

    let mut lines = BufReader::new(read);
    loop {
        let mut line = String::new();
        // The idle timer lives exactly as long as this `timeout` future.
        match timeout(idle, lines.read_line(&mut line)).await {
            Err(_elapsed) => {
                outbox.push(format!("* idle for {idle:?}, bye\n"));
                break;
            }
            Ok(Ok(0)) => break,
            Ok(Err(err)) => {
                eprintln!("chat: {name}: {err}");
                break;
            }
            Ok(Ok(_)) => {}
        }
        let text = line.trim_end();
        if text == "/quit" {
            break;
        } else if let Some(new) = text.strip_prefix("/nick ") {
            let new = new.trim().to_string();
            room.broadcast(id, &format!("* {name} is now {new}\n"));
            name = new;
        } else if !text.is_empty() {
            room.broadcast(id, &format!("[{name}] {text}\n"));
        }
    }
    room.leave(id, &name);
    outbox.close();
    let _ = writer.await; // deliver what is queued (the goodbye), then close
}

/// Writes queued lines to the client until the outbox is closed and empty.
async fn deliver(mut write: OwnedWriteHalf, outbox: Outbox) {
    while let Some(line) = outbox.next().await {
        if write.write_all(line.as_bytes()).await.is_err() {
            break;
        }
    }
}

#[derive(Default)]
struct Room {
    members: RefCell<BTreeMap<u64, Outbox>>,
}

impl Room {
    fn len(&self) -> usize {
        self.members.borrow().len()
    }

    fn join(&self, id: u64, name: &str, outbox: Outbox) {
        self.broadcast(id, &format!("* {name} joined\n"));
        self.members.borrow_mut().insert(id, outbox);
    }

    fn leave(&self, id: u64, name: &str) {
        self.members.borrow_mut().remove(&id);
        self.broadcast(id, &format!("* {name} left\n"));
    }

    /// Queues `line` for everyone but `from`; a client too far behind is dropped.
    fn broadcast(&self, from: u64, line: &str) {
        for (&id, outbox) in self.members.borrow().iter() {
            if id != from && !outbox.push(line.to_string()) {
                outbox.close();
            }
        }
    }
}

/// A client's queue of lines to send: a tiny single-threaded channel.
#[derive(Clone, Default)]
struct Outbox(Rc<RefCell<OutboxState>>);

#[derive(Default)]
struct OutboxState {
    lines: VecDeque<String>,
    closed: bool,
    waiter: Option<Waker>,
}

impl Outbox {
    /// Queues a line; false if the client is too far behind (or gone).
    fn push(&self, line: String) -> bool {
        let mut state = self.0.borrow_mut();
        if state.closed || state.lines.len() >= MAX_BACKLOG {
            return false;
        }
        state.lines.push_back(line);
        if let Some(waker) = state.waiter.take() {
            waker.wake();
        }
        true
    }

    fn close(&self) {
        let mut state = self.0.borrow_mut();
        state.closed = true;
        if let Some(waker) = state.waiter.take() {
            waker.wake();
        }
    }

    /// The next line, or `None` once closed and empty.
    async fn next(&self) -> Option<String> {
        poll_fn(|cx| {
            let mut state = self.0.borrow_mut();
            match state.lines.pop_front() {
                Some(line) => Poll::Ready(Some(line)),
                None if state.closed => Poll::Ready(None),
                None => {
                    state.waiter = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("chat: {message}\nusage: chat [--addr HOST:PORT] [--idle SECONDS]");
    ExitCode::from(2)
}

fn fail(err: io::Error) -> ExitCode {
    eprintln!("chat: {err}");
    ExitCode::FAILURE
}
