//! A Leptos 0.8 (client-side rendering) app on `eventsource-wasm-leptos`'s `use_event_source`:
//! the companion server's `tick` events in a bounded list, the readyState and the last error as
//! signals, a reactive URL (the buttons switch channels: the hook closes the old connection and
//! opens one to the new URL), and the connection closed when the component unmounts (the
//! checkbox).
use eventsource_wasm_leptos::{use_event_source, ReadyState, UseEventSourceOptions};
use leptos::prelude::*;
use serde::Deserialize;

#[derive(Clone, Deserialize)]
struct Tick {
    n: u64,
}

/// How many ticks the list keeps.
const KEEP: usize = 10;

/// The latest ticks from `url`, the readyStates seen, and the last error.
#[component]
fn Ticks(#[prop(into)] url: Signal<String>) -> impl IntoView {
    let ticks = use_event_source::<Tick>(
        url,
        UseEventSourceOptions::new()
            .event_type("tick")
            .capacity(KEEP),
    );
    // Every readyState the signal took, in order ("connecting → open").
    let (seen, set_seen) = signal(Vec::<&'static str>::new());
    Effect::new(move |_| {
        let state = match ticks.ready_state.get() {
            ReadyState::Connecting => "connecting",
            ReadyState::Open => "open",
            _ => "closed",
        };
        set_seen.update(|seen| {
            if seen.last() != Some(&state) {
                seen.push(state);
            }
        });
    });

    view! {
        <p id="state">{move || seen.get().join(" → ")}</p>
        <ul id="events">
            <For each=move || ticks.events.get() key=|tick| tick.n let:tick>
                <li>"tick " {tick.n}</li>
            </For>
        </ul>
        {move || {
            ticks.last_error.get().map(|error| view! { <p id="error" class="error">{error.to_string()}</p> })
        }}
    }
}

/// Unchecking the box unmounts `<Ticks>`: the hook closes its connection.
#[component]
fn App() -> impl IntoView {
    let (listening, set_listening) = signal(true);
    let (url, set_url) = signal("/events".to_string());
    view! {
        <h1>"Ticks"</h1>
        <label>
            <input
                type="checkbox"
                id="listening"
                prop:checked=listening
                on:change=move |event| set_listening.set(event_target_checked(&event))
            />
            " listening"
        </label>
        <button id="demo" on:click=move |_| set_url.set("/events".into())>"demo channel"</button>
        <button id="other" on:click=move |_| set_url.set("/events?channel=other".into())>
            "other channel"
        </button>
        <button id="bad" on:click=move |_| set_url.set("http://[::1".into())>"a bad URL"</button>
        <Show when=move || listening.get()>
            <Ticks url=url />
        </Show>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
