//! [`LiveTasks`]: every unfinished task, each held by one reference, so that shutdown
//! can drop their futures.

use crate::task::TaskRef;

/// A slab of tasks. A task remembers its slot (`Header::slot`), so removing it touches
/// only that slot — no other task's memory, which matters with many tasks.
#[derive(Default)]
pub(crate) struct LiveTasks {
    slots: Vec<Option<TaskRef>>,
    /// Empty slots, reused last-freed first (warm in cache).
    free: Vec<usize>,
}

impl LiveTasks {
    pub(crate) fn insert(&mut self, task: TaskRef) {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        task.header().slot.set(slot);
        self.slots[slot] = Some(task);
    }

    /// Takes the list's reference to `task`, if it is still listed.
    pub(crate) fn remove(&mut self, task: &TaskRef) -> Option<TaskRef> {
        let slot = task.header().slot.get();
        let entry = self.slots.get_mut(slot)?;
        if entry.as_ref().is_none_or(|listed| listed.as_ptr() != task.as_ptr()) {
            return None;
        }
        self.free.push(slot);
        entry.take()
    }

    /// Empties the list, for shutdown.
    pub(crate) fn drain(&mut self) -> Vec<TaskRef> {
        self.free.clear();
        self.slots.drain(..).flatten().collect()
    }

    /// The listed tasks, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &TaskRef> {
        self.slots.iter().flatten()
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}
