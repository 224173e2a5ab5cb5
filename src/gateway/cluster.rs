//! Many shards behind one item channel: start-up checks, identify spacing, shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::gateway::config::{GatewayConfig, ShardSelection};
use crate::gateway::core::ShardCore;
use crate::gateway::item::{GatewayItem, ShardId};
use crate::gateway::latency::Latency;
use crate::gateway::metrics::ClusterMetrics;
use crate::gateway::queue::{BucketQueue, IdentifyQueue};
use crate::gateway::receiver::{self, Items};
use crate::gateway::session::SessionInfo;
use crate::gateway::shard::{ShardDriver, ShardHandle};
use crate::http::{Api, ApiError, ApiErrorKind, GatewayBot, TokenError, TokenSource};

/// The most shards one process runs (each costs a task, a socket and ~0.5 MiB). A gateway that
/// recommends more (a broken or hostile `/gateway/bot`) is refused before anything is
/// allocated; split a larger bot across processes with `ShardSelection::One`.
pub const MAX_SHARDS_PER_PROCESS: u32 = 4096;

/// HTTP timeout for the token endpoint and `/gateway/bot`.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The app id or secret was refused.
    #[error("authentication failed")]
    Auth(#[source] TokenError),
    /// No token could be fetched for another reason (network, server error).
    #[error("could not get an access token")]
    Token(#[source] TokenError),
    /// `/gateway/bot` refused the token.
    #[error("the gateway endpoint refused the access token")]
    GatewayAuth(#[source] ApiError),
    /// `/gateway/bot` failed.
    #[error("could not get the gateway address")]
    Unreachable(#[source] ApiError),
    /// Not enough session starts left today.
    #[error(
        "session start budget exhausted: {needed} shard(s) must identify but only {remaining} of {total} session starts remain (resets in {} min)",
        reset_after.as_secs() / 60
    )]
    SessionBudget {
        /// Shards that would identify.
        needed: u32,
        /// `session_start_limit.remaining`.
        remaining: u32,
        /// `session_start_limit.total`.
        total: u32,
        /// `session_start_limit.reset_after`.
        reset_after: Duration,
    },
    /// The configuration cannot work.
    #[error("invalid gateway configuration: {0}")]
    Config(String),
    /// More shards than one process runs ([`MAX_SHARDS_PER_PROCESS`]): refused before anything
    /// is allocated. Split the bot across processes with `ShardSelection::One`.
    #[error(
        "{} {count} shards; one process runs at most {MAX_SHARDS_PER_PROCESS}",
        if *recommended { "/gateway/bot recommends" } else { "asked for" }
    )]
    TooManyShards {
        /// The shard count.
        count: u32,
        /// Whether `/gateway/bot` recommended it (else it was asked for).
        recommended: bool,
    },
    /// The trial Identify of `validate_intents` was refused for the intents.
    #[error("the platform does not grant intents {intents}: {answer}")]
    IntentsDenied {
        /// The intents tried.
        intents: crate::protocol::Intents,
        /// What the gateway answered (op 9, close code and reason).
        answer: String,
    },
    /// The trial Identify of `validate_intents` ended without a verdict (token, rate limit,
    /// offline, banned, a broken connection, ...).
    #[error("could not validate the intents: {0}")]
    ValidationFailed(String),
}

impl StartError {
    /// A token that could not be fetched: refused credentials or another failure.
    pub(crate) fn from_token(e: TokenError) -> StartError {
        if e.is_auth() {
            StartError::Auth(e)
        } else {
            StartError::Token(e)
        }
    }

    /// A failed `GET /gateway/bot`: refused credentials (also when the token refresh after a
    /// 401 was refused) or another failure.
    fn from_gateway(e: ApiError) -> StartError {
        let refused_refresh = e.kind() == ApiErrorKind::Token
            && std::error::Error::source(&e)
                .and_then(|s| s.downcast_ref::<TokenError>())
                .is_some_and(TokenError::is_auth);
        if e.kind() == ApiErrorKind::Unauthorized || refused_refresh {
            StartError::GatewayAuth(e)
        } else {
            StartError::Unreachable(e)
        }
    }

