//! The JavaScript API (the `js` feature): a drop-in `EventSource` class with typed extras,
//! `createParser()` and `isSupported()`. The npm package's entry (`js/index.js` in the repo)
//! wraps these classes with receiver and `init()` checks.
//!
//! - `event_source`: the `EventSource` class itself (the Rust [`crate::EventSource`] inside).
//! - `event_target`: EventTarget semantics (dedupe, `once`, `signal`, `handleEvent` objects,
//!   `on*` handler properties, listener exceptions reported without stopping dispatch), so that
//!   events reach listeners with `target`, `currentTarget` and `this` set to the wrapper.
//! - `options`: the options bag reader.
//! - `parser`: `createParser()`.
//! - `snapshot`: `getSnapshot()` and `subscribe()`; `subscriptions`: the listeners behind the
//!   unsubscribe functions.
//! - `batch`: `onBatch()`.
//! - `schema`: `onJson(type, callback, { schema })`, data checked by a Standard Schema validator.
//! - `drain`: the end of a source that closed by itself waits for the validations still pending.
//! - `types`: the TypeScript declarations wasm-bindgen cannot derive.
//! - `snippets`: the inline JavaScript of `batch`, `event_target` and `parser`, one module.

mod batch;
mod drain;
mod event_source;
mod event_target;
mod options;
mod parser;
mod schema;
mod snapshot;
mod snippets;
mod subscriptions;
mod types;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::support::is_supported;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = reportError, catch)]
    fn report_error(error: &JsValue) -> Result<(), JsValue>;
    // `catch`: a page may have replaced console.error with a function that throws.
    #[wasm_bindgen(js_namespace = console, js_name = error, catch)]
    fn console_error(error: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = defineProperties, catch)]
    fn define_properties(target: &JsValue, descriptors: &JsValue) -> Result<JsValue, JsValue>;
}

/// Whether a usable `EventSource` constructor exists here (JS: `isSupported()`).
#[wasm_bindgen(js_name = isSupported)]
pub fn js_is_supported() -> bool {
    is_supported()
}

/// Reports an exception thrown by a listener the way the browser does for its own listeners,
/// without interrupting the dispatch to the other listeners.
fn report(error: &JsValue) {
    if report_error(error).is_err() {
        let _ = console_error(error);
    }
}

fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// `{ name: { value, enumerable, configurable } , ... }` for `Object.defineProperties`.
fn descriptors(properties: &[(&str, &JsValue)]) -> JsValue {
    let all = Object::new();
    for (name, value) in properties {
        let descriptor = Object::new();
        let _ = Reflect::set(&descriptor, &"value".into(), value);
        let _ = Reflect::set(&descriptor, &"enumerable".into(), &JsValue::TRUE);
        let _ = Reflect::set(&descriptor, &"configurable".into(), &JsValue::TRUE);
        let _ = Reflect::set(&all, &JsValue::from_str(name), &descriptor);
    }
    all.into()
}
