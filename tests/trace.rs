//! The trace file (`Builder::trace`, `WAKEFUL_TRACE`): Chrome Trace Event JSON with a
//! track per task, a slice per poll, the reactor's waits and flow arrows per wake,
//! parsed back with a JSON parser; and what becomes of it under misuse.

#[path = "trace/parse.rs"]
mod parse;
mod util;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use parse::{Trace, MAIN_TID, REACTOR_TID};
use wakeful::net::{TcpListener, TcpStream};
use wakeful::task;

fn traced(dir: &util::TempDir, name: &str) -> (wakeful::Runtime, PathBuf) {
    let path = dir.path(name);
    (wakeful::Runtime::builder().trace(&path).build().unwrap(), path)
}

#[test]
fn a_trace_has_task_tracks_poll_slices_reactor_waits_and_paired_flows() {
    let dir = util::TempDir::new("trace-structure");
    let (rt, path) = traced(&dir, "trace.json");
    let (yielder, idle) = rt.block_on(async {
        // Woken by itself three times: four polls.
        let yielder = task::Builder::new().name("yielder").spawn(async {
            for _ in 0..3 {
                task::yield_now().await;
            }
        });
        let yielder_id = yielder.as_ref().unwrap().id();
        yielder.unwrap().await.unwrap();
        // Woken by a timer, by a socket, and by another task (a channel-like hand-off).
        wakeful::spawn(wakeful::time::sleep(Duration::from_millis(2))).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = wakeful::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0; 5];
            futures_lite::AsyncReadExt::read_exact(&mut conn, &mut buf).await.unwrap();
            buf
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        futures_lite::AsyncWriteExt::write_all(&mut client, b"hello").await.unwrap();
        assert_eq!(&reader.await.unwrap(), b"hello");
        // Woken from another thread.
        let parked = std::sync::Arc::new(std::sync::Mutex::new(None::<std::task::Waker>));
        let (slot, polled) = (parked.clone(), std::rc::Rc::new(std::cell::Cell::new(0)));
        let count = polled.clone();
        let remote = wakeful::spawn(std::future::poll_fn(move |cx| {
            count.set(count.get() + 1);
            if count.get() > 1 {
                return std::task::Poll::Ready(());
            }
            *slot.lock().unwrap() = Some(cx.waker().clone());
            std::task::Poll::Pending
        }));
        util::run_ready_tasks().await;
        let waker = parked.lock().unwrap().take().expect("polled once");
        std::thread::spawn(move || waker.wake()).join().unwrap();
        remote.await.unwrap();
        let idle = wakeful::spawn(std::future::pending::<()>());
        util::run_ready_tasks().await;
        (yielder_id, idle.id())
    });
    let idle_polls = rt.tasks().into_iter().find(|info| info.id == idle).unwrap().polls;
    drop(rt);

    let trace = Trace::read(&path);
    trace.check_structure();
    let yielder_track = trace.track_of(&format!("{yielder} yielder"));
    assert_eq!(trace.slices(yielder_track, "poll").len(), 4, "a slice per poll");
    let idle_track = trace.track_of(&format!("{idle} "));
    assert!(trace.track_names()[&idle_track].contains("tests/trace.rs"), "unnamed: where it was spawned");
    assert_eq!(trace.slices(idle_track, "poll").len() as u64, idle_polls);
    let pid = yielder_track.0;
    assert_eq!(trace.track_names()[&(pid, REACTOR_TID)], "reactor");
    assert_eq!(trace.track_names()[&(pid, MAIN_TID)], "block_on");
    let waits: Vec<_> = trace.of_phase("X").filter(|e| e["tid"] == REACTOR_TID).collect();
    assert!(waits.iter().any(|w| w["args"]["events"].as_u64() > Some(0)), "a wait returned I/O events");
    assert!(waits.iter().any(|w| w["args"]["timers"].as_u64() > Some(0)), "a wait fired the timer");
    assert!(waits.iter().all(|w| w["args"].get("timeout_ms").is_some()));
    let flows_into =
        |track: (u64, u64)| trace.of_phase("f").filter(|f| (parse::pid(f), parse::tid(f)) == track).count();
    assert_eq!(flows_into(yielder_track), 3, "three self-wakes, three arrows");
    let from_reactor = trace.of_phase("s").filter(|s| s["tid"] == REACTOR_TID).count();
    assert!(from_reactor >= 2, "the timer's and the socket's wakes start on the reactor");
    // Each poll names its wake's cause; the reactor's track has the event behind it.
    let woken_by: Vec<&str> = trace.of_phase("X").filter_map(|e| e["args"]["woken_by"].as_str()).collect();
    let fd = woken_by.iter().find(|by| by.starts_with("readable on fd ")).expect("a socket's wake");
    assert!(woken_by.contains(&"timer") && woken_by.contains(&"itself"), "{woken_by:?}");
    assert!(woken_by.contains(&"another thread"), "{woken_by:?}");
    let instants: Vec<_> = trace.of_phase("i").filter(|e| e["tid"] == REACTOR_TID).collect();
    let socket = instants.iter().find(|e| e["name"] == *fd).expect("the socket's event");
    assert_eq!(socket["args"]["readiness"], "readable");
    assert_eq!(fd.rsplit(' ').next().unwrap(), socket["args"]["fd"].to_string());
    let timer = instants.iter().find(|e| e["name"] == "timer").expect("the timer's event");
    assert!(timer["args"]["deadline_us"].as_f64().unwrap() <= parse::ts(timer), "fired after its deadline");
}

