//! Calls into objects that an injected `fetch` controls (a response, its body, a reader): each
//! checked and catching, so nothing they do can throw through wasm.

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::support::prop;

/// `target[name]()`, checked: an error when it is not a function or when it throws.
pub(super) fn call_method(target: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(target, &name.into())?
        .dyn_into::<Function>()
        .map_err(|_| {
            let mut message = name.to_owned();
            message.push_str(" is not a function");
            JsValue::from_str(&message)
        })?
        .call0(target)
}

/// A future of `value` (a promise or any value), or the error reading it threw
/// (`Promise.resolve` reads a promise's `constructor`, a getter an injected fetch controls).
pub(super) fn future_of(value: &JsValue) -> Result<JsFuture, JsValue> {
    crate::intrinsics::to_promise(value).map(JsFuture::from)
}

/// Lets a promise we do not wait for settle without an unhandled rejection (a cancelled or
/// aborted body rejects its `cancel()` promise).
pub(super) fn settle(promise: Result<JsValue, JsValue>) {
    if let Ok(future) = promise.and_then(|promise| future_of(&promise)) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = future.await;
        });
    }
}

/// Cancels a body reader, not waiting for it.
pub(super) fn cancel(reader: &JsValue) {
    settle(call_method(reader, "cancel"));
}

/// `typeof value`, or `null`, for messages.
pub(super) fn describe(value: &JsValue) -> String {
    if value.is_null() {
        "null".to_owned()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// A reader of the response's body stream; `None` for a null body (an empty stream, as a
/// `Response` made with `new Response(null, …)` has). A body that is not a `ReadableStream`
/// (`undefined` on an object that is not a `Response`, or another library's stream) is an
/// error.
pub(super) fn body_reader(response: &JsValue) -> Result<Option<JsValue>, JsValue> {
    let body = prop(response, "body");
    if body.is_null() {
        return Ok(None);
    }
    if !body.is_object() || !prop(&body, "getReader").is_function() {
        let mut message = "the response's body is ".to_owned();
        message.push_str(&describe(&body));
        message.push_str(
            ", not a ReadableStream (an injected fetch must return a Response of the Fetch \
             standard, as fetch() does)",
        );
        return Err(JsValue::from_str(&message));
    }
    call_method(&body, "getReader").map(Some)
}

/// `result.done` of a reader's `read()` result (a result that cannot be read is done).
pub(super) fn is_done(result: &JsValue) -> bool {
    Reflect::get(result, &"done".into()).map_or(true, |done| done.is_truthy())
}
