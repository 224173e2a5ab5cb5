//! Guild, channel and guild-member events.

use serde::Deserialize;

use super::common::User;
use super::de;
use super::timestamp::{self, Timestamp};

/// A guild (`GUILD_CREATE` / `UPDATE` / `DELETE`, and `GET /users/@me/guilds`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Guild {
    /// Guild id.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// Name.
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    /// Icon URL.
    #[serde(deserialize_with = "de::opt_string")]
    pub icon: Option<String>,
    /// Owner's user id.
    #[serde(deserialize_with = "de::opt_string")]
    pub owner_id: Option<String>,
    /// Whether the bot owns it.
    #[serde(deserialize_with = "de::flag")]
    pub owner: bool,
    /// Member count.
    #[serde(deserialize_with = "de::opt_int")]
    pub member_count: Option<u64>,
    /// Member limit.
    #[serde(deserialize_with = "de::opt_int")]
    pub max_members: Option<u64>,
    /// Description.
    #[serde(deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// When the bot joined.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub joined_at: Option<Timestamp>,
    /// Who made the change (events only).
    #[serde(deserialize_with = "de::opt_string")]
    pub op_user_id: Option<String>,
}

/// A channel (`CHANNEL_CREATE` / `UPDATE` / `DELETE`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Channel {
    /// Channel id.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// Guild id.
    #[serde(deserialize_with = "de::string")]
    pub guild_id: String,
    /// Name.
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    /// Channel type (0 text, 2 voice, 4 group, 10005 live, 10006 app, 10007 forum).
    #[serde(rename = "type", deserialize_with = "de::opt_int")]
    pub kind: Option<u32>,
    /// Sub type (0 chat, 1 announcement, 2 guide, 3 game).
    #[serde(deserialize_with = "de::opt_int")]
    pub sub_type: Option<u32>,
    /// Sort position.
    #[serde(deserialize_with = "de::opt_int")]
    pub position: Option<i64>,
    /// Parent category id.
    #[serde(deserialize_with = "de::opt_string")]
    pub parent_id: Option<String>,
    /// Creator's user id.
    #[serde(deserialize_with = "de::opt_string")]
    pub owner_id: Option<String>,
    /// 0 public, 1 admins only, 2 selected members.
    #[serde(deserialize_with = "de::opt_int")]
    pub private_type: Option<u32>,
    /// 1 everyone, 2 selected members.
    #[serde(deserialize_with = "de::opt_int")]
    pub speak_permission: Option<u32>,
    /// App id for app channels.
    #[serde(deserialize_with = "de::opt_string")]
    pub application_id: Option<String>,
    /// Permission bits, as a string.
    #[serde(deserialize_with = "de::opt_string")]
    pub permissions: Option<String>,
    /// Who made the change (events only).
    #[serde(deserialize_with = "de::opt_string")]
    pub op_user_id: Option<String>,
}

/// `GUILD_MEMBER_ADD` / `UPDATE` / `REMOVE` (PROTOCOL.md §7.5).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct GuildMember {
    /// Guild id.
    #[serde(deserialize_with = "de::string")]
    pub guild_id: String,
    /// The member.
    #[serde(deserialize_with = "de::or_default")]
    pub user: User,
    /// Nickname.
    #[serde(deserialize_with = "de::opt_string")]
    pub nick: Option<String>,
    /// Role ids ("not standardized" per the docs).
    #[serde(deserialize_with = "de::or_default")]
    pub roles: Vec<String>,
    /// When they joined ("not standardized" per the docs).
    #[serde(deserialize_with = "timestamp::lenient")]
    pub joined_at: Option<Timestamp>,
    /// Who made the change.
    #[serde(deserialize_with = "de::opt_string")]
    pub op_user_id: Option<String>,
}
