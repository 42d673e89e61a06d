//! # eventsource-wasm
//!
//! A typed, leak-free wrapper around the browser's
//! [`EventSource`](https://developer.mozilla.org/docs/Web/API/EventSource) (Server-Sent Events)
//! for Rust front-ends (Leptos, Yew, Dioxus, plain `wasm-bindgen`) and, through its npm package,
//! for JavaScript.
//!
//! - Listeners return [`Listener`] handles that remove themselves when dropped.
//! - Errors say whether the browser is reconnecting or has given up ([`ErrorEvent::is_fatal`]).
//! - Custom named events ([`EventSource::on`]) and JSON payloads ([`EventSource::on_json`]).
//! - `futures::Stream`s of events ([`EventSource::events`], [`EventSource::subscribe`]).
//! - No panics on network or caller input: bad URLs and bad payloads are typed errors.
//!
//! ```no_run
//! use eventsource_wasm::{is_supported, EventSource};
//!
//! #[derive(serde::Deserialize)]
//! struct Tick {
//!     n: u64,
//! }
//!
//! # fn main() -> Result<(), eventsource_wasm::Error> {
//! if !is_supported() {
//!     return Ok(());
//! }
//! let source = EventSource::new("/events")?;
//! let _open = source.on_open(|| println!("connected"));
//! let _ticks = source.on_json::<Tick>("tick", |tick, _event| match tick {
//!     Ok(tick) => println!("tick {}", tick.n),
//!     Err(error) => eprintln!("{error}"),
//! });
//! let _errors = source.on_error(|error| {
//!     if error.is_fatal() {
//!         eprintln!("{}", error.message());
//!     }
//! });
//! // Keep `source` and the listener handles alive as long as you want events,
//! // e.g. in your component's state. Dropping them cleans up.
//! # Ok(()) }
//! ```
//!
//! The [`parser`] module is a spec-exact, incremental Server-Sent Events parser with no web
//! dependencies.
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | (none) | always | the typed wrapper of the browser's `EventSource`: typed listeners, streams, JSON, the status of a failed connection, `last_event_id` resume, the [`parser`] |
//! | `fetch` | on | the fetch transport (`Transport::Fetch`): headers, any method, a body, credentials modes, an injected `fetch`, an idle timeout, the HTTP status and body of errors; also where there is no `EventSource` (Node.js, service workers) |
//! | `reconnect` | on | policy-driven reconnection on either transport (`RetryPolicy`: backoff, jitter, limits, `Retry-After`, `ShouldRetry`), `reconnecting` events, and the lifecycle triggers (network back online, hidden page, back/forward cache) |
//! | `shared` | off | `EventSourceOptions::shared`: one connection for all same-origin tabs, windows and workers that open the same source (Web Locks elect the one that holds it, a `BroadcastChannel` carries its events), handed over on close without losing or repeating an event. Implies `fetch`. |
//! | `js` | off | the JavaScript API (the `EventSource` class, `createParser`, `isSupported`) and every `#[wasm_bindgen]` export; without it the crate exports nothing to JS. Implies `fetch`, `reconnect` and `shared`. The npm package is built with it. |
//!
//! | `talc` | off | [talc](https://crates.io/crates/talc) as the global allocator on wasm32 (smaller than Rust's default, as fast in our benchmarks); for the npm package's build. A Rust app keeps its own allocator. |
//!
//! `default-features = false` gives the smallest build: the bare wrapper, which behaves exactly
//! like the browser's `EventSource` (it reconnects by itself, after its reconnection time).
#![deny(missing_docs, missing_debug_implementations)]

mod batch;
#[cfg(feature = "fetch")]
mod bytes;
mod close_on;
mod dispatch;
mod error;
mod event;
#[cfg(feature = "fetch")]
mod event_strings;
mod intrinsics;
#[cfg(feature = "js")]
mod js;
mod listener;
mod oneshot;
mod open;
mod options;
pub mod parser;
mod ready_state;
#[cfg(feature = "fetch")]
mod response;
#[cfg(feature = "fetch")]
mod resume;
mod retry;
#[cfg(feature = "shared")]
mod sharing;
mod source;
mod state;
mod stream;
mod supervisor;
mod support;
mod timer;
mod transport;
mod url;

pub use batch::Every;
pub use error::{DecodeError, Error};
#[cfg(feature = "reconnect")]
pub use event::ReconnectEvent;
pub use event::{ErrorEvent, MessageEvent, SourceEvent};
pub use listener::Listener;
#[cfg(feature = "reconnect")]
pub use options::ShouldRetry;
pub use options::{CloseOn, EventSourceOptions, Transport};
#[cfg(feature = "fetch")]
pub use options::{Credentials, HeaderProvider, HeadersFuture, Resume};
pub use ready_state::ReadyState;
pub use retry::{parse_retry_after, parse_retry_after_at, Failure, MAX_TIMER_MS};
#[cfg(feature = "reconnect")]
pub use retry::{Backoff, Decision, RetryPolicy};
#[cfg(feature = "shared")]
pub use sharing::Sharing;
pub use source::EventSource;
pub use state::{LastError, SourceState};
pub use stream::{EventStream, MessageStream, StateStream};
pub use support::is_supported;

// ---- The npm package's global allocator (feature `talc`; scripts/build.sh turns it on). ----
// A Rust app leaves the feature off and keeps its own allocator. talc instead of Rust's default
// (dlmalloc): the npm wasm is 2.5 KB smaller gzipped, and bench/ab.mjs measured no speed cost.
#[cfg(all(
    feature = "talc",
    target_family = "wasm",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
