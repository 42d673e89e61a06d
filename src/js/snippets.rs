//! The JS API's inline JavaScript, in one module: the glue imports one snippet file for the
//! three instead of one each (smaller gzipped, and two module requests fewer).
//!
//! - `plain_events` (`batch`): the batch's `{ type, data, lastEventId }` objects. `lengths`
//!   holds three UTF-16 lengths per event: type, data, last event ID.
//! - `retarget` (`event_target`): makes `event.target` and `event.currentTarget` the wrapper.
//!   Giving the event a prototype that sits between it and its own (one per wrapper and event
//!   class, made once) costs a tenth of defining two own properties on every event, in
//!   Chromium.
//! - `emit_events` (`parser`): delivers a run of events (their strings gathered by
//!   `EventStrings`) in one call into JS. Every event is delivered; the first exception is
//!   rethrown at the end.

use js_sys::Function;
use wasm_bindgen::prelude::*;

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
}\n\
const WRAPPER = Symbol('eventsource-wasm wrapper');\n\
export function retarget(event, wrapper, protos) {\n\
  const proto = Object.getPrototypeOf(event);\n\
  if (proto !== null && proto[WRAPPER] === wrapper) return;\n\
  let mine = protos.get(proto);\n\
  if (mine === undefined) {\n\
    const get = { get: () => wrapper, enumerable: true, configurable: true };\n\
    mine = Object.create(proto, { target: get, currentTarget: get, [WRAPPER]: { value: wrapper } });\n\
    protos.set(proto, mine);\n\
  }\n\
  try {\n\
    Object.setPrototypeOf(event, mine);\n\
  } catch {\n\
    const own = { value: wrapper, enumerable: true, configurable: true };\n\
    try { Object.defineProperties(event, { target: own, currentTarget: own }); } catch {}\n\
  }\n\
}\n\
export function emit_events(onEvent, text, lengths) {\n\
  const n = lengths.slice();\n\
  let at = 0;\n\
  let failed = null;\n\
  for (let i = 0; i < n.length; i += 3) {\n\
    const type = text.substring(at, (at += n[i]));\n\
    const data = text.substring(at, (at += n[i + 1]));\n\
    const lastEventId = text.substring(at, (at += n[i + 2]));\n\
    try {\n\
      onEvent({ type, data, lastEventId });\n\
    } catch (error) {\n\
      if (failed === null) failed = { error };\n\
    }\n\
  }\n\
  if (failed !== null) throw failed.error;\n\
}")]
extern "C" {
    #[wasm_bindgen(catch)]
    pub(super) fn plain_events(text: &str, lengths: &[u32]) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch)]
    pub(super) fn retarget(
        event: &JsValue,
        wrapper: &JsValue,
        protos: &JsValue,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(catch)]
    pub(super) fn emit_events(
        on_event: &Function,
        text: &str,
        lengths: &[u32],
    ) -> Result<(), JsValue>;
}
