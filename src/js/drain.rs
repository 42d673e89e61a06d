//! The end of a source that closed by itself waits for the `onJson` validations still pending.
//!
//! With an asynchronous Standard Schema validator, the events that arrived before the source
//! closed by itself (`closeOn` completed the stream, or it gave up after a fatal error) may
//! still be waiting for the validator when the source closes. They are real data: they are
//! still checked and delivered (or reported as `schema` errors), in arrival order, and the
//! events that announce the end (the fatal `error`, then `close`) are held and dispatched after
//! them, so that a page that finalises on `close` has every value. The listeners are kept until
//! then.
//!
//! The wait is bounded: when no pending validation settles for [`CLOSE_WAIT_MS`], the ones
//! still pending are dropped (nothing is delivered after `close`), each registration that had
//! some reports it as a `schema` error (with `dropped`, the number of events), and the held
//! events are dispatched. `close()` by the caller ends the wait at once and drops both: after `close()`,
//! nothing is delivered, as with the browser's `EventSource`. The source's readyState is
//! CLOSED throughout (the connection is closed); only deliveries wait.

use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::timer::{clear_timeout, set_timeout};
use crate::ReadyState;

use super::event_target::{Callback, Core};
use super::schema::Validated;

/// How long the end waits for some pending validation to settle, in ms; each one that settles
/// starts the wait again (a slow validator that makes progress delays `close`; a stuck one
/// holds it for this long).
pub(super) const CLOSE_WAIT_MS: u32 = 1000;
/// [`CLOSE_WAIT_MS`] in decimal, for the message of dropped validations.
const CLOSE_WAIT_TEXT: &str = "1000";

/// The end of the source, waiting for pending validations.
pub(super) struct Drain {
    /// The fatal `error` and `close` events, held in the order they were dispatched.
    held: VecDeque<(String, JsValue)>,
    /// The `setTimeout` id of the bound on the wait.
    timer: JsValue,
    /// Ends the wait when the timer fires (holds the source weakly).
    on_timeout: Closure<dyn FnMut()>,
}

impl Core {
    /// Whether an `onJson` registration with a schema has events being checked.
    fn validating(&self) -> bool {
        self.entries.borrow().iter().any(
            |entry| matches!(&entry.callback, Callback::Validated(listener) if listener.busy()),
        )
    }

    /// Holds `event` if it announces the end (the fatal `error`, `close`: dispatched by the
    /// source once CLOSED) while validations are pending, or behind one already held. Whether
    /// it was held.
    pub(super) fn hold(self: &Rc<Self>, event_type: &str, event: &JsValue) -> bool {
        if !matches!(event_type, "error" | "close") {
            return false;
        }
        if self.drain.borrow().is_none() {
            if !self.validating() || self.source.ready_state() != ReadyState::Closed {
                return false;
            }
            self.begin_drain();
        }
        match self.drain.borrow_mut().as_mut() {
            Some(drain) => {
                drain.held.push_back((event_type.to_owned(), event.clone()));
                true
            }
            None => false,
        }
    }

    /// The source closed (by itself or by `close()`): wait for pending validations, dispatch
    /// what was held once none is pending, or release the listeners.
    pub(super) fn drain_on_close(self: &Rc<Self>) {
        if self.validating() {
            self.begin_drain();
        } else if self.drain.borrow().is_some() {
            self.finish_drain();
        } else {
            self.release_when_idle();
        }
    }

    /// Starts the wait (and its timer), unless it has started.
    fn begin_drain(self: &Rc<Self>) {
        if self.drain.borrow().is_some() {
            return;
        }
        let weak = Rc::downgrade(self);
        let on_timeout = Closure::<dyn FnMut()>::new(move || {
            if let Some(core) = weak.upgrade() {
                core.report_dropped();
                core.finish_drain();
            }
        });
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), CLOSE_WAIT_MS);
        let mut drain = self.drain.borrow_mut();
        if drain.is_none() {
            *drain = Some(Drain {
                held: VecDeque::new(),
                timer,
                on_timeout,
            });
        } else {
            clear_timeout(&timer);
        }
    }

    /// A validation settled (or was cancelled): once the source closed, the end goes on when
    /// none is pending, and waits [`CLOSE_WAIT_MS`] more otherwise.
    pub(super) fn settled(&self) {
        let timer = match self.drain.borrow().as_ref() {
            Some(drain) if self.closed.get() => {
                (drain.timer.clone(), drain.on_timeout.as_ref().clone())
            }
            _ => return,
        };
        if !self.validating() {
            self.finish_drain();
            return;
        }
        let (old, callback) = timer;
        clear_timeout(&old);
        let id = set_timeout(callback.unchecked_ref(), CLOSE_WAIT_MS);
        match self.drain.borrow_mut().as_mut() {
            Some(drain) => drain.timer = id,
            None => clear_timeout(&id),
        }
    }

    /// The wait's timer, while the source waits (`None`: it does not).
    fn drain_timer(&self) -> Option<JsValue> {
        self.drain
            .borrow()
            .as_ref()
            .map(|drain| drain.timer.clone())
    }

    /// Ends the wait: dispatches the held events in order, then releases the listeners (which
    /// cancels the validations still pending).
    pub(super) fn finish_drain(&self) {
        let Some(timer) = self.drain_timer() else {
            return;
        };
        clear_timeout(&timer);
        loop {
            // One at a time: a listener may call close(), which drops the rest.
            let next = self
                .drain
                .borrow_mut()
                .as_mut()
                .and_then(|drain| drain.held.pop_front());
            let Some((event_type, event)) = next else {
                break;
            };
            self.dispatch(&event_type, &event);
        }
        self.end_drain();
    }

    /// The wait timed out: each registration still validating gets a `schema` error saying
    /// how many of its events are dropped (before the held events, so `close` stays last).
    fn report_dropped(&self) {
        let stuck: Vec<(String, usize)> = self
            .entries
            .borrow()
            .iter()
            .filter_map(|entry| match &entry.callback {
                Callback::Validated(listener) if listener.busy() => {
                    Some((entry.event_type.clone(), listener.pending()))
                }
                _ => None,
            })
            .collect();
        for (event_type, pending) in stuck {
            Validated::report_dropped(self, &event_type, pending, CLOSE_WAIT_TEXT);
        }
    }

    /// `close()` by the caller: nothing more is delivered, the held events included.
    pub(super) fn cut_short(&self) {
        if let Some(timer) = self.drain_timer() {
            clear_timeout(&timer);
        }
        self.end_drain();
    }

    /// Forgets the wait (its timer is cleared) and releases the listeners if nothing runs.
    fn end_drain(&self) {
        let drain = self.drain.borrow_mut().take();
        // Perhaps from inside `on_timeout`: wasm-bindgen frees a running closure when it returns.
        drop(drain);
        self.release_when_idle();
    }
}
