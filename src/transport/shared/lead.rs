//! Leading: the election (the lock is granted, the others say which event they saw last), the
//! connection loop, and the hub as the sink of the real transport, numbering what it reports.

use std::rc::{Rc, Weak};

use super::hub::{Conn, Hub, Point, Role};
use super::message::{End, Message};
use crate::oneshot;
use crate::parser::Event;
use crate::timer::Timer;
use crate::transport::{Outcome, Sink};

impl Hub {
    /// The lock is held: ask the others where they are (if there are others), then lead.
    pub(super) fn granted(self: &Rc<Self>) {
        if self.is_closed() {
            return;
        }
        self.role.set(Role::Electing);
        let weak = Rc::downgrade(self);
        let term = self.term.get();
        wasm_bindgen_futures::spawn_local(async move {
            let asked = weak.upgrade().is_some_and(|hub| hub.ask());
            if asked {
                Timer::new(super::hub::ASK_MS).await;
            }
            if let Some(hub) = weak.upgrade().filter(|hub| hub.term.get() == term) {
                hub.take_over();
                wasm_bindgen_futures::spawn_local(lead(Rc::downgrade(&hub), term));
                wasm_bindgen_futures::spawn_local(count(Rc::downgrade(&hub), term));
            }
        });
    }

    /// Asks the others for the last event each has; `false` when nobody was ever heard from.
    fn ask(&self) -> bool {
        if !self.peers_heard.get() {
            return false;
        }
        let id = js_sys::Math::random();
        *self.answers.borrow_mut() = Some((id, Vec::new()));
        self.post(&Message::Ask(id));
        true
    }

    /// Leads from the oldest event any context has (so each gets the rest, once), or, when no
    /// context has had one, from the newest seen (or the seed).
    fn take_over(&self) {
        let answers = self.answers.borrow_mut().take();
        let mut points = answers.map(|(_, points)| points).unwrap_or_default();
        let own = self.delivered.borrow().clone();
        if own.seq > 0 {
            points.push(own);
        }
        // A context back from the back/forward cache during the election.
        points.extend(self.restart_from.borrow_mut().take());
        let oldest = points.into_iter().min_by_key(|point| point.seq);
        let start = match oldest {
            Some(point) => point,
            None if self.seen.borrow().seq > 0 => self.seen.borrow().clone(),
            None => self.numbered.borrow().clone(),
        };
        *self.numbered.borrow_mut() = start;
        // This hub's stream starts after its own last event at the latest: nothing to wait for.
        self.catch_up.borrow_mut().take();
        // Members of any context in a stream, or waiting for one: connect now.
        if self.conn.get() != Conn::Idle || !self.attempting().is_empty() {
            self.need.set(true);
        }
        self.role.set(Role::Leader);
    }

    /// Numbers event `event`, posts it, and delivers it here.
    fn number(&self, event: Event) {
        let seq = {
            let mut numbered = self.numbered.borrow_mut();
            numbered.seq += 1;
            event.last_event_id.clone_into(&mut numbered.id);
            numbered.seq
        };
        self.queue(seq, event.clone());
        self.deliver(seq, &event);
    }

    /// Queues event `seq` for the others: the events of one chunk go in one message, posted
    /// once the chunk is parsed (or before any other message).
    fn queue(&self, seq: u64, event: Event) {
        let mut outbox = self.outbox.borrow_mut();
        let first = outbox.1.is_empty();
        if first {
            outbox.0 = seq;
        }
        outbox.1.push(event);
        drop(outbox);
        if first {
            let weak = self.me.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(hub) = weak.upgrade() {
                    hub.flush();
                }
            });
        }
    }

    /// A context back from the back/forward cache has had the events up to `point`: the ones
    /// after it from the recent events, or, if they are not all there, the stream again from
    /// `point` (each context drops the numbers it has had), if the request may be sent again.
    pub(super) fn send_since(&self, point: Point) {
        if point.seq >= self.numbered.borrow().seq {
            return;
        }
        let missed = self.recent_after(point.seq);
        let complete = !missed.is_empty()
            && missed
                .iter()
                .zip(point.seq + 1..)
                .all(|((seq, _), expected)| *seq == expected);
        if complete {
            let events = missed.into_iter().map(|(_, event)| event).collect();
            self.post(&Message::Events(point.seq + 1, events));
        } else if self.fetch.can_resend() {
            self.restart_at(point);
            self.fetch.abort();
        }
    }

    /// The stream is to resume from `point`, or from an older point already asked for (two
    /// contexts back from the back/forward cache at once: the older one's gap covers both).
    pub(super) fn restart_at(&self, point: Point) {
        let mut restart = self.restart_from.borrow_mut();
        if restart.as_ref().is_none_or(|asked| point.seq < asked.seq) {
            *restart = Some(point);
        }
    }

    /// The leader's state, for a context that joined or needs a connection.
    pub(super) fn tell_state(&self) {
        let Point { seq, id } = self.numbered.borrow().clone();
        self.post(&Message::State(self.conn.get() == Conn::Open, seq, id));
    }
}

