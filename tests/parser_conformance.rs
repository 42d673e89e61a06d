//! Conformance tests of `eventsource_wasm::parser` against the WHATWG HTML standard, section
//! 9.2.6 "Interpreting an event stream" (and the UTF-8 decode of the Encoding standard it
//! uses).
//!
//! Every case is checked three ways with the same expected output: the stream fed whole, fed
//! one byte at a time, and fed in many random chunkings (including empty chunks). Cases without
//! a size limit are also checked against the simple reference parser in
//! `support/reference_parser.rs`, which a randomized differential test then compares with the
//! real parser on thousands of generated streams.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/reference_parser.rs"]
mod reference_parser;

use eventsource_wasm::parser::{Event, Item, ParseError, Parser, DEFAULT_MAX_EVENT_SIZE};
use reference_parser::Output;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// xorshift64*: a small deterministic RNG, so the tests need no extra dependencies.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// FNV-1a, to derive a per-case seed from the stream.
fn seed_of(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// The owned, comparable form of an item.
fn to_output(item: Item<'_>, limit: usize) -> Output {
    match item {
        Item::Event(Event {
            event_type,
            data,
            last_event_id,
        }) => Output::Event {
            event_type,
            data,
            last_event_id,
        },
        Item::Retry(ms) => Output::Retry(ms),
        Item::Comment(text) => Output::Comment(text.to_owned()),
        Item::Error(ParseError::EventTooLarge { limit: reported }) => {
            assert_eq!(reported, limit, "the error reports the parser's limit");
            Output::TooLarge
        }
        other => panic!("unexpected item {other:?}"),
    }
}

/// What a whole stream produced.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    outputs: Vec<Output>,
    last_event_id: String,
}

/// Feeds `chunks` as one stream into a fresh parser with the given limit, then finishes it.
/// Checks the memory bound after every chunk.
fn run_chunks<'a>(limit: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> Run {
    let mut parser = Parser::with_max_event_size(limit);
    let mut outputs = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut |item| outputs.push(to_output(item, limit)));
        assert!(
            parser.buffered_len() <= limit,
            "buffered {} bytes with a limit of {limit}",
            parser.buffered_len()
        );
    }
    parser.finish();
    assert_eq!(
        parser.buffered_len(),
        0,
        "finish() discards everything pending"
    );
    Run {
        outputs,
        last_event_id: parser.last_event_id().to_owned(),
    }
}

/// Splits `input` into random chunks (sometimes empty, sometimes large).
fn random_chunks<'a>(input: &'a [u8], rng: &mut Rng) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = input;
    // Vary the typical chunk size between runs so both tiny and large chunks are exercised.
    let typical = 1 + rng.below(1 + input.len().min(16));
    while !rest.is_empty() {
        let size = match rng.below(10) {
            0 => 0,
            1 => rest.len(),
            _ => 1 + rng.below(typical),
        }
        .min(rest.len());
        chunks.push(&rest[..size]);
        rest = &rest[size..];
    }
    if rng.below(2) == 0 {
        chunks.push(&[]);
    }
    chunks
}

/// The three ways: whole, byte by byte, and `random` random chunkings.
fn all_chunkings(input: &[u8], limit: usize, random: usize) -> Vec<(String, Run)> {
    let mut runs = vec![
        ("whole".to_owned(), run_chunks(limit, [input])),
        (
            "byte by byte".to_owned(),
            run_chunks(limit, input.chunks(1)),
        ),
    ];
    let mut rng = Rng::new(seed_of(input) ^ limit as u64);
    for i in 0..random {
        let chunks = random_chunks(input, &mut rng);
        let sizes: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
        runs.push((
            format!("random chunking #{i} {sizes:?}"),
            run_chunks(limit, chunks),
        ));
    }
    runs
}

/// Checks a case: every chunking gives `expected`; without a limit, so does the reference.
fn check_with(
    input: &[u8],
    limit: Option<usize>,
    expected: &[Output],
    expected_last_event_id: Option<&str>,
) {
    let size = limit.unwrap_or(DEFAULT_MAX_EVENT_SIZE);
    for (how, run) in all_chunkings(input, size, 64) {
        assert_eq!(
            run.outputs,
            expected,
            "stream {:?} fed {how}",
            String::from_utf8_lossy(input)
        );
        if let Some(id) = expected_last_event_id {
            assert_eq!(
                run.last_event_id,
                id,
                "last event ID after stream {:?} fed {how}",
                String::from_utf8_lossy(input)
            );
        }
    }
    if limit.is_none() {
        let reference = reference_parser::parse(input);
        assert_eq!(
            reference.outputs, expected,
            "the reference parser disagrees"
        );
        if let Some(id) = expected_last_event_id {
            assert_eq!(
                reference.last_event_id, id,
                "the reference parser's last event ID"
            );
        }
    }
}

