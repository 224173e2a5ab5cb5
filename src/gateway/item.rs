//! What a shard hands its consumers: dispatches (raw, byte-exact) and lifecycle items.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::protocol::{CloseAction, Peeked, Span};

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
///
/// `id` and `d` are located in `frame` rather than copied out of it, so a dispatch costs the
/// frame and nothing else; [`id`](Self::id) and [`d`](Self::d) read them.
#[derive(Debug, Clone)]
pub struct Dispatch {
    /// `s`.
    pub seq: Option<u64>,
    /// `t`, shared between dispatches of the same type (see [`EventNames`](super::EventNames)).
    pub t: Arc<str>,
    /// `id`, located in `frame` (decoded only when it had escapes).
    id: Option<Span>,
    /// The whole frame as received.
    pub frame: Arc<str>,
    /// Where `d` sits inside `frame`.
    pub d_range: Range<usize>,
    /// `d` is still to be checked (by [`Items`](super::Items) on the receiving thread): never
    /// set on a dispatch that reaches a consumer.
    pub(crate) deferred: bool,
}

impl Dispatch {
    /// A dispatch of `frame`. An `id` that is a slice of `frame` is kept as a range of it; any
    /// other `id` (one decoded from escapes, or built apart from the frame) is copied.
    pub fn new(
        seq: Option<u64>,
        t: Arc<str>,
        id: Option<&str>,
        frame: Arc<str>,
        d_range: Range<usize>,
    ) -> Dispatch {
        let id = id.map(|id| Span::locate(id, &frame));
        Dispatch {
            seq,
            t,
            id,
            frame,
            d_range,
            deferred: false,
        }
    }

    /// The dispatch a [`Peeked`] envelope describes, `frame` being the text it was peeked from
    /// (a frame without `t` gets `t`).
    pub fn from_peeked(peeked: Peeked, t: impl FnOnce() -> Arc<str>, frame: Arc<str>) -> Dispatch {
        Dispatch {
            seq: peeked.seq,
            t: peeked.t.unwrap_or_else(t),
            id: peeked.id,
            frame,
            d_range: peeked.d_range,
            deferred: false,
        }
    }

    /// `id`: the event id used for passive replies.
    pub fn id(&self) -> Option<&str> {
        self.id.as_ref().map(|id| id.get(&self.frame))
    }

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

impl CloseOrigin {
    /// `server` or `client`, as NDJSON lines and recordings write it.
    pub const fn key(self) -> &'static str {
        match self {
            CloseOrigin::Server => "server",
            CloseOrigin::Client => "client",
        }
    }

    /// The origin a key names.
    pub fn from_key(key: &str) -> Option<CloseOrigin> {
        [CloseOrigin::Server, CloseOrigin::Client]
            .into_iter()
            .find(|o| o.key() == key)
    }
}

/// Why a connection ended: the typed cause behind every [`ItemKind::Closed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The gateway sent a close frame (`code`), or the TCP connection ended without one
    /// (`code: None`, read as 1006).
    Closed {
        /// Close code.
        code: Option<u16>,
        /// Close reason.
        reason: String,
    },
    /// The connection broke on a WebSocket protocol error or an I/O error (invalid UTF-8 in a
    /// text frame, an oversized message, a masked server frame, reset by peer, ...).
    Transport {
        /// What went wrong, in one line.
        error: String,
    },
    /// op 7: the gateway asked for a reconnect; qqbot closed with 4000 and resumes.
    ReconnectRequested,
    /// op 9.
    InvalidSession {
        /// Its `d`.
        resumable: bool,
    },
    /// Heartbeats went unacknowledged: qqbot closed the zombie connection with 4000.
    Zombie {
        /// Missed ACKs in a row.
        missed: u32,
    },
    /// No Hello within [`HELLO_TIMEOUT`](crate::gateway::core::HELLO_TIMEOUT).
    HelloTimeout,
    /// The client is shutting down (the session stays resumable).
    Shutdown,
}

impl Cause {
    /// A stable machine name (NDJSON `cause`).
    pub const fn key(&self) -> &'static str {
        match self {
            Cause::Closed { code: Some(_), .. } => "server_close",
            Cause::Closed { code: None, .. } => "dropped",
            Cause::Transport { .. } => "transport_error",
            Cause::ReconnectRequested => "reconnect_requested",
            Cause::InvalidSession { .. } => "invalid_session",
            Cause::Zombie { .. } => "zombie",
            Cause::HelloTimeout => "hello_timeout",
            Cause::Shutdown => "shutdown",
        }
    }
}

