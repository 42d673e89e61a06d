//! Options for creating a source.

#[cfg(feature = "fetch")]
use std::time::Duration;
#[cfg(any(feature = "fetch", feature = "reconnect"))]
use std::{fmt, rc::Rc};
#[cfg(feature = "fetch")]
use std::{future::Future, pin::Pin};

pub use crate::close_on::CloseOn;
#[cfg(feature = "fetch")]
pub use crate::resume::Resume;

#[cfg(feature = "reconnect")]
use crate::retry::{Failure, RetryPolicy};

/// Which connection mechanism a source uses.
///
/// ```
/// use eventsource_wasm::{EventSourceOptions, Transport};
///
/// let options = EventSourceOptions::new().transport(Transport::Fetch);
/// assert_eq!(options.transport, Transport::Fetch);
/// assert_eq!(EventSourceOptions::new().transport, Transport::Auto);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transport {
    /// The browser's `EventSource` when it can serve the request (GET, no custom headers, no
    /// body, no injected `fetch`) and exists here; the fetch transport otherwise.
    #[default]
    Auto,
    /// Always the browser's `EventSource` (an error where it cannot serve the options).
    EventSource,
    /// Always `fetch` with this crate's parser: headers, any method, a body, HTTP status on
    /// errors; works in Node.js and in workers without `EventSource`.
    Fetch,
}

/// The `credentials` mode of a fetch request (Fetch's `RequestCredentials`), see
/// [`EventSourceOptions::credentials_mode`].
///
/// ```
/// use eventsource_wasm::{CredentialsMode, EventSourceOptions};
///
/// let options = EventSourceOptions::new().credentials_mode(CredentialsMode::Omit);
/// assert_eq!(options.credentials_mode, Some(CredentialsMode::Omit));
/// assert_eq!(CredentialsMode::SameOrigin.as_str(), "same-origin");
/// ```
#[cfg(feature = "fetch")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsMode {
    /// Never send cookies or HTTP authentication.
    Omit,
    /// Only to the same origin (the default, as for `EventSource` without `withCredentials`).
    SameOrigin,
    /// Also to other origins (as `withCredentials: true`).
    Include,
}

#[cfg(feature = "fetch")]
impl CredentialsMode {
    /// The Fetch standard's name: `"omit"`, `"same-origin"` or `"include"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialsMode::Omit => "omit",
            CredentialsMode::SameOrigin => "same-origin",
            CredentialsMode::Include => "include",
        }
    }
}

/// A future of request headers, as produced by a [`HeaderProvider`].
#[cfg(feature = "fetch")]
pub type HeadersFuture = Pin<Box<dyn Future<Output = Result<Vec<(String, String)>, String>>>>;

/// Computes the request headers anew on every connect, e.g. to refresh a token before a
/// reconnect. An `Err` fails the connection with that message.
///
/// ```
/// use eventsource_wasm::HeaderProvider;
///
/// let provider = HeaderProvider::new(|| async {
///     Ok(vec![("Authorization".to_owned(), "Bearer fresh-token".to_owned())])
/// });
/// # drop(provider);
/// ```
#[cfg(feature = "fetch")]
#[derive(Clone)]
pub struct HeaderProvider(pub(crate) Rc<dyn Fn() -> HeadersFuture>);

#[cfg(feature = "fetch")]
impl HeaderProvider {
    /// Wraps an async function returning the headers.
    pub fn new<F, Fut>(provider: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<Vec<(String, String)>, String>> + 'static,
    {
        HeaderProvider(Rc::new(move || Box::pin(provider()) as HeadersFuture))
    }

    #[cfg(feature = "js")]
    pub(crate) fn from_boxed(provider: Rc<dyn Fn() -> HeadersFuture>) -> Self {
        HeaderProvider(provider)
    }
}

#[cfg(feature = "fetch")]
impl fmt::Debug for HeaderProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HeaderProvider(..)")
    }
}

