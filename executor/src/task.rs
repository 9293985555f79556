//! Tasks from the outside: each has an [`Id`] ([`id()`] inside one), a spawn location,
//! maybe a name (given through a [`Builder`]), and counters, listed as [`TaskInfo`]
//! records by [`tasks`] (or [`Runtime::tasks`](crate::Runtime::tasks)).
//!
//! # Inside
//!
//! One allocation per task: a type-erased `Header` followed by the future's stage.
//!
//! ```text
//!  TaskRef ──► ┌──────────── Header ────────────┐
//!  Waker   ──► │ state   (atomic: flags + refs) │  any thread
//!              │ vtable  inbox  id              │  any thread (read-only)
//!              │ join_waker, detached,          │  runtime thread only
//!              │ cancelled, slot, location,     │
//!              │ name, counters, queued_local,  │
//!              │ poll_ref, abort_handles, ...   │
//!              ├──────────── Stage<F> ──────────┤  runtime thread only
//!              │ Running(F) │ Finished(result)  │
//!              │            │ │ Consumed        │
//!              └────────────────────────────────┘
//! ```
//!
//! Why a waker may travel to other threads although `F` need not be `Send`: from
//! there it only touches `state` and `inbox`, and the future or its output is always
//! dropped on the runtime's thread, before the last reference can go (the live list,
//! or the `JoinHandle` — both on that thread — hold one until then). When the last
//! reference drops elsewhere, the stage is `Consumed` and freeing it runs no user code.
//!
//! Who touches the stage, and when: the run loop (poll, cancel) until `COMPLETE` is
//! set; the `JoinHandle` (take or drop the output) only after. A task may hold its own
//! handle and poll it from inside its own poll, so the handle must not even look at
//! the stage before then. Every user value in the stage is dropped exactly once, with
//! the stage already updated and any panic contained (`finish`, `drop_output`).

use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

mod builder;
mod cause;
pub(crate) mod dump;
mod id;
mod info;

pub use builder::Builder;
pub(crate) use cause::current_cause;
pub use cause::{wake_with_cause, IoEvents, WakeCause};
pub(crate) use dump::wakers_held;
pub use dump::{dump, dump_with, Dump, Holder, TaskDump, WaitsOn};
pub use id::{id, try_id, Id};
pub(crate) use info::{records, Counters, Name};
pub use info::{tasks, TaskInfo, TaskState, WakeKind, Wakes};

use crate::join_error::JoinError;
use crate::scheduler::Inbox;
use crate::state::State;
use crate::unwind;

/// The part of every task that does not depend on its future's type.
pub(crate) struct Header {
    pub(crate) state: State,
    vtable: &'static TaskVTable,
    /// The runtime's cross-thread half: where remote wakes push the task. An `Arc`,
    /// so that a waker outliving the runtime still finds a (closed) queue.
    pub(crate) inbox: Arc<Inbox>,
    /// Process-unique; on the `JoinError`, the handles, and in `task::id()`.
    pub(crate) id: Id,
    /// Woken when the task completes; set by `JoinHandle::poll`. Runtime thread only.
    pub(crate) join_waker: Cell<Option<Waker>>,
    /// The `JoinHandle` was dropped: nobody will read the output. Runtime thread only.
    pub(crate) detached: Cell<bool>,
    /// `abort()` was called: the next run drops the future. Runtime thread only.
    pub(crate) cancelled: Cell<bool>,
    /// Slot in the runtime's list of live tasks. Runtime thread only.
    pub(crate) slot: Cell<usize>,
    /// Where `spawn` was called (`#[track_caller]` on every spawn path).
    pub(crate) location: &'static Location<'static>,
    /// The name given to `task::Builder`; boxed, so an unnamed task pays one pointer.
    pub(crate) name: Option<Box<Name>>,
    /// Polls, wakes, and (if measured) times. Runtime thread only.
    pub(crate) counters: Counters,
    /// A wake on the runtime's thread queued the task: one ready-queue entry stands for
    /// this flag instead of `SCHEDULED`, so that such a wake needs no atomic operation
    /// (see `scheduler::wake_by_val`). Runtime thread only.
    pub(crate) queued_local: Cell<bool>,
    /// Where the run loop's reference to the task is during its poll. Runtime thread only.
    pub(crate) poll_ref: Cell<PollRef>,
    /// Live `AbortHandle`s, each holding a reference that is not a waker's: what a
    /// dump subtracts to count the wakers (`task/dump.rs`). Exact, since an
    /// `AbortHandle` is `!Send`; sticks at `u16::MAX` once reached (then the count of
    /// wakers is unknown, and no task is called lost). Runtime thread only.
    pub(crate) abort_handles: Cell<u16>,
    /// The lost-waker detector reported this task already: once is enough.
    pub(crate) lost_reported: Cell<bool>,
}

