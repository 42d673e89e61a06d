//! Row 5a's floor: what `bare` does (listen.rs: `open`, `message`, a named event and `error`,
//! each doing the same little work), hand-written on web-sys's `EventSource` with one closure
//! per type and no wrapper crate. What any Rust wrapper of the browser's EventSource adds to an
//! app is at least this; row 5a reports the crate's growth next to it.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use wasm_bindgen::prelude::*;
use web_sys::{Event, EventSource, MessageEvent};

static OPENS: AtomicU32 = AtomicU32::new(0);
static BYTES: AtomicU32 = AtomicU32::new(0);
static FATAL: AtomicU32 = AtomicU32::new(0);

fn count_data(event: MessageEvent) {
    let data = event.data().as_string().unwrap_or_default();
    BYTES.fetch_add(data.len() as u32, Relaxed);
}

#[wasm_bindgen(start)]
fn start() {
    let Ok(source) = EventSource::new("/events") else {
        return;
    };
    let open = Closure::<dyn FnMut(Event)>::new(|_: Event| {
        OPENS.fetch_add(1, Relaxed);
    });
    let message = Closure::<dyn FnMut(MessageEvent)>::new(count_data);
    let tick = Closure::<dyn FnMut(MessageEvent)>::new(count_data);
    let watched = source.clone();
    let error = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
        if watched.ready_state() == EventSource::CLOSED {
            FATAL.fetch_add(1, Relaxed);
        }
    });
    let callbacks = [
        ("open", open.as_ref()),
        ("message", message.as_ref()),
        ("tick", tick.as_ref()),
        ("error", error.as_ref()),
    ];
    for (event_type, callback) in callbacks {
        let _ = source.add_event_listener_with_callback(event_type, callback.unchecked_ref());
    }
    // The app keeps its source and closures as long as the page lives.
    std::mem::forget((source, open, message, tick, error));
}
