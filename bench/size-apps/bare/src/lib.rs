//! (a) The bare typed wrapper: the browser's EventSource and typed listeners.

use eventsource_wasm::EventSource;
use wasm_bindgen::prelude::*;

#[path = "../../listen.rs"]
mod listen;

#[wasm_bindgen(start)]
fn start() {
    if let Ok(source) = EventSource::new("/events") {
        listen::listen(source);
    }
}
