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

use wasm_bindgen::prelude::*;

use crate::fetch::Connection;
use crate::options::ShouldRetry;
use crate::retry::{Backoff, Decision, Failure};
use crate::support::{clear_timeout, set_timeout};
use crate::ReadyState;

/// Waits `ms` milliseconds unless the source closes meanwhile (then it returns early, leaving
/// no timer behind), or until [`Shared::wake_now`] cuts the wait short. The timer is set when
/// this is called, not when the future is first polled, so a trigger that fires right after
/// (e.g. from a `reconnecting` listener) finds it. Resolves to whether the source is still open.
pub(crate) fn sleep(weak: &Weak<Shared>, ms: u32) -> impl std::future::Future<Output = bool> {
    let promise = weak
        .upgrade()
        .filter(|shared| !shared.closed.get())
        .map(|shared| {
            let mut timer = None;
            let promise = js_sys::Promise::new(&mut |resolve, _reject| {
                // A timer that cannot be set never fires; `close()` and `wake_now` still end it.
                let id = set_timeout(&resolve, ms);
                timer = Some((id, resolve));
            });
            *shared.timer.borrow_mut() = timer;
            promise
        });
    let weak = weak.clone();
    async move {
        let Some(promise) = promise else {
            return false;
        };
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        match weak.upgrade() {
            Some(shared) => {
                shared.timer.borrow_mut().take();
                !shared.closed.get()
            }
            None => false,
        }
    }
}

/// Waits until a pause ends (or the source closes). Returns whether the source is still open.
pub(crate) async fn wait_resumed(weak: &Weak<Shared>) -> bool {
    let promise = {
        let Some(shared) = weak.upgrade() else {
            return false;
        };
        if !shared.paused.get() || shared.closed.get() {
            return !shared.closed.get();
        }
        let mut waiter = None;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| waiter = Some(resolve));
        *shared.resume_waiter.borrow_mut() = waiter;
        promise
    };
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    weak.upgrade().is_some_and(|shared| !shared.closed.get())
}

/// `url` with the query parameter `param` set to `value` (added, or replaced if present).
pub(crate) fn url_with_param(url: &str, param: &str, value: &str) -> String {
    if value.is_empty() {
        return url.to_owned();
    }
    match web_sys::Url::new(url) {
        Ok(parsed) => {
            parsed.search_params().set(param, value);
            parsed.href()
        }
        Err(_) => url.to_owned(),
    }
}

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
        /// Replaced when a source is reopened (retry policy, lifecycle triggers).
        raw: RefCell<web_sys::EventSource>,
        hooks: RefCell<Vec<Hook>>,
        /// Always attached: they notice when the browser opens and gives up.
        lifecycle_hooks: RefCell<Vec<EventListener>>,
        /// How to reopen the source.
        reopen: Reopen,
    },
    /// `fetch` and this crate's parser; the connection task dispatches every event itself.
    Fetch(Connection),
}

/// What the native transport needs to reopen a source.
pub(crate) struct Reopen {
    /// The absolute URL as given.
    pub(crate) url: String,
    pub(crate) with_credentials: bool,
    /// The query parameter that carries the last event ID.
    pub(crate) param: String,
    /// The retry policy's state (`None`: the browser's behaviour when it gives up).
    pub(crate) backoff: Option<RefCell<Backoff>>,
    pub(crate) should_retry: Option<ShouldRetry>,
    pub(crate) opened_at: Cell<Option<f64>>,
    /// The last event ID in the query of the current browser source's URL (empty: none). The
    /// browser's own reconnects reuse that URL, so once the stream moves the ID on (or clears
    /// it) this library reopens instead, with the current ID.
    pub(crate) url_id: RefCell<String>,
}

