//! A spec-exact, incremental Server-Sent Events parser with no web dependencies.
//!
//! [`Parser`] implements the WHATWG HTML standard, section 9.2.6 "Interpreting an event
//! stream": feed it the bytes of a `text/event-stream` response in chunks of any size, and it
//! calls your sink with an [`Item`] for every dispatched [`Event`], every valid `retry` field,
//! every comment line, and every [`ParseError`].
//!
//! - Chunking never changes the result: a line (or a UTF-8 character, a CRLF pair or the
//!   leading byte order mark) split across chunks is handled as if it had arrived whole.
//! - Text is decoded exactly like the standard's UTF-8 decode (the same as
//!   [`String::from_utf8_lossy`] on the whole stream): invalid bytes become U+FFFD.
//! - Memory is bounded by the maximum event size (default [`DEFAULT_MAX_EVENT_SIZE`]); a
//!   larger event is dropped and reported as [`ParseError::EventTooLarge`], and parsing
//!   resumes at the next event.
//! - It never panics, whatever the input.
//!
//! ```
//! use eventsource_wasm::parser::{Item, Parser};
//!
//! let mut parser = Parser::new();
//! let mut events = Vec::new();
//! // Chunks may split lines anywhere, even between the CR and LF of a CRLF.
//! for chunk in ["event: greeting\r", "\ndata: hel", "lo\n\n: keep-alive\n"] {
//!     parser.feed_str(chunk, &mut |item| match item {
//!         Item::Event(event) => events.push(event),
//!         Item::Comment(text) => assert_eq!(text, "keep-alive"),
//!         _ => {}
//!     });
//! }
//! parser.finish();
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].event_type, "greeting");
//! assert_eq!(events[0].data, "hello");
//! ```

use std::fmt;

use memchr::memchr2;

mod field;
mod item;

pub use self::item::{Event, Item, ParseError};

/// The default maximum event size: 1 MiB (see [`Parser::with_max_event_size`]).
pub const DEFAULT_MAX_EVENT_SIZE: usize = 1024 * 1024;

/// The UTF-8 encoding of U+FEFF BYTE ORDER MARK.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// An incremental Server-Sent Events parser (WHATWG HTML, "Interpreting an event stream").
///
/// Feed it a stream's bytes with [`feed`](Self::feed) (or text with
/// [`feed_str`](Self::feed_str)), in chunks of any size; call [`finish`](Self::finish) when the
/// stream ends. One parser can parse consecutive streams (reconnections): after `finish`, the
/// next chunk starts a new stream, and the last event ID carries over as in browsers.
///
/// # Memory
///
/// The parser keeps at most the maximum event size in bytes for the event being read (the
/// partial line carried over from the previous chunk plus the event's `data` and `event`
/// values; see [`buffered_len`](Self::buffered_len)), plus the last event ID (which is at most
/// one line, so also bounded by the maximum event size), whatever the input.
///
/// # Example
///
/// ```
/// use eventsource_wasm::parser::{Item, Parser};
///
/// let mut parser = Parser::with_max_event_size(64);
/// let mut items = Vec::new();
/// let stream = "retry: 5000\nid: 1\ndata: first\ndata: second\n\n".to_owned()
///     + "event: huge\ndata: " + &"x".repeat(100) + "\n\n"
///     + "event: update\ndata: after\n\n";
/// // Any chunking gives the same result.
/// for chunk in stream.as_bytes().chunks(7) {
///     parser.feed(chunk, &mut |item| {
///         items.push(match item {
///             Item::Event(event) => format!("{} {:?} (id {})", event.event_type, event.data, event.last_event_id),
///             Item::Retry(ms) => format!("retry {ms}"),
///             Item::Comment(text) => format!("comment {text:?}"),
///             Item::Error(error) => error.to_string(),
///             _ => "something new".into(),
///         })
///     });
/// }
/// // The end of the stream: an unfinished event would be discarded.
/// parser.finish();
/// assert_eq!(
///     items,
///     [
///         "retry 5000",
///         r#"message "first\nsecond" (id 1)"#,
///         "an event in the stream exceeded the maximum event size of 64 bytes and was dropped",
///         r#"update "after" (id 1)"#,
///     ]
/// );
/// assert_eq!(parser.last_event_id(), "1");
/// ```
#[derive(Clone)]
pub struct Parser {
    /// Maximum bytes of the partial line plus the data and event type buffers.
    max_event_size: usize,
    /// Whether the stream's first bytes have been checked for a byte order mark.
    bom_checked: bool,
    /// How many bytes of a byte order mark have been seen at the start of the stream (while
    /// `bom_checked` is false).
    bom_seen: usize,
    /// The previous chunk ended with a CR: an LF at the start of the next one belongs to it.
    pending_cr: bool,
    /// The bytes of a line that started in an earlier chunk (without its line ending).
    partial: Vec<u8>,
    /// The data buffer (undecoded; decoded at dispatch).
    data: Vec<u8>,
    /// The event type buffer (undecoded).
    event_type: Vec<u8>,
    /// The last event ID buffer (undecoded).
    id_buffer: Vec<u8>,
    /// The buffer changed since it was last copied into `last_event_id`.
    id_dirty: bool,
    /// The last event ID string.
    last_event_id: String,
    /// After an oversized event: lines are ignored until the next blank line.
    skipping: bool,
    /// While skipping: the current line has content (so its end is not a blank line).
    skip_line_has_content: bool,
}

