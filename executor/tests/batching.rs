//! How often the run loop turns the reactor while a batch of I/O-woken tasks runs:
//! once per batch (one wait collects everything the batch caused), not once per
//! `event_interval` polls, and never more than 1024 polls apart. A fake reactor
//! delivers one "event" to every waiting task at each park, as a busy echo server's
//! `epoll_wait` does.
//!
//! Not under Miri: these are the run loop's policy over thousands of polls (minutes
//! there), with no unsafe code of their own; the executor's unsafe paths run under
//! Miri in the other test files.
#![cfg(not(miri))]

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use wakeful_executor::{spawn, yield_now, Builder, Park, Unpark};

/// The most polls between two turns while a batch runs (`MAX_BATCH_POLLS` in
/// `runtime.rs`).
const MAX_BATCH_POLLS: usize = 1024;

/// The parks seen: each one's timeout, and the task polls that ran before it.
type Parks = Vec<(Option<Duration>, usize)>;

/// Every park "delivers an event" to each waiting task (wakes every stored waker) and
/// records how many task polls ran since the previous park.
#[derive(Clone, Default)]
struct EveryoneReady {
    waiting: Rc<RefCell<Vec<Waker>>>,
    polls: Rc<Cell<usize>>,
    parks: Rc<RefCell<Parks>>,
}

impl Park for EveryoneReady {
    fn park(&mut self, timeout: Option<Duration>) {
        self.parks.borrow_mut().push((timeout, self.polls.replace(0)));
        let woken = std::mem::take(&mut *self.waiting.borrow_mut());
        woken.into_iter().for_each(Waker::wake);
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        struct Nothing;
        impl Unpark for Nothing {
            fn unpark(&self) {}
        }
        Box::new(Nothing)
    }
}