    /// Whether the credentials were refused (CLI exit code 4).
    pub fn is_auth(&self) -> bool {
        matches!(self, StartError::Auth(_) | StartError::GatewayAuth(_))
    }
}

/// Fetch a token and `GET /gateway/bot` through the OpenAPI client, which retries once with a
/// fresh token when the API refuses a cached one (401 / 11244).
pub(crate) async fn fetch_gateway(
    config: &GatewayConfig,
) -> Result<(Arc<TokenSource>, GatewayBot), StartError> {
    let client = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .user_agent(concat!("qqbot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| StartError::Config(format!("HTTP client: {e}")))?;
    let tokens = Arc::new(TokenSource::new(
        client.clone(),
        config.token_url.clone(),
        config.app_id.clone(),
        config.secret.clone(),
    ));
    // First the token alone, so refused credentials are told apart from a refused call.
    tokens.token().await.map_err(StartError::from_token)?;
    let api = Api::with_http_client(
        client,
        config.api_base.clone(),
        config.app_id.clone(),
        Arc::clone(&tokens),
    );
    let gateway = api.gateway_bot().await.map_err(StartError::from_gateway)?;
    Ok((tokens, gateway))
}

/// Running shards. Dropping the cluster without [`shutdown`](Cluster::shutdown) also stops the
/// shards (each closes its connection), but nothing waits for them.
#[derive(Debug)]
pub struct Cluster {
    shards: Vec<ShardHandle>,
    tasks: Vec<JoinHandle<Option<SessionInfo>>>,
    shutdown: watch::Sender<bool>,
    tokens: Arc<TokenSource>,
    gateway: GatewayBot,
    started: Instant,
}

impl Cluster {
    /// Fetch a token and `/gateway/bot`, check the session budget, start the shards.
    ///
    /// Items from every shard arrive on the returned receiver (capacity `event_buffer_size`), in
    /// order per shard. A task moves them there from [`Items`], which holds as many again, so
    /// up to twice `event_buffer_size` items wait before the shards stop reading; a consumer that
    /// takes [`start_items`](Self::start_items) instead saves that hop and that buffer (the CLI
    /// and `Client` do).
    pub async fn start(
        config: GatewayConfig,
    ) -> Result<(Cluster, mpsc::Receiver<GatewayItem>), StartError> {
        let capacity = config.event_buffer_size.max(1);
        let (cluster, mut items) = Cluster::start_items(config).await?;
        let (tx, rx) = mpsc::channel(capacity);
        tokio::spawn(async move {
            while let Some(item) = items.recv().await {
                if tx.send(item).await.is_err() {
                    break; // the receiver is gone; dropping `items` tells the shards
                }
            }
        });
        Ok((cluster, rx))
    }

    /// [`start`](Self::start), returning the shards' own receiver: items come a burst at a time
    /// (room for `event_buffer_size` items), in order per shard, each dispatch's `d` checked on
    /// the receiving thread.
    pub async fn start_items(config: GatewayConfig) -> Result<(Cluster, Items), StartError> {
        let (tokens, gateway) = fetch_gateway(&config).await?;

        let shards = select_shards(config.shards, gateway.shards)?;
        let resume_for = |shard: ShardId| config.resume.iter().find(|s| s.shard == shard).cloned();
        let needed = shards.iter().filter(|s| resume_for(**s).is_none()).count() as u32
            + u32::from(config.validate_intents);
        let limit = gateway.session_start_limit;
        if needed > limit.remaining {
            return Err(StartError::SessionBudget {
                needed,
                remaining: limit.remaining,
                total: limit.total,
                reset_after: Duration::from_millis(limit.reset_after),
            });
        }

        let url: Arc<str> = Arc::from(
            config
                .gateway_url
                .clone()
                .unwrap_or_else(|| gateway.url.clone()),
        );
        let queue: Arc<dyn IdentifyQueue> = config
            .identify_queue
            .clone()
            .unwrap_or_else(|| Arc::new(BucketQueue::new(limit.max_concurrency)));
        if config.validate_intents {
            let token = tokens.token().await.map_err(StartError::from_token)?;
            validate(&config, &url, &token, &*queue, shards[0]).await?;
        }
        let (tx, rx) = receiver::channel(config.event_buffer_size);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut handles = Vec::with_capacity(shards.len());
        let mut tasks = Vec::with_capacity(shards.len());
        for shard in shards {
            let core = ShardCore::new(
                shard,
                config.intents,
                config.heartbeat.clone(),
                config.reconnect.clone(),
                resume_for(shard),
            )
            .with_heartbeat_cursor(config.heartbeat_cursor.clone())
            // Its items reach the consumer through `Items`, which checks what is deferred.
            .defer_checks();
            let (driver, handle) = ShardDriver::new(
                core,
                Arc::clone(&tokens),
                Arc::clone(&url),
                Arc::clone(&queue),
                shutdown_rx.clone(),
                tx.clone(),
                config.frame_tap.clone(),
            );
            tasks.push(tokio::spawn(driver.run()));
            handles.push(handle);
        }
        let cluster = Cluster {
            shards: handles,
            tasks,
            shutdown,
            tokens,
            gateway,
            started: Instant::now(),
        };
        Ok((cluster, rx))
    }

    /// Metrics per shard and in total.
    pub fn metrics(&self) -> ClusterMetrics {
        ClusterMetrics::collect(&self.shards, self.started.elapsed())
    }

    /// Sessions held by the shards (write them to a state file to resume after a restart).
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.shards
            .iter()
            .filter_map(ShardHandle::session_info)
            .collect()
    }

    /// Whether every shard has a running session.
    pub fn is_connected(&self) -> bool {
        self.shards.iter().all(ShardHandle::is_connected)
    }

    /// Read handles on the shards.
    pub fn shards(&self) -> &[ShardHandle] {
        &self.shards
    }

    /// What `/gateway/bot` said at start-up.
    pub fn gateway(&self) -> &GatewayBot {
        &self.gateway
    }

    /// The token source the shards use (share it with an OpenAPI client: one cache, one refresh).
    pub fn token_source(&self) -> Arc<TokenSource> {
        Arc::clone(&self.tokens)
    }

    /// Time left on the cached access token.
    pub fn token_ttl(&self) -> Option<Duration> {
        self.tokens.time_to_live()
    }

    /// Whether every shard task has ended (all fatally closed).
    pub fn is_finished(&self) -> bool {
        self.tasks.iter().all(JoinHandle::is_finished)
    }

    /// Close every connection cleanly and wait for the shards; returns the sessions, still resumable.
    pub async fn shutdown(self) -> Vec<SessionInfo> {
        let _ = self.shutdown.send(true);
        let mut sessions = Vec::new();
        for task in self.tasks {
            if let Ok(Some(session)) = task.await {
                sessions.push(session);
            }
        }
        sessions
    }
}

impl ClusterMetrics {
    /// Snapshots of running shards, with the latency histograms merged for the totals.
    pub fn collect(shards: &[ShardHandle], uptime: Duration) -> ClusterMetrics {
        let mut latency = Latency::new();
        let snapshots = shards
            .iter()
            .map(|h| {
                latency.merge(&h.latency());
                h.metrics()
            })
            .collect();
        ClusterMetrics::from_shards(snapshots, latency.summary(), uptime)
    }
}

/// How long the trial Identify of `validate_intents` may take.
const VALIDATE_TIMEOUT: Duration = Duration::from_secs(20);

/// The trial Identify of `validate_intents`, spaced through the shards' identify queue.
async fn validate(
    config: &GatewayConfig,
    url: &str,
    token: &crate::Secret,
    queue: &dyn IdentifyQueue,
    first: ShardId,
) -> Result<(), StartError> {
    use crate::gateway::probe::{TrialOutcome, Verdict, validate_intents};
    // The trial takes the first shard's identify slot; that shard then waits for the next one.
    queue.acquire(first).await;
    tracing::debug!(
        intents = config.intents.bits(),
        "validating intents with a trial identify"
    );
    let outcome = validate_intents(url, token, config.intents, VALIDATE_TIMEOUT)
        .await
        .map_err(|e| StartError::ValidationFailed(crate::gateway::shard::error_chain(&e)))?;
    let answer = match &outcome {
        TrialOutcome::Ready { .. } => return Ok(()),
        TrialOutcome::InvalidSession { code, reason } => match code {
            Some(code) => format!("op 9, then close {code} \"{reason}\""),
            None => "op 9 (invalid session)".to_owned(),
        },
        TrialOutcome::Closed { code, reason } => match code {
            Some(code) => format!("close {code} \"{reason}\""),
            None => format!("connection ended: {reason}"),
        },
    };
    match outcome.verdict() {
        Verdict::Denied => Err(StartError::IntentsDenied {
            intents: config.intents,
            answer,
        }),
        _ => Err(StartError::ValidationFailed(answer)),
    }
}

fn select_shards(selection: ShardSelection, recommended: u32) -> Result<Vec<ShardId>, StartError> {
    let too_many = |count: u32, recommended: bool| StartError::TooManyShards { count, recommended };
    match selection {
        ShardSelection::Auto if recommended > MAX_SHARDS_PER_PROCESS => {
            Err(too_many(recommended, true))
        }
        ShardSelection::Count(n) if n > MAX_SHARDS_PER_PROCESS => Err(too_many(n, false)),
        ShardSelection::Auto => Ok(all(recommended.max(1))),
        ShardSelection::Count(0) => {
            Err(StartError::Config("shard count must be at least 1".into()))
        }
        ShardSelection::Count(n) => Ok(all(n)),
        ShardSelection::One(shard) if shard.id >= shard.count => Err(StartError::Config(format!(
            "shard {shard} does not exist: the id must be below the count"
        ))),
        ShardSelection::One(shard) => Ok(vec![shard]),
    }
}

fn all(count: u32) -> Vec<ShardId> {
    (0..count).map(|id| ShardId { id, count }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_selection() {
        assert_eq!(
            select_shards(ShardSelection::Auto, 0).unwrap(),
            vec![ShardId::ONE]
        );
        assert_eq!(select_shards(ShardSelection::Auto, 3).unwrap().len(), 3);
        assert_eq!(
            select_shards(ShardSelection::Count(2), 9).unwrap()[1],
            ShardId { id: 1, count: 2 }
        );
        let one = ShardId { id: 2, count: 4 };
        assert_eq!(
            select_shards(ShardSelection::One(one), 1).unwrap(),
            vec![one]
        );
        assert!(select_shards(ShardSelection::One(ShardId { id: 4, count: 4 }), 1).is_err());
        assert!(select_shards(ShardSelection::Count(0), 1).is_err());
        let absurd = select_shards(ShardSelection::Auto, 100_000).unwrap_err();
        assert!(
            absurd.to_string().contains("recommends 100000 shards"),
            "{absurd}"
        );
        assert!(select_shards(ShardSelection::Count(u32::MAX), 1).is_err());
        let one = ShardId {
            id: 7,
            count: 100_000,
        };
        assert_eq!(
            select_shards(ShardSelection::One(one), 100_000).unwrap(),
            vec![one],
            "one shard of a huge bot is fine"
        );
    }

    #[test]
    fn budget_error_reads_clearly() {
        let e = StartError::SessionBudget {
            needed: 4,
            remaining: 2,
            total: 1000,
            reset_after: Duration::from_secs(3600),
        };
        assert_eq!(
            e.to_string(),
            "session start budget exhausted: 4 shard(s) must identify but only 2 of 1000 session starts remain (resets in 60 min)"
        );
    }
}
