//! How a shared source shares its connection (feature `shared`).

/// What [`EventSource::sharing`](crate::EventSource::sharing) says of a source opened with
/// [`shared`](crate::EventSourceOptions::shared).
///
/// ```no_run
/// use eventsource_wasm::{EventSource, EventSourceOptions};
///
/// let source = EventSource::with_options("/events", &EventSourceOptions::new().shared(true))?;
/// match source.sharing() {
///     Some(sharing) if sharing.leader => println!("this tab holds the stream for {}", sharing.contexts),
///     Some(sharing) => println!("another tab holds the stream ({} share it)", sharing.contexts),
///     None => println!("a private connection (no Web Locks or BroadcastChannel here)"),
/// }
/// # Ok::<(), eventsource_wasm::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sharing {
    /// This context holds the connection.
    pub leader: bool,
    /// How many contexts (tabs, windows, workers) share it, as the leader last counted them
    /// (once a second); 1 until then.
    pub contexts: u32,
}
