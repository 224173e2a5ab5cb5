//! The dashboard's state: a pure reducer over [`GatewayItem`]s and key presses.
//!
//! [`App`] is plain data. It does no I/O and never reads the clock: every time-dependent value is
//! computed from the `now` handed to [`App::apply`] and [`App::tick`]. Statistics are updated
//! incrementally per item (O(1), no unbounded growth), so drawing only reads them.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::cluster::{FleetStatus, ShardStatus};
use crate::gateway::latency::Latency;
use crate::gateway::{Cause, CloseOrigin, GatewayItem, ItemKind, ShardId, ShardState};
use crate::output::Stats;
use crate::output::human::describe;

/// How many entries the recent-events log keeps.
pub const LOG_CAPACITY: usize = 1000;
/// How many seconds of event-rate history are kept (the chart shows what fits).
pub const RATE_WINDOW_SECS: usize = 300;
/// How many heartbeat RTT samples are kept per shard for the latency chart.
pub const RTT_SAMPLES: usize = 240;
/// Most rows a fleet's shard count creates up front (a larger count only adds the rows seen).
pub const MAX_ROWS: u32 = 4096;
/// Seconds over which the per-type rate is averaged.
pub const TYPE_RATE_SECS: usize = 10;

/// What the status bar says about the run; fixed for the life of the dashboard.
#[derive(Debug, Clone)]
pub struct Header {
    /// Where items come from: `sandbox`, `production`, `emulator`, `replay FILE`.
    pub source: String,
    /// Intents as text (names or bits), as the CLI resolved them.
    pub intents: String,
    /// How many shards the cluster runs (rows are created up front for each).
    pub shards: u32,
    /// Offset used to print wall-clock times (the CLI passes the local offset; tests pass UTC).
    pub utc_offset: FixedOffset,
    /// The items come from a recording (its end reads "replay finished").
    pub replay: bool,
    /// The items are events read from a stream (`--from nats://…`): no connection lifecycle
    /// comes with them, so a shard with events shows `via stream`.
    pub stream: bool,
}

impl Header {
    /// A header with times shown in UTC.
    pub fn new(source: impl Into<String>, intents: impl Into<String>, shards: u32) -> Header {
        Header {
            source: source.into(),
            intents: intents.into(),
            shards,
            utc_offset: FixedOffset::east_opt(0).expect("zero offset is valid"),
            replay: false,
            stream: false,
        }
    }
}

/// Facts the gateway items do not carry, filled by the CLI (from `GET /gateway/bot` and the token
/// source). Every field is optional: unknown values show as `-`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// `session_start_limit.total`.
    pub identify_total: Option<u32>,
    /// `session_start_limit.remaining`.
    pub identify_remaining: Option<u32>,
    /// When the identify budget resets (`now + session_start_limit.reset_after`).
    pub identify_reset_at: Option<DateTime<Utc>>,
    /// `session_start_limit.max_concurrency`.
    pub max_concurrency: Option<u32>,
    /// When the current access token expires.
    pub token_expires_at: Option<DateTime<Utc>>,
}

impl Diagnostics {
    /// From what `GET /gateway/bot` said (e.g. [`Cluster::gateway`](crate::gateway::Cluster::gateway))
    /// and the token's time to live ([`Cluster::token_ttl`](crate::gateway::Cluster::token_ttl)),
    /// both as of `now`. Refresh it now and then (a `watch` sender): the token TTL changes when
    /// the token is refreshed.
    pub fn from_gateway(
        gateway: &crate::http::gateway_info::GatewayBot,
        token_ttl: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Diagnostics {
        let limit = &gateway.session_start_limit;
        let later = |d: Duration| chrono::Duration::from_std(d).ok().map(|d| now + d);
        Diagnostics {
            identify_total: Some(limit.total),
            identify_remaining: Some(limit.remaining),
            identify_reset_at: later(Duration::from_millis(limit.reset_after)),
            max_concurrency: Some(limit.max_concurrency),
            token_expires_at: token_ttl.and_then(later),
        }
    }
}

/// What the loop should do after a key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Nothing changed.
    None,
    /// Leave the dashboard (`q`).
    Quit,
    /// Leave the dashboard because of Ctrl-C (the binary exits 130, as `listen` does).
    Interrupt,
    /// The view changed: draw now rather than at the next tick.
    Redraw,
}

/// Which panel the arrow keys scroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The shards table.
    Shards,
    /// The recent-events log.
    Events,
    /// The per-event-type table.
    Types,
}

impl Focus {
    fn next(self) -> Focus {
        match self {
            Focus::Shards => Focus::Events,
            Focus::Events => Focus::Types,
            Focus::Types => Focus::Shards,
        }
    }

