//! The connection supervisor: one per source, for either transport.
//!
//! It owns the source's state (readyState, the last event ID), its listeners (through
//! [`Listeners`]) and the reconnect loop ([`run`]): it runs one transport attempt after
//! another, and after a failed one decides ([`Policy`]) whether to reconnect, reports the
//! failure as an `error` event (and `reconnecting`), and waits. It also owns the idle timeout,
//! the lifecycle triggers and pause/resume. Transports report to it through [`Sink`].

#[cfg(feature = "fetch")]
mod idle;
#[cfg(feature = "reconnect")]
mod lifecycle;
mod policy;
mod report;
mod run;
mod wait;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::{JsCast, JsValue};

#[cfg(feature = "reconnect")]
pub(crate) use self::lifecycle::Triggers;
pub(crate) use self::policy::Policy;
use crate::dispatch::{CloseCallback, Listeners, RawCallback};
use crate::transport::{Sink, Transport};
use crate::ReadyState;

/// Where the reconnect loop is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// An attempt is in flight: the transport knows the state.
    Attempt,
    /// A failure was reported; the next attempt has not started (CONNECTING).
    Between,
    /// Giving up: the fatal error is being dispatched (CLOSED).
    GivingUp,
}

/// The supervisor of one source.
pub(crate) struct Supervisor {
    transport: Transport,
    listeners: Listeners,
    phase: Cell<Phase>,
    policy: RefCell<Policy>,
    /// The pending retry timer and the resolver of the promise waiting on it.
    timer: RefCell<Option<(JsValue, js_sys::Function)>>,
    /// Paused while the page is hidden (`pause_when_hidden`).
    paused: Cell<bool>,
    /// How many pauses there have been: an attempt that saw this change was interrupted by a
    /// pause (perhaps already undone, as a back/forward-cache restore does), not by a failure.
    pauses: Cell<u64>,
    /// Resolves the loop's wait for the end of a pause.
    resume_waiter: RefCell<Option<js_sys::Function>>,
    /// `online`, `visibilitychange` and `pageshow` listeners, when asked for.
    #[cfg(feature = "reconnect")]
    lifecycle: RefCell<Vec<gloo_events::EventListener>>,
    #[cfg(feature = "fetch")]
    idle: idle::Idle,
    last_event_id: RefCell<String>,
    /// The latest message from the browser's `EventSource`, whose `lastEventId` is read only
    /// when asked for.
    last_event: RefCell<Option<web_sys::Event>>,
}

/// What a supervisor is made with, besides its transport.
pub(crate) struct Settings {
    pub(crate) policy: Policy,
    /// The last event ID to start from.
    pub(crate) last_event_id: Option<String>,
    /// Fail an attempt when nothing arrives for this long (fetch transport).
    #[cfg(feature = "fetch")]
    pub(crate) idle_timeout_ms: Option<u32>,
}

impl Supervisor {
    /// A supervisor for `transport`, whose reconnect loop starts at once.
    pub(crate) fn start(transport: Transport, settings: Settings) -> Rc<Self> {
        let supervisor = Rc::new(Supervisor {
            transport,
            listeners: Listeners::default(),
            phase: Cell::new(Phase::Attempt),
            policy: RefCell::new(settings.policy),
            timer: RefCell::new(None),
            paused: Cell::new(false),
            pauses: Cell::new(0),
            resume_waiter: RefCell::new(None),
            #[cfg(feature = "reconnect")]
            lifecycle: RefCell::new(Vec::new()),
            #[cfg(feature = "fetch")]
            idle: idle::Idle::new(settings.idle_timeout_ms),
            last_event_id: RefCell::new(settings.last_event_id.unwrap_or_default()),
            last_event: RefCell::new(None),
        });
        let sink: Weak<dyn Sink> = Rc::downgrade(&supervisor) as Weak<dyn Sink>;
        supervisor.transport.bind(sink);
        wasm_bindgen_futures::spawn_local(run::run(Rc::downgrade(&supervisor)));
        supervisor
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.listeners.is_closed()
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        if self.is_closed() || self.phase.get() == Phase::GivingUp {
            return ReadyState::Closed;
        }
        if self.paused.get() || self.phase.get() == Phase::Between {
            return ReadyState::Connecting;
        }
        self.transport.ready_state()
    }

