//! Companion SSE server for eventsource-wasm: demo host, pub/sub with exact replay, and
//! byte-exact fixtures and fault endpoints for browser tests.
//!
//! The binary (`src/main.rs`) only parses arguments and calls [`serve`]; tests start the same
//! app in-process on an ephemeral port.

pub mod burst;
pub mod chaos;
pub mod config;
mod cors;
pub mod counters;
pub mod fixtures;
pub mod hub;
pub mod limits;
pub mod routes;
pub mod sse;
pub mod static_files;
pub mod wire;

use std::future::{Future, IntoFuture};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::Config;
pub use routes::router;

use hub::{Hub, HubLimits};
use limits::Limits;
use static_files::StaticDirs;

/// How long [`serve`] waits for connections to finish after shutdown starts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Shared state of one server instance.
pub struct AppState {
    /// The configuration it was built from.
    pub config: Config,
    /// The pub/sub channels.
    pub hub: Hub,
    /// The open-stream counter.
    pub limits: Arc<Limits>,
    /// Requests counted by path (reported by `/stats`).
    pub requests: counters::RequestCounts,
    /// Injected outages (test mode).
    pub outages: chaos::Outages,
    /// Bursts scheduled for later (test mode).
    pub bursts: burst::Scheduled,
    statics: StaticDirs,
    shutdown_tx: watch::Sender<bool>,
}

impl AppState {
    /// Builds the state for `config`.
    pub fn new(config: Config) -> Arc<Self> {
        let (shutdown_tx, _) = watch::channel(false);
        Arc::new(AppState {
            hub: Hub::new(HubLimits {
                max_channels: config.max_channels,
                replay: config.replay,
                replay_bytes: config.replay_bytes,
                broadcast_capacity: config.broadcast_capacity,
            }),
            limits: Limits::new(config.max_connections),
            requests: counters::RequestCounts::default(),
            outages: chaos::Outages::default(),
            bursts: burst::Scheduled::default(),
            statics: StaticDirs::new(config.www.clone(), config.pkg.clone(), &config.mounts),
            shutdown_tx,
            config,
        })
    }

    /// Starts shutdown: every streaming response ends.
    pub fn begin_shutdown(&self) {
        self.shutdown_tx.send_replace(true);
    }

    /// A handle that resolves once shutdown has started.
    pub fn shutdown(&self) -> Shutdown {
        Shutdown(self.shutdown_tx.subscribe())
    }
}

/// Resolves once [`AppState::begin_shutdown`] was called.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Waits until shutdown has started (returns at once if it already has).
    pub async fn wait(&mut self) {
        loop {
            let started = *self.0.borrow_and_update();
            if started || self.0.changed().await.is_err() {
                return;
            }
        }
    }

    /// True once shutdown has started.
    pub fn is_started(&self) -> bool {
        *self.0.borrow()
    }
}

/// The address the server binds for `config`: always 127.0.0.1.
pub fn bind_addr(config: &Config) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, config.port))
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Starts the `demo` channel ticker (if `tick_ms > 0`): an event `tick` every tick with
/// `{"n":N,"time":"<unix ms>"}`, and every 5th tick an extra multi-line `notice`.
pub fn spawn_ticker(state: &Arc<AppState>) -> Option<JoinHandle<()>> {
    if state.config.tick_ms == 0 {
        return None;
    }
    let channel = state.hub.channel(routes::DEFAULT_CHANNEL).ok()?;
    let state = state.clone();
    Some(tokio::spawn(async move {
        let period = Duration::from_millis(state.config.tick_ms);
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shutdown = state.shutdown();
        let mut n: u64 = 0;
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = interval.tick() => {}
            }
            n += 1;
            let data = json!({ "n": n, "time": unix_ms().to_string() }).to_string();
            channel.publish(Some("tick"), &data);
            if n.is_multiple_of(5) {
                let data = format!(
                    "notice #{}\nthe server is alive\nconnections: {}",
                    n / 5,
                    state.limits.open()
                );
                channel.publish(Some("notice"), &data);
            }
        }
    }))
}

/// Serves `state` on `listener` until `shutdown` resolves. Shutdown ends all streaming
/// responses at once, then waits at most [`SHUTDOWN_GRACE`] for connections to close.
pub async fn serve<F>(state: Arc<AppState>, listener: TcpListener, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let ticker = spawn_ticker(&state);
    let app = router(state.clone());
    let signal_state = state.clone();
    let listener = GatedListener {
        inner: listener,
        state: state.clone(),
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        signal_state.begin_shutdown();
    });
    let mut started = state.shutdown();
    let deadline = async move {
        started.wait().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let result = tokio::select! {
        r = server.into_future() => r,
        _ = deadline => Ok(()),
    };
    state.begin_shutdown();
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    result
}

/// Accepts connections, except during an injected outage, when it drops them at once (the
/// client sees the connection closed, as with a server that is down). In test mode each
/// connection also fails its reads during an outage, so kept-alive connections break too.
struct GatedListener {
    inner: TcpListener,
    state: Arc<AppState>,
}

impl axum::serve::Listener for GatedListener {
    type Io = OutageIo;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            if self.state.outages.active() {
                drop(io);
                continue;
            }
            let state = self.state.config.test_mode.then(|| self.state.clone());
            return (OutageIo { inner: io, state }, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that breaks when an outage starts (test mode only; otherwise a plain socket).
struct OutageIo {
    inner: tokio::net::TcpStream,
    state: Option<Arc<AppState>>,
}

impl OutageIo {
    fn down(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.outages.active())
    }
}

impl tokio::io::AsyncRead for OutageIo {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        if self.down() {
            return std::task::Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for OutageIo {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