fn check(input: impl AsRef<[u8]>, expected: &[Output]) {
    check_with(input.as_ref(), None, expected, None);
}

fn check_id(input: impl AsRef<[u8]>, expected: &[Output], last_event_id: &str) {
    check_with(input.as_ref(), None, expected, Some(last_event_id));
}

fn check_limit(limit: usize, input: impl AsRef<[u8]>, expected: &[Output]) {
    check_with(input.as_ref(), Some(limit), expected, None);
}

/// Feeds the given chunks (exactly as given) and returns the outputs.
fn feed_exactly(chunks: &[&[u8]]) -> Vec<Output> {
    run_chunks(DEFAULT_MAX_EVENT_SIZE, chunks.iter().copied()).outputs
}

fn ev(event_type: &str, data: &str, last_event_id: &str) -> Output {
    Output::Event {
        event_type: event_type.to_owned(),
        data: data.to_owned(),
        last_event_id: last_event_id.to_owned(),
    }
}

fn msg(data: &str) -> Output {
    ev("message", data, "")
}

fn retry(ms: u64) -> Output {
    Output::Retry(ms)
}

fn comment(text: &str) -> Output {
    Output::Comment(text.to_owned())
}

const TOO_LARGE: Output = Output::TooLarge;

// ---------------------------------------------------------------------------------------------
// Line endings
// ---------------------------------------------------------------------------------------------

// "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED
// (LF) character not preceded by a U+000D CARRIAGE RETURN (CR) character, and a single U+000D
// CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF) character being the
// ways in which a line can end."

#[test]
fn lf_line_endings() {
    check("data: hello\n\n", &[msg("hello")]);
}

#[test]
fn crlf_line_endings() {
    check("data: hello\r\n\r\n", &[msg("hello")]);
}

#[test]
fn cr_line_endings() {
    check("data: hello\r\r", &[msg("hello")]);
}

#[test]
fn mixed_line_endings() {
    check(
        "data: a\r\ndata: b\rdata: c\n\r\nevent: x\rdata: d\r\r\n",
        &[msg("a\nb\nc"), ev("x", "d", "")],
    );
}

// A CRLF pair is one line ending even when the CR ends one chunk and the LF starts the next:
// otherwise the LF would end a blank line and dispatch "a" on its own.
#[test]
fn crlf_split_across_chunks_is_one_line_ending() {
    assert_eq!(
        feed_exactly(&[b"data: a\r", b"\ndata: b\r", b"\n", b"\r", b"\n"]),
        [msg("a\nb")]
    );
    assert_eq!(
        feed_exactly(&[b"data: a\r", b"", b"\n", b"data: b\r\n\r", b"", b"\n"]),
        [msg("a\nb")]
    );
    check("data: a\r\ndata: b\r\n\r\n", &[msg("a\nb")]);
}

// "a single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF)":
// two CRs are two line endings, so the second ends a blank line.
#[test]
fn consecutive_crs_are_separate_line_endings() {
    check("data: a\r\rdata: b\r\r", &[msg("a"), msg("b")]);
}

// LF followed by CR is two line endings (LF, then a lone CR), not one.
#[test]
fn lf_cr_is_two_line_endings() {
    check("data: a\n\rdata: b\n\n", &[msg("a"), msg("b")]);
}

// A CR at the very end of the stream still ends its line: it needs no following byte.
#[test]
fn cr_at_end_of_stream_ends_the_line() {
    check("data: a\n\r", &[msg("a")]);
    assert_eq!(feed_exactly(&[b"data: a\r", b"\r"]), [msg("a")]);
}

// ---------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------

// "If the line is empty (a blank line): Dispatch the event."
#[test]
fn blank_line_dispatches_each_event() {
    check(
        "data: one\n\ndata: two\n\ndata: three\n\n",
        &[msg("one"), msg("two"), msg("three")],
    );
}

// Blank lines with nothing buffered dispatch nothing ("If the data buffer is an empty
// string ... return").
#[test]
fn blank_lines_alone_dispatch_nothing() {
    check("\n\n\r\n\r\r\n", &[]);
    check("", &[]);
}

// A line holding only a space is not empty: it is a field named " " (ignored), not a blank line.
#[test]
fn whitespace_line_is_not_blank() {
    check("data: a\n \ndata: b\n\n", &[msg("a\nb")]);
}

// "If the line starts with a U+003A COLON character (:): Ignore the line." This parser reports
// the text after the colon (minus one leading space) as a comment; the event is unaffected.
#[test]
fn comment_lines() {
    check(
        ": hello\n:\n:  two spaces\n:no space\n::\n",
        &[
            comment("hello"),
            comment(""),
            comment(" two spaces"),
            comment("no space"),
            comment(":"),
        ],
    );
}

