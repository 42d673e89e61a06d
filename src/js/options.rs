//! The options bag of `new EventSource(url, options)`, read into [`EventSourceOptions`]: each
//! member through `Reflect` (a getter may throw), each bad value a `TypeError` naming it.

use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::intrinsics::to_promise;
use crate::support::error_message;
use crate::{
    CloseOn, CredentialsMode, EventSourceOptions, Failure, HeaderProvider, Resume, RetryPolicy,
    ShouldRetry, Transport,
};

use super::{report, type_error};

pub(super) fn read_options(options: &JsValue) -> Result<EventSourceOptions, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(EventSourceOptions::default());
    }
    if !options.is_object() {
        return Err(type_error(&format!(
            "EventSource options must be an object such as {{ withCredentials: true }}, got {}",
            options.js_typeof().as_string().unwrap_or_default()
        )));
    }
    let get = |key: &str| Reflect::get(options, &key.into());
    let mut result =
        EventSourceOptions::new().with_credentials(get("withCredentials")?.is_truthy());
    let transport = get("transport")?;
    if !transport.is_undefined() {
        result.transport = match transport.as_string().as_deref() {
            Some("auto") => Transport::Auto,
            Some("eventsource") => Transport::EventSource,
            Some("fetch") => Transport::Fetch,
            _ => {
                return Err(type_error(
                    "options.transport must be 'auto', 'eventsource' or 'fetch'",
                ))
            }
        };
    }
    read_headers(options, &mut result)?;
    read_request(options, &mut result)?;
    read_retry(options, &mut result)?;
    read_should_retry(options, &mut result)?;
    read_stream(options, &mut result)?;
    read_completion(options, &mut result)?;
    Ok(result)
}

/// `closeOn` (an event type, or a predicate of the event) and `resume` (`{ method, url }`,
/// the URL a string or a function of the last event ID).
fn read_completion(options: &JsValue, result: &mut EventSourceOptions) -> Result<(), JsValue> {
    let get = |key: &str| Reflect::get(options, &key.into());
    let close_on = get("closeOn")?;
    if let Some(event_type) = close_on.as_string() {
        result.close_on = Some(CloseOn::event_type(event_type));
    } else if let Some(function) = close_on.dyn_ref::<Function>() {
        let function = function.clone();
        result.close_on = Some(CloseOn::when(move |event| {
            match function.call1(&JsValue::UNDEFINED, event.as_raw()) {
                Ok(answer) => answer.is_truthy(),
                Err(error) => {
                    report(&error);
                    false
                }
            }
        }));
    } else if !close_on.is_undefined() && !close_on.is_null() {
        return Err(type_error(
            "options.closeOn must be an event type (a string) or a function (event) => boolean",
        ));
    }
    let resume = get("resume")?;
    if resume.is_undefined() || resume.is_null() {
        return Ok(());
    }
    if !resume.is_object() {
        return Err(type_error(
            "options.resume must be an object such as { method: 'GET', url: '/chat/42' }",
        ));
    }
    let method = Reflect::get(&resume, &"method".into())?;
    let method = if method.is_undefined() {
        "GET".to_owned()
    } else {
        method
            .as_string()
            .ok_or_else(|| type_error("options.resume.method must be a string such as 'GET'"))?
    };
    let url = Reflect::get(&resume, &"url".into())?;
    result.resume = Some(if let Some(url) = url.as_string() {
        Resume::get(url).method(method)
    } else if let Some(function) = url.dyn_ref::<Function>() {
        let function = function.clone();
        Resume::try_with(method, move |last_event_id| {
            let url = function
                .call1(&JsValue::UNDEFINED, &last_event_id.into())
                .map_err(|e| error_message(&e))?;
            url.as_string()
                .ok_or_else(|| "options.resume.url did not return a string".to_owned())
        })
    } else {
        return Err(type_error(
            "options.resume.url must be a URL string or a function (lastEventId) => URL",
        ));
    });
    Ok(())
}

