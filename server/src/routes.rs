//! HTTP handlers and the router.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use bytes::{Bytes, BytesMut};
use futures_util::{stream, StreamExt};
use serde_json::{json, Map, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;

use crate::hub::{Channel, Event, HubError, MAX_CHANNEL_NAME};
use crate::limits::{read_body, read_body_truncated};
use crate::sse::{
    abortable_body, render_event, sse_response, streaming_body, text, valid_event_name, KEEP_ALIVE,
};
use crate::{burst, chaos, cors, fixtures, static_files, AppState};

/// Largest `?n=` for `/finite`.
pub const MAX_FINITE: u64 = 100_000;
/// Largest `?delay_ms=` for `/fixture`.
pub const MAX_DELAY_MS: u64 = 60_000;
/// Default channel of `/events` and `/publish`.
pub const DEFAULT_CHANNEL: &str = "demo";
/// Soft size of one write of replayed events.
const BATCH_BYTES: usize = 64 * 1024;

type Shared = State<Arc<AppState>>;
type Params = Query<HashMap<String, String>>;

/// Every API route. The router is built from this table, and `--mount` refuses prefixes
/// whose first segment is one of theirs (see [`is_api_segment`]), so the two cannot drift.
fn api_routes() -> Vec<(&'static str, MethodRouter<Arc<AppState>>)> {
    vec![
        ("/events", get(events)),
        ("/publish", post(publish)),
        ("/stats", get(stats)),
        ("/fixtures", get(fixture_names)),
        ("/fixture/{name}", get(fixture)),
        ("/status/{code}", get(status)),
        ("/wrong-type", get(wrong_type)),
        ("/finite", get(finite)),
        ("/echo", get(echo).post(echo)),
        ("/set-cookie", get(set_cookie)),
        ("/admin/outage", post(outage)),
        ("/burst", post(burst)),
        ("/id-echo", get(id_echo)),
        ("/last-event-id", get(crate::wire::last_event_id)),
        ("/open-body", get(crate::wire::open_body)),
        ("/chat", post(crate::chat::start)),
        ("/chat/{reply}", get(crate::chat::resume)),
        ("/chat/{reply}/stats", get(crate::chat::reply_stats)),
    ]
}

/// The paths of all API routes, as given to the router (e.g. `/fixture/{name}`).
pub fn api_paths() -> Vec<&'static str> {
    api_routes().into_iter().map(|(path, _)| path).collect()
}

/// True if `segment` is the first path segment of an API route (a static mount there would
/// be shadowed).
pub fn is_api_segment(segment: &str) -> bool {
    api_paths()
        .iter()
        .any(|path| path.trim_start_matches('/').split('/').next() == Some(segment))
}

/// Builds the router for `state` (CORS is layered on only in test mode). The `Host` and
/// `Origin` checks of [`crate::guard`] come first, on every route.
pub fn router(state: Arc<AppState>) -> Router {
    let router = api_routes()
        .into_iter()
        .fold(Router::new(), |router, (path, method)| {
            router.route(path, method)
        })
        .fallback(static_files::handler)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::counters::middleware,
        ));
    let router = if state.config.test_mode {
        router.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::middleware,
        ))
    } else {
        router
    };
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::guard::middleware,
        ))
        .with_state(state)
}

pub(crate) fn bad_request(msg: impl Into<String>) -> Response {
    let mut msg = msg.into();
    msg.push('\n');
    text(StatusCode::BAD_REQUEST, msg)
}

fn hub_error(err: HubError) -> Response {
    match err {
        HubError::TooManyChannels(n) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("too many channels (limit {n})\n"),
        ),
        HubError::BadName => {
            bad_request(format!("channel name must be 1..={MAX_CHANNEL_NAME} bytes"))
        }
    }
}

/// Parses an optional numeric query parameter.
pub(crate) fn num_param(q: &HashMap<String, String>, name: &str) -> Result<Option<u64>, String> {
    match q.get(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{name} must be a whole number, got {v:?}")),
    }
}

fn flag_param(q: &HashMap<String, String>, name: &str) -> bool {
    q.get(name)
        .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

/// Resume point: numeric `Last-Event-ID` header, else numeric `lastEventId` query parameter.
fn resume_point(headers: &HeaderMap, q: &HashMap<String, String>) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or_else(|| q.get("lastEventId").and_then(|v| v.trim().parse().ok()))
}

// ---------------------------------------------------------------------------------------------
// /events

