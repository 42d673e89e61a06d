//! `onBatch(callback, { every, types })`: the events since the last call as one array of plain
//! `{ type, data, lastEventId }` objects, made in one call into JS.

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

use super::{report, type_error};
use crate::event_strings::EventStrings;
use crate::{EventSource, Every, Listener};

// `lengths` holds three UTF-16 lengths per event: type, data, last event ID.
#[wasm_bindgen(inline_js = "export function plain_events(text, lengths) {\n\
  const n = lengths.slice();\n\
  const events = new Array(n.length / 3);\n\
  let at = 0;\n\
  for (let i = 0; i < n.length; i += 3) {\n\
    const type = text.substring(at, (at += n[i]));\n\
    const data = text.substring(at, (at += n[i + 1]));\n\
    const lastEventId = text.substring(at, (at += n[i + 2]));\n\
    events[i / 3] = { type, data, lastEventId };\n\
  }\n\
  return events;\n\
}")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn plain_events(text: &str, lengths: &[u32]) -> Result<js_sys::Array, JsValue>;
}

/// `{ every, types }`: `every` is `'frame'` (default) or milliseconds (at least 1); `types`
/// an array of event types (default: every type the transport sees).
fn read_options(options: &JsValue) -> Result<(Every, Option<Vec<String>>), JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok((Every::Frame, None));
    }
    if !options.is_object() {
        return Err(type_error(
            "onBatch(callback, options): options must be an object such as { every: 'frame' }",
        ));
    }
    let every = Reflect::get(options, &"every".into())?;
    let every = if every.is_undefined() || every.as_string().as_deref() == Some("frame") {
        Every::Frame
    } else {
        match every.as_f64() {
            Some(ms) if ms >= 1.0 && ms.is_finite() => {
                Every::Interval(crate::retry::millis(ms.min(f64::from(u32::MAX)) as u32))
            }
            _ => return Err(type_error(
                "onBatch: options.every must be 'frame' or a number of milliseconds (at least 1)",
            )),
        }
    };
    let types = Reflect::get(options, &"types".into())?;
    if types.is_undefined() || types.is_null() {
        return Ok((every, None));
    }
    if !js_sys::Array::is_array(&types) {
        return Err(type_error(
            "onBatch: options.types must be an array of event types",
        ));
    }
    let mut names = Vec::new();
    for name in js_sys::Array::from(&types).iter() {
        names.push(crate::intrinsics::to_dom_string(&name)?);
    }
    Ok((every, Some(names)))
}

/// Registers `callback` as a batch listener of `source`.
pub(super) fn on_batch(
    source: &EventSource,
    callback: JsValue,
    options: &JsValue,
) -> Result<Listener, JsValue> {
    let callback: Function = callback
        .dyn_into()
        .map_err(|_| type_error("onBatch(callback, options): callback must be a function"))?;
    let (every, types) = read_options(options)?;
    let mut strings = EventStrings::default();
    Ok(source.batch(types, every, move |events| {
        strings.clear();
        for event in events {
            strings.push(event);
        }
        match plain_events(&strings.text, &strings.lengths) {
            Ok(array) => {
                if let Err(error) = callback.call1(&JsValue::UNDEFINED, &array) {
                    report(&error);
                }
            }
            Err(error) => report(&error),
        }
        // A burst can make the buffer large: keep no more than a typical batch.
        if strings.text.capacity() > 1 << 20 {
            strings = EventStrings::default();
        }
    }))
}
