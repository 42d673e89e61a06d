//! Row 11a's floor: the same app written straight on web-sys's `EventSource`, with no wrapper
//! crate: one closure per event type, `tick` data decoded with serde_json, the readyState read
//! on `open` and `error`, the source closed and the closures dropped when the component
//! unmounts. What any Rust EventSource wrapper adds to this app is its cost over this one.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{Event, EventSource, MessageEvent};

#[path = "../../app.rs"]
mod app;

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Connecting,
    Open,
    Closed,
}

fn state(source: &EventSource) -> State {
    match source.ready_state() {
        EventSource::OPEN => State::Open,
        EventSource::CLOSED => State::Closed,
        _ => State::Connecting,
    }
}

fn main() {
    leptos::mount::mount_to_body(|| {
        let ticks = RwSignal::new(Vec::<app::Tick>::new());
        let last_error = RwSignal::new(None::<String>);
        let ready = RwSignal::new(State::Connecting);
        match EventSource::new("/events") {
            Ok(source) => {
                let on_tick =
                    Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                        let data = event.data().as_string().unwrap_or_default();
                        match serde_json::from_str::<app::Tick>(&data) {
                            Ok(tick) => {
                                ticks.try_update(|ticks| {
                                    let excess = (ticks.len() + 1).saturating_sub(10);
                                    ticks.drain(..excess.min(ticks.len()));
                                    ticks.push(tick);
                                });
                            }
                            Err(error) => {
                                last_error.try_set(Some(error.to_string()));
                            }
                        }
                    });
                let watched = source.clone();
                let on_state = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                    ready.try_set(state(&watched));
                    if event.type_() == "error" {
                        last_error.try_set(Some("connection error".into()));
                    }
                });
                let callbacks = [
                    ("tick", on_tick.as_ref()),
                    ("open", on_state.as_ref()),
                    ("error", on_state.as_ref()),
                ];
                for (event_type, callback) in callbacks {
                    let _ = source
                        .add_event_listener_with_callback(event_type, callback.unchecked_ref());
                }
                let kept = StoredValue::new_local(Some((source, on_tick, on_state)));
                on_cleanup(move || {
                    if let Some((source, _, _)) = kept.try_update_value(Option::take).flatten() {
                        source.close();
                    }
                });
            }
            Err(_) => {
                ready.set(State::Closed);
                last_error.set(Some("bad URL".into()));
            }
        }
        let status = Signal::derive(move || format!("{:?}", ready.get()));
        app::page(status, ticks.into(), last_error.into())
    });
}
