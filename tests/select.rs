//! `select!`: fairness (random start) and `biased;`, branch futures dropped (the
//! losers before the handler runs, all of them when the select is dropped), `else`,
//! preconditions, patterns that fail, handlers' control flow, and a loop over a
//! stream and a channel; the scenarios tokio's `select!` shares run on tokio too.

mod util;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{pending, poll_fn, ready, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

use util::{poll_once, Drops, Tracked};

const ROUNDS: usize = 10_000;

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

/// Wins of the first of two always-ready branches in `ROUNDS` selects.
async fn first_wins_wakeful(biased: bool) -> usize {
    let mut first = 0;
    for _ in 0..ROUNDS {
        if biased {
            wakeful::select! { biased; _ = ready(()) => first += 1, _ = ready(()) => {} }
        } else {
            wakeful::select! { _ = ready(()) => first += 1, _ = ready(()) => {} }
        }
    }
    first
}

async fn first_wins_tokio(biased: bool) -> usize {
    let mut first = 0;
    for _ in 0..ROUNDS {
        if biased {
            tokio::select! { biased; _ = ready(()) => first += 1, _ = ready(()) => {} }
        } else {
            tokio::select! { _ = ready(()) => first += 1, _ = ready(()) => {} }
        }
    }
    first
}

#[test]
fn without_biased_two_always_ready_branches_each_win_about_half() {
    let ours = util::run(first_wins_wakeful(false));
    let theirs = tokio_rt().block_on(first_wins_tokio(false));
    for (who, wins) in [("wakeful", ours), ("tokio", theirs)] {
        assert!((4_500..=5_500).contains(&wins), "{who}: the first branch won {wins} of {ROUNDS}");
    }
}

#[test]
fn with_biased_the_first_ready_branch_always_wins() {
    assert_eq!(util::run(first_wins_wakeful(true)), ROUNDS);
    assert_eq!(tokio_rt().block_on(first_wins_tokio(true)), ROUNDS);
}

/// A future that is never ready and counts its polls, holding a `Tracked`.
fn never(polls: &Rc<Cell<usize>>, tracked: Tracked) -> impl Future<Output = ()> {
    let polls = polls.clone();
    poll_fn(move |_| {
        let _hold = &tracked;
        polls.set(polls.get() + 1);
        Poll::Pending
    })
}

#[test]
fn dropping_a_pending_select_drops_every_branch_future() {
    let drops = Drops::default();
    let polls = Rc::new(Cell::new(0));
    let mut select = Box::pin(async {
        wakeful::select! {
            _ = never(&polls, drops.track()) => 1,
            _ = never(&polls, drops.track()) => 2,
            _ = never(&polls, drops.track()), if false => 3,
        }
    });
    assert!(poll_once(&mut select).is_pending());
    assert_eq!(polls.get(), 2, "the disabled branch's future is not polled");
    assert_eq!(drops.count(), 0);
    drop(select);
    assert_eq!(drops.count(), 3);
}

#[test]
fn the_losing_futures_are_dropped_before_the_handler_runs() {
    let drops = Drops::default();
    let polls = Rc::new(Cell::new(0));
    let mut counter = 0;
    let seen = util::run(async {
        wakeful::select! {
            _ = never(&polls, drops.track()) => unreachable!(),
            // The handler may use `counter`, which the winning future borrowed.
            n = async { counter += 1; counter } => { counter += n; drops.count() }
        }
    });
    assert_eq!(seen, 1, "the loser was still alive when the handler ran");
    assert_eq!(counter, 2);
}

#[test]
fn else_runs_when_every_branch_is_disabled_or_its_pattern_failed() {
    let by_precondition = util::run(async {
        wakeful::select! {
            _ = pending::<()>(), if false => 1,
            else => 2,
        }
    });
    assert_eq!(by_precondition, 2);
    let by_pattern = util::run(async {
        wakeful::select! {
            Some(x) = ready(None::<i32>) => x,
            Ok(x) = ready(Err::<i32, ()>(())) => x,
            else => -1,
        }
    });
    assert_eq!(by_pattern, -1);
    let tokio_by_pattern = tokio_rt().block_on(async {
        tokio::select! {
            Some(x) = ready(None::<i32>) => x,
            Ok(x) = ready(Err::<i32, ()>(())) => x,
            else => -1,
        }
    });
    assert_eq!(tokio_by_pattern, -1);
}

#[test]
fn without_else_every_branch_disabled_panics_as_tokio_does() {
    let ours = std::panic::catch_unwind(|| {
        wakeful::block_on(async {
            wakeful::select! { Some(x) = ready(None::<u8>) => x }
        })
    });
    let theirs = std::panic::catch_unwind(|| {
        tokio_rt().block_on(async {
            tokio::select! { Some(x) = ready(None::<u8>) => x }
        })
    });
    let message = |r: std::thread::Result<u8>| r.unwrap_err().downcast_ref::<&str>().map(|s| s.to_string());
    let ours = message(ours).expect("a panic with a message");
    assert_eq!(ours, "all branches are disabled and there is no else branch");
    assert!(message(theirs).unwrap().contains("all branches are disabled"));
}

#[test]
fn a_failed_pattern_disables_only_its_branch() {
    let got = util::run(async {
        wakeful::select! {
            Some(x) = ready(None::<u32>) => x,
            x = async { wakeful::task::yield_now().await; 7 } => x,
        }
    });
    assert_eq!(got, 7);
}

#[test]
fn preconditions_are_evaluated_before_the_futures_and_disable_a_branch() {
    let order = RefCell::new(Vec::new());
    let got = util::run(async {
        wakeful::select! {
            x = async { 1 }, if { order.borrow_mut().push("cond"); false } => x,
            x = { order.borrow_mut().push("future"); async { 2 } } => x,
        }
    });
    assert_eq!(got, 2);
    assert_eq!(*order.borrow(), ["cond", "future"]);
}

#[test]
fn handlers_break_continue_and_return_in_the_enclosing_code() {
    let result: Result<u32, String> = util::run(async {
        let mut n = 0;
        let mut skipped = 0;
        loop {
            n += 1;
            wakeful::select! {
                _ = ready(()), if n < 3 => { skipped += 1; continue }
                _ = ready(()), if n == 3 => {}
                else => break,
            }
            let parsed: u32 =
                wakeful::select! { s = ready("x") => s.parse().map_err(|_| format!("bad {s}"))? };
            return Ok(parsed + skipped);
        }
        Ok(0)
    });
    assert_eq!(result, Err("bad x".to_string()));
}

/// A tiny single-threaded channel usable on either runtime: `recv` waits for a
/// value, `None` once closed and empty.
#[derive(Clone, Default)]
struct Chan(Rc<RefCell<ChanState>>);

/// Queued values, closed, and the receiver's waker.
type ChanState = (VecDeque<u32>, bool, Option<Waker>);

impl Chan {
    fn send(&self, v: u32) {
        let mut inner = self.0.borrow_mut();
        inner.0.push_back(v);
        if let Some(w) = inner.2.take() {
            w.wake();
        }
    }
    fn close(&self) {
        let mut inner = self.0.borrow_mut();
        inner.1 = true;
        if let Some(w) = inner.2.take() {
            w.wake();
        }
    }
    fn recv(&self) -> impl Future<Output = Option<u32>> + '_ {
        poll_fn(|cx| {
            let mut inner = self.0.borrow_mut();
            match inner.0.pop_front() {
                Some(v) => Poll::Ready(Some(v)),
                None if inner.1 => Poll::Ready(None),
                None => {
                    inner.2 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}

macro_rules! stream_and_channel_loop {
    ($krate:ident) => {{
        let chan = Chan::default();
        let producer = chan.clone();
        let produce = async move {
            for v in 100..105 {
                producer.send(v);
                $krate::task::yield_now().await;
            }
            producer.close();
        };
        let mut stream = (1..=4u32).collect::<VecDeque<_>>(); // `next()` as a stream's
        let mut from_stream = Vec::new();
        let mut from_chan = Vec::new();
        let consume = async {
            loop {
                $krate::select! {
                    Some(x) = async { stream.pop_front() } => from_stream.push(x),
                    Some(v) = chan.recv() => from_chan.push(v),
                    else => break,
                }
            }
        };
        let ((), ()) = $krate::join!(produce, consume);
        (from_stream, from_chan)
    }};
}

#[test]
fn a_select_loop_over_a_stream_and_a_channel_drains_both_then_takes_else() {
    let ours = util::run(async { stream_and_channel_loop!(wakeful) });
    let theirs = tokio_rt().block_on(async { stream_and_channel_loop!(tokio) });
    assert_eq!(ours, (vec![1, 2, 3, 4], vec![100, 101, 102, 103, 104]));
    assert_eq!(ours, theirs);
}

#[test]
fn a_select_with_many_branches_and_mut_patterns_compiles_and_picks_the_ready_one() {
    let got = util::run(async {
        let p = || pending::<u32>();
        wakeful::select! {
            mut a = p() => { a += 1; a }, b = p() => b, c = p() => c, d = p() => d,
            e = p() => e, f = p() => f, g = p() => g, h = p() => h,
            (i, _) = ready((9u32, ())) => i, j = p() => j, k = p() => k,
        }
    });
    assert_eq!(got, 9);
}
