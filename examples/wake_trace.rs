//! The life of one wakeup, printed step by step with the runtime's counters — the path
//! `WAKERS.md` walks through the code.
//!
//! ```text
//! cargo run --example wake_trace
//! ```
//!
//! A task reads from a socket that has nothing yet; another thread writes to it; the
//! reactor sees the event and wakes the task; the task reads. Then a waker is woken from
//! another thread, which takes the remote path. Each step prints what changed in
//! `wakeful::stats()`.

use std::future::{poll_fn, Future};
use std::io::Write;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::mpsc;
use std::task::Poll;
use std::thread;

use wakeful::net::UnixStream;
use wakeful::Stats;

fn main() -> std::io::Result<()> {
    let (mut writer, reader) = StdUnixStream::pair()?;
    let (go, go_rx) = mpsc::channel::<()>();
    // The "outside world": another thread that writes when told to.
    let outside = thread::spawn(move || {
        go_rx.recv().unwrap();
        writer.write_all(b"hello").unwrap();
        writer
    });

    wakeful::block_on(async move {
        let mut last = Stats::default();
        step(&mut last, "a runtime: one reactor (epoll/kqueue), one executor; counters so far");
        // The read runs in a spawned task, whose waker is the executor's own vtable
        // (executor/src/waker.rs).
        let task = wakeful::spawn(read_once(reader, go));
        task.await??;
        step(&mut last, "① to ⑤");
        remote_wake().await;
        step(&mut last, "⑥");
        std::io::Result::Ok(())
    })?;
    drop(outside.join().unwrap());
    Ok(())
}

/// Steps ① to ⑤: one read that must wait for the outside world.
async fn read_once(reader: StdUnixStream, go: mpsc::Sender<()>) -> std::io::Result<()> {
    let mut reader = UnixStream::from_std(reader)?;
    let mut buf = [0u8; 16];
    let mut polls = 0;
    // One `read` future, polled by hand so each poll can be narrated. (A future made
    // anew for each poll would not do: a dropped read takes its waker back out.)
    let n = {
        let mut read = std::pin::pin!(reader.read(&mut buf));
        poll_fn(|cx| {
            polls += 1;
            let read = read.as_mut().poll(cx);
            if polls == 1 {
                println!("① poll #1 of `read`: the socket says EAGAIN; the task's waker is stored in");
                println!("  the source's read waiters (reactor/src/waiters.rs) → Pending");
                go.send(()).unwrap(); // only now may the outside world write
                println!("② nothing else to run: the executor parks in the reactor (epoll_wait),");
                println!("  and meanwhile another thread writes 5 bytes to the socket");
            }
            read
        })
        .await?
    };
    println!("③ the reactor's turn got the event: token → source → READABLE → waker taken");
    println!("④ wake(): the task went onto the local ready queue (same thread: no syscall)");
    println!("⑤ poll #{polls} of `read`: {n} bytes: {:?}", String::from_utf8_lossy(&buf[..n]));
    Ok(())
}

/// Step ⑥: a wake from another thread takes the remote path.
async fn remote_wake() {
    let mut woken = false;
    poll_fn(|cx| {
        if woken {
            return Poll::Ready(());
        }
        woken = true;
        let waker = cx.waker().clone();
        thread::spawn(move || waker.wake()).join().unwrap();
        Poll::Pending
    })
    .await;
    println!("⑥ a waker woken on another thread: remote queue + one eventfd write (the unpark)");
}

/// Prints the counters that changed since `last`.
fn step(last: &mut Stats, title: &str) {
    let now = wakeful::stats().expect("inside the runtime");
    let fields = [
        ("polls", last.polls, now.polls),
        ("wakes_local", last.wakes_local, now.wakes_local),
        ("wakes_remote", last.wakes_remote, now.wakes_remote),
        ("reactor_turns", last.reactor_turns, now.reactor_turns),
        ("events", last.events, now.events),
        ("tasks_spawned", last.tasks_spawned, now.tasks_spawned),
    ];
    let changed: Vec<String> =
        fields.iter().filter(|(_, a, b)| a != b).map(|(name, a, b)| format!("{name} {a}→{b}")).collect();
    println!("  [{title}] {}", if changed.is_empty() { "no change".into() } else { changed.join(", ") });
    *last = now;
}
