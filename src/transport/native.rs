//! The native transport: the browser's `EventSource`.
//!
//! One browser listener per event type that has listeners (the supervisor says which), plus
//! its own `open` and `error` listeners, which notice when the browser opens, reconnects by
//! itself or gives up. An attempt ends when the browser gives up (after a status probe, since
//! the browser hides why), or when it starts to reconnect by itself while the supervisor must
//! decide instead (`managed`: a retry policy is set) or while its request would carry a stale
//! `?lastEventId=` in the query. A later attempt opens a new `EventSource` whose URL carries
//! the current last event ID.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use wasm_bindgen::JsCast;

use crate::intrinsics::platform_event_source;
use crate::oneshot;
use crate::retry::Failure;
use crate::support::error_message;
#[cfg(feature = "fetch")]
use crate::transport::probe;
use crate::transport::{Ended, ErrorInfo, Outcome, Sink};
use crate::url::url_with_param;
use crate::ReadyState;

/// The browser's `EventSource` behind a source.
pub(crate) struct Native {
    /// The absolute URL as given.
    url: String,
    with_credentials: bool,
    /// The query parameter that carries the last event ID of a reopened source.
    param: String,
    /// A retry policy decides every reconnection: the browser must not reconnect by itself,
    /// and until the probe has answered the source is still connecting.
    managed: bool,
    sink: RefCell<Option<Weak<dyn Sink>>>,
    /// Replaced by each later attempt.
    raw: RefCell<web_sys::EventSource>,
    /// The first attempt uses the `EventSource` made when the source was created.
    unused: Cell<bool>,
    /// One browser listener per event type that has listeners (`error` excepted).
    hooks: RefCell<Vec<(String, EventListener)>>,
    /// Always attached: they notice when the browser opens, reconnects or gives up.
    own_hooks: RefCell<Vec<EventListener>>,
    /// The last event ID in the query of the current `EventSource`'s URL (empty: none). The
    /// browser's own reconnects reuse that URL, so once the stream moves the ID on (or clears
    /// it), the attempt ends and the next one carries the current ID.
    url_id: RefCell<String>,
    opened_at: Cell<Option<f64>>,
    /// The status probe after the browser gave up is in flight.
    probing: Cell<bool>,
    /// The number of the attempt in flight, and how to end it.
    attempt: Cell<u64>,
    end: RefCell<Option<oneshot::Sender<Outcome>>>,
}

impl Native {
    /// Creates the browser's `EventSource` at once (so a bad URL is an error of the
    /// constructor, as in the browser). `seed_id`: a last event ID to start from, which the
    /// browser can only send in the query.
    pub(crate) fn open(
        url: String,
        with_credentials: bool,
        param: String,
        seed_id: Option<&str>,
        managed: bool,
    ) -> Result<Self, wasm_bindgen::JsValue> {
        let seed_id = seed_id.unwrap_or_default();
        let first_url = url_with_param(&url, &param, seed_id);
        let raw = platform_event_source(&first_url, with_credentials)?;
        let url_id = if first_url == url {
            String::new()
        } else {
            seed_id.to_owned()
        };
        Ok(Native {
            url,
            with_credentials,
            param,
            managed,
            sink: RefCell::new(None),
            raw: RefCell::new(raw),
            unused: Cell::new(true),
            hooks: RefCell::new(Vec::new()),
            own_hooks: RefCell::new(Vec::new()),
            url_id: RefCell::new(url_id),
            opened_at: Cell::new(None),
            probing: Cell::new(false),
            attempt: Cell::new(0),
            end: RefCell::new(None),
        })
    }

    /// Connects the transport to its supervisor; attaches the browser listeners.
    pub(crate) fn bind(self: &Rc<Self>, sink: Weak<dyn Sink>) {
        *self.sink.borrow_mut() = Some(sink);
        self.attach_own_hooks();
    }

