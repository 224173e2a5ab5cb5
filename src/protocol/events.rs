//! Every known event name (`t`), exactly as sent, and which intent delivers it.
//!
//! The EVENT -> INTENT mapping is not a second table: it is read from the intents table
//! (`super::intents::INTENTS`), where each intent lists its events.

use std::fmt;
use std::str::FromStr;

use super::intents::{INTENTS, IntentInfo};

macro_rules! event_types {
    ($($variant:ident => $name:literal,)*) => {
        /// An event type. Known names get a variant; anything else is kept in `Unknown`.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum EventType {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
            /// A name qqbot does not know (yet); kept as sent.
            Unknown(String),
        }

        impl EventType {
            /// Every known event type.
            pub const KNOWN: &'static [EventType] = &[$(EventType::$variant,)*];

            /// The name exactly as sent in `t`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(EventType::$variant => $name,)*
                    EventType::Unknown(name) => name,
                }
            }

            /// Look up a `t` value (case-sensitive, as the platform sends it).
            pub fn from_name(name: &str) -> EventType {
                match name {
                    $($name => EventType::$variant,)*
                    other => EventType::Unknown(other.to_owned()),
                }
            }
        }
    };
}

event_types! {
    Ready => "READY",
    Resumed => "RESUMED",
    GuildCreate => "GUILD_CREATE",
    GuildUpdate => "GUILD_UPDATE",
    GuildDelete => "GUILD_DELETE",
    ChannelCreate => "CHANNEL_CREATE",
    ChannelUpdate => "CHANNEL_UPDATE",
    ChannelDelete => "CHANNEL_DELETE",
    GuildMemberAdd => "GUILD_MEMBER_ADD",
    GuildMemberUpdate => "GUILD_MEMBER_UPDATE",
    GuildMemberRemove => "GUILD_MEMBER_REMOVE",
    MessageCreate => "MESSAGE_CREATE",
    MessageDelete => "MESSAGE_DELETE",
    MessageReactionAdd => "MESSAGE_REACTION_ADD",
    MessageReactionRemove => "MESSAGE_REACTION_REMOVE",
    DirectMessageCreate => "DIRECT_MESSAGE_CREATE",
    DirectMessageDelete => "DIRECT_MESSAGE_DELETE",
    OpenForumThreadCreate => "OPEN_FORUM_THREAD_CREATE",
    OpenForumThreadUpdate => "OPEN_FORUM_THREAD_UPDATE",
    OpenForumThreadDelete => "OPEN_FORUM_THREAD_DELETE",
    OpenForumPostCreate => "OPEN_FORUM_POST_CREATE",
    OpenForumPostDelete => "OPEN_FORUM_POST_DELETE",
    OpenForumReplyCreate => "OPEN_FORUM_REPLY_CREATE",
    OpenForumReplyDelete => "OPEN_FORUM_REPLY_DELETE",
    AudioOrLiveChannelMemberEnter => "AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER",
    AudioOrLiveChannelMemberExit => "AUDIO_OR_LIVE_CHANNEL_MEMBER_EXIT",
    EnterAio => "ENTER_AIO",
    GroupMemberAdd => "GROUP_MEMBER_ADD",
    GroupMemberRemove => "GROUP_MEMBER_REMOVE",
    C2cMessageCreate => "C2C_MESSAGE_CREATE",
    FriendAdd => "FRIEND_ADD",
    FriendDel => "FRIEND_DEL",
    C2cMsgReject => "C2C_MSG_REJECT",
    C2cMsgReceive => "C2C_MSG_RECEIVE",
    GroupAtMessageCreate => "GROUP_AT_MESSAGE_CREATE",
    GroupAddRobot => "GROUP_ADD_ROBOT",
    GroupDelRobot => "GROUP_DEL_ROBOT",
    GroupMsgReject => "GROUP_MSG_REJECT",
    GroupMsgReceive => "GROUP_MSG_RECEIVE",
    SubscribeMessageStatus => "SUBSCRIBE_MESSAGE_STATUS",
    GroupMessageCreate => "GROUP_MESSAGE_CREATE",
    InteractionCreate => "INTERACTION_CREATE",
    MessageAuditPass => "MESSAGE_AUDIT_PASS",
    MessageAuditReject => "MESSAGE_AUDIT_REJECT",
    ForumThreadCreate => "FORUM_THREAD_CREATE",
    ForumThreadUpdate => "FORUM_THREAD_UPDATE",
    ForumThreadDelete => "FORUM_THREAD_DELETE",
    ForumPostCreate => "FORUM_POST_CREATE",
    ForumPostDelete => "FORUM_POST_DELETE",
    ForumReplyCreate => "FORUM_REPLY_CREATE",
    ForumReplyDelete => "FORUM_REPLY_DELETE",
    ForumPublishAuditResult => "FORUM_PUBLISH_AUDIT_RESULT",
    AudioStart => "AUDIO_START",
    AudioFinish => "AUDIO_FINISH",
    AudioOnMic => "AUDIO_ON_MIC",
    AudioOffMic => "AUDIO_OFF_MIC",
    AtMessageCreate => "AT_MESSAGE_CREATE",
    PublicMessageDelete => "PUBLIC_MESSAGE_DELETE",
}

