//! Test-mode routes that show what reached the server byte for byte, or that hold a response
//! body open: for comparing the fetch transport with the browser's own `EventSource`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream;
use serde_json::json;

use crate::sse::{render_event, sse_response, streaming_body, text};
use crate::AppState;

type Params = Query<HashMap<String, String>>;

/// `GET /last-event-id?id=X&retry=MS&open=1&cors=1` (test mode): one event whose data is
/// `{"header": hex, "query": q}`: the raw bytes of the `Last-Event-ID` request header in hex
/// (`null` without one) and the raw query string; then `id: X` (when given) and the end of the
/// stream (unless `open=1`), so that the client reconnects with that ID after `retry` ms
/// (default 50). `cors=1` allows the requesting origin on this GET itself while its preflight
/// (OPTIONS) is refused, as by a server that does not list `Last-Event-ID` as an allowed header.
pub async fn last_event_id(
    State(st): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    if !st.config.test_mode {
        return text(StatusCode::NOT_FOUND, "this route needs --test-mode\n");
    }
    let id = q.get("id").cloned();
    if id
        .as_deref()
        .is_some_and(|id| id.contains(['\r', '\n', '\0']))
    {
        return text(
            StatusCode::BAD_REQUEST,
            "id must not contain CR, LF or NUL\n",
        );
    }
    let retry = q
        .get("retry")
        .and_then(|r| r.parse::<u64>().ok())
        .unwrap_or(50);
    let header = headers.get("last-event-id").map(|v| {
        v.as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    });
    let data = json!({ "header": header, "query": uri.query().unwrap_or("") }).to_string();
    let mut out = format!("retry: {retry}\n").into_bytes();
    if let Some(id) = &id {
        out.extend_from_slice(format!("id: {id}\n").as_bytes());
    }
    out.extend_from_slice(&render_event(None, None, &data));
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    let hold_open = q.get("open").is_some_and(|v| v == "1");
    let mut res = sse_response(
        StatusCode::OK,
        streaming_body(
            stream::once(async move { Bytes::from(out) }),
            hold_open,
            st.shutdown(),
            guard,
        ),
    );
    if q.get("cors").is_some_and(|v| v == "1") {
        if let Some(origin) = headers.get(header::ORIGIN) {
            res.headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
    }
    res
}

/// `GET /open-body?status=N&type=T` (test mode): status N (default 200) with Content-Type T
/// (default `text/html`), the body `start of the body\n` at once, and then nothing more: the
/// body stays open until the client goes away.
pub async fn open_body(State(st): State<Arc<AppState>>, Query(q): Params) -> Response {
    if !st.config.test_mode {
        return text(StatusCode::NOT_FOUND, "this route needs --test-mode\n");
    }
    let status = q
        .get("status")
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .filter(|s| !s.is_informational() && *s != StatusCode::NO_CONTENT)
        .unwrap_or(StatusCode::OK);
    let content_type = q.get("type").map_or("text/html", String::as_str);
    let Ok(content_type) = HeaderValue::from_str(content_type) else {
        return text(
            StatusCode::BAD_REQUEST,
            "type is not a valid header value\n",
        );
    };
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    let body = stream::once(async { Bytes::from_static(b"start of the body\n") });
    let mut res = sse_response(status, streaming_body(body, true, st.shutdown(), guard));
    res.headers_mut().insert(header::CONTENT_TYPE, content_type);
    res
}
