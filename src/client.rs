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

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::Secret;
pub use crate::endpoints::Environment;
use crate::gateway::{
    Cluster, ClusterMetrics, Dispatch, FatalCause, GatewayConfig, GatewayItem, HeartbeatConfig,
    ItemKind, ReconnectConfig, SessionInfo, ShardHandle, ShardId, ShardSelection, StartError,
};
use crate::http::api::{Api, MessageBody, SendOutcome, SentMessage};
use crate::http::error::{ApiError, BoxError};
use crate::models::{
    C2cMessage, Channel, Event, FriendEvent, GroupMessage, GroupRobotEvent, Guild, GuildMember,
    Interaction, Message, MessageAudit, MessageDelete, MessageReaction, ModelError, Ready,
    ReadyUser,
};
use crate::protocol::Intents;

pub use crate::endpoints::TOKEN_URL;

/// Default number of handler tasks running at once.
pub const DEFAULT_MAX_CONCURRENT_HANDLERS: usize = 64;

/// How long a stopping client waits for running handlers.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What a handler returns: `Err` is reported to [`EventHandler::error`], never fatal.
pub type HandlerResult = Result<(), BoxError>;

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

/// Why a handler did not finish cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The handler returned `Err`.
    #[error("handler {handler} failed")]
    Failed {
        /// Which handler method.
        handler: &'static str,
        /// What it returned.
        #[source]
        source: BoxError,
    },
    /// The handler panicked.
    #[error("handler {handler} panicked: {message}")]
    Panicked {
        /// Which handler method.
        handler: &'static str,
        /// The panic message.
        message: String,
    },
    /// The event's `d` could not be typed (its raw form still went to `dispatch`).
    #[error("cannot type the event for its handler")]
    BadPayload(#[source] ModelError),
}

