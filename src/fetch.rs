//! The fetch transport: `fetch` + this crate's parser, with the browser `EventSource`'s
//! semantics (HTML standard, "Server-sent events") plus custom headers, any method, a body,
//! and errors that carry the HTTP status. Works in windows, workers and Node.js 20+.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::options::{Credentials, HeaderProvider, ShouldRetry};
use crate::parser::{Item, Parser};
use crate::registry::{sleep, url_with_param, wait_resumed, Shared};
use crate::retry::{Decision, Failure, RetryPolicy, MAX_TIMER_MS};
use crate::support::{
    classify_response, clear_timeout, error_message, for_each_piece, prop, set_timeout,
    CachedString, ChunkError, EventStrings,
};
use crate::ReadyState;

/// The reconnection delay before the server sets one with `retry:` (what Chromium uses).
pub(crate) const DEFAULT_RETRY_MS: u32 = 3000;
/// How much of an error response's body is kept for the error event.
const ERROR_BODY_BYTES: usize = 1024;
/// How long the rest of an error response's body is read for, after the error event.
const ERROR_BODY_MS: u32 = 10_000;
/// The default bound on one event's size.
pub(crate) const DEFAULT_MAX_EVENT_SIZE: usize = 1 << 20;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Object, js_name = fromEntries, catch)]
    fn object_from_entries(entries: &JsValue) -> Result<Object, JsValue>;
}

/// `target[name]()`, checked: an error when it is not a function or when it throws.
fn call_method(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(target, &name.into())?
        .dyn_into::<Function>()
        .map_err(|_| JsValue::from_str(&format!("{name} is not a function")))?
        .call0(target)
}

/// A future of `value` (a promise or any value), or the error reading it threw
/// (`Promise.resolve` reads a promise's `constructor`, a getter an injected fetch controls).
fn future_of(value: &JsValue) -> Result<JsFuture, JsValue> {
    crate::intrinsics::to_promise(value).map(JsFuture::from)
}

// Message events are made in JS: one call per event instead of five (init object, three
// setters, constructor), or one call for a run of small events, whose strings then cross out of
// wasm memory as one (decoding has a fixed cost per string that dominates small events).
// `lengths` holds three UTF-16 lengths per event: type, data, last event ID.
#[wasm_bindgen(
    inline_js = "export function message_event(type, data, lastEventId, origin) {\n\
  return new MessageEvent(type, { data, lastEventId, origin });\n\
}\n\
export function message_events(text, lengths, origin) {\n\
  const n = lengths.slice();\n\
  const events = new Array(n.length / 3);\n\
  let at = 0;\n\
  for (let i = 0; i < n.length; i += 3) {\n\
    const type = text.substring(at, (at += n[i]));\n\
    const data = text.substring(at, (at += n[i + 1]));\n\
    const lastEventId = text.substring(at, (at += n[i + 2]));\n\
    events[i / 3] = new MessageEvent(type, { data, lastEventId, origin });\n\
  }\n\
  return events;\n\
}"
)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn message_event(
        event_type: &JsValue,
        data: &str,
        last_event_id: &JsValue,
        origin: &JsValue,
    ) -> Result<web_sys::MessageEvent, JsValue>;

    #[wasm_bindgen(catch)]
    fn message_events(
        text: &str,
        lengths: &[u32],
        origin: &JsValue,
    ) -> Result<js_sys::Array, JsValue>;
}

/// Events whose data is at most this long are made together (see `message_events`).
const SMALL_EVENT: usize = 1024;

/// What the parser found in one chunk, kept until the chunk is parsed so that its small events
/// can be made in one call into JS.
enum Found {
    Event(crate::parser::Event),
    Retry(u64),
    TooLarge(String),
}

