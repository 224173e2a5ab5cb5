//! A faithful local emulator of the QQ Bot platform: token endpoint, OpenAPI, WebSocket gateway
//! and a control API, all on one port.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};
//! let emu = Emulator::start(EmulatorConfig { scenario: Scenario::Quiet, ..Default::default() }).await?;
//! println!("token: {}  api: {}  gateway: {}", emu.token_url(), emu.api_base(), emu.gateway_url());
//! emu.inject("AT_MESSAGE_CREATE", serde_json::json!({"content": "hi"}));
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! See `src/emulator/README.md` for the control API and the scenario list.

pub mod config;
mod control;
mod gateway;
pub mod generate;
mod guilds;
mod http;
mod json;
mod openapi;
pub mod passive;
pub mod recall;
pub mod records;
pub mod routing;
mod scenario;
mod state;
pub mod token;
pub mod webhook;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

pub use config::{DEFAULT_APP_ID, DEFAULT_SECRET, EmulatorConfig, Scenario, UnknownScenario};
pub use gateway::fault_period;
pub use records::{
    EmulatorCounters, EmulatorEvent, EmulatorWarning, Fault, FaultTarget, ReceivedFrame,
    SentMessage, SessionSnapshot,
};

use state::{Shared, lock};

/// A running emulator. Cheap to clone; the server stops when the last clone is dropped or
/// [`Emulator::shutdown`] is called.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr())
            .field("config", self.config())
            .finish()
    }
}

impl Emulator {
    /// Start on `127.0.0.1` with an OS-assigned port.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        Emulator::bind(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Start on `addr`.
    pub async fn bind(config: EmulatorConfig, addr: SocketAddr) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        // Small frames (heartbeat ACKs, Hello) go out at once, as from a real gateway, instead of
        // waiting on Nagle's algorithm for the client's delayed ACK.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared::new(config, addr, stop_rx.clone()));
        let app = http::router(shared.clone());
        let mut graceful = stop_rx;
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = graceful.wait_for(|stop| *stop).await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "emulator server stopped with an error");
            }
        });
        let mut tasks = vec![server];
        // Webhook mode: validate the callback URL, then POST every event to it.
        if let Some(url) = shared.config.webhook_to.clone() {
            let (tap, task) = webhook::start(&shared.config, url, shared.shutdown.clone())?;
            let _ = shared.webhook.set(tap);
            tasks.push(task);
        }
        if shared.config.scenario.generates_demo_traffic() {
            tasks.push(tokio::spawn(scenario::run_demo(shared.clone())));
        }
        tracing::info!(%addr, scenario = %shared.config.scenario, "qqbot emulator listening");
        Ok(Emulator {
            inner: Arc::new(Inner {
                shared,
                stop,
                tasks: Mutex::new(tasks),
            }),
        })
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared().addr
    }

    /// `http://127.0.0.1:PORT`: the OpenAPI base URL.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// `http://127.0.0.1:PORT/app/getAppAccessToken`.
    pub fn token_url(&self) -> String {
        format!("http://{}/app/getAppAccessToken", self.addr())
    }

    /// The gateway URL `/gateway/bot` returns: `ws://127.0.0.1:PORT/websocket`, or
    /// [`EmulatorConfig::gateway_url`] when set.
    pub fn gateway_url(&self) -> String {
        http::ws_url(self.shared())
    }

    /// Running totals of connections, identifies, resumes and dispatches sent.
    pub fn counters(&self) -> Arc<EmulatorCounters> {
        Arc::clone(&self.shared().counters)
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared().config
    }

    /// Deliver an event to every session whose intents (and shard) cover `t`; `s` and a
    /// `<t>:<uuid>` id are assigned per session. Disconnected but resumable sessions buffer it
    /// for replay. Returns how many sessions got it.
    pub fn inject(&self, t: &str, d: serde_json::Value) -> usize {
        self.shared().deliver(t, &d, None, None)
    }

    /// Deliver a recorded event as it was: `d_raw` is sent byte-exact and `id` (when given) is
    /// kept; `s` is assigned per session. Fails when `d_raw` is not JSON.
    pub fn inject_raw(
        &self,
        t: &str,
        d_raw: &str,
        id: Option<String>,
    ) -> Result<usize, serde_json::Error> {
        let d: serde_json::Value = serde_json::from_str(d_raw)?;
        Ok(self.shared().deliver_raw(t, &d, d_raw, id, None))
    }

    /// [`Emulator::inject_raw`] to one session only (intents still apply, shards do not).
    pub fn inject_raw_to(
        &self,
        session_id: &str,
        t: &str,
        d_raw: &str,
        id: Option<String>,
    ) -> Result<usize, serde_json::Error> {
        let d: serde_json::Value = serde_json::from_str(d_raw)?;
        Ok(self
            .shared()
            .deliver_raw(t, &d, d_raw, id, Some(session_id)))
    }

    /// Deliver an event to one session only (intents still apply, shards do not).
    pub fn inject_to(&self, session_id: &str, t: &str, d: serde_json::Value) -> usize {
        self.shared().deliver(t, &d, None, Some(session_id))
    }

    /// Inject a fault into live connections. Returns how many sessions were affected.
    pub fn fault(&self, target: FaultTarget, fault: Fault) -> usize {
        self.shared().fault(&target, &fault)
    }

    /// Every session (connected, or disconnected and still resumable).
    pub fn sessions(&self) -> Vec<SessionSnapshot> {
        self.shared().sessions()
    }

    /// Every frame clients sent (tokens and secret redacted), oldest first.
    pub fn received_frames(&self) -> Vec<ReceivedFrame> {
        self.shared().received_frames()
    }

    /// Every call to a send route (and to a recall route), accepted or refused, oldest first.
    /// An accepted send that was later recalled has [`SentMessage::recalled`] set.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.shared().sent_messages()
    }

    /// What clients did that the emulator accepted but the platform may refuse (an Identify
    /// faster than `max_concurrency` per 5 s without `strict_identify_rate`), oldest first.
    pub fn warnings(&self) -> Vec<EmulatorWarning> {
        self.shared().warnings()
    }

    /// `session_start_limit.remaining`.
    pub fn session_start_remaining(&self) -> u32 {
        self.shared().session_start_remaining()
    }

    /// Signals to wait on (connections, identifies, resumes, heartbeats, dispatches, closes,
    /// sends). Subscribe before acting, then wait with a timeout.
    pub fn subscribe(&self) -> broadcast::Receiver<EmulatorEvent> {
        self.shared().subscribe()
    }

    /// Webhook mode: what the sender has done so far (`None` without `webhook_to`).
    pub fn webhook_status(&self) -> Option<webhook::WebhookStatus> {
        self.shared().webhook.get().map(|tap| tap.status())
    }

    /// Webhook mode: watch the sender's status (validation result, delivered and failed counts)
    /// instead of polling.
    pub fn watch_webhook(&self) -> Option<watch::Receiver<webhook::WebhookStatus>> {
        self.shared().webhook.get().map(|tap| tap.watch())
    }

    /// Stop the server and close every connection (1001), waiting up to 5 s.
    pub async fn shutdown(self) {
        let _ = self.inner.stop.send(true);
        let tasks: Vec<_> = lock(&self.inner.tasks).drain(..).collect();
        for task in tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}
