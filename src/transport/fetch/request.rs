//! The request of the fetch transport: what the options ask for, checked when the source is
//! made, and the `init` of each `fetch(url, init)`.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::options::{CredentialsMode, HeaderProvider, Resume};
use crate::support::error_message;
use crate::url::url_with_param;
use crate::{Error, EventSourceOptions};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Object, js_name = fromEntries, catch)]
    pub(super) fn object_from_entries(entries: &JsValue) -> Result<Object, JsValue>;
}

/// Everything the fetch transport needs to (re)connect.
pub(crate) struct Request {
    /// The absolute URL.
    pub(crate) url: String,
    pub(crate) method: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) header_provider: Option<HeaderProvider>,
    pub(crate) body: Option<JsValue>,
    pub(crate) credentials: CredentialsMode,
    pub(crate) fetch: Option<Function>,
    pub(crate) max_event_size: usize,
    /// How long an error response's body is read for, after its error event.
    pub(crate) idle_timeout_ms: Option<u32>,
    /// Carry the last event ID in this query parameter instead of a `Last-Event-ID` header
    /// (which makes a cross-origin request need a CORS preflight).
    pub(crate) last_event_id_param: Option<String>,
    /// How attempts continue once a response has started.
    pub(crate) resume: Option<Resume>,
}

/// What one attempt sends: the original request, or its continuation (`resume`).
pub(super) struct Target {
    pub(super) method: String,
    /// The absolute URL, before the last event ID is added to its query (if it goes there).
    pub(super) url: String,
    pub(super) with_body: bool,
}

impl Request {
    /// The request `options` ask for, to the absolute `url`; an error for a method or body
    /// that cannot work.
    pub(crate) fn new(url: String, options: &EventSourceOptions) -> Result<Self, Error> {
        let method = options.method.clone().unwrap_or_else(|| "GET".to_owned());
        let body = options
            .js_body
            .clone()
            .or_else(|| options.body.as_deref().map(JsValue::from_str));
        check_method(&method, body.as_ref())?;
        if let Some(resume) = &options.resume {
            check_method(&resume.method, None)?;
        }
        let credentials = options
            .credentials_mode
            .unwrap_or(if options.with_credentials {
                CredentialsMode::Include
            } else {
                CredentialsMode::SameOrigin
            });
        Ok(Request {
            url,
            method,
            headers: options.headers.clone(),
            header_provider: options.header_provider.clone(),
            body,
            credentials,
            fetch: options.fetch.clone(),
            max_event_size: options
                .max_event_size
                .unwrap_or(crate::parser::DEFAULT_MAX_EVENT_SIZE),
            idle_timeout_ms: options.idle_timeout.map(crate::retry::timer_ms),
            last_event_id_param: options.last_event_id_param.clone(),
            resume: options.resume.clone(),
        })
    }