    fn prev(self) -> Focus {
        self.next().next()
    }
}

/// The dashboard's word for a shard state (the state itself is the gateway core's, published as
/// [`ItemKind::StateChange`]; the dashboard does not re-derive it).
pub const fn state_label(state: ShardState) -> &'static str {
    match state {
        ShardState::Disconnected { attempt: 0 } => "waiting",
        ShardState::Disconnected { .. } => "reconnecting",
        ShardState::FatallyClosed => "fatal",
        other => other.name(),
    }
}

/// How a shard's last connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastClose {
    /// Close code; `None` when the connection dropped without a close frame.
    pub code: Option<u16>,
    /// Who closed it.
    pub origin: CloseOrigin,
    /// The reason text that came with it.
    pub reason: String,
    /// Why it ended, typed (`None` for a fatal stop without a close).
    pub cause: Option<Cause>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Everything the shards table shows about one shard.
#[derive(Debug, Clone)]
pub struct ShardView {
    /// `[id, count]`.
    pub id: ShardId,
    /// Current state, as the gateway core last published it (`Disconnected { attempt: 0 }`
    /// until the first state change arrives).
    pub state: ShardState,
    /// Session id from the last READY (kept across resumes).
    pub session_id: Option<String>,
    /// When that session started (READY).
    pub session_started: Option<DateTime<Utc>>,
    /// Last `s` seen.
    pub last_seq: Option<u64>,
    /// Interval from the last Hello.
    pub heartbeat_interval: Option<Duration>,
    /// This shard's heartbeat round trips (the last one included).
    pub rtt: Latency,
    /// Recent `(time ms since epoch, rtt ms)` samples for the chart, oldest first.
    pub rtt_samples: VecDeque<(i64, f64)>,
    /// When the heartbeat still waiting for its ACK was sent.
    pub beat_outstanding: Option<DateTime<Utc>>,
    /// Heartbeats sent while the previous one was still unacknowledged.
    pub missed_acks: u64,
    /// Connections qqbot closed as zombies.
    pub zombies: u64,
    /// Successful connections (`Connected` items).
    pub connects: u64,
    /// Failed connection attempts: `Error` items while no connection was up.
    pub connect_failures: u64,
    /// Between a close (or the start) and the next `Connected`.
    awaiting_connect: bool,
    /// Connections that closed (any cause).
    pub reconnects: u64,
    /// Resume attempts (op 6 sent).
    pub resume_attempts: u64,
    /// Sessions resumed (RESUMED).
    pub resumes: u64,
    /// The last close.
    pub last_close: Option<LastClose>,
    /// Since when the current connection has been active (READY / RESUMED).
    pub active_since: Option<DateTime<Utc>>,
    /// Last frame received from the gateway on this shard (our own heartbeats do not count).
    pub last_frame_at: Option<DateTime<Utc>>,
    /// Last dispatch from this shard.
    pub last_dispatch_at: Option<DateTime<Utc>>,
    /// The fatal reason, once fatal.
    pub fatal_reason: Option<String>,
    /// The item source ended (a replay finished) while this shard was not fatal: no reconnect
    /// is coming, whatever its last state was.
    pub ended: bool,
    /// The source is a stream of events only ([`Header::stream`]).
    pub from_stream: bool,
}

impl ShardView {
    fn new(id: ShardId, from_stream: bool) -> ShardView {
        ShardView {
            id,
            state: ShardState::Disconnected { attempt: 0 },
            session_id: None,
            session_started: None,
            last_seq: None,
            heartbeat_interval: None,
            rtt: Latency::with_precision(2),
            rtt_samples: VecDeque::with_capacity(RTT_SAMPLES),
            beat_outstanding: None,
            missed_acks: 0,
            zombies: 0,
            connects: 0,
            connect_failures: 0,
            awaiting_connect: true,
            reconnects: 0,
            resume_attempts: 0,
            resumes: 0,
            last_close: None,
            active_since: None,
            last_frame_at: None,
            last_dispatch_at: None,
            fatal_reason: None,
            ended: false,
            from_stream,
        }
    }

