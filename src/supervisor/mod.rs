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
mod state;
mod wait;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::{JsCast, JsValue};

#[cfg(feature = "reconnect")]
pub(crate) use self::lifecycle::Triggers;
pub(crate) use self::policy::Policy;
pub(crate) use self::state::StateCallback;
use crate::batch::{BatchCallback, Batches, Every};
use crate::close_on::CloseOn;
use crate::dispatch::{CloseCallback, Listeners, RawCallback};
use crate::state::{LastError, SourceState};
use crate::transport::{Sink, Transport};
use crate::ReadyState;

/// Where the reconnect loop is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// An attempt is in flight: the transport knows the state.
    Attempt,
    /// A failure was reported; the next attempt has not started (CONNECTING).
    Between,
    /// Ending by itself: the fatal error or the `close` event is being dispatched (CLOSED).
    Ending,
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
    #[cfg(feature = "reconnect")]
    paused: Cell<bool>,
    /// How many pauses there have been: an attempt that saw this change was interrupted by a
    /// pause (perhaps already undone, as a back/forward-cache restore does), not by a failure.
    #[cfg(feature = "reconnect")]
    pauses: Cell<u64>,
    /// Resolves the loop's wait for the end of a pause.
    #[cfg(feature = "reconnect")]
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
    /// When the stream is complete (`close_on`).
    close_on: Option<CloseOn>,
    /// The attempt count, the next retry, the last error, the events received.
    state: state::Tracker,
    /// Batch listeners.
    batches: Batches,
}

