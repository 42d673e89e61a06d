//! EventTarget semantics for the JS `EventSource` class: listener entries, dispatch with the
//! wrapper as `target`, `currentTarget` and `this`, handler properties, and the retention rule
//! of the HTML standard (an open source with listeners stays alive).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::intrinsics::to_dom_string;
use crate::support::{error_message, json_parse};
use crate::{EventSource, Listener, ReadyState};

use super::drain::Drain;
use super::schema::Validated;
use super::snippets::retarget;
use super::{define_properties, descriptors, report, type_error};

#[derive(Clone)]
pub(super) enum Callback {
    /// `addEventListener`: a function or an object with `handleEvent`.
    Listener(JsValue),
    /// `onopen` / `onmessage` / `onerror`.
    Handler(Function),
    /// `on(type, callback)`.
    Plain(Function),
    /// `onJson(type, callback)`.
    Json(Function),
    /// `onJson(type, callback, { schema })`.
    Validated(Rc<Validated>),
}

pub(super) struct Entry {
    pub(super) id: u32,
    pub(super) event_type: String,
    pub(super) callback: Callback,
    pub(super) capture: bool,
    pub(super) once: bool,
    pub(super) _abort: Option<EventListener>,
}

impl Drop for Entry {
    /// An `onJson` registration with a schema that leaves stops waiting for its validator.
    fn drop(&mut self) {
        if let Callback::Validated(listener) = &self.callback {
            listener.cancel();
        }
    }
}

/// Strong references held while the source can still deliver events to a listener.
pub(super) struct Strong {
    pub(super) this: JsValue,
    /// `retarget`'s cache of prototypes for this wrapper (a `Map`).
    pub(super) protos: JsValue,
}

pub(super) struct Core {
    pub(super) source: EventSource,
    /// The wrapper, weakly: set right after construction.
    pub(super) this: RefCell<Option<js_sys::WeakRef>>,
    pub(super) strong: RefCell<Option<Strong>>,
    pub(super) entries: RefCell<Vec<Entry>>,
    pub(super) hooks: RefCell<Vec<(String, Listener)>>,
    pub(super) next_id: Cell<u32>,
    pub(super) closed: Cell<bool>,
    /// How many dispatches are running (a listener may dispatch again). A source closed by a
    /// listener keeps its listeners until the outermost dispatch ends: DOM dispatch calls every
    /// listener that was registered when it began.
    pub(super) depth: Cell<u32>,
    /// The listeners of the closed source were released.
    pub(super) released: Cell<bool>,
    /// After the source closed: the `on*` handler values, which read back as assigned (as on
    /// the browser's EventSource) though they will not be called again.
    /// `None`: assigned `null` after close().
    pub(super) closed_handlers: RefCell<Vec<(String, Option<Function>)>>,
    pub(super) _close_watch: RefCell<Option<Listener>>,
    /// The source closed by itself while `onJson` validations were pending: the end waits.
    pub(super) drain: RefCell<Option<Drain>>,
}

impl Core {
    /// The wrapper object, if it is still alive (it is whenever JS calls into it).
    pub(super) fn weak_this(&self) -> Option<JsValue> {
        self.this.borrow().as_ref()?.deref().map(JsValue::from)
    }

    /// Keeps the wrapper alive while it is open and has listeners, as the HTML standard asks of
    /// `EventSource`; lets it be collected otherwise.
    pub(super) fn update_retention(&self) {
        let open = !self.closed.get() || self.drain.borrow().is_some();
        let keep = open && !self.entries.borrow().is_empty();
        let held = self.strong.borrow().is_some();
        if keep && !held {
            if let Some(this) = self.weak_this() {
                let protos = js_sys::Map::new().into();
                *self.strong.borrow_mut() = Some(Strong { this, protos });
            }
        } else if !keep && held {
            let released = self.strong.borrow_mut().take();
            drop(released);
        }
    }

