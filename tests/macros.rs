//! `#[wakeful::test]` and `#[wakeful::main]` as users write them: results, panics,
//! spawned tasks, kept attributes, and each option reaching the runtime builder.
//! (Misuses are compile errors: the `compile_fail` doctests on `wakeful::main` and
//! `wakeful::test` cover them.)
#![cfg(feature = "macros")]
// The expansion must leave no unreachable code behind a diverging body: a crate may
// forbid the lint, and some tests below end in `panic!`.
#![forbid(unreachable_code)]

use std::cell::RefCell;
use std::error::Error;
use std::rc::Rc;

#[wakeful::test]
async fn a_test_runs_on_a_fresh_runtime_of_its_own() {
    let stats = wakeful::stats().expect("the body runs inside a runtime");
    assert_eq!(stats.tasks_spawned, 0, "no task of another test is visible here");
    assert_eq!(stats.tasks_alive, 0);
}

#[wakeful::test]
async fn spawned_tasks_run_and_need_not_be_send() {
    let log = Rc::new(RefCell::new(Vec::new())); // !Send, as the tasks may be
    let mut handles = Vec::new();
    for i in 0..10 {
        let log = log.clone();
        handles.push(wakeful::spawn(async move {
            wakeful::task::yield_now().await;
            log.borrow_mut().push(i);
            i * 2
        }));
    }
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.expect("the task ran to completion");
    }
    assert_eq!(sum, 90);
    assert_eq!(log.borrow().len(), 10);
}

#[wakeful::test]
async fn a_test_returning_ok_passes_and_question_mark_converts_errors() -> Result<(), Box<dyn Error>> {
    // `?` converts ParseIntError and io::Error into the Box: the output type is named.
    let n: u32 = "42".parse()?;
    let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await?;
    assert_eq!(n, 42);
    assert!(listener.local_addr()?.port() != 0);
    Ok(())
}

#[wakeful::test]
async fn an_early_return_leaves_the_body_with_its_value() -> Result<(), String> {
    for i in 0.. {
        if i == 3 {
            return Ok(());
        }
    }
    Err("unreachable".into())
}

#[wakeful::main]
async fn a_diverging_body_with_a_typed_output() -> Result<u32, String> {
    panic!("diverges before producing a u32")
}

#[test]
#[should_panic(expected = "diverges before producing a u32")]
fn a_diverging_body_compiles_under_forbid_unreachable_code() {
    let _ = a_diverging_body_with_a_typed_output();
}

#[wakeful::test]
#[should_panic(expected = "a panic in the body fails the test")]
async fn should_panic_is_kept_after_the_added_test_attribute() {
    wakeful::task::yield_now().await;
    panic!("a panic in the body fails the test");
}

#[wakeful::test]
#[should_panic(expected = "spawned task panicked")]
async fn a_panicking_task_is_seen_through_its_join_handle() {
    let handle = wakeful::spawn(async { panic!("inside") });
    let err = handle.await.expect_err("the task panicked");
    assert!(err.is_panic());
    panic!("spawned task panicked");
}

#[wakeful::test]
#[ignore = "kept ignored: proves #[ignore] stays in place (run with --ignored to see it fail)"]
async fn ignore_is_kept() {
    panic!("this test is ignored");
}

/// Doc comments stay on the generated function.
#[wakeful::test]
#[cfg(any())]
async fn a_cfg_false_test_is_removed_with_its_body() {
    // Would not compile if the `#[cfg]` were dropped: the test vanishes instead.
    let not_a_number: u32 = "three";
}

#[wakeful::test]
#[allow(clippy::bool_assert_comparison)]
async fn other_attributes_on_the_test_still_apply() {
    assert_eq!(true, true);
}

#[wakeful::test(flavor = "current_thread")]
async fn tokio_current_thread_flavor_is_accepted_for_ported_tests() {
    assert!(wakeful::stats().is_some());
}

/// Polls of a task that yields `n` times, and the reactor turns they took.
async fn reactor_turns_for_yields(n: u32) -> u64 {
    let before = wakeful::stats().expect("inside a runtime").reactor_turns;
    wakeful::spawn(async move {
        for _ in 0..n {
            wakeful::task::yield_now().await;
        }
    })
    .await
    .expect("the task ran");
    wakeful::stats().expect("inside a runtime").reactor_turns - before
}

#[wakeful::test(event_interval = 1)]
async fn event_interval_one_looks_at_io_after_every_poll() {
    let turns = reactor_turns_for_yields(200).await;
    assert!(turns >= 150, "event_interval = 1 should turn the reactor ~200 times, turned {turns}");
}

