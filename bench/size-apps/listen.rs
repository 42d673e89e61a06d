//! The listeners every app registers: typed `open`, `message`, a named event and `error`, each
//! doing a little work with what it gets. Kept alive for the page's lifetime, as an app that
//! stores them in its state would.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use eventsource_wasm::{EventSource, Listener};

static OPENS: AtomicU32 = AtomicU32::new(0);
static BYTES: AtomicU32 = AtomicU32::new(0);
static FATAL: AtomicU32 = AtomicU32::new(0);

pub fn listen(source: EventSource) {
    let listeners: [Listener; 4] = [
        source.on_open(|| {
            OPENS.fetch_add(1, Relaxed);
        }),
        source.on_message(|event| {
            BYTES.fetch_add(event.data().len() as u32, Relaxed);
        }),
        source.on("tick", |event| {
            BYTES.fetch_add(event.data().len() as u32, Relaxed);
        }),
        source.on_error(|error| {
            if error.is_fatal() {
                FATAL.fetch_add(1, Relaxed);
            }
        }),
    ];
    // The app keeps its source and listeners as long as the page lives.
    std::mem::forget((source, listeners));
}