#[test]
fn a_join_handles_wake_at_completion_draws_an_arrow_from_the_finished_task() {
    let dir = util::TempDir::new("trace-join");
    let (rt, path) = traced(&dir, "trace.json");
    let (worker, waiter) = rt.block_on(async {
        let worker = task::Builder::new().name("worker").spawn(async {
            task::yield_now().await;
            7
        });
        let worker = worker.unwrap();
        let worker_id = worker.id();
        let waiter = task::Builder::new().name("waiter").spawn(async move { worker.await.unwrap() }).unwrap();
        let waiter_id = waiter.id();
        assert_eq!(waiter.await.unwrap(), 7);
        (worker_id, waiter_id)
    });
    drop(rt);

    let trace = Trace::read(&path);
    trace.check_structure();
    let on = |track: (u64, u64), ph: &'static str| {
        trace.of_phase(ph).filter(move |e| (parse::pid(e), parse::tid(e)) == track).map(|e| e["id"].clone())
    };
    let worker_track = trace.track_of(&format!("{worker} worker"));
    let into_waiter: Vec<_> = on(trace.track_of(&format!("{waiter} waiter")), "f").collect();
    let from_worker = on(worker_track, "s").filter(|id| into_waiter.contains(id)).count();
    assert_eq!(from_worker, 1, "the worker's completion woke the waiter: one arrow, from the worker");
}

