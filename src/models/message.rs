//! Message events: guild (`AT_MESSAGE_CREATE`, `MESSAGE_CREATE`, `DIRECT_MESSAGE_CREATE`),
//! group (`GROUP_AT_MESSAGE_CREATE`), C2C (`C2C_MESSAGE_CREATE`), deletes and audits.

use serde::Deserialize;

use super::common::{Attachment, Member, MessageReference, MessageScene, OpUser, User};
use super::de;
use super::timestamp::{self, Timestamp};

/// A guild channel or guild DM message (PROTOCOL.md §7.1, §7.2). Also the response of
/// `POST /channels/{id}/messages` and `POST /dms/{guild_id}/messages`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    /// Message id: reply with it as `msg_id`.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// Channel id.
    #[serde(deserialize_with = "de::string")]
    pub channel_id: String,
    /// Guild id. For DMs this is the DM session's pseudo-guild (the `/dms/{guild_id}` target).
    #[serde(deserialize_with = "de::string")]
    pub guild_id: String,
    /// Text, with `<@!id>` mentions and `&amp;`/`&lt;`/`&gt;` escapes as sent
    /// (see [`Message::plain_content`]).
    #[serde(deserialize_with = "de::string")]
    pub content: String,
    /// Sender.
    #[serde(deserialize_with = "de::or_default")]
    pub author: User,
    /// Sender's guild membership.
    #[serde(deserialize_with = "de::or_default")]
    pub member: Option<Member>,
    /// When it was sent.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub timestamp: Option<Timestamp>,
    /// When it was last edited.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub edited_timestamp: Option<Timestamp>,
    /// Attachments (absent when there are none).
    #[serde(deserialize_with = "de::or_default")]
    pub attachments: Vec<Attachment>,
    /// Mentioned users.
    #[serde(deserialize_with = "de::or_default")]
    pub mentions: Vec<User>,
    /// Whether everyone was mentioned.
    #[serde(deserialize_with = "de::flag")]
    pub mention_everyone: bool,
    /// The quoted message.
    #[serde(deserialize_with = "de::or_default")]
    pub message_reference: Option<MessageReference>,
    /// Deprecated global sequence number.
    #[serde(deserialize_with = "de::opt_int")]
    pub seq: Option<u64>,
    /// Sequence within the channel (a string on the wire).
    #[serde(deserialize_with = "de::opt_string")]
    pub seq_in_channel: Option<String>,
    /// True for guild DMs.
    #[serde(deserialize_with = "de::flag")]
    pub direct_message: bool,
    /// For DMs: the real guild the DM started from.
    #[serde(deserialize_with = "de::opt_string")]
    pub src_guild_id: Option<String>,
    /// Embeds, kept as JSON.
    #[serde(deserialize_with = "de::or_default")]
    pub embeds: Vec<serde_json::Value>,
    /// Ark payload, kept as JSON.
    pub ark: Option<serde_json::Value>,
}

impl Message {
    /// `content` with mention tags (`<@!id>`, `<@id>`) removed, `&amp;`/`&lt;`/`&gt;` unescaped and
    /// surrounding whitespace trimmed: `"<@!6158788878435714165> /ping"` gives `"/ping"`.
    pub fn plain_content(&self) -> String {
        let mut out = String::with_capacity(self.content.len());
        let mut rest = self.content.as_str();
        while let Some(start) = rest.find("<@") {
            out.push_str(&rest[..start]);
            let tail = &rest[start..];
            match tail.find('>') {
                Some(end) if is_mention(&tail[2..end]) => rest = &tail[end + 1..],
                _ => {
                    out.push_str("<@");
                    rest = &tail[2..];
                }
            }
        }
        out.push_str(rest);
        unescape(out.trim())
    }
}

impl GroupMessage {
    /// `content` trimmed (the platform leaves a leading space where the @bot mention was) and
    /// with `&amp;`/`&lt;`/`&gt;` unescaped: `" /ping"` gives `"/ping"`.
    pub fn plain_content(&self) -> String {
        unescape(self.content.trim())
    }
}

