//! What the exported macros (`select!`, `join!`, `try_join!`) expand to call: a
//! cheap random start for `select!`, and the `MaybeDone` slot that keeps a joined
//! future's output until all are done. Public only for the macros' sake (hidden
//! under `wakeful::__private`); not part of the API.

mod join;
mod select;

use std::cell::Cell;
use std::future::Future;
use std::hash::BuildHasher;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    /// xorshift32 state; seeded once per thread from std's random hasher keys, so
    /// that no two threads (and no two runs) start in step. Never zero.
    static RANDOM: Cell<u32> = Cell::new(std::collections::hash_map::RandomState::new().hash_one(0u8) as u32 | 1);
}

/// A number in `0..n` (0 if `n` is 0): where an unbiased `select!` starts polling.
/// Not for anything but fairness: xorshift32, mapped by multiply-and-shift.
pub fn random_below(n: u32) -> u32 {
    RANDOM.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        state.set(x);
        ((u64::from(x) * u64::from(n)) >> 32) as u32
    })
}

/// A future being joined, then its output, then nothing once the output is taken.
#[derive(Debug)]
pub enum MaybeDone<F: Future> {
    /// Still running.
    Future(F),
    /// Finished; the output waits to be taken.
    Done(F::Output),
    /// The output was taken (or, in `try_join!`, was an error handed on).
    Gone,
}

impl<F: Future> MaybeDone<F> {
    /// Wraps `future`.
    pub fn new(future: F) -> MaybeDone<F> {
        MaybeDone::Future(future)
    }

    /// Polls the future if it still runs; true once it has finished.
    pub fn poll_done(self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        // SAFETY: the future is never moved: it is polled where it lies, and the
        // assignment below drops it in place before writing the output over it.
        let this = unsafe { self.get_unchecked_mut() };
        if let MaybeDone::Future(future) = this {
            // SAFETY: pinned with `this`, see above.
            match unsafe { Pin::new_unchecked(future) }.poll(cx) {
                Poll::Ready(output) => *this = MaybeDone::Done(output),
                Poll::Pending => return false,
            }
        }
        true
    }

    /// The output, if finished and not taken yet.
    pub fn take(self: Pin<&mut Self>) -> Option<F::Output> {
        // SAFETY: only a `Done` (no future in it, nothing pinned) is moved out.
        let this = unsafe { self.get_unchecked_mut() };
        match this {
            MaybeDone::Done(_) => match mem::replace(this, MaybeDone::Gone) {
                MaybeDone::Done(output) => Some(output),
                _ => None,
            },
            _ => None,
        }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> MaybeDone<F> {
    /// As [`poll_done`](Self::poll_done), but an `Err` output is taken at once and
    /// returned, for `try_join!` to stop on.
    pub fn poll_try(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Result<bool, E> {
        if !self.as_mut().poll_done(cx) {
            return Ok(false);
        }
        // SAFETY: as in `take`: only a finished output is moved, never the future.
        let this = unsafe { self.get_unchecked_mut() };
        if let MaybeDone::Done(Err(_)) = this {
            if let MaybeDone::Done(Err(err)) = mem::replace(this, MaybeDone::Gone) {
                return Err(err);
            }
        }
        Ok(true)
    }

    /// The `Ok` value of a finished future.
    ///
    /// # Panics
    /// If the future has not finished with `Ok` (a bug in `try_join!`).
    pub fn take_ok(self: Pin<&mut Self>) -> T {
        match self.take() {
            Some(Ok(value)) => value,
            _ => unreachable!("try_join!: output taken before every future finished with Ok"),
        }
    }
}
