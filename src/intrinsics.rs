//! JavaScript built-ins captured once, when the module loads, and the safe operations on
//! caller values built on them.
//!
//! A value a caller hands in can run the caller's code when it is touched (a getter, a Proxy
//! trap, an overridden `length` or `subarray`, a `toString`), and that code can throw or lie.
//! A JS exception that unwinds through a wasm frame leaks wasm stack until the module dies, and
//! a lying length turns into a Rust panic. So every operation here is imported with `catch`
//! (the exception becomes a returned error) and reads typed arrays, events and signals through
//! the built-in getters captured at load time, never through properties a caller can override.
//!
//! The platform's `EventSource` constructor is captured here too: a page that installs ours as
//! `globalThis.EventSource` (the polyfill pattern) must not make us construct ourselves.

#[cfg(feature = "fetch")]
use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const TypedArray = Object.getPrototypeOf(Uint8Array);
const getter = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
const tagOf = getter(TypedArray.prototype, Symbol.toStringTag);
const bufferOf = getter(TypedArray.prototype, 'buffer');
const offsetOf = getter(TypedArray.prototype, 'byteOffset');
const lengthOf = getter(TypedArray.prototype, 'byteLength');
const U8 = Uint8Array;
const resolve = Promise.resolve.bind(Promise);
const PromiseClass = Promise;
const promiseThen = Promise.prototype.then;
const EventClass = typeof Event === 'function' ? Event : undefined;
const typeOf = EventClass && getter(EventClass.prototype, 'type');
const SignalClass = typeof AbortSignal === 'function' ? AbortSignal : undefined;
const abortedOf = SignalClass && getter(SignalClass.prototype, 'aborted');
const Platform = typeof globalThis.EventSource === 'function' ? globalThis.EventSource : undefined;
const DomException = typeof DOMException === 'function' ? DOMException : undefined;
const StringSlice = String.prototype.slice;
const charCodeAt = String.prototype.charCodeAt;

export function dom_string(value) {
  return `${value}`;
}

export function uint8_length(value) {
  return tagOf.call(value) === 'Uint8Array' ? lengthOf.call(value) : -1;
}

export function copy_uint8(value, start, dest) {
  const n = Math.max(0, Math.min(dest.length, lengthOf.call(value) - start));
  dest.set(new U8(bufferOf.call(value), offsetOf.call(value) + start, n));
  return n;
}

export function snapshot_uint8(value) {
  const n = lengthOf.call(value);
  const copy = new U8(n);
  copy.set(new U8(bufferOf.call(value), offsetOf.call(value), n));
  return copy;
}

export function string_piece_end(text, start, most) {
  let end = Math.min(text.length, start + most);
  if (end < text.length && end > start + 1) {
    const unit = charCodeAt.call(text, end - 1);
    if (unit >= 0xd800 && unit <= 0xdbff) end -= 1;
  }
  return end;
}

export function string_slice(text, start, end) {
  return StringSlice.call(text, start, end);
}

export function event_type(value) {
  if (typeOf === undefined || value === null || typeof value !== 'object') return undefined;
  try { return typeOf.call(value); } catch { return undefined; }
}

export function signal_aborted(value) {
  if (abortedOf === undefined || value === null || typeof value !== 'object') return undefined;
  try { return abortedOf.call(value); } catch { return undefined; }
}

export function syntax_error(message) {
  return DomException ? new DomException(message, 'SyntaxError') : new SyntaxError(message);
}

export function to_promise(value) {
  return resolve(value);
}

function cancellable(run) {
  let cancel;
  const promise = new PromiseClass((settle, fail) => {
    cancel = settle;
    run(settle, fail);
  });
  return [promise, cancel];
}

export function pending_of(value) {
  let then;
  try {
    if (value instanceof PromiseClass) then = promiseThen;
    else if (value !== null && (typeof value === 'object' || typeof value === 'function')) then = value.then;
  } catch (error) {
    return cancellable((settle, fail) => fail(error));
  }
  if (typeof then !== 'function') return undefined;
  return cancellable((settle, fail) => then.call(value, settle, fail));
}

export function has_platform_event_source() {
  return Platform !== undefined && globalThis.EventSource != null;
}

