//! The fetch transport: `fetch` + this crate's parser, with the browser `EventSource`'s
//! semantics (HTML standard, "Server-sent events") plus custom headers, any method, a body,
//! and errors that carry the HTTP status. Works in windows, workers and Node.js 20+.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::options::{Credentials, HeaderProvider};
use crate::parser::{Item, Parser};
use crate::registry::Shared;
use crate::support::error_message;
use crate::ReadyState;

/// The reconnection delay before the server sets one with `retry:` (what Chromium uses).
const DEFAULT_RETRY_MS: u32 = 3000;
/// How much of an error response's body is kept for the error event.
const ERROR_BODY_BYTES: usize = 1024;
/// The default bound on one event's size.
pub(crate) const DEFAULT_MAX_EVENT_SIZE: usize = 1 << 20;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);

    /// A `Response` (or whatever an injected `fetch` resolves to that quacks like one).
    type ResponseLike;
    #[wasm_bindgen(method, getter, structural)]
    fn status(this: &ResponseLike) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = statusText)]
    fn status_text(this: &ResponseLike) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn url(this: &ResponseLike) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn headers(this: &ResponseLike) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn body(this: &ResponseLike) -> JsValue;

    type BodyStream;
    #[wasm_bindgen(method, catch, structural, js_name = getReader)]
    fn get_reader(this: &BodyStream) -> Result<BodyReader, JsValue>;

    type BodyReader;
    #[wasm_bindgen(method, catch, structural)]
    fn read(this: &BodyReader) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch, structural)]
    fn cancel(this: &BodyReader) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_namespace = Object, js_name = fromEntries, catch)]
    fn object_from_entries(entries: &JsValue) -> Result<Object, JsValue>;
}

/// The state of a fetch-backed connection, owned by the source's registry.
pub(crate) struct Connection {
    url: String,
    with_credentials: bool,
    state: Cell<ReadyState>,
    stopped: Cell<bool>,
    abort: RefCell<Option<web_sys::AbortController>>,
    /// The pending reconnect timer and the resolver of the promise waiting on it.
    timer: RefCell<Option<(JsValue, Function)>>,
}

