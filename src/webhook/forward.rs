//! The forwarder: re-deliver each dispatch to local handlers exactly as QQ would deliver it as a
//! webhook (same body without `s`, same headers, signed with the key derived from the configured
//! secret), so a handler's own verification runs unchanged.
//!
//! It runs in its own task behind a bounded queue: [`Forwarder::try_forward`] never waits.
//! Events go out one at a time, in order; each is sent to every target concurrently and retried
//! per target with bounded backoff.
//!
//! **Cursor rule.** Per shard, an event counts as handled only once every target answered 2xx.
//! [`Forwarder::resume_seq`] gives the highest `s` below which everything was handled, so a
//! state file written with it loses nothing across a restart (at-least-once: handlers should
//! dedup by event id). An event that exhausts its retries, or is dropped because the queue was
//! full, pins the cursor below it for the rest of the session.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::deliver::{Attempt, RetryPolicy, Signer};
use super::payload::dispatch_body;
use super::sign::{KeyError, WebhookKey};
use crate::gateway::item::{Dispatch, GatewayItem, ItemKind, ShardId};
use crate::secret::Secret;

/// How to forward. Build with [`ForwardConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    /// Handler URLs; every event goes to each.
    pub targets: Vec<String>,
    /// Sent as `X-Bot-Appid`.
    pub app_id: String,
    /// The signing key is derived from it (the handler verifies with the same secret).
    pub secret: Secret,
    /// Extra headers on every request (see [`super::parse_header`] for `K:V` arguments).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Retries for non-2xx answers and transport errors, per target.
    pub retry: RetryPolicy,
    /// Capacity of the event queue.
    pub queue: usize,
    /// Timeout of one HTTP attempt.
    pub timeout: Duration,
    /// Accept any certificate from HTTPS targets (local handlers with self-signed certificates).
    pub accept_invalid_certs: bool,
}

impl ForwardConfig {
    /// Defaults: no extra headers, 5 attempts from 250 ms, a 1024-event queue, 10 s per attempt,
    /// certificates checked.
    pub fn new(targets: Vec<String>, app_id: impl Into<String>, secret: Secret) -> ForwardConfig {
        ForwardConfig {
            targets,
            app_id: app_id.into(),
            secret,
            headers: Vec::new(),
            retry: RetryPolicy::default(),
            queue: 1024,
            timeout: Duration::from_secs(10),
            accept_invalid_certs: false,
        }
    }
}

/// The forwarder could not start.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// No target URL was given.
    #[error("no forward target given")]
    NoTargets,
    /// A target is not an http(s) URL.
    #[error("forward target `{0}` is not an http:// or https:// URL")]
    BadTarget(String),
    /// No key could be derived from the secret.
    #[error("cannot derive the webhook signing key")]
    Key(#[source] KeyError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

/// The outcome of one event at one target, for the CLI to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardResult {
    /// The target URL.
    pub target: String,
    /// Which shard the event came from.
    pub shard: ShardId,
    /// `s` (gateway events) or `None` (webhook events).
    pub seq: Option<u64>,
    /// The event name.
    pub t: String,
    /// The event id.
    pub id: Option<String>,
    /// Every attempt, in order; the last one decides.
    pub attempts: Vec<Attempt>,
}

impl ForwardResult {
    /// Whether the target finally answered 2xx.
    pub fn delivered(&self) -> bool {
        self.attempts.last().is_some_and(Attempt::ok)
    }

    /// The last status, if any answer arrived.
    pub fn status(&self) -> Option<u16> {
        self.attempts.last().and_then(|a| a.status)
    }

    /// Latency of the last attempt.
    pub fn latency(&self) -> Duration {
        self.attempts.last().map(|a| a.latency).unwrap_or_default()
    }
}

/// Counters since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ForwardStats {
    /// Events accepted into the queue.
    pub queued: u64,
    /// Events every target answered 2xx.
    pub delivered: u64,
    /// Events at least one target never answered 2xx.
    pub failed: u64,
    /// Events refused because the queue was full.
    pub dropped: u64,
    /// HTTP attempts made in all.
    pub attempts: u64,
}

/// The queue is full; the event was not forwarded (and pins the cursor below it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("forward queue full; event dropped")]
pub struct QueueFull;