impl Cause {
    /// Rebuild a cause from its stored fields (NDJSON and recordings: `cause` key, close `code`,
    /// `reason`, `missed`, `resumable`). A line written before causes were stored (no `cause`)
    /// gets the cause its origin implies.
    pub fn from_fields(
        key: Option<&str>,
        origin: CloseOrigin,
        code: Option<u16>,
        reason: &str,
        missed: Option<u32>,
        resumable: Option<bool>,
    ) -> Option<Cause> {
        Some(match key {
            Some("server_close") | Some("dropped") => Cause::Closed {
                code,
                reason: reason.to_owned(),
            },
            Some("transport_error") => Cause::Transport {
                error: reason.to_owned(),
            },
            Some("reconnect_requested") => Cause::ReconnectRequested,
            Some("invalid_session") => Cause::InvalidSession {
                resumable: resumable.unwrap_or(false),
            },
            Some("zombie") => Cause::Zombie {
                missed: missed.unwrap_or(1),
            },
            Some("hello_timeout") => Cause::HelloTimeout,
            Some("shutdown") => Cause::Shutdown,
            Some(_) => return None,
            None => match origin {
                CloseOrigin::Server => Cause::Closed {
                    code,
                    reason: reason.to_owned(),
                },
                // Recordings from before typed causes: the reason qqbot wrote is all there is.
                CloseOrigin::Client if reason == crate::gateway::core::SHUTDOWN_REASON => {
                    Cause::Shutdown
                }
                CloseOrigin::Client if reason.starts_with("zombie") => Cause::Zombie { missed: 1 },
                CloseOrigin::Client if reason.contains("op 7") => Cause::ReconnectRequested,
                CloseOrigin::Client if reason.starts_with("no Hello") => Cause::HelloTimeout,
                CloseOrigin::Client => Cause::InvalidSession {
                    resumable: resumable.unwrap_or(false),
                },
            },
        })
    }

    /// Missed heartbeats, for a zombie.
    pub const fn missed(&self) -> Option<u32> {
        match self {
            Cause::Zombie { missed } => Some(*missed),
            _ => None,
        }
    }

    /// Whether qqbot's own shutdown closed the connection (not a disconnect).
    pub const fn is_shutdown(&self) -> bool {
        matches!(self, Cause::Shutdown)
    }
}

/// Why a shard stopped for good: the typed cause behind every [`ItemKind::Fatal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatalCause {
    /// The gateway closed with a code the close table marks fatal (4914 offline, 4915 banned, ...).
    CloseCode(u16),
    /// Identify was answered with op 9 (or 4903) [`MAX_IDENTIFY_REJECTIONS`](crate::gateway::core::MAX_IDENTIFY_REJECTIONS)
    /// times in a row: intents not granted, wrong environment or IP.
    IdentifyRejected,
    /// The token endpoint refused the app id or secret (revoked or changed while running).
    AuthFailed,
    /// [`ReconnectConfig::max_attempts`](crate::gateway::ReconnectConfig::max_attempts)
    /// consecutive attempts failed.
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
    },
}

impl FatalCause {
    /// A stable machine name (NDJSON `cause`).
    pub const fn key(self) -> &'static str {
        match self {
            FatalCause::CloseCode(_) => "close_code",
            FatalCause::IdentifyRejected => "identify_rejected",
            FatalCause::AuthFailed => "auth_failed",
            FatalCause::RetriesExhausted { .. } => "retries_exhausted",
        }
    }

    /// Rebuild from stored fields (`cause` key, close `code`, `attempts`); `None` for an unknown
    /// key. A line without `cause` (older recordings) is read from its code.
    pub fn from_fields(
        key: Option<&str>,
        code: Option<u16>,
        attempts: Option<u32>,
    ) -> Option<FatalCause> {
        Some(match key {
            Some("close_code") => FatalCause::CloseCode(code.unwrap_or(0)),
            Some("identify_rejected") => FatalCause::IdentifyRejected,
            Some("auth_failed") => FatalCause::AuthFailed,
            Some("retries_exhausted") => FatalCause::RetriesExhausted {
                attempts: attempts.unwrap_or(0),
            },
            Some(_) => return None,
            None => match code {
                Some(code) => FatalCause::CloseCode(code),
                None => FatalCause::RetriesExhausted {
                    attempts: attempts.unwrap_or(0),
                },
            },
        })
    }

    /// Attempts made, when retries ran out.
    pub const fn attempts(self) -> Option<u32> {
        match self {
            FatalCause::RetriesExhausted { attempts } => Some(attempts),
            _ => None,
        }
    }

    /// The credentials were refused (CLI exit code 4).
    pub const fn is_auth(self) -> bool {
        matches!(self, FatalCause::AuthFailed)
    }

    /// The gateway refused the session (CLI exit code 5).
    pub const fn is_refusal(self) -> bool {
        matches!(
            self,
            FatalCause::CloseCode(_) | FatalCause::IdentifyRejected
        )
    }
}

/// The one state of a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardState {
    /// Not connected; `attempt` counts consecutive failures since the last READY/RESUMED.
    Disconnected {
        /// Consecutive failures.
        attempt: u32,
    },
    /// Connecting, or connected and waiting for Hello.
    Connecting,
    /// Identify sent, waiting for READY.
    Identifying,
    /// Resume sent, waiting for RESUMED.
    Resuming,
    /// Session running.
    Active,
    /// Stopped for good.
    FatallyClosed,
}

