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
//! | `js` | off | the JavaScript API (the `EventSource` class, `createParser`, `isSupported`) and every `#[wasm_bindgen]` export; without it the crate exports nothing to JS. The npm package is built with it. |
#![deny(missing_docs, missing_debug_implementations)]

mod error;
mod event;
mod fetch;
mod intrinsics;
#[cfg(feature = "js")]
mod js;
mod listener;
mod options;
pub mod parser;
mod probe;
mod ready_state;
mod registry;
mod response;
mod retry;
mod source;
mod stream;
mod support;

pub use error::{DecodeError, Error};
pub use event::{ErrorEvent, MessageEvent, ReconnectEvent, SourceEvent};
pub use listener::Listener;
pub use options::{
    Credentials, EventSourceOptions, HeaderProvider, HeadersFuture, ShouldRetry, Transport,
};
pub use ready_state::ReadyState;
pub use retry::{
    parse_retry_after, parse_retry_after_at, Backoff, Decision, Failure, RetryPolicy, MAX_TIMER_MS,
};
pub use source::EventSource;
pub use stream::{EventStream, MessageStream};
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
