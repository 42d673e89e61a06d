//! What the supervisor tracks for [`SourceState`]: the attempt count, the next retry, the last
//! error, the events received, and who watches it change.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::state::LastError;

/// A callback run after every change of state.
pub(crate) type StateCallback = Rc<RefCell<dyn FnMut()>>;

/// The tracked parts of a source's state.
#[derive(Default)]
pub(super) struct Tracker {
    pub(super) attempt: Cell<u32>,
    pub(super) next_retry_at: Cell<Option<f64>>,
    pub(super) last_error: RefCell<Option<LastError>>,
    pub(super) events_received: Cell<u64>,
    /// Counts changes: a snapshot is current while this has not moved.
    pub(super) version: Cell<u64>,
    watchers: RefCell<Vec<(u64, StateCallback)>>,
}

impl Tracker {
    pub(super) fn watch(&self, id: u64, callback: StateCallback) {
        self.watchers.borrow_mut().push((id, callback));
    }

    /// Removes a watcher; returns whether it was one.
    pub(super) fn unwatch(&self, id: u64) -> bool {
        let removed = {
            let mut watchers = self.watchers.borrow_mut();
            watchers
                .iter()
                .position(|(watcher, _)| *watcher == id)
                .map(|index| watchers.remove(index))
        };
        removed.is_some()
    }

    /// Something changed: a new version, and every watcher is told (one that is already
    /// running, a re-entrant change, is skipped).
    pub(super) fn changed(&self) {
        self.version.set(self.version.get().wrapping_add(1));
        if self.watchers.borrow().is_empty() {
            return;
        }
        let watchers: Vec<StateCallback> = self
            .watchers
            .borrow()
            .iter()
            .map(|(_, callback)| callback.clone())
            .collect();
        for watcher in watchers {
            if let Ok(mut watcher) = watcher.try_borrow_mut() {
                watcher();
            }
        }
    }

    /// The source closed: no change can follow.
    pub(super) fn release(&self) {
        let watchers = std::mem::take(&mut *self.watchers.borrow_mut());
        drop(watchers);
    }

    pub(super) fn failed(&self, error: LastError, attempt: u32, next_retry_at: Option<f64>) {
        *self.last_error.borrow_mut() = Some(error);
        self.attempt.set(attempt);
        self.next_retry_at.set(next_retry_at);
    }

    pub(super) fn opened(&self) {
        self.attempt.set(0);
        self.next_retry_at.set(None);
        self.last_error.borrow_mut().take();
    }
}
