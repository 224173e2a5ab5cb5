//! What the bucket holds: shard leases, identify slots and members, and the pure rules for
//! when a lease or a slot is free.
//!
//! Keys: `shard.<id>` (a [`Lease`]), `identify.<slot>` (an [`IdentifyClaim`]; slot =
//! shard id % `max_concurrency`), `member.<owner>` (a [`Member`]).
//!
//! No rule trusts another host's clock beyond [`FleetConfig::clock_skew`](super::FleetConfig):
//! a lease is expired when its holder has not rewritten it for a whole TTL as *this* process
//! observed it (the revision stayed the same on the local monotonic clock), or when its wall
//! clock expiry passed more than the allowed skew ago (so a process that just started need not
//! wait a TTL for leases that died long ago).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// A lease that is free to take: no owner (released on a clean stop).
pub const STATE_RELEASED: &str = "released";
/// A shard whose session stopped for good (fatal close); its owner keeps the lease so no other
/// process retries it, until that owner goes away.
pub const STATE_FATAL: &str = "fatal";
/// A leased shard whose connection is being started.
pub const STATE_STARTING: &str = "starting";

/// The value of `shard.<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The holding process (`host-pid-random`); `None` when released.
    pub owner: Option<String>,
    /// The shard's state in its owner (`starting`, `connecting`, `identifying`, `resuming`,
    /// `active`, `disconnected`, `fatal`, `released`).
    pub state: String,
    /// The shard count the session was started with (a session of another count is not resumed).
    pub count: u32,
    /// The session to resume.
    pub session_id: Option<String>,
    /// The last `s` of that session the owner received.
    pub last_seq: Option<u64>,
    /// When the owner last wrote the lease (Unix ms, the owner's clock).
    pub updated_at_ms: i64,
    /// When the lease runs out unless renewed (Unix ms, the owner's clock).
    pub expires_at_ms: i64,
}

impl Lease {
    /// Whether the lease has no owner.
    pub fn is_released(&self) -> bool {
        self.owner.is_none()
    }
}

/// The value of `identify.<slot>`: who last identified through this slot, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifyClaim {
    /// The process that claimed the slot.
    pub owner: String,
    /// The shard that identified.
    pub shard: u32,
    /// When (Unix ms, the claimant's clock).
    pub at_ms: i64,
}

/// The value of `member.<owner>`: a process taking part, and how many shards it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The process.
    pub owner: String,
    /// Shard ids it holds.
    pub shards: Vec<u32>,
    /// When it last wrote this (Unix ms, its clock).
    pub updated_at_ms: i64,
    /// When it counts as gone unless rewritten (Unix ms, its clock).
    pub expires_at_ms: i64,
}

/// `shard.<id>`.
pub fn shard_key(id: u32) -> String {
    format!("shard.{id}")
}

/// `identify.<slot>`.
pub fn identify_key(slot: u32) -> String {
    format!("identify.{slot}")
}

/// `member.<owner>`.
pub fn member_key(owner: &str) -> String {
    format!("member.{owner}")
}

/// The default bucket name for an app id: `qqbot_<app id>` (characters a bucket name cannot
/// hold become `_`).
pub fn default_bucket(app_id: &str) -> String {
    format!("qqbot_{}", sanitize(app_id, false))
}

/// Whether `name` is a valid bucket name (letters, digits, `-`, `_`).
pub fn valid_bucket(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A process id for leases: host, pid and 6 random hex digits, in key-safe characters.
pub fn new_owner_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".to_owned());
    let host = sanitize(host.trim(), true);
    let host = if host.is_empty() { "host".into() } else { host };
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

/// Keep `[A-Za-z0-9_-]` (and `.`-free), map the rest to `_`; `short` also caps the length.
fn sanitize(text: &str, short: bool) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if short {
        out.truncate(32);
    }
    out
}

/// Unix time in ms (this host's clock).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What this process has seen of one key: the revision, and since when it has not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// The revision last read.
    pub revision: u64,
    /// When this process first read that revision.
    pub since: Instant,
}

impl Observed {
    /// Record a read of `revision` at `now`: the clock starts over when the revision changed.
    pub fn update(previous: Option<Observed>, revision: u64, now: Instant) -> Observed {
        match previous {
            Some(seen) if seen.revision == revision => seen,
            _ => Observed {
                revision,
                since: now,
            },
        }
    }

    /// How long the revision has stayed the same, as seen here.
    pub fn unchanged_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.since)
    }
}

/// Whether another process's lease may be taken: released, unchanged for a whole `ttl` as seen
/// here, or past its wall-clock expiry by more than `skew`.
pub fn lease_is_free(
    lease: Option<&Lease>,
    seen: Observed,
    now: Instant,
    now_ms: i64,
    ttl: Duration,
    skew: Duration,
) -> bool {
    match lease {
        // Unreadable value (another program wrote it): judged by the clock alone.
        None => seen.unchanged_for(now) >= ttl,
        Some(lease) => {
            lease.is_released()
                || seen.unchanged_for(now) >= ttl
                || now_ms > lease.expires_at_ms.saturating_add(skew.as_millis() as i64)
        }
    }
}

