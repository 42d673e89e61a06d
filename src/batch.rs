//! Batched delivery for UIs: the server events that arrived since the last call, as one slice
//! of plain [`Event`]s, at most once per animation frame (or per interval). No `MessageEvent`
//! is built for an event that only batch listeners want.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::parser::Event;
use crate::support::prop;
use crate::timer::{clear_timeout, set_timeout};

/// How often a batch listener is called (see [`EventSource::on_batch`]).
///
/// [`EventSource::on_batch`]: crate::EventSource::on_batch
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// At most once per animation frame (`requestAnimationFrame`; where there is none, as in
    /// workers and Node.js, every 16 ms). A hidden page's frames pause: then at most once a
    /// second.
    Frame,
    /// At most once per this interval (whole milliseconds).
    Interval(std::time::Duration),
}

/// A batch callback.
pub(crate) type BatchCallback = Rc<RefCell<dyn FnMut(&[Event])>>;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = requestAnimationFrame, catch)]
    fn request_animation_frame(callback: &js_sys::Function) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = cancelAnimationFrame, catch)]
    fn cancel_animation_frame(id: &JsValue) -> Result<(), JsValue>;
}

/// How long a frame batch waits at most when frames do not come (a hidden page).
const FRAME_BACKSTOP_MS: u32 = 1000;
/// The interval that stands for a frame where there is no `requestAnimationFrame`.
const FRAME_MS: u32 = 16;

struct Batch {
    id: u64,
    every: Every,
    /// The event types it wants (`None`: all).
    types: Option<Vec<String>>,
    events: RefCell<Vec<Event>>,
    callback: BatchCallback,
    /// The scheduled flush: a frame request and a timer, and the closure they call.
    pending: RefCell<Option<Pending>>,
}

struct Pending {
    frame: Option<JsValue>,
    timer: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(frame) = &self.frame {
            let _ = cancel_animation_frame(frame);
        }
        clear_timeout(&self.timer);
    }
}

impl Batch {
    fn wants(&self, event_type: &str) -> bool {
        self.types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == event_type))
    }
}

/// The batch listeners of one source. Made by the first [`Batches::add`], behind a trait
/// object: a program that never adds a batch listener links none of their code (bench row 5a).
#[derive(Default)]
pub(crate) struct Batches(OnceCell<Box<dyn Queue>>);

impl Batches {
    /// Adds a batch listener with id `id`.
    pub(crate) fn add(
        &self,
        id: u64,
        every: Every,
        types: Option<Vec<String>>,
        callback: BatchCallback,
    ) {
        let queue = self.0.get_or_init(|| Box::new(BatchList::default()));
        queue.add(Batch {
            id,
            every,
            types,
            events: RefCell::new(Vec::new()),
            callback,
            pending: RefCell::new(None),
        });
    }

    /// Removes a batch listener; returns whether it was one. Its undelivered events are dropped.
    pub(crate) fn remove(&self, id: u64) -> bool {
        self.0.get().is_some_and(|queue| queue.remove(id))
    }

    /// Whether a batch listener wants events of `event_type`.
    pub(crate) fn wants(&self, event_type: &str) -> bool {
        self.0.get().is_some_and(|queue| queue.wants(event_type))
    }

    /// The event types batch listeners name (the browser's `EventSource` fires only those).
    pub(crate) fn types(&self) -> Vec<String> {
        self.0.get().map(|queue| queue.types()).unwrap_or_default()
    }

    /// Queues `event` for every batch listener that wants it, and schedules their flush.
    pub(crate) fn push(&self, event: Event) {
        if let Some(queue) = self.0.get() {
            queue.push(event);
        }
    }

    /// Delivers every queued event now (the source closes: no frame is waited for).
    pub(crate) fn flush_all(&self) {
        if let Some(queue) = self.0.get() {
            queue.flush_all();
        }
    }

