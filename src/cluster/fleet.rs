//! One process's part in a fleet: lease shards from the bucket, run them, renew the leases with
//! their session and seq, take over the shards of processes that went away, hand shards back on
//! a clean stop.
//!
//! Each leased shard runs as its own [`Cluster`] of one shard (`ShardSelection::One`), started
//! with the session stored in its lease (so a shard taken over resumes) and the fleet-wide
//! [`FleetQueue`] for identify spacing. Their items are merged into one bounded channel; a slow
//! consumer pushes back on every shard as with a single cluster.
//!
//! Lease rules (see [`super::lease`] for when a lease is free):
//! - every `renew_interval` (default TTL / 4) each lease is rewritten with compare-and-set on its
//!   revision, carrying the shard's state, session id and last `s`;
//! - a compare-and-set conflict means another process took the lease: the shard is stopped here
//!   at once;
//! - when no renewal has succeeded for half the TTL (NATS unreachable or slow), the shard is
//!   stopped here, before any other process may take it (others wait a whole TTL without change;
//!   every NATS call is bounded by a quarter TTL and the check runs before each);
//! - each process takes free shards up to its fair share (`ceil(shards / live members)`), and
//!   one that holds more than its share while another holds less hands one shard back per
//!   round (stopped cleanly, its session left in the lease for the next owner to resume).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::identify::FleetQueue;
use super::lease::{
    Lease, Member, Observed, STATE_FATAL, STATE_RELEASED, STATE_STARTING, fair_share,
    lease_is_free, member_key, new_owner_id, now_ms, shard_key,
};
use super::store::{Bucket, Cas, StoreError};
use super::{FleetConfig, FleetError, Notice};
use crate::gateway::cluster::{MAX_SHARDS_PER_PROCESS, fetch_gateway};
use crate::gateway::{
    Cluster, ClusterMetrics, GatewayConfig, GatewayItem, SessionInfo, ShardHandle, ShardId,
    ShardSelection, StartError,
};
use crate::http::{GatewayBot, TokenSource};

/// A running member of a fleet.
#[derive(Debug)]
pub struct Fleet {
    owner: String,
    bucket: String,
    /// The bucket, for status reads (boxed: the fleet stays small to move around).
    store: Arc<Bucket>,
    count: u32,
    gateway: GatewayBot,
    tokens: Arc<TokenSource>,
    handles: Arc<Mutex<Vec<ShardHandle>>>,
    started: Instant,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Vec<SessionInfo>>,
}

