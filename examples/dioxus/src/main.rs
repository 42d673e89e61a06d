//! A Dioxus 0.7 (web) component whose `tick` events are read as a `Stream` in a task scoped to
//! the component (`use_future`): when the component unmounts, Dioxus drops the task, which
//! drops the stream, the connection's last owner, and the connection closes. No cleanup hook is
//! needed; keeping another clone of the source elsewhere would keep it open.
use dioxus::prelude::*;
use eventsource_wasm::EventSource;
use futures::StreamExt;
use serde::Deserialize;

#[derive(Deserialize)]
struct Tick {
    n: u64,
}

/// How many ticks the list keeps.
const KEEP: usize = 10;

/// The latest ticks from `url`, and the error that ended the stream, if any.
#[component]
fn Ticks(url: String) -> Element {
    let mut ticks = use_signal(Vec::<u64>::new);
    let mut error = use_signal(|| None::<String>);
    use_future(move || {
        let url = url.clone();
        async move {
            // The stream owns the connection; the source handle is not kept.
            let mut stream = match EventSource::new(&url) {
                Ok(source) => source.subscribe_json::<Tick>("tick"),
                Err(bad) => return error.set(Some(bad.to_string())),
            };
            while let Some(tick) = stream.next().await {
                match tick {
                    Ok(tick) => ticks.with_mut(|ticks| {
                        ticks.push(tick.n);
                        let excess = ticks.len().saturating_sub(KEEP);
                        ticks.drain(..excess);
                    }),
                    Err(bad) => error.set(Some(format!("bad tick: {bad}"))),
                }
            }
            error.set(Some("the server closed the stream".into()));
        }
    });
    rsx! {
        ul { id: "events",
            for n in ticks() {
                li { key: "{n}", "tick {n}" }
            }
        }
        if let Some(message) = error() {
            p { class: "error", "{message}" }
        }
    }
}

/// Unchecking the box unmounts `Ticks`, and with it its task and the connection.
#[component]
fn App() -> Element {
    let mut listening = use_signal(|| true);
    rsx! {
        h1 { "Ticks" }
        label {
            input {
                r#type: "checkbox",
                id: "listening",
                checked: listening(),
                onchange: move |event| listening.set(event.checked()),
            }
            " listening"
        }
        if listening() {
            Ticks { url: "/events" }
        }
    }
}

fn main() {
    dioxus::launch(App);
}
