//! The fetch transport: `fetch` + this crate's parser, with the browser `EventSource`'s
//! semantics (HTML standard, "Server-sent events") plus custom headers, any method, a body,
//! and errors that carry the HTTP status. Works in windows, workers and Node.js 20+.

mod calls;
mod error_body;
mod events;
mod request;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

#[cfg(feature = "shared")]
pub(crate) use events::message_event;
pub(crate) use request::Request;

use self::calls::{body_reader, call_method, cancel, describe, future_of, is_done};
use self::events::Deliverer;
use self::request::{check_scheme, cors_hint, is_cross_origin, sets_header};
use crate::bytes::{for_each_piece, ChunkError};
use crate::parser::Parser;
use crate::retry::Failure;
use crate::support::{classify_response, error_message, prop};
use crate::transport::{Ended, ErrorInfo, Outcome, Sink};
use crate::ReadyState;

/// The fetch transport of one source.
pub(crate) struct Fetch {
    request: Request,
    sink: RefCell<Option<Weak<dyn Sink>>>,
    /// Restarted for each stream, keeping the last event ID as browsers do. Borrowed only while
    /// a piece is parsed, never while events are dispatched.
    parser: RefCell<Parser>,
    state: Cell<ReadyState>,
    opened_at: Cell<Option<f64>>,
    /// Closed for good.
    stopped: Cell<bool>,
    /// The attempt in flight was aborted (a pause, or the idle timeout).
    interrupted: Cell<bool>,
    /// A response of this source has opened: later attempts continue it (`resume`).
    started: Cell<bool>,
    abort: RefCell<Option<web_sys::AbortController>>,
    reader: RefCell<Option<JsValue>>,
}

/// Added to the message of a failure after which the request is not sent again.
const NOT_REPEATABLE: &str = "; the request is not sent again: its method is not idempotent and \
its response had started, so the server may have acted on it (set the `resume` option to say \
how to continue, e.g. { method: 'GET', url })";

/// An attempt that failed, with what the browser's `EventSource` does after such a failure
/// when no retry policy is set: it reconnects after a network error (ours also after an idle
/// timeout or a failed headers function), and gives up on anything else.
fn ended(failure: Failure, info: ErrorInfo, opened_at: Option<f64>) -> Outcome {
    let browser_retries = matches!(
        failure,
        Failure::Network | Failure::IdleTimeout | Failure::Headers
    );
    Outcome::Ended(Ended {
        failure,
        info,
        opened_at,
        browser_retries,
        repeatable: true,
    })
}

/// The message of a stream that ended.
const CLOSED_BY_SERVER: &str = "the server closed the stream";

fn network(message: impl Into<String>, opened_at: Option<f64>) -> Outcome {
    ended(Failure::Network, ErrorInfo::message(message), opened_at)
}

/// A request that cannot be made (an invalid header, no fetch, an injected fetch that resolved
/// to something that is not a Response): fatal unless `shouldRetry` says otherwise.
fn request_failure(message: impl Into<String>) -> Outcome {
    ended(Failure::Request, ErrorInfo::message(message), None)
}

fn not_repeatable(message: String) -> Outcome {
    Outcome::Ended(Ended {
        failure: Failure::Request,
        info: ErrorInfo::message(message),
        opened_at: None,
        browser_retries: false,
        repeatable: false,
    })
}

fn prefixed(prefix: &str, error: &JsValue) -> String {
    let mut message = prefix.to_owned();
    message.push_str(&error_message(error));
    message
}

impl Fetch {
    pub(crate) fn new(request: Request) -> Self {
        let parser = Parser::with_max_event_size(request.max_event_size);
        Fetch {
            request,
            sink: RefCell::new(None),
            parser: RefCell::new(parser),
            state: Cell::new(ReadyState::Connecting),
            opened_at: Cell::new(None),
            stopped: Cell::new(false),
            interrupted: Cell::new(false),
            started: Cell::new(false),
            abort: RefCell::new(None),
            reader: RefCell::new(None),
        }
    }