impl Fleet {
    /// Join the fleet in the bucket: check the credentials and `/gateway/bot` once, open (or
    /// create) the bucket, then lease shards in the background. Items from every shard this
    /// process holds, now or later, arrive on the returned receiver.
    pub async fn join(
        config: GatewayConfig,
        fleet: FleetConfig,
    ) -> Result<(Fleet, mpsc::Receiver<GatewayItem>), FleetError> {
        let bucket_name = fleet
            .bucket
            .clone()
            .unwrap_or_else(|| super::lease::default_bucket(&config.app_id));
        if !super::lease::valid_bucket(&bucket_name) {
            return Err(FleetError::Config(format!(
                "bucket name `{bucket_name}`: use letters, digits, `-` and `_` only"
            )));
        }
        if fleet.lease_ttl < Duration::from_millis(400) {
            return Err(FleetError::Config(
                "the lease TTL must be at least 400 ms".into(),
            ));
        }
        let (tokens, gateway) = fetch_gateway(&config).await.map_err(FleetError::Start)?;
        let count = match (fleet.shards, config.shards) {
            (Some(n), _) | (None, ShardSelection::Count(n)) => n,
            (None, _) => gateway.shards.max(1),
        };
        if count == 0 || count > MAX_SHARDS_PER_PROCESS {
            return Err(FleetError::Start(StartError::Config(format!(
                "a fleet runs 1 to {MAX_SHARDS_PER_PROCESS} shards (asked for {count})"
            ))));
        }
        let op_timeout = fleet.op_timeout();
        let client = super::store::connect(&fleet.nats_url, op_timeout.max(Duration::from_secs(2)))
            .await
            .map_err(FleetError::Store)?;
        let bucket = Bucket::open(client, &bucket_name, fleet.retention, op_timeout)
            .await
            .map_err(FleetError::Store)?;
        let owner = fleet.owner.clone().unwrap_or_else(new_owner_id);
        let queue = Arc::new(FleetQueue::new(
            bucket.clone(),
            owner.clone(),
            gateway.session_start_limit.max_concurrency,
            fleet.clock_skew,
        ));
        let (tx, rx) = mpsc::channel(config.event_buffer_size.max(1));
        let handles = Arc::new(Mutex::new(Vec::new()));
        let (stop, stop_rx) = oneshot::channel();
        let member = Membership {
            bucket: bucket.clone(),
            owner: owner.clone(),
            ttl: fleet.lease_ttl,
        };
        member.write(&[]).await.map_err(FleetError::Store)?;
        notify(
            &fleet,
            &Notice::Joined {
                bucket: bucket_name.clone(),
                owner: owner.clone(),
                shards: count,
            },
        );
        let store = Arc::new(bucket.clone());
        let runner = Runner {
            bucket,
            owner: owner.clone(),
            count,
            base: config,
            gateway_url: gateway.url.clone(),
            queue,
            fleet,
            items: Some(tx),
            held: BTreeMap::new(),
            seen: HashMap::new(),
            handles: Arc::clone(&handles),
            member,
            rounds: 0,
            backoff: HashMap::new(),
        };
        let task = tokio::spawn(runner.run(stop_rx));
        Ok((
            Fleet {
                owner,
                bucket: bucket_name,
                store,
                count,
                gateway,
                tokens,
                handles,
                started: Instant::now(),
                stop: Some(stop),
                task,
            },
            rx,
        ))
    }

    /// This process's owner id in the leases.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// A reader of the whole fleet's state in the bucket (every shard's owner, state, seq and
    /// lease age), over this process's NATS connection: what `qqbot cluster status` prints.
    pub fn status_reader(&self) -> super::StatusReader {
        super::StatusReader::new(Bucket::clone(&self.store))
    }

    /// The fleet's shard count.
    pub fn shard_count(&self) -> u32 {
        self.count
    }

    /// What `/gateway/bot` said at join.
    pub fn gateway(&self) -> &GatewayBot {
        &self.gateway
    }

    /// Time left on the access token fetched at join.
    pub fn token_ttl(&self) -> Option<Duration> {
        self.tokens.time_to_live()
    }

