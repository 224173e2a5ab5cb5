//! `INTERACTION_CREATE` (PROTOCOL.md §7.7): button clicks and C2C quick menus. Acknowledge each with
//! [`crate::http::api::Api::ack_interaction`].

use serde::Deserialize;

use super::de;
use super::timestamp::{self, Timestamp};

/// Where an interaction happened (`chat_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatType {
    /// 0: a guild.
    Guild,
    /// 1: a group.
    Group,
    /// 2: a C2C chat.
    C2c,
    /// Any other value.
    Unknown(u32),
}

impl From<u32> for ChatType {
    fn from(value: u32) -> Self {
        match value {
            0 => ChatType::Guild,
            1 => ChatType::Group,
            2 => ChatType::C2c,
            other => ChatType::Unknown(other),
        }
    }
}

/// `data.resolved`: what was clicked, and in guilds, by whom and on which message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct InteractionResolved {
    /// The button's id.
    #[serde(deserialize_with = "de::opt_string")]
    pub button_id: Option<String>,
    /// The button's data.
    #[serde(deserialize_with = "de::opt_string")]
    pub button_data: Option<String>,
    /// Guild: the user who clicked.
    #[serde(deserialize_with = "de::opt_string")]
    pub user_id: Option<String>,
    /// Guild: the message the button was on.
    #[serde(deserialize_with = "de::opt_string")]
    pub message_id: Option<String>,
    /// Quick-menu feature id, when sent.
    #[serde(deserialize_with = "de::opt_string")]
    pub feature_id: Option<String>,
}

/// `data` of an interaction.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct InteractionData {
    /// 11 message button, 12 C2C quick menu (botgo adds 9, 13, 14).
    #[serde(rename = "type", deserialize_with = "de::opt_int")]
    pub kind: Option<u32>,
    /// What was clicked.
    #[serde(deserialize_with = "de::or_default")]
    pub resolved: InteractionResolved,
}

/// `INTERACTION_CREATE`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Interaction {
    /// Interaction id: acknowledge it with `PUT /interactions/{id}`; also usable as `event_id`.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    /// The bot's app id (a string, but botpy types it as an int: both are read).
    #[serde(deserialize_with = "de::string")]
    pub application_id: String,
    /// 11 message button, 12 C2C quick menu.
    #[serde(rename = "type", deserialize_with = "de::opt_int")]
    pub kind: Option<u32>,
    /// `"guild"`, `"group"` or `"c2c"`.
    #[serde(deserialize_with = "de::opt_string")]
    pub scene: Option<String>,
    /// 0 guild, 1 group, 2 C2C (see [`Interaction::chat`]).
    #[serde(deserialize_with = "de::opt_int")]
    pub chat_type: Option<u32>,
    /// When it happened.
    #[serde(deserialize_with = "timestamp::lenient")]
    pub timestamp: Option<Timestamp>,
    /// Guild id (guild scene).
    #[serde(deserialize_with = "de::opt_string")]
    pub guild_id: Option<String>,
    /// Channel id (guild scene).
    #[serde(deserialize_with = "de::opt_string")]
    pub channel_id: Option<String>,
    /// User openid (C2C scene).
    #[serde(deserialize_with = "de::opt_string")]
    pub user_openid: Option<String>,
    /// Group openid (group scene).
    #[serde(deserialize_with = "de::opt_string")]
    pub group_openid: Option<String>,
    /// Clicking member's openid (group scene).
    #[serde(deserialize_with = "de::opt_string")]
    pub group_member_openid: Option<String>,
    /// What was clicked.
    #[serde(deserialize_with = "de::or_default")]
    pub data: InteractionData,
    /// Payload version.
    #[serde(deserialize_with = "de::opt_int")]
    pub version: Option<u32>,
}

impl Interaction {
    /// `chat_type` as an enum.
    pub fn chat(&self) -> Option<ChatType> {
        self.chat_type.map(ChatType::from)
    }
}
