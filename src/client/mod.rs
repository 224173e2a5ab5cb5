//! The bot-author facade: a [`Client`] runs the gateway and calls your [`EventHandler`].
//!
//! ```no_run
//! use qqbot::client::{Client, Context, Environment, EventHandler, HandlerResult, Token};
//! use qqbot::http::api::MessageBody;
//! use qqbot::models::GroupMessage;
//! use qqbot::protocol::Intents;
//!
//! struct Bot;
//!
//! impl EventHandler for Bot {
//!     async fn group_at_message_create(&self, ctx: Context, message: GroupMessage) -> HandlerResult {
//!         if message.content.trim() == "/ping" {
//!             ctx.reply_group(&message, MessageBody::text("pong")).await?;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # async fn run() -> Result<(), qqbot::client::ClientError> {
//! let token = Token::new("102000000", "app-secret");
//! let intents = Intents::parse("public_guild_messages,group_and_c2c").unwrap();
//! Client::new(token, intents, Bot, Environment::Production).start().await
//! # }
//! ```
//!
//! Handlers run off the read loop, each event on its own task, at most
//! [`Client::with_max_concurrent_handlers`] at a time (the loop waits for a free slot, so a slow
//! bot pushes back into the gateway's bounded buffer; when that is full the shards stop reading
//! their sockets until there is room, heartbeating meanwhile: nothing is dropped). A handler that
//! returns an error or panics is reported to [`EventHandler::error`]; the client keeps running.
//! Because events are handled concurrently, two events may finish out of order; use
//! [`Context::seq`] where order matters, or `with_max_concurrent_handlers(1)` for strict order.

mod context;
mod dispatch;
mod handler;
mod session;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};

use crate::Secret;
pub use crate::endpoints::Environment;
use crate::gateway::{
    Cluster, ClusterMetrics, FatalCause, GatewayConfig, HeartbeatConfig, ItemKind, ReconnectConfig,
    SessionInfo, ShardId, ShardSelection, StartError,
};
use crate::http::api::Api;
use crate::protocol::Intents;

pub use crate::endpoints::TOKEN_URL;

pub use context::Context;
use dispatch::handle_item;
pub use handler::{EventHandler, HandlerError, HandlerResult};
pub use session::SessionSummary;
use session::Shared;

/// Default number of handler tasks running at once.
pub const DEFAULT_MAX_CONCURRENT_HANDLERS: usize = 64;

/// How long a stopping client waits for running handlers.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// App credentials: the app id and the app secret. `Debug` never shows the secret.
#[derive(Clone, Debug)]
pub struct Token {
    app_id: String,
    secret: Secret,
}

impl Token {
    /// Credentials from the QQ console (AppID, AppSecret).
    pub fn new(app_id: impl Into<String>, secret: impl Into<Secret>) -> Token {
        Token {
            app_id: app_id.into(),
            secret: secret.into(),
        }
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The app secret (redacted in `Debug`/`Display`).
    pub fn secret(&self) -> &Secret {
        &self.secret
    }
}

/// Why [`Client::start`] returned with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The gateway could not start (token, `/gateway/bot`, session budget, configuration).
    #[error("could not start the gateway")]
    Start(#[source] StartError),
    /// The gateway stopped for good (a fatal close code, or out of reconnect attempts).
    #[error("gateway stopped: {reason}")]
    Fatal {
        /// Why.
        reason: String,
        /// What to do.
        hint: Option<String>,
        /// The close code behind it.
        code: Option<u16>,
        /// Why, typed.
        cause: FatalCause,
    },
}

/// Connection diagnostics over all shards ([`Client::diagnostics`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostics {
    /// TCP/WebSocket connection attempts.
    pub connect_attempts: u64,
    /// Attempts that reached the gateway.
    pub connect_successes: u64,
    /// Successes over attempts (`None` before the first attempt).
    pub success_rate: Option<f64>,
    /// Dispatches per second over the last full second.
    pub events_per_sec: f64,
    /// Connections lost (and re-established) after the first.
    pub reconnects: u64,
    /// Sessions resumed.
    pub resumes: u64,
    /// Shards with a running session.
    pub active_shards: usize,
    /// Shards run.
    pub shards: usize,
}

/// Stops a running client from elsewhere (a signal handler, a test).
#[derive(Clone, Debug)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Ask the client to stop: the read loop ends, running handlers get up to 10 s, connections
    /// close cleanly.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

/// How the read loop ended.
enum LoopEnd {
    Shutdown,
    Closed,
    Fatal(ClientError),
}

