//! Wakers whose `clone` runs test code that calls back into the primitive being polled.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// What a [`reentrant_waker`] shares with its test: the code its `clone` runs, and
/// counts of its clones and wakes.
pub struct Hooks {
    on_clone: Box<dyn Fn()>,
    pub clones: Cell<usize>,
    pub wakes: Cell<usize>,
}

/// A waker whose `clone` first runs `on_clone`. It is `Rc`-based: it must stay on
/// the thread that made it, which every test here does.
pub fn reentrant_waker(on_clone: impl Fn() + 'static) -> (Waker, Rc<Hooks>) {
    let hooks = Rc::new(Hooks { on_clone: Box::new(on_clone), clones: Cell::new(0), wakes: Cell::new(0) });
    let data = Rc::into_raw(hooks.clone()).cast::<()>();
    // SAFETY: `data` is an `Rc<Hooks>` given up by `into_raw`, which the vtable
    // functions own one count of; the waker never leaves this thread.
    let waker = unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) };
    (waker, hooks)
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_raw, wake_raw, wake_by_ref_raw, drop_raw);

/// # Safety
/// `data` comes from `Rc::<Hooks>::into_raw` and its count is still held.
unsafe fn hooks<'a>(data: *const ()) -> &'a Hooks {
    // SAFETY: per the caller's contract the `Rc` is alive while its count is held.
    unsafe { &*data.cast::<Hooks>() }
}

unsafe fn clone_raw(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds a count of this `Rc`.
    let hooks = unsafe { hooks(data) };
    hooks.clones.set(hooks.clones.get() + 1);
    (hooks.on_clone)();
    // SAFETY: as above; the new waker owns the count added here.
    unsafe { Rc::increment_strong_count(data.cast::<Hooks>()) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake_raw(data: *const ()) {
    // SAFETY: `wake` consumes the waker and its count.
    unsafe {
        wake_by_ref_raw(data);
        drop_raw(data);
    }
}

unsafe fn wake_by_ref_raw(data: *const ()) {
    // SAFETY: the waker being woken holds a count of this `Rc`.
    let hooks = unsafe { hooks(data) };
    hooks.wakes.set(hooks.wakes.get() + 1);
}

unsafe fn drop_raw(data: *const ()) {
    // SAFETY: the waker being dropped gives its count back exactly once.
    unsafe { Rc::decrement_strong_count(data.cast::<Hooks>()) };
}

pub fn poll_with<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

/// A call the clone makes exactly once, then never again.
pub fn once(call: impl Fn() + 'static) -> impl Fn() + 'static {
    let done = Cell::new(false);
    move || {
        if !done.replace(true) {
            call();
        }
    }
}
