//! The JS `EventSource` class: a drop-in for the browser's, with typed extras.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::intrinsics::{abort_signal_aborted, genuine_event_type, syntax_error, to_dom_string};
use crate::{Error, EventSource};

use super::event_target::{capture_flag, listener_arguments, Callback, Core, Entry};
use super::options::read_options;
use super::schema::{Schema, Validated};
use super::snapshot::{on_change, Snapshots};
use super::subscriptions::Subscriptions;
use super::type_error;

/// The `EventSource` JS class: a drop-in for the browser's, with typed extras.
#[wasm_bindgen(js_name = EventSource)]
pub struct JsEventSource {
    core: Rc<Core>,
    snapshots: Snapshots,
    subscriptions: Rc<Subscriptions>,
}

impl std::fmt::Debug for JsEventSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSource")
            .field("source", &self.core.source)
            .finish_non_exhaustive()
    }
}

fn to_js_error(error: Error) -> JsValue {
    let message = error.message();
    match error {
        Error::InvalidUrl { .. } => syntax_error(&message),
        Error::InvalidOptions(_) => js_sys::TypeError::new(&message).into(),
        _ => js_sys::Error::new(&message).into(),
    }
}

#[wasm_bindgen(js_class = EventSource)]
impl JsEventSource {
    /// `new EventSource(url, { withCredentials })`. Throws a `SyntaxError` for an invalid URL,
    /// a `TypeError` for invalid options, and an `Error` where EventSource is not supported.
    // Returns the JS object (not `Self`) so that the wrapper it creates is the very instance
    // `new` hands to JS, and the events it dispatches can name it as their `target`.
    #[allow(clippy::new_ret_no_self)]
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string | URL")] url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "EventSourceOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, JsValue> {
        // WebIDL `USVString`: `undefined` becomes "undefined" (the package's entry throws for
        // a missing argument, as the browser does), a Symbol is a TypeError.
        let url = to_dom_string(&url)?;
        let options = read_options(&options.unwrap_or(JsValue::UNDEFINED))?;
        let source = EventSource::with_options(&url, &options).map_err(to_js_error)?;
        let core = Rc::new(Core {
            source,
            this: RefCell::new(None),
            strong: RefCell::new(None),
            entries: RefCell::new(Vec::new()),
            hooks: RefCell::new(Vec::new()),
            next_id: Cell::new(1),
            closed: Cell::new(false),
            depth: Cell::new(0),
            released: Cell::new(false),
            closed_handlers: RefCell::new(Vec::new()),
            _close_watch: RefCell::new(None),
            drain: RefCell::new(None),
        });
        let weak = Rc::downgrade(&core);
        let watch = core.source.watch_close(move || {
            if let Some(core) = weak.upgrade() {
                core.on_closed();
            }
        });
        *core._close_watch.borrow_mut() = Some(watch);
        let this = JsValue::from(JsEventSource {
            core: core.clone(),
            snapshots: Snapshots::default(),
            subscriptions: Rc::new(Subscriptions::default()),
        });
        let weak_this = js_sys::WeakRef::new(this.unchecked_ref::<Object>());
        *core.this.borrow_mut() = Some(weak_this);
        Ok(this)
    }

    /// Makes `wrapper` the object events name as their `target` and listeners get as `this`
    /// (the package's entry wraps this class in one that checks its receiver). Not public API.
    #[wasm_bindgen(js_name = __bind, skip_typescript)]
    pub fn bind(&self, wrapper: JsValue) -> Result<(), JsValue> {
        let wrapper: Object = wrapper
            .dyn_into()
            .map_err(|_| type_error("EventSource.__bind: the wrapper must be an object"))?;
        *self.core.this.borrow_mut() = Some(js_sys::WeakRef::new(&wrapper));
        if let Some(strong) = self.core.strong.borrow_mut().as_mut() {
            strong.this = wrapper.into();
            strong.protos = js_sys::Map::new().into();
        }
        Ok(())
    }

    /// `0`: connecting or reconnecting.
    #[wasm_bindgen(getter = CONNECTING)]
    pub fn connecting(&self) -> u16 {
        0
    }

    /// `1`: open.
    #[wasm_bindgen(getter = OPEN)]
    pub fn open(&self) -> u16 {
        1
    }

    /// `2`: closed.
    #[wasm_bindgen(getter = CLOSED)]
    pub fn closed(&self) -> u16 {
        2
    }

