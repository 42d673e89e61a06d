//! The hook's options.

use std::borrow::Cow;

use eventsource_wasm::EventSourceOptions;

/// Options of [`use_event_source`](crate::use_event_source): the connection's own
/// ([`EventSourceOptions`]: transport, headers, retry policy, resume, …) and what the hook keeps.
///
/// ```
/// use eventsource_wasm_leptos::{EventSourceOptions, UseEventSourceOptions};
///
/// let options = UseEventSourceOptions::new()
///     .source(EventSourceOptions::new().with_credentials(true))
///     .event_type("tick")
///     .event_type("price")
///     .capacity(100);
/// assert_eq!(options.event_types(), ["tick", "price"]);
/// assert_eq!(options.get_capacity(), 100);
/// ```
#[derive(Debug, Clone)]
pub struct UseEventSourceOptions {
    pub(crate) source: EventSourceOptions,
    pub(crate) event_types: Vec<Cow<'static, str>>,
    pub(crate) capacity: usize,
}

/// How many events [`events`](crate::UseEventSource::events) keeps by default.
const DEFAULT_CAPACITY: usize = 50;

impl Default for UseEventSourceOptions {
    fn default() -> Self {
        Self {
            source: EventSourceOptions::default(),
            event_types: Vec::new(),
            capacity: DEFAULT_CAPACITY,
        }
    }
}

impl UseEventSourceOptions {
    /// The defaults: the browser's `EventSource` behaviour, `message` events, the latest 50 kept.
    ///
    /// ```
    /// let options = eventsource_wasm_leptos::UseEventSourceOptions::new();
    /// assert_eq!(options.event_types(), ["message"]);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection's options (default: [`EventSourceOptions::default`]), used for every
    /// connection the hook opens: every option of eventsource-wasm, such as the fetch transport
    /// (feature `fetch`), a retry policy (feature `reconnect`) and `resume`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use eventsource_wasm_leptos::eventsource_wasm::{Resume, RetryPolicy, Transport};
    /// use eventsource_wasm_leptos::{EventSourceOptions, UseEventSourceOptions};
    ///
    /// let options = UseEventSourceOptions::new().source(
    ///     EventSourceOptions::new()
    ///         .transport(Transport::Fetch)
    ///         .method("POST")
    ///         .header("Authorization", "Bearer token")
    ///         .body(r#"{"prompt":"hi"}"#)
    ///         .resume(Resume::get("/chat/42"))
    ///         .retry(RetryPolicy::new().max_delay(Duration::from_secs(10)).max_retries(Some(20))),
    /// );
    /// ```
    pub fn source(mut self, options: EventSourceOptions) -> Self {
        self.source = options;
        self
    }

    /// Adds an event type to decode into the hook's type (default: `message` alone, when none is
    /// added). Call it once per type.
    ///
    /// ```
    /// # use eventsource_wasm_leptos::UseEventSourceOptions;
    /// let options = UseEventSourceOptions::new().event_type("tick");
    /// assert_eq!(options.event_types(), ["tick"]);
    /// ```
    pub fn event_type(mut self, event_type: impl Into<Cow<'static, str>>) -> Self {
        self.event_types.push(event_type.into());
        self
    }

    /// How many of the latest events [`events`](crate::UseEventSource::events) keeps (default
    /// 50); older ones are dropped. 0 keeps none (use [`latest`](crate::UseEventSource::latest)).
    ///
    /// ```
    /// # use eventsource_wasm_leptos::UseEventSourceOptions;
    /// assert_eq!(UseEventSourceOptions::new().capacity(0).get_capacity(), 0);
    /// ```
    pub fn capacity(mut self, events: usize) -> Self {
        self.capacity = events;
        self
    }

    /// The event types listened to.
    ///
    /// ```
    /// # use eventsource_wasm_leptos::UseEventSourceOptions;
    /// assert_eq!(UseEventSourceOptions::new().event_types(), ["message"]);
    /// ```
    pub fn event_types(&self) -> Vec<&str> {
        if self.event_types.is_empty() {
            return vec!["message"];
        }
        self.event_types.iter().map(|t| t.as_ref()).collect()
    }

    /// The capacity of the event list.
    ///
    /// ```
    /// # use eventsource_wasm_leptos::UseEventSourceOptions;
    /// assert_eq!(UseEventSourceOptions::new().get_capacity(), 50);
    /// ```
    pub fn get_capacity(&self) -> usize {
        self.capacity
    }
}
