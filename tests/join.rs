//! `join!` and `try_join!`: outputs in written order, futures run concurrently,
//! `try_join!` stops at the first `Err` and drops the rest, and dropping a join drops
//! every future and finished output; the same scenarios on tokio's macros.

mod util;

use std::cell::RefCell;
use std::future::{pending, Future};
use std::pin::pin;

use util::{poll_once, Drops};

/// Two futures that each record a step and yield, three times: a join interleaves them.
macro_rules! interleaving {
    ($krate:ident) => {{
        let log = RefCell::new(Vec::new());
        let step = |name: &'static str| {
            let log = &log;
            async move {
                for i in 0..3 {
                    log.borrow_mut().push(format!("{name}{i}"));
                    $krate::task::yield_now().await;
                }
                name
            }
        };
        let out = $krate::join!(step("a"), step("b"), async { 3 });
        (out, log.into_inner())
    }};
}

#[test]
fn join_runs_the_futures_concurrently_and_returns_outputs_in_written_order() {
    let ours = util::run(async { interleaving!(wakeful) });
    let theirs = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async { interleaving!(tokio) });
    assert_eq!(ours.0, ("a", "b", 3));
    assert_eq!(ours.1, ["a0", "b0", "a1", "b1", "a2", "b2"]);
    assert_eq!(ours.0, theirs.0);
    let mut theirs_sorted = theirs.1.clone();
    theirs_sorted.sort(); // tokio rotates which future goes first; the set is the same
    let mut ours_sorted = ours.1.clone();
    ours_sorted.sort();
    assert_eq!(ours_sorted, theirs_sorted);
}

#[test]
fn try_join_returns_the_first_err_and_drops_the_unfinished_futures() {
    let drops = Drops::default();
    let result = util::run(async {
        let tracked = drops.track();
        let waits = async move {
            let _hold = tracked;
            pending::<()>().await;
            Ok::<u8, String>(1)
        };
        let fails = async {
            wakeful::task::yield_now().await;
            Err::<u8, String>("second".into())
        };
        let out = wakeful::try_join!(waits, async { Ok(3) }, fails);
        assert_eq!(drops.count(), 1, "the pending future is dropped by the time try_join! returns");
        out
    });
    assert_eq!(result, Err("second".to_string()));
    let theirs = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
        tokio::try_join!(
            async {
                pending::<()>().await;
                Ok::<u8, String>(1)
            },
            async { Ok(3) },
            async { Err::<u8, String>("second".into()) }
        )
    });
    assert_eq!(theirs, result);
}

#[test]
fn try_join_with_every_future_ok_gives_their_values() {
    let result: Result<(u8, &str, ()), ()> =
        util::run(async { wakeful::try_join!(async { Ok(1) }, async { Ok("two") }, async { Ok(()) }) });
    assert_eq!(result, Ok((1, "two", ())));
}

#[test]
fn dropping_a_pending_join_drops_every_future_and_finished_output() {
    let drops = Drops::default();
    let (a, b) = (drops.track(), drops.track());
    let finished = drops.track();
    let mut join = Box::pin(async move {
        wakeful::join!(
            async move {
                let _hold = a;
                pending::<()>().await
            },
            async move { finished }, // done at the first poll: its output is kept
            async move {
                let _hold = b;
                pending::<()>().await
            },
        )
    });
    assert!(poll_once(&mut join).is_pending());
    assert_eq!(drops.count(), 0);
    drop(join);
    assert_eq!(drops.count(), 3);
}

#[test]
fn an_empty_join_is_the_unit_value() {
    let mut empty = pin!(async { wakeful::join!() });
    assert!(poll_once(&mut empty).is_ready());
    fn is_future<F: Future<Output = ()>>(_: &F) {}
    is_future(&async { wakeful::join!() });
}
