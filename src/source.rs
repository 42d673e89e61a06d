//! The Rust-facing `EventSource`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use serde::de::DeserializeOwned;

use crate::dispatch::RawCallback;
use crate::event::{as_message, ErrorEvent, MessageEvent};
use crate::supervisor::Supervisor;

use crate::{DecodeError, Error, EventSourceOptions, Every, Listener, ReadyState, SourceState};

/// A connection to a Server-Sent Events endpoint.
///
/// Cloning is cheap and every clone refers to the same connection. The connection closes when
/// [`close`](Self::close) is called on any clone, when the browser gives up, or when the last
/// owner (clone or stream from [`events`](Self::events), [`subscribe`](Self::subscribe),
/// [`subscribe_json`](Self::subscribe_json) or [`state_changes`](Self::state_changes)) is
/// dropped. Dropping one clone never closes a connection that another clone still uses. A
/// callback that needs the source captures [`downgrade`](Self::downgrade)'s
/// [`WeakEventSource`](crate::WeakEventSource), which is not an owner. In a UI component,
/// close the source in the component's cleanup (see the crate docs, "Cleaning up in a
/// component").
///
/// ```no_run
/// use eventsource_wasm::{EventSource, EventSourceOptions};
///
/// let source = EventSource::with_options("/events", &EventSourceOptions::new().with_credentials(true))?;
/// let _open = source.on_open(|| println!("connected"));
/// let _ticks = source.on("tick", |event| println!("tick {}", event.data()));
/// let _errors = source.on_error(|error| {
///     if error.is_fatal() {
///         println!("gave up: {}", error.message());
///     }
/// });
/// # Ok::<(), eventsource_wasm::Error>(())
/// ```
#[derive(Clone)]
pub struct EventSource {
    owner: Rc<Owner>,
}

/// Closes the connection when the last `EventSource` clone or stream is dropped.
pub(crate) struct Owner {
    supervisor: Rc<Supervisor>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.supervisor.close();
    }
}

impl EventSource {
    /// Opens a connection to `url` (resolved against the page's or worker's base URL).
    ///
    /// # Errors
    /// [`Error::Unsupported`] where no `EventSource` exists (see [`is_supported`](crate::is_supported));
    /// [`Error::InvalidUrl`] when the browser rejects the URL.
    ///
    /// ```no_run
    /// let source = eventsource_wasm::EventSource::new("/events")?;
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
    pub fn new(url: &str) -> Result<Self, Error> {
        Self::with_options(url, &EventSourceOptions::default())
    }

    /// Opens a connection to `url` with `options`.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    ///
    /// ```no_run
    /// use eventsource_wasm::{EventSource, EventSourceOptions};
    /// let options = EventSourceOptions::new().with_credentials(true);
    /// let source = EventSource::with_options("https://api.example.com/stream", &options)?;
    /// assert!(source.with_credentials());
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
    pub fn with_options(url: &str, options: &EventSourceOptions) -> Result<Self, Error> {
        let supervisor = crate::open::open(url, options)?;
        Ok(Self {
            owner: Rc::new(Owner { supervisor }),
        })
    }

    pub(crate) fn supervisor(&self) -> &Rc<Supervisor> {
        &self.owner.supervisor
    }

    /// The shared owner (for [`WeakEventSource`](crate::WeakEventSource)).
    pub(crate) fn owner(&self) -> &Rc<Owner> {
        &self.owner
    }

    /// The source of a live owner (for [`WeakEventSource::upgrade`](crate::WeakEventSource::upgrade)).
    pub(crate) fn from_owner(owner: Rc<Owner>) -> Self {
        Self { owner }
    }

    /// The current state. [`ReadyState::Closed`] once closed, for good.
    pub fn ready_state(&self) -> ReadyState {
        self.supervisor().ready_state()
    }

    /// The absolute URL of the stream.
    pub fn url(&self) -> String {
        self.supervisor().url()
    }

    /// Whether credentials are sent with cross-origin requests.
    pub fn with_credentials(&self) -> bool {
        self.supervisor().with_credentials()
    }

    /// The source's state now: readyState, the attempt count, when the next attempt starts, the
    /// last error, the last event ID and how many events arrived. For UI frameworks: read it
    /// when [`on_state_change`](Self::on_state_change) or
    /// [`state_changes`](Self::state_changes) says it changed.
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events")?;
    /// let state = source.state();
    /// println!("{:?}, {} events", state.ready_state, state.events_received);
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
    pub fn state(&self) -> SourceState {
        self.supervisor().state()
    }

