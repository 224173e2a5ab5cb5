//! Configuration of the gateway client: heartbeat, reconnect, shard selection and the whole cluster.

use std::sync::Arc;
use std::time::Duration;

use crate::gateway::item::ShardId;
use crate::gateway::queue::IdentifyQueue;
use crate::gateway::session::SessionInfo;
use crate::protocol::Intents;
use crate::secret::Secret;

/// Heartbeat tuning. The interval comes from Hello unless overridden.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatConfig {
    /// Use this interval instead of the one in Hello (testing only; the gateway decides).
    pub interval_override: Option<Duration>,
    /// How long an ACK may take, measured from the oldest unacknowledged beat; may be longer
    /// than Hello's interval (beats keep going out meanwhile). When it passes, the connection is
    /// a zombie (closed and resumed). `None` (the default): a beat not acknowledged by the next
    /// one is missed, and `max_missed` misses in a row make a zombie.
    pub timeout: Option<Duration>,
    /// Without a `timeout`: missed ACKs in a row that mark the connection as a zombie. Default 1.
    pub max_missed: u32,
    /// Send the first beat after a random fraction of the interval instead of one full interval.
    pub first_beat_jitter: bool,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        HeartbeatConfig {
            interval_override: None,
            timeout: None,
            max_missed: 1,
            first_beat_jitter: false,
        }
    }
}

/// Reconnect policy: exponential backoff with jitter, and when to give up.
///
/// By default the client never gives up on transport errors, closes or timeouts: only a fatal
/// close code (the close table), identify rejections and refused credentials stop a shard. A
/// connection counts as a success, resetting the backoff, only once it has stayed up for
/// `stable_after` after READY/RESUMED; a session resumed and lost again at once counts as another
/// failure, so no gateway behaviour can make the client reconnect in a tight loop.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectConfig {
    /// Consecutive failed attempts before giving up; 0 = never give up (the default).
    pub max_attempts: u32,
    /// Delay before the first retry. Default 1 s.
    pub initial_delay: Duration,
    /// Upper bound on a delay. Default 30 s.
    pub max_delay: Duration,
    /// Growth per consecutive failure. Default 2.0.
    pub backoff_factor: f64,
    /// How long a session must stay established (after READY/RESUMED) before its connection
    /// counts as a success and the failure count starts over. Default 5 s.
    pub stable_after: Duration,
}

impl Default for ReconnectConfig {
    fn default() -> Self {
        ReconnectConfig {
            max_attempts: 0,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            backoff_factor: 2.0,
            stable_after: Duration::from_secs(5),
        }
    }
}

/// Which shards to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShardSelection {
    /// As many as `/gateway/bot` recommends.
    #[default]
    Auto,
    /// Shards `0..n` of `n`.
    Count(u32),
    /// Exactly one shard (for running shards in separate processes).
    One(ShardId),
}

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameDir {
    /// Received from the gateway.
    Rx,
    /// Sent to the gateway (Identify and Resume carry the access token: redact before storing).
    Tx,
}

/// Sees every text frame a shard receives or sends, raw, as it happens (for recorders). It runs
/// on the shard's task: it must be quick and must never block (hand the frame to a bounded
/// channel with `try_send`).
#[derive(Clone)]
pub struct FrameTap(Arc<Observer>);

/// The observer behind a [`FrameTap`].
type Observer = dyn Fn(FrameDir, ShardId, &str) + Send + Sync;

impl FrameTap {
    /// Wrap an observer.
    pub fn new(observer: impl Fn(FrameDir, ShardId, &str) + Send + Sync + 'static) -> FrameTap {
        FrameTap(Arc::new(observer))
    }

    /// Show it a frame.
    pub fn observe(&self, dir: FrameDir, shard: ShardId, frame: &str) {
        (self.0)(dir, shard, frame);
    }
}

impl std::fmt::Debug for FrameTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FrameTap")
    }
}

