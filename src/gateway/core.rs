//! The sans-IO shard core: one state enum, pure transitions that return [`Action`]s.
//!
//! The driver ([`shard`](crate::gateway::shard)) feeds it frames, deadlines and connection
//! results together with `now`, and carries out the actions it returns. Every decision about what
//! happens after a connection ends is made in one place, [`ShardCore::disconnect`], which obeys the
//! close-code table in [`crate::protocol::close`].

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::gateway::backoff::Backoff;
use crate::gateway::config::{HeartbeatConfig, ReconnectConfig};
use crate::gateway::heartbeat::{Heartbeat, Tick};
pub use crate::gateway::item::ShardState;
use crate::gateway::item::{Cause, CloseOrigin, Dispatch, FatalCause, ItemKind, ShardId};
use crate::gateway::latency::Latency;
use crate::gateway::metrics::ShardMetrics;
use crate::gateway::session::SessionInfo;
use crate::models::Ready;
use crate::protocol::fastpeek;
use crate::protocol::payloads::{Hello, invalid_session_resumable};
use crate::protocol::{CloseAction, Envelope, EventNames, Intents, OpCode, Peeked, close_info};

/// How long to wait for Hello after connecting before treating the connection as dead.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

/// Identify rejections (op 9 before READY) in a row after which the shard stops.
pub const MAX_IDENTIFY_REJECTIONS: u32 = 2;

/// The reason of the close qqbot sends when it shuts down (the session stays resumable).
pub const SHUTDOWN_REASON: &str = "client shutting down";

/// Close code qqbot sends when it closes a connection it wants to resume (not 1000/1001, which
/// some gateways read as "session over").
pub const CLIENT_RESUME_CLOSE: u16 = 4000;

/// Close code qqbot sends when it drops the session anyway.
pub const CLIENT_NORMAL_CLOSE: u16 = 1000;

/// The range a Hello's `heartbeat_interval` is clamped into (the platform sends 41 250 ms; a
/// hostile or broken gateway could ask for a beat every millisecond, or never).
pub const HEARTBEAT_INTERVAL_RANGE: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(600));

const IDENTIFY_REJECTED: &str = "identify rejected (intents not granted, wrong environment or IP)";

/// How the next connection is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPlan {
    /// Wait this long first.
    pub delay: Duration,
    /// Resume the held session (otherwise identify, which waits for the identify queue).
    pub resume: bool,
    /// Fetch a fresh access token first.
    pub refresh_token: bool,
}

/// What the driver must do.
#[derive(Debug, Clone)]
pub enum Action {
    /// Send op 2 with the current token.
    SendIdentify {
        /// Intents to send.
        intents: Intents,
        /// `[shard_id, num_shards]`.
        shard: ShardId,
    },
    /// Send op 6 with the current token.
    SendResume {
        /// Session to resume.
        session_id: String,
        /// Last seq seen.
        seq: Option<u64>,
    },
    /// Send op 1.
    SendHeartbeat {
        /// `d`.
        seq: Option<u64>,
    },
    /// Close the socket (client-initiated).
    Close {
        /// Close code to send.
        code: u16,
        /// Close reason to send.
        reason: &'static str,
    },
    /// Drop the connection (if any) and connect again as planned.
    Reconnect(ReconnectPlan),
    /// Hand an item to the consumer.
    Emit(ItemKind),
    /// Stop the shard.
    Stop,
}

/// Why a connection attempt failed, typed: the core decides from the kind, not from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectFailure {
    /// The token endpoint refused the app id or secret: retrying cannot help.
    TokenAuth(String),
    /// No token for another reason (network, server error).
    Token(String),
    /// DNS, TCP, TLS or the WebSocket upgrade failed.
    Transport(String),
    /// The connection was not up within the connect timeout.
    Timeout(String),
}

impl ConnectFailure {
    /// The one-line description.
    pub fn message(&self) -> &str {
        match self {
            ConnectFailure::TokenAuth(m)
            | ConnectFailure::Token(m)
            | ConnectFailure::Transport(m)
            | ConnectFailure::Timeout(m) => m,
        }
    }
}

/// Fingerprints of the last [`RecentIds::CAPACITY`] event ids in a ring: remembering costs one
/// hash and a store per dispatch on the read loop; the scan happens only when `s` goes backwards.
#[derive(Debug)]
struct RecentIds {
    ring: Box<[u64; RecentIds::CAPACITY]>,
    next: usize,
}