impl fmt::Debug for Parser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser")
            .field("max_event_size", &self.max_event_size)
            .field("buffered_len", &self.buffered_len())
            .field("last_event_id", &self.last_event_id)
            .field("skipping", &self.skipping)
            .finish_non_exhaustive()
    }
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the default maximum event size, [`DEFAULT_MAX_EVENT_SIZE`] (1 MiB).
    #[must_use]
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A parser that accepts events of up to `max_event_size` bytes.
    ///
    /// The size of an event is counted in stream bytes: the length of the line being read
    /// (field name, colon and value, without the line ending) plus the event's accumulated
    /// `data` values (each with its line feed) and its `event` value. When a line would take it
    /// past the limit, the parser reports [`ParseError::EventTooLarge`], drops the event's data
    /// and type, and ignores the lines up to the next blank line. That blank line is processed
    /// as usual: it dispatches nothing (the data is gone) but, as any blank line, makes an `id`
    /// read before the overflow the last event ID string, so a reconnection does not ask for
    /// the dropped event again. A limit of 0 rejects every non-empty line; `usize::MAX` means
    /// no limit.
    #[must_use]
    pub fn with_max_event_size(max_event_size: usize) -> Self {
        Parser {
            max_event_size,
            bom_checked: false,
            bom_seen: 0,
            pending_cr: false,
            partial: Vec::new(),
            data: Vec::new(),
            event_type: Vec::new(),
            id_buffer: Vec::new(),
            id_dirty: false,
            last_event_id: String::new(),
            skipping: false,
            skip_line_has_content: false,
        }
    }

    /// The maximum event size, in bytes.
    #[must_use]
    pub fn max_event_size(&self) -> usize {
        self.max_event_size
    }

    /// The last event ID string: the value of the last valid `id` field of a dispatched event
    /// block (set at the blank line, even if the block had no data and so no event), or the ID
    /// given to [`set_last_event_id`](Self::set_last_event_id). A browser sends it as the
    /// `Last-Event-ID` header when it reconnects. Initially empty.
    #[must_use]
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Sets the last event ID string and the last event ID buffer, as a browser does when it
    /// starts parsing a reconnected stream: events carry this ID until the stream sets another.
    /// Call it after [`reset`](Self::reset) to resume from a known ID.
    pub fn set_last_event_id(&mut self, id: &str) {
        self.last_event_id.clear();
        self.last_event_id.push_str(id);
        self.id_buffer.clear();
        self.id_buffer.extend_from_slice(id.as_bytes());
        self.id_dirty = false;
    }

    /// The number of bytes the parser currently holds for the event being read: the partial
    /// line carried over from earlier chunks plus the data and event type buffers. It never
    /// exceeds the [maximum event size](Self::max_event_size). (The last event ID is kept
    /// separately; it is at most one line long.)
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        self.partial.len() + self.data.len() + self.event_type.len()
    }

    /// Feeds the next chunk of the stream's bytes, calling `sink` with each [`Item`] found, in
    /// order. Chunks may split the stream anywhere.
    ///
    /// Lines whose line ending has not arrived yet are kept until it does; an event is
    /// dispatched at the blank line that ends it. Never panics, whatever the bytes (unless
    /// `sink` does).
    pub fn feed<F>(&mut self, chunk: &[u8], sink: &mut F)
    where
        F: FnMut(Item<'_>) + ?Sized,
    {
        // One copy of the parsing code, whatever the sink (smaller wasm); the indirect call per
        // item costs nothing next to the item's own work.
        self.feed_dyn(chunk, &mut |item| sink(item));
    }

    fn feed_dyn(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Item<'_>)) {
        let mut chunk = chunk;
        if !self.bom_checked {
            // "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM)":
            // only the stream's first three bytes can be one, and they may arrive in pieces.
            let start = self.bom_seen;
            let mut matched = start;
            let mut used = 0;
            while matched < BOM.len() && used < chunk.len() && chunk[used] == BOM[matched] {
                matched += 1;
                used += 1;
            }
            if matched == BOM.len() {
                self.bom_checked = true;
                chunk = &chunk[used..];
            } else if used == chunk.len() {
                // Still a prefix of a BOM: wait for more.
                self.bom_seen = matched;
                return;
            } else {
                // Not a BOM: the bytes held back from earlier chunks are ordinary text (they
                // contain no line ending, so they just start the first line).
                self.bom_checked = true;
                self.bom_seen = 0;
                self.process(&BOM[..start], sink);
            }
        }
        self.process(chunk, sink);
    }

    /// Feeds the next chunk of the stream as text; the same as
    /// [`feed`](Self::feed)`(chunk.as_bytes(), sink)`.
    pub fn feed_str<F>(&mut self, chunk: &str, sink: &mut F)
    where
        F: FnMut(Item<'_>) + ?Sized,
    {
        self.feed(chunk.as_bytes(), sink);
    }

    /// Ends the stream. As the standard says, "if the file ends in the middle of an event,
    /// before the final empty line, the incomplete event is not dispatched": the unterminated
    /// line and the data and event type of the unfinished event are discarded.
    ///
    /// The parser is then ready for a new stream (a reconnection): the next chunk is checked
    /// for a byte order mark again, and the last event ID string is kept (an `id` field of the
    /// discarded event does not change it).
    ///
    /// Returns whether anything was discarded (an unterminated line or an unfinished event).
    pub fn finish(&mut self) -> bool {
        let discarded = self.bom_seen > 0 || self.buffered_len() > 0 || self.id_dirty;
        self.bom_checked = false;
        self.bom_seen = 0;
        self.pending_cr = false;
        self.partial.clear();
        self.data.clear();
        self.event_type.clear();
        self.skipping = false;
        self.skip_line_has_content = false;
        if self.id_dirty {
            self.id_buffer.clear();
            self.id_buffer
                .extend_from_slice(self.last_event_id.as_bytes());
            self.id_dirty = false;
        }
        discarded
    }

    /// Returns the parser to the state of a new one (keeping its maximum event size): no
    /// partial event, an empty last event ID, and the next chunk is the start of a stream.
    pub fn reset(&mut self) {
        self.finish();
        self.last_event_id.clear();
        self.id_buffer.clear();
    }

    /// Parses `input`, which follows the already-consumed stream (after the BOM check).
    fn process(&mut self, mut input: &[u8], sink: &mut dyn FnMut(Item<'_>)) {
        if input.is_empty() {
            return;
        }
        if self.pending_cr {
            // The LF of a CRLF pair whose CR ended the previous chunk.
            self.pending_cr = false;
            if input[0] == b'\n' {
                input = &input[1..];
            }
        }
        while !input.is_empty() {
            let Some(end) = memchr2(b'\r', b'\n', input) else {
                // An unterminated line: keep it for the next chunk.
                if self.skipping {
                    self.skip_line_has_content = true;
                } else if self.line_fits(input.len()) {
                    extend_bounded(&mut self.partial, input, self.max_event_size);
                } else {
                    self.too_large(true, sink);
                }
                return;
            };
            // CRLF, a lone LF, or a lone CR end a line.
            let mut next = end + 1;
            if input[end] == b'\r' {
                match input.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
            let content = &input[..end];
            input = &input[next..];
            if self.skipping {
                if content.is_empty() && !self.skip_line_has_content {
                    // The blank line ending the dropped event: processed as usual, so it
                    // dispatches nothing but still sets the last event ID string.
                    self.skipping = false;
                    self.dispatch(sink);
                }
                self.skip_line_has_content = false;
            } else if self.partial.is_empty() {
                // The whole line is in this chunk: parse it in place.
                if self.line_fits(content.len()) {
                    self.process_line(content, sink);
                } else {
                    self.too_large(false, sink);
                }
            } else if self.line_fits(content.len()) {
                // The end of a line that started in an earlier chunk.
                let mut line = std::mem::take(&mut self.partial);
                extend_bounded(&mut line, content, self.max_event_size);
                self.process_line(&line, sink);
                line.clear();
                self.partial = line;
            } else {
                self.too_large(false, sink);
            }
        }
    }

    /// Whether `extra` more bytes of the current line keep the event within the limit.
    fn line_fits(&self, extra: usize) -> bool {
        self.buffered_len()
            .checked_add(extra)
            .is_some_and(|size| size <= self.max_event_size)
    }

    /// Drops the event being read, reports it, and skips to the next blank line.
    /// `mid_line`: the line that broke the limit has not ended yet.
    fn too_large(&mut self, mid_line: bool, sink: &mut dyn FnMut(Item<'_>)) {
        self.partial.clear();
        self.data.clear();
        self.event_type.clear();
        self.skipping = true;
        self.skip_line_has_content = mid_line;
        sink(Item::Error(ParseError::EventTooLarge {
            limit: self.max_event_size,
        }));
    }
}

/// Appends `bytes`, growing the capacity geometrically but never past `limit` unless the
/// contents themselves need it.
fn extend_bounded(buffer: &mut Vec<u8>, bytes: &[u8], limit: usize) {
    let needed = buffer.len().saturating_add(bytes.len());
    if needed > buffer.capacity() {
        let target = buffer
            .capacity()
            .saturating_mul(2)
            .max(64)
            .min(limit)
            .max(needed);
        buffer.reserve_exact(target - buffer.len());
    }
    buffer.extend_from_slice(bytes);
}