    /// Read handles on the shards this process runs now.
    pub fn shards(&self) -> Vec<ShardHandle> {
        self.handles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A live view of [`Fleet::shards`] that outlives this borrow (for a metrics exporter that
    /// reads it on each scrape): shards taken over later appear, shards handed back go.
    pub fn shard_source(&self) -> impl Fn() -> Vec<ShardHandle> + Send + Sync + 'static {
        let handles = Arc::clone(&self.handles);
        move || handles.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Metrics of the shards this process runs now.
    pub fn metrics(&self) -> ClusterMetrics {
        ClusterMetrics::collect(&self.shards(), self.started.elapsed())
    }

    /// Stop every shard cleanly and hand its lease back with the session (the next owner
    /// resumes it); returns the sessions.
    pub async fn shutdown(mut self) -> Vec<SessionInfo> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.unwrap_or_default()
    }
}

fn notify(fleet: &FleetConfig, notice: &Notice) {
    match notice {
        Notice::Lost { .. } | Notice::StartFailed { .. } | Notice::Fatal { .. } => {
            tracing::warn!(target: "qqbot::cluster", "{notice}")
        }
        _ => tracing::info!(target: "qqbot::cluster", "{notice}"),
    }
    if let Some(sink) = &fleet.on_notice {
        sink(notice);
    }
}

/// This process's `member.<owner>` key.
struct Membership {
    bucket: Bucket,
    owner: String,
    ttl: Duration,
}

impl Membership {
    async fn write(&self, shards: &[u32]) -> Result<u64, StoreError> {
        let now = now_ms();
        self.bucket
            .put(
                &member_key(&self.owner),
                &Member {
                    owner: self.owner.clone(),
                    shards: shards.to_vec(),
                    updated_at_ms: now,
                    expires_at_ms: now + self.ttl.as_millis() as i64,
                },
            )
            .await
    }
}

/// Where a held shard is.
enum Phase {
    /// `Cluster::start` runs in this task (which also starts the item forwarder).
    Starting(JoinHandle<Result<Cluster, StartError>>),
    /// Running.
    Running(Cluster),
    /// Stopped for good (fatal close): the lease is kept, so nobody else retries it.
    Fatal,
    /// Being stopped to hand the lease back; the session is written when it is done.
    Releasing(JoinHandle<Vec<SessionInfo>>),
}

/// A shard this process leases.
struct Held {
    revision: u64,
    /// When the last successful renewal was sent (the lease is good for a TTL from then).
    renewed: Instant,
    phase: Phase,
    /// The session last known (from the lease at take-over, then from the shard).
    session: Option<SessionInfo>,
    /// The session id in the lease as last written.
    written_session: Option<String>,
}

impl Held {
    fn state(&self) -> String {
        match &self.phase {
            Phase::Starting(_) => STATE_STARTING.to_owned(),
            Phase::Running(cluster) => cluster
                .shards()
                .first()
                .map_or(STATE_STARTING, |h| h.metrics().state)
                .to_owned(),
            Phase::Fatal => STATE_FATAL.to_owned(),
            Phase::Releasing(_) => "releasing".to_owned(),
        }
    }