    /// The word the shards table shows: `ended` once the source ended, `via stream` for a
    /// shard whose events come without its lifecycle (`--from nats://…`), else the state's.
    pub fn label(&self) -> &'static str {
        if self.ended {
            "ended"
        } else if self.streamed() {
            "via stream"
        } else {
            state_label(self.state)
        }
    }

    /// Events of this shard arrived from a stream (the shard runs in another process), not
    /// from a connection of ours.
    pub fn streamed(&self) -> bool {
        self.from_stream && self.last_dispatch_at.is_some()
    }

    /// Heartbeat round trip at a quantile, if any ACK was seen.
    pub fn rtt_quantile(&self, q: f64) -> Option<Duration> {
        self.rtt.quantile(q)
    }

    /// Connection attempts: successes plus failures.
    pub fn connect_attempts(&self) -> u64 {
        self.connects + self.connect_failures
    }

    /// Whether the connection looks half-open: a heartbeat outstanding for longer than the
    /// interval, or an active connection with no frame at all for more than two intervals.
    pub fn zombie_suspect(&self, now: DateTime<Utc>) -> bool {
        let Some(interval) = self.heartbeat_interval else {
            return false;
        };
        let Ok(interval) = chrono::Duration::from_std(interval) else {
            return false;
        };
        if !matches!(self.state, ShardState::Active) {
            return false;
        }
        let beat_late = self
            .beat_outstanding
            .is_some_and(|sent| now - sent > interval);
        let silent = self
            .last_frame_at
            .is_some_and(|last| now - last > interval * 2);
        beat_late || silent
    }

    fn apply(&mut self, kind: &ItemKind, now: DateTime<Utc>) {
        // Only what the gateway sent counts as a sign of life (not our own heartbeats).
        if matches!(
            kind,
            ItemKind::Dispatch(_)
                | ItemKind::Connected { .. }
                | ItemKind::Hello { .. }
                | ItemKind::Ready { .. }
                | ItemKind::Resumed { .. }
                | ItemKind::HeartbeatAck { .. }
                | ItemKind::ReconnectRequested
                | ItemKind::InvalidSession { .. }
        ) {
            self.last_frame_at = Some(now);
        }
        match kind {
            ItemKind::Dispatch(d) => {
                if d.seq.is_some() {
                    self.last_seq = d.seq;
                }
                self.last_dispatch_at = Some(now);
            }
            ItemKind::Connected { .. } => {
                self.connects += 1;
                self.awaiting_connect = false;
                self.beat_outstanding = None;
            }
            ItemKind::Hello { heartbeat_interval } => {
                self.heartbeat_interval = Some(*heartbeat_interval);
            }
            ItemKind::Identifying { .. } => {}
            ItemKind::Resuming { seq, .. } => {
                self.resume_attempts += 1;
                if seq.is_some() {
                    self.last_seq = *seq;
                }
            }
            ItemKind::Ready { session_id, .. } => {
                self.session_id = Some(session_id.clone());
                self.session_started = Some(now);
                self.last_seq = None;
            }
            ItemKind::Resumed { .. } => self.resumes += 1,
            ItemKind::StateChange { to, .. } => {
                if to.is_active() && !self.state.is_active() {
                    self.active_since = Some(now);
                } else if !to.is_active() {
                    self.active_since = None;
                }
                self.state = *to;
            }
            ItemKind::HeartbeatSent { .. } => {
                if self.beat_outstanding.is_some() {
                    self.missed_acks += 1;
                }
                self.beat_outstanding = Some(now);
            }
            ItemKind::HeartbeatAck { rtt } => {
                self.beat_outstanding = None;
                self.rtt.record(*rtt);
                if self.rtt_samples.len() == RTT_SAMPLES {
                    self.rtt_samples.pop_front();
                }
                self.rtt_samples
                    .push_back((now.timestamp_millis(), rtt.as_secs_f64() * 1000.0));
            }
            ItemKind::Closed {
                code,
                reason,
                origin,
                cause,
                ..
            } => {
                if !cause.is_shutdown() {
                    self.reconnects += 1;
                }
                if let Cause::Zombie { .. } = cause {
                    // The zombie close comes before the next beat would have shown the last miss.
                    if self.beat_outstanding.is_some() {
                        self.missed_acks += 1;
                    }
                    self.zombies += 1;
                }
                self.awaiting_connect = true;
                self.last_close = Some(LastClose {
                    code: *code,
                    origin: *origin,
                    reason: reason.clone(),
                    cause: Some(cause.clone()),
                    at: now,
                });
                self.beat_outstanding = None;
            }
            ItemKind::Backoff { .. } => {
                self.awaiting_connect = true;
                self.beat_outstanding = None;
            }
            ItemKind::Fatal { reason, code, .. } => {
                self.fatal_reason = Some(reason.clone());
                if code.is_some() && self.last_close.as_ref().is_none_or(|c| c.code != *code) {
                    self.last_close = Some(LastClose {
                        code: *code,
                        origin: CloseOrigin::Server,
                        reason: reason.clone(),
                        cause: None,
                        at: now,
                    });
                }
                self.beat_outstanding = None;
            }
            // While no connection is up, an error is a failed connection attempt.
            ItemKind::Error { .. } if self.awaiting_connect => self.connect_failures += 1,
            ItemKind::ReconnectRequested
            | ItemKind::InvalidSession { .. }
            | ItemKind::IdentifyWait { .. }
            | ItemKind::Lagged { .. }
            | ItemKind::Gap { .. }
            | ItemKind::Error { .. } => {}
        }
    }
}

