//! remote channels across real threads: plain threads sending to a wakeful task, a task
//! sending to a blocking thread, two runtimes ping-ponging, oneshots crossing over.
//! Each test runs under a watchdog so that a lost wake fails with a message instead of
//! hanging.

use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::Duration;
use wakeful::sync::remote::{mpsc, oneshot};

/// Runs `body` on its own thread and fails if it does not finish within `limit`.
fn within<T: Send + 'static>(limit: Duration, what: &str, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done_rx) = std_mpsc::channel();
    let worker = thread::spawn(move || {
        let out = body();
        let _ = done_tx.send(());
        out
    });
    match done_rx.recv_timeout(limit) {
        Ok(()) => worker.join().unwrap(),
        Err(std_mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(_) => unreachable!("the body returned without saying so"),
        },
        Err(std_mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: not done within {limit:?} (a lost wake?)")
        }
    }
}

const PATIENCE: Duration = Duration::from_secs(120);

#[test]
fn threads_send_100k_messages_to_a_task_and_none_is_lost_or_reordered() {
    const THREADS: u64 = 4;
    const EACH: u64 = 25_000;
    within(PATIENCE, "100k bounded", || {
        let (tx, mut rx) = mpsc::channel::<(u64, u64)>(64);
        let senders: Vec<_> = (0..THREADS)
            .map(|id| {
                let tx = tx.clone();
                thread::spawn(move || (0..EACH).for_each(|n| tx.blocking_send((id, n)).unwrap()))
            })
            .collect();
        drop(tx);
        let next = wakeful::block_on(async move {
            let mut next = vec![0u64; THREADS as usize];
            while let Some((id, n)) = rx.recv().await {
                assert_eq!(n, next[id as usize], "sender {id}: out of order");
                next[id as usize] += 1;
            }
            next
        });
        senders.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(next, vec![EACH; THREADS as usize]);
    });
}

#[test]
fn threads_send_unbounded_to_a_task_receiving_in_batches() {
    const THREADS: u64 = 4;
    const EACH: u64 = 25_000;
    within(PATIENCE, "100k unbounded", || {
        let (tx, mut rx) = mpsc::unbounded_channel::<(u64, u64)>();
        let senders: Vec<_> = (0..THREADS)
            .map(|id| {
                let tx = tx.clone();
                thread::spawn(move || (0..EACH).for_each(|n| tx.send((id, n)).unwrap()))
            })
            .collect();
        drop(tx);
        let next = wakeful::block_on(async move {
            let mut next = vec![0u64; THREADS as usize];
            let mut batch = Vec::new();
            while rx.recv_many(&mut batch, 100).await > 0 {
                for (id, n) in batch.drain(..) {
                    assert_eq!(n, next[id as usize], "sender {id}: out of order");
                    next[id as usize] += 1;
                }
            }
            next
        });
        senders.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(next, vec![EACH; THREADS as usize]);
    });
}

#[test]
fn a_task_sends_to_a_blocking_thread_through_a_full_channel() {
    const N: u64 = 20_000;
    within(PATIENCE, "task to thread", || {
        let (tx, mut rx) = mpsc::channel::<u64>(4);
        let receiver = thread::spawn(move || {
            let mut expected = 0;
            while let Some(n) = rx.blocking_recv() {
                assert_eq!(n, expected);
                expected += 1;
            }
            expected
        });
        wakeful::block_on(async move {
            for n in 0..N {
                tx.send(n).await.unwrap();
            }
        });
        assert_eq!(receiver.join().unwrap(), N);
    });
}

#[test]
fn two_runtimes_on_two_threads_ping_pong_10k_round_trips() {
    const ROUND_TRIPS: u64 = 10_000;
    within(PATIENCE, "ping-pong", || {
        let (to_b, mut from_a) = mpsc::channel::<u64>(1);
        let (to_a, mut from_b) = mpsc::channel::<u64>(1);
        let echo = thread::spawn(move || {
            wakeful::block_on(async move {
                let mut count = 0;
                while let Some(n) = from_a.recv().await {
                    to_a.send(n + 1).await.unwrap();
                    count += 1;
                }
                count
            })
        });
        wakeful::block_on(async move {
            for n in 0..ROUND_TRIPS {
                to_b.send(n).await.unwrap();
                assert_eq!(from_b.recv().await, Some(n + 1));
            }
        });
        assert_eq!(echo.join().unwrap(), ROUND_TRIPS);
    });
}

/// The same ping-pong between two tokio current-thread runtimes, for the count.
#[test]
fn two_tokio_runtimes_ping_pong_the_same_way() {
    const ROUND_TRIPS: u64 = 10_000;
    within(PATIENCE, "tokio ping-pong", || {
        let rt = || tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (to_b, mut from_a) = tokio::sync::mpsc::channel::<u64>(1);
        let (to_a, mut from_b) = tokio::sync::mpsc::channel::<u64>(1);
        let echo = thread::spawn(move || {
            rt().block_on(async move {
                let mut count = 0;
                while let Some(n) = from_a.recv().await {
                    to_a.send(n + 1).await.unwrap();
                    count += 1;
                }
                count
            })
        });
        rt().block_on(async move {
            for n in 0..ROUND_TRIPS {
                to_b.send(n).await.unwrap();
                assert_eq!(from_b.recv().await, Some(n + 1));
            }
        });
        assert_eq!(echo.join().unwrap(), ROUND_TRIPS);
    });
}