    fn refresh_session(&mut self) {
        if let Phase::Running(cluster) = &self.phase
            && let Some(session) = cluster.sessions().into_iter().next()
        {
            self.session = Some(session);
        }
    }
}

/// What one key looked like on the last scan.
struct Scanned {
    lease: Option<Lease>,
    revision: Option<u64>,
}

/// The background task of a [`Fleet`].
struct Runner {
    bucket: Bucket,
    owner: String,
    count: u32,
    base: GatewayConfig,
    gateway_url: String,
    queue: Arc<FleetQueue>,
    fleet: FleetConfig,
    items: Option<mpsc::Sender<GatewayItem>>,
    held: BTreeMap<u32, Held>,
    seen: HashMap<String, Observed>,
    handles: Arc<Mutex<Vec<ShardHandle>>>,
    member: Membership,
    rounds: u64,
    /// Shards that failed to start here: not claimed again before the instant; failures so far.
    backoff: HashMap<u32, (Instant, u32)>,
}

/// How often held shards are checked for a new session to write at once.
const SESSION_CHECK: Duration = Duration::from_millis(100);

/// First pause before a shard that failed to start is claimed here again (doubling, up to a
/// minute).
const START_RETRY: Duration = Duration::from_secs(2);

impl Runner {
    async fn run(mut self, mut stop: oneshot::Receiver<()>) -> Vec<SessionInfo> {
        let mut tick = tokio::time::interval(self.fleet.renew_interval());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is immediate: let the other members register first
        // New sessions are looked for more often than leases are renewed (a local check; a
        // write only when one appeared).
        let mut sessions = tokio::time::interval(SESSION_CHECK.min(self.fleet.renew_interval()));
        sessions.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = &mut stop => break,
                _ = tick.tick() => self.round().await,
                _ = sessions.tick() => self.renew_new_sessions().await,
            }
        }
        self.shutdown().await
    }

    fn ttl(&self) -> Duration {
        self.fleet.lease_ttl
    }

    fn lease_for(&self, held: &Held, state: String) -> Lease {
        let now = now_ms();
        let session = held
            .session
            .as_ref()
            .filter(|s| s.shard.count == self.count);
        Lease {
            owner: Some(self.owner.clone()),
            state,
            count: self.count,
            session_id: session.map(|s| s.session_id.clone()),
            last_seq: session.and_then(|s| self.durable_seq(s)),
            updated_at_ms: now,
            expires_at_ms: now + self.ttl().as_millis() as i64,
        }
    }

    /// The `s` a lease stores for `session`: the last received, or less when a durable sink
    /// (`GatewayConfig::heartbeat_cursor`, e.g. `--publish`) has not kept that much yet, so the
    /// process taking the shard over resumes from what is durable, as the heartbeats say.
    fn durable_seq(&self, session: &SessionInfo) -> Option<u64> {
        let Some(cursor) = &self.base.heartbeat_cursor else {
            return session.last_seq;
        };
        match cursor.0.durable_seq(session.shard, &session.session_id) {
            None => session.last_seq,
            Some(Some(d)) => session.last_seq.map(|s| s.min(d)),
            Some(None) => None,
        }
    }

    async fn round(&mut self) {
        self.rounds += 1;
        self.advance_phases().await;
        self.renew().await;
        self.publish_handles();
        let shards: Vec<u32> = self.held.keys().copied().collect();
        let _ = self.member.write(&shards).await;
        self.enforce_fences();
        let scanned = self.scan().await;
        self.enforce_fences();
        let Ok((members, scanned)) = scanned else {
            return; // NATS is not answering: the fences judge that
        };
        let counted_self = members.iter().any(|m| m.owner == self.owner);
        let target = fair_share(self.count, members.len() + usize::from(!counted_self));
        self.claim(target, &scanned).await;
        self.rebalance(target, &members);
    }

    /// Move shards on: started, fatally stopped, released.
    async fn advance_phases(&mut self) {
        let ids: Vec<u32> = self.held.keys().copied().collect();
        for id in ids {
            let Some(held) = self.held.get_mut(&id) else {
                continue;
            };
            match &mut held.phase {
                Phase::Starting(task) if task.is_finished() => match task.await {
                    Ok(Ok(cluster)) => {
                        held.phase = Phase::Running(cluster);
                        self.backoff.remove(&id);
                    }
                    outcome => {
                        let error = match outcome {
                            Ok(Err(e)) => crate::gateway::shard::error_chain(&e),
                            Err(e) => e.to_string(),
                            Ok(Ok(_)) => unreachable!(),
                        };
                        notify(
                            &self.fleet,
                            &Notice::StartFailed {
                                shard: self.shard(id),
                                error,
                            },
                        );
                        // Hand it back (the session stays in the lease) and try again later.
                        let failures = self.backoff.get(&id).map_or(0, |b| b.1) + 1;
                        let pause = (START_RETRY * 2u32.saturating_pow(failures.min(5) - 1))
                            .min(Duration::from_secs(60));
                        self.backoff.insert(id, (Instant::now() + pause, failures));
                        let held = self.held.remove(&id).expect("held");
                        self.release(id, held).await;
                    }
                },
                Phase::Running(cluster) if cluster.is_finished() => {
                    held.phase = Phase::Fatal;
                    notify(
                        &self.fleet,
                        &Notice::Fatal {
                            shard: self.shard(id),
                        },
                    );
                }
                Phase::Releasing(task) if task.is_finished() => {
                    let sessions = task.await.unwrap_or_default();
                    let mut held = self.held.remove(&id).expect("held");
                    if let Some(session) = sessions.into_iter().next() {
                        held.session = Some(session);
                    }
                    self.release(id, held).await;
                    notify(
                        &self.fleet,
                        &Notice::Released {
                            shard: self.shard(id),
                        },
                    );
                }
                _ => {}
            }
        }
    }

    /// How long a lease is trusted here without a successful renewal: half the TTL. Others
    /// wait a whole TTL without change, and every NATS call is bounded by a quarter TTL, with
    /// this checked before each one: a shard is stopped here well before anyone may take it.
    fn fence(&self) -> Duration {
        self.ttl() / 2
    }

    /// Stop the shards whose lease has not been renewed within the fence.
    fn enforce_fences(&mut self) {
        let fence = self.fence();
        let stale: Vec<u32> = self
            .held
            .iter()
            .filter(|(_, h)| h.renewed.elapsed() >= fence)
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            let held = self.held.remove(&id).expect("held");
            let reason = format!(
                "no renewal for {} ms (NATS unreachable?); another process may take it over",
                held.renewed.elapsed().as_millis()
            );
            self.lose(id, held, reason);
        }
    }

    fn lose(&self, id: u32, held: Held, reason: String) {
        notify(
            &self.fleet,
            &Notice::Lost {
                shard: self.shard(id),
                reason,
            },
        );
        stop_detached(held.phase);
    }

    /// Renew every lease; stop the shards whose lease is gone.
    async fn renew(&mut self) {
        let ids: Vec<u32> = self.held.keys().copied().collect();
        for id in ids {
            self.renew_one(id).await;
        }
        self.enforce_fences();
    }

    /// Renew at once the leases whose shard has a new session (READY, or a new session after
    /// op 9), so a take-over right after it resumes instead of identifying.
    async fn renew_new_sessions(&mut self) {
        let changed: Vec<u32> = self
            .held
            .iter_mut()
            .filter_map(|(id, held)| {
                held.refresh_session();
                let current = held.session.as_ref().map(|s| &s.session_id);
                (current != held.written_session.as_ref()).then_some(*id)
            })
            .collect();
        for id in changed {
            self.renew_one(id).await;
        }
    }

    async fn renew_one(&mut self, id: u32) {
        self.enforce_fences();
        let Some(held) = self.held.get_mut(&id) else {
            return;
        };
        held.refresh_session();
        let state = held.state();
        let revision = held.revision;
        let lease = self.lease_for(&self.held[&id], state);
        let sent = Instant::now();
        match self
            .bucket
            .cas(&shard_key(id), &lease, Some(revision))
            .await
        {
            Ok(Cas::Written(revision)) => {
                let held = self.held.get_mut(&id).expect("held");
                held.revision = revision;
                held.renewed = sent;
                held.written_session = lease.session_id;
            }
            Ok(Cas::Conflict) => {
                let held = self.held.remove(&id).expect("held");
                self.lose(id, held, "another process took the lease".to_owned());
            }
            Err(e) => {
                tracing::warn!(target: "qqbot::cluster", shard = id, error = %e, "lease renewal failed");
            }
        }
    }

    fn publish_handles(&self) {
        let handles: Vec<ShardHandle> = self
            .held
            .values()
            .filter_map(|h| match &h.phase {
                Phase::Running(cluster) => cluster.shards().first().cloned(),
                _ => None,
            })
            .collect();
        *self.handles.lock().unwrap_or_else(|p| p.into_inner()) = handles;
    }

    /// Read the members and every shard lease.
    async fn scan(&mut self) -> Result<(Vec<Member>, BTreeMap<u32, Scanned>), StoreError> {
        let now = Instant::now();
        let wall = now_ms();
        let ttl = self.ttl();
        let skew = self.fleet.clock_skew;
        let mut members = Vec::new();
        for key in self.bucket.keys().await? {
            if !key.starts_with("member.") {
                continue;
            }
            self.enforce_fences();
            let Some(read) = self.bucket.get::<Member>(&key).await? else {
                self.seen.remove(&key);
                continue;
            };
            let seen = Observed::update(self.seen.get(&key).copied(), read.revision, now);
            self.seen.insert(key.clone(), seen);
            let Some(member) = read.value else { continue };
            let live = member.owner == self.owner
                || (seen.unchanged_for(now) < ttl
                    && wall <= member.expires_at_ms.saturating_add(skew.as_millis() as i64));
            if live {
                members.push(member);
            } else if seen.unchanged_for(now) >= ttl * 4 {
                // Long gone: tidy up (only if it has not changed meanwhile).
                let _ = self.bucket.delete(&key).await;
            }
        }
        let mut scanned = BTreeMap::new();
        for id in 0..self.count {
            self.enforce_fences();
            if self.held.contains_key(&id) {
                continue;
            }
            let key = shard_key(id);
            let read = self.bucket.get::<Lease>(&key).await?;
            let entry = match read {
                None => {
                    self.seen.remove(&key);
                    Scanned {
                        lease: None,
                        revision: None,
                    }
                }
                Some(read) => {
                    let seen = Observed::update(self.seen.get(&key).copied(), read.revision, now);
                    self.seen.insert(key, seen);
                    let free = lease_is_free(read.value.as_ref(), seen, now, wall, ttl, skew);
                    if !free {
                        continue;
                    }
                    Scanned {
                        lease: read.value,
                        revision: Some(read.revision),
                    }
                }
            };
            scanned.insert(id, entry);
        }
        Ok((members, scanned))
    }

    /// Take free shards up to `target`: released ones first (a clean hand-over), then never
    /// leased ones, then expired ones.
    async fn claim(&mut self, target: u32, free: &BTreeMap<u32, Scanned>) {
        let mut order: Vec<(u8, u32)> = free
            .iter()
            .map(|(id, s)| {
                let rank = match &s.lease {
                    Some(lease) if lease.is_released() => 0,
                    None if s.revision.is_none() => 1,
                    _ => 2,
                };
                (rank, *id)
            })
            .collect();
        order.sort_unstable();
        for (_, id) in order {
            self.enforce_fences();
            if self.held.len() as u32 >= target {
                break;
            }
            if self
                .backoff
                .get(&id)
                .is_some_and(|(until, _)| Instant::now() < *until)
            {
                continue; // it failed to start here a moment ago
            }
            let scanned = &free[&id];
            let previous = scanned.lease.clone();
            let session = previous.as_ref().and_then(|l| {
                (l.count == self.count)
                    .then(|| {
                        l.session_id.clone().map(|session_id| SessionInfo {
                            session_id,
                            last_seq: l.last_seq,
                            shard: self.shard(id),
                        })
                    })
                    .flatten()
            });
            let now = now_ms();
            let lease = Lease {
                owner: Some(self.owner.clone()),
                state: STATE_STARTING.to_owned(),
                count: self.count,
                session_id: session.as_ref().map(|s| s.session_id.clone()),
                last_seq: session.as_ref().and_then(|s| s.last_seq),
                updated_at_ms: now,
                expires_at_ms: now + self.ttl().as_millis() as i64,
            };
            let sent = Instant::now();
            match self
                .bucket
                .cas(&shard_key(id), &lease, scanned.revision)
                .await
            {
                Ok(Cas::Written(revision)) => {
                    notify(
                        &self.fleet,
                        &Notice::Claimed {
                            shard: self.shard(id),
                            from: previous.and_then(|l| l.owner),
                            resume: session.as_ref().map(|s| (s.session_id.clone(), s.last_seq)),
                        },
                    );
                    let task = self.start_shard(id, session.clone());
                    self.held.insert(
                        id,
                        Held {
                            revision,
                            renewed: sent,
                            phase: Phase::Starting(task),
                            written_session: session.as_ref().map(|s| s.session_id.clone()),
                            session,
                        },
                    );
                }
                Ok(Cas::Conflict) => {} // someone else was quicker
                Err(e) => {
                    tracing::warn!(target: "qqbot::cluster", shard = id, error = %e, "lease claim failed");
                    return;
                }
            }
        }
    }

    /// Hand one shard back when this process holds more than its share and another holds less.
    fn rebalance(&mut self, target: u32, members: &[Member]) {
        if self.rounds < 3 || self.held.len() as u32 <= target {
            return;
        }
        let someone_short = members
            .iter()
            .any(|m| m.owner != self.owner && (m.shards.len() as u32) < target);
        if !someone_short {
            return;
        }
        let releasing = self
            .held
            .values()
            .any(|h| matches!(h.phase, Phase::Releasing(_)));
        if releasing {
            return; // one at a time
        }
        let Some((&id, _)) = self
            .held
            .iter()
            .rev()
            .find(|(_, h)| matches!(h.phase, Phase::Running(_)))
        else {
            return;
        };
        let held = self.held.get_mut(&id).expect("held");
        held.refresh_session();
        let Phase::Running(cluster) = std::mem::replace(&mut held.phase, Phase::Fatal) else {
            unreachable!()
        };
        held.phase = Phase::Releasing(tokio::spawn(cluster.shutdown()));
    }

    fn start_shard(
        &self,
        id: u32,
        session: Option<SessionInfo>,
    ) -> JoinHandle<Result<Cluster, StartError>> {
        let mut config = self.base.clone();
        config.shards = ShardSelection::One(self.shard(id));
        config.resume = session.into_iter().collect();
        config.identify_queue = Some(Arc::clone(&self.queue) as _);
        config.gateway_url = Some(
            config
                .gateway_url
                .unwrap_or_else(|| self.gateway_url.clone()),
        );
        let items = self.items.clone();
        tokio::spawn(async move {
            let (cluster, mut rx) = Cluster::start_items(config).await?;
            if let Some(items) = items {
                tokio::spawn(async move {
                    while let Some(item) = rx.recv().await {
                        if items.send(item).await.is_err() {
                            break;
                        }
                    }
                });
            }
            Ok(cluster)
        })
    }

    fn shard(&self, id: u32) -> ShardId {
        ShardId {
            id,
            count: self.count,
        }
    }

    /// Write the lease back without an owner, keeping the session for the next owner.
    async fn release(&self, id: u32, held: Held) {
        let mut lease = self.lease_for(&held, STATE_RELEASED.to_owned());
        lease.owner = None;
        if let Err(e) = self
            .bucket
            .cas(&shard_key(id), &lease, Some(held.revision))
            .await
        {
            tracing::warn!(target: "qqbot::cluster", shard = id, error = %e, "could not hand the lease back; it expires after the TTL");
        }
    }

    async fn shutdown(mut self) -> Vec<SessionInfo> {
        let held = std::mem::take(&mut self.held);
        let stops = held.into_iter().map(|(id, mut held)| async move {
            let phase = std::mem::replace(&mut held.phase, Phase::Fatal);
            let sessions = match phase {
                Phase::Starting(task) => match task.await {
                    Ok(Ok(cluster)) => cluster.shutdown().await,
                    _ => Vec::new(),
                },
                Phase::Running(cluster) => cluster.shutdown().await,
                Phase::Releasing(task) => task.await.unwrap_or_default(),
                Phase::Fatal => Vec::new(),
            };
            if let Some(session) = sessions.into_iter().next() {
                held.session = Some(session);
            }
            (id, held)
        });
        let stopped = futures_util::future::join_all(stops).await;
        let mut sessions = Vec::new();
        for (id, held) in stopped {
            if let Some(session) = &held.session {
                sessions.push(session.clone());
            }
            self.release(id, held).await;
        }
        let _ = self.bucket.delete(&member_key(&self.owner)).await;
        self.handles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.items = None;
        sessions
    }
}

/// Stop a shard whose lease is gone, without waiting (nothing more is written for it).
fn stop_detached(phase: Phase) {
    match phase {
        Phase::Starting(task) => task.abort(),
        Phase::Running(cluster) => {
            tokio::spawn(cluster.shutdown());
        }
        Phase::Releasing(_) | Phase::Fatal => {}
    }
}
