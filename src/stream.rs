//! `futures::Stream`s of events.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use crate::event::{as_message, ErrorEvent, MessageEvent, SourceEvent};
use crate::{EventSource, Listener, ReadyState, SourceState};

/// The buffer between listeners (which push) and a stream (which polls).
struct Queue<T> {
    items: RefCell<VecDeque<T>>,
    waker: RefCell<Option<Waker>>,
    ended: Cell<bool>,
}

impl<T> Queue<T> {
    fn new() -> Rc<Self> {
        Rc::new(Queue {
            items: RefCell::new(VecDeque::new()),
            waker: RefCell::new(None),
            ended: Cell::new(false),
        })
    }

    fn push(&self, item: T) {
        if self.ended.get() {
            return;
        }
        self.items.borrow_mut().push_back(item);
        self.wake();
    }

    fn end(&self) {
        self.ended.set(true);
        self.wake();
    }

    fn wake(&self) {
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(item) = self.items.borrow_mut().pop_front() {
            return Poll::Ready(Some(item));
        }
        if self.ended.get() {
            return Poll::Ready(None);
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A stream of a source's `open`, `message` and `error` events, from
/// [`EventSource::events`]. When the source closes it yields [`SourceEvent::Closed`] (after the
/// fatal error, if any) and ends.
///
/// The stream owns the connection, as an [`EventSource`] clone does: it stays open while the
/// stream lives, even after every `EventSource` is dropped. A task that consumes it keeps
/// the connection open until the source is closed (then the stream ends and the task with it) or
/// the task, and the stream with it, is dropped. See the crate docs, "Cleaning up in a
/// component".
///
/// Events are buffered until polled.
#[must_use = "streams do nothing unless polled"]
pub struct EventStream {
    queue: Rc<Queue<SourceEvent>>,
    _listeners: [Listener; 4],
    _source: EventSource,
}

/// A stream of the messages of one event type, from [`EventSource::subscribe`]. It ends after
/// the source closes.
///
/// It owns the connection as [`EventStream`] does: a task that consumes it keeps the
/// connection open until the source is closed or the task is dropped.
#[must_use = "streams do nothing unless polled"]
pub struct MessageStream {
    queue: Rc<Queue<MessageEvent>>,
    _listeners: [Listener; 2],
    _source: EventSource,
}

/// Ends `queue` when the source closes (now, if it is closed), after `last` if it gives an item.
fn end_on_close<T: 'static>(
    source: &EventSource,
    queue: &Rc<Queue<T>>,
    last: fn() -> Option<T>,
) -> Listener {
    let finish = move |queue: &Queue<T>| {
        if let Some(item) = last() {
            queue.push(item);
        }
        queue.end();
    };
    if source.supervisor().is_closed() {
        finish(queue);
    }
    let weak = Rc::downgrade(queue);
    source.watch_close(move || {
        if let Some(queue) = weak.upgrade() {
            finish(&queue);
        }
    })
}

impl EventSource {
    /// A stream of `open`, `message` and `error` events; when the source closes it yields
    /// [`SourceEvent::Closed`] and ends. It owns the connection (see [`EventStream`]).
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use eventsource_wasm::{EventSource, SourceEvent};
    ///
    /// # async fn run() -> Result<(), eventsource_wasm::Error> {
    /// let mut events = EventSource::new("/events")?.events();
    /// while let Some(event) = events.next().await {
    ///     match event {
    ///         SourceEvent::Open => println!("open"),
    ///         SourceEvent::Message(message) => println!("{}", message.data()),
    ///         SourceEvent::Error(error) if error.is_fatal() => println!("gave up"),
    ///         SourceEvent::Closed => println!("closed"),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> EventStream {
        let queue = Queue::new();
        let open = {
            let weak = Rc::downgrade(&queue);
            self.on_open(move || {
                if let Some(queue) = weak.upgrade() {
                    queue.push(SourceEvent::Open);
                }
            })
        };
        let message = {
            let weak = Rc::downgrade(&queue);
            self.on_message(move |event| {
                if let Some(queue) = weak.upgrade() {
                    queue.push(SourceEvent::Message(event.clone()));
                }
            })
        };
        let error = {
            let weak = Rc::downgrade(&queue);
            let supervisor = Rc::downgrade(self.supervisor());
            self.on_raw("error", move |event| {
                if as_message(event).is_some() {
                    return;
                }
                let state = supervisor
                    .upgrade()
                    .map(|supervisor| supervisor.ready_state())
                    .unwrap_or(ReadyState::Closed);
                if let Some(queue) = weak.upgrade() {
                    queue.push(SourceEvent::Error(ErrorEvent::new(state, event.clone())));
                }
            })
        };
        let closed = end_on_close(self, &queue, || Some(SourceEvent::Closed));
        EventStream {
            queue,
            _listeners: [open, message, error, closed],
            _source: self.clone(),
        }
    }

    /// A stream of the messages of one event type (`"message"` or a custom name) that ends when
    /// the source closes. It owns the connection (see [`MessageStream`]).
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// # async fn run() -> Result<(), eventsource_wasm::Error> {
    /// let source = eventsource_wasm::EventSource::new("/events")?;
    /// let mut ticks = source.subscribe("tick");
    /// while let Some(tick) = ticks.next().await {
    ///     println!("tick {}", tick.data());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn subscribe(&self, event_type: impl Into<Cow<'static, str>>) -> MessageStream {
        let queue = Queue::new();
        let weak = Rc::downgrade(&queue);
        let listener = self.on(event_type, move |event| {
            if let Some(queue) = weak.upgrade() {
                queue.push(event.clone());
            }
        });
        let closed = end_on_close(self, &queue, || None);
        MessageStream {
            queue,
            _listeners: [listener, closed],
            _source: self.clone(),
        }
    }
}

