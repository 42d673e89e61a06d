//! Row 11a's peer: the same app on gloo-net's `EventSource`, its `tick` events read as a stream
//! in a task and decoded with serde_json; the source is closed when the component unmounts.

use futures::StreamExt;
use gloo_net::eventsource::futures::EventSource;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[path = "../../app.rs"]
mod app;

fn main() {
    leptos::mount::mount_to_body(|| {
        let ticks = RwSignal::new(Vec::<app::Tick>::new());
        let error = RwSignal::new(None::<String>);
        let status = RwSignal::new(String::from("Connecting"));
        match EventSource::new("/events")
            .and_then(|mut source| Ok((source.subscribe("tick")?, source)))
        {
            Ok((mut stream, source)) => {
                spawn_local(async move {
                    while let Some(next) = stream.next().await {
                        status.try_set("Open".into());
                        let decoded = next.map_err(|e| e.to_string()).and_then(|(_, message)| {
                            let data = message.data().as_string().unwrap_or_default();
                            serde_json::from_str::<app::Tick>(&data).map_err(|e| e.to_string())
                        });
                        match decoded {
                            Ok(tick) => {
                                ticks.try_update(|ticks| {
                                    ticks.push(tick);
                                    let excess = ticks.len().saturating_sub(10);
                                    ticks.drain(..excess);
                                });
                            }
                            Err(message) => {
                                error.try_set(Some(message));
                            }
                        }
                    }
                });
                let source = StoredValue::new_local(Some(source));
                on_cleanup(move || {
                    if let Some(source) = source.try_update_value(Option::take).flatten() {
                        source.close();
                    }
                });
            }
            Err(bad) => {
                error.set(Some(bad.to_string()));
            }
        }
        app::page(status.into(), ticks.into(), error.into())
    });
}
