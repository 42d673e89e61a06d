//! The connection state of a source.

/// The state of an [`EventSource`](crate::EventSource), mirroring the browser's `readyState`.
///
/// ```
/// use eventsource_wasm::ReadyState;
///
/// assert_eq!(ReadyState::from_raw(1), ReadyState::Open);
/// // Values the browser never returns map to `Closed` instead of panicking.
/// assert_eq!(ReadyState::from_raw(42), ReadyState::Closed);
/// assert_eq!(ReadyState::Connecting.as_raw(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// `0`: connecting, or reconnecting after an interruption.
    Connecting,
    /// `1`: connected; events are being delivered.
    Open,
    /// `2`: closed for good, by [`close`](crate::EventSource::close) or because the browser gave up.
    Closed,
}

impl ReadyState {
    /// Converts the browser's numeric `readyState`. Unknown values become [`ReadyState::Closed`].
    pub fn from_raw(value: u16) -> Self {
        match value {
            0 => ReadyState::Connecting,
            1 => ReadyState::Open,
            _ => ReadyState::Closed,
        }
    }

    /// The numeric value used by the browser and the JS API (`0`, `1` or `2`).
    pub fn as_raw(self) -> u16 {
        match self {
            ReadyState::Connecting => 0,
            ReadyState::Open => 1,
            ReadyState::Closed => 2,
        }
    }
}
