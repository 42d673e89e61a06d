//! The accept loop: every connection is served by hyper's HTTP/1.1 server with a header-read
//! timeout, and connections that wait for a request head are bounded in number.
//!
//! A connection is *waiting* while it has no request in flight: just opened, half-way through
//! sending a request head, or idle between keep-alive requests. It is *busy* from the moment
//! its request head has been read until the response body has been written (or dropped). Two
//! things keep waiting connections from using up the server's file descriptors:
//!
//! - hyper closes a connection that does not deliver a complete request head within
//!   `--header-timeout-ms` (counted from the start of each wait);
//! - at most `--max-waiting` connections may wait at once: when one more would, the one that
//!   has waited longest is closed. The same happens when `accept` fails (e.g. the process is
//!   out of file descriptors), so a well-behaved client that sends its request at once is
//!   still served while others hold half-sent requests.
//!
//! Busy connections are never closed by this layer (open streams have their own limit,
//! `--max-connections`).

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tower::ServiceExt;

use crate::AppState;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// The connection registry: which connections are open, and which of them wait for a request
/// head (oldest wait first).
#[derive(Debug)]
pub struct Connections {
    max_waiting: usize,
    inner: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    next_seq: u64,
    slots: HashMap<u64, Slot>,
    /// Waiting connections by the sequence number of the start of their wait: oldest first.
    waiting: BTreeMap<u64, u64>,
}

#[derive(Debug)]
struct Slot {
    /// Requests in flight (0 or 1 for HTTP/1.1).
    busy: usize,
    /// Key in `Registry::waiting` while waiting.
    waiting_seq: Option<u64>,
    /// Closes the connection; `None` once used.
    close: Option<oneshot::Sender<()>>,
}

impl Registry {
    fn start_waiting(&mut self, id: u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.waiting_seq = Some(seq);
            self.waiting.insert(seq, id);
        }
    }

    /// Closes the connection that has waited longest. False if none is waiting.
    fn close_oldest_waiting(&mut self) -> bool {
        let Some((_, id)) = self.waiting.pop_first() else {
            return false;
        };
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.waiting_seq = None;
            if let Some(close) = slot.close.take() {
                let _ = close.send(());
            }
        }
        true
    }

    fn enforce(&mut self, max_waiting: usize) {
        while self.waiting.len() > max_waiting && self.close_oldest_waiting() {}
    }
}

impl Connections {
    /// An empty registry allowing `max_waiting` (at least 1) waiting connections.
    pub fn new(max_waiting: usize) -> Arc<Self> {
        Arc::new(Connections {
            max_waiting: max_waiting.max(1),
            inner: Mutex::new(Registry::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new connection (waiting). If that makes one too many waiting, the one that
    /// has waited longest is closed. The receiver fires when this connection is to be closed.
    fn open(self: &Arc<Self>) -> (ConnSlot, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let mut reg = self.lock();
        let id = reg.next_id;
        reg.next_id += 1;
        reg.slots.insert(
            id,
            Slot {
                busy: 0,
                waiting_seq: None,
                close: Some(tx),
            },
        );
        reg.start_waiting(id);
        reg.enforce(self.max_waiting);
        drop(reg);
        (
            ConnSlot {
                conns: self.clone(),
                id,
            },
            rx,
        )
    }

    /// Marks connection `id` busy until the returned guard is dropped.
    fn start_request(self: &Arc<Self>, id: u64) -> BusyGuard {
        let mut reg = self.lock();
        if let Some(slot) = reg.slots.get_mut(&id) {
            slot.busy += 1;
            if let Some(seq) = slot.waiting_seq.take() {
                reg.waiting.remove(&seq);
            }
        }
        BusyGuard {
            conns: self.clone(),
            id,
        }
    }

    fn end_request(&self, id: u64) {
        let mut reg = self.lock();
        let Some(slot) = reg.slots.get_mut(&id) else {
            return;
        };
        slot.busy = slot.busy.saturating_sub(1);
        if slot.busy == 0 && slot.close.is_some() {
            reg.start_waiting(id);
            reg.enforce(self.max_waiting);
        }
    }

    /// Closes the connection that has waited longest for a request head. False if none is
    /// waiting.
    pub fn close_oldest_waiting(&self) -> bool {
        self.lock().close_oldest_waiting()
    }

    /// Open connections.
    pub fn open_count(&self) -> usize {
        self.lock().slots.len()
    }

    /// Connections waiting for a request head.
    pub fn waiting_count(&self) -> usize {
        self.lock().waiting.len()
    }

    /// The configured maximum of waiting connections.
    pub fn max_waiting(&self) -> usize {
        self.max_waiting
    }
}

/// One open connection; unregisters it when dropped.
struct ConnSlot {
    conns: Arc<Connections>,
    id: u64,
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let mut reg = self.conns.lock();
        if let Some(slot) = reg.slots.remove(&self.id) {
            if let Some(seq) = slot.waiting_seq {
                reg.waiting.remove(&seq);
            }
        }
    }
}

/// One request in flight; the connection waits again once it is dropped.
struct BusyGuard {
    conns: Arc<Connections>,
    id: u64,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.conns.end_request(self.id);
    }
}

/// A response body that keeps its connection counted as busy until it is written or dropped.
struct TrackedBody {
    inner: Body,
    _busy: BusyGuard,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The hyper service of one connection: the router, with the connection marked busy while a
/// request is in flight.
#[derive(Clone)]
struct ConnService {
    app: Router,
    conns: Arc<Connections>,
    id: u64,
}

type ServiceFuture =
    Pin<Box<dyn Future<Output = Result<hyper::Response<TrackedBody>, Infallible>> + Send>>;

impl hyper::service::Service<hyper::Request<Incoming>> for ConnService {
    type Response = hyper::Response<TrackedBody>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let busy = self.conns.start_request(self.id);
        let app = self.app.clone();
        Box::pin(async move {
            let res: Response = app.oneshot(req.map(Body::new)).await?;
            Ok(res.map(|inner| TrackedBody { inner, _busy: busy }))
        })
    }
}

/// Accepts connections on `listener` and serves `app` on each until `signal` resolves or
/// shutdown begins, then waits for the open connections to finish (each is told to close
/// once idle).
pub async fn run<F>(state: Arc<AppState>, listener: TcpListener, app: Router, signal: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new());
    let timeout = state.config.header_timeout_ms;
    http.header_read_timeout((timeout > 0).then(|| Duration::from_millis(timeout)));

    let (close_tx, close_rx) = watch::channel(());
    let mut signal = std::pin::pin!(signal);
    let mut stop = state.shutdown();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = &mut signal => break,
            _ = stop.wait() => break,
        };
        let io = match accepted {
            Ok((io, _peer)) => io,
            Err(err) => {
                if !is_connection_error(&err) {
                    // Most likely out of file descriptors: make room, then try again.
                    state.connections.close_oldest_waiting();
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
                continue;
            }
        };
        if state.outages.active() {
            // An injected outage: the client sees the connection closed at once.
            drop(io);
            continue;
        }
        let (slot, closed) = state.connections.open();
        let service = ConnService {
            app: app.clone(),
            conns: state.connections.clone(),
            id: slot.id,
        };
        let io = OutageIo {
            inner: io,
            state: state.config.test_mode.then(|| state.clone()),
        };
        let conn = http.serve_connection(TokioIo::new(io), service);
        tokio::spawn(serve_one(
            conn,
            closed,
            state.shutdown(),
            slot,
            close_rx.clone(),
        ));
    }
    drop(listener);
    drop(close_rx);
    close_tx.closed().await;
}