impl Default for RecentIds {
    fn default() -> Self {
        RecentIds {
            ring: Box::new([0; RecentIds::CAPACITY]),
            next: 0,
        }
    }
}

impl RecentIds {
    const CAPACITY: usize = 256;

    /// A 64-bit fingerprint of `id` (foldhash, fixed seed: the same in every process, as the
    /// unkeyed SipHash it replaced was, and several times faster on an event id).
    fn fingerprint(id: &str) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(0).hash_one(id) | 1 // never 0, the empty slot
    }

    fn contains(&self, id: &str) -> bool {
        let key = Self::fingerprint(id);
        self.ring.contains(&key)
    }

    fn remember(&mut self, id: &str) {
        self.ring[self.next] = Self::fingerprint(id);
        self.next = (self.next + 1) % Self::CAPACITY;
    }
}

/// A random source in `[0, 1)`, injectable for tests.
pub type Rng = Box<dyn FnMut() -> f64 + Send>;

/// The protocol state of one shard.
pub struct ShardCore {
    shard: ShardId,
    intents: Intents,
    heartbeat_config: HeartbeatConfig,
    state: ShardState,
    /// The state last published as [`ItemKind::StateChange`].
    published: ShardState,
    session_id: Option<String>,
    seq: Option<u64>,
    heartbeat: Option<Heartbeat>,
    hello_deadline: Option<Instant>,
    latency: Latency,
    backoff: Backoff,
    identify_rejections: u32,
    disconnected_at: Option<Instant>,
    /// When the current session was established (READY/RESUMED), for `stable_after`.
    established_at: Option<Instant>,
    stable_after: Duration,
    /// Whether the last frame handled was a dispatch (op 0).
    last_dispatch: bool,
    /// Whether the driver has stopped reading the socket (backpressure).
    reads_paused: bool,
    /// Ids of the latest dispatches, to tell a replayed event from a new one with a stale `s`.
    recent_ids: RecentIds,
    replayed: u64,
    /// The `s` the Resume in flight continues after; the first frame after it is checked for
    /// a gap.
    resumed_after: Option<u64>,
    /// A durable sink's cursor, heartbeated instead of the last `s` received.
    heartbeat_cursor: Option<crate::gateway::config::HeartbeatCursorRef>,
    connected_once: bool,
    metrics: ShardMetrics,
    rng: Rng,
    names: EventNames,
    /// Leave the check of each dispatch's `d` to the receiving thread (see
    /// [`defer_checks`](Self::defer_checks)).
    defer_check: bool,
}

