//! Feature detection and small JS helpers.

use wasm_bindgen::prelude::*;
#[cfg(feature = "fetch")]
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    pub(crate) fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;

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
#[cfg(feature = "fetch")]
pub(crate) fn response_header(response: &JsValue, name: &str) -> Option<String> {
    let headers = prop(response, "headers");
    let get = prop(&headers, "get").dyn_into::<js_sys::Function>().ok()?;
    get.call1(&headers, &name.into()).ok()?.as_string()
}

/// A fetch `Response`'s status, and what it means for an event stream
/// ([`classify`](crate::response::classify): `None` for a stream).
#[cfg(feature = "fetch")]
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
