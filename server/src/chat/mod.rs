//! `POST /chat`: LLM-style token streaming that resumes by `GET` without re-sending the
//! request.
//!
//! - `POST /chat` with `Content-Type: application/json` (415 otherwise) and a body
//!   `{"prompt": string, "tokens": N, "interval_ms": M}` (every field optional; defaults
//!   [`DEFAULT_PROMPT`], [`DEFAULT_TOKENS`], [`DEFAULT_INTERVAL_MS`]; unknown fields, N outside
//!   `1..=--chat-tokens`, M above [`MAX_INTERVAL_MS`], a reply longer than
//!   [`MAX_REPLY_MS`] in all or a prompt without a word get 400) starts a reply: a task
//!   generates it into a replay buffer whether or not anybody is connected, and the response
//!   streams it. Its `Location` header names the resume URL, `/chat/{reply}`.
//! - Events: N `token` events whose data is the token's text ([`tokens`]), then one `done`
//!   event with data `[DONE]`, then the end of the stream. Event ids are `{reply}:{index}`:
//!   `{reply}:1` to `{reply}:N` for the tokens, `{reply}:{N+1}` for `done`.
//! - `GET /chat/{reply}` replays the events after its `Last-Event-ID` (header, else the
//!   `lastEventId` query parameter; none or empty: from the start), then follows the generator
//!   live to `done`, and ends. 404 for a reply that is unknown, evicted or expired; 400 for an
//!   id that is not `{reply}:{0..=N+1}` of this reply (another reply's id included); 204 when
//!   the id is the `done` event's (nothing left: a browser's `EventSource` stops there).
//! - `GET /chat/{reply}/stats`: the reply's counters ([`Reply::stats`]): `posts` (1, plus one
//!   for every later `POST /chat` that carried a `Last-Event-ID` of this reply, i.e. a client
//!   that re-sent its request), `resumes` (GETs of the reply), `generated`, `done`,
//!   `open_streams`. `/stats` has the totals under `chat`.
//! - Both the POST and the GET take `?retry=MS` (a `retry:` line first) and, in test mode,
//!   `?cut_after=K`: the connection is aborted right after the K-th event of that response,
//!   without the terminating chunk (a response with fewer events ends normally). Like every
//!   live stream they count against `--max-connections` and drop during an injected outage.
//!
//! Bounds: see [`store`].

pub mod reply;
pub mod store;
pub mod tokens;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::Deserialize;

use crate::limits::{read_body, ConnGuard};
use crate::routes::{bad_request, json_content_type, num_param};
use crate::sse::{abortable_body, sse_response, text};
use crate::{chaos, AppState};
use reply::ReadOptions;
pub use reply::Reply;
pub use store::{ChatLimits, Replies};
use tokens::Tokens;
pub use tokens::DEFAULT_PROMPT;

/// Default number of tokens of a reply.
pub const DEFAULT_TOKENS: u64 = 100;
/// Default time between two tokens, in ms.
pub const DEFAULT_INTERVAL_MS: u64 = 50;
/// Largest `interval_ms`.
pub const MAX_INTERVAL_MS: u64 = 10_000;
/// Longest reply, in ms: `(tokens − 1) × interval_ms` may not exceed it (ten minutes).
pub const MAX_REPLY_MS: u64 = 600_000;

type Shared = State<Arc<AppState>>;
type Params = Query<HashMap<String, String>>;

/// The body of `POST /chat`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatRequest {
    prompt: Option<String>,
    tokens: Option<u64>,
    interval_ms: Option<u64>,
}

/// A validated request.
struct Request {
    text: Tokens,
    tokens: u64,
    interval_ms: u64,
}