/// Everything [`Cluster::start`](crate::gateway::Cluster::start) needs.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The bot's app id.
    pub app_id: String,
    /// The app secret (client secret).
    pub secret: Secret,
    /// OpenAPI base, e.g. `https://api.sgroup.qq.com` (no trailing slash needed).
    pub api_base: String,
    /// Token endpoint, e.g. `https://bots.qq.com/app/getAppAccessToken`.
    pub token_url: String,
    /// Use this gateway URL instead of the one `/gateway/bot` returns.
    pub gateway_url: Option<String>,
    /// Intents sent in Identify.
    pub intents: Intents,
    /// Which shards to run.
    pub shards: ShardSelection,
    /// Heartbeat tuning.
    pub heartbeat: HeartbeatConfig,
    /// Reconnect pacing.
    pub reconnect: ReconnectConfig,
    /// Capacity of the item channel to the consumer (default 1000). When it is full a shard
    /// stops reading its socket (TCP then pushes back on the gateway) and goes on heartbeating;
    /// nothing is dropped. Each shard holds at most one burst (64 frames) of items beyond it, and
    /// [`Items`](crate::gateway::Items) the rest of the batch (at most 64 items) it is handing out.
    pub event_buffer_size: usize,
    /// Sessions to resume (from a state file); matched by shard.
    pub resume: Vec<SessionInfo>,
    /// Identify spacing. `None`: the default per-`max_concurrency` 5 s window queue.
    pub identify_queue: Option<Arc<dyn IdentifyQueue>>,
    /// Sees every raw frame in both directions (recording).
    pub frame_tap: Option<FrameTap>,
    /// Validate, then connect: before the shards start, one trial Identify with `intents`
    /// (waiting on the same identify queue the shards use, so the first shard is not refused
    /// with 4008) checks that the platform grants them; its session is then closed with 1000
    /// so the platform discards it. Denied intents fail the start with
    /// [`StartError::IntentsDenied`](crate::gateway::StartError::IntentsDenied). Costs one
    /// session start from the daily budget. Default `false`.
    pub validate_intents: bool,
    /// A durable sink's cursor (e.g. the NATS publisher's acknowledged `s`): heartbeats carry
    /// it instead of the last `s` received, so the gateway keeps what is not yet durable for a
    /// resume. `None` (default): heartbeats carry the last `s` received.
    pub heartbeat_cursor: Option<HeartbeatCursorRef>,
}

/// A shared [`HeartbeatCursor`](crate::gateway::heartbeat::HeartbeatCursor).
#[derive(Clone)]
pub struct HeartbeatCursorRef(pub Arc<dyn crate::gateway::heartbeat::HeartbeatCursor>);

impl std::fmt::Debug for HeartbeatCursorRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeartbeatCursor")
    }
}

impl GatewayConfig {
    /// A configuration with defaults for everything but the credentials and endpoints.
    pub fn new(
        app_id: impl Into<String>,
        secret: Secret,
        api_base: impl Into<String>,
        token_url: impl Into<String>,
    ) -> GatewayConfig {
        GatewayConfig {
            app_id: app_id.into(),
            secret,
            api_base: api_base.into(),
            token_url: token_url.into(),
            gateway_url: None,
            intents: Intents::default_granted(),
            shards: ShardSelection::Auto,
            heartbeat: HeartbeatConfig::default(),
            reconnect: ReconnectConfig::default(),
            event_buffer_size: 1000,
            resume: Vec::new(),
            identify_queue: None,
            frame_tap: None,
            validate_intents: false,
            heartbeat_cursor: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let config = GatewayConfig::new("1", Secret::new("hunter2"), "http://a", "http://b");
        assert_eq!(config.event_buffer_size, 1000);
        assert_eq!(config.heartbeat.max_missed, 1);
        assert_eq!(config.reconnect.max_attempts, 0, "never give up by default");
        assert_eq!(config.reconnect.stable_after, Duration::from_secs(5));
        assert_eq!(config.reconnect.initial_delay, Duration::from_secs(1));
        assert_eq!(config.reconnect.max_delay, Duration::from_secs(30));
        assert_eq!(config.reconnect.backoff_factor, 2.0);
        assert_eq!(config.shards, ShardSelection::Auto);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let config = GatewayConfig::new("1", Secret::new("hunter2"), "http://a", "http://b");
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
