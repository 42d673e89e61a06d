//! Pub/sub hub: named channels with monotonically increasing ids, a bounded replay buffer and
//! a broadcast queue for live subscribers.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::sse::render_event;

/// Upper bound on the bytes one channel keeps for replay (on top of the `replay` count), so
/// that `max_channels * replay * max_body_bytes` cannot exhaust memory.
pub const MAX_CHANNEL_BUFFER_BYTES: usize = 8 << 20;

/// Longest accepted channel name, in bytes.
pub const MAX_CHANNEL_NAME: usize = 256;

/// A published event with its pre-rendered wire bytes.
#[derive(Debug)]
pub struct Event {
    /// The event id (`id:` field), unique and increasing within the channel.
    pub id: u64,
    /// The event type, `None` for a plain `message`.
    pub event: Option<String>,
    /// The data (may contain line breaks).
    pub data: String,
    /// `id: N\n[event: X\n]data: ...\n\n`
    pub wire: Bytes,
}

struct Inner {
    next_id: u64,
    buffer: VecDeque<Arc<Event>>,
    buffered_bytes: usize,
    sender: broadcast::Sender<Arc<Event>>,
}

/// One channel.
pub struct Channel {
    name: String,
    replay: usize,
    inner: Mutex<Inner>,
}

/// What a new subscriber starts with.
pub struct Subscription {
    /// Live events published after the snapshot.
    pub receiver: broadcast::Receiver<Arc<Event>>,
    /// Buffered events after the resume point, in order.
    pub replay: Vec<Arc<Event>>,
    /// The id the subscriber is considered to have seen: live events with an id at or below
    /// this are skipped.
    pub cursor: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Channel {
    fn new(name: String, replay: usize, capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Channel {
            name,
            replay,
            inner: Mutex::new(Inner {
                next_id: 1,
                buffer: VecDeque::new(),
                buffered_bytes: 0,
                sender,
            }),
        }
    }

    /// The channel name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Publishes an event. `event` must be a valid event name (no CR, LF, NUL); an empty name
    /// is treated as no name. Returns the assigned id and the number of live receivers.
    pub fn publish(&self, event: Option<String>, data: String) -> (u64, usize) {
        let event = event.filter(|e| !e.is_empty());
        let mut inner = lock(&self.inner);
        let id = inner.next_id;
        inner.next_id += 1;
        let wire = render_event(Some(id), event.as_deref(), &data);
        let ev = Arc::new(Event {
            id,
            event,
            data,
            wire,
        });
        if self.replay > 0 {
            inner.buffered_bytes += ev.wire.len();
            inner.buffer.push_back(ev.clone());
            while inner.buffer.len() > self.replay
                || (inner.buffered_bytes > MAX_CHANNEL_BUFFER_BYTES && inner.buffer.len() > 1)
            {
                if let Some(old) = inner.buffer.pop_front() {
                    inner.buffered_bytes -= old.wire.len();
                }
            }
        }
        let receivers = inner.sender.send(ev).unwrap_or(0);
        (id, receivers)
    }

    /// Subscribes to live events and, atomically with it, snapshots the buffered events with
    /// an id above `resume`. A resume point beyond the last assigned id (e.g. from before a
    /// server restart) is treated as no resume point. Without one there is no replay.
    pub fn subscribe(&self, resume: Option<u64>) -> Subscription {
        let inner = lock(&self.inner);
        let last_assigned = inner.next_id - 1;
        let receiver = inner.sender.subscribe();
        match resume.filter(|&r| r <= last_assigned) {
            Some(after) => Subscription {
                receiver,
                replay: Self::after(&inner, after),
                cursor: after,
            },
            None => Subscription {
                receiver,
                replay: Vec::new(),
                cursor: last_assigned,
            },
        }
    }

    /// The buffered events with an id above `after`, in order.
    pub fn since(&self, after: u64) -> Vec<Arc<Event>> {
        Self::after(&lock(&self.inner), after)
    }

    fn after(inner: &Inner, after: u64) -> Vec<Arc<Event>> {
        let start = inner.buffer.partition_point(|e| e.id <= after);
        inner.buffer.range(start..).cloned().collect()
    }

    /// The id the next published event will get.
    pub fn next_id(&self) -> u64 {
        lock(&self.inner).next_id
    }
}

/// Why a channel could not be had.
#[derive(Debug, PartialEq, Eq)]
pub enum HubError {
    /// The channel limit is reached.
    TooManyChannels(usize),
    /// The name is empty or too long.
    BadName,
}

/// All channels, created on demand up to a limit.
pub struct Hub {
    channels: Mutex<HashMap<String, Arc<Channel>>>,
    max_channels: usize,
    replay: usize,
    capacity: usize,
}

impl Hub {
    /// An empty hub.
    pub fn new(max_channels: usize, replay: usize, broadcast_capacity: usize) -> Self {
        Hub {
            channels: Mutex::new(HashMap::new()),
            max_channels,
            replay,
            capacity: broadcast_capacity,
        }
    }

    /// Gets or creates the channel `name`.
    pub fn channel(&self, name: &str) -> Result<Arc<Channel>, HubError> {
        if name.is_empty() || name.len() > MAX_CHANNEL_NAME {
            return Err(HubError::BadName);
        }
        let mut channels = lock(&self.channels);
        if let Some(ch) = channels.get(name) {
            return Ok(ch.clone());
        }
        if channels.len() >= self.max_channels {
            return Err(HubError::TooManyChannels(self.max_channels));
        }
        let ch = Arc::new(Channel::new(name.to_string(), self.replay, self.capacity));
        channels.insert(name.to_string(), ch.clone());
        Ok(ch)
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        lock(&self.channels).len()
    }

    /// True if no channel exists yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_replay_and_cap() {
        let hub = Hub::new(2, 3, 4);
        let ch = hub.channel("a").unwrap();
        for i in 1..=5u64 {
            assert_eq!(ch.publish(None, format!("{i}")).0, i);
        }
        let ids = |v: Vec<Arc<Event>>| v.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(ch.since(0)), [3, 4, 5]);
        assert_eq!(ids(ch.since(4)), [5]);
        let sub = ch.subscribe(Some(3));
        assert_eq!((ids(sub.replay), sub.cursor), (vec![4, 5], 3));
        let sub = ch.subscribe(None);
        assert_eq!((sub.replay.len(), sub.cursor), (0, 5));
        let sub = ch.subscribe(Some(99));
        assert_eq!((sub.replay.len(), sub.cursor), (0, 5));
        assert_eq!(ch.publish(Some(String::new()), "x".into()).1, 3);
        assert!(hub.channel("b").is_ok());
        assert_eq!(hub.channel("c").err(), Some(HubError::TooManyChannels(2)));
        assert_eq!(hub.channel("").err(), Some(HubError::BadName));
        assert_eq!(hub.len(), 2);
    }

    #[test]
    fn byte_cap_bounds_buffer() {
        let hub = Hub::new(1, 1000, 4);
        let ch = hub.channel("big").unwrap();
        let data = "x".repeat(1 << 20);
        for _ in 0..10 {
            ch.publish(None, data.clone());
        }
        let kept = ch.since(0);
        assert!(kept.len() < 9 && !kept.is_empty());
        assert_eq!(kept.last().unwrap().id, 10);
    }
}