/// Delivers what the parser found in one chunk, in order; stops if the source closes.
fn deliver(
    shared: &Shared,
    found: &mut Vec<Found>,
    origin: &JsValue,
    strings: &mut (CachedString, CachedString),
    server_retry: &mut Option<u32>,
) {
    // The small events that have listeners now, made at once.
    let mut small = EventStrings::default();
    let mut made = Vec::new();
    for found in found.iter() {
        if let Found::Event(event) = found {
            made.push(
                (event.data.len() <= SMALL_EVENT && shared.has_listeners(&event.event_type))
                    .then(|| small.push(event)),
            );
        }
    }
    let events = if small.is_empty() {
        None
    } else {
        message_events(&small.text, &small.lengths, origin).ok()
    };
    let mut made = made.into_iter();
    for found in found.drain(..) {
        if shared.is_closed() {
            continue;
        }
        match found {
            Found::Event(event) => {
                let index = made.next().flatten();
                shared.set_last_event_id(&event.last_event_id);
                // A listener may have been added or removed by an earlier event's listener.
                if !shared.has_listeners(&event.event_type) {
                    continue;
                }
                let message = match (index, &events) {
                    (Some(index), Some(events)) => events.get(index).unchecked_into(),
                    _ => match message_event(
                        strings.0.get(&event.event_type),
                        &event.data,
                        strings.1.get(&event.last_event_id),
                        origin,
                    ) {
                        Ok(message) => message,
                        Err(_) => continue,
                    },
                };
                shared.dispatch(&event.event_type, &message);
            }
            Found::Retry(ms) => {
                *server_retry = Some(u32::try_from(ms).unwrap_or(u32::MAX).min(MAX_TIMER_MS));
            }
            Found::TooLarge(message) => dispatch_parse_error(shared, &message),
        }
    }
}

/// The state of a fetch-backed connection, owned by the source's registry.
pub(crate) struct Connection {
    url: String,
    with_credentials: bool,
    state: Cell<ReadyState>,
    stopped: Cell<bool>,
    abort: RefCell<Option<web_sys::AbortController>>,
}

impl Connection {
    pub(crate) fn new(url: String, with_credentials: bool) -> Self {
        Connection {
            url,
            with_credentials,
            state: Cell::new(ReadyState::Connecting),
            stopped: Cell::new(false),
            abort: RefCell::new(None),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn with_credentials(&self) -> bool {
        self.with_credentials
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        self.state.get()
    }

    /// Aborts the request in flight (the task then reconnects, or waits out a pause).
    pub(crate) fn abort_request(&self) {
        if let Some(controller) = self.abort.borrow_mut().take() {
            controller.abort();
        }
    }

    /// Stops for good: aborts the request in flight and cancels a pending reconnect (its
    /// waiting task wakes up, sees `stopped`, and ends: no timer and no request is left).
    pub(crate) fn stop(&self) {
        self.stopped.set(true);
        self.state.set(ReadyState::Closed);
        if let Some(controller) = self.abort.borrow_mut().take() {
            controller.abort();
        }
    }
}

/// Everything the connection task needs to (re)connect.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) header_provider: Option<HeaderProvider>,
    pub(crate) body: Option<JsValue>,
    pub(crate) credentials: Credentials,
    pub(crate) fetch: Option<Function>,
    pub(crate) max_event_size: usize,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) should_retry: Option<ShouldRetry>,
    pub(crate) idle_timeout_ms: Option<u32>,
    /// Carry the last event ID in this query parameter instead of a `Last-Event-ID` header
    /// (which makes a cross-origin request need a CORS preflight).
    pub(crate) last_event_id_param: Option<String>,
}

/// Resolves `url` against the page's or worker's location (absolute URLs only where there is
/// none, as in Node.js).
pub(crate) fn resolve_url(url: &str) -> Result<String, String> {
    let base = Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .filter(|location| location.is_object())
        .and_then(|location| Reflect::get(&location, &"href".into()).ok())
        .and_then(|href| href.as_string());
    let parsed = match &base {
        Some(base) => web_sys::Url::new_with_base(url, base),
        None => web_sys::Url::new(url),
    };
    match parsed {
        Ok(parsed) => Ok(parsed.href()),
        Err(error) if base.is_none() && !has_scheme(url) => Err(format!(
            "{} (there is no page location here to resolve a relative URL against: pass an absolute URL)",
            error_message(&error)
        )),
        Err(error) => Err(error_message(&error)),
    }
}

