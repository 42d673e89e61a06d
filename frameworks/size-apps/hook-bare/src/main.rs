//! Row 11a: the app on `use_event_source` with the browser's `EventSource` only.

#[path = "../../hook.rs"]
mod hook;

fn main() {
    hook::run(eventsource_wasm_leptos::UseEventSourceOptions::new);
}