// Comments (e.g. keep-alives) inside an event do not break it.
#[test]
fn comment_inside_event() {
    check(
        "data: a\n: keep-alive\ndata: b\n\n",
        &[comment("keep-alive"), msg("a\nb")],
    );
}

// A stream of only comments dispatches no event.
#[test]
fn comment_only_stream() {
    check(
        ": one\r\n: two\r: three\n\n\n",
        &[comment("one"), comment("two"), comment("three")],
    );
}

// "Collect the characters on the line before the first U+003A COLON character (:) ... after
// the first U+003A COLON character": later colons belong to the value.
#[test]
fn value_is_split_at_the_first_colon() {
    check("data: a:b: c\ndata::\n\n", &[msg("a:b: c\n:")]);
}

// "If value starts with a U+0020 SPACE character, remove it from value." -- exactly one.
#[test]
fn exactly_one_leading_space_is_removed() {
    check("data:x\n\n", &[msg("x")]);
    check("data: x\n\n", &[msg("x")]);
    check("data:  x\n\n", &[msg(" x")]);
    check("data:   \n\n", &[msg("  ")]);
}

// Only U+0020 SPACE is removed, not a tab; trailing spaces are kept.
#[test]
fn tabs_and_trailing_spaces_are_kept() {
    check("data:\tx\n\n", &[msg("\tx")]);
    check("data: x  \n\n", &[msg("x  ")]);
}

// "data:" and "data: " give an empty value.
#[test]
fn data_with_empty_value() {
    check("data:\n\n", &[msg("")]);
    check("data: \n\n", &[msg("")]);
}

// "Otherwise, the string is not empty but does not contain a U+003A COLON character (:):
// Process the field using the whole line as the field name, and the empty string as the field
// value." So a bare `data` line appends an empty value plus LF and dispatches an empty message.
#[test]
fn field_without_colon_has_empty_value() {
    check("data\n\n", &[msg("")]);
}

// `data` twice appends "\n" twice; dispatch removes only the last LF.
#[test]
fn data_lines_with_only_empty_values() {
    check("data\ndata\n\n", &[msg("\n")]);
    check("data:\ndata:\ndata:\n\n", &[msg("\n\n")]);
}

// "Append the field value to the data buffer, then append a single U+000A LINE FEED (LF)
// character" and at dispatch "If the data buffer's last character is a U+000A LINE FEED (LF)
// character, then remove the last character".
#[test]
fn multiple_data_lines_join_with_lf() {
    check(
        "data: first\ndata: second\ndata\ndata: fourth\n\n",
        &[msg("first\nsecond\n\nfourth")],
    );
    check("data: a\ndata:\n\n", &[msg("a\n")]);
}

// "Field names must be compared literally, with no case folding performed."
#[test]
fn field_names_are_case_sensitive() {
    check(
        "Data: x\nDATA: y\n\nEvent: e\nID: 1\nRetry: 5\ndata: z\n\n",
        &[msg("z")],
    );
}

// The field name is everything before the colon: no trimming of spaces around it.
#[test]
fn field_names_are_not_trimmed() {
    check("data : x\n data: y\n\n", &[]);
}

// "Otherwise: The field is ignored."
#[test]
fn unknown_fields_are_ignored() {
    check(
        "foo: bar\ndata: x\nmessage: y\nDATA\nevents: z\n\n",
        &[msg("x")],
    );
}

// NUL characters are ordinary characters in data.
#[test]
fn nul_in_data_is_kept() {
    check("data: a\0b\n\n", &[msg("a\0b")]);
}

// ---------------------------------------------------------------------------------------------
// event
// ---------------------------------------------------------------------------------------------

// "If the field name is "event": Set the event type buffer to field value." and "If the event
// type buffer has a value other than the empty string, change the type of the newly created
// event to equal the value of the event type buffer."
#[test]
fn event_field_sets_the_type() {
    check(
        "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n",
        &[ev("add", "73857293", ""), ev("remove", "2153", "")],
    );
}

// "Set the data buffer and the event type buffer to the empty string": the type does not
// carry over to the next event.
#[test]
fn event_type_is_reset_after_dispatch() {
    check(
        "event: add\ndata: 1\n\ndata: 2\n\n",
        &[ev("add", "1", ""), msg("2")],
    );
}

// Step 2 resets the type buffer too when there is no data: an `event` in a block without data
// does not leak into the next event.
#[test]
fn event_type_is_reset_by_a_dispatch_without_data() {
    check("event: add\n\ndata: 2\n\n", &[msg("2")]);
}