/// Runs the gateway and your handler. See the [module docs](self).
///
/// Built with [`Client::new`] (credentials, intents, handler, [`Environment`]) or
/// [`Client::new_with_shard`], then configured with:
///
/// | Builder option | Default |
/// |---|---|
/// | [`with_shards`](Client::with_shards) | `ShardSelection::Auto` (what `/gateway/bot` recommends) |
/// | [`with_reconnect`](Client::with_reconnect) | never give up; 1 s → 30 s backoff with jitter; stable after 5 s |
/// | [`with_heartbeat`](Client::with_heartbeat) | interval from Hello; a beat not ACKed by the next one is a zombie |
/// | [`with_event_buffer_size`](Client::with_event_buffer_size) | 1000 items (backpressure beyond it, no drops) |
/// | [`with_max_concurrent_handlers`](Client::with_max_concurrent_handlers) | 64 |
/// | [`with_resume`](Client::with_resume) | none: every shard identifies |
/// | [`with_intent_validation`](Client::with_intent_validation) | off: connect without a trial Identify |
/// | [`with_api_base`](Client::with_api_base) | the [`Environment`]'s OpenAPI |
/// | [`with_token_url`](Client::with_token_url) | `https://bots.qq.com/app/getAppAccessToken` |
/// | [`with_gateway_url`](Client::with_gateway_url) | the URL `/gateway/bot` returns |
///
/// While [`start`](Client::start) runs: [`metrics`](Client::metrics),
/// [`diagnostics`](Client::diagnostics), [`is_connected`](Client::is_connected),
/// [`shard_connected`](Client::shard_connected), [`get_session_info`](Client::get_session_info)
/// and [`shutdown_handle`](Client::shutdown_handle).
pub struct Client<H: EventHandler> {
    token: Token,
    intents: Intents,
    handler: Arc<H>,
    environment: Environment,
    shards: ShardSelection,
    api_base: Option<String>,
    token_url: Option<String>,
    gateway_url: Option<String>,
    max_concurrent: usize,
    event_buffer_size: usize,
    reconnect: ReconnectConfig,
    heartbeat: HeartbeatConfig,
    resume: Vec<SessionInfo>,
    validate_intents: bool,
    shared: Arc<Shared>,
    shutdown: Arc<watch::Sender<bool>>,
}

impl<H: EventHandler> fmt::Debug for Client<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("token", &self.token)
            .field("intents", &self.intents)
            .field("environment", &self.environment)
            .field("shards", &self.shards)
            .field("api_base", &self.api_base())
            .finish_non_exhaustive()
    }
}

impl<H: EventHandler> Client<H> {
    /// A client for all shards `/gateway/bot` recommends, on the production or sandbox
    /// platform.
    pub fn new(token: Token, intents: Intents, handler: H, environment: Environment) -> Client<H> {
        Client {
            token,
            intents,
            handler: Arc::new(handler),
            environment,
            shards: ShardSelection::Auto,
            api_base: None,
            token_url: None,
            gateway_url: None,
            max_concurrent: DEFAULT_MAX_CONCURRENT_HANDLERS,
            event_buffer_size: 1000,
            reconnect: ReconnectConfig::default(),
            heartbeat: HeartbeatConfig::default(),
            resume: Vec::new(),
            validate_intents: false,
            shared: Arc::new(Shared::new()),
            shutdown: Arc::new(watch::channel(false).0),
        }
    }

    /// A client running exactly one shard (to spread shards over processes).
    pub fn new_with_shard(
        token: Token,
        intents: Intents,
        handler: H,
        environment: Environment,
        shard: ShardId,
    ) -> Client<H> {
        Client {
            shards: ShardSelection::One(shard),
            ..Client::new(token, intents, handler, environment)
        }
    }

    /// Use this OpenAPI base (e.g. an emulator's `http://127.0.0.1:PORT`).
    pub fn with_api_base(mut self, api_base: impl Into<String>) -> Client<H> {
        self.api_base = Some(api_base.into());
        self
    }

    /// Use this token endpoint (e.g. an emulator's `…/app/getAppAccessToken`).
    pub fn with_token_url(mut self, token_url: impl Into<String>) -> Client<H> {
        self.token_url = Some(token_url.into());
        self
    }

    /// Connect to this gateway URL instead of the one `/gateway/bot` returns.
    pub fn with_gateway_url(mut self, gateway_url: impl Into<String>) -> Client<H> {
        self.gateway_url = Some(gateway_url.into());
        self
    }