pub(crate) struct Shared {
    backend: Backend,
    /// While a reopen is pending the browser's source is CLOSED but we are CONNECTING.
    reopening: Cell<bool>,
    /// The pending retry timer and the resolver of the promise waiting on it.
    timer: RefCell<Option<(JsValue, js_sys::Function)>>,
    /// Paused while the page is hidden (`pause_when_hidden`).
    paused: Cell<bool>,
    /// How many pauses there have been: a connection attempt that saw this change was
    /// interrupted by a pause (perhaps already undone, as a back/forward-cache restore does),
    /// not by a failure.
    pauses: Cell<u64>,
    /// Resolves the fetch task's wait for the end of a pause.
    resume_waiter: RefCell<Option<js_sys::Function>>,
    /// `online`, `visibilitychange` and `pageshow` listeners, when asked for.
    lifecycle: RefCell<Vec<EventListener>>,
    next_id: Cell<u64>,
    slots: RefCell<Vec<Slot>>,
    watchers: RefCell<Vec<(u64, CloseCallback)>>,
    closed: Cell<bool>,
    /// How many dispatches are running. A source closed by a listener keeps its listeners until
    /// the outermost dispatch ends: DOM dispatch calls every listener registered when it began.
    depth: Cell<u32>,
    last_event_id: RefCell<String>,
    /// The latest message from the browser's `EventSource`, whose `lastEventId` is read only
    /// when asked for (copying the string into wasm for every event would cost more than
    /// everything else the native path does).
    last_event: RefCell<Option<web_sys::Event>>,
}

impl Shared {
    fn with_backend(backend: Backend) -> Rc<Self> {
        Rc::new(Shared {
            backend,
            reopening: Cell::new(false),
            timer: RefCell::new(None),
            paused: Cell::new(false),
            pauses: Cell::new(0),
            resume_waiter: RefCell::new(None),
            lifecycle: RefCell::new(Vec::new()),
            next_id: Cell::new(1),
            slots: RefCell::new(Vec::new()),
            watchers: RefCell::new(Vec::new()),
            closed: Cell::new(false),
            depth: Cell::new(0),
            last_event_id: RefCell::new(String::new()),
            last_event: RefCell::new(None),
        })
    }

    pub(crate) fn native(raw: web_sys::EventSource, reopen: Reopen) -> Rc<Self> {
        let shared = Self::with_backend(Backend::Native {
            raw: RefCell::new(raw),
            hooks: RefCell::new(Vec::new()),
            lifecycle_hooks: RefCell::new(Vec::new()),
            reopen,
        });
        shared.attach_lifecycle_hooks();
        shared
    }

    fn attach_lifecycle_hooks(self: &Rc<Self>) {
        let Backend::Native {
            raw,
            lifecycle_hooks,
            ..
        } = &self.backend
        else {
            return;
        };
        let raw = raw.borrow();
        let on_error = {
            let weak = Rc::downgrade(self);
            EventListener::new(&raw, "error", move |event| {
                if let Some(shared) = weak.upgrade() {
                    shared.on_raw_error(event);
                }
            })
        };
        let on_open = {
            let weak = Rc::downgrade(self);
            EventListener::new(&raw, "open", move |event| {
                if let Some(shared) = weak.upgrade() {
                    if let Backend::Native { reopen, .. } = &shared.backend {
                        if event.dyn_ref::<web_sys::MessageEvent>().is_none() {
                            reopen.opened_at.set(Some(js_sys::Date::now()));
                        }
                    }
                }
            })
        };
        *lifecycle_hooks.borrow_mut() = vec![on_error, on_open];
    }

    fn hook_listener(self: &Rc<Self>, raw: &web_sys::EventSource, name: &str) -> EventListener {
        let weak: Weak<Shared> = Rc::downgrade(self);
        let name = name.to_owned();
        EventListener::new(raw, name.clone(), move |event| {
            if let Some(shared) = weak.upgrade() {
                shared.dispatch_from_browser(&name, event);
            }
        })
    }

    pub(crate) fn fetch(connection: Connection) -> Rc<Self> {
        Self::with_backend(Backend::Fetch(connection))
    }

    pub(crate) fn raw(&self) -> Option<web_sys::EventSource> {
        match &self.backend {
            Backend::Native { raw, .. } => Some(raw.borrow().clone()),
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
            _ if self.paused.get() => ReadyState::Connecting,
            Backend::Native { .. } if self.reopening.get() => ReadyState::Connecting,
            Backend::Native { raw, .. } => ReadyState::from_raw(raw.borrow().ready_state()),
            Backend::Fetch(connection) => connection.ready_state(),
        }
    }

    pub(crate) fn url(&self) -> String {
        match &self.backend {
            Backend::Native { reopen, .. } => reopen.url.clone(),
            Backend::Fetch(connection) => connection.url().to_owned(),
        }
    }

