//! How a response's status line and headers classify a connection attempt, as the HTML
//! standard's EventSource does: only a `200` whose `Content-Type` essence is
//! `text/event-stream` is a stream. Pure, so it is tested natively; shared by the fetch
//! transport and the status probe after the browser's `EventSource` gives up.

use crate::retry::{parse_retry_after, Failure};

/// Classifies a response from its status, status text, `Content-Type` and `Retry-After`:
/// `None` when it is an event stream, else the failure and a sentence describing it.
pub(crate) fn classify(
    status: u16,
    status_text: &str,
    content_type: &str,
    retry_after: Option<&str>,
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
            retry_after_ms: retry_after.and_then(parse_retry_after),
        }
    };
    Some((failure, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_200_event_stream_is_a_stream() {
        assert_eq!(classify(200, "OK", "text/event-stream", None), None);
        assert_eq!(
            classify(200, "OK", " Text/Event-Stream ; charset=utf-8", None),
            None
        );
        for content_type in ["text/html", "text/event-streamx", "", "text/plain"] {
            let (failure, message) = classify(200, "OK", content_type, None).unwrap();
            assert_eq!(failure, Failure::ContentType, "{content_type:?}");
            assert!(message.contains("not text/event-stream"), "{message}");
        }
    }

    #[test]
    fn other_statuses_are_status_failures_with_their_retry_after() {
        let (failure, message) =
            classify(503, "Service Unavailable", "text/event-stream", Some("2")).unwrap();
        assert_eq!(
            failure,
            Failure::Status {
                status: 503,
                retry_after_ms: Some(2_000)
            }
        );
        assert_eq!(message, "the server answered HTTP 503 Service Unavailable");
        for (status, retryable) in [(401, false), (403, false), (404, false), (500, true)] {
            let (failure, _) = classify(status, "", "text/plain", None).unwrap();
            assert_eq!(failure.is_retryable(), retryable, "{status}");
        }
        let (failure, message) = classify(204, "No Content", "", None).unwrap();
        assert!(!failure.is_retryable());
        assert!(message.contains("204 No Content"), "{message}");
    }
}
