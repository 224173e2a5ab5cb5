//! What the dashboard shows about each shard ([`ShardView`]: state, sequence, heartbeat
//! latency, event rate, last close) and about the fleet when shards are leased across processes
//! ([`FleetView`]). Plain data updated by [`App`](super::App), read by the drawing.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::app::RTT_SAMPLES;
use crate::cluster::{FleetStatus, ShardStatus};
use crate::gateway::latency::Latency;
use crate::gateway::{Cause, CloseOrigin, ItemKind, ShardId, ShardState};

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
    /// The source is a stream of events only ([`Header::stream`](super::Header::stream)).
    pub from_stream: bool,
}

impl ShardView {
    pub(super) fn new(id: ShardId, from_stream: bool) -> ShardView {
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

    pub(super) fn apply(&mut self, kind: &ItemKind, now: DateTime<Utc>) {
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
/// [`App::set_fleet`](super::App::set_fleet): the same rows `qqbot cluster status` prints
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
