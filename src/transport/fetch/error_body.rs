//! The body of an error response: its start goes into the `error` event at once, and the rest
//! (up to [`ERROR_BODY_BYTES`]) is added to that event as it arrives. The browser's
//! `EventSource` fails at once, so the failure never waits for a body that is slow or stays
//! open.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::calls::{body_reader, call_method, cancel, future_of, is_done};
use super::request::object_from_entries;
use crate::bytes::for_each_piece;
use crate::support::prop;
use crate::timer::{first_of, Next, Timer};
use crate::transport::ErrorInfo;

/// How much of an error response's body is kept for the error event.
const ERROR_BODY_BYTES: usize = 1024;
/// How long the rest of an error response's body is read for, after the error event.
const ERROR_BODY_MS: u32 = 10_000;

/// Describes a failed response: status, headers and the start of the body, as far as it has
/// already arrived (what the body stream gives before a zero-delay timer fires). The rest is
/// read after the error event is dispatched, for at most `idle_timeout_ms` (or
/// [`ERROR_BODY_MS`]).
pub(super) async fn failure_of(
    response: &JsValue,
    status: u16,
    message: String,
    idle_timeout_ms: Option<u32>,
) -> ErrorInfo {
    let headers = object_from_entries(&prop(response, "headers"))
        .ok()
        .map(JsValue::from);
    let mut body = Vec::new();
    let mut after_dispatch = None;
    if let Ok(Some(reader)) = body_reader(response) {
        let mut pending = BodyRest {
            reader,
            read: None,
            body: Vec::new(),
        };
        let mut now = Timer::new(0);
        let more = loop {
            if pending.body.len() >= ERROR_BODY_BYTES {
                break false;
            }
            match pending.read_chunk(&mut now).await {
                Some(true) => {}
                Some(false) => break false,
                None => break true,
            }
        };
        body.clone_from(&pending.body);
        if more {
            let complete = move |event| pending.complete(event, idle_timeout_ms);
            after_dispatch = Some(Box::new(complete) as Box<dyn FnOnce(Option<web_sys::Event>)>);
        } else {
            cancel(&pending.reader);
        }
    }
    body.truncate(ERROR_BODY_BYTES);
    ErrorInfo {
        message,
        status: Some(status),
        status_text: prop(response, "statusText").as_string(),
        headers,
        body: Some(String::from_utf8_lossy(&body).into_owned()),
        event: None,
        after_dispatch,
    }
}

/// An error response's body being read: its reader, the read in flight (a read that lost the
/// race against a timer keeps its place: a second `read()` would get the chunk after it), and
/// the bytes so far.
struct BodyRest {
    reader: JsValue,
    read: Option<JsFuture>,
    body: Vec<u8>,
}

impl BodyRest {
    /// Reads one chunk into `body`, unless `timer` fires first: `Some(true)` read one,
    /// `Some(false)` the body ended (or failed), `None` the timer fired (the read stays pending).
    async fn read_chunk(&mut self, timer: &mut Timer) -> Option<bool> {
        if self.read.is_none() {
            match call_method(&self.reader, "read").and_then(|read| future_of(&read)) {
                Ok(read) => self.read = Some(read),
                Err(_) => return Some(false),
            }
        }
        let read = self.read.as_mut()?;
        let result = match first_of(read, Some(timer)).await {
            Next::Value(Ok(result)) => result,
            Next::Value(Err(_)) => return Some(false),
            Next::Timer => return None,
        };
        self.read = None;
        if is_done(&result) {
            return Some(false);
        }
        let value = Reflect::get(&result, &"value".into()).unwrap_or_default();
        let body = &mut self.body;
        if let Some(text) = value.as_string() {
            body.extend_from_slice(text.as_bytes());
            return Some(true);
        }
        let fed = for_each_piece(&value, &mut Vec::new(), |piece| {
            body.extend_from_slice(piece);
            body.len() < ERROR_BODY_BYTES
        });
        Some(fed.is_ok())
    }

    /// Reads the rest (up to [`ERROR_BODY_BYTES`], for at most `idle_timeout_ms` or
    /// [`ERROR_BODY_MS`]) into the dispatched `event`'s `body` as it arrives; then cancels the
    /// body. Nothing is read when nobody listened.
    fn complete(mut self, event: Option<web_sys::Event>, idle_timeout_ms: Option<u32>) {
        let Some(event) = event else {
            cancel(&self.reader);
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            let mut deadline = Timer::new(idle_timeout_ms.unwrap_or(ERROR_BODY_MS));
            while self.body.len() < ERROR_BODY_BYTES {
                let before = self.body.len();
                let more = self.read_chunk(&mut deadline).await;
                if self.body.len() != before {
                    let end = self.body.len().min(ERROR_BODY_BYTES);
                    let text = String::from_utf8_lossy(self.body.get(..end).unwrap_or_default());
                    let _ = Reflect::set(&event, &"body".into(), &JsValue::from_str(&text));
                }
                if more != Some(true) {
                    break;
                }
            }
            cancel(&self.reader);
        });
    }
}
