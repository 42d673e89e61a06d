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
//! // Keep `source` and the listener handles as long as you want events, e.g. in your
//! // component's state, and call `source.close()` when done: see "Cleaning up in a
//! // component" for what else keeps a connection open.
//! # Ok(()) }
//! ```
//!
//! ## Cleaning up in a component
//!
//! Each [`EventSource`] clone and each stream ([`events`](EventSource::events),
//! [`subscribe`](EventSource::subscribe), [`subscribe_json`](EventSource::subscribe_json),
//! [`state_changes`](EventSource::state_changes)) *owns* the connection; [`Listener`] handles
//! and [`WeakEventSource`]s do not. The connection closes when [`close`](EventSource::close)
//! is called on any of them, when the source gives up, or when the last owner is dropped.
//! Dropping a listener handle only removes that listener.
//!
//! So a stream consumed in a spawned task (`spawn_local`) keeps the connection open for as long
//! as the task runs, after the component that started it is gone, unless:
//! - the component's cleanup calls [`close`](EventSource::close): every stream then yields
//!   what it still has (an [`EventStream`] ends with [`SourceEvent::Closed`]) and ends, and
//!   the task's `while let Some(..)` loop returns; or
//! - the task belongs to the component and is dropped with it (and the stream with it).
//!
//! A callback that needs its source (to close it on some event) must capture
//! [`EventSource::downgrade`]'s weak handle, not a clone: a clone in a callback owns the
//! connection from inside it (see [`Listener::forget`]).
//!
//! Leptos 0.8 (`on_cleanup` wants `Send + Sync`, which the handles are on wasm32):
//!
//! ```ignore
//! let source = EventSource::new("/events")?;
//! let mut ticks = source.subscribe_json::<Tick>("tick");
//! leptos::task::spawn_local(async move {
//!     while let Some(tick) = ticks.next().await {
//!         // ... set a signal
//!     }
//! });
//! let errors = source.on_error(move |error| { /* ... */ });
//! on_cleanup(move || {
//!     drop(errors);
//!     source.close(); // ends `ticks`, so the task returns
//! });
//! ```
//!
//! Yew 0.21+ (the effect's destructor):
//!
//! ```ignore
//! use_effect_with((), move |_| {
//!     let source = EventSource::new("/events").ok();
//!     if let Some(source) = &source {
//!         let mut ticks = source.subscribe_json::<Tick>("tick");
//!         wasm_bindgen_futures::spawn_local(async move {
//!             while let Some(tick) = ticks.next().await { /* ... */ }
//!         });
//!     }
//!     move || {
//!         if let Some(source) = source {
//!             source.close();
//!         }
//!     }
//! });
//! ```
//!
//! Dioxus 0.6+ (`use_future`'s task is the component's: dropped on unmount with its stream;
//! `use_drop` closes the source for everything else):
//!
//! ```ignore
//! let source = use_hook(|| EventSource::new("/events").ok());
//! use_future({
//!     let source = source.clone();
//!     move || {
//!         let ticks = source.as_ref().map(|source| source.subscribe_json::<Tick>("tick"));
//!         async move {
//!             let Some(mut ticks) = ticks else { return };
//!             while let Some(tick) = ticks.next().await { /* ... */ }
//!         }
//!     }
//! });
//! use_drop(move || {
//!     if let Some(source) = source {
//!         source.close();
//!     }
//! });
//! ```
//!
//! `tests/browser/lifetime.rs` checks each of these claims against the server's count of open
//! connections.
//!
//! ## `Send`, `Sync` and UI frameworks
//!
//! On `wasm32` without the `atomics` target feature (the usual build: one thread, and no memory
//! shared with workers) every handle — [`EventSource`], [`Listener`], the streams, the options —
//! is `Send + Sync`, as wasm-bindgen's `JsValue` is there. So they go straight into what
//! frameworks require to be `Send + Sync` (Leptos 0.8's `on_cleanup`, `RwSignal`,
//! `StoredValue`) with no `SendWrapper`. Natively (the pure core's tests) and with `atomics` they
//! are `!Send`, as their `Rc`s require.
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
//! | `js` | off | the JavaScript API (the `EventSource` class, `createParser`, `isSupported`) and every `#[wasm_bindgen]` export; without it the crate exports nothing to JS. Implies `fetch` and `reconnect`. The npm package is built with it. |
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
mod json_stream;
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
mod source;
mod state;
mod stream;
mod supervisor;
mod support;
mod thread_safety;
mod timer;
mod transport;
mod url;
mod weak;

pub use batch::Every;
pub use error::{DecodeError, Error};
#[cfg(feature = "reconnect")]
pub use event::ReconnectEvent;
pub use event::{ErrorEvent, MessageEvent, SourceEvent};
pub use json_stream::JsonStream;
pub use listener::Listener;
#[cfg(feature = "reconnect")]
pub use options::ShouldRetry;
pub use options::{CloseOn, EventSourceOptions, Transport};
#[cfg(feature = "fetch")]
pub use options::{CredentialsMode, HeaderProvider, HeadersFuture, Resume};
pub use ready_state::ReadyState;
pub use retry::{parse_retry_after, parse_retry_after_at, Failure, MAX_DELAY};
#[cfg(feature = "reconnect")]
pub use retry::{Backoff, Decision, RetryPolicy};
pub use source::EventSource;
pub use state::{LastError, SourceState};
pub use stream::{EventStream, MessageStream, StateStream};
pub use support::is_supported;
pub use weak::WeakEventSource;

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
