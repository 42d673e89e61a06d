//! (c) + policy-driven reconnection: backoff with jitter and a retry limit (every feature but
//! `js`).

use eventsource_wasm::{EventSource, EventSourceOptions, RetryPolicy, Transport};
use std::time::Duration;
use wasm_bindgen::prelude::*;

#[path = "../../listen.rs"]
mod listen;

#[wasm_bindgen(start)]
fn start() {
    let options = EventSourceOptions::new()
        .transport(Transport::Fetch)
        .header("Authorization", "Bearer token")
        .retry(
            RetryPolicy::new()
                .max_delay(Duration::from_secs(10))
                .max_retries(Some(20)),
        );
    if let Ok(source) = EventSource::with_options("/events", &options) {
        listen::listen(source);
    }
}
