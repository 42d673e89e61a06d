//! Events delivered to listeners and streams.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;

use crate::support::{error_message, json_parse};
use crate::{DecodeError, ReadyState};

/// A message from the server: the default `message` type or a custom named type.
///
/// Accessors read from the browser's event on demand, so a listener that only looks at
/// [`event_type`](Self::event_type) never copies the data.
///
/// ```no_run
/// # use eventsource_wasm::EventSource;
/// # let source = EventSource::new("/events").unwrap();
/// let _listener = source.on_message(|event| {
///     println!("{} #{}: {}", event.event_type(), event.last_event_id(), event.data());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct MessageEvent {
    raw: web_sys::MessageEvent,
}

impl MessageEvent {
    pub(crate) fn from_raw(raw: web_sys::MessageEvent) -> Self {
        Self { raw }
    }

    /// The event type: `"message"`, or the name the server sent in its `event:` field.
    pub fn event_type(&self) -> String {
        self.raw.type_()
    }

    /// The event's data (the server's `data:` lines joined with `\n`).
    pub fn data(&self) -> String {
        self.raw.data().as_string().unwrap_or_default()
    }

    /// The last event ID the server set (with an `id:` field) at or before this event.
    pub fn last_event_id(&self) -> String {
        self.raw.last_event_id()
    }

    /// The origin of the server that sent the event, e.g. `https://example.com`.
    pub fn origin(&self) -> String {
        self.raw.origin()
    }

    /// The event's data decoded from JSON into `T` (the browser's `JSON.parse`, then
    /// `serde-wasm-bindgen`), as [`EventSource::on_json`](crate::EventSource::on_json) and
    /// [`EventSource::subscribe_json`](crate::EventSource::subscribe_json) do.
    ///
    /// # Errors
    /// [`DecodeError::Syntax`] when the data is not JSON, [`DecodeError::Shape`] when it is not
    /// shaped like `T`; both carry the raw data.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Tick { n: u64 }
    ///
    /// # async fn run() -> Result<(), eventsource_wasm::Error> {
    /// let source = eventsource_wasm::EventSource::new("/events")?;
    /// let mut messages = source.subscribe("tick");
    /// while let Some(message) = messages.next().await {
    ///     match message.json::<Tick>() {
    ///         Ok(tick) => println!("tick {} (id {})", tick.n, message.last_event_id()),
    ///         Err(error) => eprintln!("bad tick: {error}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        let data = self.raw.data();
        let raw_text = || data.as_string().unwrap_or_default();
        let value = json_parse(&data).map_err(|error| DecodeError::Syntax {
            message: error_message(&error),
            data: raw_text(),
        })?;
        serde_wasm_bindgen::from_value(value).map_err(|error| DecodeError::Shape {
            message: error.to_string(),
            data: raw_text(),
        })
    }

    /// The underlying browser event.
    pub fn as_raw(&self) -> &web_sys::MessageEvent {
        &self.raw
    }
}

/// A connection error, telling whether the browser is retrying or has given up.
///
/// ```no_run
/// # use eventsource_wasm::EventSource;
/// # let source = EventSource::new("/events").unwrap();
/// let _listener = source.on_error(|error| {
///     if error.is_fatal() {
///         eprintln!("the server refused the stream; not retrying");
///     } else {
///         eprintln!("connection lost, the browser is reconnecting");
///     }
/// });
/// ```
#[derive(Debug, Clone)]
pub struct ErrorEvent {
    ready_state: ReadyState,
    raw: web_sys::Event,
}

impl ErrorEvent {
    pub(crate) fn new(ready_state: ReadyState, raw: web_sys::Event) -> Self {
        Self { ready_state, raw }
    }

    /// The source's state when the error was dispatched.
    pub fn ready_state(&self) -> ReadyState {
        self.ready_state
    }

    /// `true` while the browser reconnects on its own (state [`ReadyState::Connecting`]).
    pub fn is_reconnecting(&self) -> bool {
        self.ready_state == ReadyState::Connecting
    }

    /// `true` when the browser has given up (state [`ReadyState::Closed`]): an HTTP error
    /// status, a wrong `Content-Type`, a 204, or a failure the browser does not retry.
    pub fn is_fatal(&self) -> bool {
        self.ready_state == ReadyState::Closed
    }

    /// `true` when the error reports an event that the fetch transport dropped because it was
    /// larger than the maximum event size; the connection stays open and parsing resumes at
    /// the next event.
    pub fn is_event_too_large(&self) -> bool {
        self.field("kind")
            .and_then(|kind| kind.as_string())
            .is_some_and(|kind| kind == "parse")
    }

    /// `true` when the stream ended or broke before the event that completes it
    /// ([`close_on`](crate::EventSourceOptions::close_on)); it reconnects from the last event ID
    /// unless [`is_fatal`](Self::is_fatal).
    pub fn is_truncated(&self) -> bool {
        self.field("kind")
            .and_then(|kind| kind.as_string())
            .is_some_and(|kind| kind == "truncated")
    }

