//! `onJson(type, callback, { schema })`: JSON data checked by a Standard Schema validator
//! (standardschema.dev: zod, valibot, arktype and others) before it reaches the callback.
//!
//! The validator's `~standard.validate(value)` returns `{ value }` (the output the callback
//! gets, transformed values included) or `{ issues }`, or a promise of one. Invalid data, a
//! validator that throws or rejects, and a result of the wrong shape become an `error` event of
//! kind `"schema"`; data that is not JSON stays an error of kind `"json"`. Nothing is thrown.
//!
//! One registration delivers in arrival order: while a promise from `validate()` is pending,
//! later events wait in its queue, and the callback (or the error) for each runs only after the
//! one before. Nothing is delivered once the registration is gone: its unsubscribe function
//! ran, `close()` was called, or the source released its listeners. When the source closes by
//! itself (`closeOn` completed the stream, or a fatal error), the events that arrived before are
//! still checked and delivered, and the fatal `error` and `close` events wait for them
//! (`drain.rs`, which bounds the wait). A registration that leaves cancels the promise it waits
//! on (`Pending::cancel`), so a validator that never settles holds nothing of ours.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::intrinsics::{pending, Pending};
use crate::support::{error_message, json_parse, prop};

use super::event_target::{Callback, Core};
use super::{define_properties, descriptors, report, type_error};

/// How many issues the `message` of a schema error names (the event carries all of them).
const LISTED_ISSUES: u32 = 3;
/// The longest issue message quoted in the summary, in characters.
const ISSUE_MESSAGE_CHARS: usize = 200;
/// The most path segments shown for one issue.
const PATH_SEGMENTS: u32 = 16;

const NOT_A_SCHEMA: &str = "Failed to execute 'onJson' on 'EventSource': options.schema is not a \
     Standard Schema: pass a validator whose '~standard' property has a validate() function \
     (a zod, valibot or arktype schema, or any other from standardschema.dev)";

/// A Standard Schema validator, read once at registration.
pub(super) struct Schema {
    /// `schema['~standard']`, the `this` of `validate`.
    props: JsValue,
    validate: Function,
}

impl Schema {
    /// The `schema` member of `onJson`'s options bag. `undefined` and `null` options, and an
    /// absent (`undefined`) `schema`, mean no schema. Anything else that is not an object (or
    /// function) whose `~standard.validate` is a function is a `TypeError`; a getter that throws
    /// throws to the caller.
    pub(super) fn from_options(options: &JsValue) -> Result<Option<Schema>, JsValue> {
        if options.is_undefined() || options.is_null() {
            return Ok(None);
        }
        if !is_object(options) {
            return Err(type_error(
                "Failed to execute 'onJson' on 'EventSource': the options (parameter 3) must be \
                 an object, e.g. { schema }",
            ));
        }
        let schema = Reflect::get(options, &"schema".into())?;
        if schema.is_undefined() {
            return Ok(None);
        }
        if !is_object(&schema) {
            return Err(type_error(NOT_A_SCHEMA));
        }
        let props = Reflect::get(&schema, &"~standard".into())?;
        if !is_object(&props) {
            return Err(type_error(NOT_A_SCHEMA));
        }
        let validate = Reflect::get(&props, &"validate".into())?
            .dyn_into::<Function>()
            .map_err(|_| type_error(NOT_A_SCHEMA))?;
        Ok(Some(Schema { props, validate }))
    }
}

/// An object or a function (arktype's schemas are functions).
fn is_object(value: &JsValue) -> bool {
    value.is_object() || value.is_function()
}

/// One `onJson(type, callback, { schema })` registration.
pub(super) struct Validated {
    core: Weak<Core>,
    callback: Function,
    schema: Schema,
    /// Events that arrived while an earlier one was being checked, oldest first.
    queue: RefCell<VecDeque<Arrival>>,
    /// An event is being checked (perhaps waiting for a promise): later ones queue.
    running: Cell<bool>,
    /// Cancels the promise being awaited, if any.
    waiting: RefCell<Option<Function>>,
}