// An empty `event` value (or a bare `event` line) leaves the type "message".
#[test]
fn empty_event_type_means_message() {
    check("event:\ndata: x\n\n", &[msg("x")]);
    check("event: add\nevent\ndata: y\n\n", &[msg("y")]);
}

// "Set the event type buffer": the last `event` field of the block wins, wherever it is.
#[test]
fn last_event_field_wins() {
    check("event: a\ndata: x\nevent: b\n\n", &[ev("b", "x", "")]);
}

// The type is taken literally, spaces (except one) and case included.
#[test]
fn event_type_is_literal() {
    check(
        "event:  Spaced Out \ndata\n\n",
        &[ev(" Spaced Out ", "", "")],
    );
}

// ---------------------------------------------------------------------------------------------
// id
// ---------------------------------------------------------------------------------------------

// "If the field value does not contain U+0000 NULL, then set the last event ID buffer to the
// field value." and the event's lastEventId is "the last event ID string of the event source".
#[test]
fn id_sets_last_event_id() {
    check_id("id: 1\ndata: a\n\n", &[ev("message", "a", "1")], "1");
}

// "The buffer does not get reset, so the last event ID string of the event source remains set
// to this value until the next time it is set by the server."
#[test]
fn last_event_id_persists_across_events() {
    check_id(
        "id: 1\ndata: a\n\ndata: b\n\nevent: x\ndata: c\n\n",
        &[
            ev("message", "a", "1"),
            ev("message", "b", "1"),
            ev("x", "c", "1"),
        ],
        "1",
    );
}

// An empty `id` value is a valid ID: it resets the last event ID to the empty string.
#[test]
fn empty_id_resets_last_event_id() {
    check_id(
        "id: 1\ndata: a\n\nid\ndata: b\n\nid: 2\n\nid:\ndata: c\n\n",
        &[ev("message", "a", "1"), msg("b"), msg("c")],
        "",
    );
}

// "Otherwise, ignore the field": an id containing NUL changes nothing.
#[test]
fn id_with_nul_is_ignored() {
    check_id(
        "id: 1\n\nid: a\0b\ndata: x\n\nid: \0\ndata: y\n\n",
        &[ev("message", "x", "1"), ev("message", "y", "1")],
        "1",
    );
}

// Dispatch step 1, "Set the last event ID string of the event source to the value of the last
// event ID buffer", comes before step 2's early return: a block with an id but no data
// dispatches no event but still sets the last event ID.
#[test]
fn id_only_block_sets_last_event_id() {
    check_id("id: 7\n\n", &[], "7");
    check_id(
        "id: 7\n\ndata: after\n\n",
        &[ev("message", "after", "7")],
        "7",
    );
}

// The last event ID string is only set at dispatch, so an `id` anywhere in the block counts,
// even after the data.
#[test]
fn id_after_data_in_same_block() {
    check_id("data: a\nid: 5\n\n", &[ev("message", "a", "5")], "5");
}

// "Once the end of the file is reached, any pending data must be discarded": an id in an
// unfinished block never reaches the last event ID string.
#[test]
fn id_in_unfinished_block_is_discarded() {
    check_id(
        "id: 1\ndata: a\n\nid: 2\ndata: b\n",
        &[ev("message", "a", "1")],
        "1",
    );
}

// The id value follows the usual value rule: one space removed, the rest kept.
#[test]
fn id_value_keeps_extra_spaces() {
    check_id("id:  x \ndata\n\n", &[ev("message", "", " x ")], " x ");
}

// ---------------------------------------------------------------------------------------------
// retry
// ---------------------------------------------------------------------------------------------

// "If the field value consists of only ASCII digits, then interpret the field value as an
// integer in base ten, and set the event stream's reconnection time to that integer." It takes
// effect at once, without a blank line.
#[test]
fn retry_sets_reconnection_time() {
    check("retry: 1500\n", &[retry(1500)]);
    check("retry:0\nretry: 007\n", &[retry(0), retry(7)]);
}

// "Otherwise, ignore the field."
#[test]
fn retry_with_non_digits_is_ignored() {
    check(
        "retry: 15a\nretry: -1\nretry: +1\nretry: 1.5\nretry: 1 \nretry: 1e3\nretry:  5\nretry: \u{0661}\n",
        &[],
    );
}

// An empty value is not a number: `retry`, `retry:` and `retry: ` are ignored.
#[test]
fn retry_with_empty_value_is_ignored() {
    check("retry\nretry:\nretry: \n", &[]);
}

// Huge values saturate instead of overflowing.
#[test]
fn retry_huge_values_saturate() {
    check(
        "retry: 18446744073709551615\nretry: 18446744073709551616\nretry: 99999999999999999999999999999999\n",
        &[retry(u64::MAX), retry(u64::MAX), retry(u64::MAX)],
    );
}