enum Job {
    Event {
        shard: ShardId,
        epoch: u64,
        dispatch: Dispatch,
    },
}

#[derive(Debug, Default)]
struct ShardCursor {
    /// Bumped on each READY: seqs of an older session are ignored.
    epoch: u64,
    /// Submitted (or dropped, or failed) and not yet acknowledged by every target.
    unacked: BTreeSet<u64>,
    /// The highest seq submitted in this session.
    highest: Option<u64>,
}

#[derive(Debug, Default)]
struct Shared {
    cursors: Mutex<HashMap<ShardId, ShardCursor>>,
    queued: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    attempts: AtomicU64,
}

impl Shared {
    fn cursors(&self) -> MutexGuard<'_, HashMap<ShardId, ShardCursor>> {
        self.cursors.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running forwarder. Drop it (or call [`Forwarder::close`]) to stop.
#[derive(Debug)]
pub struct Forwarder {
    tx: Option<mpsc::Sender<Job>>,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl Forwarder {
    /// Start the forwarding task. Returns the handle and the per-event, per-target results. Read
    /// the results (or drop the receiver): a full result channel makes the forwarder wait.
    pub fn start(
        config: ForwardConfig,
    ) -> Result<(Forwarder, mpsc::Receiver<ForwardResult>), ForwardError> {
        if config.targets.is_empty() {
            return Err(ForwardError::NoTargets);
        }
        if let Some(bad) = config
            .targets
            .iter()
            .find(|t| !(t.starts_with("http://") || t.starts_with("https://")))
        {
            return Err(ForwardError::BadTarget(bad.clone()));
        }
        let key = WebhookKey::from_secret(&config.secret).map_err(ForwardError::Key)?;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .no_proxy()
            .danger_accept_invalid_certs(config.accept_invalid_certs)
            .build()
            .map_err(ForwardError::Client)?;
        let signer = Signer {
            key,
            app_id: config.app_id,
            extra: config.headers,
        };
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let (results_tx, results) = mpsc::channel(1024);
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            client,
            signer,
            targets: config.targets,
            retry: config.retry,
            shared: shared.clone(),
            results: results_tx,
        };
        let task = tokio::spawn(worker.run(rx));
        Ok((
            Forwarder {
                tx: Some(tx),
                shared,
                task: Some(task),
            },
            results,
        ))
    }

    /// Hand an item over without waiting. Dispatches are queued; `Ready` starts a new session
    /// (sequence numbers restart) for its shard; other items are ignored. Returns whether a
    /// dispatch was queued; a full queue drops it (counted) and says so.
    pub fn try_forward(&self, item: &GatewayItem) -> Result<bool, QueueFull> {
        self.forward_with(item, |tx, job| tx.try_send(job).is_ok())
    }

    /// Hand an item over, waiting while the queue is full (backpressure: nothing is dropped).
    /// Call it from a blocking thread (the CLI's output pipeline), never from async code.
    pub fn forward_blocking(&self, item: &GatewayItem) -> Result<bool, QueueFull> {
        self.forward_with(item, |tx, job| tx.blocking_send(job).is_ok())
    }

    fn forward_with(
        &self,
        item: &GatewayItem,
        send: impl FnOnce(&mpsc::Sender<Job>, Job) -> bool,
    ) -> Result<bool, QueueFull> {
        match &item.kind {
            ItemKind::Ready { .. } => {
                let mut cursors = self.shared.cursors();
                let cursor = cursors.entry(item.shard).or_default();
                cursor.epoch += 1;
                cursor.unacked.clear();
                cursor.highest = None;
                Ok(false)
            }
            ItemKind::Dispatch(dispatch) => {
                let Some(tx) = &self.tx else {
                    return Err(QueueFull);
                };
                // Record before queueing so the worker can never ack a seq not yet recorded.
                let epoch = {
                    let mut cursors = self.shared.cursors();
                    let cursor = cursors.entry(item.shard).or_default();
                    if let Some(s) = dispatch.seq {
                        cursor.unacked.insert(s);
                        cursor.highest = cursor.highest.max(Some(s));
                    }
                    cursor.epoch
                };
                let job = Job::Event {
                    shard: item.shard,
                    epoch,
                    dispatch: dispatch.clone(),
                };
                if send(tx, job) {
                    self.shared.queued.fetch_add(1, Ordering::Relaxed);
                    Ok(true)
                } else {
                    // The seq stays unacked: the cursor is pinned below it.
                    self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(t = %dispatch.t, "forward queue full; event not forwarded");
                    Err(QueueFull)
                }
            }
            _ => Ok(false),
        }
    }

