//! Typed event models, parsed on demand from a dispatch's raw `d`.
//!
//! Every model is lenient (PROTOCOL.md §7): all fields are optional or defaulted, `null` reads as
//! absent, unknown fields are ignored, ids are strings even when sent as numbers, and the known
//! real-vs-documented differences are absorbed (reaction `target.type` int or string, timestamps
//! RFC 3339 or unix seconds, interaction `application_id` string or int).
//!
//! ```
//! use qqbot::models::Event;
//! let event = Event::parse("AT_MESSAGE_CREATE", r#"{"id":"m1","content":"<@!1> /ping"}"#).unwrap();
//! let Event::AtMessageCreate(message) = event else { panic!() };
//! assert_eq!(message.plain_content(), "/ping");
//! ```

mod common;
pub(crate) mod de;
mod guild;
mod interaction;
mod lifecycle;
mod message;
mod reaction;
mod timestamp;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

pub use common::{Attachment, Member, MessageReference, MessageScene, OpUser, User};
pub use guild::{Channel, Guild, GuildMember};
pub use interaction::{ChatType, Interaction, InteractionData, InteractionResolved};
pub use lifecycle::{EnterAio, FriendEvent, GroupRobotEvent, Ready, ReadyUser};
pub use message::{
    C2cAuthor, C2cMessage, ElementAuthor, GroupAuthor, GroupMention, GroupMessage, Message,
    MessageAudit, MessageDelete, MessageElement,
};
pub use reaction::{Emoji, MessageReaction, ReactionTarget, ReactionTargetType};
pub use timestamp::Timestamp;
pub(crate) use timestamp::lenient as timestamp_lenient;

use crate::protocol::EventType;

/// A `d` that could not be read as the model for its `t` (malformed JSON, or a field of an
/// impossible type such as an object where an id belongs).
#[derive(Debug, thiserror::Error)]
#[error("cannot read the {t} payload")]
pub struct ModelError {
    /// The event name.
    pub t: String,
    /// What serde said.
    #[source]
    pub source: serde_json::Error,
}

/// A dispatch, typed by its `t`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// `READY`.
    Ready(Ready),
    /// `RESUMED` (its `d` is `""`).
    Resumed,
    /// `AT_MESSAGE_CREATE`: a guild message that @-mentions the bot.
    AtMessageCreate(Message),
    /// `MESSAGE_CREATE`: any guild message (private-domain bots).
    MessageCreate(Message),
    /// `DIRECT_MESSAGE_CREATE`: a guild DM.
    DirectMessageCreate(Message),
    /// `GROUP_AT_MESSAGE_CREATE`: a group message that @-mentions the bot.
    GroupAtMessageCreate(GroupMessage),
    /// `GROUP_MESSAGE_CREATE`: any group message (where granted).
    GroupMessageCreate(GroupMessage),
    /// `C2C_MESSAGE_CREATE`: a single-chat message.
    C2cMessageCreate(C2cMessage),
    /// `GUILD_CREATE`.
    GuildCreate(Guild),
    /// `GUILD_UPDATE`.
    GuildUpdate(Guild),
    /// `GUILD_DELETE`.
    GuildDelete(Guild),
    /// `CHANNEL_CREATE`.
    ChannelCreate(Channel),
    /// `CHANNEL_UPDATE`.
    ChannelUpdate(Channel),
    /// `CHANNEL_DELETE`.
    ChannelDelete(Channel),
    /// `GUILD_MEMBER_ADD`.
    GuildMemberAdd(GuildMember),
    /// `GUILD_MEMBER_UPDATE`.
    GuildMemberUpdate(GuildMember),
    /// `GUILD_MEMBER_REMOVE`.
    GuildMemberRemove(GuildMember),
    /// `MESSAGE_REACTION_ADD`.
    MessageReactionAdd(MessageReaction),
    /// `MESSAGE_REACTION_REMOVE`.
    MessageReactionRemove(MessageReaction),
    /// `INTERACTION_CREATE` (acknowledge it).
    InteractionCreate(Interaction),
    /// `FRIEND_ADD`.
    FriendAdd(FriendEvent),
    /// `FRIEND_DEL`.
    FriendDel(FriendEvent),
    /// `C2C_MSG_REJECT`: the user turned off proactive messages.
    C2cMsgReject(FriendEvent),
    /// `C2C_MSG_RECEIVE`: the user turned proactive messages back on.
    C2cMsgReceive(FriendEvent),
    /// `GROUP_ADD_ROBOT`.
    GroupAddRobot(GroupRobotEvent),
    /// `GROUP_DEL_ROBOT`.
    GroupDelRobot(GroupRobotEvent),
    /// `GROUP_MSG_REJECT`.
    GroupMsgReject(GroupRobotEvent),
    /// `GROUP_MSG_RECEIVE`.
    GroupMsgReceive(GroupRobotEvent),
    /// `MESSAGE_DELETE`.
    MessageDelete(MessageDelete),
    /// `PUBLIC_MESSAGE_DELETE`.
    PublicMessageDelete(MessageDelete),
    /// `DIRECT_MESSAGE_DELETE`.
    DirectMessageDelete(MessageDelete),
    /// `MESSAGE_AUDIT_PASS`.
    MessageAuditPass(MessageAudit),
    /// `MESSAGE_AUDIT_REJECT`.
    MessageAuditReject(MessageAudit),
    /// `ENTER_AIO`.
    EnterAio(EnterAio),
    /// Any other `t` (forum, audio, names qqbot does not know), with `d` kept byte-exact.
    Other {
        /// The event name.
        t: String,
        /// The raw `d`.
        d: Box<RawValue>,
    },
}

