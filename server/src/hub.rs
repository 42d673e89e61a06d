//! Pub/sub hub: named channels with monotonically increasing ids, a bounded replay buffer and
//! a broadcast queue for live subscribers.
//!
//! Memory is bounded in three ways:
//! - each buffered event keeps only its id and its pre-rendered wire bytes, and is charged
//!   `wire.len() + EVENT_OVERHEAD` against one budget shared by all channels
//!   (`--replay-bytes`); beyond it the oldest events of any channel are evicted first;
//! - each channel keeps at most `replay` events (`--replay`);
//! - channels exist only while they are useful: a channel nobody holds (no subscriber, no
//!   publisher in progress) is removed as soon as its replay buffer is empty, and when the
//!   channel limit is reached the least recently used channel nobody holds is evicted, so new
//!   channels are refused (503) only while every existing one is in use.
//!
//! A removed channel that is used again starts over at id 1, as after a server restart.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::sse::render_event;

/// Longest accepted channel name, in bytes.
pub const MAX_CHANNEL_NAME: usize = 256;

/// Bytes charged per buffered event on top of its wire size (bookkeeping: the `Arc`, the
/// buffer slot, the id), so that many tiny events are accounted for too.
pub const EVENT_OVERHEAD: usize = 64;

/// A published event: its id and its pre-rendered wire bytes (nothing else is kept).
#[derive(Debug)]
pub struct Event {
    /// The event id (`id:` field), unique and increasing within the channel.
    pub id: u64,
    /// `id: N\n[event: X\n]data: ...\n\n`
    pub wire: Bytes,
}

impl Event {
    /// What this event costs against the replay budget.
    pub fn cost(&self) -> usize {
        self.wire.len() + EVENT_OVERHEAD
    }
}

/// Sizes and limits of a [`Hub`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubLimits {
    /// Maximum number of channels.
    pub max_channels: usize,
    /// Events kept per channel for replay (0 disables replay).
    pub replay: usize,
    /// Bytes all replay buffers together may hold (see [`Event::cost`]).
    pub replay_bytes: usize,
    /// Capacity of each channel's broadcast queue.
    pub broadcast_capacity: usize,
}

/// A buffered event and its global publish order (for oldest-first eviction).
struct Buffered {
    seq: u64,
    event: Arc<Event>,
}

/// The state of one channel.
struct Slot {
    /// The handle given out, if any is alive (the map holds only a weak reference).
    handle: Weak<Channel>,
    next_id: u64,
    buffer: VecDeque<Buffered>,
    sender: broadcast::Sender<Arc<Event>>,
    /// Global sequence number of the last time the channel was looked up or published to.
    last_used: u64,
}

impl Slot {
    fn new(handle: Weak<Channel>, capacity: usize, seq: u64) -> Self {
        Slot {
            handle,
            next_id: 1,
            buffer: VecDeque::new(),
            sender: broadcast::channel(capacity.max(1)).0,
            last_used: seq,
        }
    }

    /// Nobody holds the channel: no subscriber, no publisher.
    fn idle(&self) -> bool {
        self.handle.strong_count() == 0
    }

    fn buffered_bytes(&self) -> usize {
        self.buffer.iter().map(|b| b.event.cost()).sum()
    }
}

/// Every channel, behind one lock (publishing is cheap; the lock is never held across an
/// await).
struct Store {
    channels: HashMap<Arc<str>, Slot>,
    /// Sum of [`Event::cost`] over all buffered events.
    bytes: usize,
    /// Global counter ordering publishes and uses.
    seq: u64,
}

impl Store {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Evicts the oldest buffered events of all channels until the total fits `budget`, and
    /// removes channels that end up empty and idle. O(channels) per evicted event; this only
    /// runs once the budget is exhausted.
    fn enforce_budget(&mut self, budget: usize) {
        while self.bytes > budget {
            let oldest = self
                .channels
                .iter()
                .filter_map(|(name, slot)| slot.buffer.front().map(|b| (b.seq, name)))
                .min()
                .map(|(_, name)| name.clone());
            let Some(name) = oldest else {
                // Nothing buffered: the count is off; resynchronise rather than loop.
                self.bytes = 0;
                return;
            };
            let Some(slot) = self.channels.get_mut(&name) else {
                return;
            };
            if let Some(old) = slot.buffer.pop_front() {
                self.bytes = self.bytes.saturating_sub(old.event.cost());
            }
            if slot.buffer.is_empty() && slot.idle() {
                self.channels.remove(&name);
            }
        }
    }