#[wakeful::test(event_interval = 1_000)]
async fn a_large_event_interval_looks_at_io_rarely() {
    let turns = reactor_turns_for_yields(200).await;
    assert!(turns <= 10, "event_interval = 1000 should turn the reactor a few times, turned {turns}");
}

/// A crate that re-exports wakeful under another name, as a framework would.
mod framework {
    pub use wakeful as runtime;
}

#[wakeful::test(crate = "framework::runtime")]
async fn the_crate_option_names_wakeful_through_a_re_export() {
    assert_eq!(wakeful::spawn(async { 7 }).await.unwrap(), 7);
}

#[wakeful::main]
async fn blocking_helper() -> std::io::Result<u16> {
    let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await?;
    Ok(listener.local_addr()?.port())
}

#[test]
fn main_on_another_fn_makes_it_a_blocking_function() {
    let port = blocking_helper().expect("bound a port");
    assert_ne!(port, 0);
    assert!(wakeful::stats().is_none(), "the runtime is gone once the function returns");
}

#[wakeful::main]
async fn returns_impl_trait() -> impl std::fmt::Debug {
    wakeful::spawn(async { "an opaque value" }).await.unwrap()
}

#[test]
fn main_with_an_impl_return_type_runs_unannotated() {
    assert_eq!(format!("{:?}", returns_impl_trait()), "\"an opaque value\"");
}

// `impl` inside parentheses (a tuple, a `dyn Fn() -> ...`) is as unnameable in a `let`
// as at the top of the return type.
#[wakeful::main]
async fn returns_a_tuple_holding_impl_trait() -> (impl std::fmt::Debug, u32) {
    ("opaque", 2)
}

#[test]
fn main_with_impl_nested_in_the_return_type_compiles_and_runs() {
    let (opaque, two) = returns_a_tuple_holding_impl_trait();
    assert_eq!((format!("{opaque:?}"), two), ("\"opaque\"".to_string(), 2));
}

// An inner attribute at the top of the body is legal in a plain `fn`; it must stay so
// when the body is moved into the expansion.
#[wakeful::test]
async fn inner_attributes_at_the_top_of_the_body_still_apply() {
    #![allow(clippy::bool_assert_comparison)]
    assert_eq!(wakeful::spawn(async { true }).await.unwrap(), true);
}

#[wakeful::main]
async fn inner_attribute_in_a_body_with_a_result() -> Result<u32, std::num::ParseIntError> {
    #![allow(unused_variables)]
    let unused = 1;
    "7".parse::<u32>()
}

#[test]
fn main_keeps_inner_attributes_of_the_body() {
    assert_eq!(inner_attribute_in_a_body_with_a_result(), Ok(7));
}

// Tests written by a `macro_rules!`: a `$body:block` reaches the attribute wrapped in
// an invisible group, and a `$ret:ty` too.
macro_rules! wakeful_test_from_fragments {
    ($name:ident -> $ret:ty $body:block) => {
        #[wakeful::test]
        async fn $name() -> $ret $body
    };
}

wakeful_test_from_fragments!(a_block_fragment_is_a_body -> Result<(), String> {
    assert_eq!(wakeful::spawn(async { 3 }).await.unwrap(), 3);
    Ok(())
});

macro_rules! wakeful_main_from_fragments {
    ($name:ident -> $ret:ty $body:block) => {
        #[wakeful::main]
        async fn $name() -> $ret $body
    };
}

wakeful_main_from_fragments!(impl_in_a_type_fragment -> impl std::fmt::Debug { 7 });

#[test]
fn main_accepts_a_body_and_an_impl_type_given_as_macro_fragments() {
    assert_eq!(format!("{:?}", impl_in_a_type_fragment()), "7");
}

// Lints on the user's function see the body as written: items at its top are not
// "after statements" (clippy, run with -D warnings), a one-expression body has no
// "unnecessary braces".
#[wakeful::main]
#[deny(clippy::items_after_statements, unused_braces)]
async fn items_first_then_one_expression() -> u32 {
    use std::ops::Add;
    const ONE: u32 = 1;
    ONE.add(ONE)
}

#[wakeful::main]
#[deny(unused_braces)]
async fn one_expression() -> u32 {
    2
}

#[test]
fn a_body_is_linted_as_in_a_plain_function() {
    assert_eq!((items_first_then_one_expression(), one_expression()), (2, 2));
}

#[test]
fn main_called_from_inside_a_runtime_panics_as_block_on_does() {
    let result = std::panic::catch_unwind(|| wakeful::block_on(async { blocking_helper() }));
    assert!(result.is_err(), "a nested runtime on one thread must be refused");
}

/// Stands in for wakeful through `crate = "..."`: records which builder calls the
/// macro emitted, in order, including `start_paused`.
mod recording {
    use std::cell::RefCell;
    use std::future::Future;
    use std::io;

