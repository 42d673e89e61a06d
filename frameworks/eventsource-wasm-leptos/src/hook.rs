//! `use_event_source` and what it returns.

use std::fmt;

use eventsource_wasm::ReadyState;
use leptos::prelude::*;
use serde::de::DeserializeOwned;

use crate::{UseEventSourceError, UseEventSourceOptions};

/// What [`use_event_source`] returns: signals, and methods to close or reopen the connection.
/// `Copy`: move it into as many closures as needed.
///
/// ```no_run
/// # use eventsource_wasm_leptos::{use_event_source, UseEventSourceOptions};
/// # use leptos::prelude::*;
/// # #[component]
/// # fn Prices() -> impl IntoView {
/// let prices = use_event_source::<f64>("/prices", UseEventSourceOptions::new().capacity(0));
/// view! {
///     <p>{move || prices.latest.get().map(|price| format!("{price:.2}"))}</p>
///     <p>{move || prices.last_error.get().map(|error| error.to_string())}</p>
///     <button on:click=move |_| prices.close()>"stop"</button>
/// }
/// # }
/// ```
pub struct UseEventSource<T: Send + Sync + 'static> {
    /// CONNECTING, OPEN or CLOSED: CONNECTING until the first connection opens (also on the
    /// server, where nothing connects), CLOSED after [`close`](Self::close), a URL the browser
    /// rejects, or when the source gives up.
    pub ready_state: Signal<ReadyState>,
    /// The last error (`None` until one happens); kept after the connection reopens, replaced
    /// by the next one. See [`UseEventSourceError`].
    pub last_error: Signal<Option<UseEventSourceError>>,
    /// The latest events decoded, oldest first, at most
    /// [`capacity`](UseEventSourceOptions::capacity) of them; kept across reconnections and URL
    /// changes.
    pub events: Signal<Vec<T>>,
    /// The latest event decoded.
    pub latest: Signal<Option<T>>,
    inner: Inner<T>,
}

impl<T: Send + Sync> Clone for UseEventSource<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync> Copy for UseEventSource<T> {}

impl<T: Send + Sync> fmt::Debug for UseEventSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UseEventSource")
            .field("ready_state", &self.ready_state.try_get_untracked())
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> UseEventSource<T> {
    /// Closes the connection (readyState CLOSED) and frees its listeners. A later URL change
    /// does not reopen it; [`open`](Self::open) does.
    ///
    /// ```no_run
    /// # use eventsource_wasm_leptos::{use_event_source, UseEventSourceOptions};
    /// let ticks = use_event_source::<u64>("/events", UseEventSourceOptions::new());
    /// ticks.close();
    /// ```
    pub fn close(&self) {
        self.inner.stopped.try_set_value(true);
        self.inner.disconnect();
        self.inner.ready_state.try_set(ReadyState::Closed);
    }

    /// Opens a new connection to the current URL (closing the one open, if any), also after
    /// [`close`](Self::close) or when the source gave up.
    ///
    /// ```no_run
    /// # use eventsource_wasm_leptos::{use_event_source, UseEventSourceOptions};
    /// let ticks = use_event_source::<u64>("/events", UseEventSourceOptions::new());
    /// ticks.open();
    /// ```
    pub fn open(&self) {
        self.inner.stopped.try_set_value(false);
        if let Some(url) = self.inner.url.try_get_untracked() {
            self.inner.connect(&url);
        }
    }

    /// The open source, if any (for what the signals do not cover: `last_event_id()`,
    /// `state()`, more listeners, `as_raw()`).
    ///
    /// ```no_run
    /// # use eventsource_wasm_leptos::{use_event_source, UseEventSourceOptions};
    /// let ticks = use_event_source::<u64>("/events", UseEventSourceOptions::new());
    /// if let Some(source) = ticks.source() {
    ///     println!("resumes from {}", source.last_event_id());
    /// }
    /// ```
    pub fn source(&self) -> Option<eventsource_wasm::EventSource> {
        self.inner
            .connection
            .try_with_value(|connection| connection.as_ref().map(|c| c.source.clone()))
            .flatten()
    }
}

