//! The JavaScript API: a drop-in `EventSource` class with typed extras, and `isSupported()`.
//!
//! EventTarget semantics (dedupe, `once`, `signal`, `handleEvent` objects, `on*` handler
//! properties, listener exceptions reported without stopping dispatch) are implemented here,
//! so that events reach listeners with `target`, `currentTarget` and `this` set to the wrapper
//! instance itself.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::intrinsics::{
    abort_signal_aborted, genuine_event_type, syntax_error, to_dom_string, to_promise,
};
use crate::support::{error_message, is_supported, json_parse};
use crate::{
    Credentials, Error, EventSource, EventSourceOptions, Failure, HeaderProvider, Listener,
    ReadyState, RetryPolicy, ShouldRetry, Transport,
};
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options for `new EventSource(url, options)`. */
export interface EventSourceOptions {
  /** Send cookies and HTTP authentication with cross-origin requests. Default: `false`. */
  withCredentials?: boolean;
  /**
   * `'auto'` (default): the browser's EventSource when it can serve the request (GET, no
   * headers, no body) and exists here, `fetch` otherwise. `'eventsource'` or `'fetch'` force one.
   */
  transport?: "auto" | "eventsource" | "fetch";
  /**
   * Request headers (fetch transport): an object, `[name, value]` pairs, a `Headers`, or a
   * function (sync or async) called on every connect, e.g. to refresh a token.
   */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** HTTP method (fetch transport). Default: `'GET'`. */
  method?: string;
  /** Request body (fetch transport; needs a method other than GET). */
  body?: BodyInit;
  /** Fetch credentials mode. Default: `'include'` with `withCredentials`, else `'same-origin'`. */
  credentials?: RequestCredentials;
  /**
   * A `fetch` to use instead of the global one, called as `fetch(url, init)`; `init.headers`
   * is a plain object with lower-case names, so `{ ...init.headers, authorization }` keeps
   * `accept` and `last-event-id`.
   */
  fetch?: (url: string, init: RequestInit & { headers: Record<string, string> }) => Promise<Response>;
  /** The largest event accepted by the fetch transport, in bytes. Default: 1 MiB. */
  maxEventSize?: number;
  /**
   * Reconnect with backoff and jitter instead of the browser's plain behaviour (`true` for the
   * defaults). With the browser's EventSource, a source it gave up on is reopened with the last
   * event ID in the `lastEventIdParam` query parameter; the fetch transport sends `Last-Event-ID`
   * (or, with `lastEventIdParam` set, the query parameter).
   */
  retry?: boolean | RetryOptions;
  /** Overrides which failures are retried (turns on the default `retry` policy if it is not set). */
  shouldRetry?: (failure: RetryFailure) => boolean;
  /** Reconnect when nothing (not even a comment) arrived for this many ms (fetch transport). */
  idleTimeout?: number;
  /** The last event ID to resume from, sent on the first connection too. */
  lastEventId?: string;
  /**
   * The query parameter carrying the last event ID. The browser's EventSource uses it when this
   * library reopens it (default `'lastEventId'`). The fetch transport uses it only when set:
   * then it sends the ID in this parameter and no `Last-Event-ID` header, so a cross-origin
   * resume needs no CORS preflight (nchan's parameter is `'last_event_id'`). Default: unset.
   */
  lastEventIdParam?: string;
  /** Reconnect at once (skipping a retry wait) when the browser fires `online`. */
  reconnectOnOnline?: boolean;
  /** Close while the page is hidden; resume from the last event ID when it is visible again. */
  pauseWhenHidden?: boolean;
  /** Reconnect when the page is restored from the back/forward cache. */
  reopenOnPageshow?: boolean;
}

