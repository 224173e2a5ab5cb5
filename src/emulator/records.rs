//! Plain data the emulator reports: session snapshots, recorded frames and sends, signals, faults.

use std::time::Duration;

use serde::Serialize;

/// A fault to inject into live connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Send `{"op":7}` only; the connection stays open.
    Reconnect,
    /// Send `{"op":7}`, then close 4009 "Session timed out" (the session stays resumable).
    SessionTimeout,
    /// Send `{"op":9,"d":false}`, then close 4006; the session is discarded.
    InvalidSession,
    /// Close with this code and reason (the session stays resumable).
    Close {
        /// WebSocket close code.
        code: u16,
        /// Close reason text.
        reason: String,
    },
    /// Stop answering heartbeats on this connection (zombie).
    StopAcks,
    /// Answer heartbeats again.
    ResumeAcks,
    /// Drop the TCP connection without a close frame (the client sees 1006).
    Drop,
    /// The app secret is reset (as in the QQ console after a leak): the token endpoint refuses
    /// the old secret (100016), every token issued so far is invalid, and live connections close
    /// 4004 as they would at the gateway's next token check. Sticky for the emulator's life.
    RevokeSecret,
}

impl Fault {
    /// The kinds [`from_kind`](Self::from_kind) knows, in the order help texts list them.
    pub const KINDS: &[&str] = &[
        "reconnect",
        "session_timeout",
        "invalid_session",
        "close",
        "stop_acks",
        "resume_acks",
        "drop",
        "revoke_secret",
    ];

    /// Parse the control API form: `kind` plus optional `code` and `reason`.
    pub fn from_kind(kind: &str, code: Option<u16>, reason: Option<String>) -> Option<Fault> {
        Some(match kind {
            "reconnect" => Fault::Reconnect,
            "session_timeout" => Fault::SessionTimeout,
            "invalid_session" => Fault::InvalidSession,
            "close" => Fault::Close {
                code: code.unwrap_or(4009),
                reason: reason.unwrap_or_default(),
            },
            "stop_acks" => Fault::StopAcks,
            "resume_acks" => Fault::ResumeAcks,
            "drop" => Fault::Drop,
            "revoke_secret" => Fault::RevokeSecret,
            _ => return None,
        })
    }
}

/// Which sessions a fault goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every session with a live connection.
    All,
    /// One session, by session id.
    Session(String),
}

/// A session as the emulator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionSnapshot {
    /// The session id (READY `session_id`).
    pub id: String,
    /// `[shard_id, num_shards]` from Identify (`[0,1]` when none was sent).
    pub shard: [u32; 2],
    /// The intents the session identified with.
    pub intents: u64,
    /// The last `s` assigned on this session.
    pub seq: u64,
    /// Whether a connection is attached right now.
    pub connected: bool,
    /// How many successful resumes.
    pub resumes: u32,
    /// Time since emulator start when the session identified.
    #[serde(rename = "identified_at_ms", serialize_with = "ser_ms")]
    pub identified_at: Duration,
    /// The last `seq` the client heartbeated, if any.
    pub last_heartbeat: Option<u64>,
    /// Dispatches kept for replay.
    pub buffered: usize,
}

/// One frame a client sent, tokens redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedFrame {
    /// The session the connection belonged to when the frame arrived, if any.
    pub session_id: Option<String>,
    /// The connection number (1-based, in order of upgrade).
    pub connection: u64,
    /// The opcode, when the frame parsed far enough to have one.
    pub op: Option<u64>,
    /// The frame text, with access tokens and the secret replaced by `***`.
    pub raw: String,
    /// Time since emulator start.
    #[serde(rename = "offset_ms", serialize_with = "ser_ms")]
    pub offset: Duration,
}

/// Something a client did that the emulator accepted but the real platform may refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmulatorWarning {
    /// What kind of thing: `identify_rate`, `resume_gap`.
    pub kind: String,
    /// What happened and what the platform may do about it.
    pub message: String,
    /// The connection number it happened on.
    pub connection: u64,
    /// Time since emulator start.
    #[serde(rename = "offset_ms", serialize_with = "ser_ms")]
    pub offset: Duration,
}