    /// Drops every batch listener (after [`Batches::flush_all`]).
    pub(crate) fn release(&self) {
        if let Some(queue) = self.0.get() {
            queue.release();
        }
    }
}

/// What [`Batches`] does once a batch listener exists (see there).
trait Queue {
    fn add(&self, batch: Batch);
    fn remove(&self, id: u64) -> bool;
    fn wants(&self, event_type: &str) -> bool;
    fn types(&self) -> Vec<String>;
    fn push(&self, event: Event);
    fn flush_all(&self);
    fn release(&self);
}

/// The batch listeners, once there are any.
#[derive(Default)]
struct BatchList {
    batches: RefCell<Vec<Rc<Batch>>>,
    /// Whether any batch exists (checked on every event).
    any: Cell<bool>,
}

impl Queue for BatchList {
    fn add(&self, batch: Batch) {
        self.batches.borrow_mut().push(Rc::new(batch));
        self.any.set(true);
    }

    fn remove(&self, id: u64) -> bool {
        let removed = {
            let mut batches = self.batches.borrow_mut();
            let removed = batches
                .iter()
                .position(|batch| batch.id == id)
                .map(|index| batches.remove(index));
            self.any.set(!batches.is_empty());
            removed
        };
        removed.is_some()
    }

    fn wants(&self, event_type: &str) -> bool {
        self.any.get() && self.batches.borrow().iter().any(|b| b.wants(event_type))
    }

    fn types(&self) -> Vec<String> {
        let mut types = Vec::new();
        for batch in self.batches.borrow().iter() {
            match &batch.types {
                Some(named) => types.extend(named.iter().cloned()),
                None => types.push("message".to_owned()),
            }
        }
        types
    }

    fn push(&self, event: Event) {
        let batches: Vec<Rc<Batch>> = self
            .batches
            .borrow()
            .iter()
            .filter(|batch| batch.wants(&event.event_type))
            .cloned()
            .collect();
        let Some((last, rest)) = batches.split_last() else {
            return;
        };
        for batch in rest {
            batch.events.borrow_mut().push(event.clone());
            schedule(batch);
        }
        last.events.borrow_mut().push(event);
        schedule(last);
    }

    fn flush_all(&self) {
        let batches: Vec<Rc<Batch>> = self.batches.borrow().clone();
        for batch in batches {
            batch.pending.borrow_mut().take();
            flush(&batch);
        }
    }

    fn release(&self) {
        let batches = std::mem::take(&mut *self.batches.borrow_mut());
        self.any.set(false);
        drop(batches);
    }
}

/// Calls the batch's callback with what it has queued (nothing if it is empty).
fn flush(batch: &Batch) {
    let events = std::mem::take(&mut *batch.events.borrow_mut());
    if events.is_empty() {
        return;
    }
    if let Ok(mut callback) = batch.callback.try_borrow_mut() {
        callback(&events);
    }
}

/// Schedules the batch's flush, unless one is pending.
fn schedule(batch: &Rc<Batch>) {
    if batch.pending.borrow().is_some() {
        return;
    }
    let weak: Weak<Batch> = Rc::downgrade(batch);
    let callback = Closure::<dyn FnMut()>::new(move || {
        if let Some(batch) = weak.upgrade() {
            // Dropping the pending flush cancels the other of frame and timer.
            let pending = batch.pending.borrow_mut().take();
            flush(&batch);
            drop(pending);
        }
    });
    let function: &js_sys::Function = callback.as_ref().unchecked_ref();
    let has_frames = prop(&js_sys::global(), "requestAnimationFrame").is_function();
    let (frame, ms) = match batch.every {
        Every::Frame if has_frames => (request_animation_frame(function).ok(), FRAME_BACKSTOP_MS),
        Every::Frame => (None, FRAME_MS),
        Every::Interval(interval) => (None, crate::retry::timer_ms(interval)),
    };
    let timer = set_timeout(function, ms);
    *batch.pending.borrow_mut() = Some(Pending {
        frame,
        timer,
        _callback: callback,
    });
}
