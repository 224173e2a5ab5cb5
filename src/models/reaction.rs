//! `MESSAGE_REACTION_ADD` / `MESSAGE_REACTION_REMOVE` (PROTOCOL.md §7.6).

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, Error as _};
use serde_json::Value;

use super::de;

/// What was reacted to. The docs (and botgo) say `target.type` is an int 0..3; the real platform
/// sends strings such as `"ReactionTargetType_MSG"`. Both read into this enum.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReactionTargetType {
    /// A message: `0` or `"ReactionTargetType_MSG"`.
    Message,
    /// A forum post: `1` or `"ReactionTargetType_FEED"`.
    Feed,
    /// A comment: `2` or `"ReactionTargetType_COMMNENT"` (the platform's spelling).
    Comment,
    /// A reply: `3` or `"ReactionTargetType_REPLY"`.
    Reply,
    /// Anything else, kept as sent (numbers as their decimal text; `""` when absent).
    Unknown(String),
}

impl Default for ReactionTargetType {
    /// Absent: `Unknown("")`.
    fn default() -> Self {
        ReactionTargetType::Unknown(String::new())
    }
}

impl ReactionTargetType {
    /// The documented integer code, when known.
    pub fn code(&self) -> Option<u8> {
        match self {
            ReactionTargetType::Message => Some(0),
            ReactionTargetType::Feed => Some(1),
            ReactionTargetType::Comment => Some(2),
            ReactionTargetType::Reply => Some(3),
            ReactionTargetType::Unknown(_) => None,
        }
    }

    /// The string the real platform sends (`ReactionTargetType_COMMNENT` keeps its typo).
    pub fn as_str(&self) -> &str {
        match self {
            ReactionTargetType::Message => "ReactionTargetType_MSG",
            ReactionTargetType::Feed => "ReactionTargetType_FEED",
            ReactionTargetType::Comment => "ReactionTargetType_COMMNENT",
            ReactionTargetType::Reply => "ReactionTargetType_REPLY",
            ReactionTargetType::Unknown(raw) => raw,
        }
    }

    fn from_code(code: &str) -> ReactionTargetType {
        match code {
            "0" => ReactionTargetType::Message,
            "1" => ReactionTargetType::Feed,
            "2" => ReactionTargetType::Comment,
            "3" => ReactionTargetType::Reply,
            other => ReactionTargetType::Unknown(other.to_owned()),
        }
    }

    fn from_name(name: &str) -> ReactionTargetType {
        match name {
            "ReactionTargetType_MSG" => ReactionTargetType::Message,
            "ReactionTargetType_FEED" => ReactionTargetType::Feed,
            // The platform's spelling, and the one it presumably meant.
            "ReactionTargetType_COMMNENT" | "ReactionTargetType_COMMENT" => {
                ReactionTargetType::Comment
            }
            "ReactionTargetType_REPLY" => ReactionTargetType::Reply,
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                ReactionTargetType::from_code(digits)
            }
            other => ReactionTargetType::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for ReactionTargetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReactionTargetType {
    /// An int (0..3) or a `ReactionTargetType_*` string; anything else is `Unknown`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(ReactionTargetType::default()),
            Value::Number(n) => Ok(ReactionTargetType::from_code(&n.to_string())),
            Value::String(s) => Ok(ReactionTargetType::from_name(&s)),
            other => Err(D::Error::custom(format!(
                "expected a reaction target type, found {other}"
            ))),
        }
    }
}

/// The emoji of a reaction.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Emoji {
    /// For system faces a numeric id; for Unicode emoji the character itself.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// 1 system face, 2 Unicode emoji.
    #[serde(rename = "type", deserialize_with = "de::opt_int")]
    pub kind: Option<u32>,
}

/// What a reaction is on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ReactionTarget {
    /// The target's id (a message id for messages).
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// Kind of target.
    #[serde(rename = "type")]
    pub kind: ReactionTargetType,
}

/// `MESSAGE_REACTION_ADD` / `MESSAGE_REACTION_REMOVE`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct MessageReaction {
    /// Who reacted.
    #[serde(deserialize_with = "de::string")]
    pub user_id: String,
    /// Guild id.
    #[serde(deserialize_with = "de::string")]
    pub guild_id: String,
    /// Channel id.
    #[serde(deserialize_with = "de::string")]
    pub channel_id: String,
    /// The emoji.
    #[serde(deserialize_with = "de::or_default")]
    pub emoji: Emoji,
    /// What was reacted to.
    #[serde(deserialize_with = "de::or_default")]
    pub target: ReactionTarget,
}
