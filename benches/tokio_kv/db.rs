//! The shared state: keys with optional deadlines, and pub/sub channels.
//!
//! One `Db` per server, shared by every connection through an `Rc` (one thread, no
//! lock). Expired keys are removed by one background task with one timer, set for the
//! nearest deadline: a `SET ... PX` that brings the nearest deadline forward wakes it
//! through a `Notify`. A read also treats a key past its deadline as gone, so the
//! task running late never shows a client an expired value.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::time::Instant;

use tokio::sync::{broadcast, Notify};
use tokio::time::sleep_until;

/// A published message, shared by every subscriber's queue (an `Arc`:
/// tokio_stream's `BroadcastStream` needs `Send` values).
pub type Message = std::sync::Arc<[u8]>;

/// Messages a slow subscriber may fall behind by before it skips ahead.
const CHANNEL_CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct Db {
    shared: Rc<Shared>,
}

struct Shared {
    state: RefCell<State>,
    /// Wakes the expiry task: a nearer deadline, or shutdown.
    background: Notify,
}

#[derive(Default)]
struct State {
    entries: HashMap<Vec<u8>, Entry>,
    /// (deadline, id, key) of every key with a deadline; the first is the nearest.
    expirations: BTreeSet<(Instant, u64, Vec<u8>)>,
    channels: HashMap<Vec<u8>, broadcast::Sender<Message>>,
    /// How many channels there may be before those nobody listens to are swept out.
    sweep_at: usize,
    next_id: u64,
    shutdown: bool,
}

struct Entry {
    data: Vec<u8>,
    expires: Option<(Instant, u64)>,
}

/// When `SET` may write: always, only if the key is absent (NX), or present (XX).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SetCondition {
    Always,
    IfAbsent,
    IfPresent,
}

impl Db {
    /// A database, and its expiry task (spawned; it ends at `shut_down`).
    pub fn new() -> Db {
        let shared = Rc::new(Shared { state: RefCell::default(), background: Notify::new() });
        tokio::task::spawn_local(purge_expired_keys(shared.clone()));
        Db { shared }
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut state = self.shared.state.borrow_mut();
        if state.expired(key) {
            state.remove(key);
            return None;
        }
        state.entries.get(key).map(|entry| entry.data.clone())
    }

    pub fn exists(&self, key: &[u8]) -> bool {
        let state = self.shared.state.borrow();
        state.entries.contains_key(key) && !state.expired(key)
    }

    /// Sets `key`; false if `condition` forbade it.
    pub fn set(
        &self,
        key: Vec<u8>,
        data: Vec<u8>,
        expires: Option<Instant>,
        condition: SetCondition,
    ) -> bool {
        let mut state = self.shared.state.borrow_mut();
        let present = state.entries.contains_key(&key) && !state.expired(&key);
        match condition {
            SetCondition::IfAbsent if present => return false,
            SetCondition::IfPresent if !present => return false,
            _ => {}
        }
        let mut wake = false;
        let expires = expires.map(|when| {
            state.next_id += 1;
            let id = state.next_id;
            // The task sleeps until the nearest deadline: wake it if this one is nearer.
            wake = state.expirations.first().is_none_or(|(nearest, ..)| when < *nearest);
            state.expirations.insert((when, id, key.clone()));
            (when, id)
        });
        let old = state.entries.insert(key.clone(), Entry { data, expires });
        if let Some((when, id)) = old.and_then(|entry| entry.expires) {
            state.expirations.remove(&(when, id, key));
        }
        drop(state);
        if wake {
            self.shared.background.notify_one();
        }
        true
    }

    /// Removes `key`; true if it was there (and not expired).
    pub fn delete(&self, key: &[u8]) -> bool {
        let mut state = self.shared.state.borrow_mut();
        let live = !state.expired(key);
        state.remove(key) && live
    }

    /// A receiver of `channel`'s messages from now on.
    pub fn subscribe(&self, channel: &[u8]) -> broadcast::Receiver<Message> {
        let mut state = self.shared.state.borrow_mut();
        match state.channels.get(channel) {
            Some(sender) => sender.subscribe(),
            None => {
                // A subscribed connection that closes leaves its channels to the
                // sweep; at most twice the live ones, so the sweeps cost O(1) each.
                if state.channels.len() >= state.sweep_at {
                    state.channels.retain(|_, sender| sender.receiver_count() > 0);
                    state.sweep_at = (2 * state.channels.len()).max(64);
                }
                let (sender, receiver) = broadcast::channel(CHANNEL_CAPACITY);
                state.channels.insert(channel.to_vec(), sender);
                receiver
            }
        }
    }

    /// Forgets `channel` if nobody listens to it any more (each channel's queue holds
    /// `CHANNEL_CAPACITY` slots, published to or not), as Redis does.
    pub fn unsubscribed(&self, channel: &[u8]) {
        let mut state = self.shared.state.borrow_mut();
        if state.channels.get(channel).is_some_and(|sender| sender.receiver_count() == 0) {
            state.channels.remove(channel);
        }
    }

    /// Sends `message` to `channel`'s subscribers; how many there were.
    pub fn publish(&self, channel: &[u8], message: &[u8]) -> usize {
        let mut state = self.shared.state.borrow_mut();
        let Some(sender) = state.channels.get(channel) else { return 0 };
        match sender.send(Message::from(message)) {
            Ok(receivers) => receivers,
            Err(_) => {
                // Nobody listens any more: forget the channel.
                state.channels.remove(channel);
                0
            }
        }
    }

    /// Stops the expiry task.
    pub fn shut_down(&self) {
        self.shared.state.borrow_mut().shutdown = true;
        self.shared.background.notify_one();
    }
}

impl State {
    fn expired(&self, key: &[u8]) -> bool {
        let deadline = self.entries.get(key).and_then(|entry| entry.expires);
        deadline.is_some_and(|(when, _)| when <= Instant::now())
    }

    fn remove(&mut self, key: &[u8]) -> bool {
        let Some(entry) = self.entries.remove(key) else { return false };
        if let Some((when, id)) = entry.expires {
            self.expirations.remove(&(when, id, key.to_vec()));
        }
        true
    }

    /// Removes the keys past their deadline; the next deadline, if any.
    fn purge(&mut self, now: Instant) -> Option<Instant> {
        while let Some((when, _, key)) = self.expirations.first().cloned() {
            if when > now {
                return Some(when);
            }
            self.remove(&key);
        }
        None
    }
}

/// The expiry task: removes what expired, then sleeps until the nearest deadline or a
/// notification, whichever is first. A `notify_one` that comes while it runs is kept
/// as a permit by `Notify`, so none is lost between the purge and the wait.
async fn purge_expired_keys(shared: Rc<Shared>) {
    loop {
        let next = {
            let mut state = shared.state.borrow_mut();
            if state.shutdown {
                return;
            }
            state.purge(Instant::now())
        };
        match next {
            Some(when) => tokio::select! {
                _ = sleep_until(when.into()) => {}
                _ = shared.background.notified() => {}
            },
            None => shared.background.notified().await,
        }
    }
}
