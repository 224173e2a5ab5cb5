//! `--publish`: every dispatch into JetStream, acknowledged, with the resume cursor behind the
//! acknowledgements.
//!
//! **Bounds.** The output pipeline hands dispatches over with [`Publisher::handle_blocking`]: a
//! queue of [`PublishConfig::queue`] events (default 1024) in front of a task that keeps at most
//! [`PublishConfig::in_flight`] publishes (default 256) waiting for their PubAck. When both are
//! full (NATS slow or away) the pipeline thread waits, the gateway buffer fills and the shards
//! stop reading while they keep heartbeating: backpressure, nothing is dropped.
//!
//! **Acks and retries.** A publish whose PubAck does not arrive within
//! [`PublishConfig::ack_timeout`] (or fails) is sent again with the same `Nats-Msg-Id` after a
//! backoff (100 ms doubling to 2 s), for ever, while the client reconnects. A PubAck with
//! `duplicate: true` means the stream already held that id (a replay after a resume, a webhook
//! redelivery, a retry whose first ack was lost): counted as a duplicate. Order is kept except
//! around a retry.
//!
//! **Cursor rule.** Per shard, [`Publisher::acked_seq`] is the highest `s` such that every
//! dispatch up to it was acknowledged by JetStream (or deliberately not published: filtered).
//! With [`PublishConfig::state_file`] the publisher rewrites the state file (at most every
//! 100 ms) with that cursor, so a process killed at any moment resumes from an acknowledged
//! event: what follows is replayed by the gateway and published again, and the stream's
//! duplicate window drops what it already had.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage};
use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{NatsError, StreamConfig, one_line, subject};
use crate::gateway::{GatewayItem, ItemKind, SessionInfo, ShardId};
use crate::output::ndjson;

/// How to publish. Build with [`PublishConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct PublishConfig {
    /// `nats://HOST:PORT`.
    pub url: String,
    /// Stream and subject prefix.
    pub stream: StreamConfig,
    /// The bot's app id (second subject token).
    pub app_id: String,
    /// Publishes waiting for a PubAck at most.
    pub in_flight: usize,
    /// Events queued in front of the publishing task.
    pub queue: usize,
    /// How long to wait for one PubAck before publishing again.
    pub ack_timeout: Duration,
    /// Keep the resume cursor (acknowledged events only) in this file while running.
    pub state_file: Option<PathBuf>,
    /// Print connection and retry reports on stderr.
    pub report: bool,
}

impl PublishConfig {
    /// Defaults: stream `QQBOT` on `qqbot.>`, 256 in flight, a 1024-event queue, 5 s per ack.
    pub fn new(url: impl Into<String>, app_id: impl Into<String>) -> PublishConfig {
        PublishConfig {
            url: url.into(),
            stream: StreamConfig::default(),
            app_id: app_id.into(),
            in_flight: 256,
            queue: 1024,
            ack_timeout: Duration::from_secs(5),
            state_file: None,
            report: true,
        }
    }
}

/// Counters since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PublishStats {
    /// Dispatches handed to JetStream (first attempts).
    pub published: u64,
    /// PubAcks received (new messages and duplicates).
    pub acked: u64,
    /// PubAcks saying the stream already had the id (dropped by its duplicate window).
    pub duplicates: u64,
    /// Publishes sent again after a timeout or an error.
    pub retries: u64,
    /// Dispatches not acknowledged when the publisher stopped (the cursor stays below them).
    pub unacked: u64,
    /// Times the connection to NATS was lost.
    pub disconnects: u64,
}

#[derive(Debug, Default)]
struct Cursor {
    session_id: Option<String>,
    epoch: u64,
    /// The `s` the session resumed from (everything up to it was handled by an earlier run).
    base: Option<u64>,
    unacked: BTreeSet<u64>,
    highest: Option<u64>,
}

impl Cursor {
    fn acked(&self) -> Option<u64> {
        match self.unacked.first() {
            Some(&lowest) => lowest.checked_sub(1).filter(|s| *s > 0).or(self.base),
            None => self.highest.or(self.base),
        }
    }
}

#[derive(Default)]
struct Shared {
    cursors: Mutex<HashMap<ShardId, Cursor>>,
    notices: Mutex<Vec<String>>,
    published: AtomicU64,
    acked: AtomicU64,
    duplicates: AtomicU64,
    retries: AtomicU64,
    unacked: AtomicU64,
    disconnects: AtomicU64,
    /// Disconnected and not yet connected again.
    down: std::sync::atomic::AtomicBool,
    /// Bumped whenever a cursor moves (the state writer compares).
    generation: AtomicU64,
    /// `--metrics`: acknowledgements and their lag are counted there too.
    #[cfg(feature = "metrics")]
    metrics: std::sync::OnceLock<crate::output::prometheus::Exporter>,
}

