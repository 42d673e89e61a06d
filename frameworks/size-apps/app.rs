// The Leptos app every row-10 size app renders (included with `#[path]`): the latest ticks in a
// list, a status line, and the last error; only where they come from differs.

use leptos::prelude::*;

/// The companion server's `tick` event.
#[derive(Clone, serde::Deserialize)]
pub struct Tick {
    pub n: u64,
}

/// The page: `status` (a readyState), the `ticks` and the last `error`.
pub fn page(
    status: Signal<String>,
    ticks: Signal<Vec<Tick>>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <p id="state">{move || status.get()}</p>
        <ul id="events">
            <For each=move || ticks.get() key=|tick| tick.n let:tick>
                <li>"tick " {tick.n}</li>
            </For>
        </ul>
        {move || error.get().map(|message| view! { <p class="error">{message}</p> })}
    }
}