/// One read of the fleet's key-value bucket (`qqbot tui --cluster`), handed to
/// [`App::set_fleet`]: the same rows `qqbot cluster status` prints
/// ([`StatusReader::read`](crate::cluster::StatusReader::read)).
#[derive(Debug, Clone)]
pub struct FleetRead {
    /// This process's owner id in the leases (its rows show its own live data).
    pub owner: String,
    /// When the bucket was read.
    pub at: DateTime<Utc>,
    /// The rows, or why the bucket could not be read.
    pub result: Result<FleetStatus, String>,
}

/// What the dashboard knows about the fleet: the last good read of the bucket, and the last
/// failure after it.
#[derive(Debug, Clone)]
pub struct FleetView {
    /// This process's owner id.
    pub owner: String,
    /// The last rows read.
    pub status: Option<FleetStatus>,
    /// When they were read.
    pub read_at: Option<DateTime<Utc>>,
    /// The last failed read since then (message, when).
    pub error: Option<(String, DateTime<Utc>)>,
}

impl FleetView {
    /// The lease row of shard `id`, if the bucket has one.
    pub fn lease(&self, id: u32) -> Option<&ShardStatus> {
        self.status
            .as_ref()?
            .shards
            .iter()
            .find(|s| s.shard[0] == id)
    }

    /// Whether this process holds shard `id` (by the last read).
    pub fn held_here(&self, id: u32) -> bool {
        self.lease(id)
            .and_then(|l| l.owner.as_deref())
            .is_some_and(|o| o == self.owner)
    }

    /// The lease's age at `now`: its age when read plus the time since the read.
    pub fn lease_age(&self, lease: &ShardStatus, now: DateTime<Utc>) -> Option<Duration> {
        let at_read = lease.lease_age_ms?;
        let since = self
            .read_at
            .map_or(0, |at| (now - at).num_milliseconds().max(0));
        Some(Duration::from_millis(
            u64::try_from(at_read.saturating_add(since)).unwrap_or(0),
        ))
    }

    /// How many processes are members (by the last read).
    pub fn members(&self) -> usize {
        self.status.as_ref().map_or(0, |s| s.members.len())
    }
}

/// One row of the per-event-type table.
#[derive(Debug, Clone)]
pub struct TypeRow {
    /// The event type (`t`), shared with log entries.
    pub name: Arc<str>,
    /// How many were seen.
    pub count: u64,
    /// When the last one arrived.
    pub last_seen: DateTime<Utc>,
    /// When the first one arrived.
    pub first_seen: DateTime<Utc>,
    buckets: [(i64, u32); TYPE_RATE_SECS + 1],
}

impl TypeRow {
    /// Events per second over the last [`TYPE_RATE_SECS`] full seconds before `now` (fewer when
    /// the type was first seen more recently).
    pub fn rate(&self, now: DateTime<Utc>) -> f64 {
        let cur = now.timestamp();
        let window = (cur - self.first_seen.timestamp()).clamp(1, TYPE_RATE_SECS as i64);
        let lo = cur - window;
        let n: u64 = self
            .buckets
            .iter()
            .filter(|(sec, _)| *sec >= lo && *sec < cur)
            .map(|(_, c)| u64::from(*c))
            .sum();
        n as f64 / window as f64
    }
}

/// What a log entry records.
#[derive(Debug, Clone)]
pub enum LogKind {
    /// A dispatch: type shared with the type table, raw frame shared with the item.
    Dispatch {
        /// `s`.
        seq: Option<u64>,
        /// `t`.
        t: Arc<str>,
        /// The whole frame.
        frame: Arc<str>,
        /// Where `d` sits in `frame`.
        d_range: std::ops::Range<usize>,
    },
    /// A lifecycle item, described in plain language.
    Lifecycle {
        /// [`ItemKind::key`].
        key: &'static str,
        /// [`describe`]'s text.
        text: String,
        /// Whether it is bad news (close, error, lag, fatal).
        alarm: bool,
    },
}

/// One entry of the recent-events log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// Monotonic entry number (selection survives new arrivals).
    pub no: u64,
    /// The item's own time.
    pub at: DateTime<Utc>,
    /// Which shard.
    pub shard: ShardId,
    /// What happened.
    pub kind: LogKind,
}