fn parse_request(body: &[u8], max_tokens: u64) -> Result<Request, String> {
    let shape = format!(
        "expected a JSON object {{\"prompt\": string, \"tokens\": 1..={max_tokens}, \
         \"interval_ms\": 0..={MAX_INTERVAL_MS}}} (all optional)"
    );
    let req: ChatRequest = serde_json::from_slice(body).map_err(|e| format!("{shape}: {e}"))?;
    let tokens = req.tokens.unwrap_or(DEFAULT_TOKENS.min(max_tokens));
    if !(1..=max_tokens).contains(&tokens) {
        return Err(format!(
            "\"tokens\" must be 1..={max_tokens} (--chat-tokens), got {tokens}"
        ));
    }
    let interval_ms = req.interval_ms.unwrap_or(DEFAULT_INTERVAL_MS);
    if interval_ms > MAX_INTERVAL_MS {
        return Err(format!(
            "\"interval_ms\" must be 0..={MAX_INTERVAL_MS}, got {interval_ms}"
        ));
    }
    if (tokens - 1).saturating_mul(interval_ms) > MAX_REPLY_MS {
        return Err(format!(
            "the reply would take {} s: (tokens - 1) × interval_ms may be at most {MAX_REPLY_MS}",
            (tokens - 1).saturating_mul(interval_ms) / 1000
        ));
    }
    let prompt = req.prompt.as_deref().unwrap_or(DEFAULT_PROMPT);
    let text = Tokens::new(prompt).ok_or("\"prompt\" has no word")?;
    Ok(Request {
        text,
        tokens,
        interval_ms,
    })
}

/// `?retry=` and, in test mode only, `?cut_after=`.
fn read_options(st: &AppState, q: &HashMap<String, String>) -> Result<ReadOptions, String> {
    let retry_ms = num_param(q, "retry")?;
    let cut_after = num_param(q, "cut_after")?;
    if cut_after.is_some() && !st.config.test_mode {
        return Err("cut_after needs --test-mode".to_string());
    }
    Ok(ReadOptions {
        skip: 0,
        retry_ms,
        cut_after,
    })
}

/// The `Last-Event-ID` header, else the `lastEventId` query parameter (empty counts as none).
fn last_event_id(headers: &HeaderMap, q: &HashMap<String, String>) -> Option<String> {
    headers
        .get("last-event-id")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        .filter(|v| !v.is_empty())
        .or_else(|| q.get("lastEventId").map(|v| v.trim().to_string()))
        .filter(|v| !v.is_empty())
}

/// How many events of `reply` the client has seen, from its last event id.
fn resume_point(reply: &Reply, id: Option<&str>) -> Result<u64, String> {
    let Some(id) = id else {
        return Ok(0);
    };
    let range = format!("{0}:0 to {0}:{1}", reply.id(), reply.total_events());
    match id.rsplit_once(':') {
        Some((of, index)) if of == reply.id() => match index.parse::<u64>() {
            Ok(k) if k <= reply.total_events() => Ok(k),
            _ => Err(format!(
                "Last-Event-ID {id:?} is not an event of this reply ({range})"
            )),
        },
        Some((of, _)) => Err(format!(
            "Last-Event-ID {id:?} is an event of reply {of:?}, not of {:?}; resume each reply \
             at its own URL",
            reply.id()
        )),
        None => Err(format!(
            "Last-Event-ID {id:?} is not a chat event id ({range})"
        )),
    }
}

/// The response streaming `reply` as `options` say, holding `guard` (its place among the
/// open streams).
fn stream_reply(
    st: &AppState,
    reply: Arc<Reply>,
    options: ReadOptions,
    guard: ConnGuard,
) -> Response {
    let body = reply::read(reply, options).boxed();
    let body = chaos::abort_when(body, st.outages.next_outage(), "outage");
    sse_response(
        StatusCode::OK,
        abortable_body(body, false, st.shutdown(), guard),
    )
}

/// `POST /chat` (see the module docs).
pub async fn start(
    State(st): Shared,
    headers: HeaderMap,
    Query(q): Params,
    body: Body,
) -> Response {
    let options = match read_options(&st, &q) {
        Ok(o) => o,
        Err(msg) => return bad_request(msg),
    };
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
    let request = match parse_request(&bytes, st.chat.limits().max_tokens) {
        Ok(r) => r,
        Err(msg) => return bad_request(msg),
    };
    // A client re-sending its request with the ID it reached: counted on that reply.
    if let Some(id) = last_event_id(&headers, &q) {
        let named = id.rsplit_once(':').map_or(id.as_str(), |(reply, _)| reply);
        if let Some(earlier) = st.chat.get(named) {
            earlier.count_post();
        }
    }
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    let reply = match st.chat.create(request.tokens, request.interval_ms) {
        Ok(r) => r,
        Err(store::Full(n)) => {
            let mut res = text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "too many replies being generated (--chat-replies {n}); try again when \
                     one is done\n"
                ),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return res;
        }
    };
    tokio::spawn(reply.clone().generate(request.text, st.shutdown()));
    let location = format!("/chat/{}", reply.id());
    let mut res = stream_reply(&st, reply, options, guard);
    if let Ok(location) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, location);
    }
    res
}