impl C2cMessage {
    /// `content` trimmed and with `&amp;`/`&lt;`/`&gt;` unescaped.
    pub fn plain_content(&self) -> String {
        unescape(self.content.trim())
    }
}

fn is_mention(inner: &str) -> bool {
    let id = inner.strip_prefix('!').unwrap_or(inner);
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The sender of a group message. `member_openid` is the sender's id within this group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct GroupAuthor {
    /// Same value as `member_openid` on the real platform.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// The sender's openid in this group.
    #[serde(deserialize_with = "de::string")]
    pub member_openid: String,
    /// Cross-app union openid.
    #[serde(deserialize_with = "de::opt_string")]
    pub union_openid: Option<String>,
    /// Whether the sender is a bot (2026 payloads).
    #[serde(deserialize_with = "de::flag")]
    pub bot: bool,
    /// `"member"`, `"admin"` or `"owner"` (2026 payloads).
    #[serde(deserialize_with = "de::opt_string")]
    pub member_role: Option<String>,
    /// Display name, when sent.
    #[serde(deserialize_with = "de::opt_string")]
    pub username: Option<String>,
}

/// A mention in a group message: `scope` is `"single"` or `"all"`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct GroupMention {
    /// `"single"` or `"all"`.
    #[serde(deserialize_with = "de::string")]
    pub scope: String,
    /// Mentioned user's id.
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    /// Mentioned member's openid.
    #[serde(deserialize_with = "de::opt_string")]
    pub member_openid: Option<String>,
    /// Display name.
    #[serde(deserialize_with = "de::opt_string")]
    pub username: Option<String>,
    /// Whether the mentioned user is a bot.
    #[serde(deserialize_with = "de::flag")]
    pub bot: bool,
    /// Whether the mention is this bot.
    #[serde(deserialize_with = "de::flag")]
    pub is_you: bool,
}

/// The author of a quoted message element.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ElementAuthor {
    /// Whether the author is a bot.
    #[serde(deserialize_with = "de::flag")]
    pub bot: bool,
    /// Display name.
    #[serde(deserialize_with = "de::opt_string")]
    pub username: Option<String>,
}

/// A quoted message inside a group message (`msg_elements`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct MessageElement {
    /// Quoted text.
    #[serde(deserialize_with = "de::string")]
    pub content: String,
    /// Quoted attachments.
    #[serde(deserialize_with = "de::or_default")]
    pub attachments: Vec<Attachment>,
    /// Quoted message type.
    #[serde(deserialize_with = "de::opt_int")]
    pub message_type: Option<u32>,
    /// Quoted message's `REFIDX_…` index.
    #[serde(deserialize_with = "de::opt_string")]
    pub msg_idx: Option<String>,
    /// Quoted message's author.
    #[serde(deserialize_with = "de::or_default")]
    pub author: ElementAuthor,
}

/// `GROUP_AT_MESSAGE_CREATE` (PROTOCOL.md §7.3). The @bot mention is stripped from `content`,
/// which keeps a leading space.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct GroupMessage {
    /// Message id (`ROBOT1.0_…`): reply with it as `msg_id`.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// Text, with a leading space where the mention was.
    #[serde(deserialize_with = "de::string")]
    pub content: String,
    /// When it was sent.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub timestamp: Option<Timestamp>,
    /// Sender.
    #[serde(deserialize_with = "de::or_default")]
    pub author: GroupAuthor,
    /// The group's openid: the `/v2/groups/{group_openid}` target.
    #[serde(deserialize_with = "de::string")]
    pub group_openid: String,
    /// Same value as `group_openid` on the real platform.
    #[serde(deserialize_with = "de::opt_string")]
    pub group_id: Option<String>,
    /// Message origin.
    #[serde(deserialize_with = "de::or_default")]
    pub message_scene: Option<MessageScene>,
    /// Message type (0 text).
    #[serde(deserialize_with = "de::opt_int")]
    pub message_type: Option<u32>,
    /// This message's `REFIDX_…` index.
    #[serde(deserialize_with = "de::opt_string")]
    pub msg_idx: Option<String>,
    /// Attachments.
    #[serde(deserialize_with = "de::or_default")]
    pub attachments: Vec<Attachment>,
    /// Mentions.
    #[serde(deserialize_with = "de::or_default")]
    pub mentions: Vec<GroupMention>,
    /// Quoted messages.
    #[serde(deserialize_with = "de::or_default")]
    pub msg_elements: Vec<MessageElement>,
}

