//! The hub of one shared source in one context: every source of this context with the same key
//! is one of its members. It stands for them all among the contexts (one lock request, one
//! channel), runs the real connection while it leads, and hands each member what arrives: the
//! leader's reports, numbered, each delivered once.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::JsValue;

use super::message::{End, Message};
use super::web::{Channel, Lock};
use super::Member;
use crate::oneshot;
use crate::parser::Event;
use crate::transport::fetch::Fetch;
use crate::transport::{Ended, ErrorInfo, Outcome, Sink};

/// How long the last member's close waits before the hub closes (a component unmounted and
/// mounted again keeps the stream).
pub(super) const GRACE_MS: u32 = 400;
/// How long a new leader waits for the others to say which event they saw last.
pub(super) const ASK_MS: u32 = 150;
/// How many of the latest events a hub keeps for a source that rejoins after a failed attempt
/// or a pause (its supervisor's retry wait): the events it missed meanwhile.
const RECENT: usize = 1000;
/// How often the leader counts the contexts.
pub(super) const PING_MS: u32 = 1000;

thread_local! {
    /// The hubs of this context by key: a few at most, so a Vec searched in order (a HashMap
    /// would add hashbrown to the wasm).
    static HUBS: RefCell<Vec<Rc<Hub>>> = const { RefCell::new(Vec::new()) };
}

/// Whether this hub leads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Waiting for the lock: events come from the leader.
    Follower,
    /// Holds the lock; asking the others where to resume from.
    Electing,
    /// Holds the lock and runs the connection.
    Leader,
}

/// The state of the one connection, as this hub knows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Conn {
    Idle,
    Connecting,
    Open,
}

/// A sequence number and the last event ID at it.
#[derive(Clone, Default)]
pub(super) struct Point {
    pub(super) seq: u64,
    pub(super) id: String,
}

pub(crate) struct Hub {
    /// This hub, for the tasks it starts.
    pub(super) me: Weak<Hub>,
    key: String,
    /// This hub's id among the contexts.
    pub(super) id: f64,
    pub(super) origin: JsValue,
    pub(super) fetch: Rc<Fetch>,
    channel: RefCell<Option<Channel>>,
    lock: RefCell<Option<Lock>>,
    /// The page's `pagehide`/`pageshow` listeners (`page.rs`).
    page: RefCell<Option<super::page::PageListeners>>,
    pub(super) role: Cell<Role>,
    /// Moves on when this hub stops leading without closing (`page.rs`): the lead and count
    /// loops and the election of an older term end.
    pub(super) term: Cell<u64>,
    pub(super) conn: Cell<Conn>,
    /// The leader's attempt is in flight.
    pub(super) running: Cell<bool>,
    /// A member or another context waits for a connection.
    pub(super) need: Cell<bool>,
    pub(super) wake: RefCell<Option<oneshot::Sender<()>>>,
    /// The last event delivered to this context's members.
    pub(super) delivered: RefCell<Point>,
    /// The newest event seen on the channel.
    pub(super) seen: RefCell<Point>,
    /// The leader's numbering: the last event numbered and its ID (where to resume from).
    pub(super) numbered: RefCell<Point>,
    /// Another context has been heard from.
    pub(super) peers_heard: Cell<bool>,
    /// The answers to this hub's `Ask`, while it waits for them.
    pub(super) answers: RefCell<Option<(f64, Vec<Point>)>>,
    /// Contexts that answered the last `Ping` (leader), and how many share (as last counted).
    pub(super) present: RefCell<Vec<f64>>,
    pub(super) peers: Cell<u32>,
    pub(super) members: RefCell<Vec<Rc<Member>>>,
    /// The latest events delivered here (at most [`RECENT`]), for members that rejoin.
    pub(super) recent: RefCell<std::collections::VecDeque<(u64, Event)>>,
    /// Events numbered but not posted yet: the first one's number, and the events.
    pub(super) outbox: RefCell<(u64, Vec<Event>)>,
    /// Back from the back/forward cache and missing the events numbered meanwhile: the later
    /// events that arrived before those, held until the gap is filled (`page.rs`).
    pub(super) catch_up: RefCell<Option<Vec<(u64, Event)>>>,
    /// The leader resumes from here once its attempt in flight ends (a context back from the
    /// back/forward cache missed more than the recent events).
    pub(super) restart_from: RefCell<Option<Point>>,
    /// Moves on whenever a member joins or leaves (a pending grace period checks it).
    generation: Cell<u64>,
    closed: Cell<bool>,
}