    pub(crate) fn with_credentials(&self) -> bool {
        match &self.backend {
            Backend::Native { raw, .. } => raw.borrow().with_credentials(),
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
        self.last_event.borrow_mut().take();
        let mut last = self.last_event_id.borrow_mut();
        if *last != id {
            id.clone_into(&mut last);
        }
    }

    pub(crate) fn last_event_id(&self) -> String {
        if let Some(event) = self.last_event.borrow_mut().take() {
            // `Reflect.get`, not the `MessageEvent` getter: never throws, whatever the event.
            let id = js_sys::Reflect::get(&event, &"lastEventId".into())
                .ok()
                .and_then(|id| id.as_string())
                .unwrap_or_default();
            *self.last_event_id.borrow_mut() = id;
        }
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
        let listener = self.hook_listener(&raw.borrow(), event_type);
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
            self.release_slots();
        }
    }

    /// Once the source is closed and no dispatch runs: drops the callbacks (and whatever they
    /// captured), since no event can arrive any more.
    fn release_slots(&self) {
        if self.depth.get() == 0 {
            let slots = std::mem::take(&mut *self.slots.borrow_mut());
            drop(slots);
        }
    }

    /// Dispatches an event of the browser's `EventSource`, remembering it as the latest message
    /// if it is one. Every event the browser fires on an `EventSource` under a name other than
    /// `open` and `error` is a server message, so only those two names need a type check.
    fn dispatch_from_browser(&self, event_type: &str, event: &web_sys::Event) {
        if self.closed.get() {
            return;
        }
        if !matches!(event_type, "open" | "error") || event.has_type::<web_sys::MessageEvent>() {
            *self.last_event.borrow_mut() = Some(event.clone());
        }
        self.dispatch(event_type, event);
    }

