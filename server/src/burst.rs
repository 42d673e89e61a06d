//! Bursts of events published server-side (`POST /burst`, test mode), without hogging a
//! worker thread, and the bounded set of bursts scheduled for later.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::hub::Channel;
use crate::Shutdown;

/// A burst yields to the scheduler after this many events.
pub const YIELD_EVERY: u64 = 256;

/// Most bursts that may be scheduled (waiting or publishing) at once.
pub const MAX_SCHEDULED: usize = 64;

/// Ids of a finished (or stopped) burst.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    /// Id of the first event (0 if none was published).
    pub first_id: u64,
    /// Id of the last event (0 if none was published).
    pub last_id: u64,
    /// How many were published.
    pub count: u64,
}

/// Publishes `n` plain events with data `1`..`n` to `channel`: `per_ms` per millisecond, or
/// all at once if `per_ms` is 0. Yields every [`YIELD_EVERY`] events and stops early when
/// shutdown starts.
pub async fn publish(
    channel: &Arc<Channel>,
    n: u64,
    per_ms: u64,
    shutdown: &Shutdown,
) -> Published {
    let mut out = Published::default();
    for k in 1..=n {
        if shutdown.is_started() {
            break;
        }
        let (id, _) = channel.publish(None, &k.to_string());
        if out.count == 0 {
            out.first_id = id;
        }
        out.last_id = id;
        out.count += 1;
        if per_ms > 0 && k % per_ms == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        } else if k % YIELD_EVERY == 0 {
            tokio::task::yield_now().await;
        }
    }
    out
}

/// Counts the bursts scheduled for later.
#[derive(Debug, Default)]
pub struct Scheduled {
    count: Arc<AtomicUsize>,
}

/// One scheduled burst's place; freed when its task ends (or is dropped).
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Scheduled {
    /// Publishes the burst after `delay`, in a task that ends early at shutdown. False (and
    /// nothing scheduled) when [`MAX_SCHEDULED`] bursts are already pending.
    pub fn schedule(
        &self,
        channel: Arc<Channel>,
        n: u64,
        per_ms: u64,
        delay: Duration,
        mut shutdown: Shutdown,
    ) -> bool {
        let reserved = self
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_SCHEDULED).then_some(n + 1)
            });
        if reserved.is_err() {
            return false;
        }
        let place = Place(self.count.clone());
        tokio::spawn(async move {
            let _place = place;
            let stop = shutdown.clone();
            let run = async move {
                tokio::time::sleep(delay).await;
                publish(&channel, n, per_ms, &stop).await;
            };
            tokio::select! {
                _ = shutdown.wait() => {}
                _ = run => {}
            }
        });
        true
    }

    /// Bursts scheduled and not finished yet.
    pub fn pending(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }
}