/// `headers`: fixed, or a function (maybe async) called before each attempt.
fn read_headers(options: &JsValue, result: &mut EventSourceOptions) -> Result<(), JsValue> {
    let get = |key: &str| Reflect::get(options, &key.into());
    let headers = get("headers")?;
    if let Some(function) = headers.dyn_ref::<Function>() {
        let function = function.clone();
        result.header_provider = Some(HeaderProvider::from_boxed(Rc::new(move || {
            let function = function.clone();
            Box::pin(async move {
                let value = function
                    .call0(&JsValue::UNDEFINED)
                    .map_err(|e| error_message(&e))?;
                let value = JsFuture::from(to_promise(&value).map_err(|e| error_message(&e))?)
                    .await
                    .map_err(|e| error_message(&e))?;
                if value.is_undefined() || value.is_null() {
                    return Ok(Vec::new());
                }
                header_pairs(&value).map_err(|e| error_message(&e))
            })
        })));
    } else if !headers.is_undefined() && !headers.is_null() {
        result.headers = header_pairs(&headers).map_err(|e| {
            type_error(&format!(
                "options.headers must be an object of strings, an array of [name, value] pairs, \
                 a Headers object, or a function returning one: {}",
                error_message(&e)
            ))
        })?;
    }
    Ok(())
}

/// `method`, `body`, `credentials` and `fetch`.
fn read_request(options: &JsValue, result: &mut EventSourceOptions) -> Result<(), JsValue> {
    let get = |key: &str| Reflect::get(options, &key.into());
    let method = get("method")?;
    if !method.is_undefined() {
        result.method = Some(
            method
                .as_string()
                .ok_or_else(|| type_error("options.method must be a string such as 'POST'"))?,
        );
    }
    let body = get("body")?;
    if !body.is_undefined() && !body.is_null() {
        result.js_body = Some(body);
    }
    let credentials = get("credentials")?;
    if !credentials.is_undefined() {
        result.credentials_mode = Some(match credentials.as_string().as_deref() {
            Some("omit") => CredentialsMode::Omit,
            Some("same-origin") => CredentialsMode::SameOrigin,
            Some("include") => CredentialsMode::Include,
            _ => {
                return Err(type_error(
                    "options.credentials must be 'omit', 'same-origin' or 'include'",
                ))
            }
        });
    }
    let fetch = get("fetch")?;
    if !fetch.is_undefined() && !fetch.is_null() {
        result.fetch = Some(fetch.dyn_into().map_err(|_| {
            type_error("options.fetch must be a function with the signature of fetch(url, init)")
        })?);
    }
    Ok(())
}

/// `retry`: `true`, or the policy's numbers.
fn read_retry(options: &JsValue, result: &mut EventSourceOptions) -> Result<(), JsValue> {
    let get = |key: &str| Reflect::get(options, &key.into());
    let retry = get("retry")?;
    if retry.is_truthy() {
        let mut policy = RetryPolicy::new();
        if retry.is_object() {
            let number = |key: &str| -> Result<Option<f64>, JsValue> {
                let value = Reflect::get(&retry, &key.into())?;
                if value.is_undefined() {
                    return Ok(None);
                }
                match value.as_f64() {
                    Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
                    _ => Err(type_error(&format!(
                        "options.retry.{key} must be a non-negative number"
                    ))),
                }
            };
            let ms = |n: f64| n.min(f64::from(u32::MAX)) as u32;
            let duration = |n: f64| crate::retry::millis(ms(n));
            if let Some(n) = number("initialDelay")? {
                policy.initial_delay = duration(n);
            }
            if let Some(n) = number("maxDelay")? {
                policy.max_delay = duration(n);
            }
            if let Some(n) = number("multiplier")? {
                if n < 1.0 {
                    return Err(type_error(
                        "options.retry.multiplier must be at least 1 (1 keeps the delay constant)",
                    ));
                }
                policy.multiplier = n;
            }
            if let Some(n) = number("jitter")? {
                if n > 1.0 {
                    return Err(type_error("options.retry.jitter must be between 0 and 1"));
                }
                policy.jitter = n;
            }
            if let Some(n) = number("maxRetries")? {
                policy.max_retries = Some(ms(n));
            }
            if let Some(n) = number("resetAfter")? {
                policy.reset_after = duration(n);
            }
        } else if retry != JsValue::TRUE {
            return Err(type_error(
                "options.retry must be true or an object such as { initialDelay: 1000, maxDelay: 30000 }",
            ));
        }
        result.retry = Some(policy);
    }
    Ok(())
}