    /// A sentence describing the error, suitable for a log. With the fetch transport it names
    /// the cause (e.g. `the server answered HTTP 401 Unauthorized`).
    pub fn message(&self) -> String {
        if let Some(message) = self.field("message").and_then(|m| m.as_string()) {
            return message;
        }
        if self.is_fatal() {
            "the connection failed and the browser gave up (HTTP error status, wrong \
             Content-Type, 204 No Content, or a network error)"
                .to_owned()
        } else {
            "the connection was interrupted; the browser is reconnecting".to_owned()
        }
    }

    /// The HTTP status of a failed response. The browser's `EventSource` hides it: after it
    /// gives up, one request of the same URL (aborted once the headers arrive) learns it.
    pub fn status(&self) -> Option<u16> {
        self.field("status")
            .and_then(|s| s.as_f64())
            .map(|s| s as u16)
    }

    /// The status text of a failed response (fetch transport only).
    pub fn status_text(&self) -> Option<String> {
        self.field("statusText").and_then(|s| s.as_string())
    }

    /// A response header of a failed response, by case-insensitive name (fetch transport only).
    pub fn header(&self, name: &str) -> Option<String> {
        let headers = self.field("headers")?;
        js_sys::Reflect::get(&headers, &name.to_ascii_lowercase().into())
            .ok()?
            .as_string()
    }

    /// The first kilobyte of a failed response's body (fetch transport only). The error is not
    /// delayed for it: what had not arrived when the event was dispatched is added to the event
    /// later, so this may return more when called again.
    pub fn body(&self) -> Option<String> {
        self.field("body").and_then(|b| b.as_string())
    }

    fn field(&self, name: &str) -> Option<wasm_bindgen::JsValue> {
        js_sys::Reflect::get(&self.raw, &name.into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// The underlying browser event.
    pub fn as_raw(&self) -> &web_sys::Event {
        &self.raw
    }
}

/// A reconnection attempt scheduled by the [`retry`](crate::EventSourceOptions::retry) policy.
///
/// ```no_run
/// # let source = eventsource_wasm::EventSource::new("/events").unwrap();
/// let _reconnecting = source.on_reconnecting(|event| {
///     println!("attempt {} in {} ms ({})", event.attempt(), event.delay().as_millis(), event.reason());
/// });
/// ```
#[cfg(feature = "reconnect")]
#[derive(Debug, Clone)]
pub struct ReconnectEvent {
    raw: web_sys::Event,
}

#[cfg(feature = "reconnect")]
impl ReconnectEvent {
    pub(crate) fn from_raw(raw: web_sys::Event) -> Self {
        Self { raw }
    }

    fn number(&self, key: &str) -> Option<f64> {
        js_sys::Reflect::get(&self.raw, &key.into()).ok()?.as_f64()
    }

    /// The attempt number, from 1.
    pub fn attempt(&self) -> u32 {
        self.number("attempt").unwrap_or(0.0) as u32
    }

    /// How long until the attempt.
    pub fn delay(&self) -> std::time::Duration {
        let ms = self.number("delay").unwrap_or(0.0);
        std::time::Duration::try_from_secs_f64(ms / 1_000.0).unwrap_or_default()
    }

    /// Why: `network`, `status`, `content-type`, `idle`, `unknown`, `headers`, `truncated`, or
    /// `request` when `should_retry` retries it (see [`crate::Failure::kind`]).
    pub fn reason(&self) -> String {
        js_sys::Reflect::get(&self.raw, &"reason".into())
            .ok()
            .and_then(|r| r.as_string())
            .unwrap_or_default()
    }

    /// The HTTP status of the failed response, if there was one (with the browser's
    /// `EventSource`, learnt by a probe request after it gave up).
    pub fn status(&self) -> Option<u16> {
        self.number("status").map(|s| s as u16)
    }

    /// The underlying event.
    pub fn as_raw(&self) -> &web_sys::Event {
        &self.raw
    }
}

/// Everything a source can deliver, as yielded by [`EventSource::events`](crate::EventSource::events).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SourceEvent {
    /// The connection opened (again).
    Open,
    /// A `message` event (custom named events are delivered by
    /// [`EventSource::subscribe`](crate::EventSource::subscribe)).
    Message(MessageEvent),
    /// A connection error.
    Error(ErrorEvent),
    /// The source closed for good (by [`close`](crate::EventSource::close), after a fatal
    /// error, or a [`close_on`](crate::EventSourceOptions::close_on) event): always the last
    /// item, after which the stream ends.
    Closed,
}

/// Whether a raw event is a server message (as opposed to the source's own `open`/`error`).
/// A server may name its events `open` or `error`; those arrive as `MessageEvent`s.
pub(crate) fn as_message(event: &web_sys::Event) -> Option<MessageEvent> {
    event
        .dyn_ref::<web_sys::MessageEvent>()
        .map(|raw| MessageEvent::from_raw(raw.clone()))
}