    /// Whether the original request may be sent again once its response has started: its
    /// method is idempotent (RFC 9110, 9.2.2), or `resume` says how to continue instead.
    pub(super) fn is_repeatable(&self) -> bool {
        self.resume.is_some()
            || ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&self.method))
    }

    /// What an attempt sends: the original request until a response has `started`, then the
    /// `resume` request if there is one.
    pub(super) fn target(&self, started: bool, last_event_id: &str) -> Result<Target, String> {
        match (&self.resume, started) {
            (Some(resume), true) => {
                let url = resume.url(last_event_id).and_then(|url| {
                    crate::url::resolve_url(&url).map_err(|message| {
                        let mut text = "the resume URL \"".to_owned();
                        text.push_str(&url);
                        text.push_str("\" is not valid: ");
                        text.push_str(&message);
                        text
                    })
                })?;
                Ok(Target {
                    method: resume.method.clone(),
                    url,
                    with_body: false,
                })
            }
            _ => Ok(Target {
                method: self.method.clone(),
                url: self.url.clone(),
                with_body: true,
            }),
        }
    }

    /// The URL and the `Last-Event-ID` header value of an attempt to `url` from
    /// `last_event_id`: the ID goes in the query parameter, if one is set, or else in the
    /// header.
    pub(super) fn url_and_header_id(&self, url: &str, last_event_id: &str) -> (String, String) {
        match &self.last_event_id_param {
            Some(param) => (url_with_param(url, param, last_event_id), String::new()),
            None => (url.to_owned(), last_event_id.to_owned()),
        }
    }

    /// The `fetch` to call: the injected one, or the global.
    pub(super) fn fetch_function(&self) -> Result<Function, String> {
        if let Some(fetch) = &self.fetch {
            return Ok(fetch.clone());
        }
        Reflect::get(&js_sys::global(), &"fetch".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                "fetch is not available in this environment; pass one in the `fetch` option"
                    .to_owned()
            })
    }

    /// Builds the `init` of `fetch(url, init)` for `target`, with `controller`'s signal.
    pub(super) fn init(
        &self,
        target: &Target,
        extra: &[(String, String)],
        last_event_id: &str,
        controller: &web_sys::AbortController,
    ) -> Result<JsValue, String> {
        let headers = self.headers_object(extra, last_event_id)?;
        let init = Object::new();
        let put = |key: &str, value: &JsValue| {
            let _ = Reflect::set(&init, &key.into(), value);
        };
        put("method", &target.method.as_str().into());
        put("headers", &headers);
        if let (true, Some(body)) = (target.with_body, &self.body) {
            put("body", body);
        }
        put("credentials", &self.credentials.as_str().into());
        put("cache", &"no-store".into());
        put("signal", &controller.signal());
        Ok(init.into())
    }

    /// The request headers as a plain object (lower-case names), validated by `Headers`: an
    /// injected fetch can spread it (`{ ...init.headers, Authorization }`), which would drop a
    /// `Headers`' entries.
    fn headers_object(
        &self,
        extra: &[(String, String)],
        last_event_id: &str,
    ) -> Result<JsValue, String> {
        let headers = web_sys::Headers::new().map_err(|e| error_message(&e))?;
        let set = |name: &str, value: &str| {
            headers.set(name, value).map_err(|e| {
                let mut message = "invalid header \"".to_owned();
                message.push_str(name);
                message.push_str("\": ");
                message.push_str(&error_message(&e));
                message
            })
        };
        set("Accept", "text/event-stream")?;
        if !last_event_id.is_empty() {
            set("Last-Event-ID", &byte_string(last_event_id))?;
        }
        for (name, value) in extra {
            set(name, value)?;
        }
        object_from_entries(&headers)
            .map(JsValue::from)
            .map_err(|e| error_message(&e))
    }
}

/// Whether `headers` has a header called `name` (any case).
pub(super) fn sets_header(headers: &[(String, String)], name: &str) -> bool {
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

/// Fails a URL whose scheme cannot carry an event stream, as the browser's `EventSource` does
/// at once (readyState CLOSED): anything but `http:` and `https:`, and the local `data:` and
/// `blob:` URLs, which Chromium's `EventSource` loads too.
pub(super) fn check_scheme(url: &str) -> Result<(), String> {
    let scheme = web_sys::Url::new(url)
        .map(|url| url.protocol().to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(scheme.as_str(), "http:" | "https:" | "data:" | "blob:") {
        return Ok(());
    }
    let mut message = "the URL's scheme is \"".to_owned();
    message.push_str(&scheme);
    message.push_str(
        "\": an event stream is loaded only from http: or https: (or data: and blob:) URLs",
    );
    Err(message)
}

/// Whether `url` is of another origin than this page or worker (never in Node.js, which has
/// no location and no CORS).
pub(super) fn is_cross_origin(url: &str) -> bool {
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
pub(super) fn cors_hint(sent_last_event_id: bool) -> &'static str {
    if sent_last_event_id {
        " (a cross-origin request that failed before any response: likely refused by CORS or \
its preflight; see the browser console; the Last-Event-ID header makes the request need a \
preflight, which a server that does not allow that header refuses: set lastEventIdParam to \
send the ID in the query instead)"
    } else {
        " (a cross-origin request that failed before any response: likely refused by CORS or \
its preflight; see the browser console)"
    }
}

/// Checks a method and body as `fetch` would, before any request: a clear error now instead of
/// a failure on every attempt.
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
    let is_stream = Reflect::get(body, &"getReader".into()).is_ok_and(|f| f.is_function());
    if is_stream {
        return Err(Error::InvalidOptions(
            "a ReadableStream body cannot be sent again on reconnect: pass a string, Blob, \
             ArrayBuffer, FormData or URLSearchParams"
                .into(),
        ));
    }
    Ok(())
}