/// How an event relates to intents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventIntent {
    /// Delivered whatever the intents (READY, RESUMED).
    Always,
    /// Delivered to sessions whose intents include this bit.
    Intent(&'static IntentInfo),
    /// Known event whose intent bit is not known (GROUP_MESSAGE_CREATE), or an unknown event.
    NotKnown,
}

impl EventType {
    /// Which intent delivers this event (read from the intents table).
    pub fn intent(&self) -> EventIntent {
        match self {
            EventType::Ready | EventType::Resumed => EventIntent::Always,
            other => {
                let name = other.as_str();
                INTENTS
                    .iter()
                    .find(|info| info.events.contains(&name))
                    .map(EventIntent::Intent)
                    .unwrap_or(EventIntent::NotKnown)
            }
        }
    }

    /// Whether a session with these intents would receive this event. Events whose intent is not
    /// known are delivered (the platform decides; qqbot does not filter what it cannot explain).
    pub fn delivered_with(&self, intents: u64) -> bool {
        match self.intent() {
            EventIntent::Always | EventIntent::NotKnown => true,
            EventIntent::Intent(info) => intents & info.value() != 0,
        }
    }
}

/// The closest known event name to a misspelt one (`AT_MESSAGE_CREAT` → `AT_MESSAGE_CREATE`),
/// if any is close enough; case and `-`/`_` are ignored.
pub fn suggest_event(name: &str) -> Option<&'static str> {
    let norm = |s: &str| s.to_ascii_uppercase().replace('-', "_");
    let wanted = norm(name);
    let known: &'static [EventType] = EventType::KNOWN;
    known
        .iter()
        .map(|e| {
            let candidate: &'static str = e.as_str();
            (strsim::jaro_winkler(&wanted, &norm(candidate)), candidate)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score >= 0.8)
        .map(|(_, name)| name)
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(EventType::from_name(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_kept() {
        for event in EventType::KNOWN {
            assert_eq!(&EventType::from_name(event.as_str()), event);
            assert_eq!(event.as_str(), event.as_str().to_uppercase());
        }
        assert_eq!(
            EventType::from_name("SOMETHING_NEW"),
            EventType::Unknown("SOMETHING_NEW".into())
        );
        // Case-sensitive, as sent.
        assert!(matches!(
            EventType::from_name("ready"),
            EventType::Unknown(_)
        ));
    }

    #[test]
    fn every_event_in_the_intents_table_is_a_known_event() {
        for info in INTENTS {
            for name in info.events {
                assert!(
                    !matches!(EventType::from_name(name), EventType::Unknown(_)),
                    "{name} ({}) has no EventType",
                    info.name
                );
            }
        }
    }

    #[test]
    fn event_to_intent() {
        let EventIntent::Intent(info) = EventType::AtMessageCreate.intent() else {
            panic!("AT_MESSAGE_CREATE has an intent")
        };
        assert_eq!(info.name, "PUBLIC_GUILD_MESSAGES");
        let EventIntent::Intent(info) = EventType::C2cMessageCreate.intent() else {
            panic!()
        };
        assert_eq!(info.value(), 1 << 25);
        assert_eq!(EventType::Ready.intent(), EventIntent::Always);
        assert_eq!(
            EventType::GroupMessageCreate.intent(),
            EventIntent::NotKnown
        );
        assert!(EventType::MessageCreate.delivered_with(1 << 9));
        assert!(!EventType::MessageCreate.delivered_with(1 << 30));
        assert!(EventType::Resumed.delivered_with(0));
    }
}