// `retry` is reported in stream order and does not affect the event being built.
#[test]
fn retry_in_the_middle_of_an_event() {
    check("data: a\nretry: 10\ndata: b\n\n", &[retry(10), msg("a\nb")]);
}

// ---------------------------------------------------------------------------------------------
// End of stream
// ---------------------------------------------------------------------------------------------

// "If the file ends in the middle of an event, before the final empty line, the incomplete
// event is not dispatched."
#[test]
fn unfinished_event_is_not_dispatched() {
    check("data: a\n\ndata: b\n", &[msg("a")]);
    check("data: a\n\ndata: b", &[msg("a")]);
    check("data: a", &[]);
    check("event: x\ndata: a\n", &[]);
}

// A comment or retry needs its line ending too: an unterminated last line is not a line.
#[test]
fn unterminated_last_line_is_discarded() {
    check(": comment", &[]);
    check("retry: 100", &[]);
    check(": comment\nretry: 100", &[comment("comment")]);
}

// ---------------------------------------------------------------------------------------------
// Byte order mark and UTF-8
// ---------------------------------------------------------------------------------------------

// "Streams must be decoded using the UTF-8 decode algorithm", which strips one leading
// UTF-8 Byte Order Mark (EF BB BF).
#[test]
fn leading_bom_is_stripped() {
    check("\u{FEFF}data: x\n\n", &[msg("x")]);
    check("\u{FEFF}\n", &[]);
    check("\u{FEFF}", &[]);
}

// The BOM may arrive split across chunks.
#[test]
fn bom_split_across_chunks() {
    assert_eq!(
        feed_exactly(&[b"\xEF", b"\xBB", b"\xBFdata: x\n\n"]),
        [msg("x")]
    );
    assert_eq!(
        feed_exactly(&[b"\xEF", b"", b"\xBB\xBF", b"data: x\n\n"]),
        [msg("x")]
    );
}

// Only one BOM is stripped: a second one is text, here making the field name "\u{FEFF}data"
// (ignored), and a BOM inside a value is kept.
#[test]
fn second_bom_is_kept() {
    check("\u{FEFF}\u{FEFF}data: x\n\n", &[]);
    check("\u{FEFF}data: \u{FEFF}x\n\n", &[msg("\u{FEFF}x")]);
    check("\u{FEFF}: \u{FEFF}\n", &[comment("\u{FEFF}")]);
}

// The BOM is only special at the very start of the stream, never later: later, "\u{FEFF}data"
// is an unknown field name and "\u{FEFF}: c" is a field named "\u{FEFF}", not a comment.
#[test]
fn bom_later_in_stream_is_not_stripped() {
    check("data: a\n\n\u{FEFF}data: b\n\n\u{FEFF}: c\n", &[msg("a")]);
    check("\n\u{FEFF}data: b\n\n", &[]);
}

// An incomplete BOM is not a BOM: the bytes are invalid UTF-8 and decode to U+FFFD.
#[test]
fn partial_bom_is_invalid_text() {
    check(b"\xEF\xBB: x\n", &[]);
    check(b"\xEF\xBBdata: x\n\ndata: y\n\n", &[msg("y")]);
    check(b":\xEF\xBB\n", &[comment("\u{FFFD}")]);
    assert_eq!(
        feed_exactly(&[b"\xEF", b"\xBB", b"x\n", b": ok\n"]),
        [comment("ok")]
    );
    assert_eq!(feed_exactly(&[b"\xEF", b":\n"]), []);
}

// UTF-8 decode with replacement: each maximal invalid subpart becomes one U+FFFD.
#[test]
fn invalid_utf8_becomes_replacement_characters() {
    check(b"data: a\xFFb\n\n", &[msg("a\u{FFFD}b")]);
    check(b"data: \xE2\x82\n\n", &[msg("\u{FFFD}")]);
    check(b"data: \xE2\x82x\xC3\n\n", &[msg("\u{FFFD}x\u{FFFD}")]);
    check(
        b"data: \xC0\xAF\xED\xA0\x80\n\n",
        &[msg("\u{FFFD}".repeat(5).as_str())],
    );
}

// Invalid bytes in the type, the id and comments are replaced too.
#[test]
fn invalid_utf8_in_type_id_and_comment() {
    check_id(
        b": \xFF\nevent: \xFEx\nid: \xC3\ndata\n\n",
        &[comment("\u{FFFD}"), ev("\u{FFFD}x", "", "\u{FFFD}")],
        "\u{FFFD}",
    );
}

