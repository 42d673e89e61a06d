//! `resume`: how a stream continues once its first response has started (fetch transport).

use std::fmt;
use std::rc::Rc;

/// How attempts after the first reconnect once a response has started (fetch transport): the
/// method and URL of the request that continues the stream, sent with `Last-Event-ID` (see
/// [`EventSourceOptions::resume`](crate::EventSourceOptions::resume)). A stream started by a `POST` (a prompt, a job) continues
/// with a `GET` instead of running the `POST` again.
///
/// ```
/// use eventsource_wasm::Resume;
///
/// let fixed = Resume::get("/chat/42");
/// let computed = Resume::get_with(|last_event_id| {
///     let reply = last_event_id.split(':').next().unwrap_or_default();
///     format!("/chat/{reply}")
/// });
/// # drop((fixed, computed));
/// ```
#[derive(Clone)]
pub struct Resume {
    pub(crate) method: String,
    pub(crate) url: ResumeUrl,
}

/// A resume URL made from the last event ID (or an error message).
type ResumeFn = Rc<dyn Fn(&str) -> Result<String, String>>;

#[derive(Clone)]
pub(crate) enum ResumeUrl {
    Fixed(String),
    Computed(ResumeFn),
}

impl Resume {
    /// Continue with `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Resume {
            method: "GET".to_owned(),
            url: ResumeUrl::Fixed(url.into()),
        }
    }

    /// Continue with `GET` of the URL that `url` makes from the last event ID.
    pub fn get_with(url: impl Fn(&str) -> String + 'static) -> Self {
        Resume {
            method: "GET".to_owned(),
            url: ResumeUrl::Computed(Rc::new(move |id: &str| Ok(url(id)))),
        }
    }

    /// A URL function that may fail (its error message ends the source, as a request that
    /// cannot be made).
    #[cfg(feature = "js")]
    pub(crate) fn try_with(
        method: String,
        url: impl Fn(&str) -> Result<String, String> + 'static,
    ) -> Self {
        Resume {
            method,
            url: ResumeUrl::Computed(Rc::new(url)),
        }
    }

    /// Use `method` instead of `GET` (it must be idempotent to be sent more than once).
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = method.into();
        self
    }

    /// The URL for a continuation after `last_event_id`.
    pub(crate) fn url(&self, last_event_id: &str) -> Result<String, String> {
        match &self.url {
            ResumeUrl::Fixed(url) => Ok(url.clone()),
            ResumeUrl::Computed(url) => url(last_event_id),
        }
    }
}

impl fmt::Debug for Resume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Resume");
        out.field("method", &self.method);
        match &self.url {
            ResumeUrl::Fixed(url) => out.field("url", url),
            ResumeUrl::Computed(_) => out.field("url", &"fn(last_event_id)"),
        };
        out.finish()
    }
}
