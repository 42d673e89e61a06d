//! `WeakEventSource`: a handle that does not keep the connection open.

use std::fmt;
use std::rc::{Rc, Weak};

use crate::source::Owner;
use crate::EventSource;

/// A handle on an [`EventSource`] that does not keep its connection open, from
/// [`EventSource::downgrade`].
///
/// A callback registered on a source lives as long as the source (or its [`Listener`] handle),
/// so a callback that owns a clone of the source keeps itself and the connection alive: after
/// [`Listener::forget`], for good. Give such callbacks a weak handle instead: it closes or
/// upgrades the source while someone else still owns it, and does nothing once the last owner
/// is gone.
///
/// [`Listener`]: crate::Listener
/// [`Listener::forget`]: crate::Listener::forget
///
/// ```no_run
/// use eventsource_wasm::EventSource;
///
/// let source = EventSource::new("/events")?;
/// let weak = source.downgrade();
/// // Not `let me = source.clone()`: that would keep the connection open after `source` is dropped.
/// source.on("done", move |_| weak.close()).forget();
/// # Ok::<(), eventsource_wasm::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct WeakEventSource {
    owner: Weak<Owner>,
}

impl EventSource {
    /// A [`WeakEventSource`]: a handle for callbacks that act on this source without keeping
    /// its connection open.
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events")?;
    /// let weak = source.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(source);
    /// assert!(weak.upgrade().is_none(), "the last owner is gone: the connection closed");
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
    pub fn downgrade(&self) -> WeakEventSource {
        WeakEventSource {
            owner: Rc::downgrade(self.owner()),
        }
    }
}

impl WeakEventSource {
    /// A handle that refers to no source (as [`Default`]): `upgrade` gives `None`.
    ///
    /// ```
    /// assert!(eventsource_wasm::WeakEventSource::new().upgrade().is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The source, while an [`EventSource`] or a stream of it still owns the connection.
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events")?;
    /// let weak = source.downgrade();
    /// if let Some(source) = weak.upgrade() {
    ///     println!("{:?}", source.ready_state());
    /// }
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
    pub fn upgrade(&self) -> Option<EventSource> {
        self.owner.upgrade().map(EventSource::from_owner)
    }

    /// Closes the source, as [`EventSource::close`], if it is still owned; otherwise its
    /// connection is already closed and this does nothing.
    ///
    /// ```no_run
    /// # let source = eventsource_wasm::EventSource::new("/events")?;
    /// let weak = source.downgrade();
    /// weak.close();
    /// assert_eq!(source.ready_state(), eventsource_wasm::ReadyState::Closed);
    /// # Ok::<(), eventsource_wasm::Error>(())
    /// ```
    pub fn close(&self) {
        if let Some(source) = self.upgrade() {
            source.close();
        }
    }
}

impl fmt::Debug for WeakEventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakEventSource")
            .field("alive", &(self.owner.strong_count() > 0))
            .finish()
    }
}
