//! Listener handles.

use std::fmt;
use std::rc::Weak;

use crate::supervisor::Supervisor;

/// A registered listener. Dropping it removes the listener.
///
/// Returned by every `on_*` method of [`EventSource`](crate::EventSource). A handle does not
/// keep the connection open: when the last `EventSource` (or stream) is dropped the connection
/// closes and the listener simply never runs again.
///
/// ```no_run
/// # use eventsource_wasm::EventSource;
/// let source = EventSource::new("/events")?;
/// let listener = source.on_message(|event| println!("{}", event.data()));
/// // ... later: stop listening.
/// drop(listener);
/// # Ok::<(), eventsource_wasm::Error>(())
/// ```
#[must_use = "the listener is removed as soon as this handle is dropped"]
pub struct Listener {
    shared: Weak<Supervisor>,
    id: u64,
}

impl Listener {
    pub(crate) fn new(shared: Weak<Supervisor>, id: u64) -> Self {
        Self { shared, id }
    }

    /// Keeps the listener registered for as long as the source lives, without a handle.
    ///
    /// This is a deliberate, bounded leak: the callback is freed when the source closes
    /// (by [`close`](crate::EventSource::close), by the browser giving up, or when the last
    /// owner is dropped), not before.
    pub fn forget(mut self) {
        // Dropping a handle with no source removes nothing.
        self.shared = Weak::new();
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.remove(self.id);
        }
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener").field("id", &self.id).finish()
    }
}