// Multi-byte characters split across chunks decode as if they had arrived whole (the byte by
// byte and random chunkings of `check` split them everywhere).
#[test]
fn multibyte_characters_split_across_chunks() {
    check(
        "data: caf\u{e9} \u{1F600} \u{4E2D}\u{6587}\nevent: \u{1F389}\n\n",
        &[ev("\u{1F389}", "caf\u{e9} \u{1F600} \u{4E2D}\u{6587}", "")],
    );
    assert_eq!(
        feed_exactly(&[b"data: \xF0\x9F", b"\x98", b"\x80\n", b"\n"]),
        [msg("\u{1F600}")]
    );
    // A truncated character followed by a line ending is invalid, however it is chunked.
    assert_eq!(
        feed_exactly(&[b"data: \xF0\x9F", b"\n", b"\x98\x80\n\n"]),
        [msg("\u{FFFD}")]
    );
    check(
        b"data: \xF0\x9F\ndata: \x98\x80\n\n",
        &[msg("\u{FFFD}\n\u{FFFD}\u{FFFD}")],
    );
}

// ---------------------------------------------------------------------------------------------
// Maximum event size (this parser's limit; not in the standard)
// ---------------------------------------------------------------------------------------------

// An oversized line is reported, the event is dropped, and parsing resumes after the next
// blank line.
#[test]
fn oversized_line_is_reported_and_skipped() {
    check_limit(
        16,
        "data: 0123456789abcdef\ndata: more\n\ndata: ok\n\n",
        &[TOO_LARGE, msg("ok")],
    );
}

// The size counts the accumulated data too: three 11-byte lines exceed 20 bytes.
#[test]
fn oversized_accumulated_data() {
    check_limit(
        20,
        "data: 12345\ndata: 12345\ndata: 12345\ndata: x\nretry: 5\n: c\n\ndata: ok\n\n",
        &[TOO_LARGE, msg("ok")],
    );
}

// An event of exactly the limit is accepted.
#[test]
fn event_at_the_limit_is_accepted() {
    // The line "data: 12345" is 11 bytes; then the buffer holds "12345\n" (6 bytes) and the
    // next line "event: abcd" (11 bytes) makes 17.
    check_limit(
        17,
        "data: 12345\nevent: abcd\n\n",
        &[ev("abcd", "12345", "")],
    );
    check_limit(
        16,
        "data: 12345\nevent: abcd\n\ndata: ok\n\n",
        &[TOO_LARGE, msg("ok")],
    );
}

// A single endless line never grows the buffer past the limit (the harness checks
// `buffered_len()` after every chunk); the error comes once, and the stream recovers.
#[test]
fn endless_line_stays_within_the_limit() {
    let mut stream = "data: ".to_owned() + &"x".repeat(5000);
    check_limit(64, &stream, &[TOO_LARGE]);
    stream.push_str("\r\n\r\ndata: ok\r\n\r\n");
    check_limit(64, &stream, &[TOO_LARGE, msg("ok")]);
}

// The blank line that ends a dropped event is processed as a blank line: it dispatches
// nothing, but an `id` read before the event grew too large still becomes the last event ID
// (so a reconnection does not ask for the dropped event again). Fields after the point of
// overflow are skipped, `id` included.
#[test]
fn oversized_event_keeps_earlier_id() {
    let big = "x".repeat(100);
    check_with(
        format!("id: 1\ndata: {big}\n\ndata: a\n\n").as_bytes(),
        Some(50),
        &[TOO_LARGE, ev("message", "a", "1")],
        Some("1"),
    );
    check_with(
        format!("data: {big}\nid: 2\n\ndata: a\n\n").as_bytes(),
        Some(50),
        &[TOO_LARGE, msg("a")],
        Some(""),
    );
}

// Skipping ends at a blank line only; a CRLF split from its CR, or a whitespace line, is not
// one.
#[test]
fn skipping_ends_only_at_a_blank_line() {
    let big = "y".repeat(40);
    check_limit(
        32,
        format!("data: {big}\r\n \r\ndata: skipped\r\n\r\nevent: e\r\ndata: ok\r\n\r\n"),
        &[TOO_LARGE, ev("e", "ok", "")],
    );
    check_limit(
        32,
        format!("data: {big}\r\rdata: ok\r\r"),
        &[TOO_LARGE, msg("ok")],
    );
}

// Consecutive oversized events are each reported.
#[test]
fn consecutive_oversized_events() {
    let big = "z".repeat(40);
    check_limit(
        32,
        format!(": {big}\n\n: {big}\n\ndata: ok\n\n"),
        &[TOO_LARGE, TOO_LARGE, msg("ok")],
    );
}

