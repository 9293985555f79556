//! The facade's runtime: executor and reactor wired together.

mod util;

use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use util::{Drops, PATIENCE};
use wakeful::time::sleep;
use wakeful::{spawn, yield_now, Runtime};

#[test]
fn block_on_spawn_and_join() {
    let rt = Runtime::new().unwrap();
    let out = rt.block_on(async {
        let tasks: Vec<_> = (0..100).map(|i| spawn(async move { i * 2 })).collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        sum
    });
    assert_eq!(out, 9900);
    let stats = rt.stats();
    assert_eq!((stats.tasks_spawned, stats.tasks_alive), (100, 0), "{stats:?}");
}

/// A task parks its waker; another thread wakes it while the runtime is blocked in
/// `epoll_wait` with no timer: only the eventfd / EVFILT_USER unpark can end the wait.
#[test]
fn cross_thread_wake_ends_a_blocked_reactor_wait() {
    let rt = Runtime::new().unwrap();
    let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
    let (stored_tx, stored_rx) = mpsc::channel();
    let waker_thread = thread::spawn({
        let slot = slot.clone();
        move || {
            let runtime_thread = stored_rx.recv().unwrap();
            wait_until_blocked(runtime_thread);
            slot.lock().unwrap().take().expect("waker stored").wake();
        }
    });
    let start = Instant::now();
    rt.block_on(async {
        let mut polled = false;
        poll_fn(|cx| {
            if polled {
                return Poll::Ready(());
            }
            polled = true;
            *slot.lock().unwrap() = Some(cx.waker().clone());
            stored_tx.send(current_thread_id()).unwrap();
            Poll::Pending
        })
        .await
    });
    waker_thread.join().unwrap();
    assert!(start.elapsed() < PATIENCE);
    let stats = rt.stats();
    assert!(stats.wakes_remote >= 1, "{stats:?}");
    #[cfg(target_os = "linux")]
    assert!(stats.reactor_turns >= 1, "the runtime was parked when woken: {stats:?}");
    assert_eq!(stats.timers_fired, 0);
}

/// The kernel's id of the calling thread (Linux), to watch its state from another.
fn current_thread_id() -> i64 {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid takes no arguments and cannot fail.
    return unsafe { libc::gettid() } as i64;
    #[cfg(not(target_os = "linux"))]
    return 0;
}

/// Waits (bounded) until thread `tid` of this process sleeps in the kernel: on Linux,
/// its state in /proc is `S`. Elsewhere there is no portable way to look; returns.
fn wait_until_blocked(tid: i64) {
    #[cfg(target_os = "linux")]
    {
        let path = format!("/proc/self/task/{tid}/stat");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let stat = std::fs::read_to_string(&path).unwrap_or_default();
            // The state follows the parenthesised command name.
            let state = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next());
            if state == Some("S") {
                return;
            }
            assert!(Instant::now() < deadline, "the runtime thread never blocked: {stat}");
            thread::yield_now();
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = tid;
}

#[test]
fn burst_of_remote_wakes_is_coalesced() {
    let rt = Runtime::new().unwrap();
    let polls = AtomicUsize::new(0);
    rt.block_on(async {
        poll_fn(|cx| {
            if polls.fetch_add(1, Ordering::SeqCst) > 0 {
                return Poll::Ready(());
            }
            let waker = cx.waker().clone();
            thread::spawn(move || {
                for _ in 0..1000 {
                    waker.wake_by_ref();
                }
            })
            .join()
            .unwrap();
            Poll::Pending
        })
        .await
    });
    assert_eq!(polls.load(Ordering::SeqCst), 2, "a thousand wakes, one more poll");
}

#[test]
fn panicking_task_does_not_take_the_runtime_down() {
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let sleeper = spawn(async {
            sleep(Duration::from_millis(5)).await;
            "slept"
        });
        let bad = spawn(async {
            yield_now().await;
            panic!("task failure {}", 7);
        });
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.to_string(), "task panicked: task failure 7");
        assert_eq!(sleeper.await.unwrap(), "slept");
    });
}

#[test]
fn abort_a_sleeping_task() {
    let drops = Drops::default();
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let tracked = drops.track();
        let task = spawn(async move {
            sleep(Duration::from_secs(3600)).await;
            drop(tracked);
        });
        yield_now().await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    });
    assert_eq!(drops.count(), 1);
    assert_eq!(rt.stats().timers_pending, 0, "the aborted task's timer is gone");
}

#[test]
fn runtime_drop_drops_tasks_blocked_on_timers() {
    let drops = Drops::default();
    let rt = Runtime::new().unwrap();
    for _ in 0..3 {
        let tracked = drops.track();
        rt.spawn(async move {
            sleep(Duration::from_secs(3600)).await;
            drop(tracked);
        });
    }
    rt.block_on(yield_now());
    drop(rt);
    assert_eq!(drops.count(), 3);
}

#[test]
fn runtimes_on_many_threads_are_independent() {
    let threads: Vec<_> = (0..4)
        .map(|i| {
            thread::spawn(move || {
                wakeful::block_on(async move {
                    sleep(Duration::from_millis(5)).await;
                    spawn(async move { i }).await.unwrap()
                })
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results, [0, 1, 2, 3]);
}

#[test]
fn builder_sets_event_interval() {
    let rt = Runtime::builder().event_interval(3).build().unwrap();
    rt.block_on(async {
        for _ in 0..30 {
            yield_now().await;
        }
    });
    assert!(rt.stats().reactor_turns >= 10, "{:?}", rt.stats());
}
