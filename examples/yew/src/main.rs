//! A Yew 0.23 (client-side rendering) component that opens an `EventSource` in an effect,
//! consumes its `tick` events as a `Stream` in a task, and closes the connection in the effect's
//! cleanup: when the component unmounts or its `url` changes. Closing the source also ends the
//! stream, so the task ends with it (a stream alone would keep the connection open).
use std::rc::Rc;

use eventsource_wasm::EventSource;
use futures::StreamExt;
use serde::Deserialize;
use yew::platform::spawn_local;
use yew::prelude::*;

#[derive(Deserialize)]
struct Tick {
    n: u64,
}

/// How many ticks the list keeps.
const KEEP: usize = 10;

/// The latest ticks and the last error.
#[derive(Default, PartialEq)]
struct Ticks {
    latest: Vec<u64>,
    error: Option<String>,
}

enum Action {
    Tick(u64),
    Error(String),
}

impl Reducible for Ticks {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut latest = self.latest.clone();
        let mut error = self.error.clone();
        match action {
            Action::Tick(n) => {
                latest.push(n);
                let excess = latest.len().saturating_sub(KEEP);
                latest.drain(..excess);
            }
            Action::Error(message) => error = Some(message),
        }
        Rc::new(Ticks { latest, error })
    }
}

#[derive(Properties, PartialEq)]
struct TicksProps {
    url: AttrValue,
}

#[function_component]
fn TickList(props: &TicksProps) -> Html {
    let ticks = use_reducer(Ticks::default);
    {
        let dispatch = ticks.dispatcher();
        use_effect_with(props.url.clone(), move |url| {
            let source = match EventSource::new(url) {
                Ok(source) => Some(source),
                Err(error) => {
                    dispatch.dispatch(Action::Error(error.to_string()));
                    None
                }
            };
            if let Some(source) = &source {
                let mut stream = source.subscribe_json::<Tick>("tick");
                let errors = source.on_error({
                    let dispatch = dispatch.clone();
                    move |event| {
                        if event.is_fatal() {
                            dispatch.dispatch(Action::Error(event.message()));
                        }
                    }
                });
                spawn_local(async move {
                    let _errors = errors; // removed when the stream ends
                    while let Some(tick) = stream.next().await {
                        match tick {
                            Ok(tick) => dispatch.dispatch(Action::Tick(tick.n)),
                            Err(bad) => {
                                dispatch.dispatch(Action::Error(format!("bad tick: {bad}")))
                            }
                        }
                    }
                });
            }
            // The cleanup: on unmount or a new URL, close the connection; the stream ends and
            // so does the task.
            move || {
                if let Some(source) = source {
                    source.close();
                }
            }
        });
    }
    html! {
        <>
            <ul id="events">
                { for ticks.latest.iter().map(|n| html! { <li key={*n}>{ format!("tick {n}") }</li> }) }
            </ul>
            if let Some(error) = &ticks.error {
                <p class="error">{ error }</p>
            }
        </>
    }
}

/// Unchecking the box unmounts `<TickList>`, whose effect cleanup closes the connection.
#[function_component]
fn App() -> Html {
    let listening = use_state(|| true);
    let toggle = {
        let listening = listening.clone();
        Callback::from(move |_: Event| listening.set(!*listening))
    };
    html! {
        <>
            <h1>{ "Ticks" }</h1>
            <label>
                <input type="checkbox" id="listening" checked={*listening} onchange={toggle} />
                { " listening" }
            </label>
            if *listening {
                <TickList url="/events" />
            }
        </>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
