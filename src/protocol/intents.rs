//! The intents table (PROTOCOL.md §4) and the intents parser.
//!
//! One table lists every bit: its documented name, the names other SDKs use for it (botpy, botgo,
//! botrs, nonebot, satori, qqbot-nodejs), the events it delivers and who may use it.

use std::fmt;

use super::events::EventType;

/// Who may subscribe to an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Granted to every bot by default.
    Default,
    /// Needs an application in the QQ console (or the group/C2C capability).
    NeedsApplication,
    /// Private-domain (私域) bots only.
    PrivateOnly,
}

impl Access {
    /// Short label for tables.
    pub const fn label(self) -> &'static str {
        match self {
            Access::Default => "default",
            Access::NeedsApplication => "needs application",
            Access::PrivateOnly => "private bots only",
        }
    }
}

/// One intent bit.
#[derive(Debug, PartialEq, Eq)]
pub struct IntentInfo {
    /// The name in the QQ docs (or the most common name for bits outside the doc table).
    pub name: &'static str,
    /// Bit position: the value is `1 << bit`.
    pub bit: u8,
    /// Names other SDKs use. Matching ignores case, `_` and `-`.
    pub aliases: &'static [&'static str],
    /// Events (`t`) this intent delivers.
    pub events: &'static [&'static str],
    /// Who may use it.
    pub access: Access,
    /// Whether the bit is in the official doc table. Undocumented bits are excluded from `all`.
    pub documented: bool,
    /// One line on what it is for.
    pub summary: &'static str,
}

impl IntentInfo {
    /// The bit value.
    pub const fn value(&self) -> u64 {
        1 << self.bit
    }
}

