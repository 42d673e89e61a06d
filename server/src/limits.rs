//! Connection accounting and request-body limits.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::sse::text;

/// Global count of open streaming responses.
#[derive(Debug)]
pub struct Limits {
    max: usize,
    open: AtomicUsize,
    total: AtomicU64,
}

impl Limits {
    /// Creates the counters with a maximum of `max` open streams.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Limits {
            max,
            open: AtomicUsize::new(0),
            total: AtomicU64::new(0),
        })
    }

    /// Takes one slot, or `None` when `max` streams are already open.
    pub fn try_acquire(self: &Arc<Self>) -> Option<ConnGuard> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()?;
        self.total.fetch_add(1, Ordering::Relaxed);
        Some(ConnGuard(self.clone()))
    }

    /// The 503 response for a full server.
    pub fn too_many(&self) -> Response {
        let mut res = text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("too many connections (limit {})\n", self.max),
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        res
    }

    /// Currently open streaming responses.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Streaming responses opened since start.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// The configured maximum.
    pub fn max(&self) -> usize {
        self.max
    }
}

/// One open streaming response; releases its slot when dropped.
#[derive(Debug)]
pub struct ConnGuard(Arc<Limits>);

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why a body could not be read in full.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// The body is longer than the limit.
    TooLarge,
    /// The client sent a broken body or went away.
    Read,
}

impl BodyError {
    /// The matching error response.
    pub fn response(&self, limit: usize) -> Response {
        match self {
            BodyError::TooLarge => text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body too large (limit {limit} bytes)\n"),
            ),
            BodyError::Read => text(StatusCode::BAD_REQUEST, "could not read request body\n"),
        }
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads the whole body, failing with [`BodyError::TooLarge`] beyond `limit` bytes (checked
/// against `Content-Length` first, then while reading, so memory stays bounded).
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, BodyError> {
    if declared_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut buf = BytesMut::new();
    let mut data = body.into_data_stream();
    while let Some(chunk) = data.next().await {
        let chunk = chunk.map_err(|_| BodyError::Read)?;
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Reads at most `limit` bytes of the body. Returns the bytes and whether the body was cut
/// short (longer than `limit`, or unreadable).
pub async fn read_body_truncated(body: Body, limit: usize) -> (Bytes, bool) {
    let mut buf = BytesMut::new();
    let mut data = body.into_data_stream();
    while let Some(chunk) = data.next().await {
        let Ok(chunk) = chunk else {
            return (buf.freeze(), true);
        };
        let room = limit - buf.len();
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            return (buf.freeze(), true);
        }
        buf.extend_from_slice(&chunk);
    }
    (buf.freeze(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_counts() {
        let l = Limits::new(2);
        let a = l.try_acquire().unwrap();
        let b = l.try_acquire().unwrap();
        assert!(l.try_acquire().is_none());
        assert_eq!(l.open(), 2);
        drop(a);
        assert_eq!(l.open(), 1);
        let c = l.try_acquire().unwrap();
        drop((b, c));
        assert_eq!((l.open(), l.total()), (0, 3));
        assert!(Limits::new(0).try_acquire().is_none());
    }
}
