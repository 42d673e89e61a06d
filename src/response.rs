//! How a response's status line and headers classify a connection attempt, as the HTML
//! standard's EventSource does: only a `200` whose `Content-Type` essence is
//! `text/event-stream` is a stream. Pure, so it is tested natively; shared by the fetch
//! transport and the status probe after the browser's `EventSource` gives up.

use crate::retry::{parse_retry_after_at, Failure};

/// Classifies a response from its status, status text, `Content-Type` and `Retry-After` (delay
/// seconds, or an HTTP-date compared with `now_ms`, milliseconds since the Unix epoch):
/// `None` when it is an event stream, else the failure and a sentence describing it.
pub(crate) fn classify(
    status: u16,
    status_text: &str,
    content_type: &str,
    retry_after: Option<&str>,
    now_ms: f64,
) -> Option<(Failure, String)> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if status == 200 && essence == "text/event-stream" {
        return None;
    }
    let message = if status == 204 {
        "the server answered 204 No Content: it asks the client not to reconnect".to_owned()
    } else if status != 200 {
        format!("the server answered HTTP {status} {status_text}")
    } else {
        format!("the response's Content-Type is \"{content_type}\", not text/event-stream")
    };
    let failure = if status == 200 {
        Failure::ContentType
    } else {
        Failure::Status {
            status,
            retry_after: retry_after.and_then(|value| parse_retry_after_at(value, now_ms)),
        }
    };
    Some((failure, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_200_event_stream_is_a_stream() {
        assert_eq!(classify(200, "OK", "text/event-stream", None, 0.0), None);
        assert_eq!(
            classify(200, "OK", " Text/Event-Stream ; charset=utf-8", None, 0.0),
            None
        );
        for content_type in ["text/html", "text/event-streamx", "", "text/plain"] {
            let (failure, message) = classify(200, "OK", content_type, None, 0.0).unwrap();
            assert_eq!(failure, Failure::ContentType, "{content_type:?}");
            assert!(message.contains("not text/event-stream"), "{message}");
        }
    }

    #[test]
    fn other_statuses_are_status_failures_with_their_retry_after() {
        let (failure, message) = classify(
            503,
            "Service Unavailable",
            "text/event-stream",
            Some("2"),
            0.0,
        )
        .unwrap();
        assert_eq!(
            failure,
            Failure::Status {
                status: 503,
                retry_after: Some(std::time::Duration::from_secs(2))
            }
        );
        assert_eq!(message, "the server answered HTTP 503 Service Unavailable");
        for (status, retryable) in [(401, false), (403, false), (404, false), (500, true)] {
            let (failure, _) = classify(status, "", "text/plain", None, 0.0).unwrap();
            assert_eq!(failure.is_retryable(), retryable, "{status}");
        }
        let (failure, message) = classify(204, "No Content", "", None, 0.0).unwrap();
        assert!(!failure.is_retryable());
        assert!(message.contains("204 No Content"), "{message}");
    }
}