/// Overrides the default classification of failures (see [`Failure::is_retryable`]):
/// return `true` to retry, `false` to give up.
///
/// ```
/// use eventsource_wasm::{Failure, ShouldRetry};
///
/// // Also retry 401s: a header provider refreshes the token before each attempt.
/// let should_retry = ShouldRetry::new(|failure| match failure {
///     Failure::Status { status: 401, .. } => true,
///     other => other.is_retryable(),
/// });
/// # drop(should_retry);
/// ```
#[cfg(feature = "reconnect")]
#[derive(Clone)]
pub struct ShouldRetry(pub(crate) Rc<dyn Fn(&Failure) -> bool>);

#[cfg(feature = "reconnect")]
impl ShouldRetry {
    /// Wraps a classification function.
    pub fn new(decide: impl Fn(&Failure) -> bool + 'static) -> Self {
        ShouldRetry(Rc::new(decide))
    }
}

#[cfg(feature = "reconnect")]
impl fmt::Debug for ShouldRetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShouldRetry(..)")
    }
}

/// Options for [`EventSource::with_options`](crate::EventSource::with_options).
///
/// Every field is public and has a default; build it with the chaining setters, each named
/// after the field it sets (and taking a [`Duration`](std::time::Duration) for a duration).
///
/// ```
/// use eventsource_wasm::EventSourceOptions;
///
/// # #[cfg(feature = "fetch")] {
/// use std::time::Duration;
///
/// let options = EventSourceOptions::new()
///     .with_credentials(true)
///     .header("Authorization", "Bearer token")
///     .method("POST")
///     .body(r#"{"topics":["a"]}"#)
///     .idle_timeout(Duration::from_secs(45));
/// assert!(options.with_credentials);
/// assert_eq!(options.idle_timeout, Some(Duration::from_secs(45)));
/// // Headers and a body need the fetch transport (feature `fetch`), which `Transport::Auto`
/// // then picks.
/// assert!(options.needs_fetch());
/// # }
/// assert!(!EventSourceOptions::default().needs_fetch());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct EventSourceOptions {
    /// Send cookies and HTTP authentication with cross-origin requests
    /// (the browser's `withCredentials`). Default: `false`.
    pub with_credentials: bool,
    /// The connection mechanism. Default: [`Transport::Auto`].
    pub transport: Transport,
    /// The HTTP method (fetch transport). Default: `GET`.
    #[cfg(feature = "fetch")]
    pub method: Option<String>,
    /// Extra request headers (fetch transport). Default: none.
    #[cfg(feature = "fetch")]
    pub headers: Vec<(String, String)>,
    /// Headers computed on every connect (fetch transport); added after [`headers`](Self::headers).
    /// Default: none.
    #[cfg(feature = "fetch")]
    pub header_provider: Option<HeaderProvider>,
    /// A request body (fetch transport). Default: none.
    #[cfg(feature = "fetch")]
    pub body: Option<String>,
    /// How to continue the stream once a response has started (fetch transport): later
    /// attempts send this request instead of the original one, with `Last-Event-ID`. Without
    /// it, a request whose method is not idempotent (`POST`, `PATCH`) is sent again only if it
    /// failed before its response started: once a stream has opened, its end or failure is
    /// fatal, with a message that says to set `resume`. Default: none.
    #[cfg(feature = "fetch")]
    pub resume: Option<Resume>,
    /// The fetch `credentials` mode (fetch transport). Default: `include` when
    /// [`with_credentials`](Self::with_credentials), else `same-origin` (what `EventSource`
    /// does).
    #[cfg(feature = "fetch")]
    pub credentials_mode: Option<CredentialsMode>,
    /// A `fetch` function to use instead of the global one (fetch transport), called as
    /// `fetch(url, init)`. Default: the global `fetch`.
    #[cfg(feature = "fetch")]
    pub fetch: Option<js_sys::Function>,
    /// The largest event, in bytes, the fetch transport accepts; a larger one is dropped and
    /// reported as an error. Default: 1 MiB.
    #[cfg(feature = "fetch")]
    pub max_event_size: Option<usize>,
    /// Reconnect with this policy (backoff, jitter, limits) instead of the browser's plain
    /// behaviour; see [`RetryPolicy`]. Default: none — exactly what `EventSource` does (retry
    /// network errors after the server's `retry:`, give up on any HTTP error).
    #[cfg(feature = "reconnect")]
    pub retry: Option<RetryPolicy>,
    /// Overrides which failures are retried. Setting it without [`retry`](Self::retry) turns
    /// on the default [`RetryPolicy`]. Default: none.
    #[cfg(feature = "reconnect")]
    pub should_retry: Option<ShouldRetry>,
    /// Reconnect when nothing at all (not even a comment) has arrived for this long, counted
    /// from the last byte (fetch transport; whole milliseconds). Default: none.
    #[cfg(feature = "fetch")]
    pub idle_timeout: Option<Duration>,
    /// The last event ID to start from, sent on the first connection too. Default: none.
    pub last_event_id: Option<String>,
    /// When the stream is complete: after the matching event is delivered the source closes,
    /// does not reconnect, and dispatches `close`. A stream that ends or breaks before it is
    /// *truncated* ([`Failure::Truncated`](crate::Failure::Truncated), `error` events with
    /// `kind` `"truncated"`) and reconnects from the last event ID. Default: none (the
    /// browser's behaviour: a stream never completes).
    pub close_on: Option<CloseOn>,
    /// The query parameter that carries the last event ID. The browser's `EventSource` (which
    /// cannot set headers) uses it when this crate reopens it ([`retry`](Self::retry),
    /// `lastEventId`, lifecycle triggers); default `"lastEventId"`. The fetch transport uses it
    /// only when it is set: then every request carries the ID in this parameter and sends no
    /// `Last-Event-ID` header, so a cross-origin request needs no CORS preflight for it (nchan's
    /// parameter is `"last_event_id"`). Default: none (the header).
    pub last_event_id_param: Option<String>,
    /// Reconnect at once, skipping a pending retry wait, when the browser fires `online`.
    /// Default: `false`.
    #[cfg(feature = "reconnect")]
    pub reconnect_on_online: bool,
    /// Close the connection while the page is hidden and reconnect from the last event ID
    /// when it is visible again (windows only). Default: `false`.
    #[cfg(feature = "reconnect")]
    pub pause_when_hidden: bool,
    /// Reconnect when the page is restored from the back/forward cache (`pageshow` with
    /// `persisted`). Default: `false`.
    #[cfg(feature = "reconnect")]
    pub reopen_on_pageshow: bool,
    /// A body of any type `fetch` accepts (set by the JS bindings).
    #[cfg(feature = "fetch")]
    pub(crate) js_body: Option<wasm_bindgen::JsValue>,
}