    thread_local! {
        pub static CALLS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
        pub static FAIL_BUILD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    fn record(call: String) {
        CALLS.with(|calls| calls.borrow_mut().push(call));
    }

    pub fn take() -> Vec<String> {
        CALLS.with(|calls| std::mem::take(&mut *calls.borrow_mut()))
    }

    pub struct Runtime(wakeful::Runtime);
    pub struct Builder(wakeful::Builder);

    impl Runtime {
        pub fn builder() -> Builder {
            record("builder()".into());
            Builder(wakeful::Runtime::builder())
        }

        pub fn block_on<F: Future>(&self, future: F) -> F::Output {
            record("block_on(..)".into());
            self.0.block_on(future)
        }
    }

    impl Builder {
        pub fn event_interval(self, polls: u32) -> Builder {
            record(format!("event_interval({polls})"));
            Builder(self.0.event_interval(polls))
        }

        pub fn start_paused(self, paused: bool) -> Builder {
            record(format!("start_paused({paused})"));
            self
        }

        pub fn build(self) -> io::Result<Runtime> {
            record("build()".into());
            if FAIL_BUILD.with(|f| f.get()) {
                return Err(io::Error::other("no more file descriptors"));
            }
            self.0.build().map(Runtime)
        }
    }
}

#[wakeful::main(crate = "recording", event_interval = 0x1f, start_paused = true)]
async fn configured() -> u32 {
    wakeful::spawn(async { 5 }).await.unwrap()
}

#[wakeful::main(crate = "recording")]
async fn unconfigured() {}

#[wakeful::main(crate = r"recording", start_paused = false, event_interval = 7u32)]
async fn paused_false() {}

#[test]
fn options_become_builder_calls_in_a_fixed_order() {
    recording::take();
    assert_eq!(configured(), 5);
    assert_eq!(
        recording::take(),
        ["builder()", "event_interval(31)", "start_paused(true)", "build()", "block_on(..)"]
    );
    unconfigured();
    assert_eq!(recording::take(), ["builder()", "build()", "block_on(..)"]);
    paused_false();
    assert_eq!(
        recording::take(),
        ["builder()", "event_interval(7)", "start_paused(false)", "build()", "block_on(..)"]
    );
}

#[test]
fn a_runtime_that_cannot_be_built_panics_with_the_reason() {
    recording::FAIL_BUILD.with(|f| f.set(true));
    let panic = std::panic::catch_unwind(unconfigured).expect_err("building failed");
    recording::FAIL_BUILD.with(|f| f.set(false));
    let message = panic.downcast_ref::<String>().expect("expect() panics with a String");
    assert!(message.contains("#[wakeful::main]: cannot build the runtime"), "{message}");
    assert!(message.contains("no more file descriptors"), "{message}");
}

/// Sets its flag when dropped: tells whether a task's future was dropped.
struct DropFlag(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

thread_local! {
    static FLAG: std::sync::Arc<std::sync::atomic::AtomicBool> = std::sync::Arc::default();
}

/// A task that never finishes, holding a `DropFlag`; the function returns first.
async fn leave_a_pending_task(spawn: impl FnOnce(DropFlag)) -> u32 {
    FLAG.with(|flag| spawn(DropFlag(flag.clone())));
    7
}

#[wakeful::main]
async fn on_wakeful() -> u32 {
    leave_a_pending_task(|guard| {
        wakeful::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    })
    .await
}

#[tokio::main(flavor = "current_thread")]
async fn on_tokio() -> u32 {
    leave_a_pending_task(|guard| {
        tokio::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    })
    .await
}

#[test]
fn unfinished_tasks_are_dropped_when_the_function_returns_as_on_tokio() {
    for (runtime, run) in [("wakeful", on_wakeful as fn() -> u32), ("tokio", on_tokio)] {
        FLAG.with(|flag| flag.store(false, std::sync::atomic::Ordering::SeqCst));
        assert_eq!(run(), 7, "{runtime}: the body's value is returned");
        let dropped = FLAG.with(|flag| flag.load(std::sync::atomic::Ordering::SeqCst));
        assert!(dropped, "{runtime}: the pending task's future is dropped with the runtime");
    }
}

/// `start_paused = true` reaches the builder: an hour's sleep auto-advances at once.
#[wakeful::test(start_paused = true)]
async fn start_paused_runs_an_hour_of_sleep_in_no_time() {
    let wall = std::time::Instant::now();
    let start = wakeful::time::Instant::now();
    wakeful::time::sleep(std::time::Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), std::time::Duration::from_secs(3600), "paused time moved exactly");
    assert!(wall.elapsed() < std::time::Duration::from_secs(5), "no wall-clock hour: {:?}", wall.elapsed());
}
