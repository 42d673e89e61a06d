//! The state of a source as one value, for UI frameworks: what [`EventSource::state`] returns
//! and [`EventSource::state_changes`] yields.
//!
//! [`EventSource::state`]: crate::EventSource::state
//! [`EventSource::state_changes`]: crate::EventSource::state_changes

use crate::ReadyState;

/// A source's state at one moment.
///
/// ```no_run
/// # let source = eventsource_wasm::EventSource::new("/events")?;
/// let state = source.state();
/// if let Some(error) = &state.last_error {
///     println!("attempt {} after: {}", state.attempt, error.message);
/// }
/// # Ok::<(), eventsource_wasm::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SourceState {
    /// CONNECTING, OPEN or CLOSED.
    pub ready_state: ReadyState,
    /// Consecutive failed attempts since the connection was last open (0 while it is open).
    pub attempt: u32,
    /// When the next attempt starts (milliseconds since the epoch, as `Date.now()`), while a
    /// retry wait is pending.
    pub next_retry_at: Option<f64>,
    /// The latest connection error, until the connection opens again.
    pub last_error: Option<LastError>,
    /// The last event ID (what a reconnect resumes from).
    pub last_event_id: String,
    /// Server events received since the source was created.
    pub events_received: u64,
}

/// The latest connection error of a source (see [`SourceState`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LastError {
    /// `"connection"` or `"truncated"`, as the `error` event's `kind`.
    pub kind: &'static str,
    /// The error event's message.
    pub message: String,
    /// The HTTP status of a failed response, if known.
    pub status: Option<u16>,
    /// Whether the source gave up.
    pub fatal: bool,
}
