//! `subscribe_json`: a stream of one event type's data decoded from JSON.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use serde::de::DeserializeOwned;

use crate::{DecodeError, EventSource, MessageStream};

/// A stream of the events of one type with their data decoded from JSON into `T`, from
/// [`EventSource::subscribe_json`]. Data that is not JSON, or not shaped like `T`, is an `Err`
/// carrying the raw data; the stream goes on. It ends after the source closes.
///
/// It owns the connection as [`MessageStream`] does: a task that consumes it keeps the
/// connection open until the source is closed or the task is dropped.
#[must_use = "streams do nothing unless polled"]
pub struct JsonStream<T> {
    messages: MessageStream,
    _decoded: PhantomData<fn() -> T>,
}

impl EventSource {
    /// A stream of the events of `event_type` with their data decoded from JSON into `T` (as
    /// [`MessageEvent::json`](crate::MessageEvent::json)), ending when the source closes. For
    /// the event's other fields too, use [`subscribe`](Self::subscribe) and `json` on each.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Tick { n: u64 }
    ///
    /// # async fn run() -> Result<(), eventsource_wasm::Error> {
    /// let source = eventsource_wasm::EventSource::new("/events")?;
    /// let mut ticks = source.subscribe_json::<Tick>("tick");
    /// while let Some(tick) = ticks.next().await {
    ///     match tick {
    ///         Ok(tick) => println!("tick {}", tick.n),
    ///         Err(error) => eprintln!("bad tick: {error} (data: {})", error.data()),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn subscribe_json<T: DeserializeOwned>(
        &self,
        event_type: impl Into<Cow<'static, str>>,
    ) -> JsonStream<T> {
        JsonStream {
            messages: self.subscribe(event_type),
            _decoded: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> Stream for JsonStream<T> {
    type Item = Result<T, DecodeError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.messages)
            .poll_next(cx)
            .map(|message| message.map(|message| message.json()))
    }
}

impl<T> fmt::Debug for JsonStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonStream")
            .field("messages", &self.messages)
            .finish()
    }
}