fn unknown(id: &str) -> Response {
    text(
        StatusCode::NOT_FOUND,
        format!("unknown reply {id:?} (never started, evicted or expired)\n"),
    )
}

/// `GET /chat/{reply}` (see the module docs).
pub async fn resume(
    State(st): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let Some(reply) = st.chat.get(&id) else {
        return unknown(&id);
    };
    st.chat.count_resume(&reply);
    let mut options = match read_options(&st, &q) {
        Ok(o) => o,
        Err(msg) => return bad_request(msg),
    };
    options.skip = match resume_point(&reply, last_event_id(&headers, &q).as_deref()) {
        Ok(k) => k,
        Err(msg) => return bad_request(msg),
    };
    if options.skip == reply.total_events() {
        // The client has seen `done`: nothing left, and no reason to come back.
        return StatusCode::NO_CONTENT.into_response();
    }
    let Some(guard) = st.limits.try_acquire() else {
        return st.limits.too_many();
    };
    stream_reply(&st, reply, options, guard)
}

/// `GET /chat/{reply}/stats`: the reply's counters.
pub async fn reply_stats(State(st): Shared, Path(id): Path<String>) -> Response {
    match st.chat.get(&id) {
        Some(reply) => Json(reply.stats()).into_response(),
        None => unknown(&id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_defaults_and_bounds() {
        let r = parse_request(b"{}", 1000).unwrap();
        assert_eq!(
            (r.tokens, r.interval_ms),
            (DEFAULT_TOKENS, DEFAULT_INTERVAL_MS)
        );
        assert_eq!(r.text.text(1), "Hello");
        let r = parse_request(br#"{"prompt":"a b","tokens":3,"interval_ms":0}"#, 3).unwrap();
        assert_eq!(
            (r.tokens, r.interval_ms, r.text.text(2)),
            (3, 0, " b".into())
        );
        // The default is capped by a smaller --chat-tokens.
        assert_eq!(parse_request(b"{}", 10).unwrap().tokens, 10);
        for (body, says) in [
            (&br#"{"tokens":0}"#[..], "\"tokens\" must be 1..=1000"),
            (br#"{"tokens":1001}"#, "\"tokens\" must be 1..=1000"),
            (br#"{"tokens":-1}"#, "expected a JSON object"),
            (br#"{"interval_ms":10001}"#, "\"interval_ms\" must be"),
            (br#"{"tokens":1000,"interval_ms":1000}"#, "would take 999 s"),
            (br#"{"prompt":" "}"#, "no word"),
            (br#"{"prompt":1}"#, "expected a JSON object"),
            (br#"{"promt":"x"}"#, "unknown field `promt`"),
            (b"[]", "expected a JSON object"),
            (b"nope", "expected a JSON object"),
        ] {
            let err = parse_request(body, 1000).err().unwrap();
            assert!(
                err.contains(says),
                "{}: {err}",
                String::from_utf8_lossy(body)
            );
        }
        // Ten minutes exactly is fine.
        assert!(parse_request(br#"{"tokens":601,"interval_ms":1000}"#, 1000).is_ok());
    }

    #[test]
    fn resume_points() {
        let reply = Reply::new("abc".into(), 3, 0);
        assert_eq!(resume_point(&reply, None), Ok(0));
        assert_eq!(resume_point(&reply, Some("abc:0")), Ok(0));
        assert_eq!(resume_point(&reply, Some("abc:2")), Ok(2));
        assert_eq!(resume_point(&reply, Some("abc:4")), Ok(4));
        for (bad, says) in [
            ("abc:5", "not an event of this reply (abc:0 to abc:4)"),
            ("abc:x", "not an event of this reply"),
            ("abc:-1", "not an event of this reply"),
            ("def:2", "an event of reply \"def\""),
            ("7", "not a chat event id"),
        ] {
            let err = resume_point(&reply, Some(bad)).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
