//! Shards across processes: several qqbot processes share the shards of one bot through a NATS
//! JetStream key-value bucket.
//!
//! - [`Fleet::join`] leases shards (one key per shard, compare-and-set on its revision, renewed
//!   while connected) and runs them; a dead process's shards are taken over after the lease TTL
//!   and *resumed*, because each lease carries its shard's session id and last `s`.
//! - [`FleetQueue`] spaces Identify calls fleet-wide (`max_concurrency` per 5 s) through the same
//!   bucket; it is an ordinary [`IdentifyQueue`](crate::gateway::IdentifyQueue).
//! - [`status`] reads the bucket for `qqbot cluster status`.
//!
//! See [`lease`] for what the bucket holds and the exact expiry rules.

#[cfg(feature = "nats")]
pub mod fleet;
#[cfg(feature = "nats")]
pub mod identify;
pub mod lease;
#[cfg(feature = "nats")]
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

#[cfg(feature = "nats")]
pub use fleet::Fleet;
#[cfg(feature = "nats")]
pub use identify::FleetQueue;
pub use lease::{IdentifyClaim, Lease, Member};
#[cfg(feature = "nats")]
pub use store::{Bucket, StoreError};

use crate::gateway::ShardId;
#[cfg(feature = "nats")]
use crate::gateway::StartError;

/// The default lease TTL.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(10);
/// The default allowance for clock differences between hosts.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(2);
/// The default bucket `max_age`: a key nobody rewrites for this long disappears (so does the
/// session kept in a lease nobody holds).
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(3600);

/// Called with every [`Notice`] (the CLI prints them on stderr). Must be quick.
pub type NoticeSink = Arc<dyn Fn(&Notice) + Send + Sync>;

/// How a process takes part in a fleet.
#[derive(Clone)]
pub struct FleetConfig {
    /// The NATS server, `nats://host:port`.
    pub nats_url: String,
    /// The key-value bucket; default `qqbot_<app id>`.
    pub bucket: Option<String>,
    /// The fleet's shard count; default the gateway config's `ShardSelection::Count`, else what
    /// `/gateway/bot` recommends. Every process of a fleet must use the same count.
    pub shards: Option<u32>,
    /// How long a lease lasts without renewal (default 10 s). A dead process's shards are taken
    /// over this long after its last renewal.
    pub lease_ttl: Duration,
    /// How often leases are renewed, with the session and seq (default TTL / 4).
    pub renew_interval: Option<Duration>,
    /// How far apart the hosts' clocks may be (default 2 s): wall-clock expiry times are only
    /// trusted beyond this.
    pub clock_skew: Duration,
    /// The bucket's `max_age` when this process creates it (default 1 h).
    pub retention: Duration,
    /// This process's id in the leases; default `host-pid-random`.
    pub owner: Option<String>,
    /// Told about claims, hand-overs and lost leases.
    pub on_notice: Option<NoticeSink>,
}

impl std::fmt::Debug for FleetConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetConfig")
            .field("nats_url", &self.nats_url)
            .field("bucket", &self.bucket)
            .field("shards", &self.shards)
            .field("lease_ttl", &self.lease_ttl)
            .field("renew_interval", &self.renew_interval)
            .field("clock_skew", &self.clock_skew)
            .field("retention", &self.retention)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl FleetConfig {
    /// Defaults for everything but the server.
    pub fn new(nats_url: impl Into<String>) -> FleetConfig {
        FleetConfig {
            nats_url: nats_url.into(),
            bucket: None,
            shards: None,
            lease_ttl: DEFAULT_LEASE_TTL,
            renew_interval: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
            retention: DEFAULT_RETENTION,
            owner: None,
            on_notice: None,
        }
    }

    /// The renewal period: as configured, else TTL / 4, never above TTL / 2.
    pub fn renew_interval(&self) -> Duration {
        self.renew_interval
            .unwrap_or(self.lease_ttl / 4)
            .min(self.lease_ttl / 2)
            .max(Duration::from_millis(50))
    }

    /// The bound on one NATS operation: a renewal round must fit in a renewal period.
    pub fn op_timeout(&self) -> Duration {
        (self.lease_ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))
    }
}

/// Why a process could not join.
#[cfg(feature = "nats")]
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// Credentials or `/gateway/bot` (as for a single cluster).
    #[error(transparent)]
    Start(StartError),
    /// NATS or the bucket.
    #[error(transparent)]
    Store(StoreError),
    /// The configuration cannot work.
    #[error("invalid cluster configuration: {0}")]
    Config(String),
}

/// Something the fleet did that its operator should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Joined the bucket.
    Joined {
        /// Bucket name.
        bucket: String,
        /// This process's id.
        owner: String,
        /// The fleet's shard count.
        shards: u32,
    },
    /// A shard's lease was taken.
    Claimed {
        /// The shard.
        shard: ShardId,
        /// Its previous owner, when it had one (a take-over).
        from: Option<String>,
        /// The session it resumes (id, seq); `None`: it identifies.
        resume: Option<(String, Option<u64>)>,
    },
    /// A shard was handed back (rebalancing).
    Released {
        /// The shard.
        shard: ShardId,
    },
    /// A shard's lease was lost: the shard was stopped here.
    Lost {
        /// The shard.
        shard: ShardId,
        /// Why.
        reason: String,
    },
    /// A leased shard could not start (it was handed back and is retried).
    StartFailed {
        /// The shard.
        shard: ShardId,
        /// Why.
        error: String,
    },
    /// A shard stopped for good (fatal close); its lease is kept so no other process retries it.
    Fatal {
        /// The shard.
        shard: ShardId,
    },
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Joined {
                bucket,
                owner,
                shards,
            } => write!(
                f,
                "joined the fleet in bucket {bucket} as {owner} ({shards} shard(s) in all)"
            ),
            Notice::Claimed {
                shard,
                from,
                resume,
            } => {
                write!(f, "leased shard {shard}")?;
                if let Some(from) = from {
                    write!(f, " (taken over from {from})")?;
                }
                match resume {
                    Some((session, seq)) => write!(
                        f,
                        ": resuming session {session} at s={}",
                        seq.map_or("none".to_owned(), |s| s.to_string())
                    ),
                    None => write!(f, ": identifying"),
                }
            }
            Notice::Released { shard } => {
                write!(
                    f,
                    "handed shard {shard} back (rebalancing); its session stays resumable"
                )
            }
            Notice::Lost { shard, reason } => {
                write!(
                    f,
                    "lost the lease on shard {shard}: {reason}; stopped it here"
                )
            }
            Notice::StartFailed { shard, error } => {
                write!(f, "shard {shard} could not start: {error}; handed it back")
            }
            Notice::Fatal { shard } => write!(
                f,
                "shard {shard} stopped for good; keeping its lease so no other process retries it"
            ),
        }
    }
}

