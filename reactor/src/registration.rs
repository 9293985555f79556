//! The registration table: one [`Source`] per registered fd, found by [`Token`].
//!
//! A token is a slab index plus the slot's *generation*, bumped every time the slot is
//! freed. The OS reports tokens, not fds, and an event may already be queued in the
//! kernel when its fd is deregistered and closed; when the fd number and the slot are
//! reused, the stale event carries the old generation and is dropped here instead of
//! waking the new owner.

use std::os::fd::RawFd;
use std::task::Waker;

use crate::waiters::{Place, WaiterKey, Waiters};
use crate::{Direction, Readiness, Woken};

/// Identifies one registration. Copy it freely; after deregistration it matches nothing.
///
/// ```
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
///
/// let reactor = wakeful_reactor::Reactor::new()?;
/// let (a, _b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let token = reactor.register(a.as_raw_fd())?;
/// reactor.deregister(token)?;
/// assert!(reactor.deregister(token).is_err(), "a token is dead once deregistered");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token(u64);

impl Token {
    fn new(index: u32, generation: u32) -> Token {
        Token(u64::from(generation) << 32 | u64::from(index))
    }

    pub(crate) fn from_event(raw: u64) -> Token {
        Token(raw)
    }

    pub(crate) fn as_u64(self) -> u64 {
        self.0
    }

    fn index(self) -> usize {
        self.0 as u32 as usize
    }

    fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

/// What the reactor knows of one registered fd.
#[derive(Debug)]
pub(crate) struct Source {
    /// Needed to deregister; the fd itself is owned by the caller.
    pub(crate) fd: RawFd,
    /// Bits the OS reported and no `WouldBlock` has cleared since.
    readiness: Readiness,
    /// The futures waiting to read (or accept). Usually one; several tasks may wait on
    /// one listener's `accept`, and each is woken.
    readers: Waiters,
    /// The futures waiting to write.
    writers: Waiters,
}

/// What a poll of a source found.
#[derive(Debug)]
pub(crate) enum Check {
    /// The direction may proceed. Holds the waiter's own waker if its key was still
    /// live, freed now, for the caller to drop once no table is borrowed.
    Ready(Readiness, Option<Waker>),
    /// Not ready; the waiter's place already holds a waker for the same task.
    Waiting,
    /// Not ready; the caller must store a clone of its waker with [`Source::store`]
    /// (cloned outside the table's borrow: a clone runs the waker's own code).
    NeedsWaker,
}

impl Source {
    /// Merges an event into the cached bits and takes the wakers it ends the wait of,
    /// each with the bits that ended it (the event's, in the waiter's direction).
    #[inline]
    pub(crate) fn set_readiness(&mut self, ready: Readiness, wake: &mut Vec<(Waker, Woken)>) {
        self.readiness |= ready;
        let fd = self.fd;
        for dir in [Direction::Read, Direction::Write] {
            let readiness = ready.and(dir.wakes_on());
            if !readiness.is_empty() {
                self.waiters(dir).take_all(|waker| wake.push((waker, Woken::Io { fd, readiness })));
            }
        }
    }

    /// Whether `dir` may proceed, and if not whether `key`'s place holds `waker`.
    // Inlined into `Reactor::poll_ready`, as it was before the waiter tables kept their
    // first place inline: out of line, ~35 instructions more per call (callgrind).
    #[inline]
    pub(crate) fn check(&mut self, dir: Direction, key: &mut Option<WaiterKey>, waker: &Waker) -> Check {
        if self.readiness.intersects(dir.wakes_on()) {
            let own = key.take().and_then(|key| self.waiters(dir).remove(key));
            return Check::Ready(self.readiness, own);
        }
        match self.waiters(dir).place(*key, waker) {
            Place::Current => Check::Waiting,
            Place::NeedsWaker => Check::NeedsWaker,
        }
    }

    /// Stores `waker` in `key`'s place among `dir`'s waiters; returns the waker it
    /// replaced, to be dropped once no table is borrowed.
    pub(crate) fn store(
        &mut self,
        dir: Direction,
        key: &mut Option<WaiterKey>,
        waker: Waker,
    ) -> Option<Waker> {
        self.waiters(dir).store(key, waker)
    }

    pub(crate) fn waiters(&mut self, dir: Direction) -> &mut Waiters {
        match dir {
            Direction::Read => &mut self.readers,
            Direction::Write => &mut self.writers,
        }
    }

    pub(crate) fn readiness(&self) -> Readiness {
        self.readiness
    }

