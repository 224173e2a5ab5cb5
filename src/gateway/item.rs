//! What a shard hands its consumers: dispatches (raw, byte-exact) and lifecycle items.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::protocol::CloseAction;

/// `[shard_id, num_shards]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ShardId {
    /// This shard.
    pub id: u32,
    /// Number of shards in the cluster.
    pub count: u32,
}

impl ShardId {
    /// The only shard of an unsharded bot: `[0, 1]`.
    pub const ONE: ShardId = ShardId { id: 0, count: 1 };

    /// As sent in Identify.
    pub const fn as_array(self) -> [u32; 2] {
        [self.id, self.count]
    }
}

impl std::fmt::Display for ShardId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.id, self.count)
    }
}

/// One item from a shard.
#[derive(Debug, Clone)]
pub struct GatewayItem {
    /// Which shard produced it.
    pub shard: ShardId,
    /// Wall-clock time it was received or happened.
    pub received_at: DateTime<Utc>,
    /// What happened.
    pub kind: ItemKind,
}

/// A dispatch (op 0), kept as the raw frame text so `d` stays byte-exact.
#[derive(Debug, Clone)]
pub struct Dispatch {
    /// `s`.
    pub seq: Option<u64>,
    /// `t`, shared between dispatches of the same type (see [`EventNames`](super::EventNames)).
    pub t: Arc<str>,
    /// `id` (the event id used for passive replies).
    pub id: Option<String>,
    /// The whole frame as received.
    pub frame: Arc<str>,
    /// Where `d` sits inside `frame`.
    pub d_range: Range<usize>,
}

impl Dispatch {
    /// The raw `d` text, byte-exact (`null` when the frame had none).
    pub fn d(&self) -> &str {
        if self.d_range.is_empty() {
            "null"
        } else {
            &self.frame[self.d_range.clone()]
        }
    }
}

/// Who closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseOrigin {
    /// The gateway sent a close frame (or dropped the TCP connection).
    Server,
    /// qqbot closed it (zombie connection, op 7, shutdown).
    Client,
}

/// Everything a consumer can see.
#[derive(Debug, Clone)]
pub enum ItemKind {
    /// An event.
    Dispatch(Dispatch),
    /// TCP + WebSocket connected; `attempt` counts consecutive attempts (1 = first try).
    Connected {
        /// The gateway URL.
        url: String,
        /// Consecutive attempt number.
        attempt: u32,
    },
    /// op 10.
    Hello {
        /// Interval the gateway asked for.
        heartbeat_interval: Duration,
    },
    /// Sent op 2.
    Identifying {
        /// Intents sent.
        intents: u64,
    },
    /// Sent op 6.
    Resuming {
        /// Session being resumed.
        session_id: String,
        /// Last seq sent in Resume.
        seq: Option<u64>,
    },
    /// READY received.
    Ready {
        /// New session id.
        session_id: String,
        /// The bot's user id.
        user_id: String,
        /// The bot's name.
        username: String,
    },
    /// RESUMED received.
    Resumed {
        /// Dispatches replayed between Resume and RESUMED.
        replayed: u64,
        /// Time from the disconnect to RESUMED.
        recovered_in: Option<Duration>,
    },
    /// op 1 sent.
    HeartbeatSent {
        /// `d` sent.
        seq: Option<u64>,
    },
    /// op 11 received.
    HeartbeatAck {
        /// Round trip since the matching heartbeat.
        rtt: Duration,
    },
    /// op 7 received.
    ReconnectRequested,
    /// op 9 received.
    InvalidSession {
        /// `d` of op 9.
        resumable: bool,
        /// What qqbot makes of it.
        reason: String,
    },
    /// The connection closed.
    Closed {
        /// Close code, if a close frame arrived.
        code: Option<u16>,
        /// Reason text sent with the code.
        reason: String,
        /// Who closed it.
        origin: CloseOrigin,
        /// What qqbot does next.
        action: CloseAction,
    },
    /// Waiting before the next connection attempt.
    Backoff {
        /// How long.
        delay: Duration,
        /// Consecutive failed attempts so far.
        attempt: u32,
        /// Whether the next connection will resume.
        resume: bool,
    },
    /// Items were dropped because the consumer was too slow.
    Lagged {
        /// How many.
        dropped: u64,
    },
    /// A non-fatal problem (bad frame, failed connect, token error).
    Error {
        /// One-line description.
        message: String,
    },
    /// The shard stopped for good.
    Fatal {
        /// Why.
        reason: String,
        /// What to do.
        hint: Option<String>,
        /// The close code behind it, if any.
        code: Option<u16>,
    },
}

impl ItemKind {
    /// A stable machine name for the item (NDJSON `kind`).
    pub const fn key(&self) -> &'static str {
        match self {
            ItemKind::Dispatch(_) => "dispatch",
            ItemKind::Connected { .. } => "connected",
            ItemKind::Hello { .. } => "hello",
            ItemKind::Identifying { .. } => "identify",
            ItemKind::Resuming { .. } => "resume",
            ItemKind::Ready { .. } => "ready",
            ItemKind::Resumed { .. } => "resumed",
            ItemKind::HeartbeatSent { .. } => "heartbeat",
            ItemKind::HeartbeatAck { .. } => "heartbeat_ack",
            ItemKind::ReconnectRequested => "reconnect",
            ItemKind::InvalidSession { .. } => "invalid_session",
            ItemKind::Closed { .. } => "close",
            ItemKind::Backoff { .. } => "backoff",
            ItemKind::Lagged { .. } => "lagged",
            ItemKind::Error { .. } => "error",
            ItemKind::Fatal { .. } => "fatal",
        }
    }
}
