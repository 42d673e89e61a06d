//! What the parser yields: events, the `retry` field, comments and errors.

/// A dispatched event: what the browser's `EventSource` would deliver as a `MessageEvent`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// The event type: the last `event` field's value, or `"message"` if there was none (or it
    /// was empty).
    pub event_type: String,
    /// The event data: the values of the event's `data` fields joined with U+000A LINE FEED.
    pub data: String,
    /// The last event ID string at the time of the event: the value of the most recent valid
    /// `id` field of the stream, in this event or an earlier one (or the ID given to
    /// [`Parser::set_last_event_id`](super::Parser::set_last_event_id)).
    pub last_event_id: String,
}

/// An error in the event stream. Parsing continues after an error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// An event was larger than the parser's maximum event size (see
    /// [`Parser::with_max_event_size`](super::Parser::with_max_event_size)). The event was discarded and the stream was skipped up
    /// to the next blank line, where parsing resumed.
    EventTooLarge {
        /// The maximum event size, in bytes.
        limit: usize,
    },
}

impl ParseError {
    /// The message that `Display` writes, assembled without `core::fmt` (which `format!` or a
    /// derived `Display` would pull into the wasm).
    pub(crate) fn message(&self) -> String {
        match self {
            ParseError::EventTooLarge { limit } => [
                "an event in the stream exceeded the maximum event size of ",
                &limit.to_string(),
                " bytes and was dropped",
            ]
            .concat(),
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ParseError {}

/// Something the parser found in the stream, passed to the sink of [`Parser::feed`](super::Parser::feed).
///
/// Items arrive in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item<'a> {
    /// A blank line dispatched an event.
    Event(Event),
    /// A `retry` field set the reconnection time, in milliseconds. Values too large for a
    /// `u64` saturate to [`u64::MAX`].
    Retry(u64),
    /// A comment line (one starting with `:`). The text is the rest of the line after the colon,
    /// with one leading U+0020 SPACE removed if present (the same rule as for field values), so
    /// `: keep-alive` gives `"keep-alive"`. The standard ignores comments; they are reported
    /// for keep-alive monitoring and debugging.
    Comment(&'a str),
    /// The stream broke a limit of the parser. Parsing continues.
    Error(ParseError),
}
