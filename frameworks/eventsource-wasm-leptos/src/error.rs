//! What [`last_error`](crate::UseEventSource::last_error) holds.

use std::fmt;

use eventsource_wasm::{DecodeError, Error, LastError};

/// The last thing that went wrong with a [`use_event_source`](crate::use_event_source)
/// connection.
///
/// ```
/// use eventsource_wasm_leptos::UseEventSourceError;
///
/// let error = UseEventSourceError::Open(eventsource_wasm::Error::Unsupported);
/// assert!(error.to_string().contains("not available"));
/// assert!(error.is_fatal());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UseEventSourceError {
    /// The source could not be created: a URL the browser rejects, an invalid option, no
    /// `EventSource` in this environment. Nothing connects until the URL changes or
    /// [`open`](crate::UseEventSource::open) is called.
    Open(Error),
    /// The connection failed: while readyState is CONNECTING the source is reconnecting
    /// (`fatal` is false); CLOSED means it gave up.
    Connection(LastError),
    /// An event's data was not JSON shaped like the hook's type; the event was skipped.
    Decode(DecodeError),
}

impl UseEventSourceError {
    /// Whether the connection is over (until the URL changes or `open()` is called).
    ///
    /// ```
    /// # use eventsource_wasm_leptos::UseEventSourceError;
    /// let bad = eventsource_wasm::DecodeError::Syntax { message: "oops".into(), data: "x".into() };
    /// assert!(!UseEventSourceError::Decode(bad).is_fatal());
    /// ```
    pub fn is_fatal(&self) -> bool {
        match self {
            Self::Open(_) => true,
            Self::Connection(error) => error.fatal,
            Self::Decode(_) => false,
        }
    }
}

impl fmt::Display for UseEventSourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open(error) => error.fmt(f),
            Self::Connection(error) => f.write_str(&error.message),
            Self::Decode(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for UseEventSourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Open(error) => Some(error),
            Self::Connection(_) => None,
            Self::Decode(error) => Some(error),
        }
    }
}
