//! The companion server's `tick` events (`{"n":1,"time":"…"}`) decoded with serde and shown as
//! `tick N` items: through a callback in `<ul id="events">`, through a Stream in
//! `<ul id="stream">`. Built for `wasm32-unknown-unknown`, then `wasm-bindgen --target web`.
use std::cell::RefCell;

use eventsource_wasm::{EventSource, Listener};
use futures::StreamExt;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[derive(Deserialize)]
struct Tick {
    n: u64,
}

/// What must live while the page listens: the source and the listener handles (dropping a
/// handle removes its listener). Dropping the `App` closes the connection.
struct App {
    source: EventSource,
    _listeners: Vec<Listener>,
}

impl Drop for App {
    fn drop(&mut self) {
        // A stream owns a clone of the source: closing it (not just dropping ours) ends the
        // stream, and the task that reads it.
        self.source.close();
    }
}

thread_local! {
    // Where the app lives between calls from JS (wasm32 has one thread; a framework keeps it
    // in a component instead). `stop()` takes it back: no leak, no `forget()`.
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
}

/// Runs when the module is initialised (`await init()` in index.html).
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsError> {
    let source =
        EventSource::new("/events").inspect_err(|error| show("#events", &error.to_string()))?;
    let listeners = vec![
        source.on_json::<Tick>("tick", |tick, _event| match tick {
            Ok(tick) => show("#events", &format!("tick {}", tick.n)),
            Err(error) => show("#events", &format!("bad tick: {error}")), // keeps the raw data
        }),
        source.on_error(|error| {
            if error.is_fatal() {
                show("#events", &format!("gave up: {}", error.message()));
            } // else the browser is reconnecting
        }),
    ];

    // The same events as a `futures::Stream`. It needs an async context: a task on the page's
    // event loop (`spawn_local`), which ends when the stream does (when the source closes).
    let mut ticks = source.subscribe("tick");
    wasm_bindgen_futures::spawn_local(async move {
        while let Some(event) = ticks.next().await {
            // A stream yields the raw event: decode its data yourself.
            match serde_json::from_str::<Tick>(&event.data()) {
                Ok(tick) => show("#stream", &format!("tick {}", tick.n)),
                Err(error) => show("#stream", &format!("bad tick: {error}")),
            }
        }
    });

    APP.set(Some(App {
        source,
        _listeners: listeners,
    }));
    Ok(())
}

/// Closes the connection and frees the listeners (the page's Stop button).
#[wasm_bindgen]
pub fn stop() {
    drop(APP.take());
}

/// Appends `<li>text</li>` to the list that `selector` names.
fn show(selector: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    if let (Ok(Some(list)), Ok(item)) = (
        document.query_selector(selector),
        document.create_element("li"),
    ) {
        item.set_text_content(Some(text));
        let _ = list.append_child(&item);
    }
}