/// Whether `url` starts with a URL scheme (`letter *( letter / digit / "+" / "-" / "." ) ":"`),
/// that is, whether it is meant as an absolute URL.
fn has_scheme(url: &str) -> bool {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    match url.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Starts the connection task of `shared` (which must have a fetch backend).
pub(crate) fn start(shared: &Rc<Shared>, request: Request) {
    wasm_bindgen_futures::spawn_local(run(Rc::downgrade(shared), request));
}

/// What ended one connection attempt.
enum Outcome {
    /// The attempt failed or the stream ended; `opened_at` is when it opened, if it did.
    Ended {
        failure: Failure,
        info: ErrorInfo,
        opened_at: Option<f64>,
    },
    /// `close()` was called, or the source is gone.
    Stopped,
    /// The page was hidden (`pause_when_hidden`) or restored from the back/forward cache while
    /// the attempt ran: no error, no backoff; the task reconnects once the page is visible.
    Paused,
}

impl Outcome {
    fn network(message: impl Into<String>, opened_at: Option<f64>) -> Self {
        Outcome::Ended {
            failure: Failure::Network,
            info: ErrorInfo::message(message),
            opened_at,
        }
    }

    /// A request that cannot be made (an invalid header, no fetch, an injected fetch that
    /// resolved to something that is not a Response): fatal unless `shouldRetry` says otherwise.
    fn request(message: impl Into<String>) -> Self {
        Outcome::Ended {
            failure: Failure::Request,
            info: ErrorInfo::message(message),
            opened_at: None,
        }
    }
}

/// A failure, described for the error event.
#[derive(Default)]
struct ErrorInfo {
    message: String,
    status: Option<u16>,
    status_text: Option<String>,
    headers: Option<JsValue>,
    body: Option<String>,
    /// The rest of the body, when more may come (see [`complete_body`]).
    rest: Option<BodyRest>,
}

impl ErrorInfo {
    fn message(message: impl Into<String>) -> Self {
        ErrorInfo {
            message: message.into(),
            ..ErrorInfo::default()
        }
    }
}

async fn run(weak: Weak<Shared>, request: Request) {
    let mut parser = Parser::with_max_event_size(request.max_event_size);
    // The parser's last event ID mirrors the source's (a seeded `lastEventId` included): it is
    // copied back after every attempt, even one that failed before the request was made.
    if let Some(shared) = weak.upgrade() {
        parser.set_last_event_id(&shared.last_event_id());
    }
    let mut retry_ms = DEFAULT_RETRY_MS;
    let mut backoff = request.retry.as_ref().map(RetryPolicy::backoff);
    loop {
        if !wait_resumed(&weak).await {
            return;
        }
        let mut server_retry = None;
        let pauses = weak.upgrade().map_or(0, |shared| shared.pauses());
        let outcome = connect_once(&weak, &request, &mut parser, &mut server_retry).await;
        if let Some(ms) = server_retry {
            retry_ms = ms;
            if let Some(backoff) = &mut backoff {
                backoff.set_server_retry(ms);
            }
        }
        let Some(shared) = weak.upgrade() else { return };
        let Some(connection) = shared.connection() else {
            return;
        };
        if connection.stopped.get() {
            return;
        }
        // What was parsed of the last stream counts (an `id` of a block without data too);
        // a partial event is dropped.
        parser.finish();
        shared.set_last_event_id(parser.last_event_id());
        let (failure, mut info, opened_at) = match outcome {
            Outcome::Stopped => return,
            // Hidden page, or a pause and resume (back/forward cache) while the attempt ran:
            // no error, no backoff; reconnect from the last ID once visible.
            Outcome::Paused => {
                connection.state.set(ReadyState::Connecting);
                continue;
            }
            _ if shared.is_paused() || shared.pauses() != pauses => {
                connection.state.set(ReadyState::Connecting);
                continue;
            }
            Outcome::Ended {
                failure,
                info,
                opened_at,
            } => (failure, info, opened_at),
        };
        let retryable = match &request.should_retry {
            Some(should_retry) => (should_retry.0)(&failure),
            None => failure.is_retryable(),
        };
        let decision = match &mut backoff {
            // No policy: exactly the browser's EventSource.
            None => match failure {
                Failure::Network | Failure::IdleTimeout | Failure::Headers => Decision::Retry {
                    attempt: 0,
                    delay_ms: retry_ms,
                },
                _ => Decision::GiveUp { attempts: 0 },
            },
            Some(backoff) => {
                if let Some(opened_at) = opened_at {
                    backoff.connection_lasted(js_sys::Date::now() - opened_at);
                }
                backoff.next_with(&failure, retryable, js_sys::Math::random())
            }
        };
        match decision {
            Decision::GiveUp { attempts } => {
                connection.state.set(ReadyState::Closed);
                if backoff.is_some() && retryable {
                    info.message = format!("{} (gave up after {attempts} retries)", info.message);
                }
                let rest = info.rest.take();
                let event = dispatch_error(&shared, true, info);
                complete_body(event, rest, request.idle_timeout_ms);
                shared.finish_close();
                return;
            }
            Decision::Retry { attempt, delay_ms } => {
                connection.state.set(ReadyState::Connecting);
                let reason = info.message.clone();
                let status = info.status;
                // The timer is set before the events, so a listener can cut it short.
                let wait = sleep(&weak, delay_ms);
                let rest = info.rest.take();
                let event = dispatch_error(&shared, false, info);
                complete_body(event, rest, request.idle_timeout_ms);
                if backoff.is_some() && !shared.is_closed() {
                    dispatch_reconnecting(&shared, attempt, delay_ms, &failure, &reason, status);
                }
                drop(shared);
                if !wait.await {
                    return;
                }
            }
        }
    }
}

async fn connect_once(
    weak: &Weak<Shared>,
    request: &Request,
    parser: &mut Parser,
    server_retry: &mut Option<u32>,
) -> Outcome {
    // Headers first: a provider may refresh a token before each (re)connect.
    let mut extra = request.headers.clone();
    if let Some(provider) = &request.header_provider {
        match (provider.0)().await {
            Ok(headers) => extra.extend(headers),
            Err(message) => {
                return Outcome::Ended {
                    failure: Failure::Headers,
                    info: ErrorInfo::message(format!("the headers function failed: {message}")),
                    opened_at: None,
                }
            }
        }
    }
    // The page may have been hidden while an async headers function ran.
    if weak.upgrade().is_some_and(|shared| shared.is_paused()) {
        return Outcome::Paused;
    }
    let (url, init, fetch, sends_header) = {
        let Some(shared) = running(weak) else {
            return Outcome::Stopped;
        };
        let Some(connection) = shared.connection() else {
            return Outcome::Stopped;
        };
        let last_event_id = shared.last_event_id();
        // Only http(s) (and data:, blob:) can carry an event stream: the browser's EventSource
        // fails any other scheme at once (an injected fetch decides for itself).
        if request.fetch.is_none() {
            if let Err(message) = check_scheme(&connection.url) {
                return Outcome::request(message);
            }
        }
        // The ID goes in the query parameter, if one is set, or else in the header.
        let (url, header_id) = match &request.last_event_id_param {
            Some(param) => (
                url_with_param(&connection.url, param, &last_event_id),
                String::new(),
            ),
            None => (connection.url.clone(), last_event_id.clone()),
        };
        let init = match request_init(request, &extra, &header_id, connection) {
            Ok(init) => init,
            Err(message) => return Outcome::request(message),
        };
        let fetch = match &request.fetch {
            Some(fetch) => fetch.clone(),
            None => match Reflect::get(&js_sys::global(), &"fetch".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
            {
                Some(fetch) => fetch,
                None => return Outcome::request(
                    "fetch is not available in this environment; pass one in the `fetch` option",
                ),
            },
        };
        // Restart the parser for the new stream, keeping the last event ID as browsers do.
        parser.reset();
        parser.set_last_event_id(&last_event_id);
        let sends_header = !header_id.is_empty() || sets_header(&extra, "last-event-id");
        (url, init, fetch, sends_header)
    };

    let pending = match fetch.call2(&JsValue::UNDEFINED, &JsValue::from_str(&url), &init) {
        Ok(pending) => pending,
        Err(error) => {
            return Outcome::network(format!("fetch threw: {}", error_message(&error)), None)
        }
    };
    // Waiting for the response counts towards the idle timeout too (a black-holed server).
    let mut waiting = match future_of(&pending) {
        Ok(waiting) => waiting,
        Err(error) => {
            return Outcome::request(format!(
                "fetch returned a promise that cannot be awaited: {}",
                error_message(&error)
            ))
        }
    };
    let mut idle = request.idle_timeout_ms.map(Timer::new);
    let response = match next_of(&mut waiting, idle.as_mut()).await {
        Next::Read(Ok(response)) => response,
        Next::Read(Err(error)) => {
            if is_stopped(weak) {
                return Outcome::Stopped;
            }
            let mut message = format!("the request failed: {}", error_message(&error));
            if is_cross_origin(&url) {
                message.push_str(&cors_hint(sends_header));
            }
            return Outcome::network(message, None);
        }
        Next::Timer => {
            abort_attempt(weak);
            return idle_timeout(request, None);
        }
    };
    drop(idle);
    if is_stopped(weak) {
        return Outcome::Stopped;
    }
    if !response.is_object() {
        return Outcome::request(format!(
            "fetch resolved to {}, not a Response (an injected fetch must return fetch()'s promise)",
            describe(&response)
        ));
    }

    let (status, classified) = classify_response(&response);
    if let Some((failure, message)) = classified {
        return Outcome::Ended {
            failure,
            info: failure_of(&response, status, message).await,
            opened_at: None,
        };
    }

    let origin = prop(&response, "url")
        .as_string()
        .filter(|url| !url.is_empty())
        .and_then(|url| web_sys::Url::new(&url).ok())
        .map(|url| url.origin())
        .unwrap_or_else(|| {
            web_sys::Url::new(&url)
                .map(|url| url.origin())
                .unwrap_or_default()
        });
    let reader = match body_reader(&response) {
        Ok(reader) => reader,
        Err(error) => return Outcome::network(error_message(&error), None),
    };

    // Announce the connection.
    let opened_at;
    {
        let Some(shared) = running(weak) else {
            return Outcome::Stopped;
        };
        let Some(connection) = shared.connection() else {
            return Outcome::Stopped;
        };
        connection.state.set(ReadyState::Open);
        opened_at = js_sys::Date::now();
        if shared.has_listeners("open") {
            if let Ok(event) = web_sys::Event::new("open") {
                shared.dispatch("open", &event);
            }
        }
    }

    let origin = JsValue::from_str(&origin);
    let mut strings = (CachedString::new("message"), CachedString::new(""));
    let mut found = Vec::new();
    let mut chunk = Vec::new();
    let mut last_byte = opened_at;
    let mut idle = request.idle_timeout_ms.map(Timer::new);
    loop {
        // `Promise.resolve`: a stream that does not return a promise must not throw in here.
        let mut read = match call_method(&reader, "read").and_then(|read| future_of(&read)) {
            Ok(read) => read,
            Err(error) => {
                return Outcome::network(error_message(&error), Some(opened_at));
            }
        };
        // Wait for the next chunk, or for the idle timeout counted from the last byte.
        let read = loop {
            match next_of(&mut read, idle.as_mut()).await {
                Next::Read(read) => break read,
                Next::Timer => {
                    let idle_ms = request.idle_timeout_ms.unwrap_or(u32::MAX);
                    let quiet = js_sys::Date::now() - last_byte;
                    if quiet >= f64::from(idle_ms) {
                        settle(call_method(&reader, "cancel"));
                        abort_attempt(weak);
                        return idle_timeout(request, Some(opened_at));
                    }
                    idle = Some(Timer::new((f64::from(idle_ms) - quiet).ceil() as u32));
                }
            }
        };
        let result = match read {
            Ok(result) => result,
            Err(error) => {
                if is_stopped(weak) {
                    return Outcome::Stopped;
                }
                return Outcome::network(
                    format!("the stream was interrupted: {}", error_message(&error)),
                    Some(opened_at),
                );
            }
        };
        let done = Reflect::get(&result, &"done".into())
            .map(|done| done.is_truthy())
            .unwrap_or(true);
        if done {
            return Outcome::network("the server closed the stream", Some(opened_at));
        }
        last_byte = js_sys::Date::now();
        let Some(shared) = weak.upgrade() else {
            settle(call_method(&reader, "cancel"));
            return Outcome::Stopped;
        };
        let value = Reflect::get(&result, &"value".into()).unwrap_or_default();
        // A body stream of strings (an injected fetch) is taken as the text it is.
        let bytes: JsValue = match value.as_string() {
            Some(text) => Uint8Array::from(text.as_bytes()).into(),
            None => value,
        };
        let fed = for_each_piece(&bytes, &mut chunk, |piece| {
            parser.feed(piece, &mut |item| match item {
                Item::Event(event) => found.push(Found::Event(event)),
                Item::Retry(ms) => found.push(Found::Retry(ms)),
                Item::Error(error) => found.push(Found::TooLarge(error.to_string())),
                _ => {}
            });
            deliver(&shared, &mut found, &origin, &mut strings, server_retry);
            !shared.is_closed()
        });
        if let Err(error) = fed {
            settle(call_method(&reader, "cancel"));
            return Outcome::request(match error {
                ChunkError::NotUint8Array => format!(
                    "the response body produced {}, not bytes (Uint8Array)",
                    describe(&bytes)
                ),
                ChunkError::Threw(error) => format!(
                    "a chunk of the response body could not be read: {}",
                    error_message(&error)
                ),
            });
        }
        if shared.is_closed() {
            settle(call_method(&reader, "cancel"));
            return Outcome::Stopped;
        }
    }
}

/// The source, if it is still running: not dropped, closed or stopped.
fn running(weak: &Weak<Shared>) -> Option<Rc<Shared>> {
    weak.upgrade().filter(|shared| {
        !shared.is_closed() && shared.connection().is_some_and(|c| !c.stopped.get())
    })
}

fn is_stopped(weak: &Weak<Shared>) -> bool {
    running(weak).is_none()
}

/// Lets a promise we do not wait for settle without an unhandled rejection (a cancelled or
/// aborted body rejects its `cancel()` promise).
fn settle(promise: Result<JsValue, JsValue>) {
    if let Ok(future) = promise.and_then(|promise| future_of(&promise)) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = future.await;
        });
    }
}

