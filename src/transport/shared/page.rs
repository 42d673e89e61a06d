//! A page that goes away. Into the back/forward cache (`pagehide` with `persisted`), it is
//! frozen, not destroyed, and keeps what it holds: Chromium caches a page that holds a Web Lock,
//! so the others would wait for a lock nobody can release; and it evicts a cached page whose
//! `BroadcastChannel` gets a message, so with the stream going on the page would be loaded
//! again on Back instead of restored. Unloaded, its leader's fetch is aborted, and once the
//! page has a `pagehide` or `unload` listener (any app's, or ours) that abort runs as a network
//! error the leader would report to all the others. So on every `pagehide` each hub of the page
//! gives up its lock (or withdraws its request), its channel and, if it leads, its connection,
//! quietly, and another context takes over at once. On `pageshow` with `persisted` (restored)
//! it opens its channel again, asks for the events numbered meanwhile (`Since`: the leader
//! sends them from its recent events, or resumes its stream from this hub's last event with
//! `Last-Event-ID`, or leads itself if nobody else does), holds the later events until those
//! have arrived, and asks for the lock again, as a follower.

use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use wasm_bindgen::JsCast;

use super::hub::{Hub, Point, Role};
use super::message::Message;
use crate::parser::Event;
use crate::support::prop;

/// How long a hub back from the back/forward cache holds later events while it waits for the
/// ones it missed: then it delivers what it has (the leader could not send them again: it has
/// too few recent events and its request cannot be sent again).
const CATCH_UP_MS: u32 = 10_000;

/// The hub's `pagehide` and `pageshow` listeners (none in a worker); removed when dropped.
pub(super) struct PageListeners {
    _hide: EventListener,
    _show: EventListener,
}

/// Listens for the page going away, and coming back from the back/forward cache.
pub(super) fn listen(hub: &Rc<Hub>) -> Option<PageListeners> {
    let global = js_sys::global().dyn_into::<web_sys::EventTarget>().ok()?;
    let on = |event_type: &'static str, only_persisted: bool, handle: fn(&Rc<Hub>)| {
        let weak: Weak<Hub> = Rc::downgrade(hub);
        EventListener::new(&global, event_type, move |event| {
            let persisted = prop(event, "persisted").is_truthy();
            if let (true, Some(hub)) = (persisted || !only_persisted, weak.upgrade()) {
                handle(&hub);
            }
        })
    };
    Some(PageListeners {
        _hide: on("pagehide", false, Hub::suspend),
        _show: on("pageshow", true, Hub::restore),
    })
}

impl Hub {
    /// The page goes away (unloaded, or into the back/forward cache): no lock held or asked for,
    /// no connection run from here (its abort is no failure to report). The members stay as
    /// they are (open, if the stream was): the next leader's events reach them if the page is
    /// shown again.
    fn suspend(self: &Rc<Self>) {
        if self.is_closed() {
            return;
        }
        self.drop_lock();
        self.close_channel();
        // The lead and count loops of this term end; so does an election in progress.
        self.term.set(self.term.get().wrapping_add(1));
        self.answers.borrow_mut().take();
        if self.role.replace(Role::Follower) != Role::Follower {
            self.fetch.abort();
            let wake = self.wake.borrow_mut().take();
            if let Some(wake) = wake {
                wake.send(());
            }
        }
    }

    /// The page is shown again: the events missed meanwhile, then the stream; back in the
    /// lock's queue.
    fn restore(self: &Rc<Self>) {
        if self.is_closed() || (!self.has_channel() && self.open_channel().is_err()) {
            return;
        }
        let Point { seq, id } = self.delivered.borrow().clone();
        if seq > 0 {
            *self.catch_up.borrow_mut() = Some(Vec::new());
            self.post(&Message::Since(seq, id));
            let weak = Rc::downgrade(self);
            wasm_bindgen_futures::spawn_local(async move {
                crate::timer::Timer::new(CATCH_UP_MS).await;
                if let Some(hub) = weak.upgrade() {
                    hub.end_catch_up();
                }
            });
        }
        if !self.has_lock() {
            // Without a lock request this hub only follows (as if the lock were never granted).
            let _ = self.request_lock();
        }
        self.post(&Message::Hello(self.id));
    }

    /// Event `seq` from the leader: delivered, unless this hub is catching up and it comes
    /// after events not yet received (then held until they have been).
    pub(super) fn arrived(&self, seq: u64, event: Event) {
        {
            let mut catch_up = self.catch_up.borrow_mut();
            if let Some(held) = catch_up.as_mut() {
                if seq > self.delivered.borrow().seq.saturating_add(1) {
                    held.push((seq, event));
                    return;
                }
            }
        }
        self.deliver(seq, &event);
        self.deliver_held(false);
    }

    /// Delivers the held events that are next in line; with `all`, the others too, in order
    /// (the wait is over). Catching up ends when none is left.
    fn deliver_held(&self, all: bool) {
        loop {
            let next = {
                let mut catch_up = self.catch_up.borrow_mut();
                let Some(held) = catch_up.as_mut() else {
                    return;
                };
                let after = self.delivered.borrow().seq;
                held.retain(|(seq, _)| *seq > after);
                let lowest = held
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, (seq, _))| *seq)
                    .map(|(i, (seq, _))| (i, *seq));
                match lowest {
                    Some((i, seq)) if all || seq == after + 1 => held.swap_remove(i),
                    Some(_) => return,
                    None => {
                        *catch_up = None;
                        return;
                    }
                }
            };
            self.deliver(next.0, &next.1);
        }
    }

    /// Stops catching up: what is held is delivered, in order (which ends catching up).
    pub(super) fn end_catch_up(&self) {
        self.deliver_held(true);
    }
}