    /// Calls `callback` with the new state after every change (a connection that opens or
    /// fails, a retry scheduled, each event received, the close). Dropping the handle stops it.
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events")?;
    /// let _watch = source.on_state_change(|state| println!("{:?}", state.ready_state));
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
    pub fn on_state_change(&self, mut callback: impl FnMut(&SourceState) + 'static) -> Listener {
        let weak = Rc::downgrade(self.supervisor());
        let watcher = move || {
            if let Some(supervisor) = weak.upgrade() {
                callback(&supervisor.state());
            }
        };
        let id = self
            .supervisor()
            .watch_state(Rc::new(RefCell::new(watcher)));
        Listener::new(Rc::downgrade(self.supervisor()), id)
    }

    /// Calls `callback` with the server events that arrived since its last call, in order, at
    /// most once per animation frame ([`Every::Frame`]) or per interval: for UIs that render
    /// a stream (tokens, ticks) at frame rate. The events are plain [`parser::Event`]s; none
    /// becomes a `MessageEvent` unless another listener wants it. Every event reaches the
    /// callback exactly once, across reconnections; what is queued when the source closes is
    /// delivered at once. With the browser's `EventSource` it receives `message` events (use
    /// [`on_batch_of`](Self::on_batch_of) for named ones); with the fetch transport, every
    /// event.
    ///
    /// [`parser::Event`]: crate::parser::Event
    ///
    /// ```no_run
    /// use eventsource_wasm::{EventSource, Every};
    /// # let source = EventSource::new("/events")?;
    /// let _batch = source.on_batch(Every::Frame, |events| {
    ///     let text: String = events.iter().map(|event| event.data.as_str()).collect();
    ///     println!("{} new events: {text}", events.len());
    /// });
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
    pub fn on_batch(
        &self,
        every: Every,
        callback: impl FnMut(&[crate::parser::Event]) + 'static,
    ) -> Listener {
        self.batch(None, every, callback)
    }

    /// [`on_batch`](Self::on_batch) for the events of `types` only.
    pub fn on_batch_of(
        &self,
        types: &[&str],
        every: Every,
        callback: impl FnMut(&[crate::parser::Event]) + 'static,
    ) -> Listener {
        let types = types.iter().map(|t| (*t).to_owned()).collect();
        self.batch(Some(types), every, callback)
    }

    pub(crate) fn batch(
        &self,
        types: Option<Vec<String>>,
        every: Every,
        callback: impl FnMut(&[crate::parser::Event]) + 'static,
    ) -> Listener {
        let id = self
            .supervisor()
            .add_batch(every, types, Rc::new(RefCell::new(callback)));
        Listener::new(Rc::downgrade(self.supervisor()), id)
    }

    /// A number that moves on whenever [`state`](Self::state) changes.
    #[cfg(feature = "js")]
    pub(crate) fn state_version(&self) -> u64 {
        self.supervisor().state_version()
    }

    /// The `lastEventId` of the most recent message delivered to any listener or stream of this
    /// source (empty before the first). Events of a type nobody listens to are not seen.
    pub fn last_event_id(&self) -> String {
        self.supervisor().last_event_id()
    }

    /// Closes the connection for every clone: no reconnect, no further events; streams end and
    /// listeners are released. Calling it again does nothing.
    pub fn close(&self) {
        self.supervisor().close();
    }

    /// The browser's `EventSource`, for anything this crate does not wrap; `None` when the
    /// connection does not use one (the fetch transport).
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events").unwrap();
    /// if let Some(raw) = source.as_raw() {
    ///     let _with_credentials = raw.with_credentials();
    /// }
    /// ```
    pub fn as_raw(&self) -> Option<web_sys::EventSource> {
        self.supervisor().raw()
    }

    fn listen(
        &self,
        event_type: Cow<'static, str>,
        callback: impl FnMut(&web_sys::Event) + 'static,
    ) -> Listener {
        let callback: RawCallback = Rc::new(RefCell::new(callback));
        let id = self.supervisor().add(event_type, callback);
        Listener::new(Rc::downgrade(self.supervisor()), id)
    }

