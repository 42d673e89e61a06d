//! SSE wire format and the generic streaming-body wrapper.

use std::io;
use std::pin::Pin;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{stream, Stream, StreamExt};

use crate::limits::ConnGuard;
use crate::Shutdown;

/// The keep-alive comment written on idle `/events` streams.
pub const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// Splits `data` on CRLF, CR or LF (the SSE line terminators).
pub fn lines(data: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\r', '\n']) {
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

/// True if `name` can be written on an `event:` line (no CR, LF or NUL).
pub fn valid_event_name(name: &str) -> bool {
    !name.contains(['\r', '\n', '\0'])
}

/// Renders one event: `id: N\n`, optional `event: X\n`, one `data:` line per line of `data`,
/// and the terminating blank line. `event` must satisfy [`valid_event_name`].
pub fn render_event(id: Option<u64>, event: Option<&str>, data: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 32);
    if let Some(id) = id {
        out.extend_from_slice(format!("id: {id}\n").as_bytes());
    }
    if let Some(event) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(event.as_bytes());
        out.extend_from_slice(b"\n");
    }
    for line in lines(data) {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\n");
    }
    out.extend_from_slice(b"\n");
    out.freeze()
}

/// A response with the SSE headers and the given body.
pub fn sse_response(status: StatusCode, body: Body) -> Response {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

/// A plain-text response.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

type BoxStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

struct Streaming {
    inner: Option<BoxStream>,
    hold_open: bool,
    shutdown: Shutdown,
    _guard: ConnGuard,
}

enum Step {
    Item(Bytes),
    Abort(io::Error),
    InnerDone,
    Stop,
}

/// Wraps `inner` into a response body that holds `guard` for its whole life, ends as soon as
/// server shutdown starts, and, when `hold_open`, stays open (writing nothing more) after
/// `inner` ends until the client goes away or the server shuts down.
pub fn streaming_body<S>(inner: S, hold_open: bool, shutdown: Shutdown, guard: ConnGuard) -> Body
where
    S: Stream<Item = Bytes> + Send + 'static,
{
    abortable_body(inner.map(Ok), hold_open, shutdown, guard)
}

/// Like [`streaming_body`], but an error from `inner` aborts the connection: hyper closes it
/// without the terminating chunk, so the client sees an interrupted read rather than the end
/// of the response. Everything written before the error reaches the client first.
pub fn abortable_body<S>(inner: S, hold_open: bool, shutdown: Shutdown, guard: ConnGuard) -> Body
where
    S: Stream<Item = io::Result<Bytes>> + Send + 'static,
{
    let state = Streaming {
        inner: Some(Box::pin(inner)),
        hold_open,
        shutdown,
        _guard: guard,
    };
    let body = stream::unfold(state, |mut st| async move {
        loop {
            let step = match st.inner.as_mut() {
                Some(inner) => {
                    tokio::select! {
                        biased;
                        _ = st.shutdown.wait() => Step::Stop,
                        item = inner.next() => match item {
                            None => Step::InnerDone,
                            Some(Ok(bytes)) => Step::Item(bytes),
                            Some(Err(err)) => Step::Abort(err),
                        },
                    }
                }
                None if st.hold_open => {
                    st.shutdown.wait().await;
                    Step::Stop
                }
                None => Step::Stop,
            };
            match step {
                Step::Item(bytes) => return Some((Ok(bytes), st)),
                Step::Abort(err) => {
                    // hyper drops what it has buffered but not yet written when the body
                    // fails; yielding once lets it flush the data before the error.
                    tokio::task::yield_now().await;
                    st.inner = None;
                    st.hold_open = false;
                    return Some((Err(err), st));
                }
                Step::InnerDone => st.inner = None,
                Step::Stop => return None,
            }
        }
    });
    Body::from_stream(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_all_line_endings() {
        let got: Vec<&str> = lines("a\r\nb\rc\nd").collect();
        assert_eq!(got, ["a", "b", "c", "d"]);
        assert_eq!(lines("").collect::<Vec<_>>(), [""]);
        assert_eq!(lines("x\n").collect::<Vec<_>>(), ["x", ""]);
        assert_eq!(lines("\r\r\n").collect::<Vec<_>>(), ["", "", ""]);
    }

    #[test]
    fn renders_events() {
        assert_eq!(
            &render_event(Some(3), Some("tick"), "a\r\nb")[..],
            b"id: 3\nevent: tick\ndata: a\ndata: b\n\n"
        );
        assert_eq!(&render_event(None, None, "")[..], b"data: \n\n");
        assert!(valid_event_name("ok: yes"));
        assert!(!valid_event_name("a\nb"));
        assert!(!valid_event_name("a\0"));
    }
}