impl ShardState {
    /// A stable lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            ShardState::Disconnected { .. } => "disconnected",
            ShardState::Connecting => "connecting",
            ShardState::Identifying => "identifying",
            ShardState::Resuming => "resuming",
            ShardState::Active => "active",
            ShardState::FatallyClosed => "fatally_closed",
        }
    }

    /// The state a [`name`](Self::name) stands for (`attempt` only matters for `disconnected`).
    pub fn from_name(name: &str, attempt: u32) -> Option<ShardState> {
        Some(match name {
            "disconnected" => ShardState::Disconnected { attempt },
            "connecting" => ShardState::Connecting,
            "identifying" => ShardState::Identifying,
            "resuming" => ShardState::Resuming,
            "active" => ShardState::Active,
            "fatally_closed" => ShardState::FatallyClosed,
            _ => return None,
        })
    }

    /// Whether a session is running (events flow).
    pub const fn is_active(self) -> bool {
        matches!(self, ShardState::Active)
    }
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
        /// The gateway version READY announced (`version`; `None` when absent).
        version: Option<u32>,
    },
    /// RESUMED received.
    Resumed {
        /// RESUMED's own `s` (it consumes one, and is never replayed): a cursor may move past
        /// it once everything before it was handled.
        seq: Option<u64>,
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
        /// Why, typed.
        cause: Cause,
    },
    /// Waiting for the identify queue (at most `max_concurrency` sessions start per 5 s).
    IdentifyWait {
        /// How long, at most.
        delay: Duration,
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
    /// Items were dropped by a consumer that samples (the gateway itself never drops: it stops
    /// reading the socket until the consumer catches up).
    Lagged {
        /// How many.
        dropped: u64,
    },
    /// After a Resume from `after`, the gateway's first frame had `s = next`: the events
    /// `after + 1 ..= next - 1` were not replayed (the gateway no longer had them) and are lost
    /// — at most `next - after - 1` of them (an earlier RESUMED, which is never replayed, may
    /// have taken one of those numbers).
    Gap {
        /// The `s` the Resume asked to continue after.
        after: u64,
        /// The first `s` the gateway sent.
        next: u64,
    },
    /// A non-fatal problem (bad frame, failed connect, token error).
    Error {
        /// One-line description.
        message: String,
    },
    /// The shard's state changed (published by the core on every transition, after the items
    /// that caused it; before [`Fatal`](ItemKind::Fatal), a shard's last item), so consumers
    /// read the state instead of re-deriving it.
    StateChange {
        /// The state before.
        from: ShardState,
        /// The state now.
        to: ShardState,
    },
    /// The shard stopped for good.
    Fatal {
        /// Why.
        reason: String,
        /// What to do.
        hint: Option<String>,
        /// The close code behind it, if any.
        code: Option<u16>,
        /// Why, typed.
        cause: FatalCause,
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
            ItemKind::IdentifyWait { .. } => "identify_wait",
            ItemKind::Backoff { .. } => "backoff",
            ItemKind::Lagged { .. } => "lagged",
            ItemKind::Gap { .. } => "gap",
            ItemKind::Error { .. } => "error",
            ItemKind::StateChange { .. } => "state",
            ItemKind::Fatal { .. } => "fatal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::EventNames;

    #[test]
    fn an_id_in_the_frame_is_a_range_of_it_and_any_other_is_a_copy() {
        let frame: Arc<str> = Arc::from(r#"{"op":0,"t":"X","id":"X:1","d":{}}"#);
        let at = frame.find("X:1").unwrap();
        let inside = Dispatch::new(
            None,
            "X".into(),
            Some(&frame[at..at + 3]),
            frame.clone(),
            0..0,
        );
        assert!(matches!(&inside.id, Some(Span::InFrame(r)) if *r == (at..at + 3)));
        assert_eq!(inside.id(), Some("X:1"));
        // The same text from elsewhere is copied, not looked for.
        let apart = Dispatch::new(None, "X".into(), Some("X:1"), frame.clone(), 0..0);
        assert_eq!(apart.id, Some(Span::Decoded("X:1".into())));
        assert_eq!(apart.id(), Some("X:1"));
        assert_eq!(
            Dispatch::new(None, "X".into(), None, frame, 0..0).id(),
            None
        );
    }

    #[test]
    fn a_peeked_dispatch_reads_its_id_and_d_from_the_frame() {
        let mut names = EventNames::default();
        for (text, id) in [
            (r#"{"op":0,"s":2,"t":"X","id":"X:1","d":{"a":1}}"#, "X:1"),
            (
                r#"{"op":0,"s":2,"t":"X","id":"X:\u0026","d":{"a":1}}"#,
                "X:&",
            ),
        ] {
            let frame: Arc<str> = Arc::from(text);
            let peeked = Peeked::of(&frame, &mut names).unwrap();
            let d = Dispatch::from_peeked(peeked, || "".into(), frame.clone());
            assert_eq!(
                (d.seq, &*d.t, d.id(), d.d()),
                (Some(2), "X", Some(id), r#"{"a":1}"#)
            );
        }
    }
}