/// `typeof value`, or `null`, for messages.
fn describe(value: &JsValue) -> String {
    if value.is_null() {
        "null".to_owned()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// A reader of the response's body stream.
fn body_reader(response: &JsValue) -> Result<JsValue, JsValue> {
    let body = prop(response, "body");
    if !body.is_object() {
        return Err(JsValue::from_str("the response has no body"));
    }
    if !prop(&body, "getReader").is_function() {
        return Err(JsValue::from_str(
            "the response body is not a ReadableStream",
        ));
    }
    call_method(&body, "getReader")
}

/// Fails a URL whose scheme cannot carry an event stream, as the browser's `EventSource` does
/// at once (readyState CLOSED): anything but `http:` and `https:`, and the local `data:` and
/// `blob:` URLs, which Chromium's `EventSource` loads too.
fn check_scheme(url: &str) -> Result<(), String> {
    let scheme = web_sys::Url::new(url)
        .map(|url| url.protocol().to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(scheme.as_str(), "http:" | "https:" | "data:" | "blob:") {
        Ok(())
    } else {
        Err(format!(
            "the URL's scheme is \"{scheme}\": an event stream is loaded only from http: or \
https: (or data: and blob:) URLs"
        ))
    }
}

/// Whether `url` is of another origin than this page or worker (never in Node.js, which has
/// no location and no CORS).
fn is_cross_origin(url: &str) -> bool {
    let here = Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .filter(JsValue::is_object)
        .and_then(|location| Reflect::get(&location, &"origin".into()).ok())
        .and_then(|origin| origin.as_string());
    match (here, web_sys::Url::new(url)) {
        (Some(here), Ok(url)) => url.origin() != here,
        _ => false,
    }
}

/// What to add to the message of a cross-origin request that failed before any response.
fn cors_hint(sent_last_event_id: bool) -> String {
    let mut hint = " (a cross-origin request that failed before any response: likely refused by \
CORS or its preflight; see the browser console"
        .to_owned();
    if sent_last_event_id {
        hint.push_str(
            "; the Last-Event-ID header makes the request need a preflight, which a server that \
does not allow that header refuses: set lastEventIdParam to send the ID in the query instead",
        );
    }
    hint.push(')');
    hint
}

/// Whether `headers` has a header called `name` (any case).
fn sets_header(headers: &[(String, String)], name: &str) -> bool {
    headers
        .iter()
        .any(|(header, _)| header.eq_ignore_ascii_case(name))
}

/// `text` as a "byte string": its UTF-8 bytes, one per char (U+0000..U+00FF). A header value
/// is a ByteString, so `fetch` sends exactly these bytes, as the browser's `EventSource` sends
/// the UTF-8 of the ID (the chars would otherwise go out as Latin-1, or be refused).
fn byte_string(text: &str) -> String {
    text.bytes().map(char::from).collect()
}

/// Aborts the request of the attempt in flight (an idle timeout gave up on it).
fn abort_attempt(weak: &Weak<Shared>) {
    if let Some(shared) = weak.upgrade() {
        if let Some(connection) = shared.connection() {
            connection.abort_request();
        }
    }
}

/// The idle timeout ended an attempt.
fn idle_timeout(request: &Request, opened_at: Option<f64>) -> Outcome {
    let idle_ms = request.idle_timeout_ms.unwrap_or(MAX_TIMER_MS);
    Outcome::Ended {
        failure: Failure::IdleTimeout,
        info: ErrorInfo::message(format!("nothing arrived for {idle_ms} ms (idle timeout)")),
        opened_at,
    }
}

/// Builds the `init` of `fetch(url, init)`.
fn request_init(
    request: &Request,
    extra: &[(String, String)],
    last_event_id: &str,
    connection: &Connection,
) -> Result<JsValue, String> {
    let headers = web_sys::Headers::new().map_err(|e| error_message(&e))?;
    let set = |name: &str, value: &str| {
        headers
            .set(name, value)
            .map_err(|e| format!("invalid header \"{name}\": {}", error_message(&e)))
    };
    set("Accept", "text/event-stream")?;
    if !last_event_id.is_empty() {
        set("Last-Event-ID", &byte_string(last_event_id))?;
    }
    for (name, value) in extra {
        set(name, value)?;
    }
    // A plain object (lower-case names), validated by `Headers` above: an injected fetch can
    // spread it (`{ ...init.headers, Authorization }`), which would drop a `Headers`' entries.
    let headers = object_from_entries(&headers).map_err(|e| error_message(&e))?;
    let controller = web_sys::AbortController::new().map_err(|e| error_message(&e))?;
    let init = Object::new();
    let put = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&init, &key.into(), value);
    };
    put("method", &request.method.as_str().into());
    put("headers", &headers);
    if let Some(body) = &request.body {
        put("body", body);
    }
    put("credentials", &request.credentials.as_str().into());
    put("cache", &"no-store".into());
    put("signal", &controller.signal());
    if let Some(previous) = connection.abort.borrow_mut().replace(controller) {
        previous.abort();
    }
    Ok(init.into())
}

/// Describes a failed response: status, headers and the start of the body, as far as it has
/// already arrived (what the body stream gives before a zero-delay timer fires): the browser's
/// `EventSource` fails at once, so the failure must not wait for a body that is slow or stays
/// open. The rest, up to [`ERROR_BODY_BYTES`], is added to the event later ([`complete_body`]).
async fn failure_of(response: &JsValue, status: u16, message: String) -> ErrorInfo {
    let headers = object_from_entries(&prop(response, "headers"))
        .ok()
        .map(JsValue::from);
    let mut body = Vec::new();
    let mut rest = None;
    if let Ok(reader) = body_reader(response) {
        let mut pending = BodyRest {
            reader,
            read: None,
            body: Vec::new(),
        };
        let mut now = Timer::new(0);
        let more = loop {
            if pending.body.len() >= ERROR_BODY_BYTES {
                break false;
            }
            match pending.read_chunk(&mut now).await {
                Some(true) => {}
                Some(false) => break false,
                None => break true,
            }
        };
        body.clone_from(&pending.body);
        if more {
            rest = Some(pending);
        } else {
            settle(call_method(&pending.reader, "cancel"));
        }
    }
    body.truncate(ERROR_BODY_BYTES);
    ErrorInfo {
        message,
        status: Some(status),
        status_text: prop(response, "statusText").as_string(),
        headers,
        body: Some(String::from_utf8_lossy(&body).into_owned()),
        rest,
    }
}

/// An error response's body being read: its reader, the read in flight (a read that lost the
/// race against a timer keeps its place: a second `read()` would get the chunk after it), and
/// the bytes so far.
struct BodyRest {
    reader: JsValue,
    read: Option<JsFuture>,
    body: Vec<u8>,
}

impl BodyRest {
    /// Reads one chunk into `body`, unless `timer` fires first: `Some(true)` read one,
    /// `Some(false)` the body ended (or failed), `None` the timer fired (the read stays pending).
    async fn read_chunk(&mut self, timer: &mut Timer) -> Option<bool> {
        if self.read.is_none() {
            match call_method(&self.reader, "read").and_then(|read| future_of(&read)) {
                Ok(read) => self.read = Some(read),
                Err(_) => return Some(false),
            }
        }
        let read = self.read.as_mut()?;
        let result = match next_of(read, Some(timer)).await {
            Next::Read(Ok(result)) => result,
            Next::Read(Err(_)) => return Some(false),
            Next::Timer => return None,
        };
        self.read = None;
        if Reflect::get(&result, &"done".into()).map_or(true, |d| d.is_truthy()) {
            return Some(false);
        }
        let value = Reflect::get(&result, &"value".into()).unwrap_or_default();
        let body = &mut self.body;
        if let Some(text) = value.as_string() {
            body.extend_from_slice(text.as_bytes());
            return Some(true);
        }
        let fed = for_each_piece(&value, &mut Vec::new(), |piece| {
            body.extend_from_slice(piece);
            body.len() < ERROR_BODY_BYTES
        });
        Some(fed.is_ok())
    }
}

/// Reads the rest of an error response's body (up to [`ERROR_BODY_BYTES`], for at most the
/// idle timeout or [`ERROR_BODY_MS`]) after its error event was dispatched, and updates the
/// event's `body` as it arrives; then cancels the body. Nothing is read when nobody listened.
fn complete_body(
    event: Option<web_sys::Event>,
    rest: Option<BodyRest>,
    idle_timeout_ms: Option<u32>,
) {
    let Some(mut rest) = rest else {
        return;
    };
    let Some(event) = event else {
        settle(call_method(&rest.reader, "cancel"));
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let mut deadline = Timer::new(idle_timeout_ms.unwrap_or(ERROR_BODY_MS));
        while rest.body.len() < ERROR_BODY_BYTES {
            let before = rest.body.len();
            let more = rest.read_chunk(&mut deadline).await;
            if rest.body.len() != before {
                let end = rest.body.len().min(ERROR_BODY_BYTES);
                let text = String::from_utf8_lossy(&rest.body[..end]);
                set(&event, "body", &JsValue::from_str(&text));
            }
            if more != Some(true) {
                break;
            }
        }
        settle(call_method(&rest.reader, "cancel"));
    });
}