/// The run loop's reference to a task during its poll (`run` in `runtime.rs`): lent to
/// the wakers made and dropped on the runtime's thread meanwhile, so that cloning the
/// waker, waking it and dropping it need no atomic operation there. The live list's
/// reference keeps the task alive throughout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollRef {
    /// The task is not being polled.
    Idle,
    /// Being polled; the run loop holds its reference and drops it after the poll. A
    /// waker clone (or a local queue entry) takes it instead of counting a new one.
    Spare,
    /// Being polled; the reference was taken. A local drop of a waker gives one back.
    Lent,
}

/// What only the typed code can do.
///
/// # Safety
/// Every entry must be called with:
/// - `ptr` pointing at a live `Task<F>`, for the very `F` the table was made for;
/// - on the runtime's thread, with the stage not borrowed elsewhere (all but `dealloc`);
/// - for `dealloc`, the last reference just dropped, so nothing else can reach it.
struct TaskVTable {
    /// Polls the future; true if it is gone (ready or panicked), output stored.
    poll: unsafe fn(NonNull<Header>, &Waker) -> bool,
    /// Drops the future and stores `JoinError::Cancelled`.
    cancel: unsafe fn(NonNull<Header>),
    /// Moves the output into `*dst` (an `Option<Result<T, JoinError>>`), if finished.
    take_output: unsafe fn(NonNull<Header>, dst: *mut ()),
    /// Drops the output, if any.
    drop_output: unsafe fn(NonNull<Header>),
    /// Frees the allocation.
    dealloc: unsafe fn(NonNull<Header>),
    /// `std::any::type_name::<F>`, for records and reports.
    type_name: fn() -> &'static str,
}

/// The allocation. `repr(C)` puts the header first, so a `*Task<F>` is a `*Header`.
#[repr(C)]
struct Task<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// One counted reference to a task; dropping it may free the task.
pub(crate) struct TaskRef(NonNull<Header>);

// SAFETY: a `TaskRef` moves between threads only inside a ready queue or a waker;
// off the runtime's thread it touches only `state` (atomic) and `inbox` (`Sync`), and
// a free there runs no user code (see the module docs).
unsafe impl Send for TaskRef {}

