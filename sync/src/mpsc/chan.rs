//! The state both mpsc flavours share: the queue, the receiver's waker, the senders'
//! count and the `closed()` waiters; plus [`Rx`], the receiving logic both receivers
//! wrap.
//!
//! A bounded channel counts its free slots in a [`Semaphore`]: a sender takes a permit
//! before it queues a message, the permit travels with the message, and the receiver
//! gives it back when it takes the message out. Closing the receiver closes the
//! semaphore, which fails the senders that wait for room.

use super::error::TryRecvError;
use crate::semaphore::Semaphore;
use crate::waiters::{wake_all, with_waker, WaitKey, WaitList};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

pub(super) struct Chan<T> {
    state: RefCell<State<T>>,
    senders: Cell<usize>,
    /// Free slots of a bounded channel; `None` when unbounded.
    pub(super) slots: Option<Semaphore>,
    /// The bound; `usize::MAX` when unbounded.
    pub(super) bound: usize,
}

struct State<T> {
    queue: VecDeque<T>,
    rx_waker: Option<Waker>,
    rx_closed: bool,
    /// Tasks in `Sender::closed()`.
    closed_waiters: WaitList<()>,
}

impl<T> Chan<T> {
    pub(super) fn new(bound: Option<usize>) -> Rc<Chan<T>> {
        Rc::new(Chan {
            state: RefCell::new(State {
                queue: VecDeque::new(),
                rx_waker: None,
                rx_closed: false,
                closed_waiters: WaitList::default(),
            }),
            senders: Cell::new(1),
            slots: bound.map(Semaphore::new),
            bound: bound.unwrap_or(usize::MAX),
        })
    }

    /// Queues a message (its slot, if bounded, already taken) and wakes the receiver.
    pub(super) fn push(&self, value: T) {
        let waker = {
            let mut state = self.state.borrow_mut();
            state.queue.push_back(value);
            state.rx_waker.take()
        };
        wake_all(waker);
    }

    pub(super) fn is_closed(&self) -> bool {
        self.state.borrow().rx_closed
    }

    pub(super) fn add_sender(&self) {
        self.senders.set(self.senders.get() + 1);
    }

    /// The last sender leaving wakes the receiver, which then sees the end.
    pub(super) fn drop_sender(&self) {
        self.senders.set(self.senders.get() - 1);
        if self.senders.get() == 0 {
            let waker = self.state.borrow_mut().rx_waker.take();
            wake_all(waker);
        }
    }

    /// A bounded slot given back without a message (a permit dropped unused): if the
    /// receiver is closed, this may be the last thing `recv` waits for.
    pub(super) fn release_slot(&self) {
        if let Some(slots) = &self.slots {
            slots.release(1);
        }
        self.wake_rx_if_closed();
    }

    /// After a slot came back: a closed receiver waits for the last one.
    pub(super) fn wake_rx_if_closed(&self) {
        if self.is_closed() {
            let waker = self.state.borrow_mut().rx_waker.take();
            wake_all(waker);
        }
    }

    /// Whether no message is in flight: none queued and no slot reserved.
    fn is_idle(&self, state: &State<T>) -> bool {
        state.queue.is_empty() && self.slots.as_ref().is_none_or(|s| s.available_permits() == self.bound)
    }

    /// A sender's wait for the receiver to close; `key` is its place among the waiters.
    pub(super) fn poll_closed(&self, key: &mut Option<WaitKey>, cx: &mut Context<'_>) -> Poll<()> {
        with_waker(cx.waker(), |slot| {
            let mut state = self.state.borrow_mut();
            if state.rx_closed {
                let removed = key.take().and_then(|key| state.closed_waiters.remove(key));
                drop(state);
                drop(removed);
                return Ok(Poll::Ready(()));
            }
            match *key {
                Some(k) => state.closed_waiters.set_waker(k, slot)?,
                None => *key = Some(state.closed_waiters.push_back((), Some(slot.take()?))),
            }
            Ok(Poll::Pending)
        })
    }

    pub(super) fn cancel_closed(&self, key: WaitKey) {
        let removed = self.state.borrow_mut().closed_waiters.remove(key);
        drop(removed);
    }
}

/// `Sender::closed`'s future, for both flavours.
pub(super) struct Closed<'a, T> {
    pub(super) chan: &'a Chan<T>,
    pub(super) key: Option<WaitKey>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.chan.poll_closed(&mut this.key, cx)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.cancel_closed(key);
        }
    }
}

/// The receiving half's logic, shared by both receivers.
pub(super) struct Rx<T> {
    pub(super) chan: Rc<Chan<T>>,
}

impl<T> Rx<T> {
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        // `try_recv` again after a clone: it may have sent, or dropped the last sender.
        with_waker(cx.waker(), |slot| match self.try_recv() {
            Ok(value) => Ok(Poll::Ready(Some(value))),
            Err(TryRecvError::Disconnected) => Ok(Poll::Ready(None)),
            Err(TryRecvError::Empty) => {
                slot.store_in(&mut self.chan.state.borrow_mut().rx_waker)?;
                Ok(Poll::Pending)
            }
        })
    }

    pub(super) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.chan.state.borrow_mut();
        let popped = state.queue.pop_front();
        match popped {
            Some(value) => {
                drop(state);
                if let Some(slots) = &self.chan.slots {
                    slots.release(1);
                }
                Ok(value)
            }
            None if self.chan.senders.get() == 0 => Err(TryRecvError::Disconnected),
            None if state.rx_closed && self.chan.is_idle(&state) => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Up to `limit` messages into `buffer`, waiting for the first; 0 at the end (or
    /// when `limit` is 0).
    pub(super) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let first = match self.poll_recv(cx) {
            Poll::Ready(Some(first)) => first,
            Poll::Ready(None) => return Poll::Ready(0),
            Poll::Pending => return Poll::Pending,
        };
        buffer.push(first);
        let mut taken = 1;
        while taken < limit {
            match self.try_recv() {
                Ok(value) => buffer.push(value),
                Err(_) => break,
            }
            taken += 1;
        }
        Poll::Ready(taken)
    }

    /// Refuses new messages; those queued can still be received.
    pub(super) fn close(&mut self) {
        let woken = {
            let mut state = self.chan.state.borrow_mut();
            if state.rx_closed {
                return;
            }
            state.rx_closed = true;
            state.closed_waiters.take_all()
        };
        if let Some(slots) = &self.chan.slots {
            slots.close();
        }
        wake_all(woken);
    }

    pub(super) fn is_closed(&self) -> bool {
        self.chan.is_closed() || self.chan.senders.get() == 0
    }

    pub(super) fn len(&self) -> usize {
        self.chan.state.borrow().queue.len()
    }

    /// Takes the receiver's waker out (a `recv()` future dropped while it waited).
    pub(super) fn forget_waker(&self) {
        let old = self.chan.state.borrow_mut().rx_waker.take();
        drop(old);
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        self.close();
        self.forget_waker();
        // Drop the messages nobody will receive outside any borrow (their `Drop` may
        // use this channel) and give their slots back.
        let queue = std::mem::take(&mut self.chan.state.borrow_mut().queue);
        if let Some(slots) = &self.chan.slots {
            slots.release(queue.len());
        }
        drop(queue);
    }
}
