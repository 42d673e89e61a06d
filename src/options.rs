//! Options for creating a source.

/// Options for [`EventSource::with_options`](crate::EventSource::with_options).
///
/// Every field has a default; build it with the chaining setters.
///
/// ```
/// use eventsource_wasm::EventSourceOptions;
///
/// let options = EventSourceOptions::new().with_credentials(true);
/// assert!(options.credentials());
/// assert!(!EventSourceOptions::default().credentials());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventSourceOptions {
    /// Send cookies and HTTP authentication with cross-origin requests
    /// (the browser's `withCredentials`). Default: `false`.
    pub with_credentials: bool,
}

impl EventSourceOptions {
    /// The defaults: no credentials on cross-origin requests.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`with_credentials`](Self::with_credentials).
    pub fn with_credentials(mut self, value: bool) -> Self {
        self.with_credentials = value;
        self
    }

    /// Whether credentials are sent on cross-origin requests.
    pub fn credentials(&self) -> bool {
        self.with_credentials
    }
}
