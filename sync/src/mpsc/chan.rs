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
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

pub(super) struct Chan<T> {
    /// Borrowed only to push or pop: no user code runs while it is borrowed.
    queue: RefCell<VecDeque<T>>,
    /// Outside any `RefCell`, so that storing it needs no borrow: only the receiver
    /// stores a waker here, senders only take it.
    rx_waker: Cell<Option<Waker>>,
    rx_closed: Cell<bool>,
    senders: Cell<usize>,
    /// Live `WeakSender`s, for `weak_count`.
    weak_senders: Cell<usize>,
    /// Tasks in `Sender::closed()`.
    closed_waiters: RefCell<WaitList<()>>,
    /// Free slots of a bounded channel; `None` when unbounded.
    pub(super) slots: Option<Semaphore>,
    /// The bound; `usize::MAX` when unbounded.
    pub(super) bound: usize,
}

impl<T> Chan<T> {
    pub(super) fn new(bound: Option<usize>) -> Rc<Chan<T>> {
        Rc::new(Chan {
            queue: RefCell::new(VecDeque::new()),
            rx_waker: Cell::new(None),
            rx_closed: Cell::new(false),
            senders: Cell::new(1),
            weak_senders: Cell::new(0),
            closed_waiters: RefCell::new(WaitList::default()),
            slots: bound.map(Semaphore::new),
            bound: bound.unwrap_or(usize::MAX),
        })
    }

    /// Queues a message (its slot, if bounded, already taken) and wakes the receiver.
    pub(super) fn push(&self, value: T) {
        self.queue.borrow_mut().push_back(value);
        self.wake_rx();
    }

    /// One waker, woken with nothing borrowed: its `wake` may use the channel.
    fn wake_rx(&self) {
        if let Some(waker) = self.rx_waker.take() {
            waker.wake();
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.rx_closed.get()
    }

    pub(super) fn add_sender(&self) {
        self.senders.set(self.senders.get() + 1);
    }

    pub(super) fn sender_count(&self) -> usize {
        self.senders.get()
    }

    pub(super) fn add_weak(&self) {
        self.weak_senders.set(self.weak_senders.get() + 1);
    }

    pub(super) fn drop_weak(&self) {
        self.weak_senders.set(self.weak_senders.get() - 1);
    }

    pub(super) fn weak_count(&self) -> usize {
        self.weak_senders.get()
    }

    /// A new strong sender from a weak one, unless every strong sender is gone (then
    /// the receiver has seen, or will see, the end: the channel cannot reopen).
    pub(super) fn upgrade(&self) -> bool {
        let alive = self.senders.get() > 0;
        if alive {
            self.add_sender();
        }
        alive
    }

    /// The last sender leaving wakes the receiver, which then sees the end.
    pub(super) fn drop_sender(&self) {
        self.senders.set(self.senders.get() - 1);
        if self.senders.get() == 0 {
            self.wake_rx();
        }
    }

    /// A bounded slot given back without a message (a permit dropped unused): if the
    /// receiver is closed, this may be the last thing `recv` waits for.
    pub(super) fn release_slot(&self) {
        self.release_slots(1);
    }

    /// [`release_slot`](Self::release_slot) for `n` slots.
    pub(super) fn release_slots(&self, n: usize) {
        if let Some(slots) = &self.slots {
            slots.release(n);
        }
        self.wake_rx_if_closed();
    }

    /// After a slot came back: a closed receiver waits for the last one.
    pub(super) fn wake_rx_if_closed(&self) {
        if self.is_closed() {
            self.wake_rx();
        }
    }

    /// Whether no message is in flight: none queued and no slot reserved.
    fn is_idle(&self) -> bool {
        self.queue.borrow().is_empty()
            && self.slots.as_ref().is_none_or(|s| s.available_permits() == self.bound)
    }

    /// The receiver\'s `try_recv`: only the one receiver calls it.
    fn pop(&self) -> Result<T, TryRecvError> {
        let chan = self;
        let popped = chan.queue.borrow_mut().pop_front();
        match popped {
            Some(value) => {
                if let Some(slots) = &chan.slots {
                    slots.release(1);
                }
                Ok(value)
            }
            None if chan.senders.get() == 0 => Err(TryRecvError::Disconnected),
            None if chan.rx_closed.get() && chan.is_idle() => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// A sender's wait for the receiver to close; `key` is its place among the waiters.
    pub(super) fn poll_closed(&self, key: &mut Option<WaitKey>, cx: &mut Context<'_>) -> Poll<()> {
        with_waker(cx.waker(), |slot| {
            let mut waiters = self.closed_waiters.borrow_mut();
            if self.rx_closed.get() {
                let removed = key.take().and_then(|key| waiters.remove(key));
                drop(waiters);
                drop(removed);
                return Ok(Poll::Ready(()));
            }
            match *key {
                Some(k) => waiters.set_waker(k, slot)?,
                None => *key = Some(waiters.push_back((), Some(slot.take()?))),
            }
            Ok(Poll::Pending)
        })
    }

    pub(super) fn cancel_closed(&self, key: WaitKey) {
        let removed = self.closed_waiters.borrow_mut().remove(key);
        drop(removed);
    }
}

/// The receiving half's logic, shared by both receivers.
pub(super) struct Rx<T> {
    pub(super) chan: Rc<Chan<T>>,
}

impl<T> Rx<T> {
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let chan = &*self.chan;
        match chan.pop() {
            Ok(value) => return Poll::Ready(Some(value)),
            Err(TryRecvError::Disconnected) => return Poll::Ready(None),
            Err(TryRecvError::Empty) => {}
        }
        match chan.rx_waker.take() {
            // The same task: put it back; no user code ran, so nothing changed.
            Some(stored) if stored.will_wake(cx.waker()) => {
                chan.rx_waker.set(Some(stored));
                return Poll::Pending;
            }
            stale => {
                // Both are user code and may send, close or drop a sender; nothing is
                // borrowed. Only this receiver stores here, so the cell is still empty.
                drop(stale);
                chan.rx_waker.set(Some(cx.waker().clone()));
            }
        }
        // Look again: what the clone (or the drop) did would otherwise be a lost wakeup.
        match chan.pop() {
            Err(TryRecvError::Empty) => Poll::Pending,
            done => {
                drop(chan.rx_waker.take());
                Poll::Ready(done.ok())
            }
        }
    }

    pub(super) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.pop()
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
        let chan = &*self.chan;
        if chan.rx_closed.replace(true) {
            return;
        }
        let woken = chan.closed_waiters.borrow_mut().take_all();
        if let Some(slots) = &chan.slots {
            slots.close();
        }
        wake_all(woken);
    }

    pub(super) fn is_closed(&self) -> bool {
        self.chan.is_closed() || self.chan.senders.get() == 0
    }

    pub(super) fn len(&self) -> usize {
        self.chan.queue.borrow().len()
    }

    /// Takes the receiver's waker out (a `recv()` future dropped while it waited).
    pub(super) fn forget_waker(&self) {
        drop(self.chan.rx_waker.take());
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        self.close();
        self.forget_waker();
        // Drop the messages nobody will receive outside any borrow (their `Drop` may
        // use this channel) and give their slots back.
        let queue = std::mem::take(&mut *self.chan.queue.borrow_mut());
        if let Some(slots) = &self.chan.slots {
            slots.release(queue.len());
        }
        drop(queue);
    }
}
