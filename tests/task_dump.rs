//! The task dump's "waits on" lines over the public API — sockets, timers, join
//! handles, channels, other threads, lost wakers — and where a dump may be taken.

mod util;

use std::future::{poll_fn, Future};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use wakeful::io::AsyncReadExt;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::task::{self, TaskState, WaitsOn};

/// The text of every `Held` line of `id` in `dump`.
fn held(dump: &task::Dump, id: task::Id) -> Vec<String> {
    let task = dump.get(id).unwrap_or_else(|| panic!("{id} is not in the dump:\n{dump}"));
    task.waits_on
        .iter()
        .filter_map(|wait| match wait {
            WaitsOn::Held(what) => Some(what.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_read_and_an_accept_are_named_by_fd_and_addresses() {
    util::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let listener_fd = listener.as_raw_fd();
        let acceptor = task::Builder::new()
            .name("acceptor")
            .spawn(async move {
                let (mut conn, _) = listener.accept().await.unwrap();
                let reader = wakeful::spawn(async move {
                    let mut buf = [0; 8];
                    AsyncReadExt::read(&mut conn, &mut buf).await.unwrap()
                });
                let _second = listener.accept().await; // waits again
                drop(reader);
            })
            .unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let client_addr = client.local_addr().unwrap();
        let want_accept = format!("fd {listener_fd} (TcpListener {addr}) readable");
        let want_read = format!("(TcpStream {addr} ← {client_addr}) readable");
        loop {
            let dump = task::dump();
            let reading = dump.iter().any(|t| t.waits_on.iter().any(|w| w.to_string().ends_with(&want_read)));
            if reading && held(&dump, acceptor.id()) == [want_accept.clone()] {
                assert!(dump.to_string().contains(&format!("waits on {want_accept}")), "{dump}");
                break;
            }
            task::yield_now().await; // bounded by `run`'s patience
        }
        acceptor.abort();
    });
}

#[test]
fn a_sleep_waits_on_a_timer_due_in_paused_time() {
    let rt = wakeful::Runtime::builder().start_paused(true).build().unwrap();
    let sleeper = rt.spawn(wakeful::time::sleep(Duration::from_secs(30)));
    rt.run_until_stalled(); // polled once; a paused clock does not move in steps
    let dump = rt.dump();
    assert_eq!(held(&dump, sleeper.id()), ["timer due in 30.0 s"], "{dump}");
    assert_eq!(dump.get(sleeper.id()).unwrap().info.state, TaskState::Idle);
    rt.block_on(wakeful::time::advance(Duration::from_millis(27_700)));
    assert_eq!(held(&rt.dump(), sleeper.id()), ["timer due in 2.3 s"]);
    rt.block_on(sleeper).unwrap();
    assert!(rt.dump().is_empty());
}

#[test]
fn a_join_handle_names_the_task_awaited() {
    util::run(async {
        let child = wakeful::spawn(wakeful::time::sleep(Duration::from_secs(60)));
        let child_id = child.id();
        let parent = wakeful::spawn(async move { child.await.unwrap() });
        task::yield_now().await;
        let dump = task::dump();
        assert_eq!(dump.get(parent.id()).unwrap().waits_on, [WaitsOn::JoinHandle(child_id)]);
        assert!(dump.to_string().contains(&format!("waits on the JoinHandle of {child_id}\n")), "{dump}");
        parent.abort();
    });
}

#[test]
fn a_oneshot_receiver_is_a_waker_held_elsewhere() {
    util::run(async {
        let (tx, rx) = wakeful::sync::oneshot::channel::<u32>();
        let waiter = wakeful::spawn(rx);
        task::yield_now().await;
        let dump = task::dump();
        assert_eq!(dump.get(waiter.id()).unwrap().waits_on, [WaitsOn::Elsewhere(1)]);
        let text = dump.to_string();
        assert!(
            text.contains("waits on a waker held elsewhere (a channel, a select, another thread): 1"),
            "{text}"
        );
        tx.send(7).unwrap();
        assert_eq!(waiter.await.unwrap().unwrap(), 7);
    });
}

#[test]
fn a_waker_sent_to_another_thread_is_held_elsewhere_until_it_wakes() {
    util::run(async {
        let (tx, rx) = std::sync::mpsc::channel::<Waker>();
        let mut sent = false;
        let waiter = wakeful::spawn(poll_fn(move |cx| {
            if sent {
                return Poll::Ready(());
            }
            sent = true;
            tx.send(cx.waker().clone()).unwrap();
            Poll::Pending
        }));
        task::yield_now().await;
        assert_eq!(task::dump().get(waiter.id()).unwrap().waits_on, [WaitsOn::Elsewhere(1)]);
        let thread = std::thread::spawn(move || rx.recv().unwrap().wake());
        waiter.await.unwrap();
        thread.join().unwrap();
    });
}

#[test]
fn a_dump_from_inside_a_task_shows_it_running() {
    let rt = wakeful::Runtime::new().unwrap();
    let me = rt.spawn(async { task::dump().get(task::id()).map(|t| (t.info.state, t.waits_on.clone())) });
    rt.run_until_stalled();
    assert_eq!(rt.block_on(me).unwrap(), Some((TaskState::Running, Vec::new())));
    assert!(task::dump().is_empty(), "outside a runtime");
}

/// A waker whose last drop takes a dump.
struct DumpOnDrop(Arc<Mutex<Vec<task::Dump>>>);

impl Wake for DumpOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DumpOnDrop {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(task::dump());
    }
}

#[test]
fn a_dump_from_a_wakers_drop_sees_the_runtime_consistent() {
    let dumps = Arc::new(Mutex::new(Vec::new()));
    let rt = wakeful::Runtime::new().unwrap();
    let other = rt.spawn(wakeful::time::sleep(Duration::from_secs(60)));
    let finishing = rt.spawn(async { task::yield_now().await });
    let watcher = {
        let dumps = dumps.clone();
        rt.spawn(async move {
            let mut finishing = finishing;
            let waker = Waker::from(Arc::new(DumpOnDrop(dumps)));
            // The join waker is ours, dropped by the runtime when `finishing` ends.
            let poll = Pin::new(&mut finishing).poll(&mut Context::from_waker(&waker));
            assert!(poll.is_pending());
            drop(waker);
            task::yield_now().await;
            task::yield_now().await;
            finishing.await.unwrap();
        })
    };
    rt.block_on(watcher).unwrap();
    let dumps = dumps.lock().unwrap();
    assert_eq!(dumps.len(), 1, "dropped once");
    assert!(dumps[0].get(other.id()).is_some(), "{}", dumps[0]);
}

#[test]
fn ten_thousand_tasks_dump_in_linear_time() {
    fn dump_time(n: usize) -> (Duration, usize) {
        let rt = wakeful::Runtime::builder().start_paused(true).build().unwrap();
        let _handles: Vec<_> =
            (0..n).map(|i| rt.spawn(wakeful::time::sleep(Duration::from_secs(60 + i as u64)))).collect();
        rt.run_until_stalled();
        let start = Instant::now();
        let dump = rt.dump();
        let took = start.elapsed();
        let timers = dump
            .iter()
            .filter(|t| matches!(t.waits_on.as_slice(), [WaitsOn::Held(w)] if w.starts_with("timer due in")))
            .count();
        (took, timers)
    }
    let (small, timers) = dump_time(1_000);
    assert_eq!(timers, 1_000);
    let (large, timers) = dump_time(10_000);
    assert_eq!(timers, 10_000);
    // Linear: ~10× the small one. Quadratic would be ~100×; the slack is for load.
    assert!(large < small * 40 + Duration::from_millis(200), "1k: {small:?}, 10k: {large:?}");
    assert!(large < util::PATIENCE);
}

#[test]
fn a_dump_during_shutdown_is_empty_and_does_not_panic() {
    struct DumpWhenDropped(Arc<Mutex<Option<usize>>>);
    impl Drop for DumpWhenDropped {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(task::dump().len());
        }
    }
    let seen = Arc::new(Mutex::new(None));
    let rt = wakeful::Runtime::new().unwrap();
    let guard = DumpWhenDropped(seen.clone());
    rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    rt.spawn(wakeful::time::sleep(Duration::from_secs(60)));
    rt.run_until_stalled();
    drop(rt);
    assert_eq!(*seen.lock().unwrap(), Some(0), "the live list is drained first");
}

