//! Row 11's baseline: the same Leptos app with no source: the same page, its status and error
//! derived from signals as in the hook's apps (a readyState shown with `{:?}`, an error with
//! `Display`), which nothing writes.

use std::fmt;

use leptos::prelude::*;

#[path = "../../app.rs"]
mod app;

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Connecting,
}

#[derive(Debug, Clone, PartialEq)]
struct Problem(String);

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn main() {
    leptos::mount::mount_to_body(|| {
        let ticks = RwSignal::new(Vec::<app::Tick>::new());
        let last_error = RwSignal::new(None::<Problem>);
        let state = RwSignal::new(State::Connecting);
        let status = Signal::derive(move || format!("{:?}", state.get()));
        let error = Signal::derive(move || last_error.get().map(|error| error.to_string()));
        app::page(status, ticks.into(), error)
    });
}
