// The app on eventsource-wasm-leptos's hook, shared by hook-bare, hook-fetch and hook-reconnect
// (each passes its options).

use eventsource_wasm_leptos::{use_event_source, UseEventSourceOptions};
use leptos::prelude::*;

#[path = "app.rs"]
mod app;

pub fn run(options: impl Fn() -> UseEventSourceOptions + Send + Sync + 'static) {
    leptos::mount::mount_to_body(move || {
        let ticks =
            use_event_source::<app::Tick>("/events", options().event_type("tick").capacity(10));
        let status = Signal::derive(move || format!("{:?}", ticks.ready_state.get()));
        let error = Signal::derive(move || ticks.last_error.get().map(|error| error.to_string()));
        app::page(status, ticks.events, error)
    });
}
