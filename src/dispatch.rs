//! Dispatch: which listeners want which event type, and calling them in order.
//!
//! Knows nothing of transports or connections. A listener removed by an earlier one during the
//! same dispatch is not called; one already running (a re-entrant dispatch) is skipped rather
//! than borrowed twice. Once closed, the callbacks are dropped (breaking any cycle a callback
//! closes over), but only after the outermost dispatch has reached every listener registered
//! when it began, as DOM dispatch does.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A callback for events of one type.
pub(crate) type RawCallback = Rc<RefCell<dyn FnMut(&web_sys::Event)>>;
/// A callback run once when the source closes for good.
pub(crate) type CloseCallback = Rc<RefCell<dyn FnMut()>>;

struct Slot {
    id: u64,
    event_type: Cow<'static, str>,
    callback: RawCallback,
}

/// The listeners of one source.
#[derive(Default)]
pub(crate) struct Listeners {
    next_id: Cell<u64>,
    slots: RefCell<Vec<Slot>>,
    watchers: RefCell<Vec<(u64, CloseCallback)>>,
    closed: Cell<bool>,
    /// How many dispatches are running.
    depth: Cell<u32>,
}

impl Listeners {
    /// A new id, unique among this source's listeners and watchers.
    pub(crate) fn take_id(&self) -> u64 {
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        id
    }

    /// Registers `callback` for events of `event_type`; returns its id. Once closed the
    /// callback is dropped at once (it could never run).
    pub(crate) fn add(&self, event_type: Cow<'static, str>, callback: RawCallback) -> u64 {
        let id = self.take_id();
        if !self.closed.get() {
            self.slots.borrow_mut().push(Slot {
                id,
                event_type,
                callback,
            });
        }
        id
    }

    /// Registers `callback` to run once when the source closes for good.
    pub(crate) fn watch_close(&self, callback: CloseCallback) -> u64 {
        let id = self.take_id();
        if !self.closed.get() {
            self.watchers.borrow_mut().push((id, callback));
        }
        id
    }

    /// Removes a listener or close watcher; returns the event type of a removed listener.
    /// Unknown ids are ignored.
    pub(crate) fn remove(&self, id: u64) -> Option<Cow<'static, str>> {
        let removed = {
            let mut slots = self.slots.borrow_mut();
            slots
                .iter()
                .position(|slot| slot.id == id)
                .map(|index| slots.remove(index))
        };
        match removed {
            Some(slot) => Some(slot.event_type.clone()),
            None => {
                let watcher = {
                    let mut watchers = self.watchers.borrow_mut();
                    watchers
                        .iter()
                        .position(|(watcher, _)| *watcher == id)
                        .map(|index| watchers.remove(index))
                };
                drop(watcher);
                None
            }
        }
    }

    /// Whether any listener waits for `event_type`.
    pub(crate) fn has(&self, event_type: &str) -> bool {
        self.slots
            .borrow()
            .iter()
            .any(|slot| slot.event_type == event_type)
    }

    fn is_registered(&self, id: u64) -> bool {
        self.slots.borrow().iter().any(|slot| slot.id == id)
    }

    /// Calls every listener of `event_type` registered now, in registration order.
    pub(crate) fn dispatch(&self, event_type: &str, event: &web_sys::Event) {
        if self.closed.get() {
            return;
        }
        let targets = crate::support::take_few(
            self.slots
                .borrow()
                .iter()
                .filter(|slot| slot.event_type == event_type)
                .map(|slot| (slot.id, slot.callback.clone())),
        );
        self.depth.set(self.depth.get().saturating_add(1));
        for (id, callback) in targets {
            if !self.is_registered(id) {
                continue;
            }
            if let Ok(mut callback) = callback.try_borrow_mut() {
                callback(event);
            }
        }
        self.depth.set(self.depth.get().saturating_sub(1));
        if self.closed.get() {
            self.release();
        }
    }

    /// No event can come any more: runs the close watchers, then drops every callback (after
    /// the dispatch in progress, if any). Only the first call does anything.
    pub(crate) fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        let watchers = std::mem::take(&mut *self.watchers.borrow_mut());
        for (_, watcher) in watchers {
            if let Ok(mut watcher) = watcher.try_borrow_mut() {
                watcher();
            }
        }
        self.release();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    fn release(&self) {
        if self.depth.get() == 0 {
            let slots = std::mem::take(&mut *self.slots.borrow_mut());
            drop(slots);
        }
    }
}