    /// Forgets what said `dir` could proceed, as far as `observed` saw it: called when
    /// an operation tried on the strength of `observed` returned `WouldBlock`, which
    /// proves those bits stale — including closed and error bits, which on some fds
    /// (a UDP socket after an ICMP error, a FIFO whose writer left) do not mean the
    /// operation will never block.
    pub(crate) fn clear_readiness(&mut self, dir: Direction, observed: Readiness) {
        self.readiness = self.readiness.without(observed.and(dir.wakes_on()));
    }
}

/// A slab of sources with generation-checked tokens.
#[derive(Debug, Default)]
pub(crate) struct Registrations {
    slots: Vec<Slot>,
    /// Indices of empty slots, reused last-freed first.
    free: Vec<u32>,
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    source: Option<Source>,
}

impl Registrations {
    pub(crate) fn insert(&mut self, fd: RawFd) -> Token {
        let source = Source {
            fd,
            readiness: Readiness::EMPTY,
            readers: Waiters::default(),
            writers: Waiters::default(),
        };
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                // The top index is never handed out, so no token equals UNPARK_TOKEN.
                assert!(self.slots.len() < u32::MAX as usize, "too many registrations");
                self.slots.push(Slot { generation: 0, source: None });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.source = Some(source);
        Token::new(index, slot.generation)
    }

    /// Removes the source, if the token is current. Its wakers are dropped unwoken:
    /// only the owner of the fd deregisters, and it is not waiting on it.
    pub(crate) fn remove(&mut self, token: Token) -> Option<Source> {
        let slot = self.slots.get_mut(token.index())?;
        if slot.generation != token.generation() {
            return None;
        }
        let source = slot.source.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(token.index() as u32);
        Some(source)
    }

    /// The source for `token`, or `None` if it was removed since (a stale event).
    pub(crate) fn get_mut(&mut self, token: Token) -> Option<&mut Source> {
        let slot = self.slots.get_mut(token.index())?;
        if slot.generation != token.generation() {
            return None;
        }
        slot.source.as_mut()
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Hands every waiting waker to `f`, with its source's fd and direction: for
    /// `Reactor::waiting`. Read-only: no waker is cloned or dropped.
    pub(crate) fn for_each_waker(&self, mut f: impl FnMut(RawFd, Direction, &Waker)) {
        for source in self.slots.iter().filter_map(|slot| slot.source.as_ref()) {
            source.readers.iter().for_each(|waker| f(source.fd, Direction::Read, waker));
            source.writers.iter().for_each(|waker| f(source.fd, Direction::Write, waker));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_token_misses_reused_slot() {
        let mut regs = Registrations::default();
        let old = regs.insert(7);
        assert!(regs.remove(old).is_some());
        let new = regs.insert(7);
        assert_eq!(old.index(), new.index(), "slot is reused");
        assert_ne!(old, new, "but under a new generation");
        assert!(regs.get_mut(old).is_none(), "stale token must not reach the new source");
        assert!(regs.remove(old).is_none(), "stale token must not remove the new source");
        assert!(regs.get_mut(new).is_some());
        assert_eq!(regs.len(), 1);
    }

    #[test]
    fn readiness_is_cleared_only_if_observed() {
        let mut regs = Registrations::default();
        let token = regs.insert(3);
        let source = regs.get_mut(token).unwrap();
        let mut wake = Vec::new();
        source.set_readiness(Readiness::WRITABLE, &mut wake);
        source.clear_readiness(Direction::Read, Readiness::WRITABLE);
        assert!(source.readiness.contains(Readiness::WRITABLE), "another direction's bit");
        source.set_readiness(Readiness::READABLE, &mut wake);
        source.clear_readiness(Direction::Write, Readiness::WRITABLE);
        assert_eq!(source.readiness, Readiness::READABLE, "a bit not observed stays");
    }

    #[test]
    fn would_block_clears_stale_error_and_closed_bits() {
        let mut regs = Registrations::default();
        let token = regs.insert(3);
        let source = regs.get_mut(token).unwrap();
        let mut wake = Vec::new();
        source.set_readiness(Readiness::ERROR | Readiness::READ_CLOSED | Readiness::WRITABLE, &mut wake);
        let observed = source.readiness;
        source.clear_readiness(Direction::Read, observed);
        assert_eq!(source.readiness, Readiness::WRITABLE, "the read wait must block again, not spin");
    }

    #[test]
    fn every_waiting_task_is_woken() {
        use std::sync::Arc;
        use std::task::Wake;
        struct Noop;
        impl Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let (a, b) = (Waker::from(Arc::new(Noop)), Waker::from(Arc::new(Noop)));
        let mut regs = Registrations::default();
        let token = regs.insert(3);
        let source = regs.get_mut(token).unwrap();
        let (mut key_a, mut key_b) = (None, None);
        for (waker, key) in [(&a, &mut key_a), (&b, &mut key_b)] {
            assert!(matches!(source.check(Direction::Read, key, waker), Check::NeedsWaker));
            assert!(source.store(Direction::Read, key, waker.clone()).is_none());
        }
        assert!(matches!(source.check(Direction::Read, &mut key_a, &a), Check::Waiting), "a polls again");
        let mut wake = Vec::new();
        source.set_readiness(Readiness::READABLE, &mut wake);
        assert_eq!(wake.len(), 2, "two tasks waited (one of them polled twice)");
        assert!(wake.iter().all(|(_, woken)| *woken == Woken::Io { fd: 3, readiness: Readiness::READABLE }));
        assert!(matches!(source.check(Direction::Read, &mut key_a, &a), Check::Ready(..)));
    }
}