/// An event waiting to be checked, with the `this` its listeners get.
struct Arrival {
    this: JsValue,
    event_type: String,
    event: JsValue,
}

/// What checking one event's data came to.
enum Outcome {
    /// The validator's output: the callback's argument.
    Valid(JsValue),
    /// The validator's `issues`.
    Invalid(JsValue),
    /// `validate()` threw or its promise rejected (the reason), or its result had the wrong
    /// shape (a `TypeError` saying so).
    Failed { cause: JsValue, how: &'static str },
}

/// Checking has started: done, or waiting for the validator's promise.
enum Step {
    Done(JsValue, Outcome),
    /// The raw data and the promise of the validator's result.
    Waiting(JsValue, Pending),
    /// Nothing to deliver (the data was not JSON: the `json` error is dispatched).
    Skipped,
}

impl Validated {
    pub(super) fn new(core: Weak<Core>, callback: Function, schema: Schema) -> Validated {
        Validated {
            core,
            callback,
            schema,
            queue: RefCell::new(VecDeque::new()),
            running: Cell::new(false),
            waiting: RefCell::new(None),
        }
    }

    /// Whether events are being checked or wait to be.
    pub(super) fn busy(&self) -> bool {
        self.running.get()
    }

    /// How many events are being checked or wait to be.
    pub(super) fn pending(&self) -> usize {
        self.queue.borrow().len() + usize::from(self.running.get())
    }

    /// Reports, as a `schema` error, that the `pending` events of type `event_type` were dropped
    /// because the validator did not settle within `wait` ms (a decimal) of the end of the
    /// stream.
    pub(super) fn report_dropped(core: &Core, event_type: &str, pending: usize, wait: &str) {
        let events = if pending == 1 { " event" } else { " events" };
        let pending = u32::try_from(pending).unwrap_or(u32::MAX);
        let message = [
            "the schema's validate() did not settle within ",
            wait,
            " ms of the end of the stream: ",
            &pending.to_string(),
            " \"",
            event_type,
            "\"",
            events,
            " dropped",
        ]
        .concat();
        let Ok(error_event) = web_sys::Event::new("error") else {
            return;
        };
        let (kind, no) = (JsValue::from_str("schema"), JsValue::FALSE);
        let message = JsValue::from(message);
        let event_type = JsValue::from_str(event_type);
        let issues: JsValue = js_sys::Array::new().into();
        let dropped = JsValue::from_f64(f64::from(pending));
        let empty = JsValue::from_str("");
        let properties: [(&str, &JsValue); 9] = [
            ("kind", &kind),
            ("reconnecting", &no),
            ("fatal", &no),
            ("message", &message),
            ("issues", &issues),
            ("data", &empty),
            ("eventType", &event_type),
            ("lastEventId", &empty),
            ("dropped", &dropped),
        ];
        let _ = define_properties(&error_event, &descriptors(&properties));
        core.dispatch("error", &error_event);
    }

    /// The registration left: stop waiting for the validator's promise (the task that awaits it
    /// finds the registration gone and delivers nothing).
    pub(super) fn cancel(&self) {
        let cancel = self.waiting.borrow_mut().take();
        if let Some(cancel) = cancel {
            let _ = cancel.call0(&JsValue::UNDEFINED);
        }
    }

    /// A server event for this registration (called by the dispatch, in order).
    pub(super) fn arrive(self: &Rc<Self>, this: &JsValue, event_type: &str, event: &JsValue) {
        self.queue.borrow_mut().push_back(Arrival {
            this: this.clone(),
            event_type: event_type.to_owned(),
            event: event.clone(),
        });
        if !self.running.replace(true) {
            self.pump();
        }
    }

