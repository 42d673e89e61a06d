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
    /// This is a deliberate, bounded leak: the callback, and everything it captured, is kept
    /// until the source closes (by [`close`](crate::EventSource::close), by the browser giving
    /// up, by a [`close_on`](crate::EventSourceOptions::close_on) event, or when the last
    /// [`EventSource`](crate::EventSource) clone and stream are dropped), not before.
    ///
    /// So a forgotten callback must not own the source: a clone of the [`EventSource`] captured
    /// in it is an owner, the last owner is then never dropped, and the connection stays open
    /// after the rest of the app let go of it. Capture a
    /// [`WeakEventSource`](crate::WeakEventSource) from
    /// [`downgrade`](crate::EventSource::downgrade) instead.
    ///
    /// [`EventSource`]: crate::EventSource
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events")?;
    /// let weak = source.downgrade();
    /// source
    ///     .on_error(move |error| {
    ///         if error.status() == Some(401) {
    ///             weak.close();
    ///         }
    ///     })
    ///     .forget();
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
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
