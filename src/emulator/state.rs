//! Shared emulator state: tokens, sessions with their sequence numbers and replay buffers,
//! delivery, passive-reply registry, logs and signals.
//!
//! The session rules, all under one lock so ordering is exact:
//! - `s` is assigned per session under the gateway lock, starting with READY = 1, and every
//!   dispatch (including READY and RESUMED) is queued to the connection in `s` order.
//! - Every dispatch (except READY/RESUMED) is kept in the session's replay buffer, whether or not
//!   a connection is attached. A disconnected session keeps buffering until `resume_window` has
//!   passed since it lost its connection.
//! - A Resume replays every buffered dispatch with `s > seq` with its original frame (same `s`,
//!   same `id`), then RESUMED with the next `s`.
//! - The buffer is trimmed to what the client acknowledged in heartbeats, and capped at
//!   [`REPLAY_CAP`] frames.

//!
//! The state is one [`Shared`], its methods grouped by what they touch: [`sessions`] (the
//! gateway lock: sessions, delivery, replay, faults), [`budget`] (the session-start budget,
//! under the same lock), [`logs`] (frames received, messages sent, warnings) and [`tokens`].

mod budget;
mod logs;
mod sessions;
mod tokens;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use chrono::{DateTime, FixedOffset};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

use super::config::{EmulatorConfig, Scenario};
use super::generate::{Generator, World, beijing};
use super::guilds::GuildRecords;
use super::passive::PassiveRegistry;
use super::records::{EmulatorEvent, EmulatorWarning, Fault, ReceivedFrame, SentMessage};
use super::token::TokenStore;
use super::webhook::WebhookTap;
use crate::protocol::events::EventIntent;
use crate::protocol::{EventType, Intents};

/// At most this many dispatches are kept per session for replay.
pub const REPLAY_CAP: usize = 100_000;
/// At most this many received frames are kept for [`super::Emulator::received_frames`].
pub const FRAME_LOG_CAP: usize = 100_000;
/// The window `max_concurrency` applies to.
pub const IDENTIFY_WINDOW: Duration = Duration::from_secs(5);
/// `session_start_limit` resets this long after the first Identify of a window.
pub const START_LIMIT_RESET: Duration = Duration::from_secs(24 * 60 * 60);

/// Lock a mutex, recovering from poisoning (a panicked holder must not take the emulator down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a connection task is told to do.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Write this op 0 frame.
    Dispatch {
        s: u64,
        t: Arc<str>,
        frame: Utf8Bytes,
    },
    /// Apply a fault.
    Fault(Fault),
    /// The session was resumed on another connection: drop this one.
    Superseded,
}

/// A connection's handle, stored in the session it serves.
#[derive(Debug, Clone)]
pub(crate) struct ConnLink {
    pub conn_id: u64,
    pub tx: mpsc::UnboundedSender<Outbound>,
}

use sessions::GatewayState;

/// One pre-rendered flood event: name, body text and the intent bit that delivers it.
#[derive(Debug)]
pub(crate) struct FloodEvent {
    t: Arc<str>,
    d_raw: String,
    /// `None` when any session gets it.
    intent: Option<u64>,
}

/// Why an Identify or Resume was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reject {
    /// Close with this code and reason.
    Close(u16, &'static str),
    /// Send `{"op":9,"d":false}`, then close with this code and reason.
    InvalidSession(u16, &'static str),
}

/// Everything the HTTP handlers and connection tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: EmulatorConfig,
    /// The effective grant (the invalid-intents scenario narrows it to the default intents).
    pub grant: Intents,
    pub started: Instant,
    started_wall: DateTime<FixedOffset>,
    pub addr: SocketAddr,
    pub tokens: Mutex<TokenStore>,
    gateway: Mutex<GatewayState>,
    pub passive: Mutex<PassiveRegistry>,
    /// Members and messages the guild read routes answer with, learned from deliveries and sends.
    pub guild_records: Mutex<GuildRecords>,
    generator: Mutex<Generator>,
    pub world: World,
    /// Pre-rendered events for the flood scenario.
    pub flood_pool: Vec<FloodEvent>,
    frames: Mutex<VecDeque<ReceivedFrame>>,
    sent: Mutex<Vec<SentMessage>>,
    warnings: Mutex<Vec<EmulatorWarning>>,
    events: broadcast::Sender<EmulatorEvent>,
    pub shutdown: watch::Receiver<bool>,
    /// What the gateway did, for metrics.
    pub counters: Arc<super::records::EmulatorCounters>,
    /// The app secret was reset ([`Fault::RevokeSecret`]): the token endpoint refuses it.
    pub secret_revoked: std::sync::atomic::AtomicBool,
    /// Webhook mode: every delivered event is also offered here (set once at start).
    pub webhook: OnceLock<WebhookTap>,
}

impl Shared {
    pub fn new(
        config: EmulatorConfig,
        addr: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) -> Shared {
        let grant = match config.scenario {
            Scenario::InvalidIntents => Intents::default_granted(),
            _ => config.grant,
        };
        let generator = Generator::new(config.seed, &config.app_id);
        let world = generator.world().clone();
        let flood_pool = if config.scenario == Scenario::Flood {
            let mut g = Generator::new(config.seed, &config.app_id);
            let now = chrono::Utc::now().with_timezone(&beijing());
            (0..256)
                .map(|_| {
                    let e = g.next_event(now);
                    let intent = match EventType::from_name(e.t).intent() {
                        EventIntent::Intent(info) => Some(info.value()),
                        EventIntent::Always | EventIntent::NotKnown => None,
                    };
                    FloodEvent {
                        t: Arc::from(e.t),
                        d_raw: super::json::platform_json(&e.d),
                        intent,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let (events, _) = broadcast::channel(4096);
        Shared {
            tokens: Mutex::new(TokenStore::new(config.token_ttl)),
            gateway: Mutex::new(GatewayState::new(
                config
                    .session_start_remaining
                    .map_or(config.session_start_total, |left| {
                        left.min(config.session_start_total)
                    }),
            )),
            passive: Mutex::new(PassiveRegistry::default()),
            guild_records: Mutex::new(GuildRecords::default()),
            generator: Mutex::new(generator),
            world,
            flood_pool,
            frames: Mutex::new(VecDeque::new()),
            sent: Mutex::new(Vec::new()),
            warnings: Mutex::new(Vec::new()),
            events,
            shutdown,
            counters: Arc::default(),
            secret_revoked: std::sync::atomic::AtomicBool::new(false),
            webhook: OnceLock::new(),
            grant,
            started: Instant::now(),
            started_wall: chrono::Utc::now().with_timezone(&beijing()),
            addr,
            config,
        }
    }

    // ---- time and signals ----------------------------------------------------------------

    /// Wall-clock time that advances with tokio time (so paused-time tests see consistent times).
    pub fn wall_now(&self) -> DateTime<FixedOffset> {
        let elapsed = Instant::now().saturating_duration_since(self.started);
        self.started_wall + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }

    pub fn offset(&self) -> Duration {
        Instant::now().saturating_duration_since(self.started)
    }

    pub fn emit(&self, event: EmulatorEvent) {
        let _ = self.events.send(event);
    }

    pub fn has_subscribers(&self) -> bool {
        self.events.receiver_count() > 0
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EmulatorEvent> {
        self.events.subscribe()
    }

    pub fn next_connection(&self) -> u64 {
        self.counters.connections.fetch_add(1, Ordering::Relaxed) + 1
    }
}