/** The reconnection policy. */
export interface RetryOptions {
  /** First delay when the server sent no `retry:` (ms). Default: 1000. */
  initialDelay?: number;
  /** Largest delay (ms); a `Retry-After` is honoured even when larger. Default: 30000. */
  maxDelay?: number;
  /** Growth per consecutive failure. Default: 2. */
  multiplier?: number;
  /** Randomized share of the delay, 0..1 (1 = full jitter). Default: 1. */
  jitter?: number;
  /**
   * Consecutive failed attempts before giving up (a fatal error): `maxRetries: n` makes at most
   * n + 1 requests in a row, on both transports. A failed request and a stream that ended or broke
   * each count; a connection open for `resetAfter` resets the count. Default: unlimited.
   */
  maxRetries?: number;
  /** A connection open this long (ms) resets the attempt count. Default: 10000. */
  resetAfter?: number;
}

/** What `shouldRetry` is asked about. */
export interface RetryFailure {
  /**
   * `network` (no answer, or the stream broke), `status` (an HTTP status other than 200),
   * `content-type` (not text/event-stream), `idle` (the idle timeout), `unknown` (the browser's
   * EventSource gave up, and a probe request could not tell why), `headers` (the headers function failed),
   * `request` (the request cannot be made: an invalid header, or an injected fetch that did not
   * resolve to a Response).
   */
  kind: "network" | "status" | "content-type" | "idle" | "unknown" | "headers" | "request";
  status: number | null;
  /** The default classification. */
  retryable: boolean;
}

/** Dispatched before each reconnection attempt made by the `retry` policy. */
export interface ReconnectingEvent extends Event {
  readonly type: "reconnecting";
  /** Attempt number, from 1. */
  readonly attempt: number;
  /** Milliseconds until the attempt. */
  readonly delay: number;
  readonly reason: RetryFailure["kind"];
  readonly message: string;
  readonly status: number | null;
  readonly target: EventSource;
}

/** An `error` event for the connection itself. */
export interface ConnectionErrorEvent extends Event {
  readonly type: "error";
  readonly kind: "connection";
  /** `true` while the browser reconnects on its own (readyState CONNECTING). */
  readonly reconnecting: boolean;
  /** `true` when the browser gave up (readyState CLOSED): HTTP error, wrong Content-Type, 204. */
  readonly fatal: boolean;
  readonly message: string;
  /**
   * The HTTP status of a failed response (`null` for network errors). The browser's EventSource
   * hides it: after it gives up, one request of the same URL (aborted once the headers arrive)
   * learns it. Absent on the browser's own reconnects.
   */
  readonly status?: number | null;
  /** Fetch transport: the status text of a failed response. */
  readonly statusText?: string | null;
  /** Fetch transport: the headers of a failed response (lower-case names). */
  readonly headers?: Record<string, string> | null;
  /**
   * Fetch transport: the first kilobyte of a failed response's body. The error is not delayed
   * for it: what has not arrived yet when the event is dispatched is added to it later.
   */
  readonly body?: string | null;
  readonly target: EventSource;
}

/** An `error` event for an `onJson` payload that is not valid JSON. */
export interface JsonErrorEvent extends Event {
  readonly type: "error";
  readonly kind: "json";
  readonly reconnecting: false;
  readonly fatal: false;
  /** `JSON.parse`'s message. */
  readonly message: string;
  /** The raw event data. */
  readonly data: string;
  /** The type of the event whose data failed to parse. */
  readonly eventType: string;
  readonly lastEventId: string;
  readonly target: EventSource;
}

/**
 * An `error` event for an event the fetch transport dropped because it was larger than
 * `maxEventSize`. The connection stays open and parsing resumes at the next event.
 */
export interface ParseErrorEvent extends Event {
  readonly type: "error";
  readonly kind: "parse";
  readonly reconnecting: false;
  readonly fatal: false;
  readonly message: string;
  readonly target: EventSource;
}

/** What `error` listeners receive. */
export type SourceErrorEvent = ConnectionErrorEvent | JsonErrorEvent | ParseErrorEvent;

