//! (c) + policy-driven reconnection: backoff with jitter and a retry limit (every feature but
//! `js`).

use std::time::Duration;
use eventsource_wasm::{EventSource, EventSourceOptions, RetryPolicy, Transport};
use wasm_bindgen::prelude::*;

#[path = "../../listen.rs"]
mod listen;

#[wasm_bindgen(start)]
fn start() {
    let options = EventSourceOptions::new()
        .transport(Transport::Fetch)
        .header("Authorization", "Bearer token")
        .retry(RetryPolicy::new().max_delay(Duration::from_millis(10_000)).max_retries(Some(20)));
    if let Ok(source) = EventSource::with_options("/events", &options) {
        listen::listen(source);
    }
}
