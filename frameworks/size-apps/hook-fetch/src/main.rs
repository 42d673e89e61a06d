//! Row 11b: + the `fetch` feature: a header, `Transport::Fetch`.

use eventsource_wasm::{EventSourceOptions, Transport};
use eventsource_wasm_leptos::UseEventSourceOptions;

#[path = "../../hook.rs"]
mod hook;

fn main() {
    hook::run(|| {
        UseEventSourceOptions::new().source(
            EventSourceOptions::new()
                .transport(Transport::Fetch)
                .header("Authorization", "Bearer token"),
        )
    });
}