/// The sender of a C2C message: `user_openid` (not `member_openid`; the same person has
/// different openids in groups and C2C).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct C2cAuthor {
    /// Same value as `user_openid` on the real platform.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// The user's openid for this bot: the `/v2/users/{openid}` target.
    #[serde(deserialize_with = "de::string")]
    pub user_openid: String,
    /// Cross-app union openid (often `""`, read as `None`).
    #[serde(deserialize_with = "de::opt_string")]
    pub union_openid: Option<String>,
    /// Whether the sender is a bot.
    #[serde(deserialize_with = "de::flag")]
    pub bot: bool,
    /// Display name (often `""`, read as `None`).
    #[serde(deserialize_with = "de::opt_string")]
    pub username: Option<String>,
}

/// `C2C_MESSAGE_CREATE` (PROTOCOL.md §7.4).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct C2cMessage {
    /// Message id (`ROBOT1.0_…`): reply with it as `msg_id`.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// Text.
    #[serde(deserialize_with = "de::string")]
    pub content: String,
    /// When it was sent.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub timestamp: Option<Timestamp>,
    /// Sender.
    #[serde(deserialize_with = "de::or_default")]
    pub author: C2cAuthor,
    /// Message origin.
    #[serde(deserialize_with = "de::or_default")]
    pub message_scene: Option<MessageScene>,
    /// Message type (0 text).
    #[serde(deserialize_with = "de::opt_int")]
    pub message_type: Option<u32>,
    /// This message's `REFIDX_…` index.
    #[serde(deserialize_with = "de::opt_string")]
    pub msg_idx: Option<String>,
    /// Attachments.
    #[serde(deserialize_with = "de::or_default")]
    pub attachments: Vec<Attachment>,
    /// Quoted messages.
    #[serde(deserialize_with = "de::or_default")]
    pub msg_elements: Vec<MessageElement>,
}

/// `MESSAGE_DELETE`, `PUBLIC_MESSAGE_DELETE`, `DIRECT_MESSAGE_DELETE`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct MessageDelete {
    /// The deleted message (a subset: id, channel, guild, author, DM flags).
    #[serde(deserialize_with = "de::or_default")]
    pub message: Message,
    /// Who deleted it.
    #[serde(deserialize_with = "de::or_default")]
    pub op_user: OpUser,
}

/// `MESSAGE_AUDIT_PASS` / `MESSAGE_AUDIT_REJECT`: the fate of a send that got HTTP 202.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct MessageAudit {
    /// The audit id returned with the 202.
    #[serde(deserialize_with = "de::string")]
    pub audit_id: String,
    /// The delivered message id (PASS only).
    #[serde(deserialize_with = "de::opt_string")]
    pub message_id: Option<String>,
    /// Guild id.
    #[serde(deserialize_with = "de::string")]
    pub guild_id: String,
    /// Channel id.
    #[serde(deserialize_with = "de::string")]
    pub channel_id: String,
    /// When the audit finished.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub audit_time: Option<Timestamp>,
    /// When the message was created.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub create_time: Option<Timestamp>,
    /// Sequence within the channel.
    #[serde(deserialize_with = "de::opt_string")]
    pub seq_in_channel: Option<String>,
}
