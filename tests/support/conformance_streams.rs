// Conformance streams, one or more per rule of the WHATWG HTML standard's "Interpreting an
// event stream". Shared (by `include!`) between the parser's native tests and the companion
// server, which serves each as `/fixture/conf-<name>`, so the browser differential test
// compares the browser's own EventSource with our fetch transport on every one of them, in
// several chunkings. Event types stay within those the differential test listens to
// (message, tick, notice, data, update, ping, custom, error, open).

/// `(name, stream bytes)`.
pub const CONFORMANCE_STREAMS: &[(&str, &[u8])] = &[
    ("lf", b"data: a\n\ndata: b\n\n"),
    ("crlf", b"data: a\r\n\r\ndata: b\r\n\r\n"),
    ("cr", b"data: a\r\rdata: b\r\r"),
    ("mixed-line-ends", b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\n"),
    ("crlf-split-candidate", b"data: x\r\n\r\nid: 2\r\ndata: y\r\n\r\n"),
    ("bom-at-start", b"\xEF\xBB\xBFdata: bom\n\n"),
    ("bom-twice", b"\xEF\xBB\xBF\xEF\xBB\xBFdata: two boms\n\ndata: after\n\n"),
    ("bom-later-is-data", b"data: a\n\ndata: \xEF\xBB\xBFkept\n\n"),
    ("comment-lines", b": a comment\ndata: a\n:another\n\n:\n\ndata: b\n\n"),
    ("no-colon-field", b"data\n\ndata\ndata\n\ndata: after\n\n"),
    ("one-space-stripped", b"data:no space\n\ndata: one space\n\ndata:  two spaces\n\n"),
    ("tab-not-stripped", b"data:\ttab\n\n"),
    ("colon-in-value", b"data: a:b: c\n\n"),
    ("unknown-fields", b"foo: bar\ndata: a\nbaz\n\n"),
    ("case-sensitive", b"Data: ignored\nDATA: ignored\ndata: kept\n\n"),
    ("space-before-colon", b"data : ignored\ndata: kept\n\n"),
    ("multi-data-joined", b"data: one\ndata: two\ndata: three\n\n"),
    ("empty-data-lines", b"data:\ndata:\n\ndata: x\n\n"),
    ("trailing-lf-removed-once", b"data: a\ndata:\n\n"),
    ("empty-data-no-dispatch", b"event: tick\n\ndata: plain\n\n"),
    ("event-type", b"event: tick\ndata: 1\n\nevent: notice\ndata: 2\n\n"),
    ("event-type-resets", b"event: tick\ndata: 1\n\ndata: 2\n\n"),
    ("event-empty-is-message", b"event:\ndata: 1\n\n"),
    ("event-last-wins", b"event: tick\nevent: update\ndata: x\n\n"),
    ("id-persists", b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"),
    ("id-empty-resets", b"id: 5\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n"),
    ("id-with-nul-ignored", b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"),
    ("id-only-block", b"id: 7\n\ndata: after\n\n"),
    ("id-unicode", b"id: \xC3\xA9\xE2\x9C\x93\ndata: x\n\n"),
    ("retry-digits", b"retry: 1500\ndata: a\n\n"),
    ("retry-invalid", b"retry: 1.5\nretry: abc\nretry:\nretry: 10 \ndata: a\n\n"),
    ("retry-huge", b"retry: 99999999999999999999999\ndata: a\n\n"),
    ("incomplete-last-block", b"data: a\n\ndata: never dispatched"),
    ("incomplete-last-line", b"data: a\n\ndata: b\n"),
    ("utf8-multibyte", "data: héllo wörld ✓ 🚀 日本\n\n".as_bytes()),
    ("utf8-invalid", b"data: a\xFFb\xE2\x82c\xC0\xAFd\n\n"),
    ("utf8-truncated-at-line-end", b"data: \xE2\x82\ndata: ok\n\n"),
    ("nul-in-data", b"data: a\x00b\n\n"),
    ("long-line", b"data: 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\n\n"),
    ("named-error-and-open", b"event: error\ndata: server error event\n\nevent: open\ndata: server open event\n\n"),
    ("many-small-events", b"data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\ndata: 6\n\ndata: 7\n\ndata: 8\n\n"),
    ("lone-cr-at-end", b"data: a\n\r"),
    ("blank-lines-only", b"\n\n\r\n\r\r\n"),
    ("field-without-value-event", b"event\ndata: x\n\n"),
];
