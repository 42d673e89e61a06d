//! Fuzzes `eventsource_wasm::parser::Parser`: no panics, bounded memory, the same result for
//! every chunking, and agreement with the reference parser in `tests/support`.
//!
//! Input layout: byte 0 picks the maximum event size (high bit set: a small limit, 0..=127
//! bytes, to exercise the oversized-event path; otherwise the default 1 MiB, which fuzz inputs
//! never reach); byte 1 gives the number `n` (1..=8) of chunk-size bytes that follow; those
//! bytes are the sizes of successive chunks, used cyclically (0 is an empty chunk); the rest is
//! the event stream.
//!
//! Run with `cargo fuzz run parser` from the repository root (needs nightly, or
//! `RUSTC_BOOTSTRAP=1` on stable).
#![no_main]

use eventsource_wasm::parser::{Event, Item, ParseError, Parser, DEFAULT_MAX_EVENT_SIZE};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/reference_parser.rs"]
mod reference_parser;

use reference_parser::Output;

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
            assert_eq!(reported, limit);
            Output::TooLarge
        }
        other => panic!("unexpected item {other:?}"),
    }
}

/// Feeds `chunks` as one stream, checking the memory bound after each; returns the outputs and
/// the final last event ID.
fn run<'a>(limit: usize, chunks: impl Iterator<Item = &'a [u8]>) -> (Vec<Output>, String) {
    let mut parser = Parser::with_max_event_size(limit);
    let mut outputs = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut |item| outputs.push(to_output(item, limit)));
        assert!(
            parser.buffered_len() <= limit,
            "buffered {} bytes, limit {limit}",
            parser.buffered_len()
        );
        // The last event ID came from one line within the limit (each byte decodes to at most
        // three: U+FFFD).
        assert!(parser.last_event_id().len() <= limit.saturating_mul(3));
    }
    parser.finish();
    assert_eq!(parser.buffered_len(), 0);
    (outputs, parser.last_event_id().to_owned())
}

/// Splits `stream` by the cyclic chunk sizes.
fn chunks<'a>(stream: &'a [u8], sizes: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = stream;
    let mut zeros = 0;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        if size == 0 {
            zeros += 1;
            out.push(&rest[..0]);
            if zeros >= sizes.len() {
                // Only empty chunks: feed the rest whole.
                out.push(rest);
                break;
            }
            continue;
        }
        zeros = 0;
        let size = usize::from(size).min(rest.len());
        out.push(&rest[..size]);
        rest = &rest[size..];
    }
    out
}

fuzz_target!(|input: &[u8]| {
    let [limit_byte, count_byte, rest @ ..] = input else {
        return;
    };
    let limit = if limit_byte & 0x80 != 0 {
        usize::from(limit_byte & 0x7F)
    } else {
        DEFAULT_MAX_EVENT_SIZE
    };
    let count = usize::from(count_byte % 8) + 1;
    if rest.len() < count {
        return;
    }
    let (sizes, stream) = rest.split_at(count);

    let chunked = run(limit, chunks(stream, sizes).into_iter());
    let whole = run(limit, std::iter::once(stream));
    assert_eq!(chunked, whole, "chunking changed the result");

    if !whole.0.contains(&Output::TooLarge) {
        let reference = reference_parser::parse(stream);
        assert_eq!(
            whole.0, reference.outputs,
            "differs from the reference parser"
        );
        assert_eq!(
            whole.1, reference.last_event_id,
            "last event ID differs from the reference"
        );
    }
});
