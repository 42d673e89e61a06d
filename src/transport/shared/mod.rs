//! The shared transport (feature `shared`): all same-origin contexts of one browser profile
//! (tabs, windows, dedicated workers) and all sources of one context that open the same source
//! share one connection.
//!
//! Each context has one [`Hub`] per key (`key.rs`: a hash of URL, method, body, credentials and
//! headers); each source is a [`Member`] of its context's hub. One hub leads, elected with the
//! Web Locks API (`web.rs`): it runs the real fetch transport and posts what it reports, each
//! event numbered, on a `BroadcastChannel` (`lead.rs`); the others hand the same reports to
//! their members (`receive.rs`). To each member's supervisor this is a transport like the
//! others: its readyState, `open`/`error` events, last event ID and `close()` are its own.
//!
//! When the leader closes or its context dies, the next hub in the lock's queue leads: it asks
//! the others for the last event number they have, resumes with the `Last-Event-ID` of the
//! oldest, and numbers the replayed events on from there; each hub drops the numbers it had
//! already delivered, so no event is lost or delivered twice.

mod hub;
mod key;
mod lead;
mod message;
mod page;
mod receive;
mod web;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;

pub(crate) use self::hub::Role;
use self::hub::{Conn, Hub};
pub(crate) use self::web::available;
use crate::oneshot;
use crate::parser::Event;
use crate::transport::fetch::{message_event, Fetch, Request};
use crate::transport::{Outcome, Sink};
use crate::ReadyState;

/// One source's membership of its context's hub.
pub(super) struct Member {
    sink: RefCell<Option<Weak<dyn Sink>>>,
    /// Ends the attempt in flight.
    attempt: RefCell<Option<oneshot::Sender<Outcome>>>,
    opened: Cell<bool>,
    /// The number of the last event delivered to this source.
    seq: Cell<u64>,
}

impl Member {
    fn sink(&self) -> Option<Rc<dyn Sink>> {
        let sink = self.sink.borrow().as_ref().and_then(Weak::upgrade)?;
        (!sink.is_closed()).then_some(sink)
    }

    /// The stream is open: the member's attempt opens (once); `false` if it was open already
    /// or is gone.
    fn open(&self) -> bool {
        if self.opened.replace(true) {
            return false;
        }
        let Some(sink) = self.sink() else {
            return false;
        };
        sink.progress();
        sink.opened();
        if sink.wants("open") {
            if let Ok(event) = web_sys::Event::new("open") {
                sink.dispatch("open", &event);
            }
        }
        true
    }

    /// Event `seq` for the member (once), as the fetch transport delivers one.
    fn deliver(&self, seq: u64, event: &Event, origin: &wasm_bindgen::JsValue) {
        if !self.opened.get() || seq <= self.seq.get() {
            return;
        }
        let Some(sink) = self.sink() else { return };
        self.seq.set(seq);
        sink.set_last_event_id(&event.last_event_id);
        sink.received();
        sink.progress();
        if sink.wants_batch(&event.event_type) {
            sink.batch(event.clone());
        }
        if !sink.wants(&event.event_type) {
            return;
        }
        let made = message_event(
            &event.event_type.as_str().into(),
            &event.data,
            &event.last_event_id.as_str().into(),
            origin,
        );
        if let Ok(message) = made {
            sink.dispatch(&event.event_type, message.unchecked_ref());
        }
    }

    /// Ends the attempt in flight with `outcome`.
    fn end(&self, outcome: Outcome) {
        let sender = self.attempt.borrow_mut().take();
        if let Some(sender) = sender {
            sender.send(outcome);
        }
    }
}

/// The transport of one shared source.
pub(crate) struct Shared {
    hub: Rc<Hub>,
    member: Rc<Member>,
    url: String,
    with_credentials: bool,
    stopped: Cell<bool>,
}

impl Shared {
    /// The shared transport of `request`, or `None` when it cannot be shared (see `key.rs`) or
    /// this context lacks the Web Locks API or `BroadcastChannel`.
    pub(crate) fn new(request: Request, seed: Option<&str>) -> Option<Shared> {
        let key = key::of_request(&request)?;
        let url = request.url.clone();
        let with_credentials = request.credentials == crate::CredentialsMode::Include;
        let origin = web_sys::Url::new(&url).ok()?.origin();
        let hub = Hub::get(&key, || Rc::new(Fetch::new(request)), &origin, seed).ok()?;
        let member = Rc::new(Member {
            sink: RefCell::new(None),
            attempt: RefCell::new(None),
            opened: Cell::new(false),
            seq: Cell::new(0),
        });
        hub.join(member.clone());
        Some(Shared {
            hub,
            member,
            url,
            with_credentials,
            stopped: Cell::new(false),
        })
    }

    pub(crate) fn bind(&self, sink: Weak<dyn Sink>) {
        *self.member.sink.borrow_mut() = Some(sink);
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn with_credentials(&self) -> bool {
        self.with_credentials
    }

    pub(crate) fn ready_state(&self) -> ReadyState {
        if self.stopped.get() {
            ReadyState::Closed
        } else if self.member.opened.get() {
            ReadyState::Open
        } else {
            ReadyState::Connecting
        }
    }

    /// Whether this context leads, and how many contexts share the stream (as last counted).
    pub(crate) fn role(&self) -> (Role, u32) {
        (self.hub.role.get(), self.hub.peers.get())
    }

    /// One attempt: joins the stream (opened at once if it is open; else a connection is
    /// asked for) until the connection ends, or this source stops.
    pub(crate) async fn attempt(self: Rc<Self>) -> Outcome {
        if self.stopped.get() || self.hub.is_closed() {
            return Outcome::Stopped;
        }
        let (sender, receiver) = oneshot::channel();
        self.member.end(Outcome::Interrupted);
        *self.member.attempt.borrow_mut() = Some(sender);
        self.member.opened.set(false);
        if self.hub.conn.get() == Conn::Open {
            self.hub.open_member(&self.member);
        } else {
            self.hub.demand();
        }
        receiver.await
    }

    /// Leaves the stream for now (a pause, or the idle timeout).
    pub(crate) fn interrupt(&self) {
        self.member.opened.set(false);
        self.member.end(Outcome::Interrupted);
    }

    /// The idle timeout of this source passed: it leaves the stream (its supervisor reports the
    /// timeout and joins again); in the leading context the connection is also made anew, from
    /// the last event ID, unseen by the other contexts. Returns when it opened, if it did.
    pub(crate) fn time_out(&self) -> Option<f64> {
        self.interrupt();
        if self.hub.role.get() == Role::Leader && self.hub.running.get() {
            self.hub.fetch.time_out()
        } else {
            None
        }
    }

    /// Leaves for good; the last source of the context to leave closes its hub (after a grace
    /// period), and the last context's closes the connection.
    pub(crate) fn stop(&self) {
        if self.stopped.replace(true) {
            return;
        }
        self.member.opened.set(false);
        self.member.end(Outcome::Stopped);
        self.hub.leave(&self.member);
    }
}
