//! Row 10's baseline: the same Leptos app with no source (the signals are never written).

use leptos::prelude::*;

#[path = "../../app.rs"]
mod app;

fn main() {
    leptos::mount::mount_to_body(|| {
        let ticks = RwSignal::new(Vec::<app::Tick>::new());
        let error = RwSignal::new(None::<String>);
        let status = RwSignal::new(String::from("closed"));
        app::page(status.into(), ticks.into(), error.into())
    });
}
