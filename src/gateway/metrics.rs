//! Per-shard and cluster metrics: plain snapshot structs.
//!
//! The shard's core keeps the protocol counters; the driver publishes a copy into a mutex-guarded
//! [`ShardMetrics`] that other tasks read cheaply. Protocol logic never reads shared state.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::gateway::item::ShardId;
use crate::gateway::latency::LatencySummary;

/// A snapshot of one shard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShardMetrics {
    /// Which shard.
    pub shard: ShardId,
    /// Current state name (`disconnected`, `connecting`, `identifying`, `resuming`, `active`, `fatally_closed`).
    pub state: &'static str,
    /// Current session id.
    pub session_id: Option<String>,
    /// Last `s` seen.
    pub last_seq: Option<u64>,
    /// Dispatches received from the gateway (READY and RESUMED excluded).
    pub events_received: u64,
    /// Dispatches handed to the consumer.
    pub events_processed: u64,
    /// Dispatch rate over the last full second.
    pub events_per_sec: f64,
    /// Dispatches whose `s` was already seen (replays), dropped so nothing is delivered twice.
    pub duplicates_dropped: u64,
    /// Connections lost after being established (closes, drops, op 7, zombies; not failed attempts).
    pub reconnects: u64,
    /// Successful resumes (RESUMED).
    pub resumes: u64,
    /// Identify frames sent.
    pub identifies: u64,
    /// Close codes seen (server closes; 1006 for a drop without close frame), with counts.
    pub close_codes: BTreeMap<u16, u64>,
    /// When the last heartbeat was sent (stamped by the shard's driver: the core itself never
    /// reads the wall clock).
    #[serde(serialize_with = "rfc3339")]
    pub last_heartbeat: Option<DateTime<Utc>>,
    /// Heartbeat round-trip percentiles.
    pub latency: LatencySummary,
    /// TCP/WebSocket connection attempts.
    pub connect_attempts: u64,
    /// Connection attempts that reached the gateway.
    pub connect_successes: u64,
    /// Heartbeats that went unacknowledged.
    pub missed_acks: u64,
    /// Always 0: a shard never drops items (it pauses reading instead). Kept for consumers that
    /// read it.
    pub dropped_items: u64,
    /// op 7 reconnect requests received.
    pub reconnect_requests: u64,
    /// Connections closed by qqbot as zombies (heartbeats not acknowledged).
    pub zombies: u64,
    /// Times the shard stopped reading its socket because the consumer was behind.
    pub read_pauses: u64,
    /// Total time spent not reading because the consumer was behind (backpressure).
    pub read_paused_for: Duration,
    /// Time since the shard started (filled in when the snapshot is read).
    pub uptime: Duration,
}

fn rfc3339<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

impl ShardMetrics {
    /// Empty metrics for a shard.
    pub fn new(shard: ShardId) -> ShardMetrics {
        ShardMetrics {
            shard,
            state: "disconnected",
            session_id: None,
            last_seq: None,
            events_received: 0,
            events_processed: 0,
            events_per_sec: 0.0,
            duplicates_dropped: 0,
            reconnects: 0,
            resumes: 0,
            identifies: 0,
            close_codes: BTreeMap::new(),
            last_heartbeat: None,
            latency: LatencySummary::default(),
            connect_attempts: 0,
            connect_successes: 0,
            missed_acks: 0,
            dropped_items: 0,
            reconnect_requests: 0,
            zombies: 0,
            read_pauses: 0,
            read_paused_for: Duration::ZERO,
            uptime: Duration::ZERO,
        }
    }

    /// Connection successes over attempts, `None` before the first attempt.
    pub fn success_rate(&self) -> Option<f64> {
        (self.connect_attempts > 0)
            .then(|| self.connect_successes as f64 / self.connect_attempts as f64)
    }
}