/// One shard as `cluster status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShardStatus {
    /// `[id, count]`.
    pub shard: [u32; 2],
    /// The owner; `None` when released or never leased.
    pub owner: Option<String>,
    /// The lease state (`unleased` when there is no lease).
    pub state: String,
    /// The session id in the lease.
    pub session_id: Option<String>,
    /// The last `s` in the lease.
    pub seq: Option<u64>,
    /// Time since the owner last wrote the lease (by this host's clock).
    pub lease_age_ms: Option<i64>,
    /// Whether the lease is past its expiry by this host's clock.
    pub expired: bool,
    /// The key's revision.
    pub revision: Option<u64>,
}

/// The fleet as the bucket shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FleetStatus {
    /// The bucket.
    pub bucket: String,
    /// One row per shard.
    pub shards: Vec<ShardStatus>,
    /// The members that registered (live or not yet tidied up).
    pub members: Vec<Member>,
}

/// Read the bucket: every `shard.<id>` lease (and, with `count`, a row for every shard of that
/// count even without a lease), and the members. `Ok(None)` when the bucket does not exist.
#[cfg(feature = "nats")]
pub async fn status(
    nats_url: &str,
    bucket: &str,
    count: Option<u32>,
    timeout: Duration,
) -> Result<Option<FleetStatus>, StoreError> {
    let client = store::connect(nats_url, timeout).await?;
    let Some(store) = Bucket::existing(client, bucket, timeout).await? else {
        return Ok(None);
    };
    StatusReader::new(store).read(count).await.map(Some)
}

/// Reads the fleet's state from its bucket, as often as asked, over one connection: what `qqbot
/// cluster status` prints and what the dashboard of `qqbot tui --cluster` refreshes (the one
/// place that turns the bucket's keys into [`FleetStatus`] rows).
#[cfg(feature = "nats")]
#[derive(Debug, Clone)]
pub struct StatusReader {
    bucket: Bucket,
}

#[cfg(feature = "nats")]
impl StatusReader {
    /// A reader on an open bucket (see also [`Fleet::status_reader`]).
    pub fn new(bucket: Bucket) -> StatusReader {
        StatusReader { bucket }
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        self.bucket.name()
    }

    /// Every `shard.<id>` lease (and, with `count`, a row for every shard of that count even
    /// without a lease), and the members. Each NATS call is bounded by the bucket's timeout.
    pub async fn read(&self, count: Option<u32>) -> Result<FleetStatus, StoreError> {
        let store = &self.bucket;
        let now = lease::now_ms();
        let mut ids = std::collections::BTreeSet::new();
        let mut members = Vec::new();
        for key in store.keys().await? {
            if let Some(id) = key
                .strip_prefix("shard.")
                .and_then(|i| i.parse::<u32>().ok())
            {
                ids.insert(id);
            } else if key.starts_with("member.")
                && let Some(read) = store.get::<Member>(&key).await?
                && let Some(member) = read.value
            {
                members.push(member);
            }
        }
        if let Some(count) = count {
            ids.extend(0..count);
        }
        let mut shards = Vec::new();
        for id in ids {
            let read = store.get::<Lease>(&lease::shard_key(id)).await?;
            shards.push(shard_row(id, count, read, now));
        }
        members.sort_by(|a, b| a.owner.cmp(&b.owner));
        Ok(FleetStatus {
            bucket: store.name().to_owned(),
            shards,
            members,
        })
    }
}

/// One `cluster status` row from what `shard.<id>` holds, as of `now` (Unix ms).
#[cfg(feature = "nats")]
fn shard_row(
    id: u32,
    count: Option<u32>,
    read: Option<store::Read<Lease>>,
    now: i64,
) -> ShardStatus {
    match read {
        Some(read) => match read.value {
            Some(l) => ShardStatus {
                shard: [id, l.count],
                owner: l.owner.clone(),
                state: l.state.clone(),
                session_id: l.session_id.clone(),
                seq: l.last_seq,
                lease_age_ms: Some(now.saturating_sub(l.updated_at_ms).max(0)),
                expired: !l.is_released() && now > l.expires_at_ms,
                revision: Some(read.revision),
            },
            None => ShardStatus {
                shard: [id, count.unwrap_or(0)],
                owner: None,
                state: "unreadable".into(),
                session_id: None,
                seq: None,
                lease_age_ms: None,
                expired: false,
                revision: Some(read.revision),
            },
        },
        None => ShardStatus {
            shard: [id, count.unwrap_or(0)],
            owner: None,
            state: "unleased".into(),
            session_id: None,
            seq: None,
            lease_age_ms: None,
            expired: false,
            revision: None,
        },
    }
}