/// An `error` event with the fields every error event carries, or `None` when nobody listens.
fn error_event(shared: &Shared, kind: &str, fatal: bool, message: &str) -> Option<web_sys::Event> {
    if !shared.has_listeners("error") {
        return None;
    }
    let event = web_sys::Event::new("error").ok()?;
    set(&event, "kind", &kind.into());
    set(&event, "fatal", &JsValue::from_bool(fatal));
    set(
        &event,
        "reconnecting",
        &JsValue::from_bool(kind == "connection" && !fatal),
    );
    set(&event, "message", &message.into());
    Some(event)
}

fn set(event: &web_sys::Event, key: &str, value: &JsValue) {
    let _ = Reflect::set(event, &key.into(), value);
}

/// Dispatches a connection error, described on the event itself so the JS API and
/// [`ErrorEvent`](crate::ErrorEvent) read the same fields; returns the event, if there were
/// listeners to dispatch it to.
fn dispatch_error(shared: &Shared, fatal: bool, failure: ErrorInfo) -> Option<web_sys::Event> {
    let event = error_event(shared, "connection", fatal, &failure.message)?;
    let text = |text: Option<String>| text.map_or(JsValue::NULL, |t| JsValue::from_str(&t));
    set(
        &event,
        "status",
        &failure.status.map_or(JsValue::NULL, JsValue::from),
    );
    set(&event, "statusText", &text(failure.status_text));
    set(&event, "headers", &failure.headers.unwrap_or(JsValue::NULL));
    set(&event, "body", &text(failure.body));
    shared.dispatch("error", &event);
    Some(event)
}