impl std::fmt::Debug for ShardCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardCore")
            .field("shard", &self.shard)
            .field("state", &self.state)
            .field("session_id", &self.session_id)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl ShardCore {
    /// A disconnected shard, holding `resume` if a previous process left a session.
    pub fn new(
        shard: ShardId,
        intents: Intents,
        heartbeat: HeartbeatConfig,
        reconnect: ReconnectConfig,
        resume: Option<SessionInfo>,
    ) -> ShardCore {
        let (session_id, seq) = match resume {
            Some(info) => (Some(info.session_id), info.last_seq),
            None => (None, None),
        };
        let mut metrics = ShardMetrics::new(shard);
        metrics.session_id = session_id.clone();
        metrics.last_seq = seq;
        ShardCore {
            shard,
            intents,
            heartbeat_config: heartbeat,
            state: ShardState::Disconnected { attempt: 0 },
            published: ShardState::Disconnected { attempt: 0 },
            session_id,
            seq,
            heartbeat: None,
            hello_deadline: None,
            latency: Latency::new(),
            stable_after: reconnect.stable_after,
            backoff: Backoff::new(reconnect),
            identify_rejections: 0,
            disconnected_at: None,
            established_at: None,
            last_dispatch: false,
            reads_paused: false,
            recent_ids: RecentIds::default(),
            replayed: 0,
            resumed_after: None,
            heartbeat_cursor: None,
            connected_once: false,
            metrics,
            rng: Box::new(rand::random::<f64>),
            names: EventNames::default(),
            defer_check: false,
        }
    }

    /// Leave the check that a dispatch's `d` is valid JSON to whoever receives the items, for
    /// a driver whose items reach their consumer through [`Items`](crate::gateway::Items),
    /// which makes that check on the receiving thread: the shard's thread then reads only the
    /// envelope of each dispatch, and the two threads share the work. A dispatch whose `d`
    /// fails the check becomes an `error` item there; its `s` and `id` were counted here as
    /// received (the frame did arrive; a resume would get the same bytes again).
    pub(crate) fn defer_checks(mut self) -> ShardCore {
        self.defer_check = true;
        self
    }

    /// Heartbeat with a durable sink's cursor instead of the last `s` received (never above
    /// it): see [`HeartbeatCursor`](crate::gateway::heartbeat::HeartbeatCursor).
    pub fn with_heartbeat_cursor(
        mut self,
        cursor: Option<crate::gateway::config::HeartbeatCursorRef>,
    ) -> ShardCore {
        self.heartbeat_cursor = cursor;
        self
    }

    /// The `d` of the next heartbeat: the last `s` received, or less when a durable sink has
    /// not kept that much yet.
    fn beat_seq(&self) -> Option<u64> {
        let (Some(cursor), Some(session)) = (&self.heartbeat_cursor, &self.session_id) else {
            return self.seq;
        };
        match cursor.0.durable_seq(self.shard, session) {
            None => self.seq,
            Some(durable) => match (durable, self.seq) {
                (Some(d), Some(s)) => Some(d.min(s)),
                (None, _) | (_, None) => None,
            },
        }
    }

    /// Replace the random source (tests use a fixed one).
    pub fn with_rng(mut self, rng: Rng) -> ShardCore {
        self.rng = rng;
        self
    }

    /// The shard.
    pub fn shard(&self) -> ShardId {
        self.shard
    }

    /// The current state.
    pub fn state(&self) -> ShardState {
        self.state
    }

    /// Whether a session is running.
    pub fn is_connected(&self) -> bool {
        self.state == ShardState::Active
    }

    /// The held session, if any.
    pub fn session_info(&self) -> Option<SessionInfo> {
        self.session_id.as_ref().map(|id| SessionInfo {
            session_id: id.clone(),
            last_seq: self.seq,
            shard: self.shard,
        })
    }

    /// Protocol counters (delivery counters are the driver's).
    pub fn metrics(&self) -> &ShardMetrics {
        &self.metrics
    }

    /// The round-trip histogram.
    pub fn latency(&self) -> &Latency {
        &self.latency
    }

    /// Whether the last frame given to [`on_frame`](Self::on_frame) was a dispatch (op 0).
    pub fn last_frame_was_dispatch(&self) -> bool {
        self.last_dispatch
    }

    /// The driver stopped reading the socket because the consumer is behind: heartbeats go on,
    /// but a beat whose ACK cannot be read meanwhile is not taken for a zombie.
    pub fn pause_reads(&mut self) {
        if !self.reads_paused {
            self.reads_paused = true;
            self.metrics.read_pauses += 1;
        }
        if let Some(heartbeat) = self.heartbeat.as_mut() {
            heartbeat.pause_reads();
        }
    }

    /// The driver reads the socket again after `paused` without reading.
    pub fn resume_reads(&mut self, paused: Duration) {
        self.reads_paused = false;
        self.metrics.read_paused_for += paused;
        if let Some(heartbeat) = self.heartbeat.as_mut() {
            heartbeat.resume_reads();
        }
    }

    /// How the first connection is made.
    pub fn initial_plan(&self) -> ReconnectPlan {
        ReconnectPlan {
            delay: Duration::ZERO,
            resume: self.session_id.is_some(),
            refresh_token: false,
        }
    }

    /// When [`on_heartbeat_due`](Self::on_heartbeat_due) must be called next.
    pub fn deadline(&self) -> Option<Instant> {
        match self.state {
            ShardState::Connecting => self.hello_deadline,
            ShardState::Identifying | ShardState::Resuming | ShardState::Active => {
                self.heartbeat.as_ref().map(Heartbeat::deadline)
            }
            _ => None,
        }
    }

    fn set_state(&mut self, state: ShardState) {
        self.state = state;
        self.metrics.state = state.name();
    }

    /// Append a [`ItemKind::StateChange`] if the state moved since the last one published. Every
    /// public entry point ends with it, so the change follows the items that caused it (only
    /// [`ItemKind::Fatal`] comes after its state change: it is the shard's last item).
    fn publish_state(&mut self, out: &mut Vec<Action>) {
        if self.state != self.published {
            out.push(Action::Emit(ItemKind::StateChange {
                from: self.published,
                to: self.state,
            }));
            self.published = self.state;
        }
    }

    fn published(&mut self, mut actions: Vec<Action>) -> Vec<Action> {
        self.publish_state(&mut actions);
        actions
    }

    /// A connection attempt starts.
    pub fn on_connecting(&mut self, _now: Instant) -> Vec<Action> {
        self.metrics.connect_attempts += 1;
        self.set_state(ShardState::Connecting);
        self.published(Vec::new())
    }

    /// The WebSocket handshake succeeded.
    pub fn on_connected(&mut self, now: Instant, url: &str) -> Vec<Action> {
        self.connected_once = true;
        self.metrics.connect_successes += 1;
        self.hello_deadline = Some(now + HELLO_TIMEOUT);
        self.set_state(ShardState::Connecting);
        let actions = vec![Action::Emit(ItemKind::Connected {
            url: url.to_owned(),
            attempt: self.backoff.attempt() + 1,
        })];
        self.published(actions)
    }

    /// The connection attempt failed (DNS, TCP, TLS, handshake, token).
    pub fn on_connect_failed(&mut self, now: Instant, failure: &ConnectFailure) -> Vec<Action> {
        let actions = self.connect_failed(now, failure);
        self.published(actions)
    }

    fn connect_failed(&mut self, now: Instant, failure: &ConnectFailure) -> Vec<Action> {
        let mut actions = vec![Action::Emit(ItemKind::Error {
            message: format!("connection attempt failed: {}", failure.message()),
        })];
        self.disconnected_at.get_or_insert(now);
        if let ConnectFailure::TokenAuth(message) = failure {
            return self.fatal(
                actions,
                format!("the token endpoint refused the credentials: {message}"),
                Some("the app secret was changed or revoked; check the AppID and AppSecret in the QQ console".to_owned()),
                None,
                FatalCause::AuthFailed,
            );
        }
        let next = NextAttempt {
            resume: self.session_id.is_some(),
            refresh_token: false,
            immediate: false,
        };
        self.schedule(&mut actions, next, failure.message());
        actions
    }

    /// A text frame arrived. `frame` is the whole frame; dispatches keep it as their raw text.
    pub fn on_frame(&mut self, now: Instant, frame: &Arc<str>) -> Vec<Action> {
        let mut out = Vec::new();
        self.on_frame_into(now, frame, &mut out);
        out
    }

    /// [`on_frame`](Self::on_frame), appending to a buffer the caller reuses (the read loop
    /// allocates nothing for a dispatch beyond the frame and its item).
    pub fn on_frame_into(&mut self, now: Instant, frame: &Arc<str>, out: &mut Vec<Action>) {
        self.frame_into(now, frame, out);
        self.publish_state(out);
    }

    fn frame_into(&mut self, now: Instant, frame: &Arc<str>, out: &mut Vec<Action>) {
        let text: &str = frame;
        self.last_dispatch = false;
        // Dispatches (nearly every frame) take the fast scanner; anything it is unsure of, and
        // every other opcode, goes through serde.
        let fast = if self.defer_check {
            fastpeek::peek_deferring(text, &mut self.names)
        } else {
            fastpeek::peek(text, &mut self.names).map(|peeked| (peeked, false))
        };
        if let Some((peeked, deferred)) = fast
            && peeked.op == 0
            // READY and RESUMED change the session: they are checked before they count.
            && !(deferred
                && matches!(peeked.t.as_deref(), Some("READY" | "RESUMED"))
                && !fastpeek::check_deferred(text, &peeked.d_range))
        {
            self.last_dispatch = true;
            return self.on_dispatch(now, frame, peeked, deferred, out);
        }
        let env = match Envelope::peek(text) {
            Ok(env) => env,
            Err(e) => {
                out.push(Action::Emit(ItemKind::Error {
                    message: e.to_string(),
                }));
                return;
            }
        };
        let actions = match env.opcode() {
            OpCode::Dispatch => {
                self.last_dispatch = true;
                let peeked = Peeked::from_envelope(&env, text, &mut self.names);
                return self.on_dispatch(now, frame, peeked, false, out);
            }
            OpCode::Hello => self.on_hello(now, &env),
            OpCode::HeartbeatAck => match self.heartbeat.as_mut().and_then(|h| h.on_ack(now)) {
                Some(rtt) => {
                    self.latency.record(rtt);
                    self.metrics.latency = self.latency.summary();
                    vec![Action::Emit(ItemKind::HeartbeatAck { rtt })]
                }
                None => Vec::new(),
            },
            // A server heartbeat asks for one back at once.
            OpCode::Heartbeat => vec![Action::SendHeartbeat {
                seq: self.beat_seq(),
            }],
            OpCode::Reconnect => {
                let mut actions = vec![Action::Emit(ItemKind::ReconnectRequested)];
                actions.extend(self.disconnect(now, Cause::ReconnectRequested));
                actions
            }
            OpCode::InvalidSession => {
                let resumable = invalid_session_resumable(env.d);
                self.disconnect(now, Cause::InvalidSession { resumable })
            }
            _ => Vec::new(),
        };
        out.extend(actions);
    }

    fn on_hello(&mut self, now: Instant, env: &Envelope<'_>) -> Vec<Action> {
        let hello: Hello = match serde_json::from_str(env.d_text()) {
            Ok(hello) => hello,
            Err(e) => {
                return vec![Action::Emit(ItemKind::Error {
                    message: format!("malformed Hello: {e}"),
                })];
            }
        };
        let announced = Duration::from_millis(hello.heartbeat_interval);
        let (low, high) = HEARTBEAT_INTERVAL_RANGE;
        let mut actions = Vec::new();
        let interval = match self.heartbeat_config.interval_override {
            Some(interval) if !interval.is_zero() => interval,
            _ => {
                let clamped = announced.clamp(low, high);
                if clamped != announced {
                    actions.push(Action::Emit(ItemKind::Error {
                        message: format!(
                            "Hello announced a heartbeat interval of {} ms, outside {}–{} s; using {} ms",
                            hello.heartbeat_interval,
                            low.as_secs(),
                            high.as_secs(),
                            clamped.as_millis()
                        ),
                    }));
                }
                clamped
            }
        };
        let first = if self.heartbeat_config.first_beat_jitter {
            interval.mul_f64((self.rng)().clamp(0.0, 1.0))
        } else {
            interval
        };
        self.heartbeat = Some(Heartbeat::new(interval, first, now, &self.heartbeat_config));
        actions.push(Action::Emit(ItemKind::Hello {
            heartbeat_interval: announced,
        }));
        if self.state != ShardState::Connecting {
            return actions; // a repeated Hello only updates the interval
        }
        self.hello_deadline = None;
        match self.session_id.clone() {
            Some(id) => {
                self.replayed = 0;
                self.resumed_after = self.seq;
                self.set_state(ShardState::Resuming);
                actions.push(Action::Emit(ItemKind::Resuming {
                    session_id: id.clone(),
                    seq: self.seq,
                }));
                actions.push(Action::SendResume {
                    session_id: id.clone(),
                    seq: self.seq,
                });
            }
            None => {
                self.seq = None;
                self.metrics.identifies += 1;
                self.set_state(ShardState::Identifying);
                actions.push(Action::Emit(ItemKind::Identifying {
                    intents: self.intents.bits(),
                }));
                actions.push(Action::SendIdentify {
                    intents: self.intents,
                    shard: self.shard,
                });
            }
        }
        actions
    }

    /// A dispatch; `deferred`: its `d` is still to be checked (see
    /// [`defer_checks`](Self::defer_checks)).
    fn on_dispatch(
        &mut self,
        now: Instant,
        frame: &Arc<str>,
        env: Peeked,
        deferred: bool,
        out: &mut Vec<Action>,
    ) {
        let t = env.t.as_deref().unwrap_or("");
        // The first frame after a Resume continues right after its `s`, or events were lost.
        if self.state == ShardState::Resuming
            && let Some(s) = env.seq
            && let Some(after) = self.resumed_after.take()
            && s > after.saturating_add(1)
        {
            out.push(Action::Emit(ItemKind::Gap { after, next: s }));
        }
        if let Some(s) = env.seq {
            let resumed_session = matches!(self.state, ShardState::Resuming | ShardState::Active);
            if resumed_session
                && t != "READY"
                && let Some(last) = self.seq.filter(|last| s <= *last)
            {
                // A replay of an event already delivered is dropped (counted and said); a new
                // event id with a stale `s` is a gateway bug, and the event is kept.
                let seen = env.id(frame).is_some_and(|id| self.recent_ids.contains(id));
                out.push(Action::Emit(ItemKind::Error {
                    message: format!(
                        "dispatch {t} with s = {s} at or below the last s = {last}: {}",
                        if seen {
                            "already delivered (same id), dropped"
                        } else {
                            "a new event id, kept"
                        }
                    ),
                }));
                if seen {
                    self.metrics.duplicates_dropped += 1;
                    return;
                }
            } else {
                self.seq = Some(s);
                self.metrics.last_seq = self.seq;
            }
        }
        if let Some(id) = env.id(frame) {
            self.recent_ids.remember(id);
        }
        match t {
            "READY" => {
                let ready = match serde_json::from_str::<Ready>(env.d(frame)) {
                    Ok(ready) if !ready.session_id.is_empty() => ready,
                    parsed => {
                        let why = parsed
                            .err()
                            .map_or("no session_id".to_owned(), |e| e.to_string());
                        out.push(Action::Emit(ItemKind::Error {
                            message: format!("malformed READY: {why}"),
                        }));
                        return;
                    }
                };
                self.session_id = Some(ready.session_id.clone());
                self.metrics.session_id = self.session_id.clone();
                self.established(now);
                // 0 is never a gateway version.
                let version = ready.version.filter(|v| *v != 0);
                out.push(Action::Emit(ItemKind::Ready {
                    session_id: ready.session_id,
                    user_id: ready.user.id,
                    username: ready.user.username,
                    version,
                }));
            }
            "RESUMED" if self.state == ShardState::Resuming => {
                let recovered_in = self
                    .disconnected_at
                    .map(|at| now.saturating_duration_since(at));
                self.metrics.resumes += 1;
                self.established(now);
                out.push(Action::Emit(ItemKind::Resumed {
                    seq: env.seq,
                    replayed: self.replayed,
                    recovered_in,
                }));
            }
            _ => {
                if self.state == ShardState::Resuming {
                    self.replayed += 1;
                }
                self.metrics.events_received += 1;
                let names = &mut self.names;
                let mut dispatch = Dispatch::from_peeked(env, || names.get(""), Arc::clone(frame));
                dispatch.deferred = deferred;
                out.push(Action::Emit(ItemKind::Dispatch(dispatch)));
            }
        }
    }

    /// READY or RESUMED. The failure count is not reset here: only a connection that stays up
    /// for `stable_after` counts as a success (see [`disconnect`](Self::disconnect)).
    fn established(&mut self, now: Instant) {
        self.set_state(ShardState::Active);
        self.identify_rejections = 0;
        self.disconnected_at = None;
        self.established_at = Some(now);
    }

    /// A deadline from [`deadline`](Self::deadline) passed.
    pub fn on_heartbeat_due(&mut self, now: Instant) -> Vec<Action> {
        let actions = self.heartbeat_due(now);
        self.published(actions)
    }

    fn heartbeat_due(&mut self, now: Instant) -> Vec<Action> {
        match self.state {
            ShardState::Connecting => {
                if self.hello_deadline.is_some_and(|d| now >= d) {
                    return self.disconnect(now, Cause::HelloTimeout);
                }
                Vec::new()
            }
            ShardState::Identifying | ShardState::Resuming | ShardState::Active => {
                let Some(heartbeat) = self.heartbeat.as_mut() else {
                    return Vec::new();
                };
                match heartbeat.on_due(now) {
                    Tick::Idle => Vec::new(),
                    Tick::Beat => {
                        let seq = self.beat_seq();
                        vec![
                            Action::SendHeartbeat { seq },
                            Action::Emit(ItemKind::HeartbeatSent { seq }),
                        ]
                    }
                    Tick::Zombie { missed } => {
                        self.metrics.missed_acks += 1;
                        self.disconnect(now, Cause::Zombie { missed })
                    }
                }
            }
            _ => Vec::new(),
        }
    }

    /// The socket closed (close frame or drop). Ignored once the shard has already disconnected
    /// (for example the server's 4009 after qqbot closed on op 7).
    pub fn on_close(&mut self, now: Instant, code: Option<u16>, reason: &str) -> Vec<Action> {
        self.disconnect(
            now,
            Cause::Closed {
                code,
                reason: reason.to_owned(),
            },
        )
    }

    /// Close for shutdown, keeping the session resumable.
    pub fn on_shutdown(&mut self, now: Instant) -> Vec<Action> {
        self.disconnect(now, Cause::Shutdown)
    }

    /// The connection broke on a protocol or I/O error (no close frame).
    pub fn on_transport_error(&mut self, now: Instant, error: &str) -> Vec<Action> {
        self.disconnect(
            now,
            Cause::Transport {
                error: error.to_owned(),
            },
        )
    }

    /// The one place that decides what follows the end of a connection.
    pub fn disconnect(&mut self, now: Instant, cause: Cause) -> Vec<Action> {
        let actions = self.disconnected(now, cause);
        self.published(actions)
    }

    fn disconnected(&mut self, now: Instant, cause: Cause) -> Vec<Action> {
        let was = self.state;
        if matches!(was, ShardState::FatallyClosed) {
            return Vec::new();
        }
        let connected = !matches!(was, ShardState::Disconnected { .. });
        if !connected && cause != Cause::Shutdown {
            // Our own close already decided what happens next; a late server close changes nothing.
            return Vec::new();
        }
        if cause != Cause::Shutdown {
            // A connection was lost (a failed attempt to connect is not a reconnect).
            self.metrics.reconnects += 1;
        }
        // A session that stayed up long enough was a success: failures count from zero again.
        if let Some(at) = self.established_at.take()
            && now.saturating_duration_since(at) >= self.stable_after
        {
            self.backoff.reset();
        }
        self.heartbeat = None;
        self.hello_deadline = None;
        self.disconnected_at.get_or_insert(now);
        let mut actions = Vec::new();

        if cause == Cause::Shutdown {
            if connected {
                actions.push(Action::Close {
                    code: CLIENT_RESUME_CLOSE,
                    reason: SHUTDOWN_REASON,
                });
                actions.push(closed(
                    Some(CLIENT_RESUME_CLOSE),
                    SHUTDOWN_REASON,
                    CloseOrigin::Client,
                    CloseAction::Resume,
                    cause,
                ));
            }
            self.set_state(ShardState::Disconnected {
                attempt: self.backoff.attempt(),
            });
            actions.push(Action::Stop);
            return actions;
        }

        let Ending {
            action,
            code,
            reason,
            origin,
            close_frame,
        } = self.ending(was, &cause, &mut actions);
        if let Some((code, reason)) = close_frame {
            actions.push(Action::Close { code, reason });
        }
        actions.push(closed(code, &reason, origin, action, cause));

        if self.identify_rejections >= MAX_IDENTIFY_REJECTIONS {
            let hint = close_info(4903).hint.map(str::to_owned);
            let code = code.filter(|_| origin == CloseOrigin::Server);
            self.forget_session();
            return self.fatal(
                actions,
                IDENTIFY_REJECTED.to_owned(),
                hint,
                code,
                FatalCause::IdentifyRejected,
            );
        }
        if action == CloseAction::Fatal {
            let wire = code.unwrap_or(0);
            let info = close_info(wire);
            let reason = format!("{} ({wire}): {}", info.name, info.meaning);
            self.forget_session();
            return self.fatal(
                actions,
                reason,
                info.hint.map(str::to_owned),
                code,
                FatalCause::CloseCode(wire),
            );
        }
        let resume = matches!(action, CloseAction::Resume | CloseAction::BackoffThenResume);
        if !resume {
            self.forget_session();
        }
        let refresh_token = action == CloseAction::RefreshTokenThenIdentify;
        if refresh_token {
            // An expired token is not a network failure: the refresh is not delayed by the
            // failures that came before it (after an outage, a restarted gateway often answers
            // the resume with 4004).
            self.backoff.reset();
        }
        let next = NextAttempt {
            resume: resume && self.session_id.is_some(),
            refresh_token,
            // The first resume after a lost connection goes at once; later ones back off.
            immediate: action == CloseAction::Resume,
        };
        self.schedule(&mut actions, next, &reason);
        actions
    }

    /// How the connection ended (any cause but shutdown), counted in the metrics: the close
    /// item's fields, and the close frame qqbot sends when it is the one closing.
    fn ending(&mut self, was: ShardState, cause: &Cause, actions: &mut Vec<Action>) -> Ending {
        let ours = |action, code, reason, wire_reason| Ending {
            action,
            code: Some(code),
            reason,
            origin: CloseOrigin::Client,
            close_frame: Some((code, wire_reason)),
        };
        match cause {
            Cause::Shutdown => unreachable!("shutdown is handled before"),
            Cause::Closed { code, reason } => {
                let wire = code.unwrap_or(1006);
                *self.metrics.close_codes.entry(wire).or_insert(0) += 1;
                let info = close_info(wire);
                let reason = if reason.is_empty() {
                    info.name.to_owned()
                } else {
                    reason.clone()
                };
                if was == ShardState::Identifying && wire == 4903 {
                    self.identify_rejections += 1;
                }
                Ending {
                    action: info.action,
                    code: Some(wire),
                    reason,
                    origin: CloseOrigin::Server,
                    close_frame: None,
                }
            }
            Cause::Transport { error } => {
                *self.metrics.close_codes.entry(1006).or_insert(0) += 1;
                Ending {
                    action: close_info(1006).action,
                    code: None,
                    reason: error.clone(),
                    origin: CloseOrigin::Server,
                    close_frame: None,
                }
            }
            Cause::ReconnectRequested => {
                self.metrics.reconnect_requests += 1;
                ours(
                    CloseAction::Resume,
                    CLIENT_RESUME_CLOSE,
                    "reconnect requested (op 7)".to_owned(),
                    "reconnecting",
                )
            }
            Cause::Zombie { missed } => {
                self.metrics.zombies += 1;
                ours(
                    CloseAction::Resume,
                    CLIENT_RESUME_CLOSE,
                    format!("zombie connection: {missed} heartbeat(s) not acknowledged"),
                    "heartbeat not acknowledged",
                )
            }
            Cause::HelloTimeout => ours(
                CloseAction::Resume,
                CLIENT_RESUME_CLOSE,
                format!("no Hello within {} s", HELLO_TIMEOUT.as_secs()),
                "no hello",
            ),
            Cause::InvalidSession { resumable } => {
                let (action, reason) = match was {
                    ShardState::Identifying => {
                        self.identify_rejections += 1;
                        (CloseAction::Identify, IDENTIFY_REJECTED.to_owned())
                    }
                    ShardState::Resuming => (
                        CloseAction::Identify,
                        "resume rejected; identifying afresh".to_owned(),
                    ),
                    _ if *resumable => (
                        CloseAction::Resume,
                        "invalid session (resumable)".to_owned(),
                    ),
                    _ => (CloseAction::Identify, "session invalidated".to_owned()),
                };
                actions.push(Action::Emit(ItemKind::InvalidSession {
                    resumable: *resumable,
                    reason: reason.clone(),
                }));
                let code = if action == CloseAction::Resume {
                    CLIENT_RESUME_CLOSE
                } else {
                    CLIENT_NORMAL_CLOSE
                };
                ours(action, code, reason, "invalid session")
            }
        }
    }

    /// Count a failure and plan the next attempt (or give up).
    fn schedule(&mut self, actions: &mut Vec<Action>, next: NextAttempt, last: &str) {
        let attempt = self.backoff.fail();
        if self.backoff.exhausted() {
            let reason = format!(
                "gave up after {attempt} consecutive failed connection attempts (the last: {last})"
            );
            let taken = std::mem::take(actions);
            *actions = self.fatal(
                taken,
                reason,
                Some("check the network path to the gateway, or allow more attempts (the reconnect policy's max_attempts; 0 never gives up)".to_owned()),
                None,
                FatalCause::RetriesExhausted { attempts: attempt },
            );
            return;
        }
        let delay = if next.immediate && attempt == 1 {
            Duration::ZERO
        } else {
            self.backoff.delay(attempt, (self.rng)())
        };
        self.set_state(ShardState::Disconnected { attempt });
        if !delay.is_zero() {
            actions.push(Action::Emit(ItemKind::Backoff {
                delay,
                attempt,
                resume: next.resume,
            }));
        }
        actions.push(Action::Reconnect(ReconnectPlan {
            delay,
            resume: next.resume,
            refresh_token: next.refresh_token,
        }));
    }

    fn forget_session(&mut self) {
        self.session_id = None;
        self.seq = None;
        self.metrics.session_id = None;
        self.metrics.last_seq = None;
    }

    fn fatal(
        &mut self,
        mut actions: Vec<Action>,
        reason: String,
        hint: Option<String>,
        code: Option<u16>,
        cause: FatalCause,
    ) -> Vec<Action> {
        self.set_state(ShardState::FatallyClosed);
        // The fatal item is a shard's last word (consumers stop at it), so its state goes first.
        self.publish_state(&mut actions);
        actions.push(Action::Emit(ItemKind::Fatal {
            reason,
            hint,
            code,
            cause,
        }));
        actions.push(Action::Stop);
        actions
    }
}

/// How a connection ended: the fields of its close item, and the close frame qqbot sends when
/// it is the side closing (`None` when the server closed or the connection dropped).
struct Ending {
    action: CloseAction,
    code: Option<u16>,
    reason: String,
    origin: CloseOrigin,
    close_frame: Option<(u16, &'static str)>,
}

/// The attempt that follows a failure.
struct NextAttempt {
    /// Resume the held session (else identify).
    resume: bool,
    /// Fetch a fresh access token first.
    refresh_token: bool,
    /// May go without a delay when it is the first attempt after a working connection.
    immediate: bool,
}

fn closed(
    code: Option<u16>,
    reason: &str,
    origin: CloseOrigin,
    action: CloseAction,
    cause: Cause,
) -> Action {
    Action::Emit(ItemKind::Closed {
        code,
        reason: reason.to_owned(),
        origin,
        action,
        cause,
    })
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;
