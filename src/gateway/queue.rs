//! Identify spacing: at most `max_concurrency` sessions started per 5 s window.
//!
//! Shard `i` uses bucket `i % max_concurrency`; each bucket lets one Identify through per window.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::gateway::item::ShardId;

/// The window in which `max_concurrency` sessions may start (PROTOCOL.md §2).
pub const IDENTIFY_WINDOW: Duration = Duration::from_secs(5);

/// Added to the window by the default queue: a permit is granted before the connection is made,
/// and connect times vary, so two Identify frames granted exactly one window apart could reach
/// the gateway a few milliseconds less than a window apart (and cost a 4008).
pub const IDENTIFY_MARGIN: Duration = Duration::from_millis(500);

/// Grants permission to send Identify. Injectable (tests, or a cross-process queue).
pub trait IdentifyQueue: Debug + Send + Sync {
    /// Wait until `shard` may identify.
    fn acquire(&self, shard: ShardId) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;

    /// How long [`acquire`](Self::acquire) would wait now, if the queue can tell (shown to the
    /// user before waiting). The default knows nothing: zero.
    fn wait_hint(&self, shard: ShardId) -> Duration {
        let _ = shard;
        Duration::ZERO
    }
}

/// The default in-process queue: `max_concurrency` buckets, one Identify per bucket per window.
#[derive(Debug)]
pub struct BucketQueue {
    window: Duration,
    buckets: Vec<Mutex<Option<Instant>>>,
}

impl BucketQueue {
    /// A queue for `max_concurrency` (at least 1) with the 5 s window plus [`IDENTIFY_MARGIN`].
    pub fn new(max_concurrency: u32) -> BucketQueue {
        BucketQueue::with_window(max_concurrency, IDENTIFY_WINDOW + IDENTIFY_MARGIN)
    }

    /// A queue with a custom window.
    pub fn with_window(max_concurrency: u32, window: Duration) -> BucketQueue {
        BucketQueue {
            window,
            buckets: (0..max_concurrency.max(1))
                .map(|_| Mutex::new(None))
                .collect(),
        }
    }
}

impl IdentifyQueue for BucketQueue {
    fn acquire(&self, shard: ShardId) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let bucket = &self.buckets[shard.id as usize % self.buckets.len()];
            let mut last = bucket.lock().await;
            if let Some(at) = *last {
                tokio::time::sleep_until(at + self.window).await;
            }
            *last = Some(Instant::now());
        })
    }

    fn wait_hint(&self, shard: ShardId) -> Duration {
        let bucket = &self.buckets[shard.id as usize % self.buckets.len()];
        match bucket.try_lock() {
            Ok(last) => last.map_or(Duration::ZERO, |at| {
                (at + self.window).saturating_duration_since(Instant::now())
            }),
            // Another shard holds the bucket: at least one window.
            Err(_) => self.window,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: u32) -> ShardId {
        ShardId { id, count: 4 }
    }

    #[tokio::test(start_paused = true)]
    async fn one_identify_per_bucket_per_window() {
        let queue = BucketQueue::new(2);
        let t0 = Instant::now();
        let mut at = Vec::new();
        for id in 0..4 {
            queue.acquire(shard(id)).await;
            at.push(Instant::now() - t0);
        }
        // Shards 0 and 1 share no bucket; 2 waits for 0, 3 for 1 (a window plus the margin).
        assert_eq!(at, [0, 0, 5500, 5500].map(Duration::from_millis));
        assert_eq!(queue.wait_hint(shard(0)), Duration::from_millis(5500));
        assert_eq!(BucketQueue::new(2).wait_hint(shard(0)), Duration::ZERO);
    }
}