    pub(crate) fn bind(&self, sink: Weak<dyn Sink>) {
        *self.sink.borrow_mut() = Some(sink);
    }

    pub(crate) fn url(&self) -> &str {
        &self.request.url
    }

    pub(crate) fn with_credentials(&self) -> bool {
        self.request.credentials == crate::CredentialsMode::Include
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        self.state.get()
    }

    /// The sink, while the source runs (not dropped, closed or stopped).
    fn running(&self) -> Option<Rc<dyn Sink>> {
        if self.stopped.get() {
            return None;
        }
        let sink = self.sink.borrow().as_ref().and_then(Weak::upgrade)?;
        (!sink.is_closed()).then_some(sink)
    }

    /// Aborts the attempt in flight: its request, and its body reader (an injected fetch may
    /// ignore the signal). The attempt ends as [`Outcome::Interrupted`].
    pub(crate) fn abort(&self) {
        self.interrupted.set(true);
        let controller = self.abort.borrow_mut().take();
        if let Some(controller) = controller {
            controller.abort();
        }
        let reader = self.reader.borrow_mut().take();
        if let Some(reader) = reader {
            cancel(&reader);
        }
    }

    /// Whether a later attempt may send the request again (an idempotent method, or `resume`).
    #[cfg(feature = "shared")]
    pub(crate) fn can_resend(&self) -> bool {
        self.request.is_repeatable()
    }

    /// Stops for good: aborts the attempt in flight (its task ends: no request is left).
    pub(crate) fn stop(&self) {
        self.stopped.set(true);
        self.state.set(ReadyState::Closed);
        self.abort();
    }

    /// Ends the attempt in flight from outside (the idle timeout): aborts it and keeps what was
    /// parsed of its stream. Returns when it opened, if it did.
    pub(crate) fn time_out(&self) -> Option<f64> {
        self.abort();
        self.end_attempt();
        self.opened_at.get()
    }

    /// Runs one connection attempt until it ends.
    pub(crate) async fn attempt(self: Rc<Self>) -> Outcome {
        self.state.set(ReadyState::Connecting);
        self.opened_at.set(None);
        self.interrupted.set(false);
        // The parser's last event ID mirrors the source's (a seeded `lastEventId` included): it
        // is copied back after every attempt, even one that failed before its request.
        if let (Some(sink), Ok(mut parser)) = (self.running(), self.parser.try_borrow_mut()) {
            parser.set_last_event_id(&sink.last_event_id());
        }
        let outcome = self.connect().await;
        self.reader.borrow_mut().take();
        if !self.stopped.get() {
            self.end_attempt();
        }
        match outcome {
            Outcome::Ended(_) if self.interrupted.get() => Outcome::Interrupted,
            Outcome::Ended(mut ended) if self.started.get() && !self.request.is_repeatable() => {
                ended.repeatable = false;
                ended.info.message.push_str(NOT_REPEATABLE);
                Outcome::Ended(ended)
            }
            outcome => outcome,
        }
    }

    /// What was parsed of the last stream counts (an `id` of a block without data too); a
    /// partial event is dropped.
    fn end_attempt(&self) {
        let Ok(mut parser) = self.parser.try_borrow_mut() else {
            return;
        };
        parser.finish();
        if let Some(sink) = self.sink.borrow().as_ref().and_then(Weak::upgrade) {
            sink.set_last_event_id(parser.last_event_id());
        }
    }

    /// The request's extra headers: the fixed ones, then the provider's (a provider may
    /// refresh a token before each attempt).
    async fn extra_headers(&self) -> Result<Vec<(String, String)>, Outcome> {
        let mut extra = self.request.headers.clone();
        if let Some(provider) = &self.request.header_provider {
            match (provider.0)().await {
                Ok(headers) => extra.extend(headers),
                Err(message) => {
                    let mut text = "the headers function failed: ".to_owned();
                    text.push_str(&message);
                    return Err(ended(Failure::Headers, ErrorInfo::message(text), None));
                }
            }
        }
        Ok(extra)
    }