impl LogEntry {
    /// The raw `d` of a dispatch.
    pub fn d(&self) -> Option<&str> {
        match &self.kind {
            LogKind::Dispatch { frame, d_range, .. } => Some(if d_range.is_empty() {
                "null"
            } else {
                &frame[d_range.clone()]
            }),
            LogKind::Lifecycle { .. } => None,
        }
    }

    /// The event type or lifecycle key, which the `/` filter matches.
    pub fn label(&self) -> &str {
        match &self.kind {
            LogKind::Dispatch { t, .. } => t,
            LogKind::Lifecycle { key, .. } => key,
        }
    }
}

/// All data shown by the dashboard. Pausing freezes a copy of this while the live one keeps
/// counting.
#[derive(Debug, Clone)]
pub struct View {
    /// The time of the last `apply` / `tick`.
    pub now: DateTime<Utc>,
    /// Totals (the same aggregates `listen` prints on exit).
    pub stats: Stats,
    /// One row per shard, by id.
    pub shards: Vec<ShardView>,
    /// Per-second dispatch counts, `(unix second, count)`, indexed by `second % RATE_WINDOW_SECS`.
    rate: Vec<(i64, u32)>,
    /// Per-type rows.
    pub types: HashMap<Arc<str>, TypeRow>,
    /// Recent entries, oldest first, at most [`LOG_CAPACITY`].
    pub log: VecDeque<LogEntry>,
    next_no: u64,
    /// Time of the first item.
    pub started: Option<DateTime<Utc>>,
    /// Time of the last dispatch from any shard.
    pub last_dispatch_at: Option<DateTime<Utc>>,
    /// The fleet's leases (`--cluster`), refreshed by [`App::set_fleet`].
    pub fleet: Option<FleetView>,
    /// The largest shard count seen.
    max_count: u32,
    /// Events only, from a stream ([`Header::stream`]).
    pub stream: bool,
}

impl View {
    fn new(shards: u32, stream: bool, now: DateTime<Utc>) -> View {
        let count = shards.max(1);
        View {
            now,
            stats: Stats::default(),
            shards: (0..count)
                .map(|id| ShardView::new(ShardId { id, count }, stream))
                .collect(),
            rate: vec![(i64::MIN, 0); RATE_WINDOW_SECS],
            types: HashMap::new(),
            log: VecDeque::with_capacity(LOG_CAPACITY),
            next_no: 0,
            started: None,
            last_dispatch_at: None,
            fleet: None,
            max_count: count,
            stream,
        }
    }

