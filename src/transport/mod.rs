//! Transports: what carries a stream from the server to the supervisor.
//!
//! A transport opens one connection attempt at a time and reports what happens on it through a
//! [`Sink`]: it opened, an event arrived (with its last event ID), the server set a reconnection
//! time, bytes arrived (for the idle timeout), and how the attempt ended ([`Outcome`]). It knows
//! nothing of listeners, retry policy or timers between attempts: the supervisor owns those.
//!
//! - [`native`]: the browser's `EventSource`.
//! - [`fetch`] (feature `fetch`): `fetch` and this crate's parser.

use std::rc::Rc;

use crate::retry::Failure;
use crate::ReadyState;

#[cfg(feature = "fetch")]
pub(crate) mod fetch;
pub(crate) mod native;
#[cfg(feature = "fetch")]
mod probe;
#[cfg(feature = "shared")]
pub(crate) mod shared;

/// What a transport reports to, implemented by the connection supervisor. Every method is
/// called from a transport's own callbacks or task, never while the transport holds a borrow.
pub(crate) trait Sink {
    /// Whether the source is closed (a transport stops reporting and ends its attempt).
    fn is_closed(&self) -> bool;
    /// Whether any listener waits for `event_type` (no event is built for nobody).
    fn wants(&self, event_type: &str) -> bool;
    /// An event for the listeners: `open`, a server message, or a transport's own report.
    fn dispatch(&self, event_type: &str, event: &web_sys::Event);
    /// An event of the browser's `EventSource`: a message's last event ID is read from it only
    /// when asked for (copying it into wasm for every event would cost more than the rest).
    fn dispatch_browser(&self, event_type: &str, event: &web_sys::Event);
    /// The last event ID, as the parser of this attempt has it.
    #[cfg(feature = "fetch")]
    fn set_last_event_id(&self, id: &str);
    /// The last event ID to reconnect from.
    fn last_event_id(&self) -> String;
    /// The connection opened (readyState OPEN).
    fn opened(&self);
    /// A server event arrived (whether or not anybody listens to its type).
    fn received(&self);
    /// The browser's `EventSource` lost its connection and reconnects by itself: its `error`
    /// event, for the listeners.
    fn browser_reconnecting(&self, event: &web_sys::Event);
    /// The server set the reconnection time (`retry:`), in milliseconds.
    #[cfg(feature = "fetch")]
    fn server_retry(&self, ms: u32);
    /// Bytes arrived (or the response did): the idle timeout starts again.
    #[cfg(feature = "fetch")]
    fn progress(&self);
    /// Whether a batch listener wants events of `event_type`.
    #[cfg(feature = "fetch")]
    fn wants_batch(&self, event_type: &str) -> bool;
    /// A server event for the batch listeners.
    #[cfg(feature = "fetch")]
    fn batch(&self, event: crate::parser::Event);
    /// An event was dropped for being larger than the maximum event size; the stream goes on.
    #[cfg(feature = "fetch")]
    fn event_too_large(&self, message: &str);
}

/// How one connection attempt ended.
pub(crate) enum Outcome {
    /// The attempt failed, or the stream ended.
    Ended(Ended),
    /// `close()` was called, or the source is gone.
    Stopped,
    /// Cut short without a failure (the page was hidden, or restored from the back/forward
    /// cache, or the network came back while the browser waited to reconnect): no error, no
    /// backoff; the supervisor reconnects once the page is visible.
    #[cfg_attr(not(any(feature = "fetch", feature = "reconnect")), allow(dead_code))]
    Interrupted,
}

/// A failed attempt, as a transport describes it.
pub(crate) struct Ended {
    pub(crate) failure: Failure,
    pub(crate) info: ErrorInfo,
    /// When the attempt opened, if it did (`Date.now()`).
    #[cfg_attr(not(feature = "reconnect"), allow(dead_code))]
    pub(crate) opened_at: Option<f64>,
    /// What the browser's `EventSource` does after this failure when no retry policy is set:
    /// reconnect after its reconnection time (`true`), or give up.
    pub(crate) browser_retries: bool,
    /// Whether the request may be sent again: `false` for a request that is not idempotent
    /// (POST) once its response started, unless a `resume` request says how to continue.
    pub(crate) repeatable: bool,
}

/// A failure, described for the `error` event.
#[derive(Default)]
pub(crate) struct ErrorInfo {
    pub(crate) message: String,
    pub(crate) status: Option<u16>,
    pub(crate) status_text: Option<String>,
    pub(crate) headers: Option<wasm_bindgen::JsValue>,
    pub(crate) body: Option<String>,
    /// The browser's own `error` event, dispatched (with the message and status set on it)
    /// instead of a new one.
    pub(crate) event: Option<web_sys::Event>,
    /// Called with the dispatched event (if anybody listened): the fetch transport reads the
    /// rest of an error response's body into it.
    pub(crate) after_dispatch: Option<Box<dyn FnOnce(Option<web_sys::Event>)>>,
}

impl ErrorInfo {
    pub(crate) fn message(message: impl Into<String>) -> Self {
        ErrorInfo {
            message: message.into(),
            ..ErrorInfo::default()
        }
    }
}

/// The transport of one source.
#[derive(Clone)]
pub(crate) enum Transport {
    Native(Rc<native::Native>),
    #[cfg(feature = "fetch")]
    Fetch(Rc<fetch::Fetch>),
    #[cfg(feature = "shared")]
    Shared(Rc<shared::Shared>),
}