#[test]
fn a_tokio_runtime_and_a_wakeful_runtime_share_a_channel() {
    within(PATIENCE, "tokio to wakeful", || {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let (reply_tx, reply_rx) = oneshot::channel::<u32>();
        let tokio_side = thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async move {
                for n in 0..1000 {
                    tx.send(n).await.unwrap();
                }
                drop(tx);
                reply_rx.await.unwrap()
            })
        });
        let sum = wakeful::block_on(async move {
            let mut sum = 0;
            while let Some(n) = rx.recv().await {
                sum += n;
            }
            reply_tx.send(sum).unwrap();
            sum
        });
        assert_eq!(sum, 499_500);
        assert_eq!(tokio_side.join().unwrap(), sum);
    });
}

#[test]
fn oneshots_cross_threads_both_ways_and_closed_is_seen_across() {
    within(PATIENCE, "oneshots", || {
        for i in 0..1000u32 {
            let (tx, rx) = oneshot::channel();
            let (back_tx, back_rx) = oneshot::channel();
            let thread = thread::spawn(move || {
                let got = rx.blocking_recv().unwrap();
                back_tx.send(got * 2).unwrap();
            });
            let doubled = wakeful::block_on(async move {
                tx.send(i).unwrap();
                back_rx.await.unwrap()
            });
            assert_eq!(doubled, i * 2);
            thread.join().unwrap();
        }
        let (mut tx, rx) = oneshot::channel::<u32>();
        let dropper = thread::spawn(move || drop(rx));
        wakeful::block_on(tx.closed());
        assert!(tx.is_closed());
        dropper.join().unwrap();
    });
}

#[test]
fn sender_closed_completes_when_a_thread_drops_the_receiver() {
    within(PATIENCE, "closed across threads", || {
        let (tx, rx) = mpsc::channel::<u32>(1);
        let (ready_tx, ready_rx) = oneshot::channel::<()>();
        let thread = thread::spawn(move || {
            ready_rx.blocking_recv().unwrap();
            drop(rx);
        });
        wakeful::block_on(async move {
            let waiter = tx.clone();
            let closed = wakeful::spawn(async move { waiter.closed().await });
            tx.send(1).await.unwrap();
            ready_tx.send(()).unwrap();
            closed.await.unwrap();
            assert!(tx.send(2).await.is_err());
        });
        thread.join().unwrap();
    });
}

#[test]
fn a_task_cancelling_recv_again_and_again_loses_no_message_from_threads() {
    const N: u64 = 20_000;
    within(PATIENCE, "cancelled recvs", || {
        let (tx, mut rx) = mpsc::channel::<u64>(8);
        let sender = thread::spawn(move || (0..N).for_each(|n| tx.blocking_send(n).unwrap()));
        let (next, cancelled) = wakeful::block_on(async move {
            let (mut next, mut cancelled) = (0, 0u64);
            loop {
                // A short timeout cancels many recvs at Pending, each racing the thread.
                match wakeful::time::timeout(Duration::from_micros(20), rx.recv()).await {
                    Ok(Some(n)) => {
                        assert_eq!(n, next, "a message lost or reordered by a cancelled recv");
                        next += 1;
                    }
                    Ok(None) => break (next, cancelled),
                    Err(_) => cancelled += 1,
                }
            }
        });
        sender.join().unwrap();
        assert_eq!(next, N);
        eprintln!("{cancelled} recvs cancelled");
    });
}

#[test]
fn tasks_cancelling_sends_to_a_thread_strand_no_capacity() {
    const TASKS: u64 = 8;
    const EACH: u64 = 2_000;
    within(PATIENCE, "cancelled sends", || {
        let (tx, mut rx) = mpsc::channel::<(u64, u64)>(2);
        let probe = tx.clone();
        let receiver = thread::spawn(move || {
            let mut next = vec![0u64; TASKS as usize];
            while let Some((id, n)) = rx.blocking_recv() {
                assert_eq!(n, next[id as usize], "task {id}: out of order");
                next[id as usize] += 1;
            }
            next
        });
        wakeful::block_on(async move {
            let tasks: Vec<_> = (0..TASKS)
                .map(|id| {
                    let tx = tx.clone();
                    wakeful::spawn(async move {
                        let mut n = 0;
                        while n < EACH {
                            // Cancelled sends lose their value: resend the same number.
                            if wakeful::time::timeout(Duration::from_micros(20), tx.send((id, n)))
                                .await
                                .is_ok()
                            {
                                n += 1;
                            }
                        }
                    })
                })
                .collect();
            drop(tx);
            for task in tasks {
                task.await.unwrap();
            }
        });
        // Every slot comes back once the thread has drained the channel (the probe
        // keeps it open meanwhile): a cancelled send stranded none. The watchdog
        // bounds this wait.
        while probe.capacity() != probe.max_capacity() {
            thread::yield_now();
        }
        drop(probe);
        assert_eq!(receiver.join().unwrap(), vec![EACH; TASKS as usize]);
    });
}