    /// Removes the least recently used idle channel (preferring empty ones). False if every
    /// channel is in use.
    fn evict_idle_channel(&mut self) -> bool {
        let victim = self
            .channels
            .iter()
            .filter(|(_, slot)| slot.idle())
            .min_by_key(|(_, slot)| (!slot.buffer.is_empty(), slot.last_used))
            .map(|(name, _)| name.clone());
        let Some(name) = victim else {
            return false;
        };
        if let Some(slot) = self.channels.remove(&name) {
            self.bytes = self.bytes.saturating_sub(slot.buffered_bytes());
        }
        true
    }
}

struct Shared {
    store: Mutex<Store>,
    limits: HubLimits,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A handle on one channel. While any clone of it is alive the channel is kept; subscribers
/// and publishers hold one for as long as they use the channel.
pub struct Channel {
    name: Arc<str>,
    shared: Arc<Shared>,
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

impl Channel {
    /// The channel name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This channel's slot. It exists while the handle does (a slot is only removed when
    /// idle); should it be missing anyway, a fresh one is made rather than panicking.
    fn slot<'a>(self: &Arc<Self>, store: &'a mut Store) -> &'a mut Slot {
        let (capacity, seq) = (self.shared.limits.broadcast_capacity, store.seq);
        store
            .channels
            .entry(self.name.clone())
            .or_insert_with(|| Slot::new(Arc::downgrade(self), capacity, seq))
    }

    /// Publishes an event. `event` must be a valid event name (no CR, LF, NUL); an empty name
    /// is treated as no name. Returns the assigned id and the number of live receivers.
    pub fn publish(self: &Arc<Self>, event: Option<&str>, data: &str) -> (u64, usize) {
        let event = event.filter(|e| !e.is_empty());
        let limits = self.shared.limits;
        let mut store = lock(&self.shared.store);
        let seq = store.next_seq();
        let slot = self.slot(&mut store);
        let id = slot.next_id;
        slot.next_id += 1;
        slot.last_used = seq;
        let ev = Arc::new(Event {
            id,
            wire: render_event(Some(id), event, data),
        });
        let (mut added, mut freed) = (0, 0);
        if limits.replay > 0 {
            added = ev.cost();
            slot.buffer.push_back(Buffered {
                seq,
                event: ev.clone(),
            });
            while slot.buffer.len() > limits.replay {
                if let Some(old) = slot.buffer.pop_front() {
                    freed += old.event.cost();
                }
            }
        }
        let receivers = slot.sender.send(ev).unwrap_or(0);
        store.bytes = (store.bytes + added).saturating_sub(freed);
        store.enforce_budget(limits.replay_bytes);
        (id, receivers)
    }