fn body<T: DeserializeOwned + Default>(t: &str, d: &str) -> Result<T, ModelError> {
    serde_json::from_str::<Option<T>>(d)
        .map(Option::unwrap_or_default)
        .map_err(|source| ModelError {
            t: t.to_owned(),
            source,
        })
}

impl Event {
    /// Type a dispatch from its `t` and raw `d` text. Known names get their variant; any other
    /// name becomes [`Event::Other`]. A `null` `d` reads as an all-default body.
    pub fn parse(t: &str, d: &str) -> Result<Event, ModelError> {
        use EventType as E;
        Ok(match EventType::from_name(t) {
            E::Ready => Event::Ready(body(t, d)?),
            E::Resumed => Event::Resumed,
            E::AtMessageCreate => Event::AtMessageCreate(body(t, d)?),
            E::MessageCreate => Event::MessageCreate(body(t, d)?),
            E::DirectMessageCreate => Event::DirectMessageCreate(body(t, d)?),
            E::GroupAtMessageCreate => Event::GroupAtMessageCreate(body(t, d)?),
            E::GroupMessageCreate => Event::GroupMessageCreate(body(t, d)?),
            E::C2cMessageCreate => Event::C2cMessageCreate(body(t, d)?),
            E::GuildCreate => Event::GuildCreate(body(t, d)?),
            E::GuildUpdate => Event::GuildUpdate(body(t, d)?),
            E::GuildDelete => Event::GuildDelete(body(t, d)?),
            E::ChannelCreate => Event::ChannelCreate(body(t, d)?),
            E::ChannelUpdate => Event::ChannelUpdate(body(t, d)?),
            E::ChannelDelete => Event::ChannelDelete(body(t, d)?),
            E::GuildMemberAdd => Event::GuildMemberAdd(body(t, d)?),
            E::GuildMemberUpdate => Event::GuildMemberUpdate(body(t, d)?),
            E::GuildMemberRemove => Event::GuildMemberRemove(body(t, d)?),
            E::MessageReactionAdd => Event::MessageReactionAdd(body(t, d)?),
            E::MessageReactionRemove => Event::MessageReactionRemove(body(t, d)?),
            E::InteractionCreate => Event::InteractionCreate(body(t, d)?),
            E::FriendAdd => Event::FriendAdd(body(t, d)?),
            E::FriendDel => Event::FriendDel(body(t, d)?),
            E::C2cMsgReject => Event::C2cMsgReject(body(t, d)?),
            E::C2cMsgReceive => Event::C2cMsgReceive(body(t, d)?),
            E::GroupAddRobot => Event::GroupAddRobot(body(t, d)?),
            E::GroupDelRobot => Event::GroupDelRobot(body(t, d)?),
            E::GroupMsgReject => Event::GroupMsgReject(body(t, d)?),
            E::GroupMsgReceive => Event::GroupMsgReceive(body(t, d)?),
            E::MessageDelete => Event::MessageDelete(body(t, d)?),
            E::PublicMessageDelete => Event::PublicMessageDelete(body(t, d)?),
            E::DirectMessageDelete => Event::DirectMessageDelete(body(t, d)?),
            E::MessageAuditPass => Event::MessageAuditPass(body(t, d)?),
            E::MessageAuditReject => Event::MessageAuditReject(body(t, d)?),
            E::EnterAio => Event::EnterAio(body(t, d)?),
            _ => Event::Other {
                t: t.to_owned(),
                d: RawValue::from_string(d.to_owned()).map_err(|source| ModelError {
                    t: t.to_owned(),
                    source,
                })?,
            },
        })
    }

