//! Fault injection for reconnection tests (test mode): connections dropped at random byte
//! offsets (seeded, reproducible), server outages, and bursts of events published server-side.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::watch;

/// A small deterministic RNG (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `1..=max` (`max` ≥ 1).
    pub fn between_one_and(&mut self, max: u64) -> u64 {
        1 + self.next_u64() % max.max(1)
    }
}

/// Ends `inner` after a random number of bytes in `1..=2 × mean_bytes` (cutting a chunk, and so
/// usually an event, in the middle): the client sees the stream end abruptly.
pub fn cut_after_random_bytes<S>(
    inner: S,
    rng: &mut Rng,
    mean_bytes: u64,
) -> impl Stream<Item = Bytes>
where
    S: Stream<Item = Bytes> + Send + 'static,
{
    let budget = rng.between_one_and(mean_bytes.saturating_mul(2));
    stream::unfold(
        (Box::pin(inner), budget),
        |(mut inner, budget)| async move {
            if budget == 0 {
                return None;
            }
            let chunk = inner.next().await?;
            let len = chunk.len() as u64;
            if len >= budget {
                Some((chunk.slice(..budget as usize), (inner, 0)))
            } else {
                Some((chunk, (inner, budget - len)))
            }
        },
    )
}

/// Server outages: while one lasts, open streams end and new connections are dropped.
#[derive(Debug)]
pub struct Outages {
    until: Mutex<Option<Instant>>,
    generation: watch::Sender<u64>,
    /// Counts `/events` connections, to derive a per-connection chaos seed.
    pub connections: AtomicU64,
}

impl Default for Outages {
    fn default() -> Self {
        Outages {
            until: Mutex::new(None),
            generation: watch::channel(0).0,
            connections: AtomicU64::new(0),
        }
    }
}

impl Outages {
    /// Starts an outage of `duration`: open streams end now.
    pub fn start(&self, duration: Duration) {
        if let Ok(mut until) = self.until.lock() {
            *until = Some(Instant::now() + duration);
        }
        self.generation.send_modify(|g| *g += 1);
    }

    /// Whether an outage is under way.
    pub fn active(&self) -> bool {
        self.until
            .lock()
            .map(|until| until.is_some_and(|t| Instant::now() < t))
            .unwrap_or(false)
    }

    /// Resolves when the next outage starts.
    pub fn next_outage(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.generation.subscribe();
        receiver.mark_unchanged();
        async move {
            let _ = receiver.changed().await;
        }
    }

    /// A per-connection number (for chaos seeds).
    pub fn next_connection(&self) -> u64 {
        self.connections.fetch_add(1, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            let x = a.between_one_and(10);
            assert_eq!(x, b.between_one_and(10));
            assert!((1..=10).contains(&x));
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[tokio::test]
    async fn cuts_within_the_budget_and_mid_chunk() {
        let chunks: Vec<Bytes> = (0..100)
            .map(|i| Bytes::from(format!("data: {i:04}\n\n")))
            .collect();
        let total: usize = chunks.iter().map(|c| c.len()).sum();
        for seed in 0..50 {
            let mut rng = Rng::new(seed);
            let out: Vec<Bytes> =
                cut_after_random_bytes(stream::iter(chunks.clone()), &mut rng, 100)
                    .collect()
                    .await;
            let written: usize = out.iter().map(|c| c.len()).sum();
            assert!((1..=200).contains(&written), "{written}");
            assert!(written < total);
        }
    }

    #[tokio::test]
    async fn outages_end_and_notify() {
        let outages = Outages::default();
        assert!(!outages.active());
        let next = outages.next_outage();
        outages.start(Duration::from_millis(50));
        next.await;
        assert!(outages.active());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!outages.active());
    }
}
