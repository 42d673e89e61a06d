//! The listener registry behind a source.
//!
//! Listeners are not attached to the browser's `EventSource` one by one: the registry attaches
//! one browser listener per event type that has at least one of ours, and dispatches to ours.
//! That keeps listener handles valid whatever the transport does underneath, lets a dropped
//! handle detach the browser listener when it was the last, and lets `close()` end every
//! stream and drop every callback (breaking any cycle a callback closes over).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use wasm_bindgen::JsCast;

use crate::fetch::Connection;
use crate::ReadyState;

/// A callback for raw browser events of one type.
pub(crate) type RawCallback = Rc<RefCell<dyn FnMut(&web_sys::Event)>>;
/// A callback run once when the source closes for good.
pub(crate) type CloseCallback = Rc<RefCell<dyn FnMut()>>;

struct Slot {
    id: u64,
    event_type: Cow<'static, str>,
    callback: RawCallback,
}

pub(crate) struct Hook {
    event_type: String,
    count: usize,
    _listener: EventListener,
}

/// What delivers the events.
pub(crate) enum Backend {
    /// The browser's `EventSource`, with one browser listener per event type in use.
    Native {
        raw: web_sys::EventSource,
        hooks: RefCell<Vec<Hook>>,
        /// Always attached: it notices when the browser gives up.
        error_hook: RefCell<Option<EventListener>>,
    },
    /// `fetch` and this crate's parser; the connection task dispatches every event itself.
    Fetch(Connection),
}

pub(crate) struct Shared {
    backend: Backend,
    next_id: Cell<u64>,
    slots: RefCell<Vec<Slot>>,
    watchers: RefCell<Vec<(u64, CloseCallback)>>,
    closed: Cell<bool>,
    last_event_id: RefCell<String>,
}

impl Shared {
    fn with_backend(backend: Backend) -> Rc<Self> {
        Rc::new(Shared {
            backend,
            next_id: Cell::new(1),
            slots: RefCell::new(Vec::new()),
            watchers: RefCell::new(Vec::new()),
            closed: Cell::new(false),
            last_event_id: RefCell::new(String::new()),
        })
    }

    pub(crate) fn native(raw: web_sys::EventSource) -> Rc<Self> {
        let shared = Self::with_backend(Backend::Native {
            raw,
            hooks: RefCell::new(Vec::new()),
            error_hook: RefCell::new(None),
        });
        if let Backend::Native {
            raw, error_hook, ..
        } = &shared.backend
        {
            let weak = Rc::downgrade(&shared);
            let hook = EventListener::new(raw, "error", move |event| {
                if let Some(shared) = weak.upgrade() {
                    shared.on_raw_error(event);
                }
            });
            *error_hook.borrow_mut() = Some(hook);
        }
        shared
    }

    pub(crate) fn fetch(connection: Connection) -> Rc<Self> {
        Self::with_backend(Backend::Fetch(connection))
    }

    pub(crate) fn raw(&self) -> Option<&web_sys::EventSource> {
        match &self.backend {
            Backend::Native { raw, .. } => Some(raw),
            Backend::Fetch(_) => None,
        }
    }

    pub(crate) fn connection(&self) -> Option<&Connection> {
        match &self.backend {
            Backend::Native { .. } => None,
            Backend::Fetch(connection) => Some(connection),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        if self.closed.get() {
            return ReadyState::Closed;
        }
        match &self.backend {
            Backend::Native { raw, .. } => ReadyState::from_raw(raw.ready_state()),
            Backend::Fetch(connection) => connection.ready_state(),
        }
    }

    pub(crate) fn url(&self) -> String {
        match &self.backend {
            Backend::Native { raw, .. } => raw.url(),
            Backend::Fetch(connection) => connection.url().to_owned(),
        }
    }

    pub(crate) fn with_credentials(&self) -> bool {
        match &self.backend {
            Backend::Native { raw, .. } => raw.with_credentials(),
            Backend::Fetch(connection) => connection.with_credentials(),
        }
    }

    /// Whether any listener waits for `event_type` (the fetch transport skips building events
    /// nobody listens to).
    pub(crate) fn has_listeners(&self, event_type: &str) -> bool {
        self.slots
            .borrow()
            .iter()
            .any(|slot| slot.event_type == event_type)
    }

    pub(crate) fn set_last_event_id(&self, id: &str) {
        let mut last = self.last_event_id.borrow_mut();
        if *last != id {
            id.clone_into(&mut last);
        }
    }

    pub(crate) fn last_event_id(&self) -> String {
        self.last_event_id.borrow().clone()
    }

    fn take_id(&self) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        id
    }