/** A server message; `target` is the `EventSource` wrapper. */
export interface SourceMessageEvent extends MessageEvent<string> {
  readonly target: EventSource;
}

/** Event types and the events their listeners receive. */
export interface EventSourceEventMap {
  open: Event;
  message: SourceMessageEvent;
  error: SourceErrorEvent;
  reconnecting: ReconnectingEvent;
}

// The typed members of the `EventSource` class, merged into its declaration. (The crate never
// names the global EventSource in the generated module, so the class keeps its own name.)
export interface EventSource {
  addEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: ((this: EventSource, event: EventSourceEventMap[K]) => unknown) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: ((this: EventSource, event: SourceMessageEvent) => unknown) | EventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof EventSourceEventMap>(
    type: K,
    listener: ((this: EventSource, event: EventSourceEventMap[K]) => unknown) | null,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: ((this: EventSource, event: SourceMessageEvent) => unknown) | EventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
  /** The `open` handler; assigning `null` removes it. */
  onopen: ((this: EventSource, event: Event) => unknown) | null;
  /** The `message` handler; assigning `null` removes it. */
  onmessage: ((this: EventSource, event: SourceMessageEvent) => unknown) | null;
  /** The `error` handler; assigning `null` removes it. */
  onerror: ((this: EventSource, event: SourceErrorEvent) => unknown) | null;
  /**
   * Calls `callback` for each server event of `type` (`"message"` or a custom name; `open`
   * and connection errors are not server events: use `addEventListener` for those).
   * Returns a function that unsubscribes.
   */
  on(type: string, callback: (this: EventSource, event: SourceMessageEvent) => unknown): () => void;
  /**
   * Calls `callback` with each event's data parsed as JSON. Data that is not JSON is not
   * thrown: it reaches the `error` listeners as a `JsonErrorEvent`. Returns an unsubscribe function.
   */
  onJson<T = unknown>(
    type: string,
    callback: (this: EventSource, value: T, event: SourceMessageEvent) => unknown,
  ): () => void;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = reportError, catch)]
    fn report_error(error: &JsValue) -> Result<(), JsValue>;
    // `catch`: a page may have replaced console.error with a function that throws.
    #[wasm_bindgen(js_namespace = console, js_name = error, catch)]
    fn console_error(error: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = defineProperties, catch)]
    fn define_properties(target: &JsValue, descriptors: &JsValue) -> Result<JsValue, JsValue>;
}

/// Whether a usable `EventSource` constructor exists here (JS: `isSupported()`).
#[wasm_bindgen(js_name = isSupported)]
pub fn js_is_supported() -> bool {
    is_supported()
}

