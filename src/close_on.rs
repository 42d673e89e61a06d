//! `close_on`: the event after which a stream is complete.

use std::borrow::Cow;
use std::fmt;
use std::rc::Rc;

/// When a stream is complete: after delivering the event that matches, the source closes
/// without reconnecting and dispatches a `close` event (see
/// [`EventSourceOptions::close_on`](crate::EventSourceOptions::close_on)).
///
/// ```
/// use eventsource_wasm::CloseOn;
///
/// let by_type = CloseOn::event_type("done");
/// let by_data = CloseOn::when(|event| event.data() == "[DONE]");
/// # drop((by_type, by_data));
/// ```
#[derive(Clone)]
pub enum CloseOn {
    /// The first event of this type completes the stream.
    Type(Cow<'static, str>),
    /// The first event for which this returns `true` completes the stream.
    When(Rc<dyn Fn(&crate::MessageEvent) -> bool>),
}

impl CloseOn {
    /// The first event of `event_type` completes the stream.
    pub fn event_type(event_type: impl Into<Cow<'static, str>>) -> Self {
        CloseOn::Type(event_type.into())
    }

    /// The first event for which `predicate` returns `true` completes the stream. With the
    /// browser's `EventSource` it sees `message` events and the types that have listeners.
    pub fn when(predicate: impl Fn(&crate::MessageEvent) -> bool + 'static) -> Self {
        CloseOn::When(Rc::new(predicate))
    }
}

impl fmt::Debug for CloseOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseOn::Type(event_type) => f.debug_tuple("Type").field(event_type).finish(),
            CloseOn::When(_) => f.write_str("When(..)"),
        }
    }
}
