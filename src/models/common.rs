//! Building blocks shared by several events: users, members, attachments, references.

use serde::{Deserialize, Serialize};

use super::de;
use super::timestamp::{self, Timestamp};

/// A guild user (author, mention, member user). Guild ids are numeric strings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct User {
    /// User id (numeric string in guilds).
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// Display name.
    #[serde(deserialize_with = "de::string")]
    pub username: String,
    /// Avatar URL.
    #[serde(deserialize_with = "de::opt_string")]
    pub avatar: Option<String>,
    /// Whether the user is a bot.
    #[serde(deserialize_with = "de::flag")]
    pub bot: bool,
    /// Cross-app union openid, when the platform sends it.
    #[serde(deserialize_with = "de::opt_string")]
    pub union_openid: Option<String>,
    /// Cross-app union account, when the platform sends it.
    #[serde(deserialize_with = "de::opt_string")]
    pub union_user_account: Option<String>,
}

/// Guild membership details attached to a message (`member`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Member {
    /// When the user joined the guild.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub joined_at: Option<Timestamp>,
    /// Role ids.
    #[serde(deserialize_with = "de::or_default")]
    pub roles: Vec<String>,
    /// Nickname in the guild.
    #[serde(deserialize_with = "de::opt_string")]
    pub nick: Option<String>,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Attachment {
    /// Attachment id (guild messages).
    #[serde(deserialize_with = "de::opt_string")]
    pub id: Option<String>,
    /// `image/jpeg`, `image/png`, `image/gif`, `file`, `video/mp4`, `voice`, ...
    #[serde(deserialize_with = "de::string")]
    pub content_type: String,
    /// File name.
    #[serde(deserialize_with = "de::opt_string")]
    pub filename: Option<String>,
    /// URL as sent; guild URLs often lack a scheme (see [`Attachment::url_with_scheme`]).
    #[serde(deserialize_with = "de::string")]
    pub url: String,
    /// Height in pixels (images and videos).
    #[serde(deserialize_with = "de::opt_int")]
    pub height: Option<u32>,
    /// Width in pixels (images and videos).
    #[serde(deserialize_with = "de::opt_int")]
    pub width: Option<u32>,
    /// Size in bytes.
    #[serde(deserialize_with = "de::opt_int")]
    pub size: Option<u64>,
    /// For voice: a WAV transcoding URL, when sent.
    #[serde(deserialize_with = "de::opt_string")]
    pub voice_wav_url: Option<String>,
    /// For voice: the platform's speech-to-text, when sent.
    #[serde(deserialize_with = "de::opt_string")]
    pub asr_refer_text: Option<String>,
}

impl Attachment {
    /// The URL with `https://` prepended when the platform sent it without a scheme
    /// (as satori and nonebot do).
    pub fn url_with_scheme(&self) -> String {
        if self.url.is_empty() || self.url.contains("://") {
            self.url.clone()
        } else {
            format!("https://{}", self.url.trim_start_matches('/'))
        }
    }
}

/// A quoted message (`message_reference`), received or sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MessageReference {
    /// The quoted message id (group/C2C: a `REFIDX_…`).
    #[serde(deserialize_with = "de::string")]
    pub message_id: String,
    /// Send even if the quoted message cannot be fetched (omitted when false).
    #[serde(
        deserialize_with = "de::flag",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub ignore_get_message_error: bool,
}

/// Where a group/C2C message came from (`message_scene`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct MessageScene {
    /// `"default"` for ordinary messages.
    #[serde(deserialize_with = "de::string")]
    pub source: String,
    /// Extra `key=value` strings, such as `msg_idx=REFIDX_…` and `ref_msg_idx=REFIDX_…`.
    #[serde(deserialize_with = "de::or_default")]
    pub ext: Vec<String>,
}

impl MessageScene {
    /// The value of one `key=value` entry of `ext` (for example `"msg_idx"`).
    pub fn ext_value(&self, key: &str) -> Option<&str> {
        self.ext.iter().find_map(|entry| {
            entry
                .split_once('=')
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v)
        })
    }
}

/// An operator reference (`op_user: {id}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct OpUser {
    /// The operator's user id.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
}