/// Every intent bit, in bit order.
pub static INTENTS: &[IntentInfo] = &[
    IntentInfo {
        name: "GUILDS",
        bit: 0,
        aliases: &["guilds", "IntentGuilds"],
        events: &[
            "GUILD_CREATE",
            "GUILD_UPDATE",
            "GUILD_DELETE",
            "CHANNEL_CREATE",
            "CHANNEL_UPDATE",
            "CHANNEL_DELETE",
        ],
        access: Access::Default,
        documented: true,
        summary: "guild and channel lifecycle (bot joins/leaves a guild, channels change)",
    },
    IntentInfo {
        name: "GUILD_MEMBERS",
        bit: 1,
        aliases: &["guild_members", "IntentGuildMembers"],
        events: &[
            "GUILD_MEMBER_ADD",
            "GUILD_MEMBER_UPDATE",
            "GUILD_MEMBER_REMOVE",
        ],
        access: Access::Default,
        documented: true,
        summary: "guild members join, change or leave",
    },
    IntentInfo {
        name: "GUILD_MESSAGES",
        bit: 9,
        aliases: &["guild_messages", "IntentGuildMessages"],
        events: &["MESSAGE_CREATE", "MESSAGE_DELETE"],
        access: Access::PrivateOnly,
        documented: true,
        summary: "every channel message, not only @bot (private-domain bots only)",
    },
    IntentInfo {
        name: "GUILD_MESSAGE_REACTIONS",
        bit: 10,
        aliases: &["guild_message_reactions", "IntentGuildMessageReactions"],
        events: &["MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"],
        access: Access::NeedsApplication,
        documented: true,
        summary: "emoji reactions on channel messages",
    },
    IntentInfo {
        name: "DIRECT_MESSAGE",
        bit: 12,
        aliases: &["direct_message", "DIRECT_MESSAGES", "IntentDirectMessages"],
        events: &["DIRECT_MESSAGE_CREATE", "DIRECT_MESSAGE_DELETE"],
        access: Access::NeedsApplication,
        documented: true,
        summary: "guild direct messages (频道私信); not available in the sandbox",
    },
    IntentInfo {
        name: "OPEN_FORUMS_EVENT",
        bit: 18,
        aliases: &["open_forum_event", "OPEN_FORUM_EVENT", "open_forums_event"],
        events: &[
            "OPEN_FORUM_THREAD_CREATE",
            "OPEN_FORUM_THREAD_UPDATE",
            "OPEN_FORUM_THREAD_DELETE",
            "OPEN_FORUM_POST_CREATE",
            "OPEN_FORUM_POST_DELETE",
            "OPEN_FORUM_REPLY_CREATE",
            "OPEN_FORUM_REPLY_DELETE",
        ],
        access: Access::NeedsApplication,
        documented: true,
        summary: "forum events for public-domain bots (defined by every SDK, absent from the v2 doc table)",
    },
    IntentInfo {
        name: "AUDIO_OR_LIVE_CHANNEL_MEMBER",
        bit: 19,
        aliases: &["audio_or_live_channel_member", "audio_live_member"],
        events: &[
            "AUDIO_OR_LIVE_CHANNEL_MEMBER_ENTER",
            "AUDIO_OR_LIVE_CHANNEL_MEMBER_EXIT",
        ],
        access: Access::NeedsApplication,
        documented: true,
        summary: "members entering or leaving audio/live channels",
    },
    IntentInfo {
        name: "ENTER_AIO",
        bit: 23,
        aliases: &["IntentEnterAIO", "enter_aio"],
        events: &["ENTER_AIO"],
        access: Access::NeedsApplication,
        documented: false,
        summary: "a user opened the bot's chat window (botgo only; not in the doc table)",
    },
    IntentInfo {
        name: "GROUP_MEMBERS",
        bit: 24,
        aliases: &["group_members"],
        events: &["GROUP_MEMBER_ADD", "GROUP_MEMBER_REMOVE"],
        access: Access::NeedsApplication,
        documented: false,
        summary: "group members join or leave (nonebot, 2026; not in the doc table)",
    },
    IntentInfo {
        name: "GROUP_AND_C2C_EVENT",
        bit: 25,
        aliases: &[
            "public_messages",
            "PUBLIC_MESSAGES",
            "c2c_group_at_messages",
            "USER_MESSAGE",
            "GROUP_AND_C2C",
            "IntentGroupMessages",
            "group_messages",
        ],
        events: &[
            "C2C_MESSAGE_CREATE",
            "FRIEND_ADD",
            "FRIEND_DEL",
            "C2C_MSG_REJECT",
            "C2C_MSG_RECEIVE",
            "GROUP_AT_MESSAGE_CREATE",
            "GROUP_ADD_ROBOT",
            "GROUP_DEL_ROBOT",
            "GROUP_MSG_REJECT",
            "GROUP_MSG_RECEIVE",
            "SUBSCRIBE_MESSAGE_STATUS",
        ],
        access: Access::NeedsApplication,
        documented: true,
        summary: "group @bot messages, C2C (单聊) messages, friend and group-robot events",
    },
    IntentInfo {
        name: "INTERACTION",
        bit: 26,
        aliases: &["interaction", "INTERACTIONS", "IntentInteraction"],
        events: &["INTERACTION_CREATE"],
        access: Access::NeedsApplication,
        documented: true,
        summary: "button and quick-menu interactions (must be acknowledged with PUT /interactions/{id})",
    },
    IntentInfo {
        name: "MESSAGE_AUDIT",
        bit: 27,
        aliases: &["message_audit", "IntentAudit"],
        events: &["MESSAGE_AUDIT_PASS", "MESSAGE_AUDIT_REJECT"],
        access: Access::NeedsApplication,
        documented: true,
        summary: "results of message audits (202 'waiting for audit' sends)",
    },
    IntentInfo {
        name: "FORUMS_EVENT",
        bit: 28,
        aliases: &[
            "forums",
            "FORUMS",
            "forum_event",
            "FORUM_EVENT",
            "IntentForum",
        ],
        events: &[
            "FORUM_THREAD_CREATE",
            "FORUM_THREAD_UPDATE",
            "FORUM_THREAD_DELETE",
            "FORUM_POST_CREATE",
            "FORUM_POST_DELETE",
            "FORUM_REPLY_CREATE",
            "FORUM_REPLY_DELETE",
            "FORUM_PUBLISH_AUDIT_RESULT",
        ],
        access: Access::PrivateOnly,
        documented: true,
        summary: "forum threads, posts and replies (private-domain bots only)",
    },
    IntentInfo {
        name: "AUDIO_ACTION",
        bit: 29,
        aliases: &["audio_action", "IntentAudio"],
        events: &[
            "AUDIO_START",
            "AUDIO_FINISH",
            "AUDIO_ON_MIC",
            "AUDIO_OFF_MIC",
        ],
        access: Access::NeedsApplication,
        documented: true,
        summary: "audio channel playback and microphone events",
    },
    IntentInfo {
        name: "PUBLIC_GUILD_MESSAGES",
        bit: 30,
        aliases: &[
            "public_guild_messages",
            "at_messages",
            "IntentGuildAtMessage",
        ],
        events: &["AT_MESSAGE_CREATE", "PUBLIC_MESSAGE_DELETE"],
        access: Access::Default,
        documented: true,
        summary: "channel messages that @mention the bot",
    },
];

/// A set of intent bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Intents(pub u64);

impl Intents {
    /// No intents.
    pub const NONE: Intents = Intents(0);