impl TaskRef {
    /// Allocates a task. Returns three references: for the live list, for the
    /// `JoinHandle` and for the ready queue, as counted by [`State::new`].
    #[inline(always)] // into `spawn_on`: out of line, a call and a spill more per spawn
    pub(crate) fn new<F: Future + 'static>(
        future: F,
        inbox: Arc<Inbox>,
        location: &'static Location<'static>,
        name: Option<Box<Name>>,
    ) -> [TaskRef; 3] {
        // Written in place into the allocation: built on the stack and moved, a task
        // now too large to stay in registers was `memcpy`d (measured, ~30 instructions
        // per spawn).
        let mut task = Box::<Task<F>>::new_uninit();
        let place = task.as_mut_ptr();
        let header = Header {
            state: State::new(),
            vtable: &TaskVTable {
                poll: poll::<F>,
                cancel: cancel::<F>,
                take_output: take_output::<F>,
                drop_output: drop_output::<F>,
                dealloc: dealloc::<F>,
                type_name: std::any::type_name::<F>,
            },
            inbox,
            id: Id::next(),
            join_waker: Cell::new(None),
            detached: Cell::new(false),
            cancelled: Cell::new(false),
            slot: Cell::new(0),
            location,
            name,
            counters: Counters::default(),
            queued_local: Cell::new(false),
            poll_ref: Cell::new(PollRef::Idle),
            abort_handles: Cell::new(0),
            lost_reported: Cell::new(false),
        };
        // SAFETY: `place` points at the uninitialized allocation, valid for writes of
        // both fields, each written exactly once; nothing reads it before.
        unsafe {
            ptr::addr_of_mut!((*place).header).write(header);
            ptr::addr_of_mut!((*place).stage).write(UnsafeCell::new(Stage::Running(future)));
        }
        // SAFETY: both fields are initialized just above.
        let task = unsafe { task.assume_init() };
        let ptr = NonNull::from(Box::leak(task)).cast::<Header>();
        [TaskRef(ptr), TaskRef(ptr), TaskRef(ptr)]
    }

    /// Takes over a reference that was counted but not owned by a `TaskRef`.
    ///
    /// # Safety
    /// - `ptr` came from [`TaskRef::as_ptr`] of a live task;
    /// - the reference it stands for is owned by the caller and counted in `state`.
    pub(crate) unsafe fn from_raw(ptr: *const ()) -> TaskRef {
        // SAFETY: the caller promises `ptr` is a live task header, so not null.
        TaskRef(unsafe { NonNull::new_unchecked(ptr as *mut Header) })
    }

    pub(crate) fn as_ptr(&self) -> *const () {
        self.0.as_ptr() as *const ()
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a `TaskRef` holds a reference, so the allocation is live.
        unsafe { self.0.as_ref() }
    }

    /// The future's type name.
    pub(crate) fn future_type(&self) -> &'static str {
        (self.header().vtable.type_name)()
    }

    /// Polls the future once; true if it is gone. Runtime thread only.
    pub(crate) fn poll(&self, waker: &Waker) -> bool {
        // SAFETY: the vtable matches the allocation's type; we are on the runtime's
        // thread (the only caller is the run loop), which owns the stage.
        unsafe { (self.header().vtable.poll)(self.0, waker) }
    }

    /// Drops the future, leaving `JoinError::Cancelled`. Runtime thread only.
    pub(crate) fn cancel(&self) {
        // SAFETY: as in `poll`; the future is not being polled (the run loop calls
        // this instead of `poll`, and shutdown calls it outside any poll).
        unsafe { (self.header().vtable.cancel)(self.0) }
    }

    /// Moves the output out, if the task is complete and the output still there.
    /// Runtime thread only.
    ///
    /// Before `COMPLETE` the stage is not touched at all: the run loop may be inside
    /// this very task's poll (a task awaiting its own `JoinHandle`), holding the
    /// stage borrowed.
    ///
    /// # Safety
    /// - `T` is the task's `F::Output`.
    pub(crate) unsafe fn take_output<T>(&self) -> Option<Result<T, JoinError>> {
        if !self.header().state.is_complete() {
            return None;
        }
        let mut out: Option<Result<T, JoinError>> = None;
        // SAFETY: the caller guarantees the type; `out` is a live local of it. Once
        // complete, the future is gone and nothing borrows the stage any more.
        unsafe { (self.header().vtable.take_output)(self.0, (&mut out as *mut Option<_>).cast()) };
        out
    }

    /// Drops the output, if the task is complete and the output still there; a
    /// panicking `Drop` is contained. Runtime thread only.
    pub(crate) fn drop_output(&self) {
        if !self.header().state.is_complete() {
            return; // as in `take_output`: the stage may be borrowed by a poll
        }
        // SAFETY: the vtable matches the allocation; once complete, nothing borrows
        // the stage.
        unsafe { (self.header().vtable.drop_output)(self.0) }
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> TaskRef {
        self.header().state.ref_inc();
        TaskRef(self.0)
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference: no one else can reach the task.
            unsafe { (self.header().vtable.dealloc)(self.0) }
        }
    }
}

/// # Safety
/// - `ptr` is a live `Task<F>`;
/// - the caller is on the runtime's thread and nothing else borrows the stage.
unsafe fn stage<'a, F: Future>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
    // SAFETY: `repr(C)` makes the header the first field; the caller vouches for `F`
    // and for exclusive access to the stage.
    unsafe { &mut *ptr.cast::<Task<F>>().as_ref().stage.get() }
}

