//! The status probe after the browser's `EventSource` gives up: it hides the response, so one
//! `fetch` of the same URL (same credentials mode, `Accept: text/event-stream`, no cache, as the
//! browser's own request) learns the status and headers, and is aborted as soon as they
//! arrive. Classified by [`crate::response::classify`], as the fetch transport classifies, so
//! both transports retry or give up alike. Never throws; bounded by [`PROBE_TIMEOUT_MS`].

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::retry::Failure;
use crate::support::{classify_response, error_message, prop};
use crate::timer::{clear_timeout, set_timeout};

/// How long the probe waits for the response's headers before settling for "unknown".
pub(crate) const PROBE_TIMEOUT_MS: u32 = 5_000;

/// What the probe learnt.
pub(crate) struct Probed {
    pub(crate) failure: Failure,
    pub(crate) message: String,
    pub(crate) status: Option<u16>,
}

impl Probed {
    fn unknown(message: impl Into<String>) -> Self {
        Probed {
            failure: Failure::Unknown,
            message: message.into(),
            status: None,
        }
    }
}

/// Requests `url` once and classifies the answer.
pub(crate) async fn probe(url: &str, with_credentials: bool) -> Probed {
    const GAVE_UP: &str = "the browser's EventSource gave up";
    let Some(fetch) = prop(&js_sys::global(), "fetch").dyn_into::<Function>().ok() else {
        return Probed::unknown([GAVE_UP, " (no fetch here to learn why)"].concat());
    };
    let Ok(controller) = web_sys::AbortController::new() else {
        return Probed::unknown(GAVE_UP);
    };
    let init = Object::new();
    let put = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&init, &key.into(), value);
    };
    let headers = Object::new();
    let _ = Reflect::set(&headers, &"accept".into(), &"text/event-stream".into());
    put("headers", &headers);
    let credentials = if with_credentials {
        "include"
    } else {
        "same-origin"
    };
    put("credentials", &credentials.into());
    put("cache", &"no-store".into());
    put("signal", &controller.signal());
    let pending = match fetch.call2(&JsValue::UNDEFINED, &url.into(), &init) {
        Ok(pending) => match crate::intrinsics::to_promise(&pending) {
            Ok(pending) => pending,
            Err(error) => return Probed::unknown([GAVE_UP, ": ", &error_message(&error)].concat()),
        },
        Err(error) => return Probed::unknown([GAVE_UP, ": ", &error_message(&error)].concat()),
    };
    let mut timer = JsValue::UNDEFINED;
    let timeout = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, PROBE_TIMEOUT_MS);
    });
    let raced = JsFuture::from(Promise::race(&js_sys::Array::of2(&pending, &timeout))).await;
    clear_timeout(&timer);
    // Headers are all the probe wants: drop the body (or the request, on a timeout).
    controller.abort();
    let response = match raced {
        Ok(response) if response.is_object() => response,
        Ok(_) => {
            return Probed::unknown(
                [
                    GAVE_UP,
                    ", and a request to learn why had no answer within ",
                    &PROBE_TIMEOUT_MS.to_string(),
                    " ms",
                ]
                .concat(),
            )
        }
        Err(error) => {
            return Probed {
                failure: Failure::Network,
                message: [
                    GAVE_UP,
                    ": the request failed before any response (",
                    &error_message(&error),
                    ")",
                ]
                .concat(),
                status: None,
            }
        }
    };
    let (status, classified) = classify_response(&response);
    match classified {
        Some((failure, message)) => Probed {
            failure,
            message: [GAVE_UP, ": ", &message].concat(),
            status: Some(status),
        },
        None => Probed::unknown(
            [
                GAVE_UP,
                ", though the same request now answers with an event stream",
            ]
            .concat(),
        ),
    }
}
