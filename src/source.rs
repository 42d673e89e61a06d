//! The Rust-facing `EventSource`.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use serde::de::DeserializeOwned;

use crate::event::{as_message, ErrorEvent, MessageEvent};
use crate::registry::{RawCallback, Reopen, Shared};
use crate::support::{error_message, is_supported, json_parse};
use wasm_bindgen::JsValue;

use crate::fetch;
use crate::{Credentials, DecodeError, Error, EventSourceOptions, Listener, ReadyState, Transport};

/// A connection to a Server-Sent Events endpoint.
///
/// Cloning is cheap and every clone refers to the same connection. The connection closes when
/// [`close`](Self::close) is called on any clone, when the browser gives up, or when the last
/// owner (clone or stream from [`events`](Self::events)/[`subscribe`](Self::subscribe)) is dropped.
/// Dropping one clone never closes a connection that another clone still uses.
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
struct Owner {
    shared: Rc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.close();
    }
}

impl EventSource {
    /// Opens a connection to `url` (resolved against the page's or worker's base URL).
    ///
    /// # Errors
    /// [`Error::Unsupported`] where no `EventSource` exists (see [`is_supported`]);
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
        let use_fetch = match options.transport {
            Transport::Fetch => true,
            Transport::Auto => options.needs_fetch() || !is_supported(),
            Transport::EventSource if options.needs_fetch() => {
                let option = options.fetch_only_option().unwrap_or("headers");
                return Err(Error::InvalidOptions(format!(
                    "the browser's EventSource cannot honour the `{option}` option (it cannot \
                     send headers, a body, another method or other credentials, nor use \
                     another fetch or an idle timeout): use transport 'fetch' or 'auto'"
                )));
            }
            Transport::EventSource => false,
        };
        let shared = if use_fetch {
            Self::open_fetch(url, options)?
        } else {
            Self::open_native(url, options)?
        };
        if options.reconnect_on_online || options.pause_when_hidden || options.reopen_on_pageshow {
            shared.watch_lifecycle(
                options.reconnect_on_online,
                options.pause_when_hidden,
                options.reopen_on_pageshow,
            );
        }
        Ok(Self {
            owner: Rc::new(Owner { shared }),
        })
    }

    fn open_fetch(url: &str, options: &EventSourceOptions) -> Result<Rc<Shared>, Error> {
        if !cfg!(target_arch = "wasm32") {
            return Err(Error::Unsupported);
        }
        let has_fetch = options.fetch.is_some()
            || js_sys::Reflect::get(&js_sys::global(), &"fetch".into())
                .is_ok_and(|fetch| fetch.is_function());
        if !has_fetch {
            return Err(Error::Unsupported);
        }
        let absolute = fetch::resolve_url(url).map_err(|message| Error::InvalidUrl {
            url: url.to_owned(),
            message,
        })?;
        let method = options.method.clone().unwrap_or_else(|| "GET".to_owned());
        let body = options
            .js_body
            .clone()
            .or_else(|| options.body.as_deref().map(JsValue::from_str));
        check_method(&method, body.as_ref())?;
        let credentials = options
            .fetch_credentials
            .unwrap_or(if options.with_credentials {
                Credentials::Include
            } else {
                Credentials::SameOrigin
            });
        let shared = Shared::fetch(fetch::Connection::new(
            absolute,
            credentials == Credentials::Include,
        ));
        fetch::start(
            &shared,
            fetch::Request {
                method,
                headers: options.headers.clone(),
                header_provider: options.header_provider.clone(),
                body,
                credentials,
                fetch: options.fetch.clone(),
                max_event_size: options
                    .max_event_size
                    .unwrap_or(fetch::DEFAULT_MAX_EVENT_SIZE),
                retry: options.effective_retry(),
                should_retry: options.should_retry.clone(),
                idle_timeout_ms: options.idle_timeout_ms,
                last_event_id_param: options.last_event_id_param.clone(),
            },
        );
        if let Some(id) = &options.last_event_id {
            shared.set_last_event_id(id);
        }
        Ok(shared)
    }

    fn open_native(url: &str, options: &EventSourceOptions) -> Result<Rc<Shared>, Error> {
        if !is_supported() {
            return Err(Error::Unsupported);
        }
        let param = options
            .last_event_id_param
            .clone()
            .unwrap_or_else(|| "lastEventId".to_owned());
        let absolute = fetch::resolve_url(url).map_err(|message| Error::InvalidUrl {
            url: url.to_owned(),
            message,
        })?;
        // EventSource cannot send a Last-Event-ID header: a seeded ID goes in the query.
        let first_url = match &options.last_event_id {
            Some(id) if !id.is_empty() => crate::registry::url_with_param(&absolute, &param, id),
            _ => absolute.clone(),
        };
        let raw = crate::intrinsics::platform_event_source(&first_url, options.with_credentials)
            .map_err(|error| {
                let message = error_message(&error);
                let is_syntax = js_sys::Reflect::get(&error, &"name".into())
                    .ok()
                    .and_then(|name| name.as_string())
                    .is_some_and(|name| name == "SyntaxError");
                if is_syntax {
                    Error::InvalidUrl {
                        url: url.to_owned(),
                        message,
                    }
                } else {
                    Error::Browser(message)
                }
            })?;
        let url_id = match &options.last_event_id {
            Some(id) if first_url != absolute => id.clone(),
            _ => String::new(),
        };
        let reopen = Reopen {
            url: absolute,
            with_credentials: options.with_credentials,
            param,
            backoff: options
                .effective_retry()
                .map(|policy| RefCell::new(policy.backoff())),
            should_retry: options.should_retry.clone(),
            opened_at: Cell::new(None),
            url_id: RefCell::new(url_id),
        };
        let shared = Shared::native(raw, reopen);
        if let Some(id) = &options.last_event_id {
            shared.set_last_event_id(id);
        }
        Ok(shared)
    }

    pub(crate) fn shared(&self) -> &Rc<Shared> {
        &self.owner.shared
    }

    /// The current state. [`ReadyState::Closed`] once closed, for good.
    pub fn ready_state(&self) -> ReadyState {
        self.shared().ready_state()
    }

    /// The absolute URL of the stream.
    pub fn url(&self) -> String {
        self.shared().url()
    }

    /// Whether credentials are sent with cross-origin requests.
    pub fn with_credentials(&self) -> bool {
        self.shared().with_credentials()
    }

    /// The `lastEventId` of the most recent message delivered to any listener or stream of this
    /// source (empty before the first). Events of a type nobody listens to are not seen.
    pub fn last_event_id(&self) -> String {
        self.shared().last_event_id()
    }

    /// Closes the connection for every clone: no reconnect, no further events; streams end and
    /// listeners are released. Calling it again does nothing.
    pub fn close(&self) {
        self.shared().close();
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
        self.shared().raw()
    }

    fn listen(
        &self,
        event_type: Cow<'static, str>,
        callback: impl FnMut(&web_sys::Event) + 'static,
    ) -> Listener {
        let callback: RawCallback = Rc::new(RefCell::new(callback));
        let id = self.shared().add(event_type, callback);
        Listener::new(Rc::downgrade(self.shared()), id)
    }

    pub(crate) fn watch_close(&self, callback: impl FnMut() + 'static) -> Listener {
        let id = self.shared().watch_close(Rc::new(RefCell::new(callback)));
        Listener::new(Rc::downgrade(self.shared()), id)
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
        let shared = Rc::downgrade(self.shared());
        self.listen("error".into(), move |event| {
            if as_message(event).is_some() {
                return;
            }
            let state = shared
                .upgrade()
                .map(|shared| shared.ready_state())
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
        self.on(event_type, move |event| callback(decode_json(event), event))
    }
}

/// Decodes an event's data as JSON into `T`.
pub(crate) fn decode_json<T: DeserializeOwned>(event: &MessageEvent) -> Result<T, DecodeError> {
    let data = event.as_raw().data();
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

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("ready_state", &self.ready_state())
            .finish_non_exhaustive()
    }
}