/// Drives one connection until it ends, is closed by the registry, or (after shutdown began)
/// finishes its request in flight.
async fn serve_one(
    conn: hyper::server::conn::http1::Connection<TokioIo<OutageIo>, ConnService>,
    mut closed: oneshot::Receiver<()>,
    mut stop: crate::Shutdown,
    slot: ConnSlot,
    _running: watch::Receiver<()>,
) {
    let mut conn = std::pin::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            // Closed to make room (or the registry is gone): dropping `conn` closes the socket.
            _ = &mut closed => break,
            _ = stop.wait(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    drop(slot);
}

/// Errors of one incoming connection (the listener itself is fine).
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// A connection that breaks when an outage starts (test mode only; otherwise a plain socket).
struct OutageIo {
    inner: TcpStream,
    state: Option<Arc<AppState>>,
}

impl OutageIo {
    fn down(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.outages.active())
    }
}

impl tokio::io::AsyncRead for OutageIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.down() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for OutageIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_connections_are_bounded_oldest_first() {
        let conns = Connections::new(2);
        let (a, mut a_closed) = conns.open();
        let (b, mut b_closed) = conns.open();
        assert_eq!((conns.open_count(), conns.waiting_count()), (2, 2));
        // A busy connection does not count as waiting and is never closed to make room.
        let busy_a = conns.start_request(a.id);
        let (c, mut c_closed) = conns.open();
        assert_eq!(conns.waiting_count(), 2);
        let (d, mut d_closed) = conns.open();
        assert_eq!(conns.waiting_count(), 2);
        assert!(b_closed.try_recv().is_ok(), "b waited longest");
        assert!(a_closed.try_recv().is_err());
        assert!(c_closed.try_recv().is_err());
        // `a` waits again once its response is done: now it is the newest wait, and `c`
        // (the oldest) makes room.
        drop(busy_a);
        assert!(c_closed.try_recv().is_ok());
        assert!(a_closed.try_recv().is_err());
        assert_eq!(conns.waiting_count(), 2);
        drop((b, c));
        assert_eq!(conns.open_count(), 2);
        assert!(conns.close_oldest_waiting());
        assert!(d_closed.try_recv().is_ok());
        assert!(conns.close_oldest_waiting());
        assert!(a_closed.try_recv().is_ok());
        assert!(!conns.close_oldest_waiting());
        // A closed connection does not wait again after its last response.
        let again = conns.start_request(d.id);
        drop(again);
        assert_eq!(conns.waiting_count(), 0);
        drop((a, d));
        assert_eq!(conns.open_count(), 0);
    }
}
