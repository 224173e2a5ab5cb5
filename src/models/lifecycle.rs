//! Small bodies: READY, friend and group-robot events, ENTER_AIO.

use serde::Deserialize;

use super::de;
use super::timestamp::{self, Timestamp};

/// The bot user in READY.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ReadyUser {
    /// Bot user id.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// Bot name.
    #[serde(deserialize_with = "de::string")]
    pub username: String,
    /// Always true.
    #[serde(deserialize_with = "de::flag")]
    pub bot: bool,
}

/// `READY`, as the gateway core, the intent probe and [`crate::client::EventHandler::ready`]
/// read it (lenient; the core refuses one without a `session_id`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Ready {
    /// Gateway version.
    #[serde(deserialize_with = "de::opt_int")]
    pub version: Option<u32>,
    /// Session id.
    #[serde(deserialize_with = "de::string")]
    pub session_id: String,
    /// The bot.
    #[serde(deserialize_with = "de::or_default")]
    pub user: ReadyUser,
    /// `[shard_id, num_shards]`.
    pub shard: Option<[u32; 2]>,
}

/// `FRIEND_ADD` / `FRIEND_DEL` / `C2C_MSG_REJECT` / `C2C_MSG_RECEIVE`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct FriendEvent {
    /// The user's openid.
    #[serde(deserialize_with = "de::string")]
    pub openid: String,
    /// When it happened (an int on the wire).
    #[serde(deserialize_with = "timestamp::lenient")]
    pub timestamp: Option<Timestamp>,
    /// Nickname (modelled by botgo, "to be filled").
    #[serde(deserialize_with = "de::opt_string")]
    pub nick: Option<String>,
    /// Avatar URL (modelled by botgo, "to be filled").
    #[serde(deserialize_with = "de::opt_string")]
    pub avatar: Option<String>,
}

/// `GROUP_ADD_ROBOT` / `GROUP_DEL_ROBOT` / `GROUP_MSG_REJECT` / `GROUP_MSG_RECEIVE`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct GroupRobotEvent {
    /// The group.
    #[serde(deserialize_with = "de::string")]
    pub group_openid: String,
    /// The member who did it.
    #[serde(deserialize_with = "de::string")]
    pub op_member_openid: String,
    /// When it happened (an int on the wire).
    #[serde(deserialize_with = "timestamp::lenient")]
    pub timestamp: Option<Timestamp>,
}

/// `ENTER_AIO`: a user opened the C2C chat window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct EnterAio {
    /// The user's openid.
    #[serde(deserialize_with = "de::string")]
    pub user_openid: String,
    /// Where they came from.
    #[serde(deserialize_with = "de::opt_string")]
    pub from_source: Option<String>,
    /// When it happened, if sent.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub timestamp: Option<Timestamp>,
}