/// Runs the connection while this hub leads (in `term`): an attempt whenever one is needed.
async fn lead(weak: Weak<Hub>, term: u64) {
    loop {
        let waiting = {
            let Some(hub) = weak.upgrade() else { return };
            if hub.is_closed() || hub.term.get() != term {
                return;
            }
            if hub.need.replace(false) {
                None
            } else {
                let (sender, receiver) = oneshot::channel();
                *hub.wake.borrow_mut() = Some(sender);
                Some(receiver)
            }
        };
        if let Some(receiver) = waiting {
            receiver.await;
            continue;
        }
        let attempt = {
            let Some(hub) = weak.upgrade() else { return };
            hub.running.set(true);
            // A context back from the back/forward cache missed more than the recent events.
            let restart = hub.restart_from.borrow_mut().take();
            if let Some(point) = restart {
                *hub.numbered.borrow_mut() = point;
            }
            if hub.conn.get() == Conn::Idle {
                hub.conn.set(Conn::Connecting);
            }
            hub.fetch.clone().attempt()
        };
        let outcome = attempt.await;
        let Some(hub) = weak.upgrade() else { return };
        hub.running.set(false);
        if hub.term.get() != term {
            return;
        }
        match outcome {
            Outcome::Stopped => return,
            Outcome::Interrupted => hub.need.set(true),
            Outcome::Ended(ended) => {
                let end = End {
                    failure: ended.failure,
                    message: ended.info.message,
                    status: ended.info.status,
                    opened_at: ended.opened_at,
                    browser_retries: ended.browser_retries,
                    repeatable: ended.repeatable,
                };
                hub.post(&Message::End(end.clone()));
                hub.on_end(&end);
            }
        }
    }
}

/// Counts the contexts that share the stream, once a second, while this hub leads (in `term`).
async fn count(weak: Weak<Hub>, term: u64) {
    loop {
        {
            let Some(hub) = weak.upgrade() else { return };
            if hub.is_closed() || hub.term.get() != term {
                return;
            }
            let present = std::mem::take(&mut *hub.present.borrow_mut());
            let peers = u32::try_from(present.len())
                .unwrap_or(u32::MAX)
                .saturating_add(1);
            hub.peers.set(peers);
            hub.post(&Message::Peers(peers));
            hub.post(&Message::Ping);
        }
        Timer::new(super::hub::PING_MS).await;
    }
}

/// The real transport reports to the hub, which numbers and relays it.
impl Sink for Hub {
    fn is_closed(&self) -> bool {
        Hub::is_closed(self)
    }

    /// No `MessageEvent` is made by the transport: each member gets its own.
    fn wants(&self, _event_type: &str) -> bool {
        false
    }

    fn dispatch(&self, _event_type: &str, _event: &web_sys::Event) {}

    fn dispatch_browser(&self, _event_type: &str, _event: &web_sys::Event) {}

    fn set_last_event_id(&self, id: &str) {
        id.clone_into(&mut self.numbered.borrow_mut().id);
    }

    fn last_event_id(&self) -> String {
        self.numbered.borrow().id.clone()
    }

    fn opened(&self) {
        let was_open = self.conn.get() == Conn::Open;
        self.on_open();
        if !was_open {
            self.post(&Message::Open);
        }
    }

    fn received(&self) {}

    fn browser_reconnecting(&self, _event: &web_sys::Event) {}

    fn server_retry(&self, ms: u32) {
        self.post(&Message::Retry(ms));
        self.each_sink(|sink| sink.server_retry(ms));
    }

    fn progress(&self) {
        self.each_sink(|sink| sink.progress());
    }

    /// Every event reaches the hub as a plain event, to be numbered.
    fn wants_batch(&self, _event_type: &str) -> bool {
        true
    }

    fn batch(&self, event: Event) {
        self.number(event);
    }

    fn event_too_large(&self, message: &str) {
        self.post(&Message::TooLarge(message.to_owned()));
        self.each_sink(|sink| sink.event_too_large(message));
    }
}