#[test]
fn a_dump_of_another_runtime_taken_inside_a_task_lists_that_runtime() {
    let other = wakeful::Runtime::new().unwrap();
    let theirs = other.spawn(wakeful::time::sleep(Duration::from_secs(60)));
    other.run_until_stalled();
    let rt = wakeful::Runtime::new().unwrap();
    let (mine, theirs_seen) = rt.block_on(async {
        let mine = wakeful::spawn(async {});
        let dump = other.dump();
        (mine.id(), dump.iter().map(|t| t.info.id).collect::<Vec<_>>())
    });
    assert_eq!(theirs_seen, [theirs.id()], "only the other runtime's task, not {mine}");
    let waits = held(&other.dump(), theirs.id());
    assert!(waits.len() == 1 && waits[0].starts_with("timer due in "), "{waits:?}");
}

#[test]
fn a_sleep_of_duration_max_and_one_of_zero_are_described_without_panic() {
    let rt = wakeful::Runtime::builder().start_paused(true).build().unwrap();
    let forever = rt.spawn(wakeful::time::sleep(Duration::MAX));
    let zero = rt.spawn(async {
        wakeful::time::sleep(Duration::ZERO).await;
        std::future::pending::<()>().await
    });
    rt.run_until_stalled();
    let dump = rt.dump();
    let waits = held(&dump, forever.id());
    // The reactor caps far deadlines (a century ahead): said in days.
    assert!(
        waits.len() == 1 && waits[0].starts_with("timer due in ") && waits[0].ends_with(" days"),
        "{waits:?}"
    );
    assert_eq!(dump.get(zero.id()).unwrap().waits_on, [WaitsOn::Nothing], "{dump}");
}
