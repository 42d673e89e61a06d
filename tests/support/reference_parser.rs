//! A deliberately simple reference implementation of WHATWG HTML 9.2.6 "Interpreting an event
//! stream", used to check `eventsource_wasm::parser` (the conformance tests' differential test
//! and the fuzz target include this file with `#[path]`).
//!
//! It parses a whole stream at once and favours obviousness over speed: decode everything,
//! strip one BOM, cut it into lines one character at a time, then apply the field rules
//! literally. It has no size limit.
#![allow(dead_code)]

/// What a parser reports, in stream order (an owned, comparable form of the real parser's
/// items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A dispatched event.
    Event {
        /// The event type.
        event_type: String,
        /// The data.
        data: String,
        /// The last event ID string at dispatch.
        last_event_id: String,
    },
    /// A valid `retry` field.
    Retry(u64),
    /// A comment line: the text after the colon, minus one leading space.
    Comment(String),
    /// An event over the size limit (the reference has no limit and never reports this).
    TooLarge,
}

/// The result of parsing a whole stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Everything reported, in order.
    pub outputs: Vec<Output>,
    /// The last event ID string at the end of the stream.
    pub last_event_id: String,
}

/// Parses a complete stream. An unterminated last line and an event without its final blank
/// line are discarded, as at the end of a stream.
pub fn parse(stream: &[u8]) -> Parsed {
    // "Streams must be decoded using the UTF-8 decode algorithm", which replaces invalid bytes
    // with U+FFFD and strips one leading BOM.
    let decoded = String::from_utf8_lossy(stream);
    let text: &str = decoded.strip_prefix('\u{FEFF}').unwrap_or(&decoded);

    // Lines end with CRLF, a lone LF or a lone CR. Only lines with a line ending count.
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            lines.push(std::mem::take(&mut current));
        } else if c == '\n' {
            lines.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    // `current` (a line without a line ending) is dropped.

    let mut outputs = Vec::new();
    let mut data = String::new();
    let mut event_type = String::new();
    let mut id_buffer = String::new();
    let mut last_event_id = String::new();

    for line in lines {
        if line.is_empty() {
            // Dispatch the event.
            last_event_id = id_buffer.clone();
            if data.is_empty() {
                event_type = String::new();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let kind = if event_type.is_empty() {
                "message".to_string()
            } else {
                event_type.clone()
            };
            outputs.push(Output::Event {
                event_type: kind,
                data: data.clone(),
                last_event_id: last_event_id.clone(),
            });
            data = String::new();
            event_type = String::new();
            continue;
        }

        let (field, mut value) = match line.find(':') {
            Some(colon) => (line[..colon].to_string(), line[colon + 1..].to_string()),
            None => (line.clone(), String::new()),
        };
        if value.starts_with(' ') {
            value.remove(0);
        }
        if field.is_empty() {
            outputs.push(Output::Comment(value));
            continue;
        }
        if field == "event" {
            event_type = value;
        } else if field == "data" {
            data.push_str(&value);
            data.push('\n');
        } else if field == "id" {
            if !value.contains('\0') {
                id_buffer = value;
            }
        } else if field == "retry" && !value.is_empty() && value.chars().all(|c| c.is_ascii_digit())
        {
            // Only digits, so parsing can only fail by overflowing.
            outputs.push(Output::Retry(value.parse::<u64>().unwrap_or(u64::MAX)));
        }
    }

    Parsed {
        outputs,
        last_event_id,
    }
}