impl EventSourceOptions {
    /// The defaults: no credentials on cross-origin requests, [`Transport::Auto`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`with_credentials`](Self::with_credentials) (the browser's `withCredentials`).
    pub fn with_credentials(mut self, value: bool) -> Self {
        self.with_credentials = value;
        self
    }

    /// Sets [`transport`](Self::transport).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets [`method`](Self::method).
    #[cfg(feature = "fetch")]
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Adds a request header.
    #[cfg(feature = "fetch")]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets [`header_provider`](Self::header_provider).
    #[cfg(feature = "fetch")]
    pub fn header_provider(mut self, provider: HeaderProvider) -> Self {
        self.header_provider = Some(provider);
        self
    }

    /// Sets [`body`](Self::body).
    #[cfg(feature = "fetch")]
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets [`credentials_mode`](Self::credentials_mode).
    #[cfg(feature = "fetch")]
    pub fn credentials_mode(mut self, mode: CredentialsMode) -> Self {
        self.credentials_mode = Some(mode);
        self
    }

    /// Sets [`fetch`](Self::fetch).
    #[cfg(feature = "fetch")]
    pub fn fetch(mut self, fetch: js_sys::Function) -> Self {
        self.fetch = Some(fetch);
        self
    }

    /// Sets [`max_event_size`](Self::max_event_size).
    #[cfg(feature = "fetch")]
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = Some(bytes);
        self
    }

    /// Sets [`retry`](Self::retry).
    #[cfg(feature = "reconnect")]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Sets [`should_retry`](Self::should_retry).
    #[cfg(feature = "reconnect")]
    pub fn should_retry(mut self, decide: ShouldRetry) -> Self {
        self.should_retry = Some(decide);
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    #[cfg(feature = "fetch")]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Sets [`last_event_id`](Self::last_event_id).
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = Some(id.into());
        self
    }

    /// Sets [`resume`](Self::resume).
    #[cfg(feature = "fetch")]
    pub fn resume(mut self, resume: Resume) -> Self {
        self.resume = Some(resume);
        self
    }

    /// Sets [`close_on`](Self::close_on).
    pub fn close_on(mut self, close_on: CloseOn) -> Self {
        self.close_on = Some(close_on);
        self
    }

    /// Sets [`last_event_id_param`](Self::last_event_id_param).
    pub fn last_event_id_param(mut self, name: impl Into<String>) -> Self {
        self.last_event_id_param = Some(name.into());
        self
    }

    /// Sets [`reconnect_on_online`](Self::reconnect_on_online).
    #[cfg(feature = "reconnect")]
    pub fn reconnect_on_online(mut self, value: bool) -> Self {
        self.reconnect_on_online = value;
        self
    }

    /// Sets [`pause_when_hidden`](Self::pause_when_hidden).
    #[cfg(feature = "reconnect")]
    pub fn pause_when_hidden(mut self, value: bool) -> Self {
        self.pause_when_hidden = value;
        self
    }

    /// Sets [`reopen_on_pageshow`](Self::reopen_on_pageshow).
    #[cfg(feature = "reconnect")]
    pub fn reopen_on_pageshow(mut self, value: bool) -> Self {
        self.reopen_on_pageshow = value;
        self
    }

    /// Whether these options need the fetch transport (the browser's `EventSource` can only
    /// send a plain GET with cookies or without).
    pub fn needs_fetch(&self) -> bool {
        self.fetch_only_option().is_some()
    }

    /// The retry policy in force: [`retry`](Self::retry), or the default one when only
    /// [`should_retry`](Self::should_retry) is set.
    #[cfg(feature = "reconnect")]
    pub(crate) fn effective_retry(&self) -> Option<RetryPolicy> {
        self.retry
            .clone()
            .or_else(|| self.should_retry.as_ref().map(|_| RetryPolicy::new()))
    }

    /// The first option set that only the fetch transport can honour (its name as in JS), if
    /// any.
    #[cfg(not(feature = "fetch"))]
    pub(crate) fn fetch_only_option(&self) -> Option<&'static str> {
        None
    }

    /// The first option set that only the fetch transport can honour (its name as in JS), if
    /// any.
    #[cfg(feature = "fetch")]
    pub(crate) fn fetch_only_option(&self) -> Option<&'static str> {
        let method_is_get = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case("GET"));
        let credentials_fit = match self.credentials_mode {
            None => true,
            Some(CredentialsMode::Include) => self.with_credentials,
            Some(CredentialsMode::SameOrigin) => !self.with_credentials,
            Some(CredentialsMode::Omit) => false,
        };
        if !method_is_get {
            Some("method")
        } else if !self.headers.is_empty() || self.header_provider.is_some() {
            Some("headers")
        } else if self.body.is_some() || self.js_body.is_some() {
            Some("body")
        } else if self.fetch.is_some() {
            Some("fetch")
        } else if self.resume.is_some() {
            Some("resume")
        } else if self.idle_timeout.is_some() {
            Some("idleTimeout")
        } else if !credentials_fit {
            Some("credentials")
        } else {
            None
        }
    }
}
