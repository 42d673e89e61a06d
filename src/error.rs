//! Errors returned by this crate.

use std::fmt;

/// Why an [`EventSource`](crate::EventSource) could not be created or used.
///
/// On the JavaScript side each variant becomes a thrown JS error with the same message
/// (`SyntaxError` for [`Error::InvalidUrl`], `TypeError` for [`Error::InvalidOptions`]).
///
/// ```
/// use eventsource_wasm::Error;
///
/// let err = Error::InvalidUrl { url: "http://[::1".into(), message: "invalid IPv6".into() };
/// assert!(err.to_string().contains("http://[::1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The transport the source would use is missing here: no `EventSource` constructor
    /// (Node.js, a worklet, an old browser) with `Transport::EventSource` or without the
    /// `fetch` feature (with it, `Transport::Auto` picks fetch there), or no `fetch` for the
    /// fetch transport. Check [`is_supported`](crate::is_supported) first.
    Unsupported,
    /// The browser rejected the URL. `message` is the browser's own explanation.
    InvalidUrl {
        /// The URL as it was given.
        url: String,
        /// The browser's message.
        message: String,
    },
    /// An option had a value the source cannot use. The message says which and what to pass.
    InvalidOptions(String),
    /// The browser threw while creating the source for a reason other than the URL.
    Browser(String),
}

impl Error {
    /// The message that `Display` writes, assembled without `core::fmt` (which `format!` or a
    /// derived `Display` would pull into every wasm that reports an error).
    pub(crate) fn message(&self) -> String {
        match self {
            Error::Unsupported => "EventSource is not available in this environment; call \
                                   isSupported() first and use a browser window or a dedicated \
                                   worker"
                .to_owned(),
            Error::InvalidUrl { url, message } => [
                "the URL \"",
                url,
                "\" is not a valid EventSource URL: ",
                message,
            ]
            .concat(),
            Error::InvalidOptions(message) => ["invalid EventSource option: ", message].concat(),
            Error::Browser(message) => {
                ["the browser refused to create the EventSource: ", message].concat()
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

/// A JSON payload that could not be decoded into the listener's type
/// (see [`EventSource::on_json`](crate::EventSource::on_json)).
///
/// The raw `data` is kept so the application can log or recover it.
///
/// ```
/// use eventsource_wasm::DecodeError;
///
/// let err = DecodeError::Syntax { message: "Unexpected token".into(), data: "oops".into() };
/// assert_eq!(err.data(), "oops");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The data is not valid JSON (the message is `JSON.parse`'s).
    #[error("event data is not valid JSON: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
        /// The event's raw data.
        data: String,
    },
    /// The data is valid JSON but does not have the shape of the target type.
    #[error("event data does not match the expected type: {message}")]
    Shape {
        /// The deserializer's message.
        message: String,
        /// The event's raw data.
        data: String,
    },
}

impl DecodeError {
    /// The raw event data that failed to decode.
    pub fn data(&self) -> &str {
        match self {
            DecodeError::Syntax { data, .. } | DecodeError::Shape { data, .. } => data,
        }
    }
}