#[test]
fn an_unwritable_path_fails_build_with_the_path_in_the_error() {
    let err = wakeful::Runtime::builder().trace("/nonexistent-wakeful-dir/t.json").build().unwrap_err();
    assert!(err.to_string().contains("/nonexistent-wakeful-dir/t.json"), "{err}");
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn a_panicking_task_loses_nothing_from_the_trace() {
    let dir = util::TempDir::new("trace-task-panic");
    let (rt, path) = traced(&dir, "trace.json");
    let (panicked, after) = rt.block_on(async {
        let panicked = wakeful::spawn(async { panic!("boom (expected by the test)") });
        let id = panicked.id();
        assert!(panicked.await.unwrap_err().is_panic());
        let after = wakeful::spawn(async {});
        let after_id = after.id();
        after.await.unwrap();
        (id, after_id)
    });
    drop(rt);
    let trace = Trace::read(&path);
    trace.check_structure();
    assert_eq!(trace.slices(trace.track_of(&format!("{panicked} ")), "poll")[0]["args"]["outcome"], "ready");
    assert_eq!(trace.slices(trace.track_of(&format!("{after} ")), "poll").len(), 1, "the runtime traced on");
}

#[test]
fn a_panic_out_of_block_on_still_flushes_and_closes_the_file() {
    let dir = util::TempDir::new("trace-main-panic");
    let path = dir.path("trace.json");
    let unwound = std::panic::catch_unwind(|| {
        let rt = wakeful::Runtime::builder().trace(&path).build().unwrap();
        rt.block_on(async {
            wakeful::spawn(async {}).await.unwrap();
            panic!("out of block_on (expected by the test)");
        })
    });
    assert!(unwound.is_err());
    let trace = Trace::read(&path); // strict JSON: closed by the runtime's drop
    trace.check_structure();
    let main_polls: Vec<_> = trace.of_phase("X").filter(|e| e["tid"] == MAIN_TID).collect();
    assert_eq!(main_polls.last().unwrap()["args"]["outcome"], "panicked", "the poll that panicked is there");
    assert_eq!(trace.of_phase("X").filter(|e| e["tid"] != MAIN_TID && e["name"] == "poll").count(), 1);
}

#[test]
fn a_million_events_keep_the_buffer_at_its_bound() {
    // /dev/null: the point is the memory, not 150 MB of file.
    let rt = wakeful::Runtime::builder().trace("/dev/null").build().unwrap();
    let before = rt.trace_stats().unwrap();
    rt.block_on(async {
        wakeful::spawn(async {
            for _ in 0..500_000 {
                task::yield_now().await; // a poll and a wake each
            }
        })
        .await
        .unwrap();
        let stats = wakeful::stats().unwrap();
        assert!(stats.polls >= 500_000);
    });
    let after = rt.trace_stats().unwrap();
    assert!(after.events >= 1_000_000, "{after:?}");
    assert_eq!((before.allocated, after.allocated), (before.capacity, before.capacity), "never grew");
    assert!(after.batches as usize >= 1_000_000 / after.capacity, "handed over as it went: {after:?}");
}

#[test]
fn a_leaked_runtime_loses_only_its_buffer_and_the_closing_bracket() {
    let dir = util::TempDir::new("trace-leaked");
    let (rt, path) = traced(&dir, "trace.json");
    rt.block_on(async { wakeful::spawn(async {}).await.unwrap() });
    std::mem::forget(rt);
    let mut text = String::new();
    std::fs::File::open(&path).unwrap().read_to_string(&mut text).unwrap();
    assert!(text.starts_with('[') && !text.trim_end().ends_with(']'), "unterminated: {text}");
    // What viewers do with an unterminated array: close it.
    let trace = Trace::parse(&format!("{text}]"));
    assert_eq!(trace.track_names().values().filter(|n| *n == "reactor").count(), 1, "the header is on disk");
    assert_eq!(trace.of_phase("X").count(), 0, "the buffered polls are lost with the runtime");
}

#[test]
fn wakeful_trace_env_var_empty_unopenable_and_numbered_per_runtime() {
    if util::ran_in_child("wakeful_trace_env_var_empty_unopenable_and_numbered_per_runtime") {
        return;
    }
    // SAFETY (set_var): this child process runs one test on one thread.
    std::env::set_var("WAKEFUL_TRACE", "");
    assert!(wakeful::Runtime::new().unwrap().trace_stats().is_none(), "empty: no trace");
    std::env::set_var("WAKEFUL_TRACE", "/nonexistent-wakeful-dir/t.json");
    let rt = wakeful::Runtime::new().expect("an unopenable env path only warns");
    assert!(rt.trace_stats().is_none());
    assert_eq!(rt.block_on(async { 7 }), 7);

    let dir = util::TempDir::new("trace-env");
    std::env::set_var("WAKEFUL_TRACE", dir.path("t.json"));
    let first = wakeful::Runtime::new().unwrap();
    let second = wakeful::Runtime::new().unwrap();
    wakeful::block_on(async {}); // a third, one after the other
    drop((first, second));
    for name in ["t.json", "t.1.json", "t.2.json"] {
        Trace::read(&dir.path(name)).check_structure();
    }
}

#[test]
fn cores_runtimes_each_write_their_own_file() {
    if util::ran_in_child("cores_runtimes_each_write_their_own_file") {
        return;
    }
    let dir = util::TempDir::new("trace-cores");
    std::env::set_var("WAKEFUL_TRACE", dir.path("cores.json"));
    let ran = util::bounded(|| {
        wakeful::cores::Builder::new().cores(2).run(|core| async move {
            let counter = Rc::new(std::cell::Cell::new(0));
            let c = counter.clone();
            wakeful::spawn(async move { c.set(core.index() + 1) }).await.unwrap();
            counter.get()
        })
    });
    assert_eq!(ran.unwrap(), vec![1, 2]);
    let mut pids = Vec::new();
    for name in ["cores.json", "cores.1.json"] {
        let trace = Trace::read(&dir.path(name));
        trace.check_structure();
        let spawned = format!("tests/trace.rs:{}", line!() - 9);
        let task = trace
            .track_names()
            .into_iter()
            .find(|(_, name)| name.contains(&spawned))
            .expect("the task's track");
        assert_eq!(trace.slices(task.0, "poll").len(), 1);
        pids.push(parse::pid(&trace.events[1]));
    }
    assert_ne!(pids[0], pids[1], "one process id per runtime");
    let _ = std::io::stderr().flush();
}

#[test]
fn trace_svg_draws_every_track_slice_and_arrow_of_a_recorded_trace() {
    let dir = util::TempDir::new("trace-svg");
    let (rt, path) = traced(&dir, "trace.json");
    let named = rt.block_on(async {
        let sleeper =
            task::Builder::new().name("sleeper <&>").spawn(wakeful::time::sleep(Duration::from_millis(1)));
        let sleeper = sleeper.unwrap();
        let id = sleeper.id();
        sleeper.await.unwrap();
        id
    });
    drop(rt);
    let svg = dir.path("trace.svg");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/trace_svg.py");
    let drawn = std::process::Command::new("python3").arg(script).arg(&path).arg(&svg).output().unwrap();
    assert!(drawn.status.success(), "{}", String::from_utf8_lossy(&drawn.stderr));
    // Parsed with xml.etree: well-formed, with the names of the tracks and the counts.
    let check = r#"
import sys, xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
for t in root.iter(ns + 'text'):
    if t.get('class') == 'track-name': print('track', t.text)
print('rects', sum(1 for r in root.iter(ns + 'rect') if r.get('class') in ('poll', 'reactor')))
print('flows', sum(1 for p in root.iter(ns + 'path') if p.get('class') == 'flow'))
"#;
    let parsed = std::process::Command::new("python3").args(["-c", check]).arg(&svg).output().unwrap();
    assert!(parsed.status.success(), "{}", String::from_utf8_lossy(&parsed.stderr));
    let lines = String::from_utf8(parsed.stdout).unwrap();
    let trace = Trace::read(&path);
    for name in ["track reactor", "track block_on", &format!("track {named} sleeper <&>")] {
        assert!(lines.lines().any(|line| line == name), "{name:?} in:\n{lines}");
    }
    let slices = trace.of_phase("X").count();
    assert!(lines.contains(&format!("rects {slices}\n")), "a box per slice ({slices}):\n{lines}");
    let flows = trace.of_phase("f").count();
    assert!(
        flows >= 1 && lines.contains(&format!("flows {flows}\n")),
        "an arrow per wake ({flows}):\n{lines}"
    );
}

#[test]
fn wakes_from_drops_at_shutdown_are_recorded_and_the_file_still_closes() {
    /// Wakes the waker it holds when dropped.
    struct WakeOnDrop(Option<std::task::Waker>);
    impl Drop for WakeOnDrop {
        fn drop(&mut self) {
            if let Some(waker) = self.0.take() {
                waker.wake();
            }
        }
    }
    let dir = util::TempDir::new("trace-shutdown-wakes");
    let (rt, path) = traced(&dir, "trace.json");
    // Task A parks its waker in a cell; task B holds it in a guard that wakes it when
    // B's future is dropped at shutdown: a wake with no poll after it, so no arrow.
    let parked: Rc<std::cell::RefCell<Option<std::task::Waker>>> = Rc::default();
    let slot = parked.clone();
    rt.spawn(std::future::poll_fn(move |cx| {
        *slot.borrow_mut() = Some(cx.waker().clone());
        std::task::Poll::<()>::Pending
    }));
    rt.block_on(util::run_ready_tasks());
    let waker = parked.borrow_mut().take().expect("A ran");
    rt.spawn(async move {
        let _guard = WakeOnDrop(Some(waker));
        std::future::pending::<()>().await
    });
    rt.block_on(util::run_ready_tasks());
    drop(rt);
    let trace = Trace::read(&path);
    trace.check_structure();
    assert_eq!(trace.of_phase("X").filter(|e| e["name"] == "poll" && e["tid"] != MAIN_TID).count(), 2);
}

/// A sink that panics on every batch, and one that calls back into the runtime
/// (spawns, wakes, asks for stats) from inside its `write`: the runtime runs on as
/// an untraced one would.
mod hostile_sinks {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wakeful::executor::trace::{TraceEvent, TraceSink, Tracer};
    use wakeful::executor::{spawn, yield_now, Builder, Runtime, ThreadPark};

    struct Panics(Rc<RefCell<u32>>);
    impl TraceSink for Panics {
        fn write(&mut self, _: &[TraceEvent]) {
            *self.0.borrow_mut() += 1;
            panic!("sink panics (expected by the test)");
        }
    }

    /// Eight tasks yield four times each, then are joined: their ids summed.
    fn work(rt: &Runtime) -> u32 {
        rt.block_on(async {
            let handles: Vec<_> = (0..8u32)
                .map(|i| {
                    spawn(async move {
                        for _ in 0..4 {
                            yield_now().await;
                        }
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        })
    }

    #[test]
    fn a_panicking_sink_leaves_the_runtime_running_as_untraced() {
        let calls = Rc::new(RefCell::new(0));
        for capacity in [1, 2, 3, 5] {
            let tracer = Tracer::new(Panics(calls.clone()), capacity);
            let rt = Builder::default().build_traced(ThreadPark::new(), tracer);
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&rt)));
            assert_eq!(run.ok(), Some(28), "capacity {capacity}: the panic stays in the sink");
            drop(rt);
        }
        assert!(*calls.borrow() >= 4, "the sink was called");
    }

    /// Calls back in from `write`: spawns a task, reads the stats, dumps the tasks,
    /// wakes a task.
    struct CallsBack(Rc<RefCell<Option<std::task::Waker>>>, Rc<RefCell<u32>>);
    impl TraceSink for CallsBack {
        fn write(&mut self, _: &[TraceEvent]) {
            let _ = wakeful::executor::current_stats();
            let _ = wakeful::executor::task::dump().to_string();
            drop(spawn(async {}));
            if let Some(waker) = self.0.borrow_mut().take() {
                waker.wake();
            }
            *self.1.borrow_mut() += 1; // got here: nothing above panicked
        }
    }

    #[test]
    fn a_sink_that_calls_back_in_neither_panics_nor_changes_the_results() {
        let slot: Rc<RefCell<Option<std::task::Waker>>> = Rc::default();
        let calls = Rc::new(RefCell::new(0));
        for capacity in [1, 2, 3, 5] {
            let tracer = Tracer::new(CallsBack(slot.clone(), calls.clone()), capacity);
            let rt = Builder::default().build_traced(ThreadPark::new(), tracer);
            let parked = slot.clone();
            rt.spawn(std::future::poll_fn(move |cx| {
                *parked.borrow_mut() = Some(cx.waker().clone());
                std::task::Poll::<()>::Pending
            }));
            assert_eq!(work(&rt), 28, "capacity {capacity}");
            drop(rt);
        }
        assert!(*calls.borrow() >= 40, "the sink's writes ran to their end: {}", calls.borrow());
    }
}

#[test]
fn a_disk_full_mid_trace_leaves_a_file_that_still_parses() {
    if util::ran_in_child("a_disk_full_mid_trace_leaves_a_file_that_still_parses") {
        return;
    }
    // A file size limit stands in for a full disk: a write past it is cut short, then
    // fails (EFBIG), as a write to a filling disk is cut short, then fails (ENOSPC).
    // SAFETY: this child process runs this test alone; no other thread handles signals.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let limit = libc::rlimit { rlim_cur: 100_003, rlim_max: libc::RLIM_INFINITY };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
    let dir = util::TempDir::new("trace-disk-full");
    let (rt, path) = traced(&dir, "trace.json");
    rt.block_on(async {
        wakeful::spawn(async {
            for _ in 0..20_000 {
                task::yield_now().await;
            }
        })
        .await
        .unwrap();
    });
    drop(rt);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.len() > 50_000, "the trace got as far as the limit: {} bytes", text.len());
    // Strict JSON, or, unterminated, what a viewer makes of it: never half an event.
    let strict = serde_json::from_str::<serde_json::Value>(&text).is_ok();
    let closed = format!("{}]", text.trim_end());
    assert!(
        strict || serde_json::from_str::<serde_json::Value>(&closed).is_ok(),
        "cut: {:?}",
        &text[text.len() - 200..]
    );
    Trace::parse(if strict { &text } else { &closed }).check_structure();
}

#[test]
fn long_task_names_do_not_multiply_the_buffers_memory() {
    use wakeful::executor::trace::{EventKind, TraceEvent, TraceSink, Tracer, MAX_NAME};

    /// The longest name among the buffered spawns it is handed.
    struct LongestName(Rc<std::cell::Cell<usize>>);
    impl TraceSink for LongestName {
        fn write(&mut self, events: &[TraceEvent]) {
            for event in events {
                if let EventKind::Spawned { name: Some(name), .. } = &event.kind {
                    self.0.set(self.0.get().max(name.len()));
                }
            }
        }
    }
    let longest = Rc::new(std::cell::Cell::new(0));
    let tracer = Tracer::new(LongestName(longest.clone()), 1024);
    let rt = wakeful::executor::Builder::default().build_traced(wakeful::executor::ThreadPark::new(), tracer);
    // Each name lives as long as its task; the buffer's copy would outlive it, 1024 of
    // them at 1 MiB each: a GiB for a buffer said to take 64 KiB.
    let name = "é".repeat(512 * 1024);
    rt.block_on(async {
        for _ in 0..4 {
            let named = wakeful::executor::task::Builder::new().name(name.clone()).spawn(async {});
            named.unwrap().await.unwrap();
        }
    });
    drop(rt);
    assert!(longest.get() > 0, "the spawns were recorded");
    assert!(longest.get() <= MAX_NAME, "a buffered name holds {} bytes", longest.get());

    // The file names the track by the name's start, cut on a character boundary.
    let dir = util::TempDir::new("trace-long-name");
    let (rt, path) = traced(&dir, "trace.json");
    let id = rt.block_on(async {
        let named = task::Builder::new().name(name.clone()).spawn(async {}).unwrap();
        let id = named.id();
        named.await.unwrap();
        id
    });
    drop(rt);
    let trace = Trace::read(&path);
    let track = trace.track_of(&format!("{id} éé"));
    assert!(trace.track_names()[&track].len() <= MAX_NAME + 32, "{}", trace.track_names()[&track].len());
}

#[test]
fn a_task_woken_then_aborted_draws_no_arrow_into_its_drop() {
    let dir = util::TempDir::new("trace-wake-abort");
    let (rt, path) = traced(&dir, "trace.json");
    rt.block_on(async {
        let parked: Rc<std::cell::RefCell<Option<std::task::Waker>>> = Rc::default();
        let slot = parked.clone();
        let victim = wakeful::spawn(std::future::poll_fn(move |cx| {
            *slot.borrow_mut() = Some(cx.waker().clone());
            std::task::Poll::<()>::Pending
        }));
        util::run_ready_tasks().await;
        let abort = victim.abort_handle();
        // Another task wakes it, then aborts it, in one poll: the wake leads to no poll.
        wakeful::spawn(async move {
            parked.borrow_mut().take().expect("the victim ran").wake();
            abort.abort();
        })
        .await
        .unwrap();
        assert!(victim.await.unwrap_err().is_cancelled());
    });
    drop(rt);
    let trace = Trace::read(&path);
    let drops: Vec<_> = trace.of_phase("X").filter(|e| e["name"] == "drop (aborted)").collect();
    assert_eq!(drops.len(), 1, "the abort drops the future in a slice of its own");
    assert!(drops[0]["args"].get("woken_by").is_none(), "no wake led to it: {}", drops[0]);
    trace.check_structure();
}

#[test]
fn runtimes_never_share_a_file_however_its_path_is_spelled() {
    let dir = util::TempDir::new("trace-spelling");
    // The second runtime on t.json is numbered t.1.json, which a third runtime
    // named itself; a fourth spells the first one's path another way.
    let first = wakeful::Runtime::builder().trace(dir.path("t.json")).build().unwrap();
    let named = wakeful::Runtime::builder().trace(dir.path("t.1.json")).build().unwrap();
    let numbered = wakeful::Runtime::builder().trace(dir.path("t.json")).build().unwrap();
    let respelled = wakeful::Runtime::builder().trace(dir.path(".").join("t.json")).build().unwrap();
    let runtimes = [first, named, numbered, respelled];
    for (i, rt) in runtimes.iter().enumerate() {
        rt.block_on(async move {
            for _ in 0..i + 1 {
                wakeful::spawn(async {}).await.unwrap();
            }
        });
    }
    drop(runtimes);
    let mut tasks = Vec::new();
    for entry in std::fs::read_dir(dir.path(".")).unwrap() {
        let trace = Trace::read(&entry.unwrap().path()); // strict JSON: one writer each
        trace.check_structure();
        tasks.push(trace.of_phase("X").filter(|e| e["name"] == "poll" && e["tid"] != MAIN_TID).count());
    }
    tasks.sort();
    assert_eq!(tasks, [1, 2, 3, 4], "four files, one per runtime");
}

#[test]
fn a_path_that_takes_no_bytes_fails_build_with_the_path_in_the_error() {
    // /dev/full opens, then fails every write (ENOSPC), as a full disk does.
    let err = wakeful::Runtime::builder().trace("/dev/full").build().unwrap_err();
    assert!(err.to_string().contains("/dev/full"), "{err}");
    assert_eq!(err.kind(), std::io::ErrorKind::StorageFull, "{err}");
}

#[test]
fn a_traced_runtime_dropped_inside_a_traced_task_keeps_both_traces_valid() {
    /// Wakes the waker it holds when dropped.
    struct WakeOnDrop(Rc<std::cell::RefCell<Option<std::task::Waker>>>);
    impl Drop for WakeOnDrop {
        fn drop(&mut self) {
            if let Some(waker) = self.0.borrow_mut().take() {
                waker.wake();
            }
        }
    }
    let dir = util::TempDir::new("trace-nested");
    let (outer, outer_path) = traced(&dir, "outer.json");
    let (inner, inner_path) = traced(&dir, "inner.json");
    let slot: Rc<std::cell::RefCell<Option<std::task::Waker>>> = Rc::default();
    // The inner runtime's task, dropped at its shutdown, wakes an outer task.
    let guard = WakeOnDrop(slot.clone());
    inner.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    inner.block_on(util::run_ready_tasks());
    let polls = Rc::new(std::cell::Cell::new(0));
    let counted = polls.clone();
    outer.block_on(async move {
        let waiter = wakeful::spawn(std::future::poll_fn(move |cx| {
            counted.set(counted.get() + 1);
            if counted.get() > 1 {
                return std::task::Poll::Ready(());
            }
            *slot.borrow_mut() = Some(cx.waker().clone());
            std::task::Poll::Pending
        }));
        util::run_ready_tasks().await;
        wakeful::spawn(async move { drop(inner) }).await.unwrap();
        waiter.await.unwrap();
    });
    assert_eq!(polls.get(), 2, "woken by the inner runtime's shutdown");
    drop(outer);
    let outer = Trace::read(&outer_path);
    outer.check_structure();
    let inner = Trace::read(&inner_path);
    inner.check_structure();
    assert_ne!(parse::pid(&outer.events[1]), parse::pid(&inner.events[1]));
    let woken = outer.of_phase("X").filter(|e| e["args"]["woken_by"].is_string()).count();
    assert!(woken >= 1, "the waiter's second poll names its wake");
}

#[test]
fn many_runtimes_starting_at_once_on_many_threads_each_get_a_file() {
    if util::ran_in_child("many_runtimes_starting_at_once_on_many_threads_each_get_a_file") {
        return;
    }
    let dir = util::TempDir::new("trace-many-threads");
    std::env::set_var("WAKEFUL_TRACE", dir.path("t.json"));
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..4 {
                    let rt = wakeful::Runtime::new().unwrap();
                    assert!(rt.trace_stats().is_some());
                    rt.block_on(async { wakeful::spawn(async {}).await.unwrap() });
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let files: Vec<_> = std::fs::read_dir(dir.path(".")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 32, "{files:?}");
    for file in files {
        let trace = Trace::read(&file);
        trace.check_structure();
        assert_eq!(trace.of_phase("X").filter(|e| e["name"] == "poll" && e["tid"] != MAIN_TID).count(), 1);
    }
}

#[test]
fn trace_svg_draws_names_with_control_characters_as_well_formed_xml() {
    let dir = util::TempDir::new("trace-svg-control");
    let (rt, path) = traced(&dir, "trace.json");
    rt.block_on(async {
        task::Builder::new()
            .name("bell\u{7} esc\u{1b}[31m nul\u{0} tab\t")
            .spawn(async {})
            .unwrap()
            .await
            .unwrap();
    });
    drop(rt);
    Trace::read(&path).check_structure(); // the JSON escapes them
    let svg = dir.path("trace.svg");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/trace_svg.py");
    let drawn = std::process::Command::new("python3").arg(script).arg(&path).arg(&svg).output().unwrap();
    assert!(drawn.status.success(), "{}", String::from_utf8_lossy(&drawn.stderr));
    let check = "import sys, xml.etree.ElementTree as ET\n\
        root = ET.parse(sys.argv[1]).getroot()\n\
        print([t.text for t in root.iter('{http://www.w3.org/2000/svg}text') if t.get('class') == 'track-name'])";
    let parsed = std::process::Command::new("python3").args(["-c", check]).arg(&svg).output().unwrap();
    assert!(parsed.status.success(), "not well-formed XML: {}", String::from_utf8_lossy(&parsed.stderr));
    let names = String::from_utf8(parsed.stdout).unwrap();
    assert!(names.contains("bell") && names.contains("tab"), "{names}");
}

#[test]
fn a_stepped_paused_runtime_records_its_polls_wakes_and_paired_flows() {
    let dir = util::TempDir::new("trace-step");
    let path = dir.path("trace.json");
    let rt = wakeful::Runtime::builder().trace(&path).start_paused(true).build().unwrap();
    // A hand-off between two tasks, a self-wake, a timer (paused: advanced by the
    // clock when only it is left), and a wake from between steps.
    let slot: Rc<std::cell::RefCell<Option<std::task::Waker>>> = Rc::default();
    let waiter = rt.spawn({
        let slot = slot.clone();
        let mut polls = 0;
        std::future::poll_fn(move |cx| {
            polls += 1;
            if polls > 2 {
                return std::task::Poll::Ready(());
            }
            *slot.borrow_mut() = Some(cx.waker().clone());
            std::task::Poll::Pending
        })
    });
    let waker_task = rt.spawn({
        let slot = slot.clone();
        async move {
            task::yield_now().await;
            slot.borrow_mut().take().expect("the waiter ran first").wake();
        }
    });
    let sleeper = rt.spawn(wakeful::time::sleep(Duration::from_millis(5)));
    let mut steps = 0;
    while !rt.step().is_stalled() {
        steps += 1;
        assert!(steps < 100);
    }
    slot.borrow_mut().take().expect("the waiter waits again").wake(); // between steps
    while !rt.step().is_stalled() {
        steps += 1;
        assert!(steps < 100);
    }
    assert!(waiter.is_finished() && waker_task.is_finished(), "steps: {steps}");
    let slept = sleeper.is_finished();
    drop(rt);
    let trace = Trace::read(&path);
    trace.check_structure();
    let polls = trace.of_phase("X").filter(|e| e["name"] == "poll").count();
    // waiter 3, waker_task 2, sleeper 1 or 2.
    assert!(polls >= 6, "polls recorded: {polls}");
    let arrows = trace.of_phase("s").count();
    // waker_task's self-wake, its wake of the waiter, the wake from between steps.
    assert!(arrows >= 2, "arrows: {arrows}, slept: {slept}");
}