/// `shouldRetry`: the page's function, called with `{ kind, status, retryable }`.
fn read_should_retry(options: &JsValue, result: &mut EventSourceOptions) -> Result<(), JsValue> {
    let get = |key: &str| Reflect::get(options, &key.into());
    let should_retry = get("shouldRetry")?;
    if !should_retry.is_undefined() && !should_retry.is_null() {
        let function: Function = should_retry
            .dyn_into()
            .map_err(|_| type_error("options.shouldRetry must be a function (error) => boolean"))?;
        result.should_retry = Some(ShouldRetry::new(move |failure| {
            let info = Object::new();
            let _ = Reflect::set(&info, &"kind".into(), &failure.kind().into());
            let status = match failure {
                Failure::Status { status, .. } => JsValue::from(*status),
                _ => JsValue::NULL,
            };
            let _ = Reflect::set(&info, &"status".into(), &status);
            let _ = Reflect::set(
                &info,
                &"retryable".into(),
                &JsValue::from_bool(failure.is_retryable()),
            );
            match function.call1(&JsValue::UNDEFINED, &info) {
                Ok(answer) => answer.is_truthy(),
                Err(error) => {
                    report(&error);
                    false
                }
            }
        }));
    }
    Ok(())
}

/// `idleTimeout`, `lastEventId`, `lastEventIdParam`, the lifecycle triggers and
/// `maxEventSize`.
fn read_stream(options: &JsValue, result: &mut EventSourceOptions) -> Result<(), JsValue> {
    let get = |key: &str| Reflect::get(options, &key.into());
    let idle = get("idleTimeout")?;
    if !idle.is_undefined() {
        match idle.as_f64() {
            Some(n) if n >= 1.0 && n.is_finite() => {
                result.idle_timeout = Some(crate::retry::millis(n.min(f64::from(u32::MAX)) as u32))
            }
            _ => {
                return Err(type_error(
                    "options.idleTimeout must be a positive number of milliseconds",
                ))
            }
        }
    }
    let seed = get("lastEventId")?;
    if !seed.is_undefined() && !seed.is_null() {
        result.last_event_id = Some(
            seed.as_string()
                .ok_or_else(|| type_error("options.lastEventId must be a string"))?,
        );
    }
    let param = get("lastEventIdParam")?;
    if !param.is_undefined() {
        result.last_event_id_param =
            Some(param.as_string().filter(|p| !p.is_empty()).ok_or_else(|| {
                type_error("options.lastEventIdParam must be a non-empty string")
            })?);
    }
    result.reconnect_on_online = get("reconnectOnOnline")?.is_truthy();
    result.pause_when_hidden = get("pauseWhenHidden")?.is_truthy();
    result.reopen_on_pageshow = get("reopenOnPageshow")?.is_truthy();
    let max = get("maxEventSize")?;
    if !max.is_undefined() {
        match max.as_f64() {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => result.max_event_size = Some(n as usize),
            _ => {
                return Err(type_error(
                    "options.maxEventSize must be a positive whole number of bytes",
                ))
            }
        }
    }
    Ok(())
}

/// `[name, value]` pairs from anything `new Headers(init)` accepts.
fn header_pairs(init: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    // `new Headers(init)`: accepts a record, pairs, or another Headers.
    let headers = web_sys::Headers::new_with_str_sequence_sequence(init)?;
    let mut pairs = Vec::new();
    for entry in js_sys::Array::from(&headers).iter() {
        let entry = js_sys::Array::from(&entry);
        pairs.push((
            entry.get(0).as_string().unwrap_or_default(),
            entry.get(1).as_string().unwrap_or_default(),
        ));
    }
    Ok(pairs)
}
