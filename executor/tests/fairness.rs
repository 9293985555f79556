//! Nobody starves: a task that is always ready lets the other tasks run (FIFO) and
//! the reactor look for I/O every `event_interval` polls, and the cooperative budget
//! makes an always-ready operation yield. Runs under Miri, with a fake reactor.

mod common;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::time::Duration;

use common::WakerSlot;
use wakeful_executor::{spawn, yield_now, Builder, JoinHandle, Park, Runtime, Unpark};

#[test]
fn always_ready_task_cannot_starve_others() {
    let spins = [Rc::new(Cell::new(0)), Rc::new(Cell::new(0))];
    let rt = Runtime::new();
    rt.block_on(async {
        let spinners: Vec<_> = spins
            .iter()
            .map(|count| {
                let count = count.clone();
                spawn(async move {
                    loop {
                        count.set(count.get() + 1);
                        yield_now().await;
                    }
                })
            })
            .collect();
        let worker = spawn(async {
            for _ in 0..100 {
                yield_now().await;
            }
        });
        worker.await.unwrap();
        spinners.iter().for_each(JoinHandle::abort);
    });
    // FIFO: each spinner runs once per turn of the worker (give or take the ends).
    for count in &spins {
        assert!((100..=103).contains(&count.get()), "spinner ran {} times for 100 worker turns", count.get());
    }
}

/// A fake reactor: an "event" is delivered (its waker woken) by a non-blocking park.
#[derive(Clone, Default)]
struct FakeReactor {
    slot: WakerSlot,
    zero_parks: Rc<Cell<usize>>,
}

impl Park for FakeReactor {
    fn park(&mut self, timeout: Option<Duration>) {
        assert_eq!(timeout, Some(Duration::ZERO), "never idle: a task is always ready");
        self.zero_parks.set(self.zero_parks.get() + 1);
        if let Some(waker) = self.slot.take() {
            waker.wake();
        }
    }

    fn unparker(&self) -> Box<dyn Unpark> {
        struct Nothing;
        impl Unpark for Nothing {
            fn unpark(&self) {}
        }
        Box::new(Nothing)
    }
}

#[test]
fn always_ready_task_cannot_starve_io() {
    let reactor = FakeReactor::default();
    let interval = 7;
    let rt = Builder::default().event_interval(interval).build_with_park(reactor.clone());
    let spins = Rc::new(Cell::new(0));
    rt.block_on(async {
        let s = spins.clone();
        let spinner = spawn(async move {
            loop {
                s.set(s.get() + 1);
                yield_now().await;
            }
        });
        reactor.slot.wait(Rc::default()).await; // "I/O" that only the reactor delivers
        spinner.abort();
    });
    assert_eq!(reactor.zero_parks.get(), 1, "the reactor got its turn");
    assert!(spins.get() <= interval as usize, "reactor turned within {interval} polls, not {}", spins.get());
}

#[test]
fn coop_budget_makes_an_always_ready_task_yield() {
    use wakeful_executor::coop::{poll_proceed, BUDGET};
    let other_ran = Rc::new(Cell::new(false));
    let rt = Runtime::new();
    let (ops, saw_other) = rt.block_on(async {
        // Outside a task the budget is unlimited.
        for _ in 0..BUDGET * 2 {
            poll_fn(poll_proceed).await;
        }
        // An "always ready" operation: it never waits, only spends budget. Spawned
        // first, it would finish in one poll if nothing made it yield.
        let seen = other_ran.clone();
        let busy = spawn(async move {
            let mut ops = 0u32;
            while ops < BUDGET * 3 {
                poll_fn(poll_proceed).await;
                ops += 1;
            }
            (ops, seen.get())
        });
        let flag = other_ran.clone();
        let other = spawn(async move { flag.set(true) });
        other.await.unwrap();
        busy.await.unwrap()
    });
    assert_eq!(ops, BUDGET * 3);
    assert!(saw_other, "the busy task yielded once its budget was spent");
}