// A limit of zero rejects every non-empty line but never panics.
#[test]
fn zero_limit() {
    check_limit(0, "data: x\n\n\n\n: c\n\n", &[TOO_LARGE, TOO_LARGE]);
}

// ---------------------------------------------------------------------------------------------
// API behaviour
// ---------------------------------------------------------------------------------------------

// `finish` discards the unfinished event; the next chunk starts a new stream (BOM stripped
// again), keeping the last event ID as a browser does on reconnection.
#[test]
fn finish_starts_a_new_stream() {
    let mut parser = Parser::new();
    let mut out = Vec::new();
    parser.feed(b"id: 1\n\nid: 2\ndata: lost", &mut |item| {
        out.push(to_output(item, DEFAULT_MAX_EVENT_SIZE))
    });
    assert!(parser.finish(), "finish reports the discarded event");
    assert!(!parser.finish(), "nothing left to discard");
    assert_eq!(parser.last_event_id(), "1");
    parser.feed(b"\xEF\xBB\xBFdata: x\n\n", &mut |item| {
        out.push(to_output(item, DEFAULT_MAX_EVENT_SIZE))
    });
    assert_eq!(out, [ev("message", "x", "1")]);
}

// `finish` also forgets a pending CR: an LF starting the next stream is a line ending of its
// own (a blank line).
#[test]
fn finish_forgets_pending_cr() {
    let mut parser = Parser::new();
    let mut out = Vec::new();
    parser.feed(b"data: a\r", &mut |item| {
        out.push(to_output(item, DEFAULT_MAX_EVENT_SIZE))
    });
    parser.finish();
    parser.feed(b"data: b\n\n", &mut |item| {
        out.push(to_output(item, DEFAULT_MAX_EVENT_SIZE))
    });
    assert_eq!(out, [msg("b")]);
}

// `reset` returns to a fresh state (empty last event ID); `set_last_event_id` then resumes.
#[test]
fn reset_and_set_last_event_id() {
    let mut parser = Parser::with_max_event_size(100);
    let mut out = Vec::new();
    parser.feed_str("id: 9\ndata: a\n\ndata: partial", &mut |item| {
        out.push(to_output(item, 100))
    });
    parser.reset();
    assert_eq!(parser.last_event_id(), "");
    assert_eq!(parser.buffered_len(), 0);
    assert_eq!(parser.max_event_size(), 100);
    parser.set_last_event_id("41");
    assert_eq!(parser.last_event_id(), "41");
    parser.feed_str("\u{FEFF}data: b\n\nid: 42\ndata: c\n\n", &mut |item| {
        out.push(to_output(item, 100))
    });
    assert_eq!(
        out,
        [
            ev("message", "a", "9"),
            ev("message", "b", "41"),
            ev("message", "c", "42")
        ]
    );
}

// `feed_str` is `feed` on the bytes; `Parser::default()` is `Parser::new()`.
#[test]
fn feed_str_and_default() {
    let mut a = Parser::default();
    let mut b = Parser::new();
    assert_eq!(a.max_event_size(), DEFAULT_MAX_EVENT_SIZE);
    let (mut out_a, mut out_b) = (Vec::new(), Vec::new());
    let text = "event: \u{e9}\ndata: \u{1F600}\n\n";
    a.feed_str(text, &mut |item| out_a.push(to_output(item, 0)));
    b.feed(text.as_bytes(), &mut |item| out_b.push(to_output(item, 0)));
    assert_eq!(out_a, out_b);
    assert_eq!(out_a, [ev("\u{e9}", "\u{1F600}", "")]);
}