    pub(crate) fn watch_close(&self, callback: impl FnMut() + 'static) -> Listener {
        let id = self
            .supervisor()
            .watch_close(Rc::new(RefCell::new(callback)));
        Listener::new(Rc::downgrade(self.supervisor()), id)
    }

    /// Listens for raw browser events of `event_type` (used by the JS bindings).
    pub(crate) fn on_raw(
        &self,
        event_type: impl Into<Cow<'static, str>>,
        callback: impl FnMut(&web_sys::Event) + 'static,
    ) -> Listener {
        self.listen(event_type.into(), callback)
    }

    /// Calls `callback` each time the connection opens (again, after a reconnect).
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events").unwrap();
    /// let _open = source.on_open(|| println!("open"));
    /// ```
    pub fn on_open(&self, mut callback: impl FnMut() + 'static) -> Listener {
        self.listen("open".into(), move |event| {
            if as_message(event).is_none() {
                callback();
            }
        })
    }

    /// Calls `callback` for each `message` event (events without an `event:` field).
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events").unwrap();
    /// let _messages = source.on_message(|event| println!("{}", event.data()));
    /// ```
    pub fn on_message(&self, callback: impl FnMut(&MessageEvent) + 'static) -> Listener {
        self.on("message", callback)
    }

    /// Calls `callback` for each connection error. [`ErrorEvent::is_fatal`] tells whether the
    /// browser gave up; otherwise it is reconnecting.
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events").unwrap();
    /// let _errors = source.on_error(|error| println!("fatal: {}", error.is_fatal()));
    /// ```
    pub fn on_error(&self, mut callback: impl FnMut(&ErrorEvent) + 'static) -> Listener {
        let supervisor = Rc::downgrade(self.supervisor());
        self.listen("error".into(), move |event| {
            if as_message(event).is_some() {
                return;
            }
            let state = supervisor
                .upgrade()
                .map(|supervisor| supervisor.ready_state())
                .unwrap_or(ReadyState::Closed);
            callback(&ErrorEvent::new(state, event.clone()));
        })
    }

    /// Calls `callback` before each reconnection attempt of the
    /// [`retry`](EventSourceOptions::retry) policy.
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events").unwrap();
    /// let _r = source.on_reconnecting(|event| println!("retry #{}", event.attempt()));
    /// ```
    #[cfg(feature = "reconnect")]
    pub fn on_reconnecting(
        &self,
        mut callback: impl FnMut(&crate::ReconnectEvent) + 'static,
    ) -> Listener {
        self.listen("reconnecting".into(), move |event| {
            if as_message(event).is_none() {
                callback(&crate::ReconnectEvent::from_raw(event.clone()));
            }
        })
    }

    /// Calls `callback` for each event of a custom type (the server's `event:` field).
    /// `on("message", ..)` is the same as [`on_message`](Self::on_message).
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events").unwrap();
    /// let _ticks = source.on("tick", |event| println!("tick #{}", event.last_event_id()));
    /// ```
    pub fn on(
        &self,
        event_type: impl Into<Cow<'static, str>>,
        mut callback: impl FnMut(&MessageEvent) + 'static,
    ) -> Listener {
        self.listen(event_type.into(), move |event| {
            if let Some(message) = as_message(event) {
                callback(&message);
            }
        })
    }

    /// Calls `callback` for each event of `event_type` with its data decoded from JSON into `T`
    /// (the browser's `JSON.parse`, then `serde-wasm-bindgen`). Data that is not JSON, or not
    /// shaped like `T`, arrives as an `Err` carrying the raw data — never as a panic.
    ///
    /// ```no_run
    /// #[derive(serde::Deserialize)]
    /// struct Tick { n: u64 }
    ///
    /// # let source = eventsource_wasm::EventSource::new("/events").unwrap();
    /// let _ticks = source.on_json::<Tick>("tick", |tick, event| match tick {
    ///     Ok(tick) => println!("tick {} (id {})", tick.n, event.last_event_id()),
    ///     Err(error) => eprintln!("bad tick: {error}"),
    /// });
    /// ```
    pub fn on_json<T: DeserializeOwned>(
        &self,
        event_type: impl Into<Cow<'static, str>>,
        mut callback: impl FnMut(Result<T, DecodeError>, &MessageEvent) + 'static,
    ) -> Listener {
        self.on(event_type, move |event| callback(event.json(), event))
    }
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("ready_state", &self.ready_state())
            .finish_non_exhaustive()
    }
}