    async fn connect(&self) -> Outcome {
        let extra = match self.extra_headers().await {
            Ok(extra) => extra,
            Err(outcome) => return outcome,
        };
        // The attempt may have been interrupted while an async headers function ran.
        if self.interrupted.get() {
            return Outcome::Interrupted;
        }
        let Some(sink) = self.running() else {
            return Outcome::Stopped;
        };
        let request = &self.request;
        let last_event_id = sink.last_event_id();
        // A paused POST stream must not be sent again either.
        if self.started.get() && !request.is_repeatable() {
            let mut message = "the stream was interrupted".to_owned();
            message.push_str(NOT_REPEATABLE);
            return not_repeatable(message);
        }
        let target = match request.target(self.started.get(), &last_event_id) {
            Ok(target) => target,
            Err(message) => return request_failure(message),
        };
        // Only http(s) (and data:, blob:) can carry an event stream: the browser's EventSource
        // fails any other scheme at once (an injected fetch decides for itself).
        if request.fetch.is_none() {
            if let Err(message) = check_scheme(&target.url) {
                return request_failure(message);
            }
        }
        let (url, header_id) = request.url_and_header_id(&target.url, &last_event_id);
        let controller = match web_sys::AbortController::new() {
            Ok(controller) => controller,
            Err(error) => return request_failure(error_message(&error)),
        };
        let init = match request.init(&target, &extra, &header_id, &controller) {
            Ok(init) => init,
            Err(message) => return request_failure(message),
        };
        if let Some(previous) = self.abort.borrow_mut().replace(controller) {
            previous.abort();
        }
        let fetch = match request.fetch_function() {
            Ok(fetch) => fetch,
            Err(message) => return request_failure(message),
        };
        if let Ok(mut parser) = self.parser.try_borrow_mut() {
            parser.reset();
            parser.set_last_event_id(&last_event_id);
        }
        let sends_header = !header_id.is_empty() || sets_header(&extra, "last-event-id");
        drop(sink);
        match self.send(&fetch, &url, &init, sends_header).await {
            Ok(response) => self.receive(&response, &url).await,
            Err(outcome) => outcome,
        }
    }

    /// Calls `fetch` and waits for the response.
    async fn send(
        &self,
        fetch: &Function,
        url: &str,
        init: &JsValue,
        sends_header: bool,
    ) -> Result<JsValue, Outcome> {
        let pending = fetch
            .call2(&JsValue::UNDEFINED, &JsValue::from_str(url), init)
            .map_err(|error| network(prefixed("fetch threw: ", &error), None))?;
        let waiting = future_of(&pending).map_err(|error| {
            request_failure(prefixed(
                "fetch returned a promise that cannot be awaited: ",
                &error,
            ))
        })?;
        // Waiting for the response counts towards the idle timeout (a black-holed server).
        if let Some(sink) = self.running() {
            sink.progress();
        }
        let response = match waiting.await {
            Ok(response) => response,
            Err(_) if self.running().is_none() => return Err(Outcome::Stopped),
            Err(error) => {
                let mut message = prefixed("the request failed: ", &error);
                if is_cross_origin(url) {
                    message.push_str(cors_hint(sends_header));
                }
                return Err(network(message, None));
            }
        };
        if self.running().is_none() {
            return Err(Outcome::Stopped);
        }
        if !response.is_object() {
            let mut message = "fetch resolved to ".to_owned();
            message.push_str(&describe(&response));
            message.push_str(", not a Response (an injected fetch must return fetch()'s promise)");
            return Err(request_failure(message));
        }
        // What is read of every response: a number for the status, headers to ask for the
        // Content-Type. An object without them is not a Response, whatever else it has.
        if prop(&response, "status").as_f64().is_none() || !prop(&response, "headers").is_object() {
            return Err(request_failure(
                "fetch resolved to an object without a numeric status and headers, not a Response \
                 (an injected fetch must return fetch()'s promise)",
            ));
        }
        Ok(response)
    }

