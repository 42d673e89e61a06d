//! Row 11c: + the `reconnect` feature: a `RetryPolicy` (every feature but `js`).

use std::time::Duration;

use eventsource_wasm::{EventSourceOptions, RetryPolicy, Transport};
use eventsource_wasm_leptos::UseEventSourceOptions;

#[path = "../../hook.rs"]
mod hook;

fn main() {
    hook::run(|| {
        UseEventSourceOptions::new().source(
            EventSourceOptions::new()
                .transport(Transport::Fetch)
                .header("Authorization", "Bearer token")
                .retry(
                    RetryPolicy::new()
                        .max_delay(Duration::from_secs(10))
                        .max_retries(Some(20)),
                ),
        )
    });
}
