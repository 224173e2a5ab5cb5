//! [`Context`]: what a handler gets with each event (the API, the event's identity, `msg_seq`
//! allocation and reply helpers, the client's session state).

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::session::{SessionSummary, Shared};
use crate::gateway::{ClusterMetrics, GatewayItem, ItemKind, ShardId};
use crate::http::api::{Api, MessageBody, SendOutcome};
use crate::http::error::ApiError;
use crate::http::reply::{DEDUP_RETRIES, Delivered, ReplyError, Scene, send_reply};
use crate::models::{C2cMessage, GroupMessage, Message};

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
    pub(super) fn new(api: Api, shared: Arc<Shared>, item: &GatewayItem) -> Context {
        let (event_type, event_id, seq) = match &item.kind {
            ItemKind::Dispatch(d) => (Some(d.t.to_string()), d.id().map(str::to_owned), d.seq),
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

    /// Passive reply to a group message (`msg_id` and the next `msg_seq` set; when the
    /// platform says that number was already used (40054005), the next one is tried).
    pub async fn reply_group(
        &self,
        message: &GroupMessage,
        body: MessageBody,
    ) -> Result<SendOutcome<Delivered>, ApiError> {
        self.reply_v2(Scene::Group, &message.group_openid, &message.id, body)
            .await
    }

    /// Passive reply to a C2C message (as [`Context::reply_group`]).
    pub async fn reply_c2c(
        &self,
        message: &C2cMessage,
        body: MessageBody,
    ) -> Result<SendOutcome<Delivered>, ApiError> {
        let openid = if message.author.user_openid.is_empty() {
            &message.author.id
        } else {
            &message.author.user_openid
        };
        self.reply_v2(Scene::C2c, openid, &message.id, body).await
    }

    async fn reply_v2(
        &self,
        scene: Scene,
        target: &str,
        msg_id: &str,
        mut body: MessageBody,
    ) -> Result<SendOutcome<Delivered>, ApiError> {
        body.msg_id = Some(msg_id.to_owned());
        let next = || Ok::<_, Infallible>(self.next_msg_seq());
        match send_reply(&self.api, scene, target, body, next, DEDUP_RETRIES, |_| {}).await {
            Ok((outcome, _)) => Ok(outcome),
            Err(ReplyError::Api { error, .. }) => Err(error),
            Err(ReplyError::Seq(never)) => match never {},
        }
    }
}