    /// Dispatches per second for each of the last `secs` whole seconds up to and including `now`'s
    /// second, oldest first.
    pub fn rate_series(&self, secs: usize) -> impl Iterator<Item = u64> + '_ {
        let secs = secs.min(RATE_WINDOW_SECS) as i64;
        let cur = self.now.timestamp();
        (cur - secs + 1..=cur).map(move |sec| {
            let (tag, n) = self.rate[sec.rem_euclid(RATE_WINDOW_SECS as i64) as usize];
            if tag == sec { u64::from(n) } else { 0 }
        })
    }

    /// Dispatches per second over the last `secs` full seconds before `now` (fewer when the
    /// first item came more recently).
    pub fn rate_recent(&self, secs: usize) -> f64 {
        let cur = self.now.timestamp();
        let since_start = self.started.map_or(1, |s| cur - s.timestamp()).max(1) as usize;
        let secs = secs.min(since_start).clamp(1, RATE_WINDOW_SECS - 1);
        let total: u64 = (cur - secs as i64..cur)
            .map(|sec| {
                let (tag, n) = self.rate[sec.rem_euclid(RATE_WINDOW_SECS as i64) as usize];
                if tag == sec { u64::from(n) } else { 0 }
            })
            .sum();
        total as f64 / secs as f64
    }

    fn shard_mut(&mut self, id: ShardId) -> &mut ShardView {
        let idx = id.id as usize;
        // A shard of a larger fleet (items read from a stream name their own `[id, count]`):
        // every shard of that count gets a row, not only those seen so far. Counts beyond what
        // a fleet can have only add the row itself.
        let fleet = if id.count <= MAX_ROWS {
            id.count as usize
        } else {
            0
        };
        let want = (idx + 1).max(fleet);
        if want > self.shards.len() || id.count > self.max_count {
            self.max_count = self.max_count.max(id.count);
            let count = id.count.max(self.shards.len() as u32);
            for shard in &mut self.shards {
                shard.id.count = shard.id.count.max(count);
            }
            for n in self.shards.len()..want {
                self.shards.push(ShardView::new(
                    ShardId {
                        id: n as u32,
                        count,
                    },
                    self.stream,
                ));
            }
        }
        let shard = &mut self.shards[idx];
        // Never lower a row's count (a source's own notices come as shard 0/1).
        shard.id.count = shard.id.count.max(id.count);
        shard
    }

    fn push_log(&mut self, shard: ShardId, at: DateTime<Utc>, kind: LogKind) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            no: self.next_no,
            at,
            shard,
            kind,
        });
        self.next_no += 1;
    }

    fn apply(&mut self, item: &GatewayItem, now: DateTime<Utc>) {
        self.now = now;
        self.started.get_or_insert(now);
        self.stats.record(item);
        self.shard_mut(item.shard).apply(&item.kind, now);
        match &item.kind {
            ItemKind::Dispatch(d) => {
                self.last_dispatch_at = Some(now);
                let sec = now.timestamp();
                let slot = &mut self.rate[sec.rem_euclid(RATE_WINDOW_SECS as i64) as usize];
                if slot.0 == sec {
                    slot.1 += 1;
                } else if slot.0 < sec {
                    *slot = (sec, 1);
                }
                let row = match self.types.get_mut(&*d.t) {
                    Some(row) => row,
                    None => {
                        let name = Arc::clone(&d.t);
                        self.types.entry(name.clone()).or_insert(TypeRow {
                            name,
                            count: 0,
                            last_seen: now,
                            first_seen: now,
                            buckets: [(i64::MIN, 0); TYPE_RATE_SECS + 1],
                        })
                    }
                };
                row.count += 1;
                row.last_seen = now;
                let slot = &mut row.buckets[sec.rem_euclid(TYPE_RATE_SECS as i64 + 1) as usize];
                if slot.0 == sec {
                    slot.1 += 1;
                } else if slot.0 < sec {
                    *slot = (sec, 1);
                }
                let t = row.name.clone();
                self.push_log(
                    item.shard,
                    item.received_at,
                    LogKind::Dispatch {
                        seq: d.seq,
                        t,
                        frame: d.frame.clone(),
                        d_range: d.d_range.clone(),
                    },
                );
            }
            ItemKind::HeartbeatSent { .. } | ItemKind::HeartbeatAck { .. } => {}
            other => {
                let (_, text) = describe(other);
                let alarm = matches!(
                    other,
                    ItemKind::Closed { .. }
                        | ItemKind::InvalidSession { .. }
                        | ItemKind::Lagged { .. }
                        | ItemKind::Gap { .. }
                        | ItemKind::Error { .. }
                        | ItemKind::Fatal { .. }
                );
                self.push_log(
                    item.shard,
                    item.received_at,
                    LogKind::Lifecycle {
                        key: other.key(),
                        text,
                        alarm,
                    },
                );
            }
        }
    }

    /// Log entries passing `filter`, newest first.
    pub fn log_newest_first<'a>(
        &'a self,
        filter: Option<&'a str>,
    ) -> impl Iterator<Item = &'a LogEntry> + 'a {
        self.log
            .iter()
            .rev()
            .filter(move |e| filter.is_none_or(|f| matches_filter(e.label(), f)))
    }

    /// Type rows passing `filter`, most frequent first (ties by name).
    pub fn types_sorted(&self, filter: Option<&str>) -> Vec<&TypeRow> {
        let mut rows: Vec<&TypeRow> = self
            .types
            .values()
            .filter(|r| filter.is_none_or(|f| matches_filter(&r.name, f)))
            .collect();
        rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        rows
    }

    fn entry(&self, no: u64) -> Option<&LogEntry> {
        let first = self.log.front()?.no;
        let idx = no.checked_sub(first)?;
        self.log.get(usize::try_from(idx).ok()?)
    }
}

/// Case-insensitive substring match of an event type against the `/` filter.
pub fn matches_filter(label: &str, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    if filter.len() > label.len() {
        return false;
    }
    label
        .as_bytes()
        .windows(filter.len())
        .any(|w| w.eq_ignore_ascii_case(filter.as_bytes()))
}

/// The pretty-printed body of one log entry, opened with Enter.
#[derive(Debug, Clone)]
pub struct Detail {
    /// Title line (time, shard, type, seq).
    pub title: String,
    /// Pretty JSON of `d`, or the lifecycle text.
    pub body: String,
    /// Lines scrolled.
    pub scroll: u16,
}

/// The dashboard: live data, an optional frozen copy (pause), and UI state.
#[derive(Debug, Clone)]
pub struct App {
    /// Fixed facts for the status bar.
    pub header: Header,
    /// Facts from `/gateway/bot` and the token source.
    pub diagnostics: Diagnostics,
    live: View,
    frozen: Option<Box<View>>,
    /// Which panel scrolls.
    pub focus: Focus,
    /// Selected log entry (by [`LogEntry::no`]); `None` follows the newest.
    pub selected_event: Option<u64>,
    /// Selected shard row.
    pub selected_shard: usize,
    /// First visible type row.
    pub types_offset: usize,
    /// Applied event-type filter.
    pub filter: Option<String>,
    /// Filter being typed after `/`.
    pub filter_input: Option<String>,
    /// Help overlay shown.
    pub help: bool,
    /// Detail overlay.
    pub detail: Option<Detail>,
    /// The item source has ended (replay finished, cluster stopped).
    pub source_ended: bool,
}