/// A `futures::Stream` of a source's state: the state after each change, the changes that
/// came between two polls taken together (see [`EventSource::state_changes`]). It ends after
/// the state in which the source is closed.
#[must_use = "streams do nothing unless polled"]
pub struct StateStream {
    source: EventSource,
    changed: Rc<Cell<bool>>,
    waker: Rc<RefCell<Option<Waker>>>,
    ended: bool,
    _watch: Listener,
}

impl EventSource {
    /// The source's state after each change, as a stream (for UI frameworks: a signal or a
    /// store fed from it). Changes that come between two polls are taken together: the stream
    /// yields the latest state, never a backlog. It ends after the state in which the source is
    /// closed.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// # async fn demo() -> Result<(), eventsource_wasm::Error> {
    /// let source = eventsource_wasm::EventSource::new("/events")?;
    /// let mut states = source.state_changes();
    /// while let Some(state) = states.next().await {
    ///     println!("{:?}: {} events", state.ready_state, state.events_received);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn state_changes(&self) -> StateStream {
        let changed = Rc::new(Cell::new(false));
        let waker: Rc<RefCell<Option<Waker>>> = Rc::new(RefCell::new(None));
        let watch = {
            let changed = changed.clone();
            let waker = waker.clone();
            self.on_state_change(move |_| {
                changed.set(true);
                if let Some(waker) = waker.borrow_mut().take() {
                    waker.wake();
                }
            })
        };
        StateStream {
            source: self.clone(),
            changed,
            waker,
            ended: false,
            _watch: watch,
        }
    }
}

impl Stream for StateStream {
    type Item = SourceState;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SourceState>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let closed = self.source.supervisor().is_closed();
        if self.changed.replace(false) || closed {
            let state = self.source.state();
            self.ended = closed;
            return Poll::Ready(Some(state));
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl fmt::Debug for StateStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateStream")
            .field("changed", &self.changed.get())
            .field("ended", &self.ended)
            .finish()
    }
}

impl Stream for EventStream {
    type Item = SourceEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.queue.poll(cx)
    }
}

impl Stream for MessageStream {
    type Item = MessageEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.queue.poll(cx)
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("buffered", &self.queue.items.borrow().len())
            .field("ended", &self.queue.ended.get())
            .finish()
    }
}

impl fmt::Debug for MessageStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageStream")
            .field("buffered", &self.queue.items.borrow().len())
            .field("ended", &self.queue.ended.get())
            .finish()
    }
}
