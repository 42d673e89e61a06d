//! `createParser()`: the spec-exact parser for JavaScript, to parse SSE from any source
//! (a WebSocket relay, a file, a custom transport).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::snippets::emit_events;
use crate::bytes::{for_each_piece, ChunkError, PIECE_BYTES};
use crate::event_strings::EventStrings;
use crate::intrinsics::{snapshot_uint8_array, string_piece, uint8_array_length};
use crate::parser::{Item, ParseError, Parser, DEFAULT_MAX_EVENT_SIZE};

#[wasm_bindgen(typescript_custom_section)]
const TS_PARSER: &'static str = r#"
/** An event dispatched by the parser. */
export interface ParsedEvent {
  /** `"message"`, or the stream's `event:` field. */
  type: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last event ID set by an `id:` field at or before this event. */
  lastEventId: string;
}

/** Callbacks and limits for `createParser`. */
export interface ParserOptions {
  /** Called for each dispatched event. */
  onEvent: (event: ParsedEvent) => void;
  /** Called when a `retry:` field sets the reconnection time (milliseconds). */
  onRetry?: (ms: number) => void;
  /** Called for each comment line, with the text after the colon (one leading space removed). */
  onComment?: (comment: string) => void;
  /** Called when an event exceeds `maxEventSize`; it is dropped and parsing resumes after it. */
  onError?: (error: Error & { limit: number }) => void;
  /** The largest event accepted, in bytes. Default: 1 MiB. */
  maxEventSize?: number;
}
"#;

/// An incremental SSE parser for JS, from `createParser(options)`.
#[wasm_bindgen(js_name = EventStreamParser)]
pub struct JsParser {
    parser: RefCell<Parser>,
    /// A `feed` is delivering events (callbacks may feed more: those chunks wait in `queue`).
    feeding: Cell<bool>,
    queue: RefCell<VecDeque<Chunk>>,
    on_event: Function,
    on_retry: Option<Function>,
    on_comment: Option<Function>,
    on_error: Option<Function>,
}

/// A batch is delivered once its text reaches this size.
const BATCH_BYTES: usize = 8 * 1024;

/// Consecutive events waiting to be delivered by [`emit_events`].
#[derive(Default)]
struct Batch(EventStrings);

impl Batch {
    fn push(&mut self, event: &crate::parser::Event) {
        self.0.push(event);
    }

    /// Delivers the events and empties the batch.
    fn flush(&mut self, on_event: &Function) -> Result<(), JsValue> {
        if self.0.is_empty() {
            return Ok(());
        }
        let result = emit_events(on_event, &self.0.text, &self.0.lengths);
        self.0.clear();
        result
    }
}

impl std::fmt::Debug for JsParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStreamParser").finish_non_exhaustive()
    }
}

/// The most UTF-16 code units of a text chunk copied into wasm memory at a time.
const TEXT_PIECE_UNITS: u32 = 16 * 1024;

/// A chunk accepted by `feed`.
enum Chunk {
    /// A JS string.
    Text(JsValue),
    /// A genuine `Uint8Array`.
    Bytes(JsValue),
}

impl Chunk {
    /// Checks `value`; `keep` (a chunk that waits in the queue, or one larger than a piece,
    /// whose later bytes callbacks could change before they are read) copies bytes in JS first.
    fn of(value: JsValue, keep: bool) -> Result<Chunk, JsValue> {
        if value.is_string() {
            return Ok(Chunk::Text(value));
        }
        let Some(length) = uint8_array_length(&value) else {
            return Err(js_sys::TypeError::new(
                "EventStreamParser.feed(chunk): chunk must be a string or a Uint8Array",
            )
            .into());
        };
        if keep || length > PIECE_BYTES {
            return snapshot_uint8_array(&value).map(Chunk::Bytes);
        }
        Ok(Chunk::Bytes(value))
    }
}

enum Owned {
    Event(crate::parser::Event),
    Retry(u64),
    Comment(String),
    Error(ParseError),
}

fn optional_function(options: &JsValue, name: &str) -> Result<Option<Function>, JsValue> {
    let value = Reflect::get(options, &name.into())?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|_| {
        js_sys::TypeError::new(&["createParser: options.", name, " must be a function"].concat())
            .into()
    })
}