impl Shared {
    fn cursors(&self) -> MutexGuard<'_, HashMap<ShardId, Cursor>> {
        self.cursors.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notice(&self, report: bool, text: String) {
        if report {
            eprintln!("qqbot: {text}");
        }
        self.notices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text);
    }

    fn sessions(&self) -> Vec<SessionInfo> {
        let mut sessions: Vec<SessionInfo> = self
            .cursors()
            .iter()
            .filter_map(|(shard, c)| {
                Some(SessionInfo {
                    session_id: c.session_id.clone()?,
                    last_seq: c.acked(),
                    shard: *shard,
                })
            })
            .collect();
        sessions.sort_by_key(|s| s.shard.id);
        sessions
    }
}

/// Heartbeats acknowledge only what JetStream acknowledged: the gateway keeps the rest for a
/// resume (see [`HeartbeatCursor`](crate::gateway::HeartbeatCursor)).
impl crate::gateway::HeartbeatCursor for Shared {
    fn durable_seq(&self, shard: ShardId, session_id: &str) -> Option<Option<u64>> {
        let cursors = self.cursors();
        match cursors.get(&shard) {
            Some(c) if c.session_id.as_deref() == Some(session_id) => Some(c.acked()),
            // A session the publisher has not seen start yet (its READY or Resume is still
            // queued): no opinion, the shard's own `s` stands (a resumed session's `s` is what
            // an earlier run had acknowledged).
            _ => None,
        }
    }
}

struct Job {
    shard: ShardId,
    epoch: u64,
    seq: Option<u64>,
    subject: String,
    id: String,
    payload: Bytes,
    /// When the event was handed to the publisher (for the ack lag in `--metrics`).
    #[cfg(feature = "metrics")]
    queued_at: std::time::Instant,
}

/// A running publisher. [`Publisher::close`] finishes what is in flight.
pub struct Publisher {
    tx: Option<mpsc::Sender<Job>>,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
    prefix: String,
    app_id: String,
    stream: String,
    url: String,
    report: bool,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("url", &self.url)
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// Connect, make sure the stream exists, and start the publishing task.
    pub async fn start(config: PublishConfig) -> Result<Publisher, NatsError> {
        config.stream.validate()?;
        let shared = Arc::new(Shared::default());
        let report = config.report;
        let events = {
            let shared = shared.clone();
            let url = config.url.clone();
            Arc::new(move |event: async_nats::Event| match event {
                async_nats::Event::Disconnected => {
                    shared.disconnects.fetch_add(1, Ordering::Relaxed);
                    shared.down.store(true, Ordering::Relaxed);
                    shared.notice(
                        report,
                        format!("NATS at {url} disconnected; reconnecting (publishing waits, the gateway is held)"),
                    );
                }
                // The first connection is reported once the stream is ready.
                async_nats::Event::Connected if shared.down.swap(false, Ordering::Relaxed) => {
                    shared.notice(report, format!("NATS at {url} reconnected"));
                }
                _ => {}
            }) as super::EventSink
        };
        let client = super::connect(&config.url, Some(events)).await?;
        let js = jetstream::ContextBuilder::new()
            .timeout(config.ack_timeout)
            .max_ack_inflight(config.in_flight.max(1))
            .build(client);
        super::ensure_stream(&js, &config.url, &config.stream).await?;
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let worker = Worker {
            js,
            shared: shared.clone(),
            limit: config.in_flight.max(1),
            state_file: config.state_file.clone(),
            report,
        };
        let task = tokio::spawn(worker.run(rx));
        Ok(Publisher {
            tx: Some(tx),
            shared,
            task: Some(task),
            prefix: config.stream.prefix,
            app_id: config.app_id,
            stream: config.stream.name,
            url: config.url,
            report,
        })
    }

    /// Count acknowledgements and their lag (from hand-over to PubAck) in `exporter` too (built
    /// with [`Exporter::with_publish`](crate::output::prometheus::Exporter::with_publish));
    /// feature `metrics`.
    #[cfg(feature = "metrics")]
    pub fn set_metrics(&self, exporter: crate::output::prometheus::Exporter) {
        let _ = self.shared.metrics.set(exporter);
    }

