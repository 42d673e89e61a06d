//! What a hub does with the messages of the other contexts.

use super::hub::{Conn, Hub, Point, Role};
use super::message::Message;

impl Hub {
    pub(super) fn on_message(&self, message: Message) {
        if self.is_closed() {
            return;
        }
        self.peers_heard.set(true);
        let leads = self.role.get() == Role::Leader;
        match message {
            Message::Events(first, events) => {
                // A late event of the previous leader is delivered too: the numbers agree.
                if !leads && self.conn.get() != Conn::Open {
                    self.on_open();
                }
                for (seq, event) in (first..).zip(events) {
                    if self.is_closed() {
                        return;
                    }
                    self.arrived(seq, event);
                }
            }
            Message::Open if !leads => self.on_open(),
            Message::End(end) if !leads => self.on_end(&end),
            Message::Retry(ms) => self.each_sink(|sink| sink.server_retry(ms)),
            Message::TooLarge(text) => self.each_sink(|sink| sink.event_too_large(&text)),
            Message::Ask(id) => {
                let Point { seq, id: last } = self.delivered.borrow().clone();
                if seq > 0 {
                    self.post(&Message::Seen(id, seq, last));
                }
            }
            Message::Seen(ask, seq, id) => {
                if let Some((asked, points)) = self.answers.borrow_mut().as_mut() {
                    if *asked == ask {
                        points.push(Point { seq, id });
                    }
                }
            }
            Message::Hello(_) if leads => self.tell_state(),
            Message::Need if leads && self.running.get() => self.tell_state(),
            // While electing too: the new leader connects once it knows where to resume from.
            Message::Need if self.role.get() != Role::Follower => self.demand(),
            Message::State(open, seq, id) if !leads => self.on_state(open, Point { seq, id }),
            Message::Ping => self.post(&Message::Here(self.id)),
            Message::Here(id) if leads => self.present.borrow_mut().push(id),
            Message::Peers(n) if !leads => self.peers.set(n),
            Message::Since(seq, id) if leads => self.send_since(Point { seq, id }),
            // Electing: the new leader resumes from the oldest point it knows, this one too.
            Message::Since(seq, id) if self.role.get() == Role::Electing => {
                self.restart_at(Point { seq, id });
            }
            _ => {}
        }
    }

    /// The leader's state: a context that has had no event starts after the leader's last.
    fn on_state(&self, open: bool, point: Point) {
        {
            let mut delivered = self.delivered.borrow_mut();
            if delivered.seq == 0 {
                *delivered = point.clone();
            }
            let mut seen = self.seen.borrow_mut();
            if point.seq > seen.seq {
                *seen = point;
            }
        }
        if open {
            self.on_open();
        }
    }
}