    /// At most `n` handler tasks at once (default 64; at least 1).
    pub fn with_max_concurrent_handlers(mut self, n: usize) -> Client<H> {
        self.max_concurrent = n.max(1);
        self
    }

    /// Capacity of the buffer between the gateway and the handlers (default 1000).
    pub fn with_event_buffer_size(mut self, n: usize) -> Client<H> {
        self.event_buffer_size = n.max(1);
        self
    }

    /// Which shards to run: `ShardSelection::Auto` (the default: what `/gateway/bot`
    /// recommends), `Count(n)` (all n shards in this process, identifies spaced per
    /// `max_concurrency`), or `One(shard)` (one shard of a bot split across processes).
    pub fn with_shards(mut self, shards: ShardSelection) -> Client<H> {
        self.shards = shards;
        self
    }

    /// The reconnect policy (default: never give up on transport errors, exponential backoff
    /// from 1 s to 30 s with jitter, a connection counts as stable after 5 s). Only fatal close
    /// codes, identify rejections and refused credentials stop the client unless
    /// `max_attempts` is set.
    pub fn with_reconnect(mut self, reconnect: ReconnectConfig) -> Client<H> {
        self.reconnect = reconnect;
        self
    }

    /// Heartbeat tuning: ACK timeout and missed ACKs before a connection counts as a zombie
    /// (the interval itself comes from Hello).
    pub fn with_heartbeat(mut self, heartbeat: HeartbeatConfig) -> Client<H> {
        self.heartbeat = heartbeat;
        self
    }

    /// Resume these sessions (saved from [`SessionSummary::resume_info`] before a restart)
    /// instead of identifying anew; shards without one identify.
    pub fn with_resume(mut self, sessions: Vec<SessionInfo>) -> Client<H> {
        self.resume = sessions;
        self
    }

    /// Validate, then connect: [`start`](Client::start) first runs one trial Identify with the
    /// intents and fails with [`ClientError::Start`]
    /// ([`StartError::IntentsDenied`]) when the platform does not grant them, before any shard
    /// connects. The trial waits on the identify queue the shards use (so the first shard is
    /// not refused with 4008) and its session is closed with 1000, so the platform does not
    /// keep events for it. It costs one session start from the daily budget.
    pub fn with_intent_validation(mut self, validate: bool) -> Client<H> {
        self.validate_intents = validate;
        self
    }

    /// The OpenAPI base in use.
    pub fn api_base(&self) -> &str {
        match &self.api_base {
            Some(base) => base,
            None => self.environment.api_base(),
        }
    }

    /// The token endpoint in use.
    pub fn token_url(&self) -> &str {
        self.token_url
            .as_deref()
            .unwrap_or(self.environment.token_url())
    }

    /// Whether every shard has a live session, as the shards' published state changes (`state`
    /// items) say. A client fed with [`run_items`](Client::run_items) from a source that holds
    /// no gateway connection (a `NatsSource`, webhook items) sees no state changes, so this
    /// stays `false` there unless the source forwards them.
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// Gateway metrics per shard and in total, while the client runs (`None` before `start` or
    /// with `run_items`): events received and handed on, reconnects, resumes, op 7 requests,
    /// zombies, heartbeat latency, read pauses (backpressure), events per second.
    pub fn metrics(&self) -> Option<ClusterMetrics> {
        self.shared.metrics()
    }

    /// Connection diagnostics: attempts, successes, success rate and event rate over all shards.
    pub fn diagnostics(&self) -> Option<Diagnostics> {
        self.shared.metrics().map(|m| Diagnostics {
            connect_attempts: m.total.connect_attempts,
            connect_successes: m.total.connect_successes,
            success_rate: m.total.success_rate(),
            events_per_sec: m.total.events_per_sec,
            reconnects: m.total.reconnects,
            resumes: m.total.resumes,
            active_shards: m.total.active_shards,
            shards: m.total.shards,
        })
    }

    /// Whether `shard` has a running session.
    pub fn shard_connected(&self, shard: ShardId) -> bool {
        self.shared.shard_connected(shard)
    }

    /// Session state per shard.
    pub fn get_session_info(&self) -> Vec<SessionSummary> {
        self.shared.sessions()
    }

    /// Dispatches seen so far.
    pub fn dispatches_seen(&self) -> u64 {
        self.shared.dispatches.load(Ordering::Relaxed)
    }

    /// Handler errors and panics so far.
    pub fn handler_errors(&self) -> u64 {
        self.shared.handler_errors.load(Ordering::Relaxed)
    }