    fn on_raw_error(self: &Rc<Self>, event: &web_sys::Event) {
        // A server event named "error" is a message, not a connection error.
        let is_message = event.has_type::<web_sys::MessageEvent>();
        let Backend::Native { raw, reopen, .. } = &self.backend else {
            return;
        };
        if is_message || self.closed.get() || self.paused.get() || self.reopening.get() {
            self.dispatch_from_browser("error", event);
            return;
        }
        let browser_state = ReadyState::from_raw(raw.borrow().ready_state());
        match browser_state {
            // The browser reconnects by itself after its reconnection time.
            ReadyState::Connecting => {
                // Its request would carry a stale `?lastEventId=` that only a reopen by this
                // library may carry; and under a retry policy each of its reconnects is an
                // attempt that the policy counts and times, as on the fetch transport.
                let stale = {
                    let url_id = reopen.url_id.borrow();
                    !url_id.is_empty() && *url_id != self.last_event_id()
                };
                if reopen.backoff.is_none() && !stale {
                    self.dispatch("error", event);
                    return;
                }
                raw.borrow().close();
                self.after_failure(
                    event,
                    Failure::Network,
                    None,
                    "the connection ended or broke; the browser's EventSource is reopened".into(),
                    true,
                );
            }
            // The browser gave up without saying why: learn the status first (bounded).
            ReadyState::Closed => {
                // Nothing would use what the probe learns: no request.
                if reopen.backoff.is_none() && !self.has_listeners("error") {
                    self.finish_close();
                    return;
                }
                let url = raw.borrow().url();
                let with_credentials = reopen.with_credentials;
                // Under a policy the outcome is open until the probe answers.
                self.reopening.set(reopen.backoff.is_some());
                let pauses = self.pauses.get();
                let weak = Rc::downgrade(self);
                let event = event.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let probed = crate::probe::probe(&url, with_credentials).await;
                    let Some(shared) = weak.upgrade() else {
                        return;
                    };
                    // Closed meanwhile, or paused (a resume reopens by itself).
                    if shared.closed.get() || shared.pauses.get() != pauses {
                        return;
                    }
                    shared.reopening.set(false);
                    shared.after_failure(
                        &event,
                        probed.failure,
                        probed.status,
                        probed.message,
                        false,
                    );
                });
            }
            ReadyState::Open => self.dispatch("error", event),
        }
    }

    /// Decides after a failed attempt of the browser's `EventSource` (already closed or given
    /// up): reopen after the policy's delay (or, without a policy, after the browser's
    /// reconnection time when `browser_retried`), or fail for good. `event` is the browser's
    /// error event, dispatched with the failure's `message` and `status`.
    fn after_failure(
        self: &Rc<Self>,
        event: &web_sys::Event,
        failure: Failure,
        status: Option<u16>,
        message: String,
        browser_retried: bool,
    ) {
        let Backend::Native { reopen, .. } = &self.backend else {
            return;
        };
        let retryable = match &reopen.should_retry {
            Some(should_retry) => (should_retry.0)(&failure),
            None => failure.is_retryable(),
        };
        let decision = match &reopen.backoff {
            Some(backoff) => {
                let mut backoff = backoff.borrow_mut();
                if let Some(opened_at) = reopen.opened_at.take() {
                    backoff.connection_lasted(js_sys::Date::now() - opened_at);
                }
                backoff.next_with(&failure, retryable, js_sys::Math::random())
            }
            // No policy: what the browser does (it retried, or it gave up).
            None if browser_retried => Decision::Retry {
                attempt: 0,
                delay_ms: crate::fetch::DEFAULT_RETRY_MS,
            },
            None => Decision::GiveUp { attempts: 0 },
        };
        let set = |key: &str, value: &JsValue| {
            let _ = js_sys::Reflect::set(event, &key.into(), value);
        };
        set("status", &status.map_or(JsValue::NULL, JsValue::from));
        match decision {
            Decision::Retry { attempt, delay_ms } => {
                self.reopening.set(true);
                let wait = sleep(&Rc::downgrade(self), delay_ms);
                set("message", &message.as_str().into());
                self.dispatch("error", event);
                if reopen.backoff.is_some() && !self.closed.get() {
                    crate::fetch::dispatch_reconnecting(
                        self, attempt, delay_ms, &failure, &message, status,
                    );
                }
                let weak = Rc::downgrade(self);
                wasm_bindgen_futures::spawn_local(async move {
                    if wait.await {
                        if let Some(shared) = weak.upgrade() {
                            shared.reopen();
                        }
                    }
                });
            }
            Decision::GiveUp { attempts } => {
                self.reopening.set(false);
                let message = if reopen.backoff.is_some() && retryable {
                    format!("{message} (the retry policy gave up after {attempts} retries)")
                } else {
                    message
                };
                set("message", &message.into());
                self.dispatch("error", event);
                self.finish_close();
            }
        }
    }

    /// Opens a new browser `EventSource` (carrying the last event ID in the query) in place of
    /// the one the browser gave up on, and moves every listener hook over to it.
    fn reopen(self: &Rc<Self>) {
        let Backend::Native {
            raw, hooks, reopen, ..
        } = &self.backend
        else {
            return;
        };
        // A retry wait that a pause cut short must not reconnect while the page is hidden:
        // `resume` reopens.
        if self.closed.get() || self.paused.get() {
            return;
        }
        let id = self.last_event_id();
        let url = url_with_param(&reopen.url, &reopen.param, &id);
        let fresh = match crate::intrinsics::platform_event_source(&url, reopen.with_credentials) {
            Ok(fresh) => fresh,
            Err(error) => {
                self.reopening.set(false);
                raw.borrow().close();
                if let Ok(event) = web_sys::Event::new("error") {
                    let message = format!(
                        "the browser's EventSource could not be reopened: {}",
                        crate::support::error_message(&error)
                    );
                    let _ = js_sys::Reflect::set(&event, &"message".into(), &message.into());
                    self.dispatch("error", &event);
                }
                self.finish_close();
                return;
            }
        };
        let old = raw.replace(fresh);
        old.close();
        *reopen.url_id.borrow_mut() = id;
        self.reopening.set(false);
        self.attach_lifecycle_hooks();
        let names: Vec<String> = hooks
            .borrow()
            .iter()
            .map(|h| h.event_type.clone())
            .collect();
        let fresh_listeners: Vec<EventListener> = names
            .iter()
            .map(|name| self.hook_listener(&raw.borrow(), name))
            .collect();
        let old_listeners: Vec<EventListener> = hooks
            .borrow_mut()
            .iter_mut()
            .zip(fresh_listeners)
            .map(|(hook, listener)| std::mem::replace(&mut hook._listener, listener))
            .collect();
        drop(old_listeners);
    }

    /// Attaches the opt-in lifecycle triggers to the global object (window or worker).
    pub(crate) fn watch_lifecycle(self: &Rc<Self>, online: bool, hidden: bool, pageshow: bool) {
        let global = js_sys::global();
        let Ok(target) = global.dyn_into::<web_sys::EventTarget>() else {
            return;
        };
        let mut listeners = Vec::new();
        if online {
            let weak = Rc::downgrade(self);
            listeners.push(EventListener::new(&target, "online", move |_| {
                if let Some(shared) = weak.upgrade() {
                    shared.wake_now();
                }
            }));
        }
        let document = js_sys::Reflect::get(&js_sys::global(), &"document".into())
            .ok()
            .and_then(|d| d.dyn_into::<web_sys::EventTarget>().ok());
        if let (true, Some(document)) = (hidden, document) {
            let weak = Rc::downgrade(self);
            let doc = document.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    let hidden = js_sys::Reflect::get(&doc, &"visibilityState".into())
                        .ok()
                        .and_then(|v| v.as_string())
                        .is_some_and(|v| v == "hidden");
                    if let Some(shared) = weak.upgrade() {
                        if hidden {
                            shared.pause();
                        } else {
                            shared.resume();
                        }
                    }
                },
            ));
        }
        if pageshow {
            let weak = Rc::downgrade(self);
            listeners.push(EventListener::new(&target, "pageshow", move |event| {
                let persisted = js_sys::Reflect::get(event, &"persisted".into())
                    .map(|p| p.is_truthy())
                    .unwrap_or(false);
                if let (true, Some(shared)) = (persisted, weak.upgrade()) {
                    // Restored from the back/forward cache: its connection is gone.
                    shared.pause();
                    shared.resume();
                }
            }));
        }
        *self.lifecycle.borrow_mut() = listeners;
    }

    /// Reconnects at once if a retry wait is pending (e.g. the network came back).
    pub(crate) fn wake_now(self: &Rc<Self>) {
        if self.closed.get() || self.paused.get() {
            return;
        }
        if let Some((id, resolve)) = self.timer.borrow_mut().take() {
            clear_timeout(&id);
            let _ = resolve.call0(&JsValue::UNDEFINED);
            return;
        }
        // The browser's own reconnection wait cannot be shortened: reopen instead.
        if let Backend::Native { raw, .. } = &self.backend {
            if raw.borrow().ready_state() == ReadyState::Connecting.as_raw() {
                self.reopen();
            }
        }
    }

    /// Closes the connection without ending the source (the page was hidden).
    pub(crate) fn pause(&self) {
        if self.closed.get() || self.paused.replace(true) {
            return;
        }
        self.pauses.set(self.pauses.get().wrapping_add(1));
        match &self.backend {
            Backend::Native { raw, .. } => raw.borrow().close(),
            Backend::Fetch(connection) => connection.abort_request(),
        }
        // A pending retry wait ends; the fetch task then waits for `resume`.
        if let Some((id, resolve)) = self.timer.borrow_mut().take() {
            clear_timeout(&id);
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// Reconnects after a pause, from the last event ID.
    pub(crate) fn resume(self: &Rc<Self>) {
        if self.closed.get() || !self.paused.replace(false) {
            return;
        }
        match &self.backend {
            Backend::Native { .. } => self.reopen(),
            Backend::Fetch(_) => {
                if let Some(resolve) = self.resume_waiter.borrow_mut().take() {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            }
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.get()
    }

    /// How many times the source has been paused (see `pauses`).
    pub(crate) fn pauses(&self) -> u64 {
        self.pauses.get()
    }

    /// Cancels a pending retry wait: its task wakes up and sees the source closed.
    fn cancel_timer(&self) {
        if let Some((id, resolve)) = self.timer.borrow_mut().take() {
            clear_timeout(&id);
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    fn stop_backend(&self) {
        self.cancel_timer();
        self.lifecycle.borrow_mut().clear();
        if let Some(resolve) = self.resume_waiter.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
        match &self.backend {
            Backend::Native { raw, .. } => raw.borrow().close(),
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
        self.cancel_timer();
        let lifecycle = std::mem::take(&mut *self.lifecycle.borrow_mut());
        drop(lifecycle);
        let watchers = std::mem::take(&mut *self.watchers.borrow_mut());
        for (_, watcher) in watchers {
            if let Ok(mut watcher) = watcher.try_borrow_mut() {
                watcher();
            }
        }
        self.release_slots();
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.stop_backend();
    }
}
