//! The executor's atomics: std's, or loom's when the crate's unit tests are built with
//! `--cfg loom`, so that the model checks in `loom_tests.rs` can explore every
//! interleaving of the task state word (see the crate's `Cargo.toml`). Only the unit
//! tests see loom: a `--cfg loom` build of the library itself still uses std.

#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(all(loom, test)))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