    /// A handle that stops [`Client::start`] / [`Client::run_items`].
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(Arc::clone(&self.shutdown))
    }

    /// Connect (fetch a token and `/gateway/bot`, start the shards) and run the handler until
    /// a shard stops fatally or [`ShutdownHandle::shutdown`] is called; then close the
    /// connections cleanly. Reconnects and resumes happen inside; the handler sees them through
    /// [`EventHandler::lifecycle`], [`EventHandler::ready`] and [`EventHandler::resumed`].
    pub async fn start(&self) -> Result<(), ClientError> {
        let mut config = GatewayConfig::new(
            self.token.app_id.clone(),
            self.token.secret.clone(),
            self.api_base(),
            self.token_url(),
        );
        config.intents = self.intents;
        config.shards = self.shards;
        config.gateway_url = self.gateway_url.clone();
        config.event_buffer_size = self.event_buffer_size;
        config.reconnect = self.reconnect.clone();
        config.heartbeat = self.heartbeat.clone();
        config.resume = self.resume.clone();
        config.validate_intents = self.validate_intents;
        let (cluster, items) = Cluster::start_items(config)
            .await
            .map_err(ClientError::Start)?;
        *self.shared.shards.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((cluster.shards().to_vec(), tokio::time::Instant::now()));
        // One token cache for the gateway and the API: a refresh on either side serves both.
        let api = Api::new(
            self.api_base().to_owned(),
            self.token.app_id.clone(),
            cluster.token_source(),
        );
        let end = self.pump(api, items).await;
        cluster.shutdown().await;
        self.shared.disconnect_all();
        match end {
            LoopEnd::Shutdown | LoopEnd::Closed => Ok(()),
            LoopEnd::Fatal(error) => Err(error),
        }
    }

    /// Feed the handler from an item stream you supply (a webhook receiver, a replay, a test)
    /// with `api` for replies, until the stream ends, a fatal item arrives, or shutdown.
    /// Waits (up to 10 s) for running handlers before returning. Connection state
    /// ([`is_connected`](Client::is_connected)) follows the stream's `state` items; a stream
    /// without them reads as not connected.
    pub async fn run_items(
        &self,
        api: Api,
        items: impl Into<crate::gateway::Items>,
    ) -> Result<(), ClientError> {
        match self.pump(api, items.into()).await {
            LoopEnd::Shutdown | LoopEnd::Closed => Ok(()),
            LoopEnd::Fatal(error) => Err(error),
        }
    }

    async fn pump(&self, api: Api, mut items: crate::gateway::Items) -> LoopEnd {
        let permits = Arc::new(Semaphore::new(self.max_concurrent));
        let mut stop = self.shutdown.subscribe();
        let end = loop {
            let item = tokio::select! {
                biased;
                _ = stop.wait_for(|stop| *stop) => break LoopEnd::Shutdown,
                item = items.recv() => match item {
                    Some(item) => item,
                    None => break LoopEnd::Closed,
                },
            };
            self.shared.observe(&item);
            let fatal = match &item.kind {
                ItemKind::Fatal {
                    reason,
                    hint,
                    code,
                    cause,
                } => Some(ClientError::Fatal {
                    reason: reason.clone(),
                    hint: hint.clone(),
                    code: *code,
                    cause: *cause,
                }),
                _ => None,
            };
            let permit = tokio::select! {
                biased;
                _ = stop.wait_for(|stop| *stop) => break LoopEnd::Shutdown,
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break LoopEnd::Closed,
                },
            };
            let ctx = Context::new(api.clone(), Arc::clone(&self.shared), &item);
            let handler = Arc::clone(&self.handler);
            let shared = Arc::clone(&self.shared);
            if matches!(item.kind, ItemKind::Dispatch(_)) {
                tokio::spawn(async move {
                    handle_item(&*handler, &shared, ctx, item).await;
                    drop(permit);
                });
            } else {
                // Lifecycle callbacks run in order (a "resumed" never before its "resume").
                handle_item(&*handler, &shared, ctx, item).await;
                drop(permit);
            }
            if let Some(fatal) = fatal {
                break LoopEnd::Fatal(fatal);
            }
        };
        // Let running handlers finish (bounded), so their replies are not cut off.
        let all = u32::try_from(self.max_concurrent).unwrap_or(u32::MAX);
        if tokio::time::timeout(DRAIN_TIMEOUT, permits.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("handlers still running after {DRAIN_TIMEOUT:?}; not waiting longer");
        }
        end
    }
}
