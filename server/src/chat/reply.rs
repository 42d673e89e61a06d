//! One reply: its replay buffer, the task that generates it, and the streams that read it.
//!
//! The generator writes every event into the reply's buffer, whether or not anybody is
//! connected; a response (the POST's own or a resume) is a reader with a cursor into that
//! buffer: it writes what is buffered after its cursor, then waits for the generator, and ends
//! after `done`.

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{stream, Stream};
use tokio::sync::watch;
use tokio::time::Instant;

use super::tokens::Tokens;
use crate::sse::render_event;
use crate::Shutdown;

/// Soft size of one write of buffered events.
const BATCH_BYTES: usize = 64 * 1024;

/// With `interval_ms: 0` the generator yields to other tasks after this many tokens.
const YIELD_EVERY: u64 = 256;

/// Event type of a token.
pub const TOKEN_EVENT: &str = "token";
/// Event type of the last event of a reply.
pub const DONE_EVENT: &str = "done";
/// Data of the `done` event (also what OpenAI-style clients look for).
pub const DONE_DATA: &str = "[DONE]";

/// What was generated so far.
#[derive(Debug, Default)]
struct Buffer {
    /// Wire bytes of event `i + 1` at index `i`: the tokens, then `done`.
    events: Vec<Bytes>,
    /// When `done` was written.
    finished_at: Option<Instant>,
}

/// A reply: `tokens` token events and a `done` event, with ids `<id>:1` to `<id>:<tokens + 1>`.
#[derive(Debug)]
pub struct Reply {
    id: Arc<str>,
    tokens: u64,
    interval_ms: u64,
    buffer: Mutex<Buffer>,
    /// The number of events buffered; readers wait on it.
    generated: watch::Sender<usize>,
    posts: AtomicU64,
    resumes: AtomicU64,
    open_streams: AtomicUsize,
}