/// Checks what `fetch` would reject on every attempt, so that it is an error now rather than a
/// reconnection loop: a method that is not an HTTP token or that fetch forbids, HEAD (its
/// response has no body), a body with GET, and a body that cannot be sent again (a stream).
fn check_method(method: &str, body: Option<&JsValue>) -> Result<(), Error> {
    let is_token = !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !is_token {
        return Err(Error::InvalidOptions(format!(
            "method \"{method}\" is not a valid HTTP method (e.g. 'GET' or 'POST')"
        )));
    }
    if ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
    {
        return Err(Error::InvalidOptions(format!(
            "fetch forbids the method \"{method}\": use 'GET' or 'POST'"
        )));
    }
    if method.eq_ignore_ascii_case("HEAD") {
        return Err(Error::InvalidOptions(
            "a HEAD response has no body, so it cannot carry an event stream: use 'GET' or 'POST'"
                .into(),
        ));
    }
    let Some(body) = body else {
        return Ok(());
    };
    if method.eq_ignore_ascii_case("GET") {
        return Err(Error::InvalidOptions(
            "a request body needs a method other than GET (e.g. method: 'POST')".into(),
        ));
    }
    let is_stream = js_sys::Reflect::get(body, &"getReader".into()).is_ok_and(|f| f.is_function());
    if is_stream {
        return Err(Error::InvalidOptions(
            "a ReadableStream body cannot be sent again on reconnect: pass a string, Blob, \
             ArrayBuffer, FormData or URLSearchParams"
                .into(),
        ));
    }
    Ok(())
}