    /// The stream events go to.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Hand an item over, waiting while the queue is full (backpressure). Call it from a blocking
    /// thread (the CLI's output pipeline), never from async code. Dispatches with `publish` are
    /// published; without, they only move the cursor (filtered out on purpose). `Ready` and
    /// `Resuming` start or continue a shard's session.
    pub fn handle_blocking(&self, item: &GatewayItem, publish: bool) {
        if let Some(job) = self.job(item, publish) {
            self.submit(job, |tx, job| tx.blocking_send(job).is_ok());
        }
    }

    /// [`Publisher::handle_blocking`] for async code: waits on the queue without blocking the
    /// runtime.
    pub async fn handle(&self, item: &GatewayItem, publish: bool) {
        if let Some(job) = self.job(item, publish)
            && let Some(tx) = &self.tx
        {
            let ok = tx.send(job).await.is_ok();
            if !ok {
                self.shared.unacked.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn submit(&self, job: Job, send: impl FnOnce(&mpsc::Sender<Job>, Job) -> bool) {
        let sent = self.tx.as_ref().is_some_and(|tx| send(tx, job));
        if !sent {
            // The task is gone (closing): the seq stays unacked and pins the cursor.
            self.shared.unacked.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn job(&self, item: &GatewayItem, publish: bool) -> Option<Job> {
        match &item.kind {
            ItemKind::Ready { session_id, .. } => {
                let mut cursors = self.shared.cursors();
                let cursor = cursors.entry(item.shard).or_default();
                cursor.epoch += 1;
                cursor.session_id = Some(session_id.clone());
                cursor.base = None;
                cursor.unacked.clear();
                cursor.highest = None;
                self.shared.generation.fetch_add(1, Ordering::Relaxed);
                None
            }
            ItemKind::Resuming { session_id, seq } => {
                let mut cursors = self.shared.cursors();
                let cursor = cursors.entry(item.shard).or_default();
                if cursor.session_id.as_deref() != Some(session_id) {
                    // Resuming a session of an earlier run: everything up to `seq` was handled.
                    cursor.epoch += 1;
                    cursor.session_id = Some(session_id.clone());
                    cursor.base = *seq;
                    cursor.unacked.clear();
                    cursor.highest = None;
                    self.shared.generation.fetch_add(1, Ordering::Relaxed);
                }
                None
            }
            // RESUMED takes an `s` of its own and is never replayed: once everything before it
            // is acknowledged, the cursor may stand on it.
            ItemKind::Resumed { seq: Some(s), .. } => {
                let mut cursors = self.shared.cursors();
                let cursor = cursors.entry(item.shard).or_default();
                cursor.highest = cursor.highest.max(Some(*s));
                self.shared.generation.fetch_add(1, Ordering::Relaxed);
                None
            }
            ItemKind::Dispatch(d) => {
                let epoch = {
                    let mut cursors = self.shared.cursors();
                    let cursor = cursors.entry(item.shard).or_default();
                    if let Some(s) = d.seq {
                        if publish {
                            cursor.unacked.insert(s);
                        }
                        cursor.highest = cursor.highest.max(Some(s));
                        self.shared.generation.fetch_add(1, Ordering::Relaxed);
                    }
                    cursor.epoch
                };
                if !publish {
                    return None;
                }
                let mut line = ndjson::line(item);
                line.pop(); // the newline
                let id = match (d.id(), d.seq) {
                    (Some(id), _) => id.to_owned(),
                    // No event id: the session's `s` identifies the event across a resume.
                    (None, Some(s)) => {
                        let session = self
                            .shared
                            .cursors()
                            .get(&item.shard)
                            .and_then(|c| c.session_id.clone())
                            .unwrap_or_default();
                        format!("{}:{}:{session}:{s}", self.app_id, item.shard.id)
                    }
                    (None, None) => format!("{}:{}", self.app_id, uuid::Uuid::new_v4()),
                };
                Some(Job {
                    shard: item.shard,
                    epoch,
                    seq: d.seq,
                    subject: subject(&self.prefix, &self.app_id, item.shard.id, &d.t),
                    id,
                    payload: Bytes::from(line),
                    #[cfg(feature = "metrics")]
                    queued_at: std::time::Instant::now(),
                })
            }
            _ => None,
        }
    }

    /// The cursor for [`GatewayConfig::heartbeat_cursor`](crate::gateway::GatewayConfig):
    /// heartbeats then carry the acknowledged `s`, never more, so a gateway that trims its
    /// replay buffer to the heartbeated `s` keeps what JetStream has not acknowledged.
    pub fn heartbeat_cursor(&self) -> crate::gateway::HeartbeatCursorRef {
        crate::gateway::HeartbeatCursorRef(Arc::clone(&self.shared) as _)
    }

    /// Reports since the last call (disconnects, retries, recoveries), for NDJSON control lines.
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .shared
                .notices
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        )
    }

    /// The highest `s` on `shard` such that every dispatch up to it was acknowledged (or
    /// filtered out). `None` when nothing qualifies yet.
    pub fn acked_seq(&self, shard: ShardId) -> Option<u64> {
        self.shared.cursors().get(&shard).and_then(Cursor::acked)
    }

    /// The seq to save for resuming `session_id` on `shard`, given the output's own cursor:
    /// never past the acknowledged events.
    pub fn resume_seq(&self, shard: ShardId, session_id: &str, seq: Option<u64>) -> Option<u64> {
        let cursors = self.shared.cursors();
        match cursors.get(&shard) {
            Some(c) if c.session_id.as_deref() == Some(session_id) => match (seq, c.acked()) {
                (Some(s), Some(a)) => Some(s.min(a)),
                _ => None,
            },
            _ => seq,
        }
    }

    /// The acknowledged cursor of every shard, as a state file keeps it.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.shared.sessions()
    }

    /// Counters since start.
    pub fn stats(&self) -> PublishStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PublishStats {
            published: get(&self.shared.published),
            acked: get(&self.shared.acked),
            duplicates: get(&self.shared.duplicates),
            retries: get(&self.shared.retries),
            unacked: get(&self.shared.unacked),
            disconnects: get(&self.shared.disconnects),
        }
    }

    /// Stop taking events and wait up to `grace` for the PubAcks of what was handed over
    /// (retrying as usual); what is still unacknowledged then is counted in
    /// [`PublishStats::unacked`] and keeps the cursor below it.
    pub async fn close(&mut self, grace: Duration) -> PublishStats {
        self.tx = None;
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(grace, &mut task).await.is_err()
        {
            task.abort();
            let left: u64 = self
                .shared
                .cursors()
                .values()
                .map(|c| c.unacked.len() as u64)
                .sum();
            self.shared.unacked.fetch_add(left, Ordering::Relaxed);
            self.shared.notice(
                self.report,
                format!("NATS did not acknowledge {left} event(s) in time; the saved cursor stays below them"),
            );
        }
        self.stats()
    }

    /// A one-line summary for stderr.
    pub fn summary(&self, stats: &PublishStats) -> String {
        format!(
            "published {} event(s) to NATS stream {} at {}: {} acked, {} duplicate(s) dropped by the stream, {} retried, {} unacknowledged, {} disconnect(s)",
            stats.published,
            self.stream,
            self.url,
            stats.acked,
            stats.duplicates,
            stats.retries,
            stats.unacked,
            stats.disconnects
        )
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

type AckResult = Result<jetstream::publish::PublishAck, String>;

struct Worker {
    js: jetstream::Context,
    shared: Arc<Shared>,
    limit: usize,
    state_file: Option<PathBuf>,
    report: bool,
}

/// Backoff between retries: 100 ms doubling to 2 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis((100u64 << failures.min(5)).min(2_000))
}

impl Worker {
    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        let mut in_flight = FuturesUnordered::new();
        let mut retry: VecDeque<Job> = VecDeque::new();
        let mut failures = 0u32;
        let mut failing_since: Option<Instant> = None;
        let mut retry_at = tokio::time::Instant::now();
        let mut closed = false;
        let mut written = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if closed && in_flight.is_empty() && retry.is_empty() {
                break;
            }
            let room = in_flight.len() < self.limit;
            tokio::select! {
                biased;
                Some((job, result)) = in_flight.next(), if !in_flight.is_empty() => {
                    let result: AckResult = result;
                    match result {
                        Ok(ack) => {
                            self.acked(&job, ack.duplicate);
                            failures = 0;
                            if let Some(since) = failing_since.take() {
                                self.shared.notice(self.report, format!(
                                    "NATS publishing recovered after {:.1} s ({} retried so far)",
                                    since.elapsed().as_secs_f64(),
                                    self.shared.retries.load(Ordering::Relaxed)
                                ));
                            }
                        }
                        Err(cause) => {
                            if failing_since.is_none() {
                                failing_since = Some(Instant::now());
                                self.shared.notice(self.report, format!(
                                    "NATS publish failed ({cause}); retrying with backoff while the gateway is held"
                                ));
                            }
                            failures = failures.saturating_add(1);
                            retry_at = tokio::time::Instant::now() + backoff(failures);
                            retry.push_back(job);
                        }
                    }
                }
                () = tokio::time::sleep_until(retry_at), if room && !retry.is_empty() => {
                    while in_flight.len() < self.limit {
                        let Some(job) = retry.pop_front() else { break };
                        self.shared.retries.fetch_add(1, Ordering::Relaxed);
                        match self.send(job).await {
                            Ok(fut) => in_flight.push(fut),
                            Err(job) => {
                                failures = failures.saturating_add(1);
                                retry_at = tokio::time::Instant::now() + backoff(failures);
                                retry.push_front(job);
                                break;
                            }
                        }
                    }
                }
                job = rx.recv(), if room && retry.is_empty() && !closed => match job {
                    Some(job) => {
                        self.shared.published.fetch_add(1, Ordering::Relaxed);
                        match self.send(job).await {
                            Ok(fut) => in_flight.push(fut),
                            Err(job) => {
                                if failing_since.is_none() {
                                    failing_since = Some(Instant::now());
                                    self.shared.notice(self.report, "NATS publish failed; retrying with backoff while the gateway is held".to_owned());
                                }
                                failures = failures.saturating_add(1);
                                retry_at = tokio::time::Instant::now() + backoff(failures);
                                retry.push_back(job);
                            }
                        }
                    }
                    None => closed = true,
                },
                _ = tick.tick() => {}
            }
            self.save_state(&mut written);
        }
        self.save_state(&mut written);
    }