    fn sink(&self) -> Option<Rc<dyn Sink>> {
        self.sink.borrow().as_ref().and_then(Weak::upgrade)
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn with_credentials(&self) -> bool {
        self.with_credentials
    }

    pub(crate) fn raw(&self) -> web_sys::EventSource {
        self.raw.borrow().clone()
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        if self.managed && self.probing.get() {
            return ReadyState::Connecting;
        }
        ReadyState::from_raw(self.raw.borrow().ready_state())
    }

    /// Whether the browser waits to reconnect by itself (a wake-up then reopens at once).
    #[cfg(feature = "reconnect")]
    pub(crate) fn browser_is_reconnecting(&self) -> bool {
        self.end.borrow().is_some()
            && !self.probing.get()
            && self.raw.borrow().ready_state() == ReadyState::Connecting.as_raw()
    }

    /// Runs one attempt: until the browser gives up or must be reopened, or the attempt is
    /// interrupted or stopped.
    pub(crate) async fn attempt(self: Rc<Self>) -> Outcome {
        if !self.unused.replace(false) {
            if let Err(ended) = self.reopen() {
                return Outcome::Ended(ended);
            }
        }
        let (sender, receiver) = oneshot::channel();
        self.attempt.set(self.attempt.get().wrapping_add(1));
        *self.end.borrow_mut() = Some(sender);
        receiver.await
    }

    /// Ends attempt number `attempt` (if it is still the one in flight) with `outcome`.
    fn finish(&self, attempt: u64, outcome: Outcome) {
        if self.attempt.get() != attempt {
            return;
        }
        let sender = self.end.borrow_mut().take();
        if let Some(sender) = sender {
            sender.send(outcome);
        }
    }

    fn finish_now(&self, outcome: Outcome) {
        self.probing.set(false);
        self.finish(self.attempt.get(), outcome);
    }

    /// Closes the connection; the attempt ends as interrupted (the supervisor reopens later).
    #[cfg(any(feature = "fetch", feature = "reconnect"))]
    pub(crate) fn interrupt(&self) {
        self.raw.borrow().close();
        self.finish_now(Outcome::Interrupted);
    }

    /// Closes the connection for good.
    pub(crate) fn stop(&self) {
        self.raw.borrow().close();
        self.finish_now(Outcome::Stopped);
    }

    /// Listens to the browser's events of `event_type` (a listener of ours now wants them).
    pub(crate) fn listen(self: &Rc<Self>, event_type: &str) {
        if event_type == "error" || self.hooks.borrow().iter().any(|(t, _)| t == event_type) {
            return;
        }
        let hook = self.hook(&self.raw.borrow(), event_type);
        self.hooks.borrow_mut().push((event_type.to_owned(), hook));
    }

    /// Stops listening to the browser's events of `event_type`.
    pub(crate) fn unlisten(&self, event_type: &str) {
        // Taken out before it is dropped: no borrow is held while the browser listener goes.
        let removed = {
            let mut hooks = self.hooks.borrow_mut();
            hooks
                .iter()
                .position(|(t, _)| t == event_type)
                .map(|index| hooks.remove(index))
        };
        drop(removed);
    }

    fn hook(self: &Rc<Self>, raw: &web_sys::EventSource, event_type: &str) -> EventListener {
        let weak = Rc::downgrade(self);
        let name = event_type.to_owned();
        EventListener::new(raw, name.clone(), move |event| {
            if let Some(sink) = weak.upgrade().and_then(|native| native.sink()) {
                sink.dispatch_browser(&name, event);
            }
        })
    }

    fn attach_own_hooks(self: &Rc<Self>) {
        let raw = self.raw.borrow();
        let on_error = {
            let weak = Rc::downgrade(self);
            EventListener::new(&raw, "error", move |event| {
                if let Some(native) = weak.upgrade() {
                    native.on_error(event);
                }
            })
        };
        let on_open = {
            let weak = Rc::downgrade(self);
            EventListener::new(&raw, "open", move |event| {
                if let Some(native) = weak.upgrade() {
                    if event.dyn_ref::<web_sys::MessageEvent>().is_none() {
                        native.opened_at.set(Some(js_sys::Date::now()));
                        if let Some(sink) = native.sink() {
                            sink.opened();
                        }
                    }
                }
            })
        };
        *self.own_hooks.borrow_mut() = vec![on_error, on_open];
    }

    /// The browser's `error` event (or a server message named `error`).
    fn on_error(self: &Rc<Self>, event: &web_sys::Event) {
        let Some(sink) = self.sink() else {
            return;
        };
        let in_flight = self.end.borrow().is_some() && !self.probing.get();
        if event.has_type::<web_sys::MessageEvent>() || sink.is_closed() || !in_flight {
            sink.dispatch_browser("error", event);
            return;
        }
        let state = ReadyState::from_raw(self.raw.borrow().ready_state());
        match state {
            ReadyState::Connecting => self.on_browser_reconnecting(&*sink, event),
            ReadyState::Closed => self.on_browser_gave_up(&*sink, event),
            ReadyState::Open => sink.dispatch("error", event),
        }
    }

    /// The browser reconnects by itself after its reconnection time. Its request would carry
    /// a stale `?lastEventId=` (only a reopen may carry the current one); and under a retry
    /// policy each reconnect is an attempt that the policy counts and times.
    fn on_browser_reconnecting(&self, sink: &dyn Sink, event: &web_sys::Event) {
        let stale = {
            let url_id = self.url_id.borrow();
            !url_id.is_empty() && *url_id != sink.last_event_id()
        };
        if !self.managed && !stale {
            sink.browser_reconnecting(event);
            return;
        }
        self.raw.borrow().close();
        self.finish_now(Outcome::Ended(Ended {
            failure: Failure::Network,
            info: ErrorInfo {
                event: Some(event.clone()),
                ..ErrorInfo::message(
                    "the connection ended or broke; the browser's EventSource is reopened",
                )
            },
            opened_at: self.opened_at.take(),
            browser_retries: true,
            repeatable: true,
        }));
    }

    /// The browser gave up without saying why: one request learns the status (bounded).
    fn on_browser_gave_up(self: &Rc<Self>, sink: &dyn Sink, event: &web_sys::Event) {
        let gave_up = |failure, info: ErrorInfo, opened_at| {
            Outcome::Ended(Ended {
                failure,
                info: ErrorInfo {
                    event: Some(event.clone()),
                    ..info
                },
                opened_at,
                browser_retries: false,
                repeatable: true,
            })
        };
        // Nothing would use what the probe learns: no request. Without the `fetch` feature
        // there is no probe (it is a fetch): the failure stays unexplained, as in the browser.
        if !cfg!(feature = "fetch") || (!self.managed && !sink.wants("error")) {
            let info = ErrorInfo::message(
                "the connection failed and the browser gave up (HTTP error status, wrong \
                 Content-Type, 204 No Content, or a network error)",
            );
            let outcome = gave_up(Failure::Unknown, info, self.opened_at.take());
            self.finish_now(outcome);
        } else {
            #[cfg(feature = "fetch")]
            self.probe(event);
        }
    }

    /// Learns the status the browser hides, then ends the attempt with it.
    #[cfg(feature = "fetch")]
    fn probe(self: &Rc<Self>, event: &web_sys::Event) {
        self.probing.set(true);
        let attempt = self.attempt.get();
        let url = self.raw.borrow().url();
        let weak = Rc::downgrade(self);
        let event = event.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let probed =
                probe::probe(&url, weak.upgrade().is_some_and(|n| n.with_credentials)).await;
            let Some(native) = weak.upgrade() else {
                return;
            };
            if native.attempt.get() != attempt || !native.probing.replace(false) {
                return;
            }
            let outcome = Outcome::Ended(Ended {
                failure: probed.failure,
                info: ErrorInfo {
                    status: probed.status,
                    event: Some(event),
                    ..ErrorInfo::message(probed.message)
                },
                opened_at: native.opened_at.take(),
                browser_retries: false,
                repeatable: true,
            });
            native.finish(attempt, outcome);
        });
    }

    /// Opens a new `EventSource` (carrying the last event ID in the query) in place of the one
    /// the browser gave up on (or that was closed), and moves every hook over to it.
    fn reopen(self: &Rc<Self>) -> Result<(), Ended> {
        let id = self
            .sink()
            .map(|sink| sink.last_event_id())
            .unwrap_or_default();
        let url = url_with_param(&self.url, &self.param, &id);
        let fresh = match platform_event_source(&url, self.with_credentials) {
            Ok(fresh) => fresh,
            Err(error) => {
                self.raw.borrow().close();
                let mut message = "the browser's EventSource could not be reopened: ".to_owned();
                message.push_str(&error_message(&error));
                return Err(Ended {
                    failure: Failure::Request,
                    info: ErrorInfo::message(message),
                    opened_at: None,
                    browser_retries: false,
                    repeatable: true,
                });
            }
        };
        self.raw.replace(fresh).close();
        *self.url_id.borrow_mut() = id;
        self.opened_at.set(None);
        self.attach_own_hooks();
        let names: Vec<String> = self.hooks.borrow().iter().map(|(t, _)| t.clone()).collect();
        let fresh_hooks: Vec<(String, EventListener)> = names
            .into_iter()
            .map(|name| {
                let hook = self.hook(&self.raw.borrow(), &name);
                (name, hook)
            })
            .collect();
        let old = std::mem::replace(&mut *self.hooks.borrow_mut(), fresh_hooks);
        drop(old);
        Ok(())
    }
}