/// Opens a Server-Sent Events connection to `url` for the current component and returns
/// signals of its state and of the events of [`event_type`](UseEventSourceOptions::event_type)s
/// (default `message`), each decoded from JSON into `T`.
///
/// - `url` is a signal (or a plain string): when it changes, the old connection closes and one
///   opens to the new URL (set to the same URL, it keeps the connection).
/// - When the component unmounts (its owner is cleaned up) the connection closes.
/// - A URL the browser rejects does not panic: the error is in
///   [`last_error`](UseEventSource::last_error).
/// - Nothing connects outside the browser (server-side rendering).
///
/// ```no_run
/// use eventsource_wasm_leptos::{use_event_source, EventSourceOptions, UseEventSourceOptions};
/// use leptos::prelude::*;
///
/// #[derive(Clone, serde::Deserialize)]
/// struct Message {
///     text: String,
/// }
///
/// #[component]
/// fn Chat(#[prop(into)] room: Signal<String>) -> impl IntoView {
///     let url = Signal::derive(move || format!("/rooms/{}/events", room.get()));
///     let chat = use_event_source::<Message>(
///         url,
///         UseEventSourceOptions::new()
///             .source(EventSourceOptions::new().with_credentials(true))
///             .capacity(200),
///     );
///     view! {
///         <ul>
///             {move || chat.events.get().into_iter().map(|m| view! { <li>{m.text}</li> }).collect_view()}
///         </ul>
///     }
/// }
/// ```
pub fn use_event_source<T>(
    url: impl Into<Signal<String>>,
    options: UseEventSourceOptions,
) -> UseEventSource<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let url = url.into();
    let inner = Inner {
        url,
        ready_state: RwSignal::new(ReadyState::Connecting),
        last_error: RwSignal::new(None),
        events: RwSignal::new(Vec::new()),
        latest: RwSignal::new(None),
        options: StoredValue::new_local(options),
        connection: StoredValue::new_local(None),
        stopped: StoredValue::new(false),
    };
    // Effects run only in the browser (Leptos' `csr`/`hydrate`): on the server nothing opens.
    Effect::new(move |previous: Option<String>| {
        let url = url.get();
        // A URL signal set to the URL it had keeps the connection.
        let same = previous.as_deref() == Some(url.as_str()) && inner.is_connected();
        if !same && !inner.stopped.try_get_value().unwrap_or(true) {
            inner.connect(&url);
        }
        url
    });
    on_cleanup(move || inner.disconnect());
    UseEventSource {
        ready_state: inner.ready_state.into(),
        last_error: inner.last_error.into(),
        events: inner.events.into(),
        latest: inner.latest.into(),
        inner,
    }
}

/// The open source and the listeners that feed the signals; dropping it closes nothing by
/// itself ([`Inner::disconnect`] closes the source first).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Connection {
    source: eventsource_wasm::EventSource,
    _listeners: Vec<eventsource_wasm::Listener>,
}

/// The hook's state: `Copy` handles into Leptos' arena.
struct Inner<T: Send + Sync + 'static> {
    url: Signal<String>,
    ready_state: RwSignal<ReadyState>,
    last_error: RwSignal<Option<UseEventSourceError>>,
    events: RwSignal<Vec<T>>,
    latest: RwSignal<Option<T>>,
    options: StoredValue<UseEventSourceOptions, LocalStorage>,
    connection: StoredValue<Option<Connection>, LocalStorage>,
    /// Closed by the user: a new URL does not reopen.
    stopped: StoredValue<bool>,
}

impl<T: Send + Sync> Clone for Inner<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync> Copy for Inner<T> {}

impl<T: Send + Sync> Inner<T> {
    /// Whether a source is open (or reconnecting).
    fn is_connected(&self) -> bool {
        self.connection
            .try_with_value(|connection| {
                connection
                    .as_ref()
                    .is_some_and(|c| c.source.ready_state() != ReadyState::Closed)
            })
            .unwrap_or(false)
    }

    /// Closes the connection, if one is open, and frees its listeners.
    fn disconnect(&self) {
        let connection = self.connection.try_update_value(Option::take).flatten();
        if let Some(connection) = connection {
            connection.source.close();
        }
    }
}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> Inner<T> {
    /// Replaces the connection with one to `url`.
    fn connect(self, url: &str) {
        self.disconnect();
        let opened = self
            .options
            .try_with_value(|options| self.open(url, options));
        match opened {
            Some(Ok(connection)) => {
                self.ready_state.try_set(connection.source.ready_state());
                self.connection.try_set_value(Some(connection));
            }
            Some(Err(error)) => {
                self.ready_state.try_set(ReadyState::Closed);
                self.last_error
                    .try_set(Some(UseEventSourceError::Open(error)));
            }
            None => {} // the owner is gone
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn open(
        self,
        url: &str,
        options: &UseEventSourceOptions,
    ) -> Result<Connection, eventsource_wasm::Error> {
        let source = eventsource_wasm::EventSource::with_options(url, &options.source)?;
        let mut listeners = Vec::with_capacity(options.event_types.len().max(1) + 1);
        listeners.push(source.on_state_change(move |state| {
            self.ready_state.try_maybe_update(|ready| {
                let changed = *ready != state.ready_state;
                *ready = state.ready_state;
                (changed, ())
            });
            if let Some(error) = &state.last_error {
                self.last_error.try_maybe_update(|last| {
                    let new = Some(UseEventSourceError::Connection(error.clone()));
                    let changed = *last != new;
                    *last = new;
                    (changed, ())
                });
            }
        }));
        let capacity = options.capacity;
        for event_type in options.event_types() {
            let on_event =
                move |decoded: Result<T, _>, _: &eventsource_wasm::MessageEvent| match decoded {
                    Ok(value) => {
                        if capacity > 0 {
                            self.events.try_update(|events| {
                                let excess = (events.len() + 1).saturating_sub(capacity);
                                events.drain(..excess.min(events.len()));
                                events.push(value.clone());
                            });
                        }
                        self.latest.try_set(Some(value));
                    }
                    Err(error) => {
                        self.last_error
                            .try_set(Some(UseEventSourceError::Decode(error)));
                    }
                };
            listeners.push(source.on_json::<T>(event_type.to_owned(), on_event));
        }
        Ok(Connection {
            source,
            _listeners: listeners,
        })
    }

    /// Outside the browser nothing connects.
    #[cfg(not(target_arch = "wasm32"))]
    fn open(
        self,
        _url: &str,
        _options: &UseEventSourceOptions,
    ) -> Result<Connection, eventsource_wasm::Error> {
        Err(eventsource_wasm::Error::Unsupported)
    }
}