    /// Registers `callback` for browser events of `event_type`; returns its id.
    /// On a closed source the callback is dropped at once (it could never run).
    pub(crate) fn add(
        self: &Rc<Self>,
        event_type: Cow<'static, str>,
        callback: RawCallback,
    ) -> u64 {
        let id = self.take_id();
        if self.closed.get() {
            return id;
        }
        if event_type != "error" {
            self.retain_hook(&event_type);
        }
        self.slots.borrow_mut().push(Slot {
            id,
            event_type,
            callback,
        });
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

    /// Removes a listener or close watcher. Unknown ids are ignored.
    pub(crate) fn remove(&self, id: u64) {
        let removed = {
            let mut slots = self.slots.borrow_mut();
            slots
                .iter()
                .position(|slot| slot.id == id)
                .map(|index| slots.remove(index))
        };
        match removed {
            Some(slot) => {
                if slot.event_type != "error" {
                    self.release_hook(&slot.event_type);
                }
            }
            None => self
                .watchers
                .borrow_mut()
                .retain(|(watcher, _)| *watcher != id),
        }
    }

    fn retain_hook(self: &Rc<Self>, event_type: &str) {
        let Backend::Native { raw, hooks, .. } = &self.backend else {
            return;
        };
        let mut hooks = hooks.borrow_mut();
        if let Some(hook) = hooks.iter_mut().find(|h| h.event_type == event_type) {
            hook.count += 1;
            return;
        }
        let weak: Weak<Shared> = Rc::downgrade(self);
        let name = event_type.to_owned();
        let listener = EventListener::new(raw, name.clone(), move |event| {
            if let Some(shared) = weak.upgrade() {
                shared.dispatch(&name, event);
            }
        });
        hooks.push(Hook {
            event_type: event_type.to_owned(),
            count: 1,
            _listener: listener,
        });
    }

    fn release_hook(&self, event_type: &str) {
        let Backend::Native { hooks, .. } = &self.backend else {
            return;
        };
        // Take the hook out before dropping it, so no borrow is held while the browser
        // listener is removed.
        let dropped = {
            let mut hooks = hooks.borrow_mut();
            match hooks.iter().position(|h| h.event_type == event_type) {
                Some(index) if hooks[index].count <= 1 => Some(hooks.remove(index)),
                Some(index) => {
                    hooks[index].count -= 1;
                    None
                }
                None => None,
            }
        };
        drop(dropped);
    }

    fn is_registered(&self, id: u64) -> bool {
        self.slots.borrow().iter().any(|slot| slot.id == id)
    }

    /// Calls every listener of `event_type`. A listener removed by an earlier one during the
    /// same dispatch is not called; one that is already running (re-entrant dispatch) is skipped
    /// rather than borrowed twice.
    pub(crate) fn dispatch(&self, event_type: &str, event: &web_sys::Event) {
        if self.closed.get() {
            return;
        }
        if let Some(message) = event.dyn_ref::<web_sys::MessageEvent>() {
            self.set_last_event_id(&message.last_event_id());
        }
        let targets: Vec<(u64, RawCallback)> = self
            .slots
            .borrow()
            .iter()
            .filter(|slot| slot.event_type == event_type)
            .map(|slot| (slot.id, slot.callback.clone()))
            .collect();
        for (id, callback) in targets {
            if !self.is_registered(id) {
                continue;
            }
            if let Ok(mut callback) = callback.try_borrow_mut() {
                callback(event);
            }
        }
    }

    fn on_raw_error(&self, event: &web_sys::Event) {
        self.dispatch("error", event);
        // A server event named "error" is a message, not a connection error.
        let is_message = event.dyn_ref::<web_sys::MessageEvent>().is_some();
        if !is_message && self.ready_state() == ReadyState::Closed {
            self.finish_close();
        }
    }

    fn stop_backend(&self) {
        match &self.backend {
            Backend::Native { raw, .. } => raw.close(),
            Backend::Fetch(connection) => connection.stop(),
        }
    }

    /// Closes the connection and ends everything that waits on it.
    pub(crate) fn close(&self) {
        self.stop_backend();
        self.finish_close();
    }

    /// The connection ended for good (closed, or failed): notify watchers, drop callbacks.
    pub(crate) fn finish_close(&self) {
        if self.closed.replace(true) {
            return;
        }
        let watchers = std::mem::take(&mut *self.watchers.borrow_mut());
        for (_, watcher) in watchers {
            if let Ok(mut watcher) = watcher.try_borrow_mut() {
                watcher();
            }
        }
        // No event can arrive any more: drop the callbacks (and whatever they captured) now.
        let slots = std::mem::take(&mut *self.slots.borrow_mut());
        drop(slots);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.stop_backend();
    }
}