    /// Publish one job; the future resolves with the job and its PubAck.
    async fn send(
        &self,
        job: Job,
    ) -> Result<std::pin::Pin<Box<dyn std::future::Future<Output = (Job, AckResult)> + Send>>, Job>
    {
        let message = PublishMessage::build()
            .payload(job.payload.clone())
            .message_id(&job.id);
        match self.js.send_publish(job.subject.clone(), message).await {
            Ok(ack) => Ok(Box::pin(wait_ack(job, ack))),
            Err(e) => {
                tracing::debug!(error = %e, "publish not sent");
                Err(job)
            }
        }
    }

    fn acked(&self, job: &Job, duplicate: bool) {
        self.shared.acked.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        if let Some(metrics) = self.shared.metrics.get() {
            metrics.publish_acked();
            metrics.set_publish_lag(job.queued_at.elapsed());
        }
        if duplicate {
            self.shared.duplicates.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(s) = job.seq {
            let mut cursors = self.shared.cursors();
            if let Some(cursor) = cursors.get_mut(&job.shard)
                && cursor.epoch == job.epoch
            {
                cursor.unacked.remove(&s);
                self.shared.generation.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Rewrite the state file when a cursor moved since the last write.
    fn save_state(&self, written: &mut u64) {
        let Some(path) = &self.state_file else {
            return;
        };
        let generation = self.shared.generation.load(Ordering::Relaxed);
        if generation == *written {
            return;
        }
        let sessions = self.shared.sessions();
        if sessions.is_empty() {
            return;
        }
        match write_state(path, &sessions) {
            Ok(()) => *written = generation,
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "cannot write the state file")
            }
        }
    }
}

async fn wait_ack(job: Job, ack: PublishAckFuture) -> (Job, AckResult) {
    let result = ack.await.map_err(|e| one_line(&e));
    (job, result)
}

/// Write `sessions` as a state file (pretty JSON, written to a temporary file then renamed).
pub fn write_state(path: &std::path::Path, sessions: &[SessionInfo]) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(sessions).expect("sessions serialise");
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_stops_below_the_oldest_unacknowledged_event() {
        let mut c = Cursor::default();
        assert_eq!(c.acked(), None);
        c.base = Some(10);
        assert_eq!(
            c.acked(),
            Some(10),
            "resumed: everything up to 10 was handled"
        );
        c.unacked.extend([11, 12, 13]);
        c.highest = Some(13);
        assert_eq!(c.acked(), Some(10));
        c.unacked.remove(&12);
        assert_eq!(c.acked(), Some(10), "12 acked, 11 not: still 10");
        c.unacked.remove(&11);
        assert_eq!(c.acked(), Some(12));
        c.unacked.remove(&13);
        assert_eq!(c.acked(), Some(13));
        let mut fresh = Cursor::default();
        fresh.unacked.insert(1);
        fresh.highest = Some(1);
        assert_eq!(fresh.acked(), None, "nothing acked on a fresh session");
        assert_eq!(backoff(0), Duration::from_millis(100));
        assert_eq!(backoff(30), Duration::from_secs(2));
    }
}
