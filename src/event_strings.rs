//! Strings for the JS events made from parsed ones: few crossings out of wasm memory.

use wasm_bindgen::JsValue;

/// A JS string kept for as long as the Rust string it was made from does not change (an
/// event's type and last event ID are usually the same as the previous event's).
pub(crate) struct CachedString {
    text: String,
    value: JsValue,
}

impl CachedString {
    pub(crate) fn new(text: &str) -> Self {
        CachedString {
            text: text.to_owned(),
            value: JsValue::from_str(text),
        }
    }

    pub(crate) fn get(&mut self, text: &str) -> &JsValue {
        if self.text != text {
            *self = CachedString::new(text);
        }
        &self.value
    }
}

/// Events' type, data and last event ID gathered into one string, to cross out of wasm memory
/// as one (decoding has a fixed cost per string that dominates small events) and be cut apart
/// in JS: `lengths` holds three UTF-16 lengths per event, in that order.
#[derive(Default)]
pub(crate) struct EventStrings {
    pub(crate) text: String,
    pub(crate) lengths: Vec<u32>,
}

impl EventStrings {
    /// Adds `event`; returns its index among the events gathered.
    pub(crate) fn push(&mut self, event: &crate::parser::Event) -> u32 {
        let index = (self.lengths.len() / 3) as u32;
        for part in [&event.event_type, &event.data, &event.last_event_id] {
            self.text.push_str(part);
            self.lengths.push(utf16_len(part));
        }
        index
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    #[cfg(feature = "js")]
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.lengths.clear();
    }
}

/// The length of `text` in UTF-16 code units (what JS string indices count).
fn utf16_len(text: &str) -> u32 {
    let len = if text.is_ascii() {
        text.len()
    } else {
        text.encode_utf16().count()
    };
    u32::try_from(len).unwrap_or(u32::MAX)
}