/// The id in the header of a live task.
fn ptr_id(ptr: NonNull<Header>) -> Id {
    // SAFETY: the vtable entries calling this have a live task (their contract).
    unsafe { ptr.as_ref() }.id
}

/// # Safety
/// - as for the [`TaskVTable`] entry of the same name;
/// - the future is not being polled already (no re-entrant poll).
unsafe fn poll<F: Future>(ptr: NonNull<Header>, waker: &Waker) -> bool {
    // SAFETY: forwarded from `TaskRef::poll`.
    let stage = unsafe { stage::<F>(ptr) };
    let Stage::Running(future) = stage else { return true };
    // SAFETY: the future lives in the heap allocation and is never moved out of it
    // while `Running`: it is only dropped in place (by `finish` below or `cancel`).
    let future = unsafe { Pin::new_unchecked(future) };
    let result = match panic::catch_unwind(AssertUnwindSafe(|| future.poll(&mut Context::from_waker(waker))))
    {
        Ok(Poll::Pending) => return false,
        Ok(Poll::Ready(output)) => Ok(output),
        Err(payload) => Err(JoinError::panicked(ptr_id(ptr), payload)),
    };
    finish(stage, result);
    true
}

/// # Safety
/// - as for the [`TaskVTable`] entry of the same name;
/// - the future is not being polled (the run loop calls this instead of `poll`).
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: forwarded from `TaskRef::cancel`.
    let stage = unsafe { stage::<F>(ptr) };
    if matches!(stage, Stage::Running(_)) {
        finish(stage, Err(JoinError::cancelled(ptr_id(ptr))));
    }
}

/// Replaces the stage (dropping the future, if still there) with the result.
///
/// The future is pinned: it must be dropped where it lies, never moved out first (a
/// `mem::replace` would move it, and an `async` block borrowing its own locals would
/// then run destructors through dangling references). A panicking `Drop` is contained
/// (so is a panic from dropping that panic's payload: [`unwind::contain`] never
/// unwinds); the place then counts as dropped, and is overwritten without being read.
/// Were the write skipped, the stage would still say `Running` and the future would
/// be dropped a second time at shutdown.
fn finish<F: Future>(stage: &mut Stage<F>, result: Result<F::Output, JoinError>) {
    let place: *mut Stage<F> = stage;
    // SAFETY: `place` is valid and exclusively ours (from `&mut`); it is dropped in
    // place exactly once, and then written without reading or dropping the old value.
    // `contain` does not unwind, so the write always follows the drop.
    unsafe {
        unwind::contain(|| ptr::drop_in_place(place));
        ptr::write(place, Stage::Finished(result));
    }
}

/// # Safety
/// - as for the [`TaskVTable`] entry of the same name;
/// - `dst` points at a live `Option<Result<F::Output, JoinError>>`.
unsafe fn take_output<F: Future>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: forwarded from `TaskRef::take_output`.
    let stage = unsafe { stage::<F>(ptr) };
    if let Stage::Finished(_) = stage {
        let Stage::Finished(result) = mem::replace(stage, Stage::Consumed) else { unreachable!() };
        // SAFETY: the caller of `TaskRef::take_output` guarantees `dst` is a live
        // `Option<Result<F::Output, JoinError>>`.
        unsafe { *dst.cast::<Option<Result<F::Output, JoinError>>>() = Some(result) };
    }
}

/// # Safety
/// - as for the [`TaskVTable`] entry of the same name.
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: forwarded from `TaskRef::drop_output`.
    let stage = unsafe { stage::<F>(ptr) };
    if let Stage::Finished(_) = stage {
        // `Consumed` first, the user's `Drop` after: whatever it does, the stage is
        // already right.
        let old = mem::replace(stage, Stage::Consumed);
        unwind::contain(|| drop(old));
    }
}

/// # Safety
/// - as for the [`TaskVTable`] entry of the same name.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the last reference is gone, so we own the allocation; it was made by
    // `Box::new` in `TaskRef::new` for this `F`.
    let mut task = unsafe { Box::from_raw(ptr.cast::<Task<F>>().as_ptr()) };
    debug_assert!(matches!(task.stage.get_mut(), Stage::Consumed), "task freed with its future or output");
    drop(task);
}