    /// Checks and delivers queued events in order until the queue is empty or a validator's
    /// promise has to be awaited (the task that awaits it resumes pumping).
    fn pump(self: &Rc<Self>) {
        loop {
            let next = self.queue.borrow_mut().pop_front();
            let (Some(arrival), Some(core)) = (next, self.registered_core()) else {
                self.queue.borrow_mut().clear();
                self.running.set(false);
                return;
            };
            match self.check(&core, &arrival) {
                Step::Skipped => {}
                Step::Done(data, outcome) => self.deliver(&core, &arrival, &data, outcome),
                Step::Waiting(data, Pending { promise, cancel }) => {
                    drop(core);
                    *self.waiting.borrow_mut() = Some(cancel);
                    let this = Rc::clone(self);
                    wasm_bindgen_futures::spawn_local(async move {
                        let settled = JsFuture::from(promise).await;
                        this.waiting.borrow_mut().take();
                        let outcome = match settled {
                            Ok(result) => read_result(&result),
                            Err(cause) => Outcome::Failed {
                                cause,
                                how: "rejected",
                            },
                        };
                        if let Some(core) = this.registered_core() {
                            this.deliver(&core, &arrival, &data, outcome);
                        }
                        this.pump();
                        if let Some(core) = this.core.upgrade() {
                            core.settled();
                        }
                    });
                    return;
                }
            }
        }
    }

    /// The source, while this registration is still among its listeners.
    fn registered_core(self: &Rc<Self>) -> Option<Rc<Core>> {
        let core = self.core.upgrade()?;
        let registered = core.entries.borrow().iter().any(
            |entry| matches!(&entry.callback, Callback::Validated(listener) if Rc::ptr_eq(listener, self)),
        );
        registered.then_some(core)
    }

    /// Parses the event's data and calls the validator.
    fn check(&self, core: &Core, arrival: &Arrival) -> Step {
        let data = match Reflect::get(&arrival.event, &"data".into()) {
            Ok(data) => data,
            Err(error) => {
                report(&error);
                return Step::Skipped;
            }
        };
        let value = match json_parse(&data) {
            Ok(value) => value,
            Err(error) => {
                core.dispatch_json_error(&arrival.event_type, &arrival.event, &data, &error);
                return Step::Skipped;
            }
        };
        let threw = |cause| Outcome::Failed {
            cause,
            how: "threw",
        };
        let result = match self.schema.validate.call1(&self.schema.props, &value) {
            Ok(result) => result,
            Err(cause) => return Step::Done(data, threw(cause)),
        };
        match pending(&result) {
            Ok(Some(pending)) => Step::Waiting(data, pending),
            Ok(None) => Step::Done(data, read_result(&result)),
            Err(cause) => Step::Done(data, threw(cause)),
        }
    }