    /// The bits granted to every bot by default: GUILDS | GUILD_MEMBERS | PUBLIC_GUILD_MESSAGES.
    pub fn default_granted() -> Intents {
        Intents(
            INTENTS
                .iter()
                .filter(|i| i.access == Access::Default)
                .map(IntentInfo::value)
                .sum(),
        )
    }

    /// Every documented bit (botpy's `Intents.all()`, 2114721283). Undocumented bits are excluded.
    pub fn all() -> Intents {
        Intents(
            INTENTS
                .iter()
                .filter(|i| i.documented)
                .map(IntentInfo::value)
                .sum(),
        )
    }

    /// The raw value.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every bit of `other` is in `self`.
    pub const fn contains(self, other: Intents) -> bool {
        self.0 & other.0 == other.0
    }

    /// The table rows whose bit is set.
    pub fn infos(self) -> impl Iterator<Item = &'static IntentInfo> {
        INTENTS.iter().filter(move |i| self.0 & i.value() != 0)
    }

    /// Set bits that are not in the table.
    pub fn unknown_bits(self) -> u64 {
        let known: u64 = INTENTS.iter().map(IntentInfo::value).sum();
        self.0 & !known
    }

    /// Parse an intents specification: names or aliases (any case), numbers (`513`, `0x201`,
    /// `1<<25`), `all`, `default` and `none`, separated by `,`, `|`, `+` or spaces.
    pub fn parse(spec: &str) -> Result<Intents, IntentError> {
        let mut bits = 0u64;
        let mut any = false;
        for token in spec
            .split([',', '|', '+', ' ', '\t', '\n'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            any = true;
            bits |= parse_token(token)?.0;
        }
        if !any {
            return Err(IntentError::Empty);
        }
        Ok(Intents(bits))
    }

    /// The smallest set of intents that delivers all of `events`. Events whose intent is not known
    /// are returned separately.
    pub fn minimal_for<'e>(
        events: impl IntoIterator<Item = &'e EventType>,
    ) -> (Intents, Vec<String>) {
        use super::events::EventIntent;
        let mut bits = 0;
        let mut unknown = Vec::new();
        for event in events {
            match event.intent() {
                EventIntent::Always => {}
                EventIntent::Intent(info) => bits |= info.value(),
                EventIntent::NotKnown => unknown.push(event.as_str().to_owned()),
            }
        }
        (Intents(bits), unknown)
    }

    /// Names joined with `|`, e.g. `GUILDS|PUBLIC_GUILD_MESSAGES`; unknown bits as numbers.
    pub fn names(self) -> String {
        let mut parts: Vec<String> = self.infos().map(|i| i.name.to_owned()).collect();
        let unknown = self.unknown_bits();
        if unknown != 0 {
            parts.push(unknown.to_string());
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join("|")
        }
    }
}

impl fmt::Display for Intents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.names())
    }
}

impl std::str::FromStr for Intents {
    type Err = IntentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Intents::parse(s)
    }
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Find the table row for a name or alias.
pub fn lookup(name: &str) -> Option<&'static IntentInfo> {
    let wanted = normalise(name);
    INTENTS.iter().find(|info| {
        normalise(info.name) == wanted || info.aliases.iter().any(|a| normalise(a) == wanted)
    })
}

/// Find the table row for a bit value (`512`) or bit position written as `1<<9`.
pub fn lookup_value(value: u64) -> Option<&'static IntentInfo> {
    INTENTS.iter().find(|info| info.value() == value)
}

fn parse_number(token: &str) -> Option<u64> {
    let t = token.trim();
    if let Some((base, shift)) = t.split_once("<<") {
        let base: u64 = base.trim().parse().ok()?;
        let shift: u32 = shift.trim().parse().ok()?;
        return base.checked_shl(shift).filter(|_| shift < 64);
    }
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    t.parse().ok()
}

fn parse_token(token: &str) -> Result<Intents, IntentError> {
    if token.starts_with(|c: char| c.is_ascii_digit()) {
        return parse_number(token)
            .map(Intents)
            .ok_or_else(|| IntentError::BadNumber(token.to_owned()));
    }
    match normalise(token).as_str() {
        "all" => return Ok(Intents::all()),
        "default" => return Ok(Intents::default_granted()),
        "none" => return Ok(Intents::NONE),
        _ => {}
    }
    lookup(token)
        .map(|info| Intents(info.value()))
        .ok_or_else(|| IntentError::UnknownName {
            name: token.to_owned(),
            suggestion: suggest(token),
        })
}

/// The closest intent name to a misspelt one, if any is close enough.
pub fn suggest(name: &str) -> Option<&'static str> {
    let wanted = normalise(name);
    let mut best: Option<(f64, &'static str)> = None;
    for info in INTENTS {
        for candidate in std::iter::once(&info.name).chain(info.aliases.iter()) {
            let score = strsim::jaro_winkler(&wanted, &normalise(candidate));
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, info.name));
            }
        }
    }
    best.filter(|(score, _)| *score >= 0.8)
        .map(|(_, name)| name)
}