    /// The event name (`t`) this variant stands for.
    pub fn name(&self) -> &str {
        match self {
            Event::Ready(_) => "READY",
            Event::Resumed => "RESUMED",
            Event::AtMessageCreate(_) => "AT_MESSAGE_CREATE",
            Event::MessageCreate(_) => "MESSAGE_CREATE",
            Event::DirectMessageCreate(_) => "DIRECT_MESSAGE_CREATE",
            Event::GroupAtMessageCreate(_) => "GROUP_AT_MESSAGE_CREATE",
            Event::GroupMessageCreate(_) => "GROUP_MESSAGE_CREATE",
            Event::C2cMessageCreate(_) => "C2C_MESSAGE_CREATE",
            Event::GuildCreate(_) => "GUILD_CREATE",
            Event::GuildUpdate(_) => "GUILD_UPDATE",
            Event::GuildDelete(_) => "GUILD_DELETE",
            Event::ChannelCreate(_) => "CHANNEL_CREATE",
            Event::ChannelUpdate(_) => "CHANNEL_UPDATE",
            Event::ChannelDelete(_) => "CHANNEL_DELETE",
            Event::GuildMemberAdd(_) => "GUILD_MEMBER_ADD",
            Event::GuildMemberUpdate(_) => "GUILD_MEMBER_UPDATE",
            Event::GuildMemberRemove(_) => "GUILD_MEMBER_REMOVE",
            Event::MessageReactionAdd(_) => "MESSAGE_REACTION_ADD",
            Event::MessageReactionRemove(_) => "MESSAGE_REACTION_REMOVE",
            Event::InteractionCreate(_) => "INTERACTION_CREATE",
            Event::FriendAdd(_) => "FRIEND_ADD",
            Event::FriendDel(_) => "FRIEND_DEL",
            Event::C2cMsgReject(_) => "C2C_MSG_REJECT",
            Event::C2cMsgReceive(_) => "C2C_MSG_RECEIVE",
            Event::GroupAddRobot(_) => "GROUP_ADD_ROBOT",
            Event::GroupDelRobot(_) => "GROUP_DEL_ROBOT",
            Event::GroupMsgReject(_) => "GROUP_MSG_REJECT",
            Event::GroupMsgReceive(_) => "GROUP_MSG_RECEIVE",
            Event::MessageDelete(_) => "MESSAGE_DELETE",
            Event::PublicMessageDelete(_) => "PUBLIC_MESSAGE_DELETE",
            Event::DirectMessageDelete(_) => "DIRECT_MESSAGE_DELETE",
            Event::MessageAuditPass(_) => "MESSAGE_AUDIT_PASS",
            Event::MessageAuditReject(_) => "MESSAGE_AUDIT_REJECT",
            Event::EnterAio(_) => "ENTER_AIO",
            Event::Other { t, .. } => t,
        }
    }

    /// The event type, from [`crate::protocol::EventType`].
    pub fn event_type(&self) -> EventType {
        EventType::from_name(self.name())
    }
}