    /// Calls the callback with a valid value (reporting what it throws), or dispatches the
    /// schema error.
    fn deliver(&self, core: &Core, arrival: &Arrival, data: &JsValue, outcome: Outcome) {
        let event_type = &arrival.event_type;
        let (message, issues, cause) = match outcome {
            Outcome::Valid(value) => {
                if let Err(error) = self.callback.call2(&arrival.this, &value, &arrival.event) {
                    report(&error);
                }
                return;
            }
            Outcome::Invalid(issues) => (
                [
                    "the data of a \"",
                    event_type,
                    "\" event does not match the schema: ",
                    &summarize(&issues),
                ]
                .concat(),
                issues,
                None,
            ),
            Outcome::Failed { cause, how } => (
                [
                    "the schema's validate() ",
                    how,
                    " on the data of a \"",
                    event_type,
                    "\" event: ",
                    &error_message(&cause),
                ]
                .concat(),
                js_sys::Array::new().into(),
                Some(cause),
            ),
        };
        let Ok(error_event) = web_sys::Event::new("error") else {
            return;
        };
        let last_event_id = prop(&arrival.event, "lastEventId");
        let (kind, no) = (JsValue::from_str("schema"), JsValue::FALSE);
        let message = JsValue::from(message);
        let event_type = JsValue::from_str(event_type);
        let mut properties: Vec<(&str, &JsValue)> = vec![
            ("kind", &kind),
            ("reconnecting", &no),
            ("fatal", &no),
            ("message", &message),
            ("issues", &issues),
            ("data", data),
            ("eventType", &event_type),
            ("lastEventId", &last_event_id),
        ];
        if let Some(cause) = &cause {
            properties.push(("cause", cause));
        }
        let _ = define_properties(&error_event, &descriptors(&properties));
        core.dispatch("error", &error_event);
    }
}

/// `{ value }` or `{ issues }` (a truthy `issues` means failure, as the standard says).
fn read_result(result: &JsValue) -> Outcome {
    if !is_object(result) {
        let what = if result.is_null() {
            "null".to_owned()
        } else {
            result.js_typeof().as_string().unwrap_or_default()
        };
        return Outcome::Failed {
            cause: type_error(&["it returned ", &what, ", not { value } or { issues }"].concat()),
            how: "failed",
        };
    }
    match Reflect::get(result, &"issues".into()) {
        Ok(issues) if issues.is_truthy() => Outcome::Invalid(issues),
        Ok(_) => match Reflect::get(result, &"value".into()) {
            Ok(value) => Outcome::Valid(value),
            Err(cause) => Outcome::Failed {
                cause,
                how: "threw",
            },
        },
        Err(cause) => Outcome::Failed {
            cause,
            how: "threw",
        },
    }
}

/// `path: message; path: message; and 2 more` for the first few issues.
fn summarize(issues: &JsValue) -> String {
    let count = array_length(issues);
    let mut text = String::new();
    for index in 0..count.min(LISTED_ISSUES) {
        let issue = Reflect::get_u32(issues, index).unwrap_or_default();
        if index > 0 {
            text.push_str("; ");
        }
        if append_path(&mut text, &prop(&issue, "path")) {
            text.push_str(": ");
        }
        match prop(&issue, "message").as_string() {
            Some(message) => text.extend(message.chars().take(ISSUE_MESSAGE_CHARS)),
            None => text.push_str("invalid"),
        }
    }
    if count == 0 {
        text.push_str("the validator reported issues");
    } else if count > LISTED_ISSUES {
        text.push_str("; and ");
        text.push_str(&(count - LISTED_ISSUES).to_string());
        text.push_str(" more");
    }
    text
}

/// `value.length` as a count (0 unless it is a non-negative number), read catching.
fn array_length(value: &JsValue) -> u32 {
    prop(value, "length")
        .as_f64()
        .filter(|n| *n >= 0.0)
        .map_or(0, |n| n as u32)
}

/// `number` as an array index (formatting an `f64` would pull float formatting into the
/// module); `None` for anything else.
fn array_index(number: f64) -> Option<u32> {
    (number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&number))
        .then_some(number as u32)
}

/// Appends an issue's path as `items[0].name` (each segment is a property key or `{ key }`);
/// whether there was one.
fn append_path(text: &mut String, path: &JsValue) -> bool {
    let length = array_length(path);
    for index in 0..length.min(PATH_SEGMENTS) {
        let segment = Reflect::get_u32(path, index).unwrap_or_default();
        let key = if is_object(&segment) {
            prop(&segment, "key")
        } else {
            segment
        };
        if let Some(name) = key.as_string() {
            if index > 0 {
                text.push('.');
            }
            text.push_str(&name);
        } else if let Some(index) = key.as_f64().and_then(array_index) {
            text.push('[');
            text.push_str(&index.to_string());
            text.push(']');
        } else if key.is_symbol() {
            text.push_str("[symbol]");
        } else {
            text.push_str("[?]");
        }
    }
    if length > PATH_SEGMENTS {
        text.push_str(".…");
    }
    length > 0
}
