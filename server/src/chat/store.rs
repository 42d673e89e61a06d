//! The replies kept for resuming, bounded in number and in time.
//!
//! - A reply stays while it is generated, and for `--chat-ttl-ms` after its `done` event;
//!   expired replies are dropped on the next use of the store (and are unknown from then on).
//! - At most `--chat-replies` replies are kept: a new one evicts the reply that finished
//!   longest ago; when every kept reply is still being generated, a new one is refused (503).
//! - A reply has at most `--chat-tokens` tokens (larger requests get 400), so its buffer holds
//!   at most that many events plus `done`.
//!
//! Reply ids are 16 hex digits: a counter mixed with a salt taken at start, so ids do not
//! repeat within a run and an id from an earlier run is (almost surely) unknown, not another
//! reply.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::reply::Reply;
use crate::chaos::mix;

/// Bounds of the reply store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatLimits {
    /// Replies kept at most (`--chat-replies`).
    pub max_replies: usize,
    /// Tokens per reply at most (`--chat-tokens`).
    pub max_tokens: u64,
    /// How long a finished reply is kept (`--chat-ttl-ms`).
    pub ttl: Duration,
}

/// A new reply could not be kept.
#[derive(Debug, PartialEq, Eq)]
pub struct Full(pub usize);

#[derive(Debug, Default)]
struct Store {
    replies: HashMap<Arc<str>, Arc<Reply>>,
    next: u64,
}

impl Store {
    fn purge(&mut self, ttl: Duration, now: Instant) {
        self.replies.retain(|_, reply| {
            reply
                .finished_at()
                .is_none_or(|at| now.saturating_duration_since(at) < ttl)
        });
    }

    /// Removes the reply that finished longest ago; false if none has finished.
    fn evict_finished(&mut self) -> bool {
        let oldest = self
            .replies
            .iter()
            .filter_map(|(id, reply)| reply.finished_at().map(|at| (at, id.clone())))
            .min();
        match oldest {
            Some((_, id)) => self.replies.remove(&id).is_some(),
            None => false,
        }
    }
}

/// Every reply kept for resuming, and the totals `/stats` reports.
#[derive(Debug)]
pub struct Replies {
    limits: ChatLimits,
    salt: u64,
    store: Mutex<Store>,
    posts: AtomicU64,
    resumes: AtomicU64,
}

impl Replies {
    /// An empty store with `limits`.
    pub fn new(limits: ChatLimits) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Replies {
            limits,
            salt: mix(nanos ^ u64::from(std::process::id())),
            store: Mutex::new(Store::default()),
            posts: AtomicU64::new(0),
            resumes: AtomicU64::new(0),
        }
    }

    /// The limits the store was built with.
    pub fn limits(&self) -> ChatLimits {
        self.limits
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.purge(self.limits.ttl, Instant::now());
        store
    }

    /// Keeps a new, empty reply of `tokens` tokens, evicting the reply that finished longest
    /// ago if the store is full; [`Full`] when every kept reply is still being generated.
    pub fn create(&self, tokens: u64, interval_ms: u64) -> Result<Arc<Reply>, Full> {
        let mut store = self.lock();
        while store.replies.len() >= self.limits.max_replies {
            if !store.evict_finished() {
                return Err(Full(self.limits.max_replies));
            }
        }
        store.next += 1;
        // `mix` is a bijection, so distinct counters give distinct ids.
        let id: Arc<str> = format!("{:016x}", mix(store.next ^ self.salt)).into();
        let reply = Reply::new(id.clone(), tokens, interval_ms);
        store.replies.insert(id, reply.clone());
        self.posts.fetch_add(1, Ordering::Relaxed);
        Ok(reply)
    }

    /// The reply `id`, unless it is unknown, evicted or expired.
    pub fn get(&self, id: &str) -> Option<Arc<Reply>> {
        self.lock().replies.get(id).cloned()
    }

    /// Counts a GET of a kept reply (also on the reply).
    pub fn count_resume(&self, reply: &Reply) {
        reply.count_resume();
        self.resumes.fetch_add(1, Ordering::Relaxed);
    }

    /// The totals for `/stats`: replies kept and being generated, POSTs that started a reply,
    /// GETs of a kept reply.
    pub fn stats(&self) -> serde_json::Value {
        let (kept, generating) = {
            let store = self.lock();
            let generating = store
                .replies
                .values()
                .filter(|r| r.finished_at().is_none())
                .count();
            (store.replies.len(), generating)
        };
        serde_json::json!({
            "replies": kept,
            "generating": generating,
            "posts": self.posts.load(Ordering::Relaxed),
            "resumes": self.resumes.load(Ordering::Relaxed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::tokens::Tokens;
    use crate::Shutdown;
    use tokio::sync::watch;

    fn limits(max_replies: usize, ttl_ms: u64) -> ChatLimits {
        ChatLimits {
            max_replies,
            max_tokens: 100,
            ttl: Duration::from_millis(ttl_ms),
        }
    }

    async fn finish(reply: &Arc<Reply>) {
        let (_tx, rx) = watch::channel(false);
        reply
            .clone()
            .generate(Tokens::new("x").unwrap(), Shutdown(rx))
            .await;
    }

    #[tokio::test]
    async fn ids_are_distinct_hex() {
        let replies = Replies::new(limits(1000, 60_000));
        let ids: std::collections::HashSet<String> = (0..500)
            .map(|_| replies.create(1, 0).unwrap().id().to_string())
            .collect();
        assert_eq!(ids.len(), 500);
        assert!(ids
            .iter()
            .all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())));
        assert_eq!(replies.stats()["posts"], 500);
    }

    #[tokio::test]
    async fn full_store_evicts_the_oldest_finished_or_refuses() {
        let replies = Replies::new(limits(2, 60_000));
        let a = replies.create(1, 0).unwrap();
        let b = replies.create(1, 0).unwrap();
        assert_eq!(replies.create(1, 0).err(), Some(Full(2)), "both generating");
        finish(&b).await;
        tokio::time::sleep(Duration::from_millis(2)).await;
        finish(&a).await;
        let c = replies.create(1, 0).unwrap();
        assert!(replies.get(b.id()).is_none(), "b finished first");
        assert!(replies.get(a.id()).is_some() && replies.get(c.id()).is_some());
        assert_eq!(replies.stats()["replies"], 2);
        assert_eq!(replies.stats()["generating"], 1);
    }

    #[tokio::test]
    async fn finished_replies_expire() {
        let replies = Replies::new(limits(10, 30));
        let a = replies.create(1, 0).unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(replies.get(a.id()).is_some(), "not finished: kept");
        finish(&a).await;
        assert!(replies.get(a.id()).is_some());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(replies.get(a.id()).is_none());
        assert_eq!(replies.stats()["replies"], 0);
    }
}