    pub(super) fn take_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        id
    }

    pub(super) fn contains(&self, id: u32) -> bool {
        self.entries.borrow().iter().any(|entry| entry.id == id)
    }

    pub(super) fn add_entry(self: &Rc<Self>, entry: Entry) {
        if self.closed.get() {
            return;
        }
        let event_type = entry.event_type.clone();
        self.entries.borrow_mut().push(entry);
        self.ensure_hook(&event_type);
        self.update_retention();
    }

    pub(super) fn remove_where(&self, matches: impl Fn(&Entry) -> bool) {
        let removed: Vec<Entry> = {
            let mut entries = self.entries.borrow_mut();
            let mut removed = Vec::new();
            let mut index = 0;
            while index < entries.len() {
                if matches(&entries[index]) {
                    removed.push(entries.remove(index));
                } else {
                    index += 1;
                }
            }
            removed
        };
        for entry in &removed {
            self.release_hook(&entry.event_type);
        }
        drop(removed);
        self.update_retention();
    }

    pub(super) fn remove_entry(&self, id: u32) {
        self.remove_where(|entry| entry.id == id);
    }

    pub(super) fn ensure_hook(self: &Rc<Self>, event_type: &str) {
        if self.hooks.borrow().iter().any(|(t, _)| t == event_type) {
            return;
        }
        let weak = Rc::downgrade(self);
        let name = event_type.to_owned();
        let listener = self.source.on_raw(name.clone(), move |event| {
            if let Some(core) = weak.upgrade() {
                core.dispatch_native(&name, event);
            }
        });
        self.hooks
            .borrow_mut()
            .push((event_type.to_owned(), listener));
    }

    pub(super) fn release_hook(&self, event_type: &str) {
        if self
            .entries
            .borrow()
            .iter()
            .any(|entry| entry.event_type == event_type)
        {
            return;
        }
        let hook = {
            let mut hooks = self.hooks.borrow_mut();
            hooks
                .iter()
                .position(|(t, _)| t == event_type)
                .map(|index| hooks.remove(index))
        };
        drop(hook);
    }

    /// The source closed for good: release listeners and the wrapper (once no dispatch runs
    /// and no validation the end waits for is pending: `drain.rs`).
    pub(super) fn on_closed(self: &Rc<Self>) {
        self.closed.set(true);
        self.drain_on_close();
    }

    /// Releases the listeners of the closed source unless a dispatch runs or the end waits.
    pub(super) fn release_when_idle(&self) {
        if self.closed.get() && self.depth.get() == 0 && self.drain.borrow().is_none() {
            self.release();
        }
    }

    /// Drops the listeners of the closed source (and so whatever they captured), keeping the
    /// `on*` handler values to read back.
    pub(super) fn release(&self) {
        if self.released.replace(true) {
            return;
        }
        let entries = std::mem::take(&mut *self.entries.borrow_mut());
        {
            let mut handlers = self.closed_handlers.borrow_mut();
            for entry in &entries {
                if let Callback::Handler(function) = &entry.callback {
                    // A handler assigned after close() (during the last dispatch) wins.
                    if !handlers.iter().any(|(t, _)| *t == entry.event_type) {
                        handlers.push((entry.event_type.clone(), Some(function.clone())));
                    }
                }
            }
        }
        let hooks = std::mem::take(&mut *self.hooks.borrow_mut());
        drop(entries);
        drop(hooks);
        self.update_retention();
    }

    pub(super) fn dispatch_native(self: &Rc<Self>, event_type: &str, event: &web_sys::Event) {
        if event_type == "error"
            && !Reflect::has(event, &"kind".into()).unwrap_or(false)
            && !event.is_instance_of::<web_sys::MessageEvent>()
        {
            let state = self.source.ready_state();
            let fatal = state == ReadyState::Closed;
            let message = if fatal {
                "the connection failed and the browser gave up (HTTP error status, wrong \
                 Content-Type, 204 No Content, or a network error)"
            } else {
                "the connection was interrupted; the browser is reconnecting"
            };
            // A message the registry already set (e.g. "… gave up after 3 retries") is kept.
            let message = Reflect::get(event, &"message".into())
                .ok()
                .filter(JsValue::is_string)
                .unwrap_or_else(|| message.into());
            let _ = define_properties(
                event,
                &descriptors(&[
                    ("kind", &"connection".into()),
                    ("reconnecting", &JsValue::from_bool(!fatal)),
                    ("fatal", &JsValue::from_bool(fatal)),
                    ("message", &message),
                ]),
            );
        }
        if !self.hold(event_type, event) {
            self.dispatch(event_type, event);
        }
    }

    /// Calls the listeners of `event_type` in registration order with `event`, whose `target`
    /// and `currentTarget` become the wrapper.
    pub(super) fn dispatch(&self, event_type: &str, event: &JsValue) {
        let (this, protos) = match self.strong.borrow().as_ref() {
            Some(strong) => (strong.this.clone(), strong.protos.clone()),
            None => return,
        };
        let _ = retarget(event, &this, &protos);
        self.depth.set(self.depth.get().saturating_add(1));
        self.call_listeners(event_type, event, &this);
        self.depth.set(self.depth.get().saturating_sub(1));
        self.release_when_idle();
    }

    /// The listener loop of [`dispatch`](Self::dispatch).
    pub(super) fn call_listeners(&self, event_type: &str, event: &JsValue, this: &JsValue) {
        let matching = crate::support::take_few(
            self.entries
                .borrow()
                .iter()
                .filter(|entry| entry.event_type == event_type)
                .map(|entry| (entry.id, entry.callback.clone(), entry.once)),
        );
        // Asked only when an `on()`/`onJson()` callback is among the listeners.
        let mut is_message = None;
        for (id, callback, once) in matching {
            if !self.contains(id) {
                continue;
            }
            // `on()` and `onJson()` take the server's events only: never `open`, a connection
            // error, or the `error` event that reports bad JSON or data a schema rejected (which
            // would loop back here).
            if matches!(
                callback,
                Callback::Plain(_) | Callback::Json(_) | Callback::Validated(_)
            ) && !*is_message
                .get_or_insert_with(|| event.is_instance_of::<web_sys::MessageEvent>())
            {
                continue;
            }
            if once {
                self.remove_entry(id);
            }
            if let Err(error) = self.invoke(&callback, this, event_type, event) {
                report(&error);
            }
        }
    }

    pub(super) fn invoke(
        &self,
        callback: &Callback,
        this: &JsValue,
        event_type: &str,
        event: &JsValue,
    ) -> Result<JsValue, JsValue> {
        match callback {
            Callback::Handler(function) | Callback::Plain(function) => function.call1(this, event),
            Callback::Listener(listener) => {
                if let Some(function) = listener.dyn_ref::<Function>() {
                    return function.call1(this, event);
                }
                let handle = Reflect::get(listener, &"handleEvent".into())?;
                match handle.dyn_ref::<Function>() {
                    Some(handle) => handle.call1(listener, event),
                    None => Err(type_error(
                        "an EventSource listener object has no handleEvent() method",
                    )),
                }
            }
            Callback::Json(function) => {
                let data = Reflect::get(event, &"data".into())?;
                match json_parse(&data) {
                    Ok(value) => function.call2(this, &value, event),
                    Err(error) => {
                        self.dispatch_json_error(event_type, event, &data, &error);
                        Ok(JsValue::UNDEFINED)
                    }
                }
            }
            Callback::Validated(listener) => {
                listener.arrive(this, event_type, event);
                Ok(JsValue::UNDEFINED)
            }
        }
    }

    pub(super) fn dispatch_json_error(
        &self,
        event_type: &str,
        event: &JsValue,
        data: &JsValue,
        error: &JsValue,
    ) {
        let Ok(error_event) = web_sys::Event::new("error") else {
            return;
        };
        let last_event_id = Reflect::get(event, &"lastEventId".into()).unwrap_or_default();
        let message = [
            "the data of a \"",
            event_type,
            "\" event is not valid JSON: ",
            &error_message(error),
        ]
        .concat();
        let _ = define_properties(
            &error_event,
            &descriptors(&[
                ("kind", &"json".into()),
                ("reconnecting", &JsValue::FALSE),
                ("fatal", &JsValue::FALSE),
                ("message", &message.into()),
                ("data", data),
                ("eventType", &event_type.into()),
                ("lastEventId", &last_event_id),
                ("cause", error),
            ]),
        );
        self.dispatch("error", &error_event);
    }

    pub(super) fn handler(&self, event_type: &str) -> JsValue {
        if self.closed.get() {
            let assigned = self
                .closed_handlers
                .borrow()
                .iter()
                .find(|(t, _)| t == event_type)
                .map(|(_, function)| function.clone().map_or(JsValue::NULL, JsValue::from));
            if let Some(value) = assigned {
                return value;
            }
        }
        self.entries
            .borrow()
            .iter()
            .find_map(|entry| match &entry.callback {
                Callback::Handler(function) if entry.event_type == event_type => {
                    Some(function.clone().into())
                }
                _ => None,
            })
            .unwrap_or(JsValue::NULL)
    }

    /// Event handler attribute semantics: the first assignment registers a listener, later ones
    /// replace the callback in place (keeping its position), `null` (or a non-function) removes it.
    pub(super) fn set_handler(self: &Rc<Self>, event_type: &str, value: JsValue) {
        let is_handler = |entry: &Entry| {
            entry.event_type == event_type && matches!(entry.callback, Callback::Handler(_))
        };
        let function = value.dyn_into::<Function>().ok();
        if self.closed.get() {
            let mut handlers = self.closed_handlers.borrow_mut();
            handlers.retain(|(t, _)| t != event_type);
            handlers.push((event_type.to_owned(), function));
            return;
        }
        let Some(function) = function else {
            self.remove_where(is_handler);
            return;
        };
        {
            let mut entries = self.entries.borrow_mut();
            if let Some(entry) = entries.iter_mut().find(|entry| is_handler(entry)) {
                entry.callback = Callback::Handler(function);
                return;
            }
        }
        let id = self.take_id();
        self.add_entry(Entry {
            id,
            event_type: event_type.to_owned(),
            callback: Callback::Handler(function),
            capture: false,
            once: false,
            _abort: None,
        });
    }

    pub(super) fn subscribe(self: &Rc<Self>, event_type: String, callback: Callback) -> Function {
        let id = self.take_id();
        self.add_entry(Entry {
            id,
            event_type,
            callback,
            capture: false,
            once: false,
            _abort: None,
        });
        let weak: Weak<Core> = Rc::downgrade(self);
        // Owned by the JS function: freed by the garbage collector once the caller drops it.
        Closure::<dyn FnMut()>::new(move || {
            if let Some(core) = weak.upgrade() {
                core.remove_entry(id);
            }
        })
        .into_js_value()
        .unchecked_into()
    }
}

/// The type and listener arguments of `addEventListener`/`removeEventListener`, converted as
/// WebIDL does: the type with `String()` (a Symbol is a `TypeError`), the listener must be
/// `null`, `undefined`, a function or an object. Returns the type.
pub(super) fn listener_arguments(
    method: &str,
    event_type: &JsValue,
    listener: &JsValue,
) -> Result<String, JsValue> {
    let event_type = to_dom_string(event_type)?;
    if !listener.is_null()
        && !listener.is_undefined()
        && !listener.is_object()
        && !listener.is_function()
    {
        return Err(type_error(
            &[
                "Failed to execute '",
                method,
                "' on 'EventSource': the listener must be a function or an object with a \
                 handleEvent() method",
            ]
            .concat(),
        ));
    }
    Ok(event_type)
}

/// `capture` from `addEventListener`/`removeEventListener` options (a boolean or an object).
pub(super) fn capture_flag(options: &JsValue) -> Result<bool, JsValue> {
    if options.is_object() {
        Ok(Reflect::get(options, &"capture".into())?.is_truthy())
    } else {
        Ok(options.is_truthy())
    }
}