    /// `EventSource.CONNECTING` (0).
    #[wasm_bindgen(getter = CONNECTING)]
    pub fn connecting_static() -> u16 {
        0
    }

    /// `EventSource.OPEN` (1).
    #[wasm_bindgen(getter = OPEN)]
    pub fn open_static() -> u16 {
        1
    }

    /// `EventSource.CLOSED` (2).
    #[wasm_bindgen(getter = CLOSED)]
    pub fn closed_static() -> u16 {
        2
    }

    /// `0` (CONNECTING), `1` (OPEN) or `2` (CLOSED).
    #[wasm_bindgen(getter = readyState)]
    pub fn ready_state(&self) -> u16 {
        self.core.source.ready_state().as_raw()
    }

    /// The absolute URL of the stream.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.core.source.url()
    }

    /// Whether credentials are sent with cross-origin requests.
    #[wasm_bindgen(getter = withCredentials)]
    pub fn with_credentials(&self) -> bool {
        self.core.source.with_credentials()
    }

    /// The `lastEventId` of the latest event delivered to a listener (empty before any).
    #[wasm_bindgen(getter = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.core.source.last_event_id()
    }

    /// Closes the connection: no reconnect, no further events (not even the `onJson`
    /// validations still pending, or a `close` event held for them). Idempotent.
    pub fn close(&self) {
        self.core.source.close();
        self.core.cut_short();
    }

    /// Adds a listener, with EventTarget semantics: the same (type, listener, capture) is added
    /// once; `once` removes it after its first call; an aborted `signal` removes it.
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(
        &self,
        event_type: JsValue,
        listener: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        // The browser's order: the type, the listener, then the options' members.
        let event_type = listener_arguments("addEventListener", &event_type, &listener)?;
        let capture = capture_flag(&options)?;
        let (once, signal) = if options.is_object() {
            let once = Reflect::get(&options, &"once".into())?.is_truthy();
            let _passive = Reflect::get(&options, &"passive".into())?;
            let signal = Reflect::get(&options, &"signal".into())?;
            (once, signal)
        } else {
            (false, JsValue::UNDEFINED)
        };
        let aborted = if signal.is_undefined() {
            None
        } else {
            Some(abort_signal_aborted(&signal).ok_or_else(|| {
                type_error(
                    "Failed to execute 'addEventListener' on 'EventSource': options.signal is \
                     not of type 'AbortSignal'",
                )
            })?)
        };
        if listener.is_null() || listener.is_undefined() || aborted == Some(true) {
            return Ok(());
        }
        let duplicate = self.core.entries.borrow().iter().any(|entry| {
            entry.event_type == event_type
                && entry.capture == capture
                && matches!(&entry.callback, Callback::Listener(existing) if *existing == listener)
        });
        if duplicate {
            return Ok(());
        }
        let id = self.core.take_id();
        let abort = if aborted.is_none() {
            None
        } else {
            // A genuine AbortSignal (checked above): adding a listener to it cannot throw.
            let signal: &web_sys::EventTarget = signal.unchecked_ref();
            let weak = Rc::downgrade(&self.core);
            Some(EventListener::once(signal, "abort", move |_| {
                if let Some(core) = weak.upgrade() {
                    core.remove_entry(id);
                }
            }))
        };
        self.core.add_entry(Entry {
            id,
            event_type,
            callback: Callback::Listener(listener),
            capture,
            once,
            _abort: abort,
        });
        Ok(())
    }

    /// Removes a listener added with the same type, listener and capture flag.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(
        &self,
        event_type: JsValue,
        listener: JsValue,
        options: JsValue,
    ) -> Result<(), JsValue> {
        let event_type = listener_arguments("removeEventListener", &event_type, &listener)?;
        let capture = capture_flag(&options)?;
        self.core.remove_where(|entry| {
            entry.event_type == event_type
                && entry.capture == capture
                && matches!(&entry.callback, Callback::Listener(existing) if *existing == listener)
        });
        Ok(())
    }

    /// Dispatches `event` to this source's listeners; returns `false` if a listener called
    /// `preventDefault()` on a cancelable event.
    #[wasm_bindgen(js_name = dispatchEvent)]
    pub fn dispatch_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Event")] event: JsValue,
    ) -> Result<bool, JsValue> {
        let Some(event_type) = genuine_event_type(&event) else {
            return Err(type_error(
                "Failed to execute 'dispatchEvent' on 'EventSource': parameter 1 is not of type 'Event'",
            ));
        };
        self.core.dispatch(&event_type, &event);
        // A genuine Event (checked above): its getters cannot throw.
        Ok(!event.unchecked_ref::<web_sys::Event>().default_prevented())
    }

    /// The `open` handler, or `null`.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onopen(&self) -> JsValue {
        self.core.handler("open")
    }

    /// Sets the `open` handler; `null` removes it.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onopen(&self, value: JsValue) {
        self.core.set_handler("open", value);
    }

    /// The `message` handler, or `null`.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onmessage(&self) -> JsValue {
        self.core.handler("message")
    }

    /// Sets the `message` handler; `null` removes it.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onmessage(&self, value: JsValue) {
        self.core.set_handler("message", value);
    }

    /// The `error` handler, or `null`.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn onerror(&self) -> JsValue {
        self.core.handler("error")
    }

    /// Sets the `error` handler; `null` removes it.
    #[wasm_bindgen(setter, skip_typescript)]
    pub fn set_onerror(&self, value: JsValue) {
        self.core.set_handler("error", value);
    }

    /// `on(type, callback)`: calls `callback(event)` for each event of `type`; returns a
    /// function that unsubscribes.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event_type: JsValue, callback: JsValue) -> Result<Function, JsValue> {
        let event_type = to_dom_string(&event_type)?;
        let callback: Function = callback
            .dyn_into()
            .map_err(|_| type_error("on(type, callback): callback must be a function"))?;
        Ok(self.core.subscribe(event_type, Callback::Plain(callback)))
    }

    /// `onJson(type, callback, options)`: calls `callback(value, event)` with the data parsed
    /// as JSON and, with `options.schema` (a Standard Schema validator), checked by it: the
    /// callback gets the validator's output. Data that is not JSON, or that the schema rejects,
    /// is dispatched to `error` listeners instead. Returns an unsubscribe function.
    #[wasm_bindgen(js_name = onJson, skip_typescript)]
    pub fn on_json(
        &self,
        event_type: JsValue,
        callback: JsValue,
        options: JsValue,
    ) -> Result<Function, JsValue> {
        let event_type = to_dom_string(&event_type)?;
        let callback: Function = callback
            .dyn_into()
            .map_err(|_| type_error("onJson(type, callback): callback must be a function"))?;
        let listener = match Schema::from_options(&options)? {
            None => Callback::Json(callback),
            Some(schema) => Callback::Validated(Rc::new(Validated::new(
                Rc::downgrade(&self.core),
                callback,
                schema,
            ))),
        };
        Ok(self.core.subscribe(event_type, listener))
    }

    /// `getSnapshot()`: the state as a frozen object, the same object until the state changes.
    #[wasm_bindgen(js_name = getSnapshot, skip_typescript)]
    pub fn get_snapshot(&self) -> JsValue {
        self.snapshots.get(&self.core.source)
    }

    /// `sharing`: `{ leader, tabs }` with `shared: true`, `null` for a private connection.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn sharing(&self) -> JsValue {
        let Some(sharing) = self.core.source.sharing() else {
            return JsValue::NULL;
        };
        let info = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&info, &"leader".into(), &sharing.leader.into());
        let _ = js_sys::Reflect::set(&info, &"tabs".into(), &sharing.contexts.into());
        info.into()
    }

    /// `subscribe(callback)`: calls `callback()` after every change of the state; returns a
    /// function that unsubscribes.
    #[wasm_bindgen(skip_typescript)]
    pub fn subscribe(&self, callback: JsValue) -> Result<Function, JsValue> {
        let callback: Function = callback
            .dyn_into()
            .map_err(|_| type_error("subscribe(callback): callback must be a function"))?;
        let listener = on_change(&self.core.source, callback);
        Ok(self.subscriptions.keep(listener))
    }

    /// `onBatch(callback, { every, types })`: calls `callback(events)` with the events since
    /// its last call as plain `{ type, data, lastEventId }` objects, at most once per frame
    /// (or per `every` ms). Returns a function that unsubscribes.
    #[wasm_bindgen(js_name = onBatch, skip_typescript)]
    pub fn on_batch(&self, callback: JsValue, options: JsValue) -> Result<Function, JsValue> {
        let listener = super::batch::on_batch(&self.core.source, callback, &options)?;
        Ok(self.subscriptions.keep(listener))
    }
}