    /// Checks the response; if it is an event stream, opens and reads it.
    async fn receive(&self, response: &JsValue, url: &str) -> Outcome {
        let (status, classified) = classify_response(response);
        if let Some((failure, message)) = classified {
            let idle_ms = self.request.idle_timeout_ms;
            let info = error_body::failure_of(response, status, message, idle_ms).await;
            return ended(failure, info, None);
        }
        let origin = prop(response, "url")
            .as_string()
            .filter(|url| !url.is_empty())
            .and_then(|url| web_sys::Url::new(&url).ok())
            .map(|url| url.origin())
            .unwrap_or_else(|| {
                web_sys::Url::new(url)
                    .map(|url| url.origin())
                    .unwrap_or_default()
            });
        let reader = match body_reader(response) {
            Ok(reader) => reader,
            Err(error) => return request_failure(error_message(&error)),
        };
        self.reader.borrow_mut().clone_from(&reader);
        // Announce the connection.
        let Some(sink) = self.running() else {
            return Outcome::Stopped;
        };
        self.state.set(ReadyState::Open);
        self.started.set(true);
        let opened_at = js_sys::Date::now();
        self.opened_at.set(Some(opened_at));
        sink.progress();
        sink.opened();
        if sink.wants("open") {
            if let Ok(event) = web_sys::Event::new("open") {
                sink.dispatch("open", &event);
            }
        }
        drop(sink);
        match reader {
            Some(reader) => self.read(&reader, Deliverer::new(&origin), opened_at).await,
            // A null body is an empty stream: open, and at once closed by the server.
            None => network(CLOSED_BY_SERVER, Some(opened_at)),
        }
    }

    /// Reads the stream until it ends, fails or the source closes.
    async fn read(&self, reader: &JsValue, mut deliverer: Deliverer, opened_at: f64) -> Outcome {
        let mut chunk = Vec::new();
        loop {
            // `Promise.resolve`: a stream that does not return a promise must not throw in here.
            let read = match call_method(reader, "read").and_then(|read| future_of(&read)) {
                Ok(read) => read,
                Err(error) => return network(error_message(&error), Some(opened_at)),
            };
            let result = match read.await {
                Ok(result) => result,
                Err(_) if self.running().is_none() => return Outcome::Stopped,
                Err(error) => {
                    let message = prefixed("the stream was interrupted: ", &error);
                    return network(message, Some(opened_at));
                }
            };
            if is_done(&result) {
                return network(CLOSED_BY_SERVER, Some(opened_at));
            }
            let Some(sink) = self.running() else {
                cancel(reader);
                return Outcome::Stopped;
            };
            sink.progress();
            let value = Reflect::get(&result, &"value".into()).unwrap_or_default();
            if let Err(outcome) = self.feed(&*sink, &value, &mut chunk, &mut deliverer) {
                cancel(reader);
                return outcome;
            }
            if sink.is_closed() {
                cancel(reader);
                return Outcome::Stopped;
            }
        }
    }

    /// Parses one chunk of the body and delivers its events, 64 KiB at a time.
    fn feed(
        &self,
        sink: &dyn Sink,
        value: &JsValue,
        chunk: &mut Vec<u8>,
        deliverer: &mut Deliverer,
    ) -> Result<(), Outcome> {
        // A body stream of strings (an injected fetch) is taken as the text it is.
        let bytes: JsValue = match value.as_string() {
            Some(text) => Uint8Array::from(text.as_bytes()).into(),
            None => value.clone(),
        };
        let fed = for_each_piece(&bytes, chunk, |piece| {
            match self.parser.try_borrow_mut() {
                Ok(mut parser) => parser.feed(piece, &mut |item| deliverer.push(item)),
                Err(_) => return false,
            }
            deliverer.deliver(sink);
            !sink.is_closed()
        });
        fed.map_err(|error| {
            request_failure(match error {
                ChunkError::NotUint8Array => {
                    let mut message = "the response body produced ".to_owned();
                    message.push_str(&describe(&bytes));
                    message.push_str(", not bytes (Uint8Array)");
                    message
                }
                ChunkError::Threw(error) => {
                    prefixed("a chunk of the response body could not be read: ", &error)
                }
            })
        })
    }
}