    /// The highest `s` on `shard` such that every dispatch up to it that was handed over has
    /// been acknowledged by every target. `None` when nothing qualifies yet this session.
    pub fn acked_seq(&self, shard: ShardId) -> Option<u64> {
        let cursors = self.shared.cursors();
        let cursor = cursors.get(&shard)?;
        match cursor.unacked.first() {
            Some(&lowest) => lowest.checked_sub(1).filter(|s| *s > 0),
            None => cursor.highest,
        }
    }

    /// The seq to save for resuming `shard`, given the gateway session's own `session_seq`:
    /// `session_seq`, lowered to just below the oldest event not yet delivered everywhere.
    pub fn resume_seq(&self, shard: ShardId, session_seq: u64) -> u64 {
        let cursors = self.shared.cursors();
        match cursors.get(&shard).and_then(|c| c.unacked.first()) {
            Some(&lowest) => session_seq.min(lowest.saturating_sub(1)),
            None => session_seq,
        }
    }

    /// Counters since start.
    pub fn stats(&self) -> ForwardStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ForwardStats {
            queued: get(&self.shared.queued),
            delivered: get(&self.shared.delivered),
            failed: get(&self.shared.failed),
            dropped: get(&self.shared.dropped),
            attempts: get(&self.shared.attempts),
        }
    }

    /// Stop taking events, finish the queued ones (retries included), and return the counters.
    pub async fn close(mut self) -> ForwardStats {
        self.tx = None;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.stats()
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

struct Worker {
    client: reqwest::Client,
    signer: Signer,
    targets: Vec<String>,
    retry: RetryPolicy,
    shared: Arc<Shared>,
    results: mpsc::Sender<ForwardResult>,
}

impl Worker {
    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            match job {
                Job::Event {
                    shard,
                    epoch,
                    dispatch,
                } => self.forward(shard, epoch, dispatch).await,
            }
        }
    }

    async fn forward(&self, shard: ShardId, epoch: u64, dispatch: Dispatch) {
        // Webhook events are passed through byte-exact; gateway frames are rewritten without `s`.
        let body = match dispatch.seq {
            None => dispatch.frame.to_string(),
            Some(_) => dispatch_body(&dispatch.t, dispatch.id(), dispatch.d()),
        };
        let sends = self.targets.iter().map(|target| {
            let body = &body;
            async move {
                let attempts = self
                    .signer
                    .post_with_retry(&self.client, target, body, self.retry)
                    .await;
                (target.clone(), attempts)
            }
        });
        let outcomes = futures_util::future::join_all(sends).await;
        let results: Vec<ForwardResult> = outcomes
            .into_iter()
            .map(|(target, attempts)| ForwardResult {
                target,
                shard,
                seq: dispatch.seq,
                t: dispatch.t.to_string(),
                id: dispatch.id().map(str::to_owned),
                attempts,
            })
            .collect();
        let attempts: usize = results.iter().map(|r| r.attempts.len()).sum();
        self.shared
            .attempts
            .fetch_add(attempts as u64, Ordering::Relaxed);
        // Move the cursor before reporting, so whoever reads a result sees the cursor it implies.
        if results.iter().all(ForwardResult::delivered) {
            self.shared.delivered.fetch_add(1, Ordering::Relaxed);
            if let Some(s) = dispatch.seq {
                let mut cursors = self.shared.cursors();
                if let Some(cursor) = cursors.get_mut(&shard)
                    && cursor.epoch == epoch
                {
                    cursor.unacked.remove(&s);
                }
            }
        } else {
            self.shared.failed.fetch_add(1, Ordering::Relaxed);
        }
        for result in results {
            if !result.delivered() {
                tracing::warn!(target = %result.target, t = %result.t, status = ?result.status(), "forward failed after retries");
            }
            // A dropped receiver only means nobody prints results.
            let _ = self.results.send(result).await;
        }
    }
}
