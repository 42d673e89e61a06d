//! Feature detection and small JS helpers.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::intrinsics::{copy_from_uint8_array, uint8_array_length};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    pub(crate) fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;

    // `catch`: a page may have replaced these globals with functions that throw.
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout_raw(callback: &js_sys::Function, ms: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = clearTimeout, catch)]
    fn clear_timeout_raw(id: &JsValue) -> Result<(), JsValue>;
}

/// `setTimeout(callback, ms)`, `ms` capped at [`MAX_TIMER_MS`](crate::retry::MAX_TIMER_MS) (a
/// larger delay would wrap to 0). A `setTimeout` that throws gives a timer that never fires
/// (rather than one that fires at once, in a tight loop); returns the id for [`clear_timeout`].
pub(crate) fn set_timeout(callback: &js_sys::Function, ms: u32) -> JsValue {
    set_timeout_raw(callback, ms.min(crate::retry::MAX_TIMER_MS)).unwrap_or_default()
}

/// `clearTimeout(id)`, ignoring a `clearTimeout` that throws.
pub(crate) fn clear_timeout(id: &JsValue) {
    let _ = clear_timeout_raw(id);
}

/// Whether a usable `EventSource` constructor exists in this JavaScript environment.
///
/// `true` in browser windows and dedicated workers; `false` in Node.js, in worklets, or where
/// a page has removed `EventSource`. Never throws and never panics.
///
/// ```no_run
/// if eventsource_wasm::is_supported() {
///     let source = eventsource_wasm::EventSource::new("/events");
///     # drop(source);
/// }
/// ```
pub fn is_supported() -> bool {
    crate::intrinsics::has_platform_event_source_now()
}

/// The message of a thrown JS value: `error.message` for errors, the string for strings.
/// Reads through `Reflect` only (catching), since the value may be anything a caller threw.
pub(crate) fn error_message(error: &JsValue) -> String {
    if let Some(text) = error.as_string() {
        return text;
    }
    js_sys::Reflect::get(error, &JsValue::from_str("message"))
        .ok()
        .and_then(|message| message.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// `object[key]`, or `undefined` when reading it throws.
pub(crate) fn prop(object: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or_default()
}

/// Header `name` of a fetch `Response`, read through its `headers.get` (checked: an injected
/// fetch may resolve to anything).
pub(crate) fn response_header(response: &JsValue, name: &str) -> Option<String> {
    let headers = prop(response, "headers");
    let get = prop(&headers, "get").dyn_into::<js_sys::Function>().ok()?;
    get.call1(&headers, &name.into()).ok()?.as_string()
}

/// A fetch `Response`'s status, and what it means for an event stream
/// ([`classify`](crate::response::classify): `None` for a stream).
pub(crate) fn classify_response(
    response: &JsValue,
) -> (u16, Option<(crate::retry::Failure, String)>) {
    let status = prop(response, "status").as_f64().unwrap_or(0.0) as u16;
    let classified = crate::response::classify(
        status,
        &prop(response, "statusText").as_string().unwrap_or_default(),
        &response_header(response, "content-type").unwrap_or_default(),
        response_header(response, "retry-after").as_deref(),
        js_sys::Date::now(),
    );
    (status, classified)
}

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

/// The items of `iter`, taken out of it at once, without a heap allocation when there is at
/// most one: the common case of one listener per event type, on the path of every event.
pub(crate) fn take_few<T>(
    mut iter: impl Iterator<Item = T>,
) -> std::iter::Chain<std::option::IntoIter<T>, std::vec::IntoIter<T>> {
    let first = iter.next();
    let rest: Vec<T> = if first.is_some() {
        iter.collect()
    } else {
        Vec::new()
    };
    first.into_iter().chain(rest)
}

/// The most bytes of a JS `Uint8Array` copied into wasm memory at a time: a browser may hand
/// over megabytes at once, and wasm memory never shrinks once grown.
pub(crate) const PIECE_BYTES: u32 = 64 * 1024;

/// Why a chunk of bytes could not be read.
#[derive(Debug)]
pub(crate) enum ChunkError {
    /// The value is not a genuine `Uint8Array` (a Proxy, another view, anything else).
    NotUint8Array,
    /// Reading it threw (the exception).
    Threw(JsValue),
}

/// Copies the genuine `Uint8Array` `bytes` into `buffer` [`PIECE_BYTES`] at a time, calling
/// `feed` with each piece, while `feed` returns `true`. Lengths come from the view itself (never
/// from a `length` or `subarray` a caller could override), so a lying chunk cannot make a copy
/// fail; a buffer that shrinks or is detached between pieces ends the chunk early.
pub(crate) fn for_each_piece(
    bytes: &JsValue,
    buffer: &mut Vec<u8>,
    mut feed: impl FnMut(&[u8]) -> bool,
) -> Result<(), ChunkError> {
    let total = uint8_array_length(bytes).ok_or(ChunkError::NotUint8Array)?;
    let mut start = 0;
    while start < total {
        let want = (total - start).min(PIECE_BYTES);
        buffer.resize(want as usize, 0);
        let got = copy_from_uint8_array(bytes, start, buffer).map_err(ChunkError::Threw)?;
        if got == 0 {
            return Ok(());
        }
        buffer.truncate(got);
        if !feed(buffer) {
            return Ok(());
        }
        start = start.saturating_add(got as u32);
    }
    Ok(())
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