impl Hub {
    /// The open hub of `key`, or a new one (with `seed` as the last event ID to start from).
    pub(super) fn get(
        key: &str,
        fetch: impl FnOnce() -> Rc<Fetch>,
        origin: &str,
        seed: Option<&str>,
    ) -> Result<Rc<Hub>, JsValue> {
        if let Some(hub) =
            HUBS.with(|hubs| hubs.borrow().iter().find(|hub| hub.key == key).cloned())
        {
            return Ok(hub);
        }
        let hub = Rc::new_cyclic(|me| Hub {
            me: me.clone(),
            key: key.to_owned(),
            id: js_sys::Math::random(),
            origin: JsValue::from_str(origin),
            fetch: fetch(),
            channel: RefCell::new(None),
            lock: RefCell::new(None),
            page: RefCell::new(None),
            role: Cell::new(Role::Follower),
            term: Cell::new(0),
            conn: Cell::new(Conn::Idle),
            running: Cell::new(false),
            need: Cell::new(false),
            wake: RefCell::new(None),
            delivered: RefCell::new(Point::default()),
            seen: RefCell::new(Point::default()),
            numbered: RefCell::new(Point {
                seq: 0,
                id: seed.unwrap_or_default().to_owned(),
            }),
            peers_heard: Cell::new(false),
            answers: RefCell::new(None),
            present: RefCell::new(Vec::new()),
            peers: Cell::new(1),
            members: RefCell::new(Vec::new()),
            outbox: RefCell::new((0, Vec::new())),
            catch_up: RefCell::new(None),
            restart_from: RefCell::new(None),
            recent: RefCell::new(std::collections::VecDeque::new()),
            generation: Cell::new(0),
            closed: Cell::new(false),
        });
        hub.fetch.bind(Rc::downgrade(&hub) as Weak<dyn Sink>);
        hub.open_channel()?;
        hub.request_lock()?;
        *hub.page.borrow_mut() = super::page::listen(&hub);
        hub.post(&Message::Hello(hub.id));
        HUBS.with(|hubs| {
            let mut hubs = hubs.borrow_mut();
            hubs.retain(|other| other.key != key);
            hubs.push(hub.clone());
        });
        Ok(hub)
    }

    /// Opens this hub's channel to the other contexts.
    pub(super) fn open_channel(self: &Rc<Self>) -> Result<(), JsValue> {
        let name = ["eventsource-wasm:", &self.key].concat();
        let weak = Rc::downgrade(self);
        let channel = Channel::open(&name, move |data| {
            if let (Some(hub), Some(message)) = (weak.upgrade(), Message::decode(&data)) {
                hub.on_message(message);
            }
        })?;
        *self.channel.borrow_mut() = Some(channel);
        Ok(())
    }

    pub(super) fn has_channel(&self) -> bool {
        self.channel.borrow().is_some()
    }

    /// Closes this hub's channel: nothing reaches it from the other contexts.
    pub(super) fn close_channel(&self) {
        let channel = self.channel.borrow_mut().take();
        drop(channel);
    }

    /// Asks for the lock of this hub's key: [`granted`](Self::granted) once it is held.
    pub(super) fn request_lock(self: &Rc<Self>) -> Result<(), JsValue> {
        let name = ["eventsource-wasm:", &self.key].concat();
        let weak = Rc::downgrade(self);
        let lock = Lock::request(&name, move || {
            if let Some(hub) = weak.upgrade() {
                hub.granted();
            }
        })?;
        *self.lock.borrow_mut() = Some(lock);
        Ok(())
    }

    /// Releases the lock, or withdraws the request for it.
    pub(super) fn drop_lock(&self) {
        let lock = self.lock.borrow_mut().take();
        drop(lock);
    }