    pub(crate) fn url(&self) -> String {
        self.transport.url()
    }

    pub(crate) fn with_credentials(&self) -> bool {
        self.transport.with_credentials()
    }

    pub(crate) fn raw(&self) -> Option<web_sys::EventSource> {
        self.transport.raw()
    }

    pub(crate) fn last_event_id(&self) -> String {
        let event = self.last_event.borrow_mut().take();
        if let Some(event) = event {
            // `Reflect.get`, not the `MessageEvent` getter: never throws, whatever the event.
            let id = js_sys::Reflect::get(&event, &"lastEventId".into())
                .ok()
                .and_then(|id| id.as_string())
                .unwrap_or_default();
            *self.last_event_id.borrow_mut() = id;
        }
        self.last_event_id.borrow().clone()
    }

    /// Registers `callback` for events of `event_type`; returns its id.
    pub(crate) fn add(&self, event_type: Cow<'static, str>, callback: RawCallback) -> u64 {
        let first = !self.listeners.has(&event_type);
        let name = first.then(|| event_type.clone());
        let id = self.listeners.add(event_type, callback);
        if let Some(name) = name {
            if !self.is_closed() {
                self.transport.listen(&name);
            }
        }
        id
    }

    /// Registers `callback` to run once when the source closes for good.
    pub(crate) fn watch_close(&self, callback: CloseCallback) -> u64 {
        self.listeners.watch_close(callback)
    }

    /// Removes a listener or close watcher. Unknown ids are ignored.
    pub(crate) fn remove(&self, id: u64) {
        if let Some(event_type) = self.listeners.remove(id) {
            if !self.listeners.has(&event_type) {
                self.transport.unlisten(&event_type);
            }
        }
    }

    /// Closes the connection and ends everything that waits on it.
    pub(crate) fn close(&self) {
        self.stop_all();
        self.finish_close();
    }

    fn stop_all(&self) {
        self.cancel_timer();
        #[cfg(feature = "reconnect")]
        self.lifecycle.borrow_mut().clear();
        let waiter = self.resume_waiter.borrow_mut().take();
        if let Some(resolve) = waiter {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
        self.transport.stop();
    }

    /// The source ended for good (closed, or given up): notify watchers, drop callbacks. The
    /// transport is left as it is: after a give-up, the rest of an error response's body may
    /// still be read into the error event.
    pub(crate) fn finish_close(&self) {
        if self.is_closed() {
            return;
        }
        self.cancel_timer();
        #[cfg(feature = "reconnect")]
        {
            let lifecycle = std::mem::take(&mut *self.lifecycle.borrow_mut());
            drop(lifecycle);
        }
        self.listeners.close();
    }
}

impl Sink for Supervisor {
    fn is_closed(&self) -> bool {
        Supervisor::is_closed(self)
    }

    fn wants(&self, event_type: &str) -> bool {
        self.listeners.has(event_type)
    }

    fn dispatch(&self, event_type: &str, event: &web_sys::Event) {
        self.listeners.dispatch(event_type, event);
    }

    fn dispatch_browser(&self, event_type: &str, event: &web_sys::Event) {
        if self.is_closed() {
            return;
        }
        // Every event the browser fires on an `EventSource` under a name other than `open`
        // and `error` is a server message, so only those two names need a type check.
        if !matches!(event_type, "open" | "error") || event.has_type::<web_sys::MessageEvent>() {
            *self.last_event.borrow_mut() = Some(event.clone());
        }
        self.listeners.dispatch(event_type, event);
    }

    #[cfg(feature = "fetch")]
    fn set_last_event_id(&self, id: &str) {
        self.last_event.borrow_mut().take();
        let mut last = self.last_event_id.borrow_mut();
        if *last != id {
            id.clone_into(&mut last);
        }
    }

    fn last_event_id(&self) -> String {
        Supervisor::last_event_id(self)
    }

    #[cfg(feature = "fetch")]
    fn server_retry(&self, ms: u32) {
        self.policy.borrow_mut().server_retry(ms);
    }

    #[cfg(feature = "fetch")]
    fn progress(&self) {
        self.idle.progress();
    }

    #[cfg(feature = "fetch")]
    fn event_too_large(&self, message: &str) {
        report::dispatch_event_too_large(self, message);
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop_all();
    }
}
