//! Memory is measured exactly, not through RSS: each test binary that uses this
//! module installs [`CountingAllocator`] as its global allocator, which counts the
//! bytes it has handed out and not yet got back. That count is process-wide, and so
//! are open fds, so every test using it runs alone in a child process
//! (`util::ran_in_child`) where nothing else allocates or opens files meanwhile.
//!
//! Each measurement starts after a warm-up of the same work, so that one-time
//! allocations (thread-locals, the first growth of the runtime's tables) are in the
//! baseline; what may remain above it is bounded by [`SLACK`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::run;

/// Counts the bytes allocated and not yet freed, in [`LIVE_BYTES`].
pub struct CountingAllocator;

/// Bytes handed out by the allocator and not yet given back. Updated with wrapping
/// adds and subtracts, so a free seen before its allocation on another thread only
/// makes the value wrap for a moment.
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments, so `System`'s
// guarantees hold; the counting touches no memory of the allocation.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's obligations for `alloc` are passed on unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's obligations for `alloc_zeroed` are passed on unchanged.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (so by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; `new_size` is the
        // caller's, valid for `layout.align()`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        new
    }
}

/// What may stay above the baseline: slack for tables that grew a little more (a
/// slab, a queue's capacity). A leak of one 16 KiB task per cycle would be 160 MiB.
pub const SLACK: usize = 1 << 20;

/// Live bytes and open fds at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    bytes: usize,
    fds: usize,
}

pub fn usage() -> Usage {
    // /proc on Linux, /dev/fd on the BSDs and macOS. The directory's own fd is counted
    // every time, so comparisons stay exact.
    let dir = if std::path::Path::new("/proc/self/fd").exists() { "/proc/self/fd" } else { "/dev/fd" };
    let fds = std::fs::read_dir(dir).expect("list the open fds").count();
    Usage { bytes: LIVE_BYTES.load(Ordering::SeqCst), fds }
}

/// Asserts that the fds are exactly those of `baseline`, and the live bytes at most
/// `slack` more.
pub fn assert_back_to(baseline: Usage, slack: usize, what: &str) {
    let now = usage();
    println!("{what}: {baseline:?} -> {now:?}");
    assert_eq!(now.fds, baseline.fds, "{what}: open fds changed ({baseline:?} -> {now:?})");
    let grown = now.bytes.saturating_sub(baseline.bytes);
    assert!(grown <= slack, "{what}: {grown} more bytes live than before ({baseline:?} -> {now:?})");
}

/// Runs `test` on a new runtime, with the fds and memory before the runtime was made
/// and after it was dropped compared as well.
pub fn run_measured<F: Future<Output = ()>>(what: &str, test: F) {
    let before = usage();
    run(test);
    assert_back_to(before, SLACK, &format!("{what}, once the runtime is dropped"));
}
