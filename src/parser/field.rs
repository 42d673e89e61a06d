//! "Process the field" and "dispatch the event": what one complete line of an event stream
//! does to the parser's buffers (WHATWG HTML, "Interpreting an event stream").

use std::borrow::Cow;

use memchr::memchr;

use super::{extend_bounded, Event, Item, Parser};

impl Parser {
    /// Processes one complete line (without its line ending).
    pub(super) fn process_line(&mut self, line: &[u8], sink: &mut dyn FnMut(Item<'_>)) {
        // "If the line is empty (a blank line): Dispatch the event."
        if line.is_empty() {
            self.dispatch(sink);
            return;
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the line."
        // (Reported as a comment; see `Item::Comment`.)
        if line[0] == b':' {
            let text = String::from_utf8_lossy(strip_space(&line[1..]));
            sink(Item::Comment(&text));
            return;
        }
        // "If the line contains a U+003A COLON character (:): Collect the characters on the line
        // before the first U+003A COLON character (:), and let field be that string. Collect
        // the characters on the line after the first U+003A COLON character (:), and let value
        // be that string. If value starts with a U+0020 SPACE character, remove it from value."
        // "Otherwise, the string is not empty but does not contain a U+003A COLON character (:):
        // Process the field using the whole line as the field name, and the empty string as the
        // field value."
        let (name, value) = match memchr(b':', line) {
            Some(colon) => (&line[..colon], strip_space(&line[colon + 1..])),
            None => (line, &[][..]),
        };
        // Field names and values are compared and stored as bytes: ':' , ' ', CR and LF are
        // ASCII, so splitting before decoding gives the same text as decoding first.
        match name {
            // "Set the event type buffer to field value."
            b"event" => {
                self.event_type.clear();
                extend_bounded(&mut self.event_type, value, self.max_event_size);
            }
            // "Append the field value to the data buffer, then append a single U+000A LINE FEED
            // (LF) character to the data buffer."
            b"data" => {
                extend_bounded(&mut self.data, value, self.max_event_size);
                extend_bounded(&mut self.data, b"\n", self.max_event_size);
            }
            // "If the field value does not contain U+0000 NULL, then set the last event ID
            // buffer to the field value. Otherwise, ignore the field."
            b"id" if memchr(0, value).is_none() => {
                self.id_buffer.clear();
                extend_bounded(&mut self.id_buffer, value, self.max_event_size);
                self.id_dirty = true;
            }
            // "If the field value consists of only ASCII digits, then interpret the field value
            // as an integer in base ten, and set the event stream's reconnection time to that
            // integer. Otherwise, ignore the field." (An empty value is not an integer.)
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |ms, digit| {
                    ms.saturating_mul(10)
                        .saturating_add(u64::from(digit - b'0'))
                });
                sink(Item::Retry(ms));
            }
            // "Otherwise: The field is ignored." (Also an `id` with NUL, a `retry` that is not
            // a number.)
            _ => {}
        }
    }

    /// "Dispatch the event" (the standard's steps for web browsers).
    pub(super) fn dispatch(&mut self, sink: &mut dyn FnMut(Item<'_>)) {
        // 1. "Set the last event ID string of the event source to the value of the last event
        //    ID buffer. The buffer does not get reset."
        if self.id_dirty {
            self.id_dirty = false;
            self.last_event_id.clear();
            self.last_event_id
                .push_str(&String::from_utf8_lossy(&self.id_buffer));
        }
        // 2. "If the data buffer is an empty string, set the data buffer and the event type
        //    buffer to the empty string and return."
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        // 3. "If the data buffer's last character is a U+000A LINE FEED (LF) character, then
        //    remove the last character from the data buffer." (It always is.)
        if self.data.last() == Some(&b'\n') {
            self.data.pop();
        }
        // 5./6. The type is "message" unless "the event type buffer has a value other than the
        //    empty string".
        let event_type = if self.event_type.is_empty() {
            String::from("message")
        } else {
            decode(std::mem::take(&mut self.event_type))
        };
        // 7. "Set the data buffer and the event type buffer to the empty string." (Taken.)
        let event = Event {
            event_type,
            data: decode(std::mem::take(&mut self.data)),
            last_event_id: self.last_event_id.clone(),
        };
        sink(Item::Event(event));
    }
}

/// Removes one leading U+0020 SPACE.
fn strip_space(value: &[u8]) -> &[u8] {
    match value {
        [b' ', rest @ ..] => rest,
        _ => value,
    }
}

/// Decodes UTF-8 with U+FFFD replacement, without copying valid input.
fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => match String::from_utf8_lossy(error.as_bytes()) {
            Cow::Owned(text) => text,
            // Unreachable (the bytes are invalid), but harmless.
            Cow::Borrowed(text) => text.to_owned(),
        },
    }
}