/// How long until an identify slot may be claimed again (zero: now). A slot is free one
/// `window` after its last claim: measured on the local clock since the claim was first seen
/// here, or on the claimant's wall clock when that is more than `skew` past the window.
pub fn slot_wait(
    claim: Option<&IdentifyClaim>,
    seen: Observed,
    now: Instant,
    now_ms: i64,
    window: Duration,
    skew: Duration,
) -> Duration {
    let local = window.saturating_sub(seen.unchanged_for(now));
    let Some(claim) = claim else {
        return local;
    };
    let wall_age = Duration::from_millis(now_ms.saturating_sub(claim.at_ms).max(0) as u64);
    let wall = (window + skew).saturating_sub(wall_age);
    local.min(wall)
}

/// The fair share of `shards` for one of `members` processes (at least 1 member: this one).
pub fn fair_share(shards: u32, members: usize) -> u32 {
    let members = members.max(1) as u32;
    shards.div_ceil(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(owner: Option<&str>, expires_at_ms: i64) -> Lease {
        Lease {
            owner: owner.map(str::to_owned),
            state: "active".into(),
            count: 8,
            session_id: Some("s".into()),
            last_seq: Some(7),
            updated_at_ms: expires_at_ms - 10_000,
            expires_at_ms,
        }
    }

    #[test]
    fn a_lease_is_free_when_released_stale_here_or_long_expired() {
        let t0 = Instant::now();
        let ttl = Duration::from_secs(10);
        let skew = Duration::from_secs(2);
        let seen = Observed::update(None, 5, t0);
        let live = lease(Some("a"), 1_000_000);
        assert!(!lease_is_free(Some(&live), seen, t0, 1_000_000, ttl, skew));
        assert!(!lease_is_free(
            Some(&live),
            seen,
            t0 + Duration::from_secs(9),
            1_000_000 + 2_000,
            ttl,
            skew
        ));
        assert!(
            lease_is_free(Some(&live), seen, t0 + ttl, 1_000_000, ttl, skew),
            "unchanged for a TTL here"
        );
        assert!(
            lease_is_free(Some(&live), seen, t0, 1_000_000 + 2_001, ttl, skew),
            "expired by the wall clock beyond the skew"
        );
        assert!(lease_is_free(
            Some(&lease(None, 1_000_000)),
            seen,
            t0,
            0,
            ttl,
            skew
        ));
        // A new revision restarts the local clock.
        let renewed = Observed::update(Some(seen), 6, t0 + Duration::from_secs(9));
        assert!(!lease_is_free(
            Some(&live),
            renewed,
            t0 + Duration::from_secs(12),
            1_000_000,
            ttl,
            skew
        ));
        assert_eq!(Observed::update(Some(renewed), 6, t0 + ttl * 3), renewed);
    }

    #[test]
    fn identify_slot_waits_out_the_window() {
        let t0 = Instant::now();
        let window = Duration::from_millis(5500);
        let skew = Duration::from_secs(1);
        let seen = Observed::update(None, 1, t0);
        let claim = IdentifyClaim {
            owner: "a".into(),
            shard: 0,
            at_ms: 10_000,
        };
        // Just claimed: a whole window.
        assert_eq!(
            slot_wait(Some(&claim), seen, t0, 10_000, window, skew),
            window
        );
        // Seen 2 s ago here: 3.5 s left.
        assert_eq!(
            slot_wait(
                Some(&claim),
                seen,
                t0 + Duration::from_secs(2),
                10_000,
                window,
                skew
            ),
            Duration::from_millis(3500)
        );
        // First seen now, but claimed an hour ago by the wall clock: free.
        assert_eq!(
            slot_wait(Some(&claim), seen, t0, 3_600_000, window, skew),
            Duration::ZERO
        );
        // Claimed 6 s ago by the wall clock, first seen now: the skew keeps 0.5 s.
        assert_eq!(
            slot_wait(Some(&claim), seen, t0, 16_000, window, skew),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn names_are_key_safe() {
        assert_eq!(default_bucket("1020304050"), "qqbot_1020304050");
        assert_eq!(default_bucket("a.b c"), "qqbot_a_b_c");
        assert!(valid_bucket("qqbot_1-2"));
        assert!(!valid_bucket("a.b"));
        assert!(!valid_bucket(""));
        let owner = new_owner_id();
        assert!(
            owner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{owner}"
        );
        assert_ne!(new_owner_id(), owner, "a random part");
        assert_eq!(shard_key(3), "shard.3");
        assert_eq!(identify_key(0), "identify.0");
        assert_eq!(member_key(&owner), format!("member.{owner}"));
    }

    #[test]
    fn fair_share_rounds_up() {
        assert_eq!(fair_share(8, 3), 3);
        assert_eq!(fair_share(8, 2), 4);
        assert_eq!(fair_share(8, 0), 8);
        assert_eq!(fair_share(8, 9), 1);
    }
}
