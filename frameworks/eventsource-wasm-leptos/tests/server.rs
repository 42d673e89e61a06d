//! Outside the browser (server-side rendering, native tests) the hook connects nothing and does
//! not panic: its signals keep their initial values, `close()` and `open()` are safe, and
//! cleaning up the owner is too.

use eventsource_wasm_leptos::{
    use_event_source, ReadyState, UseEventSourceError, UseEventSourceOptions,
};
use leptos::prelude::*;

#[test]
fn on_the_server_nothing_connects() {
    let owner = Owner::new();
    owner.set();
    let ticks = use_event_source::<u64>("/events", UseEventSourceOptions::new().capacity(3));
    assert_eq!(ticks.ready_state.get_untracked(), ReadyState::Connecting);
    assert_eq!(ticks.last_error.get_untracked(), None);
    assert!(ticks.events.get_untracked().is_empty());
    assert_eq!(ticks.latest.get_untracked(), None);
    assert!(ticks.source().is_none());

    ticks.close();
    assert_eq!(ticks.ready_state.get_untracked(), ReadyState::Closed);
    // Asked to open anyway: the error says there is no EventSource here.
    ticks.open();
    assert_eq!(ticks.ready_state.get_untracked(), ReadyState::Closed);
    assert_eq!(
        ticks.last_error.get_untracked(),
        Some(UseEventSourceError::Open(
            eventsource_wasm_leptos::eventsource_wasm::Error::Unsupported
        ))
    );
    owner.cleanup();
    // After the owner is gone, the handle's methods do nothing.
    ticks.close();
    ticks.open();
}

#[test]
fn a_reactive_url() {
    let owner = Owner::new();
    owner.set();
    let (url, set_url) = signal("/a".to_string());
    let ticks = use_event_source::<String>(url, UseEventSourceOptions::new());
    set_url.set("/b".into());
    assert_eq!(ticks.ready_state.get_untracked(), ReadyState::Connecting);
    owner.cleanup();
}