    pub(super) fn has_lock(&self) -> bool {
        self.lock.borrow().is_some()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Posts `message` to the other contexts (after the events queued before it).
    pub(super) fn post(&self, message: &Message) {
        self.flush();
        self.send(message);
    }

    fn send(&self, message: &Message) {
        if let Some(channel) = self.channel.borrow().as_ref() {
            channel.post(&message.encode());
        }
    }

    /// Posts the queued events.
    pub(super) fn flush(&self) {
        let (first, events) = std::mem::take(&mut *self.outbox.borrow_mut());
        if !events.is_empty() {
            self.send(&Message::Events(first, events));
        }
    }

    /// The members whose attempt is in flight (a copy: no borrow is held while they are
    /// called).
    pub(super) fn attempting(&self) -> Vec<Rc<Member>> {
        let members = self.members.borrow();
        members
            .iter()
            .filter(|member| member.attempt.borrow().is_some())
            .cloned()
            .collect()
    }

    pub(super) fn join(&self, member: Rc<Member>) {
        // It starts with the next event.
        member.seq.set(self.delivered.borrow().seq);
        self.generation.set(self.generation.get().wrapping_add(1));
        self.members.borrow_mut().push(member);
    }

    /// `member` left; the last one's leaving closes the hub after [`GRACE_MS`], unless another
    /// joins meanwhile.
    pub(super) fn leave(self: &Rc<Self>, member: &Rc<Member>) {
        self.members
            .borrow_mut()
            .retain(|other| !Rc::ptr_eq(other, member));
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        if !self.members.borrow().is_empty() {
            return;
        }
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            crate::timer::Timer::new(GRACE_MS).await;
            if let Some(hub) = weak.upgrade() {
                if hub.generation.get() == generation && hub.members.borrow().is_empty() {
                    hub.close();
                }
            }
        });
    }

    /// Ends this hub: its connection, its lock (the next context takes over), its channel.
    fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.post(&Message::Bye(self.id));
        HUBS.with(|hubs| hubs.borrow_mut().retain(|hub| !std::ptr::eq(&**hub, self)));
        self.fetch.stop();
        let wake = self.wake.borrow_mut().take();
        if let Some(wake) = wake {
            wake.send(());
        }
        self.drop_lock();
        let page = self.page.borrow_mut().take();
        drop(page);
        self.close_channel();
    }

    /// A connection is wanted: the leader starts one if none runs; a follower asks the leader.
    pub(super) fn demand(&self) {
        match self.role.get() {
            Role::Leader if self.running.get() => {}
            Role::Leader => {
                self.need.set(true);
                let wake = self.wake.borrow_mut().take();
                if let Some(wake) = wake {
                    wake.send(());
                }
            }
            Role::Electing => self.need.set(true),
            Role::Follower => self.post(&Message::Need),
        }
    }

    /// The connection opened (the leader's, or as the leader reported it). A takeover's new
    /// connection continues an open stream: nothing to report.
    pub(super) fn on_open(&self) {
        if self.conn.replace(Conn::Open) == Conn::Open {
            return;
        }
        for member in self.attempting() {
            self.open_member(&member);
        }
    }

    /// The connection attempt ended: each member's attempt ends the same way.
    pub(super) fn on_end(&self, end: &End) {
        self.conn.set(Conn::Idle);
        for member in self.attempting() {
            let sender = member.attempt.borrow_mut().take();
            if let Some(sender) = sender {
                sender.send(Outcome::Ended(Ended {
                    failure: end.failure.clone(),
                    info: ErrorInfo {
                        status: end.status,
                        ..ErrorInfo::message(end.message.clone())
                    },
                    opened_at: end.opened_at,
                    browser_retries: end.browser_retries,
                    repeatable: end.repeatable,
                }));
            }
        }
    }

    /// Event `seq` reaches the members, unless this context has had it already.
    pub(super) fn deliver(&self, seq: u64, event: &Event) {
        {
            let mut seen = self.seen.borrow_mut();
            if seq > seen.seq {
                seen.seq = seq;
                event.last_event_id.clone_into(&mut seen.id);
            }
            let mut delivered = self.delivered.borrow_mut();
            if seq <= delivered.seq {
                return;
            }
            delivered.seq = seq;
            event.last_event_id.clone_into(&mut delivered.id);
            let mut recent = self.recent.borrow_mut();
            if recent.len() >= RECENT {
                recent.pop_front();
            }
            recent.push_back((seq, event.clone()));
        }
        for member in self.attempting() {
            member.deliver(seq, event, &self.origin);
        }
    }

    /// `member` opens: it gets the recent events it missed between two attempts (as a private
    /// source resumes from its last event ID), then the stream.
    pub(super) fn open_member(&self, member: &Member) {
        if !member.open() {
            return;
        }
        for (seq, event) in self.recent_after(member.seq.get()) {
            member.deliver(seq, &event, &self.origin);
        }
    }

    /// The recent events numbered after `seq`, in order (a copy: no borrow is held while they
    /// are delivered or posted).
    pub(super) fn recent_after(&self, seq: u64) -> Vec<(u64, Event)> {
        self.recent
            .borrow()
            .iter()
            .filter(|(number, _)| *number > seq)
            .cloned()
            .collect()
    }

    /// Reports to every member in an attempt.
    pub(super) fn each_sink(&self, report: impl Fn(&dyn Sink)) {
        for member in self.attempting() {
            if let Some(sink) = member.sink() {
                report(&*sink);
            }
        }
    }
}