/// Reports an exception thrown by a listener the way the browser does for its own listeners,
/// without interrupting the dispatch to the other listeners.
fn report(error: &JsValue) {
    if report_error(error).is_err() {
        let _ = console_error(error);
    }
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// `{ name: { value, enumerable, configurable } , ... }` for `Object.defineProperties`.
fn descriptors(properties: &[(&str, &JsValue)]) -> JsValue {
    let all = Object::new();
    for (name, value) in properties {
        let descriptor = Object::new();
        let _ = Reflect::set(&descriptor, &"value".into(), value);
        let _ = Reflect::set(&descriptor, &"enumerable".into(), &JsValue::TRUE);
        let _ = Reflect::set(&descriptor, &"configurable".into(), &JsValue::TRUE);
        let _ = Reflect::set(&all, &JsValue::from_str(name), &descriptor);
    }
    all.into()
}

#[derive(Clone)]
enum Callback {
    /// `addEventListener`: a function or an object with `handleEvent`.
    Listener(JsValue),
    /// `onopen` / `onmessage` / `onerror`.
    Handler(Function),
    /// `on(type, callback)`.
    Plain(Function),
    /// `onJson(type, callback)`.
    Json(Function),
}

struct Entry {
    id: u32,
    event_type: String,
    callback: Callback,
    capture: bool,
    once: bool,
    _abort: Option<EventListener>,
}

/// Strong references held while the source can still deliver events to a listener.
struct Strong {
    this: JsValue,
    /// `retarget`'s cache of prototypes for this wrapper (a `Map`).
    protos: JsValue,
}

// Makes `event.target` and `event.currentTarget` the wrapper. Giving the event a prototype that
// sits between it and its own (one per wrapper and event class, made once) costs a tenth of
// defining two own properties on every event, in Chromium.
#[wasm_bindgen(inline_js = "const WRAPPER = Symbol('eventsource-wasm wrapper');\n\
export function retarget(event, wrapper, protos) {\n\
  const proto = Object.getPrototypeOf(event);\n\
  if (proto !== null && proto[WRAPPER] === wrapper) return;\n\
  let mine = protos.get(proto);\n\
  if (mine === undefined) {\n\
    const get = { get: () => wrapper, enumerable: true, configurable: true };\n\
    mine = Object.create(proto, { target: get, currentTarget: get, [WRAPPER]: { value: wrapper } });\n\
    protos.set(proto, mine);\n\
  }\n\
  try {\n\
    Object.setPrototypeOf(event, mine);\n\
  } catch {\n\
    const own = { value: wrapper, enumerable: true, configurable: true };\n\
    try { Object.defineProperties(event, { target: own, currentTarget: own }); } catch {}\n\
  }\n\
}")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn retarget(event: &JsValue, wrapper: &JsValue, protos: &JsValue) -> Result<(), JsValue>;
}

struct Core {
    source: EventSource,
    /// The wrapper, weakly: set right after construction.
    this: RefCell<Option<js_sys::WeakRef>>,
    strong: RefCell<Option<Strong>>,
    entries: RefCell<Vec<Entry>>,
    hooks: RefCell<Vec<(String, Listener)>>,
    next_id: Cell<u32>,
    closed: Cell<bool>,
    /// How many dispatches are running (a listener may dispatch again). A source closed by a
    /// listener keeps its listeners until the outermost dispatch ends: DOM dispatch calls every
    /// listener that was registered when it began.
    depth: Cell<u32>,
    /// The listeners of the closed source were released.
    released: Cell<bool>,
    /// After the source closed: the `on*` handler values, which read back as assigned (as on
    /// the browser's EventSource) though they will not be called again.
    /// `None`: assigned `null` after close().
    closed_handlers: RefCell<Vec<(String, Option<Function>)>>,
    _close_watch: RefCell<Option<Listener>>,
}

/// The `EventSource` JS class: a drop-in for the browser's, with typed extras.
#[wasm_bindgen(js_name = EventSource)]
pub struct JsEventSource {
    core: Rc<Core>,
}