/// `tasks` connections, each waiting for `rounds` events (one poll per event), like
/// echo tasks under a ping-pong load. Returns the parks: (timeout, polls before it).
fn run_connections(tasks: usize, rounds: usize) -> Parks {
    let reactor = EveryoneReady::default();
    let rt = Builder::default().build_with_park(reactor.clone());
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let reactor = reactor.clone();
                spawn(async move {
                    let mut seen = 0;
                    poll_fn(|cx| {
                        reactor.polls.set(reactor.polls.get() + 1);
                        if seen == rounds {
                            return Poll::Ready(());
                        }
                        seen += 1;
                        reactor.waiting.borrow_mut().push(cx.waker().clone());
                        Poll::Pending
                    })
                    .await
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let parks = reactor.parks.borrow().clone();
    parks
}

#[test]
fn a_batch_of_woken_tasks_runs_whole_before_the_next_turn() {
    let (tasks, rounds) = (500, 6);
    let parks = run_connections(tasks, rounds);
    // One turn per round (each delivers the next event to all 500), and not one per
    // 61 polls: that was 9 turns per round, 8 of them finding nothing new to deliver.
    // Give or take the ends: the tasks are spawned after the first turn was due, and
    // the last round finishes them while the main future collects their handles.
    assert!(parks.len() <= rounds + 3, "{} turns for {rounds} rounds: {parks:?}", parks.len());
    let full = parks.iter().filter(|(_, polls)| *polls >= tasks).count();
    assert!(full >= rounds - 1, "each batch ran whole between two turns: {parks:?}");
}

#[test]
fn a_batch_smaller_than_the_interval_waits_once_per_batch_and_blocks() {
    // Ten echo connections: the queue empties after each batch of ten, so every turn
    // is a blocking wait (the same rule as tokio's current-thread runtime), one per
    // batch, with no non-blocking turn in between. How many events such a wait finds
    // is then up to the load, not the run loop (BENCHMARKS.md, syscalls per request).
    let (tasks, rounds) = (10, 20);
    let parks = run_connections(tasks, rounds);
    assert!(parks.len() <= rounds + 3, "{} turns for {rounds} rounds: {parks:?}", parks.len());
    let blocking = parks.iter().filter(|(timeout, _)| timeout.is_none()).count();
    assert_eq!(blocking, parks.len(), "every turn a blocking wait: {parks:?}");
    let full = parks.iter().filter(|(_, polls)| *polls == tasks).count();
    assert!(full >= rounds - 1, "each batch ran whole between two waits: {parks:?}");
}

#[test]
fn a_batch_larger_than_the_cap_still_lets_the_reactor_in_every_1024_polls() {
    let (tasks, rounds) = (3000, 2);
    let parks = run_connections(tasks, rounds);
    for (timeout, polls) in &parks {
        assert!(*polls <= MAX_BATCH_POLLS, "{polls} polls before a turn ({timeout:?}): {parks:?}");
    }
    assert!(parks.len() >= tasks * rounds / MAX_BATCH_POLLS, "turned every ≤ 1024 polls: {parks:?}");
}

#[test]
fn a_short_queue_still_turns_every_event_interval_polls() {
    // Two tasks that only yield: each turn finds 2 queued, so the interval rules.
    let reactor = EveryoneReady::default();
    let interval = 7;
    let rt = Builder::default().event_interval(interval).build_with_park(reactor.clone());
    rt.block_on(async {
        let spinners: Vec<_> = (0..2)
            .map(|_| {
                let polls = reactor.polls.clone();
                spawn(async move {
                    loop {
                        polls.set(polls.get() + 1);
                        yield_now().await;
                    }
                })
            })
            .collect();
        while reactor.parks.borrow().len() < 20 {
            yield_now().await;
        }
        spinners.iter().for_each(|s| s.abort());
    });
    let parks = reactor.parks.borrow();
    assert!(
        parks.iter().all(|&(timeout, polls)| timeout == Some(Duration::ZERO) && polls <= interval as usize),
        "a non-blocking turn every ≤ {interval} polls: {parks:?}"
    );
}

/// A reactor whose one event "arrives" at a given poll count and is delivered to its
/// waiter by the first park at or after it, as `epoll_wait` delivers a packet that
/// came in while tasks ran. Polls are counted by the tasks themselves (`now`).
#[derive(Clone, Default)]
struct OneEvent {
    now: Rc<Cell<usize>>,
    arrives_at: Rc<Cell<Option<usize>>>,
    waiter: Rc<RefCell<Option<Waker>>>,
    /// Connections that every park finds ready again (as `EveryoneReady`).
    connections: Rc<RefCell<Vec<Waker>>>,
}

impl Park for OneEvent {
    fn park(&mut self, _timeout: Option<Duration>) {
        // The event first, as the reactor wakes a due timer ahead of the sockets.
        if self.arrives_at.get().is_some_and(|at| at <= self.now.get()) {
            if let Some(waker) = self.waiter.borrow_mut().take() {
                waker.wake();
            }
        }
        std::mem::take(&mut *self.connections.borrow_mut()).into_iter().for_each(Waker::wake);
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        struct Nothing;
        impl Unpark for Nothing {
            fn unpark(&self) {}
        }
        Box::new(Nothing)
    }
}

/// Events measured per lateness test (each one a batch or two of polls).
const SAMPLES: usize = 40;

/// Waits for `samples` events that arrive at varied points of the batch, and returns
/// the worst lateness: polls from an event's arrival to the poll of its task.
async fn worst_event_lateness(reactor: &OneEvent, samples: usize) -> usize {
    let mut worst = 0;
    let mut seen = 0;
    poll_fn(|cx| {
        let now = reactor.now.get() + 1;
        reactor.now.set(now);
        if let Some(at) = reactor.arrives_at.get() {
            if reactor.waiter.borrow().is_some() {
                reactor.waiter.borrow_mut().replace(cx.waker().clone());
                return Poll::Pending; // not delivered yet: a spurious poll
            }
            worst = worst.max(now - at);
            seen += 1;
        }
        if seen == samples {
            return Poll::Ready(worst);
        }
        // The next event arrives some way into the coming batch, at a point that
        // differs from one sample to the next (97 is prime to the batch lengths).
        reactor.arrives_at.set(Some(now + 1 + (seen * 97) % 1300));
        *reactor.waiter.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    })
    .await
}

#[test]
fn an_io_woken_task_is_not_held_back_by_tasks_that_keep_yielding() {
    // Tasks that yield in a loop go back into the queue during the batch, so a turn
    // in mid-batch *does* help: what it wakes is queued ahead of the re-queued ones.
    // Once a turn is due (61 polls), a woken task should wait for the queue it finds,
    // no more: at most about `spinners` + 61 polls, as with a turn every 61 polls.
    let spinners = 600;
    let reactor = OneEvent::default();
    let rt = Builder::default().build_with_park(reactor.clone());
    let worst = rt.block_on(async {
        let spinning: Vec<_> = (0..spinners)
            .map(|_| {
                let now = reactor.now.clone();
                spawn(async move {
                    loop {
                        now.set(now.get() + 1);
                        yield_now().await;
                    }
                })
            })
            .collect();
        let reactor = reactor.clone();
        let worst = spawn(async move { worst_event_lateness(&reactor, SAMPLES).await }).await.unwrap();
        spinning.iter().for_each(|s| s.abort());
        worst
    });
    let bound = spinners + 2 * 61;
    assert!(worst <= bound, "an event waited {worst} polls behind {spinners} yielding tasks (bound {bound})");
}

#[test]
fn the_block_on_future_woken_by_io_waits_one_interval_behind_yielding_tasks() {
    // The `block_on` future is polled before the queue, so for it a turn in mid-batch
    // always helps; with tasks joining the queue, one comes every 61 polls.
    let reactor = OneEvent::default();
    let rt = Builder::default().build_with_park(reactor.clone());
    let worst = rt.block_on(async {
        let spinning: Vec<_> = (0..600)
            .map(|_| {
                let now = reactor.now.clone();
                spawn(async move {
                    loop {
                        now.set(now.get() + 1);
                        yield_now().await;
                    }
                })
            })
            .collect();
        let worst = worst_event_lateness(&reactor, SAMPLES).await;
        spinning.iter().for_each(|s| s.abort());
        worst
    });
    assert!(worst <= 2 * 61, "the block_on future's event waited {worst} polls behind 600 yielding tasks");
}

#[test]
fn the_block_on_future_woken_by_io_waits_at_most_the_cap_behind_a_batch() {
    // Tasks that only wait for I/O join nothing mid-batch: the batch runs whole, and
    // the `block_on` future's event waits for it, never more than 1024 polls (the
    // documented cost of one wait per batch).
    let reactor = OneEvent::default();
    let rt = Builder::default().build_with_park(reactor.clone());
    let worst = rt.block_on(async {
        let connections: Vec<_> = (0..3000)
            .map(|_| {
                let reactor = reactor.clone();
                spawn(poll_fn(move |cx| {
                    reactor.now.set(reactor.now.get() + 1);
                    reactor.connections.borrow_mut().push(cx.waker().clone());
                    Poll::<()>::Pending
                }))
            })
            .collect();
        let worst = worst_event_lateness(&reactor, SAMPLES).await;
        connections.iter().for_each(|c| c.abort());
        worst
    });
    assert!(worst <= MAX_BATCH_POLLS + 1, "the block_on future's event waited {worst} polls behind a batch");
}

#[test]
fn a_timer_due_mid_batch_waits_for_that_batch_not_the_next() {
    // 600 connections that a busy reactor finds ready at every turn, and a task whose
    // timer falls due somewhere in the batch. The reactor wakes due timers ahead of
    // the sockets of the same turn, so the task runs once the batch in progress has:
    // at most ~600 polls late. (Woken after the sockets, it waited for the next batch
    // too: up to 1 199 polls.)
    let connections = 600;
    let reactor = OneEvent::default();
    let rt = Builder::default().build_with_park(reactor.clone());
    let worst = rt.block_on(async {
        let busy: Vec<_> = (0..connections)
            .map(|_| {
                let reactor = reactor.clone();
                spawn(poll_fn(move |cx| {
                    reactor.now.set(reactor.now.get() + 1);
                    reactor.connections.borrow_mut().push(cx.waker().clone());
                    Poll::<()>::Pending
                }))
            })
            .collect();
        let reactor = reactor.clone();
        let worst = spawn(async move { worst_event_lateness(&reactor, SAMPLES).await }).await.unwrap();
        busy.iter().for_each(|c| c.abort());
        worst
    });
    let bound = connections + 61;
    assert!(worst <= bound, "a timer due mid-batch ran {worst} polls late behind {connections} connections");
}

#[test]
fn a_flood_of_spawned_tasks_still_turns_every_event_interval_polls() {
    // A task that spawns 8 tasks (that never end) at each poll makes the queue grow
    // without end; the new tasks join the queue behind the batch, so the reactor still gets a look
    // every 61 polls, not only at the 1024-poll cap.
    let reactor = EveryoneReady::default();
    let rt = Builder::default().build_with_park(reactor.clone());
    rt.block_on(async {
        let polls = reactor.polls.clone();
        let spawner = spawn(async move {
            loop {
                polls.set(polls.get() + 1);
                for _ in 0..8 {
                    let polls = polls.clone();
                    drop(spawn(async move {
                        loop {
                            polls.set(polls.get() + 1);
                            yield_now().await;
                        }
                    }));
                }
                yield_now().await;
            }
        });
        while reactor.parks.borrow().len() < 50 {
            yield_now().await;
        }
        spawner.abort();
    });
    let parks = reactor.parks.borrow();
    let worst = parks.iter().map(|&(_, polls)| polls).max().unwrap();
    assert!(worst <= 61, "{worst} polls between two turns under a flood of spawns: {parks:?}");
}
