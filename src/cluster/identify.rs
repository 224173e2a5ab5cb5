//! Identify spacing for the whole fleet: an [`IdentifyQueue`] whose buckets live in the shared
//! key-value bucket, so `max_concurrency` sessions per 5 s hold across processes and hosts.
//!
//! Shard `i` identifies through slot `i % max_concurrency` (key `identify.<slot>`). A slot is
//! claimed with a compare-and-set write of an [`IdentifyClaim`]; whoever wins may identify, the
//! others wait until the window since that claim has passed (see [`slot_wait`]) and try again.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::lease::{IdentifyClaim, Observed, identify_key, now_ms, slot_wait};
use super::store::{Bucket, Cas};
use crate::gateway::ShardId;
use crate::gateway::queue::{IDENTIFY_MARGIN, IDENTIFY_WINDOW, IdentifyQueue};

/// Pause between tries while NATS does not answer.
const RETRY: Duration = Duration::from_millis(250);

/// The fleet-wide identify queue.
#[derive(Debug)]
pub struct FleetQueue {
    bucket: Bucket,
    owner: String,
    max_concurrency: u32,
    window: Duration,
    skew: Duration,
    seen: Mutex<HashMap<u32, Observed>>,
}

impl FleetQueue {
    /// A queue for `max_concurrency` slots, with the 5 s window plus the usual margin.
    pub fn new(bucket: Bucket, owner: String, max_concurrency: u32, skew: Duration) -> FleetQueue {
        FleetQueue {
            bucket,
            owner,
            max_concurrency: max_concurrency.max(1),
            window: IDENTIFY_WINDOW + IDENTIFY_MARGIN,
            skew,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn observe(&self, slot: u32, revision: u64) -> Observed {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let observed = Observed::update(seen.get(&slot).copied(), revision, Instant::now());
        seen.insert(slot, observed);
        observed
    }

    /// Wait until this process holds `slot` for `shard` (loops until it wins a claim).
    async fn claim(&self, shard: ShardId) {
        let slot = shard.id % self.max_concurrency;
        let key = identify_key(slot);
        loop {
            let current = match self.bucket.get::<IdentifyClaim>(&key).await {
                Ok(current) => current,
                Err(e) => {
                    tracing::warn!(shard = %shard, error = %e, "identify slot unreadable; retrying");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            let revision = current.as_ref().map(|r| r.revision);
            if let Some(read) = &current {
                let seen = self.observe(slot, read.revision);
                let wait = slot_wait(
                    read.value.as_ref(),
                    seen,
                    Instant::now(),
                    now_ms(),
                    self.window,
                    self.skew,
                );
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                    continue; // re-read: someone else may have claimed it meanwhile
                }
            }
            let claim = IdentifyClaim {
                owner: self.owner.clone(),
                shard: shard.id,
                at_ms: now_ms(),
            };
            match self.bucket.cas(&key, &claim, revision).await {
                Ok(Cas::Written(revision)) => {
                    self.observe(slot, revision);
                    tracing::debug!(shard = %shard, slot, "identify slot claimed");
                    return;
                }
                Ok(Cas::Conflict) => continue,
                Err(e) => {
                    tracing::warn!(shard = %shard, error = %e, "identify slot claim failed; retrying");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }
}

impl IdentifyQueue for FleetQueue {
    fn acquire(&self, shard: ShardId) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.claim(shard))
    }
}