export function new_platform_event_source(url, withCredentials) {
  return new Platform(url, { withCredentials });
}
"#)]
extern "C" {
    #[cfg(feature = "js")]
    #[wasm_bindgen(catch)]
    fn dom_string(value: &JsValue) -> Result<String, JsValue>;
    #[cfg(feature = "fetch")]
    #[wasm_bindgen(catch)]
    fn uint8_length(value: &JsValue) -> Result<f64, JsValue>;
    #[cfg(feature = "fetch")]
    #[wasm_bindgen(catch)]
    fn copy_uint8(value: &JsValue, start: u32, dest: &mut [u8]) -> Result<u32, JsValue>;
    #[cfg(feature = "js")]
    #[wasm_bindgen(catch)]
    fn snapshot_uint8(value: &JsValue) -> Result<JsValue, JsValue>;
    #[cfg(feature = "js")]
    #[wasm_bindgen(catch)]
    fn string_piece_end(text: &JsValue, start: u32, most: u32) -> Result<u32, JsValue>;
    #[cfg(feature = "js")]
    #[wasm_bindgen(catch)]
    fn string_slice(text: &JsValue, start: u32, end: u32) -> Result<String, JsValue>;
    #[cfg(feature = "js")]
    #[wasm_bindgen(catch)]
    fn event_type(value: &JsValue) -> Result<Option<String>, JsValue>;
    #[cfg(feature = "js")]
    #[wasm_bindgen(catch)]
    fn signal_aborted(value: &JsValue) -> Result<Option<bool>, JsValue>;
    #[cfg(feature = "js")]
    #[wasm_bindgen(js_name = syntax_error)]
    fn new_syntax_error(message: &str) -> JsValue;
    #[cfg(feature = "fetch")]
    #[wasm_bindgen(catch, js_name = to_promise)]
    fn resolve(value: &JsValue) -> Result<Promise, JsValue>;
    #[cfg(feature = "js")]
    #[wasm_bindgen(catch)]
    fn pending_of(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    fn has_platform_event_source() -> Result<bool, JsValue>;
    #[wasm_bindgen(catch)]
    fn new_platform_event_source(
        url: &str,
        with_credentials: bool,
    ) -> Result<web_sys::EventSource, JsValue>;
}

#[cfg(feature = "js")]
/// `value` converted to a string as a WebIDL `DOMString` argument is (`String(value)`, except
/// that a Symbol is a `TypeError`). The error is the exception the conversion threw.
pub(crate) fn to_dom_string(value: &JsValue) -> Result<String, JsValue> {
    match value.as_string() {
        Some(text) => Ok(text),
        None => dom_string(value),
    }
}

/// The length in bytes of `value` if it is a genuine `Uint8Array` (not a Proxy, not anything
/// whose `length` could lie), read from the view itself.
#[cfg(feature = "fetch")]
pub(crate) fn uint8_array_length(value: &JsValue) -> Option<u32> {
    match uint8_length(value) {
        Ok(n) if n >= 0.0 => Some(n as u32),
        _ => None,
    }
}

/// Copies the bytes of the genuine `Uint8Array` `value` from `start` into `dest`, as many as fit
/// and exist now (a buffer can shrink or be detached between calls); returns how many.
#[cfg(feature = "fetch")]
pub(crate) fn copy_from_uint8_array(
    value: &JsValue,
    start: u32,
    dest: &mut [u8],
) -> Result<usize, JsValue> {
    copy_uint8(value, start, dest).map(|n| (n as usize).min(dest.len()))
}

#[cfg(feature = "js")]
/// A copy, made in JS memory, of the bytes of the genuine `Uint8Array` `value`.
pub(crate) fn snapshot_uint8_array(value: &JsValue) -> Result<JsValue, JsValue> {
    snapshot_uint8(value)
}

#[cfg(feature = "js")]
/// The end (in UTF-16 code units) of the piece of the JS string `text` that starts at `start`
/// and holds at most `most` code units, never splitting a surrogate pair; and that piece.
pub(crate) fn string_piece(
    text: &JsValue,
    start: u32,
    most: u32,
) -> Result<(u32, String), JsValue> {
    let end = string_piece_end(text, start, most)?;
    Ok((end, string_slice(text, start, end)?))
}

#[cfg(feature = "js")]
/// The type of `value` if it is a genuine `Event` (read with the built-in getter).
pub(crate) fn genuine_event_type(value: &JsValue) -> Option<String> {
    event_type(value).ok().flatten()
}

#[cfg(feature = "js")]
/// Whether the genuine `AbortSignal` `value` is aborted; `None` if it is not an `AbortSignal`.
pub(crate) fn abort_signal_aborted(value: &JsValue) -> Option<bool> {
    signal_aborted(value).ok().flatten()
}

#[cfg(feature = "js")]
/// A `DOMException` named `"SyntaxError"` (what the browser throws for an invalid URL), or a
/// plain `SyntaxError` where there is no `DOMException`.
pub(crate) fn syntax_error(message: &str) -> JsValue {
    new_syntax_error(message)
}

/// `Promise.resolve(value)` (which reads `value.then`, and so can throw).
#[cfg(feature = "fetch")]
pub(crate) fn to_promise(value: &JsValue) -> Result<Promise, JsValue> {
    resolve(value)
}

/// A fresh promise that follows a caller's promise, and the function that settles it early.
#[cfg(feature = "js")]
pub(crate) struct Pending {
    /// Settles as the caller's promise does, unless cancelled first.
    pub(crate) promise: js_sys::Promise,
    /// Resolves `promise` with `undefined` at once (a no-op once it settled): whoever awaits it
    /// stops waiting, and nothing of ours stays attached to a promise that never settles.
    pub(crate) cancel: js_sys::Function,
}

#[cfg(feature = "js")]
/// If `value` is a promise or another thenable: a fresh promise (made with the `Promise`
/// captured at load) that settles as `value` does, with its canceller. A promise is followed
/// through the built-in `then` captured at load (never an own `then`); whatever throws meanwhile
/// (a `then` getter, a thenable's `then`) becomes a rejection. `None` for any other value (a
/// synchronous result).
pub(crate) fn pending(value: &JsValue) -> Result<Option<Pending>, JsValue> {
    let pair = pending_of(value)?;
    if pair.is_undefined() {
        return Ok(None);
    }
    // Our own `[promise, cancel]`, made above.
    let pair: js_sys::Array = pair.unchecked_into();
    Ok(Some(Pending {
        promise: pair.get(0).unchecked_into(),
        cancel: pair.get(1).unchecked_into(),
    }))
}

/// Whether the platform has its own `EventSource` (captured when this module loaded) and the
/// page has not removed `globalThis.EventSource` since.
pub(crate) fn has_platform_event_source_now() -> bool {
    cfg!(target_arch = "wasm32") && has_platform_event_source().unwrap_or(false)
}

/// A new platform `EventSource`: the constructor captured at load time, not whatever
/// `globalThis.EventSource` is now (it may be ours, installed as a polyfill).
pub(crate) fn platform_event_source(
    url: &str,
    with_credentials: bool,
) -> Result<web_sys::EventSource, JsValue> {
    new_platform_event_source(url, with_credentials)
}
