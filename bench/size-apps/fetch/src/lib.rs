//! (b) + the fetch transport: a request header, which the browser's EventSource cannot send.

use eventsource_wasm::{EventSource, EventSourceOptions, Transport};
use wasm_bindgen::prelude::*;

#[path = "../../listen.rs"]
mod listen;

#[wasm_bindgen(start)]
fn start() {
    let options = EventSourceOptions::new()
        .transport(Transport::Fetch)
        .header("Authorization", "Bearer token");
    if let Ok(source) = EventSource::with_options("/events", &options) {
        listen::listen(source);
    }
}
