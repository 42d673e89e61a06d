//! `getSnapshot()` and `subscribe(callback)`: the source's state as one frozen object that is
//! replaced whenever it changes, in the shape React's `useSyncExternalStore`, Svelte stores and
//! Vue refs take.

use std::cell::RefCell;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::report;
use crate::{EventSource, Listener, SourceState};

/// The snapshot cache of one JS `EventSource`.
#[derive(Default)]
pub(super) struct Snapshots {
    /// The last snapshot made, and the state version it shows.
    cached: RefCell<Option<(u64, JsValue)>>,
}

/// A state listener that calls `callback()` after every change (for `subscribe`).
pub(super) fn on_change(source: &EventSource, callback: Function) -> Listener {
    source.on_state_change(move |_| {
        if let Err(error) = callback.call0(&JsValue::UNDEFINED) {
            report(&error);
        }
    })
}

fn put(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

fn frozen(state: &SourceState) -> JsValue {
    let snapshot = Object::new();
    put(
        &snapshot,
        "readyState",
        &JsValue::from(state.ready_state.as_raw()),
    );
    put(&snapshot, "attempt", &JsValue::from(state.attempt));
    put(
        &snapshot,
        "nextRetryAt",
        &state.next_retry_at.map_or(JsValue::NULL, JsValue::from),
    );
    let error = match &state.last_error {
        Some(error) => {
            let object = Object::new();
            put(&object, "kind", &error.kind.into());
            put(&object, "message", &error.message.as_str().into());
            put(
                &object,
                "status",
                &error.status.map_or(JsValue::NULL, JsValue::from),
            );
            put(&object, "fatal", &JsValue::from_bool(error.fatal));
            Object::freeze(&object).into()
        }
        None => JsValue::NULL,
    };
    put(&snapshot, "lastError", &error);
    put(
        &snapshot,
        "lastEventId",
        &state.last_event_id.as_str().into(),
    );
    // A count past 2^53 would lose precision; it cannot be reached.
    put(
        &snapshot,
        "eventsReceived",
        &JsValue::from(state.events_received as f64),
    );
    Object::freeze(&snapshot).into()
}

impl Snapshots {
    /// The current snapshot: the same object until the state changes.
    pub(super) fn get(&self, source: &EventSource) -> JsValue {
        let version = source.state_version();
        if let Some((seen, snapshot)) = self.cached.borrow().as_ref() {
            if *seen == version {
                return snapshot.clone();
            }
        }
        let snapshot = frozen(&source.state());
        *self.cached.borrow_mut() = Some((version, snapshot.clone()));
        snapshot
    }
}
