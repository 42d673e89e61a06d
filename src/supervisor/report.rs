//! The events that report on the connection: `error` (a failed attempt, or an event too large)
//! and `reconnecting`. Described on the event itself, so that the JS API and
//! [`ErrorEvent`](crate::ErrorEvent) read the same fields.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use super::Supervisor;
use crate::retry::Failure;
use crate::transport::{ErrorInfo, Sink};

fn set(event: &web_sys::Event, key: &str, value: &JsValue) {
    let _ = Reflect::set(event, &key.into(), value);
}

fn status_value(status: Option<u16>) -> JsValue {
    status.map_or(JsValue::NULL, JsValue::from)
}

/// A new `error` event with the fields every error event of ours carries, or `None` when
/// nobody listens.
fn error_event(
    supervisor: &Supervisor,
    kind: &str,
    fatal: bool,
    message: &str,
) -> Option<web_sys::Event> {
    if !supervisor.wants("error") {
        return None;
    }
    let event = web_sys::Event::new("error").ok()?;
    set(&event, "kind", &kind.into());
    set(&event, "fatal", &JsValue::from_bool(fatal));
    set(
        &event,
        "reconnecting",
        &JsValue::from_bool(kind != "parse" && !fatal),
    );
    set(&event, "message", &message.into());
    Some(event)
}

/// Dispatches a failed attempt. The browser's own `error` event (native transport) is
/// dispatched with the message and status set on it; otherwise a new one carries everything
/// the transport learnt. Then hands the dispatched event (if anybody listened) to the
/// transport's `after_dispatch`.
pub(super) fn dispatch_failure(
    supervisor: &Supervisor,
    failure: &Failure,
    info: ErrorInfo,
    fatal: bool,
) {
    let truncated = *failure == Failure::Truncated;
    let kind = if truncated { "truncated" } else { "connection" };
    let after_dispatch = info.after_dispatch;
    let event = match info.event {
        Some(event) => {
            if truncated {
                set(&event, "kind", &kind.into());
                set(&event, "fatal", &JsValue::from_bool(fatal));
                set(&event, "reconnecting", &JsValue::from_bool(!fatal));
            }
            set(&event, "status", &status_value(info.status));
            set(&event, "message", &info.message.as_str().into());
            Some(event)
        }
        None => error_event(supervisor, kind, fatal, &info.message).inspect(|event| {
            let text = |text: Option<String>| text.map_or(JsValue::NULL, |t| JsValue::from_str(&t));
            set(event, "status", &status_value(info.status));
            set(event, "statusText", &text(info.status_text));
            set(event, "headers", &info.headers.unwrap_or(JsValue::NULL));
            set(event, "body", &text(info.body));
        }),
    };
    if let Some(event) = &event {
        supervisor.dispatch("error", event);
    }
    if let Some(after_dispatch) = after_dispatch {
        after_dispatch(event);
    }
}

/// Announces that the source closed by itself: `reason` `"done"` (the stream is complete) or
/// `"error"` (it gave up, after the fatal `error` event).
pub(super) fn dispatch_close(supervisor: &Supervisor, reason: &str, message: &str) {
    if !supervisor.wants("close") {
        return;
    }
    let Ok(event) = web_sys::Event::new("close") else {
        return;
    };
    set(&event, "reason", &reason.into());
    set(&event, "message", &message.into());
    supervisor.dispatch("close", &event);
}

/// Reports an event the parser dropped (larger than `maxEventSize`): the connection stays open.
#[cfg(feature = "fetch")]
pub(super) fn dispatch_event_too_large(supervisor: &Supervisor, message: &str) {
    if let Some(event) = error_event(supervisor, "parse", false, message) {
        supervisor.dispatch("error", &event);
    }
}

/// Announces a reconnection attempt: `reconnecting` with the attempt number, the delay before
/// it, and why.
pub(super) fn dispatch_reconnecting(
    supervisor: &Supervisor,
    attempt: u32,
    delay_ms: u32,
    failure: &Failure,
    message: &str,
    status: Option<u16>,
) {
    if !supervisor.wants("reconnecting") {
        return;
    }
    let Ok(event) = web_sys::Event::new("reconnecting") else {
        return;
    };
    set(&event, "attempt", &JsValue::from(attempt));
    set(&event, "delay", &JsValue::from(delay_ms));
    set(&event, "reason", &failure.kind().into());
    set(&event, "message", &message.into());
    set(&event, "status", &status_value(status));
    supervisor.dispatch("reconnecting", &event);
}
