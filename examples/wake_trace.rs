//! The life of a wakeup, as the runtime records it: a socket read and a timer, run one
//! step at a time — the path `WAKERS.md` walks through the code.
//!
//! ```text
//! cargo run --example wake_trace [TRACE.json]
//! ```
//!
//! Every line but the titles (`# ...`) is something the runtime reported, not narration:
//! `Runtime::step` says which task it polled and what the poll returned, whom a poll
//! woke, and whom a reactor turn woke and why (the `WakeCause`); `Runtime::dump` says
//! what a waiting task waits on; each task's record counts its wakes by kind.
//!
//! Four tasks: a reader waits for a socket that has nothing yet, and a writer (after
//! one `yield_now`) writes to the other end; then a sleeper sleeps, and a waiter awaits
//! the sleeper's `JoinHandle`. The same run is written as a trace (to the path given,
//! or a temporary file) that opens in ui.perfetto.dev, and that
//! `python3 scripts/trace_svg.py TRACE.json out.svg` draws.

use std::os::unix::net::UnixStream as StdUnixStream;
use std::time::Duration;

use wakeful::net::UnixStream;
use wakeful::task::{self, TaskInfo, WakeKind};
use wakeful::{Runtime, Step};

/// How long the sleeper sleeps.
const NAP: Duration = Duration::from_millis(20);

fn main() -> std::io::Result<()> {
    let trace =
        std::env::args_os().nth(1).map_or_else(|| std::env::temp_dir().join("wake_trace.json"), Into::into);
    // Measured polls give the dump its idle times (on by default in debug builds only).
    let rt = Runtime::builder().measure_polls(true).trace(&trace).build()?;
    let (reader_end, writer_end) = StdUnixStream::pair()?;
    println!("# a reader and a writer on the two ends of a socket pair; a line per step");

    let reader = spawn(&rt, "reader", async move {
        let mut socket = UnixStream::from_std(reader_end)?;
        let mut buf = [0; 5];
        socket.read_exact(&mut buf).await?;
        Ok(me())
    })?;
    let writer = spawn(&rt, "writer", async move {
        let mut socket = UnixStream::from_std(writer_end)?;
        task::yield_now().await; // a wake by itself, to show in the steps
        socket.write_all(b"hello").await?;
        Ok(me())
    })?;
    step(&rt); // the reader: nothing to read, so its waker waits with the reactor
    println!("# the runtime's dump, while the reader waits:");
    for line in rt.dump().to_string().lines() {
        println!("    {line}");
    }
    run(&rt); // the writer yields, writes; a turn wakes the reader, which reads

    println!("# a sleeper sleeps {NAP:?}; a waiter awaits its JoinHandle");
    let sleeper = spawn(&rt, "sleeper", async {
        wakeful::time::sleep(NAP).await;
        Ok(me())
    })?;
    let waiter = spawn(&rt, "waiter", async move {
        let slept = sleeper.await??;
        Ok((slept, me()))
    })?;
    run(&rt);
    // A step never blocks: wait for the timer here, then step on.
    std::thread::sleep(NAP);
    run(&rt);

    println!("# wakes by kind, as each task counted them:");
    let (slept, waited) = rt.block_on(waiter)??;
    for info in [rt.block_on(reader)??, rt.block_on(writer)??, slept, waited] {
        let wakes: Vec<String> = WakeKind::ALL
            .iter()
            .filter(|&&kind| info.wakes[kind] > 0)
            .map(|&kind| format!("{kind:?} {}", info.wakes[kind]))
            .collect();
        println!("  {} {:?}: {} polls; wakes: {}", info.id, name(&info), info.polls, wakes.join(", "));
    }
    drop(rt); // closes the trace
    println!("# the trace of this run: {} (open it in ui.perfetto.dev)", trace.display());
    Ok(())
}

/// Steps until a step stalls: no task ready, and a turn that woke none.
fn run(rt: &Runtime) {
    while !step(rt) {}
}

/// One step, printed; true if it was a stall.
fn step(rt: &Runtime) -> bool {
    // Names are read before the step: a task that ends is gone from the records.
    let names: Vec<(task::Id, String)> =
        rt.tasks().iter().map(|info| (info.id, format!("{} {:?}", info.id, name(info)))).collect();
    let label = |id| names.iter().find(|(known, _)| *known == id).map_or(format!("{id}"), |(_, l)| l.clone());
    match rt.step() {
        Step::Polled(polled) => {
            let mut line = format!("polled {} → {:?}", label(polled.task), polled.outcome);
            for woken in &polled.woke {
                let by = if *woken == polled.task { "itself".into() } else { format!("{}", polled.task) };
                line += &format!(", woke {} (by {by})", label(*woken));
            }
            println!("  {line}");
            false
        }
        Step::Woke(woken) => {
            for w in woken {
                println!("  turn woke {}: {}", label(w.task), w.cause);
            }
            false
        }
        Step::Stalled => {
            println!("  stalled: no task ready, and the turn woke none");
            true
        }
    }
}

/// Spawns `future` on `rt` as a task named `name`, at the caller's location.
#[track_caller]
fn spawn<T: 'static>(
    rt: &Runtime,
    name: &str,
    future: impl std::future::Future<Output = std::io::Result<T>> + 'static,
) -> std::io::Result<wakeful::JoinHandle<std::io::Result<T>>> {
    task::Builder::new().name(name).spawn_on(future, rt)
}

/// The running task's own record: its polls and wakes so far.
fn me() -> TaskInfo {
    task::tasks().into_iter().find(|info| info.id == task::id()).expect("inside a task")
}

fn name(info: &TaskInfo) -> &str {
    info.name.as_deref().unwrap_or("")
}