/// `createParser({ onEvent, onRetry, onComment, onError, maxEventSize })`.
#[wasm_bindgen(js_name = createParser)]
pub fn create_parser(
    #[wasm_bindgen(unchecked_param_type = "ParserOptions")] options: JsValue,
) -> Result<JsParser, JsValue> {
    if !options.is_object() {
        return Err(js_sys::TypeError::new(
            "createParser(options): pass an object such as { onEvent(event) { … } }",
        )
        .into());
    }
    let on_event = optional_function(&options, "onEvent")?.ok_or_else(|| {
        JsValue::from(js_sys::TypeError::new(
            "createParser: options.onEvent must be a function",
        ))
    })?;
    let max = Reflect::get(&options, &"maxEventSize".into())?;
    let max_event_size =
        if max.is_undefined() {
            DEFAULT_MAX_EVENT_SIZE
        } else {
            match max.as_f64() {
                Some(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
                _ => return Err(js_sys::TypeError::new(
                    "createParser: options.maxEventSize must be a positive whole number of bytes",
                )
                .into()),
            }
        };
    Ok(JsParser {
        parser: RefCell::new(Parser::with_max_event_size(max_event_size)),
        feeding: Cell::new(false),
        queue: RefCell::new(VecDeque::new()),
        on_event,
        on_retry: optional_function(&options, "onRetry")?,
        on_comment: optional_function(&options, "onComment")?,
        on_error: optional_function(&options, "onError")?,
    })
}

#[wasm_bindgen(js_class = EventStreamParser)]
impl JsParser {
    /// Parses the next chunk of the stream (text, or bytes in UTF-8 split anywhere) and calls
    /// the callbacks for what it completes. An exception from a callback is rethrown here, after
    /// every event of the chunk has been delivered.
    ///
    /// A chunk is parsed and delivered a piece at a time, so memory stays bounded whatever its
    /// size. A chunk fed from inside a callback is parsed after the one being delivered, in order
    /// (its events reach the callbacks before the outer `feed` returns).
    pub fn feed(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] chunk: JsValue,
    ) -> Result<(), JsValue> {
        let queued = self.feeding.get();
        let chunk = Chunk::of(chunk, queued)?;
        if queued {
            self.queue.borrow_mut().push_back(chunk);
            return Ok(());
        }
        self.feeding.set(true);
        let mut first_error = None;
        let mut next = Some(chunk);
        while let Some(chunk) = next {
            self.feed_chunk(&chunk, &mut first_error);
            next = self.queue.borrow_mut().pop_front();
        }
        self.feeding.set(false);
        first_error.map_or(Ok(()), Err)
    }

    /// Starts over as at the beginning of a new stream (a leading BOM is stripped again, the
    /// last event ID is cleared).
    pub fn reset(&self) {
        if let Ok(mut parser) = self.parser.try_borrow_mut() {
            parser.reset();
        }
    }

    /// The last event ID set by the stream so far.
    #[wasm_bindgen(getter = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.parser
            .try_borrow()
            .map(|parser| parser.last_event_id().to_owned())
            .unwrap_or_default()
    }
}

impl JsParser {
    /// Parses `chunk` a piece at a time, delivering what each piece completes before the next
    /// piece enters wasm memory. Keeps the first exception a callback threw.
    fn feed_chunk(&self, chunk: &Chunk, first_error: &mut Option<JsValue>) {
        match chunk {
            Chunk::Text(text) => {
                // A primitive string (checked by `Chunk::of`): its length cannot be overridden.
                let total = text.unchecked_ref::<js_sys::JsString>().length();
                let mut start = 0;
                while start < total {
                    let (end, piece) = match string_piece(text, start, TEXT_PIECE_UNITS) {
                        Ok(piece) => piece,
                        Err(error) => {
                            first_error.get_or_insert(error);
                            return;
                        }
                    };
                    if end <= start {
                        return;
                    }
                    self.parse_and_deliver(
                        |parser, sink| parser.feed_str(&piece, sink),
                        first_error,
                    );
                    start = end;
                }
            }
            Chunk::Bytes(bytes) => {
                let fed = for_each_piece(bytes, &mut Vec::new(), |piece| {
                    self.parse_and_deliver(|parser, sink| parser.feed(piece, sink), first_error);
                    true
                });
                if let Err(ChunkError::Threw(error)) = fed {
                    first_error.get_or_insert(error);
                }
            }
        }
    }

    /// Runs `parse` with the parser borrowed, then (the parser released, so callbacks may call
    /// `feed` or `reset`) delivers the items it produced.
    fn parse_and_deliver(
        &self,
        parse: impl FnOnce(&mut Parser, &mut dyn FnMut(Item<'_>)),
        first_error: &mut Option<JsValue>,
    ) {
        let mut items = Vec::new();
        {
            let Ok(mut parser) = self.parser.try_borrow_mut() else {
                first_error.get_or_insert_with(|| {
                    js_sys::Error::new("EventStreamParser.feed: busy").into()
                });
                return;
            };
            parse(&mut parser, &mut |item: Item<'_>| {
                items.push(match item {
                    Item::Event(event) => Owned::Event(event),
                    Item::Retry(ms) => Owned::Retry(ms),
                    Item::Comment(text) => Owned::Comment(text.to_owned()),
                    Item::Error(error) => Owned::Error(error),
                })
            });
        }
        // Every item is delivered even if a callback throws (the parser has moved past them);
        // the first exception is rethrown by `feed` afterwards.
        let mut batch = Batch::default();
        for item in items {
            let delivered = match item {
                Owned::Event(event) => {
                    batch.push(&event);
                    // Small batches: one long string sliced into large events costs more in
                    // V8 than it saves.
                    if batch.0.text.len() >= BATCH_BYTES {
                        batch.flush(&self.on_event)
                    } else {
                        Ok(())
                    }
                }
                other => batch.flush(&self.on_event).and(self.deliver(other)),
            };
            if let Err(error) = delivered {
                first_error.get_or_insert(error);
            }
        }
        if let Err(error) = batch.flush(&self.on_event) {
            first_error.get_or_insert(error);
        }
    }

    /// Calls the callback for one parsed item.
    fn deliver(&self, item: Owned) -> Result<(), JsValue> {
        match item {
            // Events go through `Batch`.
            Owned::Event(_) => {}
            Owned::Retry(ms) => {
                if let Some(on_retry) = &self.on_retry {
                    on_retry.call1(&JsValue::UNDEFINED, &JsValue::from_f64(ms as f64))?;
                }
            }
            Owned::Comment(text) => {
                if let Some(on_comment) = &self.on_comment {
                    on_comment.call1(&JsValue::UNDEFINED, &text.into())?;
                }
            }
            Owned::Error(error) => {
                if let Some(on_error) = &self.on_error {
                    let js_error = js_sys::Error::new(&error.message());
                    let ParseError::EventTooLarge { limit } = error;
                    Reflect::set(&js_error, &"limit".into(), &JsValue::from_f64(limit as f64))?;
                    on_error.call1(&JsValue::UNDEFINED, &js_error)?;
                }
            }
        }
        Ok(())
    }
}
