//! The bodies the OpenAPI client sends and the answers it reads: message bodies, uploads, sent
//! messages, DM sessions, the audit outcome and `GET /gateway/bot` (PROTOCOL.md §8).

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::models::de;
use crate::models::{MessageReference, Timestamp};

/// `msg_type` of a message body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MsgType {
    /// 0: text.
    Text,
    /// 2: markdown.
    Markdown,
    /// 3: ark.
    Ark,
    /// 4: embed.
    Embed,
    /// 7: rich media (`media.file_info`; needs a non-empty `content`, e.g. `" "`).
    Media,
    /// Any other value.
    Other(u32),
}

impl MsgType {
    /// The wire value.
    pub fn code(self) -> u32 {
        match self {
            MsgType::Text => 0,
            MsgType::Markdown => 2,
            MsgType::Ark => 3,
            MsgType::Embed => 4,
            MsgType::Media => 7,
            MsgType::Other(code) => code,
        }
    }
}

impl Serialize for MsgType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.code())
    }
}

/// `media` of a message body: a `file_info` from [`Api::upload_group_file`](super::Api::upload_group_file) /
/// [`Api::upload_c2c_file`](super::Api::upload_c2c_file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    /// The uploaded file's `file_info`.
    pub file_info: String,
}

fn is_absent(value: &Option<Value>) -> bool {
    matches!(value, None | Some(Value::Null))
}

/// The body of every send endpoint. Unset fields are omitted from the JSON.
///
/// Guild channel/DM sends use `content`, `embed`, `ark`, `image`, `markdown`, `keyboard`,
/// `message_reference`, `msg_id`, `event_id`; group/C2C sends use `content`, `msg_type` (required),
/// `markdown`, `keyboard`, `ark`, `media`, `message_reference`, `msg_id`, `event_id`, `msg_seq`.
/// A send is a passive reply iff `msg_id` or `event_id` is set.
///
/// ```
/// use qqbot::http::api::MessageBody;
/// let body = MessageBody::text("pong").reply_to("ROBOT1.0_x!", 2);
/// assert_eq!(
///     serde_json::to_string(&body).unwrap(),
///     r#"{"content":"pong","msg_type":0,"msg_id":"ROBOT1.0_x!","msg_seq":2}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MessageBody {
    /// Text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Message type (group/C2C: required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_type: Option<MsgType>,
    /// Markdown payload (`{content}` or a template), as JSON.
    #[serde(skip_serializing_if = "is_absent")]
    pub markdown: Option<Value>,
    /// Keyboard payload, as JSON.
    #[serde(skip_serializing_if = "is_absent")]
    pub keyboard: Option<Value>,
    /// Ark payload, as JSON.
    #[serde(skip_serializing_if = "is_absent")]
    pub ark: Option<Value>,
    /// Embed payload, as JSON (guild only).
    #[serde(skip_serializing_if = "is_absent")]
    pub embed: Option<Value>,
    /// Image URL (guild only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Rich media (group/C2C, with `msg_type` 7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    /// Quote a message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<MessageReference>,
    /// Reply to this message (passive reply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_id: Option<String>,
    /// Reply to this event (passive reply without a message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Reply number for this `msg_id`/`event_id`: reusing a pair is rejected (40054005).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_seq: Option<u32>,
}

impl MessageBody {
    /// A text message (`msg_type` 0).
    pub fn text(content: impl Into<String>) -> MessageBody {
        MessageBody {
            content: Some(content.into()),
            msg_type: Some(MsgType::Text),
            ..MessageBody::default()
        }
    }

    /// A rich-media message (`msg_type` 7, `content` `" "` as the platform requires).
    pub fn media(file_info: impl Into<String>) -> MessageBody {
        MessageBody {
            content: Some(" ".to_owned()),
            msg_type: Some(MsgType::Media),
            media: Some(Media {
                file_info: file_info.into(),
            }),
            ..MessageBody::default()
        }
    }

    /// Make it a passive reply to `msg_id`, with reply number `msg_seq`.
    pub fn reply_to(mut self, msg_id: impl Into<String>, msg_seq: u32) -> MessageBody {
        self.msg_id = Some(msg_id.into());
        self.msg_seq = Some(msg_seq);
        self
    }

    /// Make it a passive reply to an event (`event_id`), with reply number `msg_seq`.
    pub fn reply_to_event(mut self, event_id: impl Into<String>, msg_seq: u32) -> MessageBody {
        self.event_id = Some(event_id.into());
        self.msg_seq = Some(msg_seq);
        self
    }
}