/// Why an intents specification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentError {
    /// Nothing was given.
    #[error("no intents given")]
    Empty,
    /// A name matched no intent or alias.
    #[error("unknown intent `{name}`{}", suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownName {
        /// What was written.
        name: String,
        /// The closest known name.
        suggestion: Option<&'static str>,
    },
    /// A number that does not parse.
    #[error("`{0}` is not a valid intents number")]
    BadNumber(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_bits_are_unique_and_sorted() {
        for pair in INTENTS.windows(2) {
            assert!(
                pair[0].bit < pair[1].bit,
                "{} / {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn presets_match_the_documented_values() {
        assert_eq!(Intents::all().bits(), 2_114_721_283, "botpy Intents.all()");
        assert_eq!(Intents::default_granted().bits(), 1 | 2 | (1 << 30));
        assert_eq!(Intents::parse("all").unwrap(), Intents::all());
        assert_eq!(
            Intents::parse("DEFAULT").unwrap(),
            Intents::default_granted()
        );
    }

    #[test]
    fn parses_names_aliases_and_separators() {
        assert_eq!(
            Intents::parse("guilds,guild_messages").unwrap().bits(),
            1 | 512
        );
        assert_eq!(
            Intents::parse("GUILDS|PUBLIC_GUILD_MESSAGES")
                .unwrap()
                .bits(),
            1 | (1 << 30)
        );
        assert_eq!(
            Intents::parse("guilds + at_messages").unwrap().bits(),
            1 | (1 << 30)
        );
        for alias in [
            "public_messages",
            "USER_MESSAGE",
            "c2c_group_at_messages",
            "IntentGroupMessages",
            "GROUP_AND_C2C",
            "group-and-c2c-event",
        ] {
            assert_eq!(Intents::parse(alias).unwrap().bits(), 1 << 25, "{alias}");
        }
        assert_eq!(Intents::parse("DIRECT_MESSAGES").unwrap().bits(), 1 << 12);
        assert_eq!(
            Intents::parse("IntentGuildAtMessage").unwrap().bits(),
            1 << 30
        );
    }

    #[test]
    fn parses_numbers() {
        assert_eq!(Intents::parse("513").unwrap().bits(), 513);
        assert_eq!(Intents::parse("0x201").unwrap().bits(), 513);
        assert_eq!(Intents::parse("1<<25").unwrap().bits(), 1 << 25);
        assert_eq!(Intents::parse("1<<0|1<<30").unwrap().bits(), 1 | (1 << 30));
        assert_eq!(
            Intents::parse("1107300352").unwrap().bits(),
            (1 << 12) | (1 << 25) | (1 << 30)
        );
        assert!(matches!(
            Intents::parse("1<<99"),
            Err(IntentError::BadNumber(_))
        ));
        assert!(matches!(
            Intents::parse("12abc"),
            Err(IntentError::BadNumber(_))
        ));
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let err = Intents::parse("guilds,guild_mesages").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown intent `guild_mesages` (did you mean `GUILD_MESSAGES`?)"
        );
        let err = Intents::parse("publc_guild_messages").unwrap_err();
        assert!(err.to_string().contains("PUBLIC_GUILD_MESSAGES"), "{err}");
        let err = Intents::parse("zzzz").unwrap_err();
        assert_eq!(err.to_string(), "unknown intent `zzzz`");
        assert_eq!(Intents::parse(" , ").unwrap_err(), IntentError::Empty);
    }

    #[test]
    fn names_and_display() {
        let intents = Intents((1 << 30) | 1 | (1 << 5));
        assert_eq!(intents.names(), "GUILDS|PUBLIC_GUILD_MESSAGES|32");
        assert_eq!(Intents(0).names(), "none");
        assert_eq!(Intents(513).to_string(), "513 (GUILDS|GUILD_MESSAGES)");
    }

    #[test]
    fn minimal_intents_for_events() {
        let events: Vec<EventType> = [
            "AT_MESSAGE_CREATE",
            "C2C_MESSAGE_CREATE",
            "READY",
            "GROUP_MESSAGE_CREATE",
            "X",
        ]
        .iter()
        .map(|n| EventType::from_name(n))
        .collect();
        let (intents, unknown) = Intents::minimal_for(&events);
        assert_eq!(intents.bits(), (1 << 30) | (1 << 25));
        assert_eq!(
            unknown,
            vec!["GROUP_MESSAGE_CREATE".to_owned(), "X".to_owned()]
        );
    }
}
