//! A [Leptos](https://leptos.dev) 0.8 hook for [`eventsource_wasm`]: a Server-Sent Events
//! connection as signals.
//!
//! [`use_event_source`] opens a connection to a URL signal and returns signals for its
//! readyState, the last error, and the typed events (a bounded list and the latest one), decoded
//! from JSON with serde. A new URL closes the old connection and opens one to the new URL; the
//! connection closes when the component unmounts. Every option of eventsource-wasm (the fetch
//! transport, a retry policy, `resume`, …) passes through [`UseEventSourceOptions::source`].
//!
//! - **No panic on input**: a URL the browser rejects puts [`UseEventSourceError::Open`] in
//!   [`last_error`](UseEventSource::last_error) and leaves readyState CLOSED; data that is not
//!   the expected JSON puts [`UseEventSourceError::Decode`] there.
//! - **No leak per reconnect**: eventsource-wasm reconnects inside one source; a new URL drops
//!   the old source and its listeners.
//! - **SSR-safe**: on the server (any target but wasm32, or without Leptos' `csr`/`hydrate`
//!   effects) nothing connects; the signals keep their initial values.
//!
//! ```no_run
//! use eventsource_wasm_leptos::{use_event_source, UseEventSourceOptions};
//! use leptos::prelude::*;
//!
//! #[derive(Clone, serde::Deserialize)]
//! struct Tick {
//!     n: u64,
//! }
//!
//! #[component]
//! fn Ticks() -> impl IntoView {
//!     let (url, set_url) = signal("/events".to_string());
//!     let ticks = use_event_source::<Tick>(url, UseEventSourceOptions::new().event_type("tick").capacity(10));
//!     view! {
//!         <p>{move || format!("{:?}", ticks.ready_state.get())}</p>
//!         <ul>{move || ticks.events.get().into_iter().map(|t| view! { <li>{t.n}</li> }).collect_view()}</ul>
//!         <button on:click=move |_| set_url.set("/events?other".into())>"switch"</button>
//!     }
//! }
//! ```
#![deny(missing_docs, missing_debug_implementations)]

mod error;
mod hook;
mod options;

pub use error::UseEventSourceError;
/// The crate the hook is built on, for its options and types (`RetryPolicy`, `Transport`, …)
/// at the version the hook uses.
///
/// ```
/// use eventsource_wasm_leptos::eventsource_wasm::Transport;
/// let _ = Transport::Auto;
/// ```
pub use eventsource_wasm;
pub use eventsource_wasm::{EventSource, EventSourceOptions, ReadyState};
pub use hook::{use_event_source, UseEventSource};
pub use options::UseEventSourceOptions;
