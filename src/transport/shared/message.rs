//! What sharing contexts post to each other, as plain arrays `[kind, ...fields]` (cloneable,
//! and no header value or body among them).

use std::time::Duration;

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

use crate::parser::Event;
use crate::retry::Failure;

/// How the leader's connection attempt ended, as followers rebuild it.
#[derive(Clone)]
pub(super) struct End {
    pub(super) failure: Failure,
    pub(super) message: String,
    pub(super) status: Option<u16>,
    pub(super) opened_at: Option<f64>,
    pub(super) browser_retries: bool,
    pub(super) repeatable: bool,
}

/// One message between contexts.
pub(super) enum Message {
    /// The leader numbered these events, the first `seq` and the others after it (one message
    /// for the events of one chunk: a message costs more than its events).
    Events(u64, Vec<Event>),
    /// The leader's connection opened.
    Open,
    /// The leader's connection attempt ended.
    End(End),
    /// The server set the reconnection time.
    Retry(u32),
    /// An event was too large.
    TooLarge(String),
    /// A new leader asks for the last event each context has (ask id).
    Ask(f64),
    /// The answer: ask id, the context's last sequence number and event ID.
    Seen(f64, u64, String),
    /// A context joined (its id): the leader answers with its state.
    Hello(f64),
    /// A context needs a connection attempt.
    Need,
    /// The leader's state: open, its last sequence number and event ID.
    State(bool, u64, String),
    /// A context is here (its id): the answer to the leader's `Ping`.
    Here(f64),
    /// The leader counts contexts.
    Ping,
    /// How many contexts share the stream, as the leader counted them.
    Peers(u32),
    /// A context left (its id).
    Bye(f64),
    /// A context back from the back/forward cache has had the events up to this sequence
    /// number (and this event ID): the leader sends the ones after it, or resumes from it.
    Since(u64, String),
}

fn num(value: f64) -> JsValue {
    JsValue::from_f64(value)
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

impl Message {
    /// The message as a cloneable array.
    pub(super) fn encode(&self) -> JsValue {
        let parts: Vec<JsValue> = match self {
            Message::Events(seq, events) => {
                let fields: Array = events
                    .iter()
                    .flat_map(|event| {
                        [
                            text(&event.event_type),
                            text(&event.data),
                            text(&event.last_event_id),
                        ]
                    })
                    .collect();
                vec![text("evs"), num(*seq as f64), fields.into()]
            }
            Message::Open => vec![text("open")],
            Message::End(end) => {
                let (kind, status, after) = failure_code(&end.failure);
                vec![
                    text("end"),
                    num(kind),
                    num(status),
                    num(after),
                    text(&end.message),
                    num(end.status.map_or(-1.0, f64::from)),
                    num(end.opened_at.unwrap_or(-1.0)),
                    JsValue::from_bool(end.browser_retries),
                    JsValue::from_bool(end.repeatable),
                ]
            }
            Message::Retry(ms) => vec![text("retry"), num(f64::from(*ms))],
            Message::TooLarge(message) => vec![text("big"), text(message)],
            Message::Ask(id) => vec![text("ask"), num(*id)],
            Message::Seen(id, seq, last) => {
                vec![text("seen"), num(*id), num(*seq as f64), text(last)]
            }
            Message::Hello(id) => vec![text("hello"), num(*id)],
            Message::Need => vec![text("need")],
            Message::State(open, seq, last) => vec![
                text("state"),
                JsValue::from_bool(*open),
                num(*seq as f64),
                text(last),
            ],
            Message::Here(id) => vec![text("here"), num(*id)],
            Message::Ping => vec![text("ping")],
            Message::Peers(n) => vec![text("peers"), num(f64::from(*n))],
            Message::Bye(id) => vec![text("bye"), num(*id)],
            Message::Since(seq, last) => vec![text("since"), num(*seq as f64), text(last)],
        };
        parts.into_iter().collect::<Array>().into()
    }

    /// A message from another context; `None` for anything else (another version, a page
    /// posting on the same channel name).
    pub(super) fn decode(data: &JsValue) -> Option<Message> {
        let parts = data.dyn_ref::<Array>()?;
        let s = |i: u32| parts.get(i).as_string();
        let n = |i: u32| parts.get(i).as_f64().filter(|n| n.is_finite());
        let seq = |i: u32| n(i).filter(|n| *n >= 0.0).map(|n| n as u64);
        Some(match s(0)?.as_str() {
            "evs" => Message::Events(seq(1)?, events(&parts.get(2))?),
            "open" => Message::Open,
            "end" => Message::End(End {
                failure: failure_from(n(1)?, n(2)?, n(3)?),
                message: s(4)?,
                status: n(5).filter(|n| *n >= 0.0).map(|n| n as u16),
                opened_at: n(6).filter(|n| *n >= 0.0),
                browser_retries: parts.get(7).is_truthy(),
                repeatable: parts.get(8).is_truthy(),
            }),
            "retry" => Message::Retry(n(1)?.clamp(0.0, f64::from(u32::MAX)) as u32),
            "big" => Message::TooLarge(s(1)?),
            "ask" => Message::Ask(n(1)?),
            "seen" => Message::Seen(n(1)?, seq(2)?, s(3)?),
            "hello" => Message::Hello(n(1)?),
            "need" => Message::Need,
            "state" => Message::State(parts.get(1).is_truthy(), seq(2)?, s(3)?),
            "here" => Message::Here(n(1)?),
            "ping" => Message::Ping,
            "peers" => Message::Peers(n(1)?.clamp(0.0, 1e6) as u32),
            "bye" => Message::Bye(n(1)?),
            "since" => Message::Since(seq(1)?, s(2)?),
            _ => return None,
        })
    }
}

/// The events of an `evs` message: type, data and ID of each, in one flat array.
fn events(fields: &JsValue) -> Option<Vec<Event>> {
    let fields = fields.dyn_ref::<Array>()?;
    let text = |i: u32| fields.get(i).as_string();
    let mut events = Vec::new();
    let mut i = 0;
    while i + 2 < fields.length() {
        events.push(Event {
            event_type: text(i)?,
            data: text(i + 1)?,
            last_event_id: text(i + 2)?,
        });
        i += 3;
    }
    Some(events)
}

/// A failure as three numbers: its kind, status and `Retry-After` (ms, or -1).
fn failure_code(failure: &Failure) -> (f64, f64, f64) {
    match failure {
        Failure::Network => (0.0, 0.0, -1.0),
        Failure::Status {
            status,
            retry_after,
        } => (
            1.0,
            f64::from(*status),
            retry_after.map_or(-1.0, |after| after.as_millis() as f64),
        ),
        Failure::ContentType => (2.0, 0.0, -1.0),
        Failure::IdleTimeout => (3.0, 0.0, -1.0),
        Failure::Unknown => (4.0, 0.0, -1.0),
        Failure::Headers => (5.0, 0.0, -1.0),
        Failure::Request => (6.0, 0.0, -1.0),
        Failure::Truncated => (7.0, 0.0, -1.0),
    }
}

fn failure_from(kind: f64, status: f64, after: f64) -> Failure {
    match kind as u32 {
        1 => Failure::Status {
            status: status.clamp(0.0, 999.0) as u16,
            retry_after: (after >= 0.0)
                .then(|| Duration::from_millis(after.min(f64::from(u32::MAX)) as u64)),
        },
        2 => Failure::ContentType,
        3 => Failure::IdleTimeout,
        4 => Failure::Unknown,
        5 => Failure::Headers,
        6 => Failure::Request,
        7 => Failure::Truncated,
        _ => Failure::Network,
    }
}