/// Reports an event the parser dropped (larger than `maxEventSize`): the connection stays open.
fn dispatch_parse_error(shared: &Shared, message: &str) {
    if let Some(event) = error_event(shared, "parse", false, message) {
        shared.dispatch("error", &event);
    }
}

/// Announces a reconnection attempt: `reconnecting` with the attempt number, the delay before
/// it, and why.
pub(crate) fn dispatch_reconnecting(
    shared: &Shared,
    attempt: u32,
    delay_ms: u32,
    failure: &Failure,
    message: &str,
    status: Option<u16>,
) {
    if !shared.has_listeners("reconnecting") {
        return;
    }
    let Ok(event) = web_sys::Event::new("reconnecting") else {
        return;
    };
    set(&event, "attempt", &JsValue::from(attempt));
    set(&event, "delay", &JsValue::from(delay_ms));
    set(&event, "reason", &failure.kind().into());
    set(&event, "message", &message.into());
    set(
        &event,
        "status",
        &status.map_or(JsValue::NULL, JsValue::from),
    );
    shared.dispatch("reconnecting", &event);
}

/// A `setTimeout` as a future; dropping it clears the timeout.
struct Timer {
    id: JsValue,
    future: JsFuture,
}

impl Timer {
    fn new(ms: u32) -> Self {
        let mut id = JsValue::UNDEFINED;
        let promise = Promise::new(&mut |resolve, _reject| {
            id = set_timeout(&resolve, ms);
        });
        Timer {
            id,
            future: JsFuture::from(promise),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

enum Next {
    Read(Result<JsValue, JsValue>),
    Timer,
}

/// The read, or the timer if it fires first (the read stays pending for the next call).
async fn next_of(read: &mut JsFuture, timer: Option<&mut Timer>) -> Next {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::Poll;
    let mut timer = timer;
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(result) = Pin::new(&mut *read).poll(cx) {
            return Poll::Ready(Next::Read(result));
        }
        if let Some(timer) = timer.as_deref_mut() {
            if Pin::new(&mut timer.future).poll(cx).is_ready() {
                return Poll::Ready(Next::Timer);
            }
        }
        Poll::Pending
    })
    .await
}