/// Lines moved by PgUp / PgDn.
const PAGE: usize = 10;

impl App {
    /// An empty dashboard. Times start at the Unix epoch until the first `apply` / `tick`.
    pub fn new(header: Header) -> App {
        let live = View::new(header.shards, header.stream, DateTime::<Utc>::UNIX_EPOCH);
        App {
            header,
            diagnostics: Diagnostics::default(),
            live,
            frozen: None,
            focus: Focus::Events,
            selected_event: None,
            selected_shard: 0,
            types_offset: 0,
            filter: None,
            filter_input: None,
            help: false,
            detail: None,
            source_ended: false,
        }
    }

    /// Account for one item received at `now`. O(1): no per-item allocation except a log entry
    /// for lifecycle items (rare) and a new row the first time an event type is seen.
    ///
    /// `now` is the dashboard's clock: rate buckets, ages and the zombie check use it, while the
    /// log shows the item's own `received_at`. Live, pass the wall clock (once per batch is
    /// fine); for a replay paced faster than real time, pass the item's recorded time so rates
    /// come out as they were recorded.
    pub fn apply(&mut self, item: &GatewayItem, now: DateTime<Utc>) {
        self.live.apply(item, now);
    }

    /// The item source has ended: shards that did not stop fatally show `ended` (a replay's
    /// last close is not followed by a reconnect), and the status bar says so.
    pub fn end_source(&mut self) {
        self.source_ended = true;
        for view in std::iter::once(&mut self.live).chain(self.frozen.as_deref_mut()) {
            for shard in &mut view.shards {
                if shard.state != ShardState::FatallyClosed {
                    shard.ended = true;
                }
            }
        }
    }

    /// A new read of the fleet's bucket: the shards table shows every shard's owner, state, seq
    /// and lease age from it (shards held here keep their live data). A failed read keeps the
    /// last good rows and says so. Like items, it lands in the live data (a paused view keeps
    /// what it froze).
    pub fn set_fleet(&mut self, read: FleetRead) {
        let fleet = self.live.fleet.get_or_insert_with(|| FleetView {
            owner: read.owner.clone(),
            status: None,
            read_at: None,
            error: None,
        });
        fleet.owner = read.owner;
        match read.result {
            Ok(status) => {
                fleet.status = Some(status);
                fleet.read_at = Some(read.at);
                fleet.error = None;
            }
            Err(error) => fleet.error = Some((error, read.at)),
        }
    }

    /// Replace the diagnostics input.
    pub fn set_diagnostics(&mut self, d: Diagnostics) {
        self.diagnostics = d;
    }

    /// Advance the clock (rate buckets roll over by time, ages grow).
    pub fn tick(&mut self, now: DateTime<Utc>) {
        if now > self.live.now {
            self.live.now = now;
        }
    }

    /// Totals over every item applied, paused or not.
    pub fn stats(&self) -> &Stats {
        &self.live.stats
    }

    /// The live data (what is counted).
    pub fn live(&self) -> &View {
        &self.live
    }

    /// What the screen shows: the frozen copy while paused, else the live data.
    pub fn view(&self) -> &View {
        self.frozen.as_deref().unwrap_or(&self.live)
    }

    /// Whether the view is frozen.
    pub fn paused(&self) -> bool {
        self.frozen.is_some()
    }

    /// Position (newest first, filtered) of the selected log entry, clamped to what exists.
    pub fn selected_event_index(&self) -> usize {
        let Some(no) = self.selected_event else {
            return 0;
        };
        let filter = self.filter.as_deref();
        let mut last = 0;
        for (i, e) in self.view().log_newest_first(filter).enumerate() {
            if e.no <= no {
                return i;
            }
            last = i;
        }
        last
    }

