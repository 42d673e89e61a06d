//! Byte-exact SSE fixtures served by `GET /fixture/{name}`.
//!
//! Add a case by appending a `(name, bytes)` pair. Names must be unique and URL-path safe.

/// All fixtures, by name. The bytes are written to the client exactly as given.
pub const FIXTURES: &[(&str, &[u8])] = &[
    // Three plain messages with ids 1, 2, 3.
    (
        "basic",
        b"id: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\ndata: three\n\n",
    ),
    // Named events `tick` and `notice`, then a plain `message`.
    (
        "named",
        b"event: tick\ndata: 1\n\nevent: notice\ndata: hello\n\ndata: plain\n\n",
    ),
    // Three `data` events; the second one is not valid JSON.
    (
        "json",
        b"event: data\ndata: {\"n\":1,\"text\":\"a\"}\n\n\
event: data\ndata: not json{\n\n\
event: data\ndata: {\"n\":2,\"text\":\"b\"}\n\n",
    ),
    // One message whose data is "line one\nline two".
    ("multiline", b"data: line one\ndata: line two\n\n"),
    // Comment lines before, between and inside events; two messages "first" and "second".
    (
        "comments",
        b": this is a comment\n\ndata: first\n\n: another comment\n:no space\ndata: second\n: trailing comment\n\n",
    ),
    // A UTF-8 byte order mark (stripped by the parser), then one message "bom".
    ("bom", b"\xEF\xBB\xBFdata: bom\n\n"),
    // CRLF line endings: message "crlf one" (id 1), then `notice` with "crlf two\nsecond line".
    (
        "crlf",
        b"id: 1\r\ndata: crlf one\r\n\r\nevent: notice\r\ndata: crlf two\r\ndata: second line\r\n\r\n",
    ),
    // CR-only line endings: message "cr one" (id 1), then "cr two\nsecond line".
    (
        "cr",
        b"id: 1\rdata: cr one\r\rdata: cr two\rdata: second line\r\r",
    ),
    // Multi-byte UTF-8 (2, 3 and 4 byte sequences); useful with `?chunk=1`.
    ("unicode", "data: héllo wörld ✓ 🚀\n\n".as_bytes()),
    // Sets the reconnection time to 1500 ms, then one message.
    ("retry", b"retry: 1500\n\ndata: after retry\n\n"),
    // An id-only block (sets last event id 7 without dispatching), then two events without an
    // id field: both carry lastEventId "7".
    ("id-persist", b"id: 7\n\ndata: first\n\ndata: second\n\n"),
    // `data` with no colon: an event with empty data, then a message "after".
    ("empty-data", b"data\n\ndata: after\n\n"),
    // A complete message, then a trailing event without the blank line (never dispatched).
    ("incomplete", b"data: complete\n\ndata: never dispatched"),
];

// The parser's conformance streams, served as `conf-<name>`.
include!("../../tests/support/conformance_streams.rs");

/// The fixture called `name`: one of [`FIXTURES`], or `conf-<name>` for a conformance stream.
pub fn get(name: &str) -> Option<&'static [u8]> {
    if let Some(conformance) = name.strip_prefix("conf-") {
        return CONFORMANCE_STREAMS
            .iter()
            .find(|(n, _)| *n == conformance)
            .map(|(_, b)| *b);
    }
    FIXTURES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// The names of every fixture, in order: [`FIXTURES`], then the conformance streams.
pub fn names() -> Vec<String> {
    FIXTURES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .chain(
            CONFORMANCE_STREAMS
                .iter()
                .map(|(name, _)| format!("conf-{name}")),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_is_served() {
        let names = names();
        assert_eq!(names.len(), FIXTURES.len() + CONFORMANCE_STREAMS.len());
        for (i, name) in names.iter().enumerate() {
            assert!(get(name).is_some(), "{name}");
            assert!(!names[i + 1..].contains(name), "duplicate {name}");
        }
        assert_eq!(get("conf-lf"), Some(&b"data: a\n\ndata: b\n\n"[..]));
        assert_eq!(get("conf-nope"), None);
    }

    #[test]
    fn names_are_unique_and_lookup_works() {
        for (i, (name, bytes)) in FIXTURES.iter().enumerate() {
            assert!(FIXTURES[i + 1..].iter().all(|(n, _)| n != name), "{name}");
            assert_eq!(get(name), Some(*bytes));
        }
        assert_eq!(get("nope"), None);
    }
}