impl Reply {
    /// An empty reply (nothing generated yet; see [`Reply::generate`]).
    pub fn new(id: Arc<str>, tokens: u64, interval_ms: u64) -> Arc<Reply> {
        Arc::new(Reply {
            id,
            tokens,
            interval_ms,
            buffer: Mutex::new(Buffer::default()),
            generated: watch::channel(0).0,
            posts: AtomicU64::new(1),
            resumes: AtomicU64::new(0),
            open_streams: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Buffer> {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reply id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Number of token events (the `done` event is one more).
    pub fn tokens(&self) -> u64 {
        self.tokens
    }

    /// All events of the reply: the tokens and `done`.
    pub fn total_events(&self) -> u64 {
        self.tokens + 1
    }

    /// The event id of event `index` (1-based).
    pub fn event_id(&self, index: u64) -> String {
        format!("{}:{index}", self.id)
    }

    /// When `done` was written, if it was.
    pub fn finished_at(&self) -> Option<Instant> {
        self.lock().finished_at
    }

    /// Counts a POST that named this reply in its `Last-Event-ID` (a client re-sending its
    /// request).
    pub fn count_post(&self) {
        self.posts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a GET of this reply.
    pub fn count_resume(&self) {
        self.resumes.fetch_add(1, Ordering::Relaxed);
    }

    /// The reply's counters, as `/chat/{reply}/stats` reports them.
    pub fn stats(&self) -> serde_json::Value {
        let (events, finished) = {
            let buffer = self.lock();
            (buffer.events.len() as u64, buffer.finished_at.is_some())
        };
        serde_json::json!({
            "reply": &*self.id,
            "tokens": self.tokens,
            "interval_ms": self.interval_ms,
            "generated": events.min(self.tokens),
            "done": finished,
            "posts": self.posts.load(Ordering::Relaxed),
            "resumes": self.resumes.load(Ordering::Relaxed),
            "open_streams": self.open_streams.load(Ordering::Acquire),
        })
    }

    fn push(&self, wire: Bytes, last: bool) {
        let len = {
            let mut buffer = self.lock();
            buffer.events.push(wire);
            if last {
                buffer.finished_at = Some(Instant::now());
            }
            buffer.events.len()
        };
        self.generated.send_replace(len);
    }

    fn render(&self, index: u64, event: &str, data: &str) -> Bytes {
        let mut out = BytesMut::from(format!("id: {}\n", self.event_id(index)).as_bytes());
        out.extend_from_slice(&render_event(None, Some(event), data));
        out.freeze()
    }

    /// Generates the reply into its buffer: token 1 at once, then one token every
    /// `interval_ms`, then `done` right after the last token. Stops early at shutdown.
    pub async fn generate(self: Arc<Self>, text: Tokens, mut shutdown: Shutdown) {
        let start = Instant::now();
        let run = async {
            for index in 1..=self.tokens {
                if self.interval_ms > 0 {
                    let offset = self.interval_ms.saturating_mul(index - 1);
                    tokio::time::sleep_until(start + Duration::from_millis(offset)).await;
                } else if index % YIELD_EVERY == 0 {
                    tokio::task::yield_now().await;
                }
                self.push(self.render(index, TOKEN_EVENT, &text.text(index)), false);
            }
            self.push(
                self.render(self.total_events(), DONE_EVENT, DONE_DATA),
                true,
            );
        };
        tokio::select! {
            _ = shutdown.wait() => {}
            _ = run => {}
        }
    }

    /// Up to `max_events` buffered events from index `from` (0-based), about [`BATCH_BYTES`]
    /// at most: the bytes, how many, and whether the reply has no more events after them.
    fn read(&self, from: usize, max_events: usize) -> (Bytes, usize, bool) {
        let buffer = self.lock();
        let mut out = BytesMut::new();
        let mut taken = 0;
        for wire in buffer.events.iter().skip(from).take(max_events) {
            if !out.is_empty() && out.len() + wire.len() > BATCH_BYTES {
                break;
            }
            out.extend_from_slice(wire);
            taken += 1;
        }
        let over = buffer.finished_at.is_some() && from + taken >= buffer.events.len();
        (out.freeze(), taken, over)
    }
}

/// Keeps a reply's `open_streams` count while a response reads it.
struct OpenStream(Arc<Reply>);

impl OpenStream {
    fn new(reply: Arc<Reply>) -> Self {
        reply.open_streams.fetch_add(1, Ordering::AcqRel);
        OpenStream(reply)
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open_streams.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How one response reads a reply.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Events to skip: the resume point (0 = from the start).
    pub skip: u64,
    /// `retry: N` written first, if set.
    pub retry_ms: Option<u64>,
    /// Abort the connection right after this many events (test mode).
    pub cut_after: Option<u64>,
}

struct Reader {
    open: OpenStream,
    generated: watch::Receiver<usize>,
    cursor: usize,
    prelude: Option<Bytes>,
    cut_left: Option<u64>,
}

enum Step {
    Chunk(Bytes),
    Cut,
    End,
}

impl Reader {
    async fn step(&mut self) -> Step {
        if let Some(prelude) = self.prelude.take() {
            return Step::Chunk(prelude);
        }
        if self.cut_left == Some(0) {
            return Step::Cut;
        }
        let max_events = self
            .cut_left
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        loop {
            // Marked seen before reading: an event pushed after the read wakes the wait.
            self.generated.borrow_and_update();
            let (bytes, taken, over) = self.open.0.read(self.cursor, max_events);
            if taken > 0 {
                self.cursor += taken;
                if let Some(left) = self.cut_left.as_mut() {
                    *left = left.saturating_sub(taken as u64);
                }
                return Step::Chunk(bytes);
            }
            if over || self.generated.changed().await.is_err() {
                return Step::End;
            }
        }
    }
}

/// The body of one response reading `reply` as `options` say: the events after the resume
/// point, live as they are generated, up to `done`; then the end, or an abort after
/// `cut_after` events (the error makes hyper drop the connection without the terminating
/// chunk).
pub fn read(
    reply: Arc<Reply>,
    options: ReadOptions,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let reader = Reader {
        generated: reply.generated.subscribe(),
        cursor: usize::try_from(options.skip).unwrap_or(usize::MAX),
        prelude: options
            .retry_ms
            .map(|ms| Bytes::from(format!("retry: {ms}\n\n"))),
        cut_left: options.cut_after,
        open: OpenStream::new(reply),
    };
    stream::unfold(Some(reader), |reader| async move {
        let mut reader = reader?;
        match reader.step().await {
            Step::Chunk(bytes) => Some((Ok(bytes), Some(reader))),
            Step::Cut => Some((Err(crate::chaos::dropped("cut_after")), None)),
            Step::End => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn shutdown() -> (watch::Sender<bool>, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (tx, Shutdown(rx))
    }

    async fn collect(reply: &Arc<Reply>, options: ReadOptions) -> (String, bool) {
        let items: Vec<io::Result<Bytes>> = read(reply.clone(), options).collect().await;
        let mut text = String::new();
        let mut cut = false;
        for item in items {
            match item {
                Ok(b) => text.push_str(std::str::from_utf8(&b).unwrap()),
                Err(_) => cut = true,
            }
        }
        (text, cut)
    }

    #[tokio::test]
    async fn generates_tokens_then_done_and_reads_from_any_point() {
        let reply = Reply::new("r1".into(), 3, 0);
        let (_tx, stop) = shutdown();
        reply
            .clone()
            .generate(Tokens::new("a b").unwrap(), stop)
            .await;
        let all = "id: r1:1\nevent: token\ndata: a\n\n\
                   id: r1:2\nevent: token\ndata:  b\n\n\
                   id: r1:3\nevent: token\ndata:  a\n\n\
                   id: r1:4\nevent: done\ndata: [DONE]\n\n";
        assert_eq!(
            collect(&reply, ReadOptions::default()).await,
            (all.into(), false)
        );
        let from_two = ReadOptions {
            skip: 2,
            retry_ms: Some(5),
            ..ReadOptions::default()
        };
        let (text, cut) = collect(&reply, from_two).await;
        assert_eq!(
            text,
            format!("retry: 5\n\n{}", &all[all.find("id: r1:3").unwrap()..])
        );
        assert!(!cut);
        assert_eq!(
            collect(
                &reply,
                ReadOptions {
                    skip: 4,
                    ..Default::default()
                }
            )
            .await
            .0,
            ""
        );
        // Cut after 2 events: exactly two, then the error; a cut beyond the end never comes.
        let cut_two = ReadOptions {
            cut_after: Some(2),
            ..ReadOptions::default()
        };
        let (text, cut) = collect(&reply, cut_two).await;
        assert!(cut);
        assert_eq!(text, &all[..all.find("id: r1:3").unwrap()]);
        let (text, cut) = collect(
            &reply,
            ReadOptions {
                cut_after: Some(9),
                ..Default::default()
            },
        )
        .await;
        assert_eq!((text.as_str(), cut), (all, false));
        assert_eq!(reply.stats()["generated"], 3);
        assert_eq!(reply.stats()["done"], true);
        assert_eq!(reply.stats()["open_streams"], 0);
    }

    #[tokio::test]
    async fn readers_follow_the_generator_live() {
        let reply = Reply::new("r2".into(), 5, 5);
        let (_tx, stop) = shutdown();
        let reader = tokio::spawn({
            let reply = reply.clone();
            async move { collect(&reply, ReadOptions::default()).await }
        });
        tokio::spawn(reply.clone().generate(Tokens::new("x").unwrap(), stop));
        let (text, cut) = tokio::time::timeout(Duration::from_secs(10), reader)
            .await
            .unwrap()
            .unwrap();
        assert!(!cut);
        assert_eq!(text.matches("event: token").count(), 5);
        assert!(text.ends_with("id: r2:6\nevent: done\ndata: [DONE]\n\n"));
    }

    #[tokio::test]
    async fn shutdown_stops_the_generator() {
        let reply = Reply::new("r3".into(), 1000, 60_000);
        let (tx, stop) = shutdown();
        let task = tokio::spawn(reply.clone().generate(Tokens::new("x").unwrap(), stop));
        let mut generated = reply.generated.subscribe();
        tokio::time::timeout(Duration::from_secs(10), generated.wait_for(|&n| n == 1))
            .await
            .unwrap()
            .unwrap();
        tx.send_replace(true);
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reply.stats()["generated"], 1);
        assert_eq!(reply.stats()["done"], false);
    }
}
