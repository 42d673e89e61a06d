//! Fault injection for reconnection tests (test mode): connections dropped at seeded random
//! byte offsets, and server outages.
//!
//! A dropped connection is aborted, not ended: the body yields an error, so hyper closes the
//! connection without the terminating chunk and the client sees an interrupted read.

use std::future::Future;
use std::io;
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
        Rng(mix(seed) | 1)
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

/// The splitmix64 finaliser: spreads every input bit over the output.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Where a chaos connection is cut: this many bytes (`1..=2 × mean_bytes`) after the end of
/// the first event it delivers.
///
/// A pure function of the seed and the resume point (the `Last-Event-ID` the connection
/// resumes from, `None` for a fresh one), so a failing run replays from its seed alone. Every
/// connection delivers at least one whole event before its cut, so the client's resume point
/// moves forward and the next connection gets another offset.
pub fn cut_offset(seed: u64, resume: Option<u64>, mean_bytes: u64) -> u64 {
    let resume = resume.map_or(0, |r| mix(r.wrapping_add(1)));
    Rng::new(seed ^ resume).between_one_and(mean_bytes.saturating_mul(2))
}

/// The error a dropped connection's body ends with.
pub fn dropped(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        format!("{why}: connection dropped"),
    )
}

/// Where the first event in `chunk` ends (just after its blank line), if one does.
///
/// Relies on how this server writes `/events`: every event is rendered whole into a single
/// chunk and starts with an `id:` line, while the other blocks it writes (the `retry:` prelude
/// and keep-alive comments) do not.
pub fn first_event_end(chunk: &[u8]) -> Option<usize> {
    let mut block = 0;
    while block < chunk.len() {
        let end = find(&chunk[block..], b"\n\n").map(|i| block + i + 2)?;
        if chunk[block..].starts_with(b"id:") {
            return Some(end);
        }
        block = end;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

enum Cut {
    /// Before the end of the first event.
    Protected,
    /// This many more bytes may be written.
    Left(u64),
    /// The cut was written; the error comes next.
    Failing,
    Done,
}

impl Cut {
    /// Splits `chunk` at the cut: what to write, and the state after it.
    fn apply(self, chunk: Bytes, offset: u64) -> (Bytes, Cut) {
        let (protected, left) = match self {
            Cut::Left(left) => (0, left),
            _ => match first_event_end(&chunk) {
                Some(end) => (end, offset),
                None => return (chunk, Cut::Protected),
            },
        };
        let counted = (chunk.len() - protected) as u64;
        if counted < left {
            return (chunk, Cut::Left(left - counted));
        }
        // `left` ≤ `counted`: the cut is inside this chunk (or at its end).
        let keep = protected + usize::try_from(left).unwrap_or(usize::MAX);
        (chunk.slice(..keep), Cut::Failing)
    }
}

/// Passes `inner` through until `offset` (at least 1) bytes after the end of its first event
/// (cutting a chunk, and so usually an event, in the middle), then fails with [`dropped`].
pub fn cut_after_first_event<S>(inner: S, offset: u64) -> impl Stream<Item = io::Result<Bytes>>
where
    S: Stream<Item = Bytes> + Send + 'static,
{
    let offset = offset.max(1);
    stream::unfold(
        (Box::pin(inner), Cut::Protected),
        move |(mut inner, state)| async move {
            match state {
                Cut::Done => None,
                Cut::Failing => Some((Err(dropped("chaos")), (inner, Cut::Done))),
                Cut::Protected | Cut::Left(_) => {
                    let chunk = inner.next().await?;
                    let (out, state) = state.apply(chunk, offset);
                    Some((Ok(out), (inner, state)))
                }
            }
        },
    )
}

/// Passes `inner` through until `abort` resolves, then fails with [`dropped`] (an outage
/// drops live streams abruptly).
pub fn abort_when<S, F>(
    inner: S,
    abort: F,
    why: &'static str,
) -> impl Stream<Item = io::Result<Bytes>>
where
    S: Stream<Item = io::Result<Bytes>> + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let state = (Box::pin(inner), Some(Box::pin(abort)));
    stream::unfold(state, move |(mut inner, abort)| async move {
        let mut abort = abort?;
        tokio::select! {
            biased;
            () = &mut abort => Some((Err(dropped(why)), (inner, None))),
            item = inner.next() => item.map(|item| (item, (inner, Some(abort)))),
        }
    })
}

/// Server outages: while one lasts, open streams are dropped and new connections refused.
#[derive(Debug)]
pub struct Outages {
    until: Mutex<Option<Instant>>,
    generation: watch::Sender<u64>,
}

impl Default for Outages {
    fn default() -> Self {
        Outages {
            until: Mutex::new(None),
            generation: watch::channel(0).0,
        }
    }
}

impl Outages {
    /// Starts an outage of `duration` (replacing one under way): open streams drop now.
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
    pub fn next_outage(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut receiver = self.generation.subscribe();
        receiver.mark_unchanged();
        async move {
            let _ = receiver.changed().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generous bound for waits in tests (the machine may be loaded).
    const WAIT: Duration = Duration::from_secs(10);

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            let x = a.between_one_and(10);
            assert_eq!(x, b.between_one_and(10));
            assert!((1..=10).contains(&x));
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
        assert_ne!(Rng::new(0).next_u64(), Rng::new(1).next_u64());
    }

    #[test]
    fn cut_offset_depends_on_seed_and_resume_point_only() {
        for seed in 0..20 {
            for resume in [None, Some(0), Some(1), Some(500)] {
                let x = cut_offset(seed, resume, 100);
                assert_eq!(x, cut_offset(seed, resume, 100));
                assert!((1..=200).contains(&x), "{x}");
            }
        }
        // Successive reconnections (later resume points) get different offsets.
        let offsets: std::collections::HashSet<u64> =
            (0..50).map(|r| cut_offset(42, Some(r), 4000)).collect();
        assert!(offsets.len() > 40, "{offsets:?}");
        assert_ne!(cut_offset(42, None, 4000), cut_offset(42, Some(0), 4000));
        // And different seeds give different sequences.
        let seq = |seed| {
            (0..10)
                .map(|r| cut_offset(seed, Some(r), 4000))
                .collect::<Vec<_>>()
        };
        assert_ne!(seq(1), seq(2));
    }

    #[test]
    fn finds_the_end_of_the_first_event() {
        assert_eq!(
            first_event_end(b"retry: 20\n\nid: 1\ndata: a\n\nid: 2\n"),
            Some(26)
        );
        assert_eq!(first_event_end(b": keep-alive\n\n"), None);
        assert_eq!(first_event_end(b"retry: 20\n\n"), None);
        assert_eq!(
            first_event_end(b"id: 3\nevent: x\ndata: a\ndata: b\n\n"),
            Some(32)
        );
        assert_eq!(first_event_end(b"id: 3\ndata: unterminated\n"), None);
        assert_eq!(first_event_end(b""), None);
    }

    /// The chunks an `/events` stream writes: the prelude alone, then events one per chunk.
    fn chunks() -> Vec<Bytes> {
        std::iter::once(Bytes::from_static(b"retry: 20\n\n"))
            .chain((1..=100).map(|i| Bytes::from(format!("id: {i}\ndata: {i:04}\n\n"))))
            .collect()
    }

    async fn run_cut(chunks: Vec<Bytes>, offset: u64) -> (Vec<u8>, Vec<usize>, bool) {
        let items: Vec<io::Result<Bytes>> = cut_after_first_event(stream::iter(chunks), offset)
            .collect()
            .await;
        let mut body = Vec::new();
        let mut sizes = Vec::new();
        let mut failed_last = false;
        for (i, item) in items.iter().enumerate() {
            match item {
                Ok(b) => {
                    assert!(!failed_last);
                    body.extend_from_slice(b);
                    sizes.push(b.len());
                }
                Err(e) => {
                    assert_eq!(i, items.len() - 1, "the error is the last item");
                    assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted);
                    failed_last = true;
                }
            }
        }
        (body, sizes, failed_last)
    }

    #[tokio::test]
    async fn cuts_exactly_at_the_offset_after_the_first_event() {
        let chunks = chunks();
        let full: Vec<u8> = chunks.iter().flat_map(|c| c.to_vec()).collect();
        let first_end = 11 + chunks[1].len();
        let boundaries: Vec<usize> = chunks
            .iter()
            .scan(0, |at, c| {
                *at += c.len();
                Some(*at)
            })
            .collect();
        let mut mid_chunk = 0;
        for offset in 1..=300u64 {
            let (body, _, failed) = run_cut(chunks.clone(), offset).await;
            let at = first_end + offset as usize;
            assert!(failed, "offset {offset}: the stream must fail, not end");
            // Exactly the first `at` bytes of the stream, nothing else.
            assert_eq!(body, full[..at], "offset {offset}");
            if !boundaries.contains(&at) {
                mid_chunk += 1;
                // The cut leaves an incomplete event behind.
                assert!(!body.ends_with(b"\n\n"), "offset {offset}");
            }
        }
        assert!(mid_chunk > 200, "{mid_chunk}");
    }

    #[tokio::test]
    async fn the_first_event_is_never_cut() {
        // Everything up to the first event arrives in one chunk here.
        let mut one = Vec::new();
        for c in chunks().iter().take(4) {
            one.extend_from_slice(c);
        }
        let first_end = 11 + chunks()[1].len();
        let (body, sizes, failed) = run_cut(vec![Bytes::from(one.clone())], 1).await;
        assert!(failed);
        assert_eq!(body, one[..first_end + 1]);
        assert_eq!(sizes.len(), 1);
        // A stream that ends before the cut just ends.
        let short: Vec<Bytes> = chunks().into_iter().take(3).collect();
        let (body, _, failed) = run_cut(short, 10_000).await;
        assert!(!failed);
        assert_eq!(body.len(), 11 + 18 + 18);
        // Without any event there is nothing to cut.
        let idle = vec![
            Bytes::from_static(b"retry: 1\n\n"),
            Bytes::from_static(b": keep-alive\n\n"),
        ];
        let (_, _, failed) = run_cut(idle, 1).await;
        assert!(!failed);
    }

    #[tokio::test]
    async fn abort_when_fails_once_the_future_resolves() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let inner = stream::iter([Ok(Bytes::from_static(b"a"))]).chain(stream::pending());
        let mut s = Box::pin(abort_when(
            inner,
            async move {
                let _ = rx.await;
            },
            "outage",
        ));
        assert_eq!(s.next().await.unwrap().unwrap(), "a");
        let _ = tx.send(());
        let err = tokio::time::timeout(WAIT, s.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionAborted);
        assert!(s.next().await.is_none());
        // Without an abort it ends with its inner stream.
        let inner = stream::iter([Ok(Bytes::from_static(b"b"))]);
        let all: Vec<_> = abort_when(inner, std::future::pending(), "x")
            .collect()
            .await;
        assert_eq!(all.len(), 1);
    }

    #[tokio::test]
    async fn outages_end_and_notify() {
        let outages = Outages::default();
        assert!(!outages.active());
        let next = outages.next_outage();
        // Long enough that even a badly loaded machine checks within it.
        outages.start(Duration::from_secs(600));
        tokio::time::timeout(WAIT, next).await.expect("notified");
        assert!(outages.active());
        // A new, very short outage replaces it and is over soon.
        let next = outages.next_outage();
        outages.start(Duration::from_millis(1));
        tokio::time::timeout(WAIT, next)
            .await
            .expect("notified again");
        tokio::time::timeout(WAIT, async {
            while outages.active() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the outage ends");
    }
}
