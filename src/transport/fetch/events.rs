//! From parsed events to `MessageEvent`s for the sink.
//!
//! Message events are made in JS: one call per event instead of five (init object, three
//! setters, constructor), or one call for a run of small events, whose strings then cross out
//! of wasm memory as one (decoding has a fixed cost per string that dominates small events).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::event_strings::{CachedString, EventStrings};
use crate::parser::{Event, Item};
use crate::retry::MAX_TIMER_MS;
use crate::transport::Sink;

// `lengths` holds three UTF-16 lengths per event: type, data, last event ID.
#[wasm_bindgen(
    inline_js = "export function message_event(type, data, lastEventId, origin) {\n\
  return new MessageEvent(type, { data, lastEventId, origin });\n\
}\n\
export function message_events(text, lengths, origin) {\n\
  const n = lengths.slice();\n\
  const events = new Array(n.length / 3);\n\
  let at = 0;\n\
  for (let i = 0; i < n.length; i += 3) {\n\
    const type = text.substring(at, (at += n[i]));\n\
    const data = text.substring(at, (at += n[i + 1]));\n\
    const lastEventId = text.substring(at, (at += n[i + 2]));\n\
    events[i / 3] = new MessageEvent(type, { data, lastEventId, origin });\n\
  }\n\
  return events;\n\
}"
)]
extern "C" {
    #[wasm_bindgen(catch)]
    pub(crate) fn message_event(
        event_type: &JsValue,
        data: &str,
        last_event_id: &JsValue,
        origin: &JsValue,
    ) -> Result<web_sys::MessageEvent, JsValue>;

    #[wasm_bindgen(catch)]
    fn message_events(
        text: &str,
        lengths: &[u32],
        origin: &JsValue,
    ) -> Result<js_sys::Array, JsValue>;
}

/// Events whose data is at most this long are made together (see `message_events`).
const SMALL_EVENT: usize = 1024;

/// What the parser found in one piece of a chunk, kept until the piece is parsed so that its
/// small events can be made in one call into JS.
enum Found {
    Event(Event),
    Retry(u64),
    TooLarge(String),
}

/// Turns what the parser yields into events for one stream (one origin).
pub(super) struct Deliverer {
    origin: JsValue,
    found: Vec<Found>,
    /// The last event type and ID as JS strings: they rarely change from event to event.
    strings: (CachedString, CachedString),
}

impl Deliverer {
    pub(super) fn new(origin: &str) -> Self {
        Deliverer {
            origin: JsValue::from_str(origin),
            found: Vec::new(),
            strings: (CachedString::new("message"), CachedString::new("")),
        }
    }

    /// Keeps what the parser yielded, for [`Deliverer::deliver`].
    pub(super) fn push(&mut self, item: Item) {
        match item {
            Item::Event(event) => self.found.push(Found::Event(event)),
            Item::Retry(ms) => self.found.push(Found::Retry(ms)),
            Item::Error(error) => self.found.push(Found::TooLarge(error.message())),
            _ => {}
        }
    }

    /// Delivers what was found, in order; stops if the source closes.
    pub(super) fn deliver(&mut self, sink: &dyn Sink) {
        let mut found = std::mem::take(&mut self.found);
        let (events, mut made) = self.make_small(sink, &found);
        for found in found.drain(..) {
            if sink.is_closed() {
                continue;
            }
            match found {
                Found::Event(event) => {
                    let index = made.next().flatten();
                    sink.set_last_event_id(&event.last_event_id);
                    sink.received();
                    // A listener may have been added or removed by an earlier event's listener.
                    let wanted = sink.wants(&event.event_type);
                    if sink.wants_batch(&event.event_type) {
                        if !wanted {
                            // Only batch listeners want it: no MessageEvent is made.
                            sink.batch(event);
                            continue;
                        }
                        sink.batch(event.clone());
                    }
                    if !wanted {
                        continue;
                    }
                    let message = match (index, &events) {
                        (Some(index), Some(events)) => events.get(index).unchecked_into(),
                        _ => match self.make_one(&event) {
                            Some(message) => message,
                            None => continue,
                        },
                    };
                    sink.dispatch(&event.event_type, &message);
                }
                Found::Retry(ms) => {
                    sink.server_retry(u32::try_from(ms).unwrap_or(u32::MAX).min(MAX_TIMER_MS));
                }
                Found::TooLarge(message) => sink.event_too_large(&message),
            }
        }
        // The buffer is kept for the next piece.
        self.found = found;
    }

    /// The small events that have listeners now, made at once; and for each event found,
    /// its index among them.
    fn make_small(
        &self,
        sink: &dyn Sink,
        found: &[Found],
    ) -> (Option<js_sys::Array>, std::vec::IntoIter<Option<u32>>) {
        let mut small = EventStrings::default();
        let mut made = Vec::new();
        for found in found {
            if let Found::Event(event) = found {
                made.push(
                    (event.data.len() <= SMALL_EVENT && sink.wants(&event.event_type))
                        .then(|| small.push(event)),
                );
            }
        }
        let events = if small.is_empty() {
            None
        } else {
            message_events(&small.text, &small.lengths, &self.origin).ok()
        };
        (events, made.into_iter())
    }

    fn make_one(&mut self, event: &Event) -> Option<web_sys::Event> {
        let message = message_event(
            self.strings.0.get(&event.event_type),
            &event.data,
            self.strings.1.get(&event.last_event_id),
            &self.origin,
        )
        .ok()?;
        Some(message.into())
    }
}