impl Connection {
    pub(crate) fn new(url: String, with_credentials: bool) -> Self {
        Connection {
            url,
            with_credentials,
            state: Cell::new(ReadyState::Connecting),
            stopped: Cell::new(false),
            abort: RefCell::new(None),
            timer: RefCell::new(None),
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

    /// Stops for good: aborts the request in flight and cancels a pending reconnect (its
    /// waiting task wakes up, sees `stopped`, and ends: no timer and no request is left).
    pub(crate) fn stop(&self) {
        self.stopped.set(true);
        self.state.set(ReadyState::Closed);
        if let Some(controller) = self.abort.borrow_mut().take() {
            controller.abort();
        }
        if let Some((id, resolve)) = self.timer.borrow_mut().take() {
            clear_timeout(&id);
            let _ = resolve.call0(&JsValue::UNDEFINED);
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
        Err(error) if base.is_none() => Err(format!(
            "{} (there is no page location here to resolve a relative URL against: pass an absolute URL)",
            error_message(&error)
        )),
        Err(error) => Err(error_message(&error)),
    }
}

/// Starts the connection task of `shared` (which must have a fetch backend).
pub(crate) fn start(shared: &Rc<Shared>, request: Request) {
    wasm_bindgen_futures::spawn_local(run(Rc::downgrade(shared), request));
}

/// What ended one connection attempt.
enum Outcome {
    /// Reconnect after the retry delay (network error, stream ended).
    Reconnect(String),
    /// Fail the connection: no reconnect.
    Fail(Failure),
    /// `close()` was called, or the source is gone.
    Stopped,
}

/// A failed response, described for the error event.
#[derive(Default)]
struct Failure {
    message: String,
    status: Option<u16>,
    status_text: Option<String>,
    headers: Option<JsValue>,
    body: Option<String>,
}

async fn run(weak: Weak<Shared>, request: Request) {
    let mut parser = Parser::with_max_event_size(request.max_event_size);
    let mut retry_ms = DEFAULT_RETRY_MS;
    loop {
        let outcome = connect_once(&weak, &request, &mut parser, &mut retry_ms).await;
        let Some(shared) = weak.upgrade() else { return };
        let Some(connection) = shared.connection() else {
            return;
        };
        if connection.stopped.get() {
            return;
        }
        match outcome {
            Outcome::Stopped => return,
            Outcome::Fail(failure) => {
                connection.state.set(ReadyState::Closed);
                dispatch_error(&shared, true, failure);
                shared.finish_close();
                return;
            }
            Outcome::Reconnect(message) => {
                connection.state.set(ReadyState::Connecting);
                dispatch_error(
                    &shared,
                    false,
                    Failure {
                        message,
                        ..Failure::default()
                    },
                );
            }
        }
        drop(shared);
        sleep(&weak, retry_ms).await;
    }
}

/// Waits `ms` milliseconds, or less if the connection is stopped meanwhile.
async fn sleep(weak: &Weak<Shared>, ms: u32) {
    let promise = {
        let Some(shared) = weak.upgrade() else { return };
        let Some(connection) = shared.connection() else {
            return;
        };
        if connection.stopped.get() {
            return;
        }
        let mut timer = None;
        let promise = Promise::new(&mut |resolve, _reject| {
            let id = set_timeout(&resolve, ms);
            timer = Some((id, resolve));
        });
        *connection.timer.borrow_mut() = timer;
        promise
    };
    let _ = JsFuture::from(promise).await;
    if let Some(shared) = weak.upgrade() {
        if let Some(connection) = shared.connection() {
            connection.timer.borrow_mut().take();
        }
    }
}

async fn connect_once(
    weak: &Weak<Shared>,
    request: &Request,
    parser: &mut Parser,
    retry_ms: &mut u32,
) -> Outcome {
    // Headers first: a provider may refresh a token before each (re)connect.
    let mut extra = request.headers.clone();
    if let Some(provider) = &request.header_provider {
        match (provider.0)().await {
            Ok(headers) => extra.extend(headers),
            Err(message) => {
                return Outcome::Fail(Failure {
                    message: format!("the headers function failed: {message}"),
                    ..Failure::default()
                })
            }
        }
    }
    let (url, init, fetch) = {
        let Some(shared) = weak.upgrade() else {
            return Outcome::Stopped;
        };
        let Some(connection) = shared.connection() else {
            return Outcome::Stopped;
        };
        if connection.stopped.get() {
            return Outcome::Stopped;
        }
        let last_event_id = shared.last_event_id();
        let init = match request_init(request, &extra, &last_event_id, connection) {
            Ok(init) => init,
            Err(message) => {
                return Outcome::Fail(Failure {
                    message,
                    ..Failure::default()
                })
            }
        };
        let fetch = match &request.fetch {
            Some(fetch) => fetch.clone(),
            None => match Reflect::get(&js_sys::global(), &"fetch".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
            {
                Some(fetch) => fetch,
                None => return Outcome::Fail(Failure {
                    message:
                        "fetch is not available in this environment; pass one in the `fetch` option"
                            .into(),
                    ..Failure::default()
                }),
            },
        };
        // Restart the parser for the new stream, keeping the last event ID as browsers do.
        parser.reset();
        parser.set_last_event_id(&last_event_id);
        (connection.url.clone(), init, fetch)
    };

    let pending = match fetch.call2(&JsValue::UNDEFINED, &JsValue::from_str(&url), &init) {
        Ok(pending) => pending,
        Err(error) => return Outcome::Reconnect(format!("fetch threw: {}", error_message(&error))),
    };
    let response = match JsFuture::from(Promise::resolve(&pending)).await {
        Ok(response) => response.unchecked_into::<ResponseLike>(),
        Err(error) => {
            return Outcome::Reconnect(format!("the request failed: {}", error_message(&error)))
        }
    };
    if is_stopped(weak) {
        return Outcome::Stopped;
    }

    let status = response.status().as_f64().unwrap_or(0.0) as u16;
    let content_type = header(&response, "content-type").unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if status != 200 || essence != "text/event-stream" {
        let message = if status == 204 {
            "the server answered 204 No Content: it asks the client not to reconnect".to_owned()
        } else if status != 200 {
            format!(
                "the server answered HTTP {status} {}",
                response.status_text().as_string().unwrap_or_default()
            )
        } else {
            format!("the response's Content-Type is {content_type:?}, not text/event-stream")
        };
        return Outcome::Fail(failure_of(&response, status, message).await);
    }

    let origin = response
        .url()
        .as_string()
        .filter(|url| !url.is_empty())
        .and_then(|url| web_sys::Url::new(&url).ok())
        .map(|url| url.origin())
        .unwrap_or_else(|| {
            web_sys::Url::new(&url)
                .map(|url| url.origin())
                .unwrap_or_default()
        });
    let reader = match response
        .body()
        .dyn_into::<Object>()
        .map_err(|_| JsValue::from_str("the response has no body"))
        .and_then(|body| body.unchecked_into::<BodyStream>().get_reader())
    {
        Ok(reader) => reader,
        Err(error) => return Outcome::Reconnect(error_message(&error)),
    };

    // Announce the connection.
    {
        let Some(shared) = weak.upgrade() else {
            return Outcome::Stopped;
        };
        let Some(connection) = shared.connection() else {
            return Outcome::Stopped;
        };
        if connection.stopped.get() {
            return Outcome::Stopped;
        }
        connection.state.set(ReadyState::Open);
        if shared.has_listeners("open") {
            if let Ok(event) = web_sys::Event::new("open") {
                shared.dispatch("open", &event);
            }
        }
    }

    let mut chunk = Vec::new();
    loop {
        let read = match reader.read() {
            Ok(read) => JsFuture::from(read).await,
            Err(error) => Err(error),
        };
        let result = match read {
            Ok(result) => result,
            Err(error) => {
                if is_stopped(weak) {
                    return Outcome::Stopped;
                }
                return Outcome::Reconnect(format!(
                    "the stream was interrupted: {}",
                    error_message(&error)
                ));
            }
        };
        let done = Reflect::get(&result, &"done".into())
            .map(|done| done.is_truthy())
            .unwrap_or(true);
        if done {
            return Outcome::Reconnect("the server closed the stream".into());
        }
        let Some(shared) = weak.upgrade() else {
            let _ = reader.cancel();
            return Outcome::Stopped;
        };
        let value = Reflect::get(&result, &"value".into()).unwrap_or_default();
        let Ok(bytes) = value.dyn_into::<Uint8Array>() else {
            continue;
        };
        chunk.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut chunk);
        parser.feed(&chunk, &mut |item| {
            if shared.is_closed() {
                return;
            }
            match item {
                Item::Event(event) => {
                    shared.set_last_event_id(&event.last_event_id);
                    if shared.has_listeners(&event.event_type) {
                        let init = web_sys::MessageEventInit::new();
                        init.set_data(&JsValue::from_str(&event.data));
                        init.set_last_event_id(&event.last_event_id);
                        init.set_origin(&origin);
                        if let Ok(message) = web_sys::MessageEvent::new_with_event_init_dict(
                            &event.event_type,
                            &init,
                        ) {
                            shared.dispatch(&event.event_type, &message);
                        }
                    }
                }
                Item::Retry(ms) => *retry_ms = u32::try_from(ms).unwrap_or(u32::MAX),
                Item::Error(error) => dispatch_error(
                    &shared,
                    false,
                    Failure {
                        message: error.to_string(),
                        ..Failure::default()
                    },
                ),
                _ => {}
            }
        });
        if shared.is_closed() {
            let _ = reader.cancel();
            return Outcome::Stopped;
        }
    }
}

fn is_stopped(weak: &Weak<Shared>) -> bool {
    weak.upgrade()
        .map(|shared| shared.is_closed() || shared.connection().is_none_or(|c| c.stopped.get()))
        .unwrap_or(true)
}

fn header(response: &ResponseLike, name: &str) -> Option<String> {
    let headers = response.headers();
    let get = Reflect::get(&headers, &"get".into()).ok()?;
    let get = get.dyn_into::<Function>().ok()?;
    get.call1(&headers, &name.into()).ok()?.as_string()
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
            .map_err(|e| format!("invalid header {name:?}: {}", error_message(&e)))
    };
    set("Accept", "text/event-stream")?;
    if !last_event_id.is_empty() {
        set("Last-Event-ID", last_event_id)?;
    }
    for (name, value) in extra {
        set(name, value)?;
    }
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

/// Describes a failed response: status, headers and the start of the body.
async fn failure_of(response: &ResponseLike, status: u16, message: String) -> Failure {
    let headers = object_from_entries(&response.headers())
        .ok()
        .map(JsValue::from);
    let mut body = Vec::new();
    if let Ok(reader) = response
        .body()
        .dyn_into::<Object>()
        .map_err(|_| JsValue::NULL)
        .and_then(|b| b.unchecked_into::<BodyStream>().get_reader())
    {
        while body.len() < ERROR_BODY_BYTES {
            let Ok(read) = reader.read() else { break };
            let Ok(result) = JsFuture::from(read).await else {
                break;
            };
            if Reflect::get(&result, &"done".into()).map_or(true, |d| d.is_truthy()) {
                break;
            }
            if let Ok(bytes) = Reflect::get(&result, &"value".into())
                .unwrap_or_default()
                .dyn_into::<Uint8Array>()
            {
                body.extend(bytes.to_vec());
            }
        }
        let _ = reader.cancel();
    }
    body.truncate(ERROR_BODY_BYTES);
    Failure {
        message,
        status: Some(status),
        status_text: response.status_text().as_string(),
        headers,
        body: Some(String::from_utf8_lossy(&body).into_owned()),
    }
}

/// Dispatches a connection error, described on the event itself so the JS API and
/// [`ErrorEvent`](crate::ErrorEvent) read the same fields.
fn dispatch_error(shared: &Shared, fatal: bool, failure: Failure) {
    if !shared.has_listeners("error") {
        return;
    }
    let Ok(event) = web_sys::Event::new("error") else {
        return;
    };
    let set = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&event, &key.into(), value);
    };
    set("kind", &"connection".into());
    set("fatal", &JsValue::from_bool(fatal));
    set("reconnecting", &JsValue::from_bool(!fatal));
    set("message", &failure.message.into());
    set(
        "status",
        &failure.status.map_or(JsValue::NULL, |s| JsValue::from(s)),
    );
    set(
        "statusText",
        &failure
            .status_text
            .map_or(JsValue::NULL, |s| JsValue::from_str(&s)),
    );
    set("headers", &failure.headers.unwrap_or(JsValue::NULL));
    set(
        "body",
        &failure
            .body
            .map_or(JsValue::NULL, |b| JsValue::from_str(&b)),
    );
    shared.dispatch("error", &event);
}