impl Transport {
    /// Connects the transport to its supervisor (once, right after both exist).
    pub(crate) fn bind(&self, sink: std::rc::Weak<dyn Sink>) {
        match self {
            Transport::Native(native) => native.bind(sink),
            #[cfg(feature = "fetch")]
            Transport::Fetch(fetch) => fetch.bind(sink),
            #[cfg(feature = "shared")]
            Transport::Shared(shared) => shared.bind(sink),
        }
    }

    /// Runs one connection attempt until it ends. The first attempt of the native transport
    /// uses the `EventSource` made when the source was created.
    pub(crate) fn attempt(&self) -> impl std::future::Future<Output = Outcome> {
        let transport = self.clone();
        async move {
            match transport {
                Transport::Native(native) => native.attempt().await,
                #[cfg(feature = "fetch")]
                Transport::Fetch(fetch) => fetch.attempt().await,
                #[cfg(feature = "shared")]
                Transport::Shared(shared) => shared.attempt().await,
            }
        }
    }

    /// The state of the attempt in flight.
    pub(crate) fn ready_state(&self) -> ReadyState {
        match self {
            Transport::Native(native) => native.ready_state(),
            #[cfg(feature = "fetch")]
            Transport::Fetch(fetch) => fetch.ready_state(),
            #[cfg(feature = "shared")]
            Transport::Shared(shared) => shared.ready_state(),
        }
    }

    /// Ends the attempt in flight with [`Outcome::Interrupted`] (a pause).
    #[cfg(feature = "reconnect")]
    pub(crate) fn interrupt(&self) {
        match self {
            Transport::Native(native) => native.interrupt(),
            #[cfg(feature = "fetch")]
            Transport::Fetch(fetch) => fetch.abort(),
            #[cfg(feature = "shared")]
            Transport::Shared(shared) => shared.interrupt(),
        }
    }

    /// Ends the attempt in flight for good ([`Outcome::Stopped`]).
    pub(crate) fn stop(&self) {
        match self {
            Transport::Native(native) => native.stop(),
            #[cfg(feature = "fetch")]
            Transport::Fetch(fetch) => fetch.stop(),
            #[cfg(feature = "shared")]
            Transport::Shared(shared) => shared.stop(),
        }
    }

    /// Ends the attempt in flight because nothing arrived for too long (fetch transport: it
    /// keeps what was parsed); returns when the attempt opened, if it did.
    #[cfg(feature = "fetch")]
    pub(crate) fn time_out(&self) -> Option<f64> {
        match self {
            Transport::Native(native) => {
                native.interrupt();
                None
            }
            Transport::Fetch(fetch) => fetch.time_out(),
            #[cfg(feature = "shared")]
            Transport::Shared(shared) => shared.time_out(),
        }
    }

    /// The absolute URL of the source.
    pub(crate) fn url(&self) -> String {
        match self {
            Transport::Native(native) => native.url().to_owned(),
            #[cfg(feature = "fetch")]
            Transport::Fetch(fetch) => fetch.url().to_owned(),
            #[cfg(feature = "shared")]
            Transport::Shared(shared) => shared.url().to_owned(),
        }
    }

    pub(crate) fn with_credentials(&self) -> bool {
        match self {
            Transport::Native(native) => native.with_credentials(),
            #[cfg(feature = "fetch")]
            Transport::Fetch(fetch) => fetch.with_credentials(),
            #[cfg(feature = "shared")]
            Transport::Shared(shared) => shared.with_credentials(),
        }
    }

    /// Whether this source leads its shared connection, and how many contexts share it;
    /// `None` for a private source.
    #[cfg(feature = "shared")]
    pub(crate) fn shared_role(&self) -> Option<(shared::Role, u32)> {
        match self {
            Transport::Shared(shared) => Some(shared.role()),
            _ => None,
        }
    }

    /// The browser's `EventSource` in use, if this is the native transport.
    pub(crate) fn raw(&self) -> Option<web_sys::EventSource> {
        match self {
            Transport::Native(native) => Some(native.raw()),
            #[cfg(feature = "fetch")]
            Transport::Fetch(_) => None,
            #[cfg(feature = "shared")]
            Transport::Shared(_) => None,
        }
    }

    /// A listener of `event_type` now exists (the native transport listens to the browser).
    pub(crate) fn listen(&self, event_type: &str) {
        match self {
            Transport::Native(native) => native.listen(event_type),
            #[cfg(feature = "fetch")]
            Transport::Fetch(_) => {}
            #[cfg(feature = "shared")]
            Transport::Shared(_) => {}
        }
    }

    /// The last listener of `event_type` is gone.
    pub(crate) fn unlisten(&self, event_type: &str) {
        match self {
            Transport::Native(native) => native.unlisten(event_type),
            #[cfg(feature = "fetch")]
            Transport::Fetch(_) => {}
            #[cfg(feature = "shared")]
            Transport::Shared(_) => {}
        }
    }

    /// Whether the browser itself waits to reconnect (so a wake-up must reopen).
    #[cfg(feature = "reconnect")]
    pub(crate) fn browser_is_reconnecting(&self) -> bool {
        match self {
            Transport::Native(native) => native.browser_is_reconnecting(),
            #[cfg(feature = "fetch")]
            Transport::Fetch(_) => false,
            #[cfg(feature = "shared")]
            Transport::Shared(_) => false,
        }
    }
}
