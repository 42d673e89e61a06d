//! A Leptos 0.8 (client-side rendering) component that opens an `EventSource` when it is
//! created, shows the companion server's `tick` events through a signal, and closes the
//! connection when it is unmounted.
use eventsource_wasm::EventSource;
use leptos::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Tick {
    n: u64,
}

/// How many ticks the list keeps.
const KEEP: usize = 10;

/// The latest ticks from `url`, and the error that ended the stream, if any.
#[component]
fn Ticks(#[prop(into)] url: String) -> impl IntoView {
    let (ticks, set_ticks) = signal(Vec::<u64>::new());
    let (error, set_error) = signal(None::<String>);

    match EventSource::new(&url) {
        Ok(source) => {
            let listeners = [
                source.on_json::<Tick>("tick", move |tick, _event| match tick {
                    Ok(tick) => set_ticks.update(|ticks| {
                        ticks.push(tick.n);
                        let excess = ticks.len().saturating_sub(KEEP);
                        ticks.drain(..excess);
                    }),
                    Err(bad) => set_error.set(Some(format!("bad tick: {bad}"))),
                }),
                source.on_error(move |event| {
                    if event.is_fatal() {
                        set_error.set(Some(format!("gave up: {}", event.message())));
                    } // else the browser is reconnecting
                }),
            ];
            // Leptos 0.8's `on_cleanup` wants `Send + Sync`, which the source and its listener
            // handles are on wasm32. On unmount: close the connection (which also ends any
            // stream of it, so a task consuming one returns) and drop the handles.
            on_cleanup(move || {
                source.close();
                drop(listeners);
            });
        }
        Err(bad) => set_error.set(Some(bad.to_string())),
    }

    view! {
        <ul id="events">
            <For each=move || ticks.get() key=|n| *n let:n>
                <li>"tick " {n}</li>
            </For>
        </ul>
        {move || error.get().map(|message| view! { <p class="error">{message}</p> })}
    }
}

/// Unchecking the box unmounts `<Ticks>`, whose `on_cleanup` closes the connection.
#[component]
fn App() -> impl IntoView {
    let (listening, set_listening) = signal(true);
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
        <Show when=move || listening.get()>
            <Ticks url="/events" />
        </Show>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