impl std::fmt::Debug for JsEventSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSource")
            .field("source", &self.core.source)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// The wrapper object, if it is still alive (it is whenever JS calls into it).
    fn weak_this(&self) -> Option<JsValue> {
        self.this.borrow().as_ref()?.deref().map(JsValue::from)
    }

    /// Keeps the wrapper alive while it is open and has listeners, as the HTML standard asks of
    /// `EventSource`; lets it be collected otherwise.
    fn update_retention(&self) {
        let keep = !self.closed.get() && !self.entries.borrow().is_empty();
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

    fn take_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        id
    }

    fn contains(&self, id: u32) -> bool {
        self.entries.borrow().iter().any(|entry| entry.id == id)
    }

    fn add_entry(self: &Rc<Self>, entry: Entry) {
        if self.closed.get() {
            return;
        }
        let event_type = entry.event_type.clone();
        self.entries.borrow_mut().push(entry);
        self.ensure_hook(&event_type);
        self.update_retention();
    }

    fn remove_where(&self, matches: impl Fn(&Entry) -> bool) {
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

    fn remove_entry(&self, id: u32) {
        self.remove_where(|entry| entry.id == id);
    }

    fn ensure_hook(self: &Rc<Self>, event_type: &str) {
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

    fn release_hook(&self, event_type: &str) {
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

    /// The source closed for good: release listeners and the wrapper (once no dispatch runs).
    fn on_closed(&self) {
        self.closed.set(true);
        if self.depth.get() == 0 {
            self.release();
        }
    }

    /// Drops the listeners of the closed source (and so whatever they captured), keeping the
    /// `on*` handler values to read back.
    fn release(&self) {
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

    fn dispatch_native(&self, event_type: &str, event: &web_sys::Event) {
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
        self.dispatch(event_type, event);
    }

    /// Calls the listeners of `event_type` in registration order with `event`, whose `target`
    /// and `currentTarget` become the wrapper.
    fn dispatch(&self, event_type: &str, event: &JsValue) {
        let (this, protos) = match self.strong.borrow().as_ref() {
            Some(strong) => (strong.this.clone(), strong.protos.clone()),
            None => return,
        };
        let _ = retarget(event, &this, &protos);
        self.depth.set(self.depth.get().saturating_add(1));
        self.call_listeners(event_type, event, &this);
        self.depth.set(self.depth.get().saturating_sub(1));
        if self.depth.get() == 0 && self.closed.get() {
            self.release();
        }
    }

    /// The listener loop of [`dispatch`](Self::dispatch).
    fn call_listeners(&self, event_type: &str, event: &JsValue, this: &JsValue) {
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
            // error, or the `error` event that reports bad JSON (which would loop back here).
            if matches!(callback, Callback::Plain(_) | Callback::Json(_))
                && !*is_message
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

    fn invoke(
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
        }
    }

    fn dispatch_json_error(
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
        let message = format!(
            "the data of a \"{event_type}\" event is not valid JSON: {}",
            error_message(error)
        );
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

    fn handler(&self, event_type: &str) -> JsValue {
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
    fn set_handler(self: &Rc<Self>, event_type: &str, value: JsValue) {
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

    fn subscribe(self: &Rc<Self>, event_type: String, callback: Callback) -> Function {
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
fn listener_arguments(
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
        return Err(type_error(&format!(
            "Failed to execute '{method}' on 'EventSource': the listener must be a function or \
             an object with a handleEvent() method"
        )));
    }
    Ok(event_type)
}

/// `capture` from `addEventListener`/`removeEventListener` options (a boolean or an object).
fn capture_flag(options: &JsValue) -> Result<bool, JsValue> {
    if options.is_object() {
        Ok(Reflect::get(options, &"capture".into())?.is_truthy())
    } else {
        Ok(options.is_truthy())
    }
}

fn to_js_error(error: Error) -> JsValue {
    let message = error.to_string();
    match error {
        Error::InvalidUrl { .. } => syntax_error(&message),
        Error::InvalidOptions(_) => js_sys::TypeError::new(&message).into(),
        _ => js_sys::Error::new(&message).into(),
    }
}

fn read_options(options: &JsValue) -> Result<EventSourceOptions, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(EventSourceOptions::default());
    }
    if !options.is_object() {
        return Err(type_error(&format!(
            "EventSource options must be an object such as {{ withCredentials: true }}, got {}",
            options.js_typeof().as_string().unwrap_or_default()
        )));
    }
    let get = |key: &str| Reflect::get(options, &key.into());
    let mut result =
        EventSourceOptions::new().with_credentials(get("withCredentials")?.is_truthy());
    let transport = get("transport")?;
    if !transport.is_undefined() {
        result.transport = match transport.as_string().as_deref() {
            Some("auto") => Transport::Auto,
            Some("eventsource") => Transport::EventSource,
            Some("fetch") => Transport::Fetch,
            _ => {
                return Err(type_error(
                    "options.transport must be 'auto', 'eventsource' or 'fetch'",
                ))
            }
        };
    }
    let headers = get("headers")?;
    if let Some(function) = headers.dyn_ref::<Function>() {
        let function = function.clone();
        result.header_provider = Some(HeaderProvider::from_boxed(Rc::new(move || {
            let function = function.clone();
            Box::pin(async move {
                let value = function
                    .call0(&JsValue::UNDEFINED)
                    .map_err(|e| error_message(&e))?;
                let value = JsFuture::from(to_promise(&value).map_err(|e| error_message(&e))?)
                    .await
                    .map_err(|e| error_message(&e))?;
                if value.is_undefined() || value.is_null() {
                    return Ok(Vec::new());
                }
                header_pairs(&value).map_err(|e| error_message(&e))
            })
        })));
    } else if !headers.is_undefined() && !headers.is_null() {
        result.headers = header_pairs(&headers).map_err(|e| {
            type_error(&format!(
                "options.headers must be an object of strings, an array of [name, value] pairs, \
                 a Headers object, or a function returning one: {}",
                error_message(&e)
            ))
        })?;
    }
    let method = get("method")?;
    if !method.is_undefined() {
        result.method = Some(
            method
                .as_string()
                .ok_or_else(|| type_error("options.method must be a string such as 'POST'"))?,
        );
    }
    let body = get("body")?;
    if !body.is_undefined() && !body.is_null() {
        result.js_body = Some(body);
    }
    let credentials = get("credentials")?;
    if !credentials.is_undefined() {
        result.fetch_credentials = Some(match credentials.as_string().as_deref() {
            Some("omit") => Credentials::Omit,
            Some("same-origin") => Credentials::SameOrigin,
            Some("include") => Credentials::Include,
            _ => {
                return Err(type_error(
                    "options.credentials must be 'omit', 'same-origin' or 'include'",
                ))
            }
        });
    }
    let fetch = get("fetch")?;
    if !fetch.is_undefined() && !fetch.is_null() {
        result.fetch = Some(fetch.dyn_into().map_err(|_| {
            type_error("options.fetch must be a function with the signature of fetch(url, init)")
        })?);
    }
    let retry = get("retry")?;
    if retry.is_truthy() {
        let mut policy = RetryPolicy::new();
        if retry.is_object() {
            let number = |key: &str| -> Result<Option<f64>, JsValue> {
                let value = Reflect::get(&retry, &key.into())?;
                if value.is_undefined() {
                    return Ok(None);
                }
                match value.as_f64() {
                    Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
                    _ => Err(type_error(&format!(
                        "options.retry.{key} must be a non-negative number"
                    ))),
                }
            };
            let ms = |n: f64| n.min(f64::from(u32::MAX)) as u32;
            if let Some(n) = number("initialDelay")? {
                policy.initial_delay_ms = ms(n);
            }
            if let Some(n) = number("maxDelay")? {
                policy.max_delay_ms = ms(n);
            }
            if let Some(n) = number("multiplier")? {
                if n < 1.0 {
                    return Err(type_error(
                        "options.retry.multiplier must be at least 1 (1 keeps the delay constant)",
                    ));
                }
                policy.multiplier = n;
            }
            if let Some(n) = number("jitter")? {
                if n > 1.0 {
                    return Err(type_error("options.retry.jitter must be between 0 and 1"));
                }
                policy.jitter = n;
            }
            if let Some(n) = number("maxRetries")? {
                policy.max_retries = Some(ms(n));
            }
            if let Some(n) = number("resetAfter")? {
                policy.reset_after_ms = ms(n);
            }
        } else if retry != JsValue::TRUE {
            return Err(type_error(
                "options.retry must be true or an object such as { initialDelay: 1000, maxDelay: 30000 }",
            ));
        }
        result.retry = Some(policy);
    }
    let should_retry = get("shouldRetry")?;
    if !should_retry.is_undefined() && !should_retry.is_null() {
        let function: Function = should_retry
            .dyn_into()
            .map_err(|_| type_error("options.shouldRetry must be a function (error) => boolean"))?;
        result.should_retry = Some(ShouldRetry::new(move |failure| {
            let info = Object::new();
            let _ = Reflect::set(&info, &"kind".into(), &failure.kind().into());
            let status = match failure {
                Failure::Status { status, .. } => JsValue::from(*status),
                _ => JsValue::NULL,
            };
            let _ = Reflect::set(&info, &"status".into(), &status);
            let _ = Reflect::set(
                &info,
                &"retryable".into(),
                &JsValue::from_bool(failure.is_retryable()),
            );
            match function.call1(&JsValue::UNDEFINED, &info) {
                Ok(answer) => answer.is_truthy(),
                Err(error) => {
                    report(&error);
                    false
                }
            }
        }));
    }
    let idle = get("idleTimeout")?;
    if !idle.is_undefined() {
        match idle.as_f64() {
            Some(n) if n >= 1.0 && n.is_finite() => {
                result.idle_timeout_ms = Some(n.min(f64::from(u32::MAX)) as u32)
            }
            _ => {
                return Err(type_error(
                    "options.idleTimeout must be a positive number of milliseconds",
                ))
            }
        }
    }
    let seed = get("lastEventId")?;
    if !seed.is_undefined() && !seed.is_null() {
        result.last_event_id = Some(
            seed.as_string()
                .ok_or_else(|| type_error("options.lastEventId must be a string"))?,
        );
    }
    let param = get("lastEventIdParam")?;
    if !param.is_undefined() {
        result.last_event_id_param =
            Some(param.as_string().filter(|p| !p.is_empty()).ok_or_else(|| {
                type_error("options.lastEventIdParam must be a non-empty string")
            })?);
    }
    result.reconnect_on_online = get("reconnectOnOnline")?.is_truthy();
    result.pause_when_hidden = get("pauseWhenHidden")?.is_truthy();
    result.reopen_on_pageshow = get("reopenOnPageshow")?.is_truthy();
    let max = get("maxEventSize")?;
    if !max.is_undefined() {
        match max.as_f64() {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => result.max_event_size = Some(n as usize),
            _ => {
                return Err(type_error(
                    "options.maxEventSize must be a positive whole number of bytes",
                ))
            }
        }
    }
    Ok(result)
}

/// `[name, value]` pairs from anything `new Headers(init)` accepts.
fn header_pairs(init: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    // `new Headers(init)`: accepts a record, pairs, or another Headers.
    let headers = web_sys::Headers::new_with_str_sequence_sequence(init)?;
    let mut pairs = Vec::new();
    for entry in js_sys::Array::from(&headers).iter() {
        let entry = js_sys::Array::from(&entry);
        pairs.push((
            entry.get(0).as_string().unwrap_or_default(),
            entry.get(1).as_string().unwrap_or_default(),
        ));
    }
    Ok(pairs)
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
        });
        let weak = Rc::downgrade(&core);
        let watch = core.source.watch_close(move || {
            if let Some(core) = weak.upgrade() {
                core.on_closed();
            }
        });
        *core._close_watch.borrow_mut() = Some(watch);
        let this = JsValue::from(JsEventSource { core: core.clone() });
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

    /// Closes the connection: no reconnect, no further events. Idempotent.
    pub fn close(&self) {
        self.core.source.close();
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

    /// `onJson(type, callback)`: calls `callback(value, event)` with the data parsed as JSON;
    /// data that is not JSON is dispatched to `error` listeners instead. Returns an
    /// unsubscribe function.
    #[wasm_bindgen(js_name = onJson, skip_typescript)]
    pub fn on_json(&self, event_type: JsValue, callback: JsValue) -> Result<Function, JsValue> {
        let event_type = to_dom_string(&event_type)?;
        let callback: Function = callback
            .dyn_into()
            .map_err(|_| type_error("onJson(type, callback): callback must be a function"))?;
        Ok(self.core.subscribe(event_type, Callback::Json(callback)))
    }
}