struct EventsStream {
    channel: Arc<Channel>,
    receiver: Receiver<Arc<Event>>,
    pending: VecDeque<Arc<Event>>,
    cursor: u64,
    keepalive: Option<Duration>,
    last_write: Instant,
    started: bool,
    retry_ms: u64,
}

impl EventsStream {
    /// Appends pending events newer than the cursor to `out` (about `BATCH_BYTES` at most).
    fn drain_pending(&mut self, out: &mut BytesMut) {
        while let Some(ev) = self.pending.front() {
            if ev.id > self.cursor {
                if !out.is_empty() && out.len() + ev.wire.len() > BATCH_BYTES {
                    break;
                }
                out.extend_from_slice(&ev.wire);
                self.cursor = ev.id;
            }
            self.pending.pop_front();
        }
    }

    async fn next_chunk(&mut self) -> Option<Bytes> {
        let mut out = BytesMut::new();
        if !self.started {
            self.started = true;
            out.extend_from_slice(format!("retry: {}\n\n", self.retry_ms).as_bytes());
        }
        loop {
            self.drain_pending(&mut out);
            if !out.is_empty() {
                self.last_write = Instant::now();
                return Some(out.freeze());
            }
            let received = match self.keepalive {
                Some(k) => {
                    match tokio::time::timeout_at(self.last_write + k, self.receiver.recv()).await {
                        Ok(r) => r,
                        Err(_) => {
                            self.last_write = Instant::now();
                            return Some(Bytes::from_static(KEEP_ALIVE));
                        }
                    }
                }
                None => self.receiver.recv().await,
            };
            match received {
                Ok(ev) => {
                    if ev.id > self.cursor {
                        self.cursor = ev.id;
                        self.last_write = Instant::now();
                        return Some(ev.wire.clone());
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // Fell behind the broadcast queue: recover from the replay buffer.
                    self.pending = self.channel.since(self.cursor).into();
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

async fn events(State(st): Shared, headers: HeaderMap, Query(q): Params) -> Response {
    let name = q
        .get("channel")
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .unwrap_or(DEFAULT_CHANNEL);
    let resume = resume_point(&headers, &q);
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    let channel = match st.hub.channel(name) {
        Ok(c) => c,
        Err(e) => return hub_error(e),
    };
    let retry_ms = match num_param(&q, "retry") {
        Ok(r) => r.unwrap_or(3000),
        Err(msg) => return bad_request(msg),
    };
    let chaos = match chaos_offset(&st, &q, resume) {
        Ok(offset) => offset,
        Err(msg) => return bad_request(msg),
    };
    let sub = channel.subscribe(resume);
    let keepalive =
        (st.config.keepalive_ms > 0).then(|| Duration::from_millis(st.config.keepalive_ms));
    let state = EventsStream {
        channel,
        receiver: sub.receiver,
        pending: sub.replay.into(),
        cursor: sub.cursor,
        keepalive,
        last_write: Instant::now(),
        started: false,
        retry_ms,
    };
    let inner = stream::unfold(state, |mut s| async move {
        let chunk = s.next_chunk().await?;
        Some((chunk, s))
    });
    let inner = match chaos {
        Some(offset) => chaos::cut_after_first_event(inner, offset).boxed(),
        None => inner.map(Ok).boxed(),
    };
    // An injected outage drops the stream.
    let inner = chaos::abort_when(inner, st.outages.next_outage(), "outage");
    sse_response(
        StatusCode::OK,
        abortable_body(inner, false, st.shutdown(), guard),
    )
}

/// `?chaos=SEED[&chaos_bytes=MEAN]` (test mode only; 400 otherwise): the connection is dropped
/// [`chaos::cut_offset`] bytes (1..=2×MEAN, default MEAN 20000) after the end of its first
/// event. The offset depends only on the seed and the resume point, so a run is reproducible.
fn chaos_offset(
    st: &AppState,
    q: &HashMap<String, String>,
    resume: Option<u64>,
) -> Result<Option<u64>, String> {
    let seed = num_param(q, "chaos")?;
    let mean = num_param(q, "chaos_bytes")?;
    let Some(seed) = seed else {
        return Ok(None);
    };
    if !st.config.test_mode {
        return Err("chaos needs --test-mode".to_string());
    }
    let mean = mean.unwrap_or(20_000).max(1);
    Ok(Some(chaos::cut_offset(seed, resume, mean)))
}

// ---------------------------------------------------------------------------------------------
// Test-mode fault injection

/// `POST /admin/outage?ms=N` (test mode): the server is "down" for N ms (at most 60 s).
async fn outage(State(st): Shared, headers: HeaderMap, Query(q): Params) -> Response {
    if !st.config.test_mode {
        return text(StatusCode::NOT_FOUND, "outages need --test-mode\n");
    }
    if let Some(res) = form_body_refused(&headers) {
        return res;
    }
    let ms = match num_param(&q, "ms") {
        Ok(ms) => ms.unwrap_or(5_000).min(60_000),
        Err(msg) => return bad_request(msg),
    };
    st.outages.start(Duration::from_millis(ms));
    Json(json!({ "outage_ms": ms })).into_response()
}

/// `POST /burst?channel=C&n=N&per_ms=K&delay_ms=D` (test mode): publishes N events (data `1`..`N`)
/// to channel C, K per millisecond (default: all at once, yielding to other tasks now and
/// then). Without `delay_ms` it answers when all are published; with it, it answers at once
/// and publishes after D ms (e.g. during an outage). At most [`burst::MAX_SCHEDULED`] delayed
/// bursts may be pending (503 beyond); they are cancelled at shutdown.
async fn burst(State(st): Shared, headers: HeaderMap, Query(q): Params) -> Response {
    if !st.config.test_mode {
        return text(StatusCode::NOT_FOUND, "bursts need --test-mode\n");
    }
    if let Some(res) = form_body_refused(&headers) {
        return res;
    }
    let name = q
        .get("channel")
        .map(String::as_str)
        .unwrap_or(DEFAULT_CHANNEL);
    let params = (
        num_param(&q, "n"),
        num_param(&q, "per_ms"),
        num_param(&q, "delay_ms"),
    );
    let (n, per_ms, delay_ms) = match params {
        (Ok(n), Ok(per_ms), Ok(delay)) => {
            (n.unwrap_or(100).min(100_000), per_ms.unwrap_or(0), delay)
        }
        (Err(msg), _, _) | (_, Err(msg), _) | (_, _, Err(msg)) => return bad_request(msg),
    };
    let channel = match st.hub.channel(name) {
        Ok(c) => c,
        Err(e) => return hub_error(e),
    };
    if let Some(delay) = delay_ms {
        let delay = Duration::from_millis(delay.min(MAX_DELAY_MS));
        if !st.bursts.schedule(channel, n, per_ms, delay, st.shutdown()) {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "too many scheduled bursts (limit {})\n",
                    burst::MAX_SCHEDULED
                ),
            );
        }
        return Json(json!({ "channel": name, "scheduled": n })).into_response();
    }
    let done = burst::publish(&channel, n, per_ms, &st.shutdown()).await;
    Json(json!({
        "channel": name,
        "first_id": done.first_id,
        "last_id": done.last_id,
        "published": done.count,
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// /publish

/// `Some(true)` for a JSON media type (`application/json`, `…+json`), `Some(false)` for any
/// other, `None` without `Content-Type`.
pub(crate) fn json_content_type(headers: &HeaderMap) -> Option<bool> {
    let ct = headers.get(header::CONTENT_TYPE)?;
    let Ok(ct) = ct.to_str() else {
        return Some(false);
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(essence == "application/json" || (essence.contains('/') && essence.ends_with("+json")))
}

/// The test-mode POST routes take no body: they refuse a request that carries one of the
/// content types an HTML form (or a "simple" cross-origin fetch) can send, so another site
/// cannot trigger them even from a browser that leaves out `Origin`.
fn form_body_refused(headers: &HeaderMap) -> Option<Response> {
    (json_content_type(headers) == Some(false)).then(|| {
        text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send no body (or Content-Type: application/json)\n",
        )
    })
}

/// `POST /publish` with `Content-Type: application/json` and a body
/// `{"channel": string, "event": string, "data": any}` (`channel` defaults to `demo`, `event`
/// to none). JSON is required so that a form or "simple" request from another site cannot
/// publish (a JSON request from another origin needs a CORS preflight, which only the
/// `--cors-origin` origins of `--test-mode` pass, and [`crate::guard`] refuses other origins
/// anyway).
async fn publish(State(st): Shared, headers: HeaderMap, body: Body) -> Response {
    if json_content_type(&headers) != Some(true) {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the JSON body with Content-Type: application/json\n",
        );
    }
    let limit = st.config.max_body_bytes;
    let bytes = match read_body(&headers, body, limit).await {
        Ok(b) => b,
        Err(e) => return e.response(limit),
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    let Value::Object(mut obj) = value else {
        return bad_request(
            "expected a JSON object {\"channel\": string, \"event\": string, \"data\": any}",
        );
    };
    let channel = match obj.remove("channel") {
        None | Some(Value::Null) => DEFAULT_CHANNEL.to_string(),
        Some(Value::String(s)) => s,
        Some(_) => return bad_request("\"channel\" must be a string"),
    };
    let event = match obj.remove("event") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if valid_event_name(&s) => Some(s),
        Some(Value::String(_)) => {
            return bad_request("\"event\" must not contain CR, LF or NUL characters")
        }
        Some(_) => return bad_request("\"event\" must be a string"),
    };
    let data = match obj.remove("data") {
        None => return bad_request("missing \"data\" (a string or any JSON value)"),
        Some(Value::String(s)) => s,
        Some(v) => v.to_string(),
    };
    let ch = match st.hub.channel(&channel) {
        Ok(c) => c,
        Err(e) => return hub_error(e),
    };
    let (id, receivers) = ch.publish(event.as_deref(), &data);
    Json(json!({ "id": id, "channel": channel, "receivers": receivers })).into_response()
}

// ---------------------------------------------------------------------------------------------
// /stats

/// `GET /stats`: open and total streaming responses (`open_connections` is what
/// `--max-connections` limits), open TCP connections and those of them waiting for a request
/// head (bounded by `--max-waiting`), channels, requests per path, and the `POST /chat`
/// totals ([`crate::chat::Replies::stats`]).
async fn stats(State(st): Shared) -> Response {
    Json(json!({
        "open_connections": st.limits.open(),
        "total_connections": st.limits.total(),
        "tcp_connections": st.connections.open_count(),
        "waiting_connections": st.connections.waiting_count(),
        "channels": st.hub.len(),
        "requests": st.requests.snapshot(),
        "chat": st.chat.stats(),
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// /fixture/{name}

/// `GET /fixtures`: the names of all fixtures, as a JSON array (for differential tests).
async fn fixture_names() -> Response {
    Json(fixtures::names()).into_response()
}

async fn fixture(State(st): Shared, Path(name): Path<String>, Query(q): Params) -> Response {
    let Some(bytes) = fixtures::get(&name) else {
        return text(StatusCode::NOT_FOUND, format!("unknown fixture {name:?}\n"));
    };
    let chunk = match num_param(&q, "chunk") {
        Ok(c) => usize::try_from(c.unwrap_or(0)).unwrap_or(usize::MAX),
        Err(msg) => return bad_request(msg),
    };
    let delay = match num_param(&q, "delay_ms") {
        Ok(d) => Duration::from_millis(d.unwrap_or(0).min(MAX_DELAY_MS)),
        Err(msg) => return bad_request(msg),
    };
    let close = flag_param(&q, "close");
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    let chunks: Vec<Bytes> = if chunk == 0 || chunk >= bytes.len() {
        vec![Bytes::from_static(bytes)]
    } else {
        bytes.chunks(chunk).map(Bytes::from_static).collect()
    };
    let inner = stream::iter(chunks.into_iter().enumerate()).then(move |(i, c)| async move {
        if i > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        c
    });
    sse_response(
        StatusCode::OK,
        streaming_body(inner, !close, st.shutdown(), guard),
    )
}

// ---------------------------------------------------------------------------------------------
// /status/{code}, /wrong-type, /set-cookie

async fn status(State(st): Shared, Path(code): Path<String>, Query(q): Params) -> Response {
    let status = match code.parse::<u16>() {
        Ok(c @ 100..=599) => StatusCode::from_u16(c).ok(),
        _ => None,
    };
    let Some(status) = status else {
        return bad_request(format!("status code must be 100..=599, got {code:?}"));
    };
    if status.is_informational() {
        return bad_request(format!(
            "status {} is informational and cannot be a final response",
            status.as_u16()
        ));
    }
    let retry_after = match q.get("retry_after").map(|v| HeaderValue::from_str(v)) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => return bad_request("retry_after is not a valid header value"),
    };
    let mut res = if status == StatusCode::OK {
        let Some(guard) = st.limits.try_acquire() else {
            return st.limits.too_many();
        };
        let inner = stream::once(async { Bytes::from_static(b"data: ok\n\n") });
        sse_response(status, streaming_body(inner, true, st.shutdown(), guard))
    } else {
        let body = if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
            Body::empty()
        } else {
            Body::from(format!("status {}", status.as_u16()))
        };
        let mut res = Response::new(body);
        *res.status_mut() = status;
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        res
    };
    if let Some(v) = retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

async fn wrong_type() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html")],
        "data: this is not an event stream\n\n",
    )
        .into_response()
}

async fn set_cookie() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::SET_COOKIE, "sse_test=1; Path=/; SameSite=Lax"),
        ],
        "ok",
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// /finite

async fn finite(State(st): Shared, headers: HeaderMap, Query(q): Params) -> Response {
    let n = match num_param(&q, "n") {
        Ok(n) => n.unwrap_or(3).min(MAX_FINITE),
        Err(msg) => return bad_request(msg),
    };
    let retry = match num_param(&q, "retry") {
        Ok(r) => r.unwrap_or(200),
        Err(msg) => return bad_request(msg),
    };
    let event = q.get("event").filter(|e| !e.is_empty()).cloned();
    if event.as_deref().is_some_and(|e| !valid_event_name(e)) {
        return bad_request("event must not contain CR, LF or NUL characters");
    }
    // `header_fails=1`: a reconnection that carries a Last-Event-ID header gets a 500 (like a
    // proxy's error page), so the browser's EventSource gives up and only a client that
    // reopens with the `lastEventId` query parameter can resume.
    if flag_param(&q, "header_fails") && headers.contains_key("last-event-id") {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "resume with the query parameter\n",
        );
    }
    let start = resume_point(&headers, &q).map_or(Some(1), |id| id.checked_add(1));
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    let prelude = Bytes::from(format!("retry: {retry}\n\n"));
    let batches = stream::unfold((start, n), move |(next, left)| {
        let event = event.clone();
        async move {
            let mut id = next?;
            if left == 0 {
                return None;
            }
            let take = left.min(256);
            let mut out = BytesMut::new();
            let mut written = 0;
            let mut following = Some(id);
            while written < take {
                let data = format!("event {id}");
                out.extend_from_slice(&render_event(Some(id), event.as_deref(), &data));
                written += 1;
                following = id.checked_add(1);
                match following {
                    Some(f) => id = f,
                    None => break,
                }
            }
            Some((out.freeze(), (following, left - written)))
        }
    });
    let inner = stream::once(async move { prelude }).chain(batches);
    sse_response(
        StatusCode::OK,
        streaming_body(inner, false, st.shutdown(), guard),
    )
}

// ---------------------------------------------------------------------------------------------
// /echo

async fn echo(
    State(st): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query = uri.query().unwrap_or("");
    let close = query
        .split('&')
        .any(|p| matches!(p, "close=1" | "close=true" | "close=yes"));
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    let (body, truncated) = read_body_truncated(body, st.config.max_body_bytes).await;
    let mut header_map = Map::new();
    for name in headers.keys() {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        header_map.insert(name.as_str().to_string(), Value::String(values.join(", ")));
    }
    let data = json!({
        "method": method.as_str(),
        "headers": header_map,
        "body": String::from_utf8_lossy(&body),
        "query": query,
    })
    .to_string();
    let event = render_event(None, None, &data);
    // A request body that was not read to its end keeps hyper from noticing a disconnect, so
    // such a response is always ended.
    let hold_open = !close && !truncated;
    sse_response(
        StatusCode::OK,
        streaming_body(
            stream::once(async move { event }),
            hold_open,
            st.shutdown(),
            guard,
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// /id-echo

/// One event and the end of the stream: `retry: {retry}` if given, `id: {id}` if given (an
/// empty `id=` clears the client's last event ID), and as data the query and the
/// `Last-Event-ID` header of the request (`null` without one) — to see what a client sends on
/// its reconnects.
async fn id_echo(State(st): Shared, uri: Uri, headers: HeaderMap, Query(q): Params) -> Response {
    let retry = match num_param(&q, "retry") {
        Ok(r) => r,
        Err(msg) => return bad_request(msg),
    };
    let id = q.get("id");
    if id.is_some_and(|id| !valid_event_name(id)) {
        return bad_request("id must not contain CR, LF or NUL characters");
    }
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    let last_event_id = headers
        .get("last-event-id")
        .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()));
    let data = json!({
        "query": uri.query().unwrap_or(""),
        "lastEventId": last_event_id.unwrap_or(Value::Null),
    });
    let mut out = String::new();
    if let Some(retry) = retry {
        out.push_str(&format!("retry: {retry}\n"));
    }
    if let Some(id) = id {
        out.push_str(&format!("id: {id}\n"));
    }
    out.push_str(&format!("data: {data}\n\n"));
    let body = stream::once(async move { Bytes::from(out) });
    sse_response(
        StatusCode::OK,
        streaming_body(body, false, st.shutdown(), guard),
    )
}