// A `dyn FnMut` sink works too.
#[test]
fn dyn_sink() {
    let mut parser = Parser::new();
    let mut count = 0;
    let sink: &mut dyn FnMut(Item<'_>) = &mut |_item| count += 1;
    parser.feed(b"data\n\n: c\n", sink);
    assert_eq!(count, 2);
}

// The error type displays a useful message.
#[test]
fn error_message() {
    let error = ParseError::EventTooLarge { limit: 10 };
    assert!(error.to_string().contains("10 bytes"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Randomized differential test against the reference parser
// ---------------------------------------------------------------------------------------------

const FRAGMENTS: &[&[u8]] = &[
    b"data",
    b"data",
    b"data:",
    b"data: ",
    b":",
    b": ",
    b" ",
    b"  ",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"\r",
    b"\n",
    b"id",
    b"id:",
    b"id: ",
    b"event",
    b"event:",
    b"event: ",
    b"retry",
    b"retry:",
    b"retry: ",
    b"\xEF\xBB\xBF",
    b"\xEF",
    b"\xBB",
    b"\xBF",
    b"\0",
    b"\xC3",
    b"\xA9",
    b"\xC3\xA9",
    b"\xFF",
    b"\xE2\x82",
    b"\xE2\x82\xAC",
    b"\xF0\x9F",
    b"\x98\x80",
    b"0",
    b"7",
    b"123",
    b"18446744073709551616",
    b"x",
    b"message",
    b"Data",
    b"DATA",
    b"ID",
    b"\t",
    b"a:b",
];

const FIELDS: &[&[u8]] = &[
    b"data",
    b"data",
    b"data",
    b"event",
    b"id",
    b"retry",
    b"",
    b"Data",
    b"x",
    b"\xEF\xBB\xBF",
];
const SEPARATORS: &[&[u8]] = &[b":", b": ", b":  ", b"", b" :", b"::"];
const LINE_ENDINGS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"\r",
    b"\n\n",
    b"\r\n\r\n",
    b"\r\r",
    b"\n\r",
];

/// A random stream: sometimes starting with (part of) a BOM, then a mix of well-formed-ish
/// lines (field, separator, value fragments, line ending) and arbitrary fragments.
fn random_stream(rng: &mut Rng) -> Vec<u8> {
    let mut stream = Vec::new();
    match rng.below(6) {
        0 => stream.extend_from_slice(b"\xEF\xBB\xBF"),
        1 => stream.extend_from_slice(&b"\xEF\xBB\xBF"[..rng.below(3)]),
        _ => {}
    }
    let pieces = rng.below(24);
    for _ in 0..pieces {
        if rng.below(3) == 0 {
            stream.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        } else {
            stream.extend_from_slice(FIELDS[rng.below(FIELDS.len())]);
            stream.extend_from_slice(SEPARATORS[rng.below(SEPARATORS.len())]);
            for _ in 0..rng.below(4) {
                stream.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            }
            stream.extend_from_slice(LINE_ENDINGS[rng.below(LINE_ENDINGS.len())]);
        }
    }
    stream
}

/// Thousands of random streams, each fed whole, byte by byte and in random chunkings, must give
/// exactly what the reference parser gives for the whole stream.
#[test]
fn differential_against_reference() {
    let mut rng = Rng::new(0x5EED_0001);
    let mut events = 0;
    for case in 0..5000 {
        let stream = random_stream(&mut rng);
        let expected = reference_parser::parse(&stream);
        events += expected
            .outputs
            .iter()
            .filter(|o| matches!(o, Output::Event { .. }))
            .count();
        for (how, run) in all_chunkings(&stream, usize::MAX, 8) {
            assert_eq!(
                run.outputs, expected.outputs,
                "case {case}: stream {stream:?} fed {how}"
            );
            assert_eq!(
                run.last_event_id, expected.last_event_id,
                "case {case}: last event ID of stream {stream:?} fed {how}"
            );
        }
    }
    // Make sure the generator actually produces events.
    assert!(events > 3000, "only {events} events generated");
}

/// With small limits: never more than the limit buffered, the same result for every chunking,
/// and the reference's result whenever no event was too large.
#[test]
fn differential_with_small_limits() {
    let mut rng = Rng::new(0x5EED_0002);
    let mut errors = 0;
    for case in 0..2000 {
        let stream = random_stream(&mut rng);
        let limit = rng.below(40);
        let runs = all_chunkings(&stream, limit, 6);
        let (_, first) = &runs[0];
        for (how, run) in &runs[1..] {
            assert_eq!(
                run, first,
                "case {case}: stream {stream:?} with limit {limit} fed {how} differs from whole"
            );
        }
        if first.outputs.contains(&Output::TooLarge) {
            errors += 1;
        } else {
            let expected = reference_parser::parse(&stream);
            assert_eq!(
                first.outputs, expected.outputs,
                "case {case}: stream {stream:?} with limit {limit}"
            );
            assert_eq!(first.last_event_id, expected.last_event_id, "case {case}");
        }
    }
    assert!(errors > 300, "only {errors} streams hit the limit");
}

// ---------------------------------------------------------------------------------------------
// The shared conformance streams (also served by the companion server for the browser
// differential test): the parser agrees with the reference on each, in every chunking.
// ---------------------------------------------------------------------------------------------

mod shared_streams {
    include!("support/conformance_streams.rs");
}

#[test]
fn shared_conformance_streams_match_the_reference_in_every_chunking() {
    for (name, input) in shared_streams::CONFORMANCE_STREAMS {
        let reference = reference_parser::parse(input);
        for (how, run) in all_chunkings(input, DEFAULT_MAX_EVENT_SIZE, 16) {
            assert_eq!(run.outputs, reference.outputs, "conf-{name} fed {how}");
            assert_eq!(
                run.last_event_id, reference.last_event_id,
                "conf-{name} fed {how}"
            );
        }
    }
}
