//! Companion SSE server for eventsource-wasm: demo host, pub/sub with exact replay, and
//! byte-exact fixtures and fault endpoints for browser tests.
//!
//! The binary (`src/main.rs`) only parses arguments and calls [`serve`]; tests start the same
//! app in-process on an ephemeral port.

pub mod accept;
pub mod burst;
pub mod chaos;
pub mod chat;
pub mod config;
mod cors;
pub mod counters;
pub mod fixtures;
pub mod guard;
pub mod hub;
pub mod limits;
pub mod routes;
pub mod sse;
pub mod static_files;
pub mod wire;

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::Config;
pub use routes::router;

use accept::Connections;
use guard::Guard;
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
    /// Every open connection, and which of them wait for a request head.
    pub connections: Arc<Connections>,
    /// Requests counted by path (reported by `/stats`).
    pub requests: counters::RequestCounts,
    /// Injected outages (test mode).
    pub outages: chaos::Outages,
    /// Bursts scheduled for later (test mode).
    pub bursts: burst::Scheduled,
    /// The replies of `POST /chat`, kept for resuming.
    pub chat: chat::Replies,
    statics: StaticDirs,
    guard: OnceLock<Guard>,
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
            connections: Connections::new(config.max_waiting),
            requests: counters::RequestCounts::default(),
            outages: chaos::Outages::default(),
            bursts: burst::Scheduled::default(),
            chat: chat::Replies::new(chat::ChatLimits {
                max_replies: config.chat_replies,
                max_tokens: config.chat_tokens,
                ttl: Duration::from_millis(config.chat_ttl_ms),
            }),
            statics: StaticDirs::new(config.www.clone(), config.pkg.clone(), &config.mounts),
            guard: OnceLock::new(),
            shutdown_tx,
            config,
        })
    }

    /// The Host and Origin checks for the address the server listens on ([`serve`] sets it;
    /// before that, [`bind_addr`] of the configuration is assumed).
    pub fn guard(&self) -> &Guard {
        self.guard
            .get_or_init(|| Guard::new(bind_addr(&self.config), &self.config))
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
/// Connections are accepted and bounded as described in [`accept`].
pub async fn serve<F>(state: Arc<AppState>, listener: TcpListener, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let local = listener.local_addr()?;
    // Ignored if a request was already answered with the configured address.
    let _ = state.guard.set(Guard::new(local, &state.config));
    let ticker = spawn_ticker(&state);
    let app = router(state.clone());
    let signal_state = state.clone();
    let server = accept::run(state.clone(), listener, app, async move {
        shutdown.await;
        signal_state.begin_shutdown();
    });
    let mut started = state.shutdown();
    let deadline = async move {
        started.wait().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        _ = server => {}
        _ = deadline => {}
    }
    state.begin_shutdown();
    if let Some(ticker) = ticker {
        ticker.abort();
    }
    Ok(())
}