    /// Handle one key press.
    pub fn on_key(&mut self, key: KeyEvent) -> KeyAction {
        if key.kind == KeyEventKind::Release {
            return KeyAction::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c')) {
            return KeyAction::Interrupt;
        }
        if let Some(input) = &mut self.filter_input {
            match key.code {
                KeyCode::Enter => {
                    let text = input.trim().to_string();
                    self.filter = (!text.is_empty()).then_some(text);
                    self.filter_input = None;
                    self.selected_event = None;
                    self.types_offset = 0;
                }
                KeyCode::Esc => self.filter_input = None,
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Char(c) if !ctrl && input.len() < 64 => input.push(c),
                _ => return KeyAction::None,
            }
            return KeyAction::Redraw;
        }
        if self.help {
            return match key.code {
                KeyCode::Char('q') => KeyAction::Quit,
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Enter => {
                    self.help = false;
                    KeyAction::Redraw
                }
                _ => KeyAction::None,
            };
        }
        if let Some(detail) = &mut self.detail {
            match key.code {
                KeyCode::Char('q') => return KeyAction::Quit,
                KeyCode::Esc | KeyCode::Enter => self.detail = None,
                KeyCode::Down | KeyCode::Char('j') => {
                    detail.scroll = detail.scroll.saturating_add(1)
                }
                KeyCode::Up | KeyCode::Char('k') => detail.scroll = detail.scroll.saturating_sub(1),
                KeyCode::PageDown => detail.scroll = detail.scroll.saturating_add(PAGE as u16),
                KeyCode::PageUp => detail.scroll = detail.scroll.saturating_sub(PAGE as u16),
                KeyCode::Home => detail.scroll = 0,
                _ => return KeyAction::None,
            }
            return KeyAction::Redraw;
        }
        match key.code {
            KeyCode::Char('q') => return KeyAction::Quit,
            KeyCode::Char('p') | KeyCode::Char(' ') => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(Box::new(self.live.clone())),
                };
            }
            KeyCode::Tab => self.focus = self.focus.next(),
            KeyCode::BackTab => self.focus = self.focus.prev(),
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char('/') => self.filter_input = Some(self.filter.clone().unwrap_or_default()),
            KeyCode::Esc if self.filter.is_some() => {
                self.filter = None;
                self.selected_event = None;
            }
            KeyCode::Enter => {
                self.focus = Focus::Events;
                self.open_detail();
            }
            KeyCode::Down | KeyCode::Char('j') => self.scroll(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll(-1),
            KeyCode::PageDown => self.scroll(PAGE as isize),
            KeyCode::PageUp => self.scroll(-(PAGE as isize)),
            KeyCode::Home => self.scroll(isize::MIN / 2),
            KeyCode::End => self.scroll(isize::MAX / 2),
            _ => return KeyAction::None,
        }
        KeyAction::Redraw
    }

    /// Move the focused panel's selection by `delta` rows (positive = down / older).
    fn scroll(&mut self, delta: isize) {
        match self.focus {
            Focus::Shards => {
                let max = self.view().shards.len().saturating_sub(1);
                self.selected_shard = self.selected_shard.saturating_add_signed(delta).min(max);
            }
            Focus::Types => {
                let max = self.view().types.len().saturating_sub(1);
                self.types_offset = self.types_offset.saturating_add_signed(delta).min(max);
            }
            Focus::Events => {
                let filter = self.filter.as_deref();
                let view = self.frozen.as_deref().unwrap_or(&self.live);
                let current = self.selected_event_index();
                let target = current.saturating_add_signed(delta);
                if target == 0 {
                    self.selected_event = None;
                    return;
                }
                let mut chosen = None;
                for e in view.log_newest_first(filter).take(target + 1) {
                    chosen = Some(e.no);
                }
                // Selecting the newest entry means following new arrivals.
                let newest = view.log_newest_first(filter).next().map(|e| e.no);
                self.selected_event = if chosen == newest { None } else { chosen };
            }
        }
    }

    fn open_detail(&mut self) {
        let view = self.view();
        let filter = self.filter.as_deref();
        let idx = self.selected_event_index();
        let Some(entry) = view.log_newest_first(filter).nth(idx) else {
            return;
        };
        let entry = view.entry(entry.no).unwrap_or(entry);
        let time = entry
            .at
            .with_timezone(&self.header.utc_offset)
            .format("%H:%M:%S%.3f");
        let detail = match &entry.kind {
            LogKind::Dispatch { seq, t, .. } => {
                let d = entry.d().unwrap_or("null");
                let body = match serde_json::from_str::<serde_json::Value>(d) {
                    Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| d.to_string()),
                    Err(e) => format!("(d is not valid JSON: {e})\n{d}"),
                };
                let seq = seq.map(|s| format!("#{s}")).unwrap_or_else(|| "#-".into());
                Detail {
                    title: format!("{t} {seq} · shard {} · {time}", entry.shard),
                    body,
                    scroll: 0,
                }
            }
            LogKind::Lifecycle { key, text, .. } => Detail {
                title: format!("{key} · shard {} · {time}", entry.shard),
                body: text.clone(),
                scroll: 0,
            },
        };
        self.detail = Some(detail);
    }
}