/// One call to an OpenAPI send route (or a recall route), accepted or refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentMessage {
    /// `channel`, `dm`, `group`, `c2c`, `group_file`, `c2c_file`, `dm_create` or `interaction`;
    /// the recall routes (`DELETE …/messages/{message_id}`) are `channel_recall`, `dm_recall`,
    /// `group_recall` and `c2c_recall`.
    pub route: String,
    /// Channel id, DM guild id, group openid, user openid or interaction id.
    pub target: String,
    /// `msg_id` from the body; for a recall route, the `message_id` of the path.
    pub msg_id: Option<String>,
    /// `event_id` from the body.
    pub event_id: Option<String>,
    /// `msg_seq` from the body.
    pub msg_seq: Option<u64>,
    /// `msg_type` from the body.
    pub msg_type: Option<u64>,
    /// `content` from the body.
    pub content: Option<String>,
    /// HTTP status returned.
    pub status: u16,
    /// 0 when accepted, else the error code returned.
    pub code: u64,
    /// The message id returned when accepted.
    pub id: Option<String>,
    /// Whether a later recall route call withdrew this (accepted) message.
    pub recalled: bool,
    /// Time since emulator start.
    #[serde(rename = "offset_ms", serialize_with = "ser_ms")]
    pub offset: Duration,
}

/// A signal tests and tools can wait on instead of sleeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmulatorEvent {
    /// A WebSocket connection was upgraded (1-based connection number).
    Connected {
        /// Connection number.
        connection: u64,
    },
    /// A session identified and READY was queued.
    Identified {
        /// New session id.
        session_id: String,
        /// Echoed shard.
        shard: [u32; 2],
    },
    /// A session resumed; `replayed` dispatches were re-sent before RESUMED.
    Resumed {
        /// Session id.
        session_id: String,
        /// How many buffered dispatches were replayed.
        replayed: usize,
    },
    /// A heartbeat arrived.
    HeartbeatReceived {
        /// The session of the connection, if identified.
        session_id: Option<String>,
        /// The `d` (or satori's `s`) of the heartbeat.
        seq: Option<u64>,
    },
    /// A dispatch was written to a socket (not signalled in the flood scenario).
    Dispatched {
        /// Session id.
        session_id: String,
        /// Sequence number.
        s: u64,
        /// Event name.
        t: String,
    },
    /// The emulator ended a connection: `code` is the close code, `None` for a TCP drop.
    Closed {
        /// The session of the connection, if identified.
        session_id: Option<String>,
        /// Close code sent, or `None` when the socket was dropped without a close frame.
        code: Option<u16>,
    },
    /// The client ended a connection (close frame or EOF).
    Disconnected {
        /// The session of the connection, if identified.
        session_id: Option<String>,
        /// The client's close code, if it sent one.
        code: Option<u16>,
    },
    /// An OpenAPI send route (or a recall route) answered.
    MessageSent {
        /// Route name (see [`SentMessage::route`]).
        route: String,
        /// HTTP status.
        status: u16,
        /// 0 when accepted, else the error code.
        code: u64,
    },
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Running totals of what the emulator's gateway did (`qqbot emulate --metrics` serves them).
/// Cheap to read at any time; clones share the counters.
#[derive(Debug, Default)]
pub struct EmulatorCounters {
    /// WebSocket connections upgraded.
    pub connections: std::sync::atomic::AtomicU64,
    /// Identifies answered with READY.
    pub identifies: std::sync::atomic::AtomicU64,
    /// Resumes answered with RESUMED.
    pub resumes: std::sync::atomic::AtomicU64,
    /// Dispatches written to a socket (replays after a resume included; READY and RESUMED
    /// excluded).
    pub dispatches_sent: std::sync::atomic::AtomicU64,
}