/// What a supervisor is made with, besides its transport.
pub(crate) struct Settings {
    pub(crate) policy: Policy,
    /// The last event ID to start from.
    pub(crate) last_event_id: Option<String>,
    /// Fail an attempt when nothing arrives for this long (fetch transport).
    #[cfg(feature = "fetch")]
    pub(crate) idle_timeout_ms: Option<u32>,
    /// When the stream is complete.
    pub(crate) close_on: Option<CloseOn>,
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
            #[cfg(feature = "reconnect")]
            paused: Cell::new(false),
            #[cfg(feature = "reconnect")]
            pauses: Cell::new(0),
            #[cfg(feature = "reconnect")]
            resume_waiter: RefCell::new(None),
            #[cfg(feature = "reconnect")]
            lifecycle: RefCell::new(Vec::new()),
            #[cfg(feature = "fetch")]
            idle: idle::Idle::new(settings.idle_timeout_ms),
            last_event_id: RefCell::new(settings.last_event_id.unwrap_or_default()),
            last_event: RefCell::new(None),
            close_on: settings.close_on,
            state: state::Tracker::default(),
            batches: Batches::default(),
        });
        let sink: Weak<dyn Sink> = Rc::downgrade(&supervisor) as Weak<dyn Sink>;
        supervisor.transport.bind(sink);
        // The event that completes the stream must reach the supervisor even when no listener
        // wants it (the browser's EventSource fires only the types that have listeners).
        let completing = match &supervisor.close_on {
            Some(CloseOn::Type(event_type)) => Some(event_type.clone()),
            Some(CloseOn::When(_)) => Some(Cow::Borrowed("message")),
            None => None,
        };
        if let Some(event_type) = completing {
            let callback: RawCallback = Rc::new(RefCell::new(|_: &web_sys::Event| {}));
            supervisor.add(event_type, callback);
        }
        wasm_bindgen_futures::spawn_local(run::run(Rc::downgrade(&supervisor)));
        supervisor
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.listeners.is_closed()
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        if self.is_closed() || self.phase.get() == Phase::Ending {
            return ReadyState::Closed;
        }
        if self.is_paused() || self.phase.get() == Phase::Between {
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

    /// Whether this context leads the shared connection, and how many contexts share it.
    #[cfg(feature = "shared")]
    pub(crate) fn sharing(&self) -> Option<(bool, u32)> {
        use crate::transport::shared::Role;
        let (role, contexts) = self.transport.shared_role()?;
        Some((role != Role::Follower, contexts))
    }

    pub(crate) fn raw(&self) -> Option<web_sys::EventSource> {
        self.transport.raw()
    }

    /// The source's state now.
    pub(crate) fn state(&self) -> SourceState {
        SourceState {
            ready_state: self.ready_state(),
            attempt: self.state.attempt.get(),
            next_retry_at: self.state.next_retry_at.get(),
            last_error: self.state.last_error.borrow().clone(),
            last_event_id: self.last_event_id(),
            events_received: self.state.events_received.get(),
        }
    }

    /// Moves on whenever the state changes.
    #[cfg(feature = "js")]
    pub(crate) fn state_version(&self) -> u64 {
        self.state.version.get()
    }

    /// Runs `callback` after every change of state, until the source closes; returns an id
    /// for [`Supervisor::remove`].
    pub(crate) fn watch_state(&self, callback: StateCallback) -> u64 {
        let id = self.listeners.take_id();
        if !self.is_closed() {
            self.state.watch(id, callback);
        }
        id
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

    /// Registers a batch listener of `types` (`None`: every type the transport sees); returns
    /// its id for [`Supervisor::remove`].
    pub(crate) fn add_batch(
        &self,
        every: Every,
        types: Option<Vec<String>>,
        callback: BatchCallback,
    ) -> u64 {
        let id = self.listeners.take_id();
        if self.is_closed() {
            return id;
        }
        self.batches.add(id, every, types, callback);
        // The browser's EventSource fires only the types that have a listener.
        for event_type in self.batches.types() {
            self.transport.listen(&event_type);
        }
        id
    }

    /// Removes a listener, close watcher, state watcher or batch listener. Unknown ids are
    /// ignored.
    pub(crate) fn remove(&self, id: u64) {
        if self.state.unwatch(id) || self.batches.remove(id) {
            return;
        }
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
        {
            self.lifecycle.borrow_mut().clear();
            let waiter = self.resume_waiter.borrow_mut().take();
            if let Some(resolve) = waiter {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
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
        self.batches.flush_all();
        self.listeners.close();
        self.state.changed();
        self.state.release();
        self.batches.release();
    }
}

impl Sink for Supervisor {
    fn is_closed(&self) -> bool {
        Supervisor::is_closed(self)
    }

    fn wants(&self, event_type: &str) -> bool {
        self.listeners.has(event_type) || matches!(self.close_on, Some(CloseOn::When(_)))
    }

    fn dispatch(&self, event_type: &str, event: &web_sys::Event) {
        self.listeners.dispatch(event_type, event);
        self.check_complete(event_type, event);
    }

    fn dispatch_browser(&self, event_type: &str, event: &web_sys::Event) {
        if self.is_closed() {
            return;
        }
        // Every event the browser fires on an `EventSource` under a name other than `open`
        // and `error` is a server message, so only those two names need a type check.
        if !matches!(event_type, "open" | "error") || event.has_type::<web_sys::MessageEvent>() {
            *self.last_event.borrow_mut() = Some(event.clone());
            self.received();
            if self.batches.wants(event_type) {
                self.batches.push(browser_event(event_type, event));
            }
        }
        self.listeners.dispatch(event_type, event);
        self.check_complete(event_type, event);
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

    fn opened(&self) {
        self.state.opened();
        self.state.changed();
    }

    fn received(&self) {
        let state = &self.state;
        state
            .events_received
            .set(state.events_received.get().wrapping_add(1));
        state.changed();
    }

    fn browser_reconnecting(&self, event: &web_sys::Event) {
        let error = LastError {
            kind: "connection",
            message: "the connection was interrupted; the browser is reconnecting".to_owned(),
            status: None,
            fatal: false,
        };
        let attempt = self.state.attempt.get().saturating_add(1);
        self.state.failed(error, attempt, None);
        self.state.changed();
        self.listeners.dispatch("error", event);
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

    #[cfg(feature = "fetch")]
    fn wants_batch(&self, event_type: &str) -> bool {
        self.batches.wants(event_type)
    }

    #[cfg(feature = "fetch")]
    fn batch(&self, event: crate::parser::Event) {
        self.batches.push(event);
    }
}

/// A browser `MessageEvent` as a plain event (for batch listeners).
fn browser_event(event_type: &str, event: &web_sys::Event) -> crate::parser::Event {
    let text = |key: &str| {
        crate::support::prop(event, key)
            .as_string()
            .unwrap_or_default()
    };
    crate::parser::Event {
        event_type: event_type.to_owned(),
        data: text("data"),
        last_event_id: text("lastEventId"),
    }
}

impl Supervisor {
    /// Completes the stream if `event` (just delivered) is the one `close_on` waits for.
    fn check_complete(&self, event_type: &str, event: &web_sys::Event) {
        let done = match &self.close_on {
            None => return,
            Some(CloseOn::Type(wanted)) => {
                wanted == event_type
                    && (!matches!(event_type, "open" | "error")
                        || event.has_type::<web_sys::MessageEvent>())
            }
            Some(CloseOn::When(predicate)) => match event.dyn_ref::<web_sys::MessageEvent>() {
                Some(message) => predicate(&crate::MessageEvent::from_raw(message.clone())),
                None => false,
            },
        };
        if done && !self.is_closed() {
            self.stop_all();
            self.phase.set(Phase::Ending);
            self.batches.flush_all();
            report::dispatch_close(self, "done", "the stream is complete");
            self.finish_close();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop_all();
    }
}