/// Your bot. Every method has a no-op default; implement the ones you need with `async fn`.
///
/// Each event goes to [`EventHandler::dispatch`] (raw, every `t`, known or not) and then to its
/// typed method. Lifecycle items (connected, closed, backoff, fatal, ...) go to
/// [`EventHandler::lifecycle`]. Futures must be `Send`: handlers run on spawned tasks.
#[allow(unused_variables)]
pub trait EventHandler: Send + Sync + 'static {
    /// A shard got READY (a new session).
    fn ready(&self, ctx: Context, ready: Ready) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// A shard resumed its session.
    fn resumed(&self, ctx: Context) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `AT_MESSAGE_CREATE`.
    fn at_message_create(
        &self,
        ctx: Context,
        message: Message,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_CREATE`.
    fn message_create(
        &self,
        ctx: Context,
        message: Message,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `DIRECT_MESSAGE_CREATE`.
    fn direct_message_create(
        &self,
        ctx: Context,
        message: Message,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GROUP_AT_MESSAGE_CREATE` (and `GROUP_MESSAGE_CREATE`).
    fn group_at_message_create(
        &self,
        ctx: Context,
        message: GroupMessage,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `C2C_MESSAGE_CREATE`.
    fn c2c_message_create(
        &self,
        ctx: Context,
        message: C2cMessage,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_CREATE`.
    fn guild_create(
        &self,
        ctx: Context,
        guild: Guild,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_UPDATE`.
    fn guild_update(
        &self,
        ctx: Context,
        guild: Guild,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_DELETE`.
    fn guild_delete(
        &self,
        ctx: Context,
        guild: Guild,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `CHANNEL_CREATE`.
    fn channel_create(
        &self,
        ctx: Context,
        channel: Channel,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `CHANNEL_UPDATE`.
    fn channel_update(
        &self,
        ctx: Context,
        channel: Channel,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `CHANNEL_DELETE`.
    fn channel_delete(
        &self,
        ctx: Context,
        channel: Channel,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_MEMBER_ADD`.
    fn guild_member_add(
        &self,
        ctx: Context,
        member: GuildMember,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_MEMBER_UPDATE`.
    fn guild_member_update(
        &self,
        ctx: Context,
        member: GuildMember,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_MEMBER_REMOVE`.
    fn guild_member_remove(
        &self,
        ctx: Context,
        member: GuildMember,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_REACTION_ADD`.
    fn message_reaction_add(
        &self,
        ctx: Context,
        reaction: MessageReaction,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_REACTION_REMOVE`.
    fn message_reaction_remove(
        &self,
        ctx: Context,
        reaction: MessageReaction,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `INTERACTION_CREATE`. Acknowledge it with [`Api::ack_interaction`].
    fn interaction_create(
        &self,
        ctx: Context,
        interaction: Interaction,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `FRIEND_ADD`.
    fn friend_add(
        &self,
        ctx: Context,
        event: FriendEvent,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `FRIEND_DEL`.
    fn friend_del(
        &self,
        ctx: Context,
        event: FriendEvent,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `C2C_MSG_REJECT` / `C2C_MSG_RECEIVE`: the user turned proactive messages off / on.
    fn c2c_msg_setting(
        &self,
        ctx: Context,
        event: FriendEvent,
        receive: bool,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GROUP_ADD_ROBOT`.
    fn group_add_robot(
        &self,
        ctx: Context,
        event: GroupRobotEvent,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GROUP_DEL_ROBOT`.
    fn group_del_robot(
        &self,
        ctx: Context,
        event: GroupRobotEvent,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GROUP_MSG_REJECT` / `GROUP_MSG_RECEIVE`: the group turned proactive messages off / on.
    fn group_msg_setting(
        &self,
        ctx: Context,
        event: GroupRobotEvent,
        receive: bool,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_DELETE`, `PUBLIC_MESSAGE_DELETE` and `DIRECT_MESSAGE_DELETE`
    /// (tell them apart with [`Context::event_type`]).
    fn message_delete(
        &self,
        ctx: Context,
        event: MessageDelete,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_AUDIT_PASS`.
    fn message_audit_pass(
        &self,
        ctx: Context,
        audit: MessageAudit,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_AUDIT_REJECT`.
    fn message_audit_reject(
        &self,
        ctx: Context,
        audit: MessageAudit,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// Every dispatch, raw and byte-exact, before its typed method: including `t` values qqbot
    /// has no model for.
    fn dispatch(
        &self,
        ctx: Context,
        dispatch: Dispatch,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// Every non-dispatch item: connected, hello, ready, resumed, closed, backoff, lagged, errors,
    /// fatal.
    fn lifecycle(
        &self,
        ctx: Context,
        item: GatewayItem,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// A handler failed or panicked, or an event could not be typed. The default logs a warning.
    fn error(&self, ctx: Context, error: HandlerError) -> impl Future<Output = ()> + Send {
        tracing::warn!(
            event = ctx.event_type().unwrap_or("-"),
            event_id = ctx.event_id().unwrap_or("-"),
            error = %error,
            source = ?std::error::Error::source(&error).map(ToString::to_string),
            "event handler error"
        );
        async {}
    }
}

/// Counters and session state shared by the client, its contexts and its handle.
#[derive(Debug)]
struct Shared {
    started: Instant,
    dispatches: AtomicU64,
    handler_errors: AtomicU64,
    connected: AtomicBool,
    sessions: Mutex<Vec<SessionSummary>>,
    /// The running shards (set once the gateway started): live metrics and per-shard state.
    shards: Mutex<Option<(Vec<ShardHandle>, tokio::time::Instant)>>,
}

impl Shared {
    fn new() -> Shared {
        Shared {
            started: Instant::now(),
            dispatches: AtomicU64::new(0),
            handler_errors: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            sessions: Mutex::new(Vec::new()),
            shards: Mutex::new(None),
        }
    }

    /// Update session state from one item (on the read loop, before the handler runs).
    fn observe(&self, item: &GatewayItem) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let slot = |sessions: &mut Vec<SessionSummary>| -> usize {
            match sessions.iter().position(|s| s.shard == item.shard) {
                Some(i) => i,
                None => {
                    sessions.push(SessionSummary {
                        shard: item.shard,
                        session_id: None,
                        bot: None,
                        connected: false,
                        last_seq: None,
                    });
                    sessions.len() - 1
                }
            }
        };
        match &item.kind {
            ItemKind::Dispatch(dispatch) => {
                self.dispatches.fetch_add(1, Ordering::Relaxed);
                let i = slot(&mut sessions);
                if dispatch.seq.is_some() {
                    sessions[i].last_seq = dispatch.seq;
                }
            }
            ItemKind::Ready {
                session_id,
                user_id,
                username,
                ..
            } => {
                let i = slot(&mut sessions);
                sessions[i].session_id = Some(session_id.clone());
                sessions[i].bot = Some(ReadyUser {
                    id: user_id.clone(),
                    username: username.clone(),
                    bot: true,
                });
            }
            // The core publishes its state; the client reads it rather than re-deriving it.
            ItemKind::StateChange { to, .. } => {
                let i = slot(&mut sessions);
                sessions[i].connected = to.is_active();
            }
            _ => return,
        }
        let all = !sessions.is_empty() && sessions.iter().all(|s| s.connected);
        self.connected.store(all, Ordering::Relaxed);
    }

    /// The client stopped: no session is live any more (resume info is kept).
    fn disconnect_all(&self) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        for session in sessions.iter_mut() {
            session.connected = false;
        }
        self.connected.store(false, Ordering::Relaxed);
    }

    fn metrics(&self) -> Option<ClusterMetrics> {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        let (handles, started) = shards.as_ref()?;
        Some(ClusterMetrics::collect(handles, started.elapsed()))
    }

    fn shard_connected(&self, shard: ShardId) -> bool {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        match shards.as_ref() {
            Some((handles, _)) => handles
                .iter()
                .any(|h| h.shard() == shard && h.is_connected()),
            // An item stream fed by hand (`run_items`): what its lifecycle items said.
            None => self
                .sessions()
                .iter()
                .any(|s| s.shard == shard && s.connected),
        }
    }

    fn sessions(&self) -> Vec<SessionSummary> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// What the client knows about one shard's session, from the items it has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    /// The shard.
    pub shard: ShardId,
    /// Session id from the last READY.
    pub session_id: Option<String>,
    /// The bot user from the last READY.
    pub bot: Option<ReadyUser>,
    /// Whether the session is up (READY or RESUMED seen, no close since).
    pub connected: bool,
    /// Last `s` seen.
    pub last_seq: Option<u64>,
}

impl SessionSummary {
    /// What [`Client::with_resume`] needs to resume this session after a restart.
    pub fn resume_info(&self) -> Option<SessionInfo> {
        Some(SessionInfo {
            session_id: self.session_id.clone()?,
            last_seq: self.last_seq,
            shard: self.shard,
        })
    }
}

/// What a handler gets with each event: the [`Api`] to reply with, the event's id and name, and
/// reply helpers that allocate `msg_seq` (1, 2, 3, ... per event, shared by clones).
#[derive(Clone)]
pub struct Context {
    api: Api,
    shard: ShardId,
    event_type: Option<String>,
    event_id: Option<String>,
    seq: Option<u64>,
    received_at: DateTime<Utc>,
    msg_seq: Arc<AtomicU32>,
    shared: Arc<Shared>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("shard", &self.shard)
            .field("event_type", &self.event_type)
            .field("event_id", &self.event_id)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl Context {
    fn new(api: Api, shared: Arc<Shared>, item: &GatewayItem) -> Context {
        let (event_type, event_id, seq) = match &item.kind {
            ItemKind::Dispatch(d) => (Some(d.t.to_string()), d.id.clone(), d.seq),
            _ => (None, None, None),
        };
        Context {
            api,
            shard: item.shard,
            event_type,
            event_id,
            seq,
            received_at: item.received_at,
            msg_seq: Arc::new(AtomicU32::new(0)),
            shared,
        }
    }

    /// The OpenAPI client.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The event id (`id` of the frame, e.g. `AT_MESSAGE_CREATE:…`): usable as `event_id` for
    /// passive replies to non-message events.
    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_deref()
    }

    /// The event name (`t`), for dispatches.
    pub fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The sequence number (`s`), for dispatches.
    pub fn seq(&self) -> Option<u64> {
        self.seq
    }

    /// The shard the event came from.
    pub fn shard(&self) -> ShardId {
        self.shard
    }

    /// When the event was received.
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }

    /// The next `msg_seq` for replies to this event: 1, then 2, ... (the platform rejects a
    /// repeated `(msg_id, msg_seq)` with 40054005).
    pub fn next_msg_seq(&self) -> u32 {
        self.msg_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Dispatches seen by the client so far (this one included).
    pub fn dispatches_seen(&self) -> u64 {
        self.shared.dispatches.load(Ordering::Relaxed)
    }

    /// Time since the client started.
    pub fn uptime(&self) -> Duration {
        self.shared.started.elapsed()
    }

    /// Session state per shard.
    pub fn sessions(&self) -> Vec<SessionSummary> {
        self.shared.sessions()
    }

    /// Whether the shard this event came on has a running session right now (the answer for a
    /// `/status` command: other shards may be reconnecting meanwhile).
    pub fn is_connected(&self) -> bool {
        self.shared.shard_connected(self.shard)
    }

    /// Whether every shard of the client has a running session.
    pub fn all_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// Whether `shard` has a running session.
    pub fn shard_connected(&self, shard: ShardId) -> bool {
        self.shared.shard_connected(shard)
    }

    /// Gateway metrics per shard and in total (`None` for a client fed with `run_items`).
    pub fn metrics(&self) -> Option<ClusterMetrics> {
        self.shared.metrics()
    }

    /// Passive reply to a guild channel message or guild DM (`msg_id` set; DMs go to
    /// `/dms/{guild_id}`).
    pub async fn reply(
        &self,
        message: &Message,
        mut body: MessageBody,
    ) -> Result<SendOutcome<Message>, ApiError> {
        body.msg_id = Some(message.id.clone());
        if message.direct_message {
            self.api.post_dm_message(&message.guild_id, &body).await
        } else {
            self.api
                .post_channel_message(&message.channel_id, &body)
                .await
        }
    }

    /// Passive reply to a group message (`msg_id` and the next `msg_seq` set).
    pub async fn reply_group(
        &self,
        message: &GroupMessage,
        body: MessageBody,
    ) -> Result<SendOutcome<SentMessage>, ApiError> {
        let body = body.reply_to(message.id.clone(), self.next_msg_seq());
        self.api
            .post_group_message(&message.group_openid, &body)
            .await
    }

    /// Passive reply to a C2C message (`msg_id` and the next `msg_seq` set).
    pub async fn reply_c2c(
        &self,
        message: &C2cMessage,
        body: MessageBody,
    ) -> Result<SendOutcome<SentMessage>, ApiError> {
        let body = body.reply_to(message.id.clone(), self.next_msg_seq());
        let openid = if message.author.user_openid.is_empty() {
            &message.author.id
        } else {
            &message.author.user_openid
        };
        self.api.post_c2c_message(openid, &body).await
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

    /// Whether every shard has a live session (READY or RESUMED seen, no close since).
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
        let (cluster, items) = Cluster::start(config).await.map_err(ClientError::Start)?;
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
    /// Waits (up to 10 s) for running handlers before returning.
    pub async fn run_items(
        &self,
        api: Api,
        items: mpsc::Receiver<GatewayItem>,
    ) -> Result<(), ClientError> {
        match self.pump(api, items).await {
            LoopEnd::Shutdown | LoopEnd::Closed => Ok(()),
            LoopEnd::Fatal(error) => Err(error),
        }
    }

    async fn pump(&self, api: Api, mut items: mpsc::Receiver<GatewayItem>) -> LoopEnd {
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

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Run one handler future; report an `Err` or a panic to the error hook (itself guarded).
async fn guarded<H: EventHandler>(
    handler: &H,
    shared: &Shared,
    ctx: &Context,
    name: &'static str,
    future: impl Future<Output = HandlerResult> + Send,
) {
    let error = match AssertUnwindSafe(future).catch_unwind().await {
        Ok(Ok(())) => return,
        Ok(Err(source)) => HandlerError::Failed {
            handler: name,
            source,
        },
        Err(panic) => HandlerError::Panicked {
            handler: name,
            message: panic_message(&*panic),
        },
    };
    report(handler, shared, ctx, error).await;
}

async fn report<H: EventHandler>(handler: &H, shared: &Shared, ctx: &Context, error: HandlerError) {
    shared.handler_errors.fetch_add(1, Ordering::Relaxed);
    if AssertUnwindSafe(handler.error(ctx.clone(), error))
        .catch_unwind()
        .await
        .is_err()
    {
        tracing::error!("the error handler panicked");
    }
}

async fn handle_item<H: EventHandler>(
    handler: &H,
    shared: &Shared,
    ctx: Context,
    item: GatewayItem,
) {
    let dispatch = match item.kind {
        ItemKind::Dispatch(dispatch) => dispatch,
        ItemKind::Ready {
            ref session_id,
            ref user_id,
            ref username,
            version,
        } => {
            let ready = Ready {
                version,
                session_id: session_id.clone(),
                user: ReadyUser {
                    id: user_id.clone(),
                    username: username.clone(),
                    bot: true,
                },
                shard: Some(item.shard.as_array()),
            };
            guarded(
                handler,
                shared,
                &ctx,
                "ready",
                handler.ready(ctx.clone(), ready),
            )
            .await;
            guarded(
                handler,
                shared,
                &ctx,
                "lifecycle",
                handler.lifecycle(ctx.clone(), item),
            )
            .await;
            return;
        }
        ItemKind::Resumed { .. } => {
            guarded(
                handler,
                shared,
                &ctx,
                "resumed",
                handler.resumed(ctx.clone()),
            )
            .await;
            guarded(
                handler,
                shared,
                &ctx,
                "lifecycle",
                handler.lifecycle(ctx.clone(), item),
            )
            .await;
            return;
        }
        _ => {
            guarded(
                handler,
                shared,
                &ctx,
                "lifecycle",
                handler.lifecycle(ctx.clone(), item),
            )
            .await;
            return;
        }
    };
    let event = Event::parse(&dispatch.t, dispatch.d());
    guarded(
        handler,
        shared,
        &ctx,
        "dispatch",
        handler.dispatch(ctx.clone(), dispatch),
    )
    .await;
    let event = match event {
        Ok(event) => event,
        Err(error) => {
            report(handler, shared, &ctx, HandlerError::BadPayload(error)).await;
            return;
        }
    };
    let c = ctx.clone();
    match event {
        Event::Ready(ready) => {
            guarded(handler, shared, &ctx, "ready", handler.ready(c, ready)).await
        }
        Event::Resumed => guarded(handler, shared, &ctx, "resumed", handler.resumed(c)).await,
        Event::AtMessageCreate(m) => {
            guarded(
                handler,
                shared,
                &ctx,
                "at_message_create",
                handler.at_message_create(c, m),
            )
            .await
        }
        Event::MessageCreate(m) => {
            guarded(
                handler,
                shared,
                &ctx,
                "message_create",
                handler.message_create(c, m),
            )
            .await
        }
        Event::DirectMessageCreate(m) => {
            let f = handler.direct_message_create(c, m);
            guarded(handler, shared, &ctx, "direct_message_create", f).await
        }
        Event::GroupAtMessageCreate(m) | Event::GroupMessageCreate(m) => {
            let f = handler.group_at_message_create(c, m);
            guarded(handler, shared, &ctx, "group_at_message_create", f).await
        }
        Event::C2cMessageCreate(m) => {
            let f = handler.c2c_message_create(c, m);
            guarded(handler, shared, &ctx, "c2c_message_create", f).await
        }
        Event::GuildCreate(g) => {
            guarded(
                handler,
                shared,
                &ctx,
                "guild_create",
                handler.guild_create(c, g),
            )
            .await
        }
        Event::GuildUpdate(g) => {
            guarded(
                handler,
                shared,
                &ctx,
                "guild_update",
                handler.guild_update(c, g),
            )
            .await
        }
        Event::GuildDelete(g) => {
            guarded(
                handler,
                shared,
                &ctx,
                "guild_delete",
                handler.guild_delete(c, g),
            )
            .await
        }
        Event::ChannelCreate(ch) => {
            guarded(
                handler,
                shared,
                &ctx,
                "channel_create",
                handler.channel_create(c, ch),
            )
            .await
        }
        Event::ChannelUpdate(ch) => {
            guarded(
                handler,
                shared,
                &ctx,
                "channel_update",
                handler.channel_update(c, ch),
            )
            .await
        }
        Event::ChannelDelete(ch) => {
            guarded(
                handler,
                shared,
                &ctx,
                "channel_delete",
                handler.channel_delete(c, ch),
            )
            .await
        }
        Event::GuildMemberAdd(m) => {
            guarded(
                handler,
                shared,
                &ctx,
                "guild_member_add",
                handler.guild_member_add(c, m),
            )
            .await
        }
        Event::GuildMemberUpdate(m) => {
            let f = handler.guild_member_update(c, m);
            guarded(handler, shared, &ctx, "guild_member_update", f).await
        }
        Event::GuildMemberRemove(m) => {
            let f = handler.guild_member_remove(c, m);
            guarded(handler, shared, &ctx, "guild_member_remove", f).await
        }
        Event::MessageReactionAdd(r) => {
            let f = handler.message_reaction_add(c, r);
            guarded(handler, shared, &ctx, "message_reaction_add", f).await
        }
        Event::MessageReactionRemove(r) => {
            let f = handler.message_reaction_remove(c, r);
            guarded(handler, shared, &ctx, "message_reaction_remove", f).await
        }
        Event::InteractionCreate(i) => {
            let f = handler.interaction_create(c, i);
            guarded(handler, shared, &ctx, "interaction_create", f).await
        }
        Event::FriendAdd(e) => {
            guarded(
                handler,
                shared,
                &ctx,
                "friend_add",
                handler.friend_add(c, e),
            )
            .await
        }
        Event::FriendDel(e) => {
            guarded(
                handler,
                shared,
                &ctx,
                "friend_del",
                handler.friend_del(c, e),
            )
            .await
        }
        Event::C2cMsgReject(e) => {
            guarded(
                handler,
                shared,
                &ctx,
                "c2c_msg_setting",
                handler.c2c_msg_setting(c, e, false),
            )
            .await
        }
        Event::C2cMsgReceive(e) => {
            guarded(
                handler,
                shared,
                &ctx,
                "c2c_msg_setting",
                handler.c2c_msg_setting(c, e, true),
            )
            .await
        }
        Event::GroupAddRobot(e) => {
            guarded(
                handler,
                shared,
                &ctx,
                "group_add_robot",
                handler.group_add_robot(c, e),
            )
            .await
        }
        Event::GroupDelRobot(e) => {
            guarded(
                handler,
                shared,
                &ctx,
                "group_del_robot",
                handler.group_del_robot(c, e),
            )
            .await
        }
        Event::GroupMsgReject(e) => {
            let f = handler.group_msg_setting(c, e, false);
            guarded(handler, shared, &ctx, "group_msg_setting", f).await
        }
        Event::GroupMsgReceive(e) => {
            let f = handler.group_msg_setting(c, e, true);
            guarded(handler, shared, &ctx, "group_msg_setting", f).await
        }
        Event::MessageDelete(e) | Event::PublicMessageDelete(e) | Event::DirectMessageDelete(e) => {
            guarded(
                handler,
                shared,
                &ctx,
                "message_delete",
                handler.message_delete(c, e),
            )
            .await
        }
        Event::MessageAuditPass(a) => {
            let f = handler.message_audit_pass(c, a);
            guarded(handler, shared, &ctx, "message_audit_pass", f).await
        }
        Event::MessageAuditReject(a) => {
            let f = handler.message_audit_reject(c, a);
            guarded(handler, shared, &ctx, "message_audit_reject", f).await
        }
        // ENTER_AIO, forum, audio and unknown events: `dispatch` only.
        _ => {}
    }
}