    /// Subscribes to live events and, atomically with it, snapshots the buffered events with
    /// an id above `resume`. A resume point beyond the last assigned id (e.g. from before a
    /// server restart) is treated as no resume point. Without one there is no replay.
    pub fn subscribe(self: &Arc<Self>, resume: Option<u64>) -> Subscription {
        let mut store = lock(&self.shared.store);
        let slot = self.slot(&mut store);
        let last_assigned = slot.next_id - 1;
        let receiver = slot.sender.subscribe();
        match resume.filter(|&r| r <= last_assigned) {
            Some(after) => Subscription {
                receiver,
                replay: Self::after(slot, after),
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
    pub fn since(self: &Arc<Self>, after: u64) -> Vec<Arc<Event>> {
        let mut store = lock(&self.shared.store);
        Self::after(self.slot(&mut store), after)
    }

    fn after(slot: &Slot, after: u64) -> Vec<Arc<Event>> {
        let start = slot.buffer.partition_point(|b| b.event.id <= after);
        slot.buffer
            .range(start..)
            .map(|b| b.event.clone())
            .collect()
    }

    /// The id the next published event will get.
    pub fn next_id(self: &Arc<Self>) -> u64 {
        let mut store = lock(&self.shared.store);
        self.slot(&mut store).next_id
    }
}

impl Drop for Channel {
    /// The last handle is gone: an empty channel is removed at once.
    fn drop(&mut self) {
        let mut store = lock(&self.shared.store);
        let removable = store
            .channels
            .get(&self.name)
            .is_some_and(|slot| slot.idle() && slot.buffer.is_empty());
        if removable {
            store.channels.remove(&self.name);
        }
    }
}

/// Why a channel could not be had.
#[derive(Debug, PartialEq, Eq)]
pub enum HubError {
    /// The channel limit is reached and every channel is in use.
    TooManyChannels(usize),
    /// The name is empty or too long.
    BadName,
}

/// All channels, created on demand up to a limit.
pub struct Hub {
    shared: Arc<Shared>,
}

impl Hub {
    /// An empty hub.
    pub fn new(limits: HubLimits) -> Self {
        Hub {
            shared: Arc::new(Shared {
                store: Mutex::new(Store {
                    channels: HashMap::new(),
                    bytes: 0,
                    seq: 0,
                }),
                limits,
            }),
        }
    }

    /// Gets or creates the channel `name`. At the channel limit, the least recently used
    /// channel nobody holds is evicted to make room.
    pub fn channel(&self, name: &str) -> Result<Arc<Channel>, HubError> {
        if name.is_empty() || name.len() > MAX_CHANNEL_NAME {
            return Err(HubError::BadName);
        }
        let limits = self.shared.limits;
        let mut store = lock(&self.shared.store);
        let seq = store.next_seq();
        if let Some(slot) = store.channels.get_mut(name) {
            slot.last_used = seq;
            if let Some(handle) = slot.handle.upgrade() {
                return Ok(handle);
            }
            let handle = self.handle(name);
            slot.handle = Arc::downgrade(&handle);
            return Ok(handle);
        }
        if store.channels.len() >= limits.max_channels && !store.evict_idle_channel() {
            return Err(HubError::TooManyChannels(limits.max_channels));
        }
        let handle = self.handle(name);
        let slot = Slot::new(Arc::downgrade(&handle), limits.broadcast_capacity, seq);
        store.channels.insert(handle.name.clone(), slot);
        Ok(handle)
    }

    fn handle(&self, name: &str) -> Arc<Channel> {
        Arc::new(Channel {
            name: name.into(),
            shared: self.shared.clone(),
        })
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        lock(&self.shared.store).channels.len()
    }

    /// True if no channel exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by all replay buffers (as charged against the budget).
    pub fn buffered_bytes(&self) -> usize {
        lock(&self.shared.store).bytes
    }

    /// The limits the hub was built with.
    pub fn limits(&self) -> HubLimits {
        self.shared.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(max_channels: usize, replay: usize, replay_bytes: usize) -> Hub {
        Hub::new(HubLimits {
            max_channels,
            replay,
            replay_bytes,
            broadcast_capacity: 4,
        })
    }

    fn ids(v: Vec<Arc<Event>>) -> Vec<u64> {
        v.iter().map(|e| e.id).collect()
    }

    /// The store's byte count matches what the buffers hold.
    fn consistent(hub: &Hub) -> usize {
        let store = lock(&hub.shared.store);
        let sum: usize = store.channels.values().map(Slot::buffered_bytes).sum();
        assert_eq!(store.bytes, sum);
        sum
    }

    #[test]
    fn ids_replay_and_count_cap() {
        let hub = hub(2, 3, usize::MAX);
        let ch = hub.channel("a").unwrap();
        for i in 1..=5u64 {
            assert_eq!(ch.publish(None, &format!("{i}")).0, i);
        }
        assert_eq!(ids(ch.since(0)), [3, 4, 5]);
        assert_eq!(ids(ch.since(4)), [5]);
        let sub = ch.subscribe(Some(3));
        assert_eq!((ids(sub.replay), sub.cursor), (vec![4, 5], 3));
        let sub = ch.subscribe(None);
        assert_eq!((sub.replay.len(), sub.cursor), (0, 5));
        let sub = ch.subscribe(Some(99));
        assert_eq!((sub.replay.len(), sub.cursor), (0, 5));
        assert_eq!(ch.publish(Some(""), "x").1, 3);
        assert_eq!(&ch.since(5)[0].wire[..], b"id: 6\ndata: x\n\n");
        assert_eq!(hub.channel("").err(), Some(HubError::BadName));
        assert_eq!(consistent(&hub), 3 * (15 + EVENT_OVERHEAD));
    }

    #[test]
    fn global_budget_evicts_oldest_across_channels() {
        let one = render_event(Some(1), None, &"x".repeat(1000)).len() + EVENT_OVERHEAD;
        // Room for exactly five such events in total.
        let hub = hub(10, 1000, 5 * one + 10);
        let (a, b) = (hub.channel("a").unwrap(), hub.channel("b").unwrap());
        let data = "x".repeat(1000);
        for _ in 0..3 {
            a.publish(None, &data);
        }
        for _ in 0..3 {
            b.publish(None, &data);
        }
        // Six published, five fit: a's first (the oldest overall) is gone.
        assert_eq!(ids(a.since(0)), [2, 3]);
        assert_eq!(ids(b.since(0)), [1, 2, 3]);
        for _ in 0..2 {
            b.publish(None, &data);
        }
        assert_eq!(ids(a.since(0)), [] as [u64; 0]);
        assert_eq!(ids(b.since(0)), [1, 2, 3, 4, 5]);
        assert!(hub.buffered_bytes() <= hub.limits().replay_bytes);
        consistent(&hub);
        // An event larger than the whole budget is not kept at all.
        b.publish(None, &"y".repeat(10 * 1000));
        assert!(ch_is_empty(&b));
        assert_eq!(consistent(&hub), 0);
        // Ids carry on, nonetheless.
        assert_eq!(b.publish(None, "z").0, 7);
    }

    fn ch_is_empty(ch: &Arc<Channel>) -> bool {
        ch.since(0).is_empty()
    }

    #[test]
    fn unused_channels_are_removed_or_evicted() {
        let hub = hub(2, 10, usize::MAX);
        // Used but never published to: removed when the last handle goes.
        let a = hub.channel("a").unwrap();
        let a2 = hub.channel("a").unwrap();
        assert!(Arc::ptr_eq(&a, &a2));
        drop(a);
        assert_eq!(hub.len(), 1);
        drop(a2);
        assert!(hub.is_empty());

        // With buffered events a channel stays (for replay) until room is needed.
        hub.channel("old").unwrap().publish(None, "1");
        hub.channel("new").unwrap().publish(None, "1");
        assert_eq!(hub.len(), 2);
        let held = hub.channel("new").unwrap();
        let third = hub.channel("third").unwrap();
        assert_eq!(hub.len(), 2, "the idle channel made room");
        assert!(hub.channel("old").is_err(), "both channels are in use now");
        assert_eq!(held.since(0).len(), 1, "the held channel kept its replay");
        drop(third);
        // "third" was empty, so it went away with its handle; "old" starts over.
        let old = hub.channel("old").unwrap();
        assert_eq!(old.next_id(), 1);
        assert_eq!(consistent(&hub), held.since(0)[0].cost());
    }

    #[test]
    fn budget_eviction_removes_emptied_idle_channels() {
        let cost = render_event(Some(1), None, "1").len() + EVENT_OVERHEAD;
        let hub = hub(1000, 10, 3 * cost);
        for i in 0..100 {
            hub.channel(&format!("c{i}")).unwrap().publish(None, "1");
        }
        // Only the three newest channels still hold an event; the rest were removed.
        assert_eq!(hub.len(), 3);
        assert_eq!(consistent(&hub), 3 * cost);
        assert_eq!(hub.channel("c99").unwrap().since(0).len(), 1);
    }

    #[test]
    fn at_the_limit_with_every_channel_held_it_refuses() {
        let hub = hub(2, 10, usize::MAX);
        let _a = hub.channel("a").unwrap();
        let _b = hub.channel("b").unwrap();
        assert_eq!(hub.channel("c").err(), Some(HubError::TooManyChannels(2)));
        drop(_b);
        assert!(hub.channel("c").is_ok());
    }
}