/// Rich-media file type for uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// 1: image (png/jpg).
    Image,
    /// 2: video (mp4).
    Video,
    /// 3: voice (silk).
    Voice,
    /// 4: file (not open yet).
    File,
}

impl Serialize for FileType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(match self {
            FileType::Image => 1,
            FileType::Video => 2,
            FileType::Voice => 3,
            FileType::File => 4,
        })
    }
}

/// Body of `POST /v2/groups/{group_openid}/files` and `POST /v2/users/{openid}/files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadFile {
    /// What kind of file.
    pub file_type: FileType,
    /// Public URL the platform fetches.
    pub url: String,
    /// `true` sends it right away (and uses the proactive quota); `false` returns a reusable
    /// `file_info` to send with [`MessageBody::media`].
    pub srv_send_msg: bool,
}

/// Group/C2C send response: `{id, timestamp, ext_info.ref_idx}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct SentMessage {
    /// The sent message's id.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// When it was sent (an RFC 3339 string in real logs, an int in the docs: both read).
    #[serde(deserialize_with = "crate::models::timestamp_lenient")]
    pub timestamp: Option<Timestamp>,
    /// Extra info.
    #[serde(deserialize_with = "de::or_default")]
    pub ext_info: Option<ExtInfo>,
}

impl SentMessage {
    /// `ext_info.ref_idx`: the `REFIDX_…` to quote this message later.
    pub fn ref_idx(&self) -> Option<&str> {
        self.ext_info.as_ref()?.ref_idx.as_deref()
    }
}

/// `ext_info` of a group/C2C send response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ExtInfo {
    /// `REFIDX_…`.
    #[serde(deserialize_with = "de::opt_string")]
    pub ref_idx: Option<String>,
}

/// Upload response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct UploadedFile {
    /// File uuid.
    #[serde(deserialize_with = "de::string")]
    pub file_uuid: String,
    /// Send this in [`Media::file_info`] (same scope only: group vs C2C).
    #[serde(deserialize_with = "de::string")]
    pub file_info: String,
    /// Seconds the `file_info` stays valid; 0 means long-lived.
    #[serde(deserialize_with = "de::opt_int")]
    pub ttl: Option<u64>,
    /// Message id when `srv_send_msg` was true.
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
}

/// `POST /users/@me/dms` response: the DM session to send to with [`Api::post_dm_message`](super::Api::post_dm_message).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct DmSession {
    /// The DM's pseudo-guild id (the `/dms/{guild_id}` target).
    #[serde(deserialize_with = "de::string")]
    pub guild_id: String,
    /// The DM channel id.
    #[serde(deserialize_with = "de::string")]
    pub channel_id: String,
    /// When the session was created (`"1642545606"` on the wire).
    #[serde(deserialize_with = "crate::models::timestamp_lenient")]
    pub create_time: Option<Timestamp>,
}

/// The result of a send that the platform accepted: delivered, or held for audit.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome<T> {
    /// Delivered.
    Sent(T),
    /// HTTP 202 with `data.message_audit.audit_id` (codes 304023 / 304024): the message waits for
    /// review; its fate arrives later as `MESSAGE_AUDIT_PASS` / `MESSAGE_AUDIT_REJECT`.
    QueuedForAudit {
        /// Matches `audit_id` of the later audit event.
        audit_id: String,
    },
}

impl<T> SendOutcome<T> {
    /// The same outcome with the delivered value mapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> SendOutcome<U> {
        match self {
            SendOutcome::Sent(value) => SendOutcome::Sent(f(value)),
            SendOutcome::QueuedForAudit { audit_id } => SendOutcome::QueuedForAudit { audit_id },
        }
    }

    /// The delivered message, if it was delivered.
    pub fn sent(self) -> Option<T> {
        match self {
            SendOutcome::Sent(value) => Some(value),
            SendOutcome::QueuedForAudit { .. } => None,
        }
    }

    /// The audit id, if it is waiting for audit.
    pub fn audit_id(&self) -> Option<&str> {
        match self {
            SendOutcome::Sent(_) => None,
            SendOutcome::QueuedForAudit { audit_id } => Some(audit_id),
        }
    }
}

/// `session_start_limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStartLimit {
    /// Sessions allowed per 24 h.
    pub total: u32,
    /// Sessions still available.
    pub remaining: u32,
    /// Milliseconds until the count resets.
    pub reset_after: u64,
    /// Sessions that may start per 5 s.
    pub max_concurrency: u32,
}

/// The `/gateway/bot` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayBot {
    /// The WebSocket URL.
    pub url: String,
    /// Recommended shard count.
    pub shards: u32,
    /// Session-start budget.
    pub session_start_limit: SessionStartLimit,
}