/// Totals over every shard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TotalMetrics {
    /// Shards running.
    pub shards: usize,
    /// Shards in the `active` state.
    pub active_shards: usize,
    /// Sum of [`ShardMetrics::events_received`].
    pub events_received: u64,
    /// Sum of [`ShardMetrics::events_processed`].
    pub events_processed: u64,
    /// Sum of [`ShardMetrics::events_per_sec`].
    pub events_per_sec: f64,
    /// Sum of [`ShardMetrics::reconnects`].
    pub reconnects: u64,
    /// Sum of [`ShardMetrics::resumes`].
    pub resumes: u64,
    /// Sum of [`ShardMetrics::identifies`].
    pub identifies: u64,
    /// Close codes over all shards.
    pub close_codes: BTreeMap<u16, u64>,
    /// Heartbeat round-trip percentiles over all shards.
    pub latency: LatencySummary,
    /// Sum of [`ShardMetrics::connect_attempts`].
    pub connect_attempts: u64,
    /// Sum of [`ShardMetrics::connect_successes`].
    pub connect_successes: u64,
    /// Sum of [`ShardMetrics::missed_acks`].
    pub missed_acks: u64,
    /// Sum of [`ShardMetrics::dropped_items`].
    pub dropped_items: u64,
    /// Sum of [`ShardMetrics::duplicates_dropped`].
    pub duplicates_dropped: u64,
    /// Sum of [`ShardMetrics::reconnect_requests`].
    pub reconnect_requests: u64,
    /// Sum of [`ShardMetrics::zombies`].
    pub zombies: u64,
    /// Sum of [`ShardMetrics::read_pauses`].
    pub read_pauses: u64,
    /// Sum of [`ShardMetrics::read_paused_for`].
    pub read_paused_for: Duration,
    /// Time since the cluster started.
    pub uptime: Duration,
}

impl TotalMetrics {
    /// Connection successes over attempts, `None` before the first attempt.
    pub fn success_rate(&self) -> Option<f64> {
        (self.connect_attempts > 0)
            .then(|| self.connect_successes as f64 / self.connect_attempts as f64)
    }
}

/// Per-shard snapshots and their totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterMetrics {
    /// One entry per shard, in shard order.
    pub shards: Vec<ShardMetrics>,
    /// Totals.
    pub total: TotalMetrics,
}

impl ClusterMetrics {
    /// Sum up shard snapshots. `latency` is the merged histogram summary.
    pub fn from_shards(
        shards: Vec<ShardMetrics>,
        latency: LatencySummary,
        uptime: Duration,
    ) -> ClusterMetrics {
        let mut close_codes = BTreeMap::new();
        for s in &shards {
            for (code, n) in &s.close_codes {
                *close_codes.entry(*code).or_insert(0) += n;
            }
        }
        let sum = |f: fn(&ShardMetrics) -> u64| shards.iter().map(f).sum::<u64>();
        let total = TotalMetrics {
            shards: shards.len(),
            active_shards: shards.iter().filter(|s| s.state == "active").count(),
            events_received: sum(|s| s.events_received),
            events_processed: sum(|s| s.events_processed),
            events_per_sec: shards.iter().map(|s| s.events_per_sec).sum(),
            reconnects: sum(|s| s.reconnects),
            resumes: sum(|s| s.resumes),
            identifies: sum(|s| s.identifies),
            close_codes,
            latency,
            connect_attempts: sum(|s| s.connect_attempts),
            connect_successes: sum(|s| s.connect_successes),
            missed_acks: sum(|s| s.missed_acks),
            dropped_items: sum(|s| s.dropped_items),
            duplicates_dropped: sum(|s| s.duplicates_dropped),
            reconnect_requests: sum(|s| s.reconnect_requests),
            zombies: sum(|s| s.zombies),
            read_pauses: sum(|s| s.read_pauses),
            read_paused_for: shards.iter().map(|s| s.read_paused_for).sum(),
            uptime,
        };
        ClusterMetrics { shards, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up() {
        let mut a = ShardMetrics::new(ShardId { id: 0, count: 2 });
        let mut b = ShardMetrics::new(ShardId { id: 1, count: 2 });
        a.events_received = 3;
        b.events_received = 4;
        a.close_codes.insert(4009, 2);
        b.close_codes.insert(4009, 1);
        a.connect_attempts = 2;
        a.connect_successes = 1;
        b.state = "active";
        let m = ClusterMetrics::from_shards(vec![a, b], LatencySummary::default(), Duration::ZERO);
        assert_eq!(m.total.events_received, 7);
        assert_eq!(m.total.close_codes[&4009], 3);
        assert_eq!(m.total.active_shards, 1);
        assert_eq!(m.total.success_rate(), Some(0.5));
        assert_eq!(m.shards[1].success_rate(), None);
    }
}
