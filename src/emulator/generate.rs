//! Deterministic event generator: a small world (guilds, channels, users, groups, C2C users)
//! and events over it with the field shapes of PROTOCOL.md §7.
//!
//! Everything, including the uuids in event ids, comes from one `StdRng` seeded with the
//! configured seed, so the same seed gives the same events in the same order. Only the
//! timestamps depend on the time passed to [`Generator::next_event`].

use chrono::{DateTime, FixedOffset, TimeZone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The emulated bot's user id (numeric string, as botpy requires).
pub const BOT_USER_ID: &str = "6158788878435714165";
/// The emulated bot's name.
pub const BOT_USERNAME: &str = "qqbot-emulator";
/// Avatar URL used for every generated user, shaped like the platform's (query parameters joined
/// with `&`, which the platform's encoder writes as `\u0026` in dispatches).
pub const AVATAR: &str =
    "http://thirdqq.qlogo.cn/g?b=oidb&k=Jk3aVzPqTbx0ficwRvLgYw&kti=ZyxNlwAAAAA&s=100&t=1700000000";

/// UTC+8, the offset every platform timestamp carries.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// RFC 3339 with `+08:00`, whole seconds.
pub fn rfc3339(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&beijing())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A channel (子频道) of a guild of the emulated world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Numeric string id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Channel type: [`TEXT_CHANNEL`] or [`CATEGORY_CHANNEL`].
    pub kind: u32,
    /// Sort position (from 1 for text channels, from 2 for categories, as documented).
    pub position: u32,
    /// The category a text channel is in; `"0"` for the category itself.
    pub parent_id: String,
}

/// `type` of a text channel (文字子频道).
pub const TEXT_CHANNEL: u32 = 0;
/// `type` of a channel category (子频道分组).
pub const CATEGORY_CHANNEL: u32 = 4;

/// Names of a guild's text channels, in order (a guild has 2 or 3).
const CHANNEL_NAMES: &[&str] = &["闲聊", "机器人测试", "公告"];

/// A guild of the emulated world.
#[derive(Debug, Clone)]
pub struct Guild {
    /// Numeric string id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner user id.
    pub owner_id: String,
    /// Text channels: the ones generated guild events (messages, reactions, guild
    /// interactions) happen in.
    pub channels: Vec<Channel>,
    /// The category the text channels are in (no event happens in it).
    pub category: Channel,
    /// Member count.
    pub member_count: u32,
    /// When the bot joined (RFC 3339).
    pub joined_at: String,
}

impl Guild {
    /// The category, then the text channels: what `GET /guilds/{guild_id}/channels` lists.
    pub fn all_channels(&self) -> impl Iterator<Item = &Channel> {
        std::iter::once(&self.category).chain(&self.channels)
    }

    /// The channel (text channel or category) with this id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.all_channels().find(|c| c.id == id)
    }
}

/// A guild member of the emulated world, as `GET /guilds/{guild_id}/members/{user_id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// User id.
    pub id: String,
    /// User name.
    pub username: String,
    /// Whether the user is a bot.
    pub bot: bool,
    /// Role ids (`1` everyone, `4` owner: the documented default roles).
    pub roles: Vec<String>,
    /// When the user joined the guild (RFC 3339, `+08:00`).
    pub joined_at: String,
}

/// A guild user of the emulated world.
#[derive(Debug, Clone)]
pub struct User {
    /// Numeric string id.
    pub id: String,
    /// Display name.
    pub username: String,
    /// Pseudo-guild id of the DM session with the bot.
    pub dm_guild_id: String,
    /// Channel id of the DM session.
    pub dm_channel_id: String,
}

/// The people and places generated events are about.
///
/// Every guild user is a member of every guild (generated guild events pick any user in any
/// guild); so are the bot and the guild's owner.
#[derive(Debug, Clone)]
pub struct World {
    /// Guilds the bot is in.
    pub guilds: Vec<Guild>,
    /// Guild users.
    pub users: Vec<User>,
    /// Group openids.
    pub groups: Vec<String>,
    /// Group member openids.
    pub members: Vec<String>,
    /// C2C user openids.
    pub c2c_users: Vec<String>,
}

/// One generated event.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedEvent {
    /// Event name.
    pub t: &'static str,
    /// Event id, `<T>:<uuid>`.
    pub id: String,
    /// Event body.
    pub d: Value,
}

/// Event mix of the demo scenario: (event, weight).
pub const DEMO_MIX: &[(&str, u32)] = &[
    ("AT_MESSAGE_CREATE", 18),
    ("MESSAGE_CREATE", 8),
    ("DIRECT_MESSAGE_CREATE", 8),
    ("GROUP_AT_MESSAGE_CREATE", 20),
    ("C2C_MESSAGE_CREATE", 16),
    ("MESSAGE_REACTION_ADD", 8),
    ("GUILD_MEMBER_ADD", 6),
    ("INTERACTION_CREATE", 8),
    ("FRIEND_ADD", 4),
    ("GROUP_ADD_ROBOT", 4),
];

const TEXTS: &[&str] = &[
    "/ping",
    "hello",
    "你好",
    "/help",
    "天气 北京",
    "1 &lt; 2 &amp;&amp; 3 &gt; 2",
    "今天吃什么？",
    "/roll 1d20",
];

/// Seeded generator of events over a seeded world.
#[derive(Debug)]
pub struct Generator {
    rng: StdRng,
    world: World,
    app_id: String,
    channel_seq: u64,
    /// The last generated message per channel: what a generated reaction there targets.
    last_message: std::collections::HashMap<String, String>,
}

fn numeric_id(rng: &mut StdRng) -> String {
    rng.random_range(1_000_000_000_000_000_000u64..=18_000_000_000_000_000_000)
        .to_string()
}

fn hex(rng: &mut StdRng, len: usize, upper: bool) -> String {
    const LOWER: &[u8] = b"0123456789abcdef";
    const UPPER: &[u8] = b"0123456789ABCDEF";
    let digits = if upper { UPPER } else { LOWER };
    (0..len)
        .map(|_| digits[rng.random_range(0..16)] as char)
        .collect()
}

/// A 32-hex upper-case openid.
fn openid(rng: &mut StdRng) -> String {
    hex(rng, 32, true)
}

fn robot_id(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-";
    let body: String = (0..64)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let bangs = if rng.random_bool(0.5) { "!" } else { "!!" };
    format!("ROBOT1.0_{body}{bangs}")
}

fn ref_idx(rng: &mut StdRng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body: String = (0..22)
        .map(|_| B64[rng.random_range(0..B64.len())] as char)
        .collect();
    format!("REFIDX_{body}==")
}

fn uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

impl World {
    fn generate(rng: &mut StdRng) -> World {
        let base = world_start();
        let mut guilds = Vec::new();
        for (i, name) in ["QQ 机器人测试频道", "Rust 交流"].iter().enumerate() {
            let joined = base + chrono::Duration::days(rng.random_range(0..900));
            let id = numeric_id(rng);
            let owner_id = numeric_id(rng);
            let channel_ids: Vec<String> = (0..2 + i)
                .map(|_| rng.random_range(100_000u64..999_999_999).to_string())
                .collect();
            // Names, positions and the category id are derived, not drawn, so the random
            // sequence (and so every generated event for a seed) is what it was before channels
            // had names.
            let category_id = (100_000
                + super::routing::fnv1a(format!("category:{id}").as_bytes()) % 999_899_999)
                .to_string();
            let channels = channel_ids
                .into_iter()
                .zip(CHANNEL_NAMES)
                .zip(1u32..)
                .map(|((id, name), position)| Channel {
                    id,
                    name: (*name).to_owned(),
                    kind: TEXT_CHANNEL,
                    position,
                    parent_id: category_id.clone(),
                })
                .collect();
            guilds.push(Guild {
                category: Channel {
                    id: category_id,
                    name: "讨论组".to_owned(),
                    kind: CATEGORY_CHANNEL,
                    position: 2,
                    parent_id: "0".to_owned(),
                },
                id,
                name: (*name).to_owned(),
                owner_id,
                channels,
                member_count: rng.random_range(3..5000),
                joined_at: rfc3339(joined),
            });
        }
        let users = ["abc", "小明", "alice", "bob"]
            .iter()
            .map(|name| User {
                id: numeric_id(rng),
                username: (*name).to_owned(),
                dm_guild_id: numeric_id(rng),
                dm_channel_id: rng.random_range(100_000u64..999_999_999).to_string(),
            })
            .collect();
        World {
            guilds,
            users,
            groups: (0..2).map(|_| openid(rng)).collect(),
            members: (0..4).map(|_| openid(rng)).collect(),
            c2c_users: (0..3).map(|_| openid(rng)).collect(),
        }
    }
}

impl World {
    /// The guild with this id.
    pub fn guild(&self, id: &str) -> Option<&Guild> {
        self.guilds.iter().find(|g| g.id == id)
    }

    /// The guild a channel (text channel or category) belongs to, and the channel.
    pub fn channel(&self, id: &str) -> Option<(&Guild, &Channel)> {
        self.guilds
            .iter()
            .find_map(|g| g.channel(id).map(|c| (g, c)))
    }

    /// When `user_id` joined `guild`: the bot when the guild says it did, the owner at the
    /// world's start, everyone else at a time derived from the two ids (stable for a seed).
    pub fn member_joined_at(guild: &Guild, user_id: &str) -> String {
        if user_id == BOT_USER_ID {
            return guild.joined_at.clone();
        }
        let start = world_start();
        if user_id == guild.owner_id {
            return rfc3339(start);
        }
        let h = super::routing::fnv1a(format!("{}:{user_id}", guild.id).as_bytes());
        let secs = i64::try_from(h % (900 * 24 * 3600)).unwrap_or(0);
        rfc3339(start + chrono::Duration::seconds(secs))
    }

    /// A member of a guild of the world: the bot, the owner or a guild user.
    pub fn member(&self, guild: &Guild, user_id: &str) -> Option<Member> {
        let joined_at = World::member_joined_at(guild, user_id);
        let member = |username: &str, bot: bool, role: &str| Member {
            id: user_id.to_owned(),
            username: username.to_owned(),
            bot,
            roles: vec![role.to_owned()],
            joined_at: joined_at.clone(),
        };
        if user_id == BOT_USER_ID {
            return Some(member(BOT_USERNAME, true, "1"));
        }
        if user_id == guild.owner_id {
            return Some(member("频道主", false, "4"));
        }
        self.users
            .iter()
            .find(|u| u.id == user_id)
            .map(|u| member(&u.username, false, "1"))
    }
}

/// When the world begins: the earliest `joined_at`.
fn world_start() -> DateTime<FixedOffset> {
    beijing()
        .with_ymd_and_hms(2021, 4, 12, 16, 34, 42)
        .single()
        .expect("valid date")
}

impl Generator {
    /// A generator for `seed`; `app_id` goes into interaction events.
    pub fn new(seed: u64, app_id: &str) -> Generator {
        let mut rng = StdRng::seed_from_u64(seed);
        let world = World::generate(&mut rng);
        Generator {
            rng,
            world,
            app_id: app_id.to_owned(),
            channel_seq: 100,
            last_message: std::collections::HashMap::new(),
        }
    }

    /// Events about the world of `seed` (the guilds, channels, users, groups of an emulator
    /// started with that seed), drawn from their own random stream `events`, so that they do
    /// not repeat that emulator's own generated events (`qqbot emulate dispatch`).
    pub fn for_world(seed: u64, events: u64, app_id: &str) -> Generator {
        let mut generator = Generator::new(seed, app_id);
        generator.rng = StdRng::seed_from_u64(events);
        generator
    }

    /// The world the events are about.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The next event of the demo mix, timestamped `now`.
    pub fn next_event(&mut self, now: DateTime<FixedOffset>) -> GeneratedEvent {
        let total: u32 = DEMO_MIX.iter().map(|(_, w)| w).sum();
        let mut pick = self.rng.random_range(0..total);
        let t = DEMO_MIX
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .map(|(t, _)| *t)
            .unwrap_or("AT_MESSAGE_CREATE");
        self.event(t, now)
            .expect("every DEMO_MIX event is generated")
    }

    /// Generate one event of type `t`, or `None` if the generator does not know `t`.
    pub fn event(&mut self, t: &str, now: DateTime<FixedOffset>) -> Option<GeneratedEvent> {
        let (t, d) = match t {
            "AT_MESSAGE_CREATE" => ("AT_MESSAGE_CREATE", self.guild_message(now, true)),
            "MESSAGE_CREATE" => ("MESSAGE_CREATE", self.guild_message(now, false)),
            "DIRECT_MESSAGE_CREATE" => ("DIRECT_MESSAGE_CREATE", self.direct_message(now)),
            "GROUP_AT_MESSAGE_CREATE" => ("GROUP_AT_MESSAGE_CREATE", self.group_message(now)),
            "C2C_MESSAGE_CREATE" => ("C2C_MESSAGE_CREATE", self.c2c_message(now)),
            "MESSAGE_REACTION_ADD" => ("MESSAGE_REACTION_ADD", self.reaction()),
            "GUILD_MEMBER_ADD" => ("GUILD_MEMBER_ADD", self.member_add(now)),
            "INTERACTION_CREATE" => ("INTERACTION_CREATE", self.interaction(now)),
            "FRIEND_ADD" => ("FRIEND_ADD", self.friend_add(now)),
            "GROUP_ADD_ROBOT" => ("GROUP_ADD_ROBOT", self.group_add_robot(now)),
            _ => return None,
        };
        let id = format!("{t}:{}", uuid(&mut self.rng));
        Some(GeneratedEvent { t, id, d })
    }

    fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
        &items[rng.random_range(0..items.len())]
    }

    fn text(&mut self) -> &'static str {
        TEXTS[self.rng.random_range(0..TEXTS.len())]
    }

    fn next_channel_seq(&mut self) -> u64 {
        self.channel_seq += 1;
        self.channel_seq
    }

    fn guild_message(&mut self, now: DateTime<FixedOffset>, at: bool) -> Value {
        let guild = Self::pick(&mut self.rng, &self.world.guilds).clone();
        let channel = Self::pick(&mut self.rng, &guild.channels).id.clone();
        let user = Self::pick(&mut self.rng, &self.world.users).clone();
        let text = self.text();
        let mention_bot = at || self.rng.random_bool(0.3);
        let content = if mention_bot {
            format!("<@!{BOT_USER_ID}> {text}")
        } else {
            text.to_owned()
        };
        let seq = self.next_channel_seq();
        let id = hex(&mut self.rng, 48, false);
        self.last_message.insert(channel.clone(), id.clone());
        let mut d = json!({
            "author": {"avatar": AVATAR, "bot": false, "id": user.id, "username": user.username},
            "channel_id": channel,
            "content": content,
            "guild_id": guild.id,
            "id": id,
            "member": {"joined_at": World::member_joined_at(&guild, &user.id), "roles": ["1"]},
            "seq": seq,
            "seq_in_channel": seq.to_string(),
            "timestamp": rfc3339(now),
        });
        if mention_bot {
            d["mentions"] = json!([
                {"avatar": AVATAR, "bot": true, "id": BOT_USER_ID, "username": BOT_USERNAME}
            ]);
        }
        d
    }

    fn direct_message(&mut self, now: DateTime<FixedOffset>) -> Value {
        let user = Self::pick(&mut self.rng, &self.world.users).clone();
        let src = Self::pick(&mut self.rng, &self.world.guilds).clone();
        let text = self.text();
        let seq = self.next_channel_seq();
        json!({
            "author": {"avatar": AVATAR, "bot": false, "id": user.id, "username": user.username},
            "channel_id": user.dm_channel_id,
            "content": text,
            "direct_message": true,
            "guild_id": user.dm_guild_id,
            "id": hex(&mut self.rng, 48, false),
            "member": {"joined_at": World::member_joined_at(&src, &user.id), "roles": ["1"]},
            "seq": seq,
            "seq_in_channel": seq.to_string(),
            "src_guild_id": src.id,
            "timestamp": rfc3339(now),
        })
    }

    fn group_message(&mut self, now: DateTime<FixedOffset>) -> Value {
        let group = Self::pick(&mut self.rng, &self.world.groups).clone();
        let member = Self::pick(&mut self.rng, &self.world.members).clone();
        let text = self.text();
        let idx = ref_idx(&mut self.rng);
        json!({
            "id": robot_id(&mut self.rng),
            "content": format!(" {text}"),
            "timestamp": rfc3339(now),
            "author": {
                "bot": false,
                "id": member,
                "member_openid": member,
                "member_role": "member",
                "union_openid": member,
            },
            "group_id": group,
            "group_openid": group,
            "message_scene": {"source": "default", "ext": [format!("msg_idx={idx}")]},
            "message_type": 0,
        })
    }

    fn c2c_message(&mut self, now: DateTime<FixedOffset>) -> Value {
        let user = Self::pick(&mut self.rng, &self.world.c2c_users).clone();
        let text = self.text();
        let idx = ref_idx(&mut self.rng);
        json!({
            "author": {"bot": false, "id": user, "union_openid": "", "user_openid": user, "username": ""},
            "content": text,
            "id": robot_id(&mut self.rng),
            "message_scene": {"ext": [format!("msg_idx={idx}")], "source": "default"},
            "message_type": 0,
            "timestamp": rfc3339(now),
        })
    }

    fn reaction(&mut self) -> Value {
        let guild = Self::pick(&mut self.rng, &self.world.guilds).clone();
        let channel = Self::pick(&mut self.rng, &guild.channels).id.clone();
        let user = Self::pick(&mut self.rng, &self.world.users).clone();
        let emoji = if self.rng.random_bool(0.7) {
            json!({"id": self.rng.random_range(1..300).to_string(), "type": 1})
        } else {
            json!({"id": "👍", "type": 2})
        };
        // The id is drawn either way, so the random sequence does not depend on the history.
        let drawn = hex(&mut self.rng, 48, false);
        let target = self.last_message.get(&channel).cloned().unwrap_or(drawn);
        json!({
            "channel_id": channel,
            "emoji": emoji,
            "guild_id": guild.id,
            "target": {"id": target, "type": "ReactionTargetType_MSG"},
            "user_id": user.id,
        })
    }

    fn member_add(&mut self, now: DateTime<FixedOffset>) -> Value {
        let guild = Self::pick(&mut self.rng, &self.world.guilds).clone();
        let new_user = numeric_id(&mut self.rng);
        let name = format!("新成员{}", self.rng.random_range(100..999));
        json!({
            "guild_id": guild.id,
            "joined_at": rfc3339(now),
            "nick": "",
            "op_user_id": new_user,
            "roles": ["1"],
            "user": {"avatar": AVATAR, "bot": false, "id": new_user, "username": name},
        })
    }

    fn interaction(&mut self, now: DateTime<FixedOffset>) -> Value {
        let id = uuid(&mut self.rng);
        let button = self.rng.random_range(1..30).to_string();
        let mut d = json!({
            "id": id,
            "application_id": self.app_id,
            "type": 11,
            "timestamp": rfc3339(now),
            "version": 1,
        });
        match self.rng.random_range(0..3) {
            0 => {
                let group = Self::pick(&mut self.rng, &self.world.groups).clone();
                let member = Self::pick(&mut self.rng, &self.world.members).clone();
                d["scene"] = json!("group");
                d["chat_type"] = json!(1);
                d["group_openid"] = json!(group);
                d["group_member_openid"] = json!(member);
                d["data"] = json!({"type": 11, "resolved": {"button_id": button, "button_data": "回调按钮"}});
            }
            1 => {
                let user = Self::pick(&mut self.rng, &self.world.c2c_users).clone();
                d["scene"] = json!("c2c");
                d["chat_type"] = json!(2);
                d["user_openid"] = json!(user);
                d["data"] = json!({"type": 11, "resolved": {"button_id": button, "button_data": "回调按钮"}});
            }
            _ => {
                let guild = Self::pick(&mut self.rng, &self.world.guilds).clone();
                let channel = Self::pick(&mut self.rng, &guild.channels).id.clone();
                let user = Self::pick(&mut self.rng, &self.world.users).clone();
                d["scene"] = json!("guild");
                d["chat_type"] = json!(0);
                d["guild_id"] = json!(guild.id);
                d["channel_id"] = json!(channel);
                d["data"] = json!({"type": 11, "resolved": {
                    "button_id": button,
                    "button_data": "回调按钮",
                    "user_id": user.id,
                    "message_id": hex(&mut self.rng, 48, false),
                }});
            }
        }
        d
    }

    fn friend_add(&mut self, now: DateTime<FixedOffset>) -> Value {
        let user = Self::pick(&mut self.rng, &self.world.c2c_users).clone();
        json!({"openid": user, "timestamp": now.timestamp()})
    }

    fn group_add_robot(&mut self, now: DateTime<FixedOffset>) -> Value {
        let group = Self::pick(&mut self.rng, &self.world.groups).clone();
        let member = Self::pick(&mut self.rng, &self.world.members).clone();
        json!({"group_openid": group, "op_member_openid": member, "timestamp": now.timestamp()})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<FixedOffset> {
        beijing()
            .with_ymd_and_hms(2025, 9, 8, 23, 13, 34)
            .single()
            .unwrap()
    }

    #[test]
    fn same_seed_same_events_different_seed_different_events() {
        let mut a = Generator::new(7, "1020304050");
        let mut b = Generator::new(7, "1020304050");
        let mut c = Generator::new(8, "1020304050");
        let ea: Vec<_> = (0..50).map(|_| a.next_event(at())).collect();
        let eb: Vec<_> = (0..50).map(|_| b.next_event(at())).collect();
        let ec: Vec<_> = (0..50).map(|_| c.next_event(at())).collect();
        assert_eq!(ea, eb);
        assert_ne!(ea, ec);
    }

    #[test]
    fn shapes_follow_protocol_section_7() {
        let mut g = Generator::new(1, "1020304050");
        let ts = "2025-09-08T23:13:34+08:00";
        let e = g.event("GROUP_AT_MESSAGE_CREATE", at()).unwrap();
        assert!(e.id.starts_with("GROUP_AT_MESSAGE_CREATE:"));
        assert!(e.d["content"].as_str().unwrap().starts_with(' '));
        assert!(e.d["id"].as_str().unwrap().starts_with("ROBOT1.0_"));
        assert!(e.d["id"].as_str().unwrap().ends_with('!'));
        assert_eq!(e.d["timestamp"], ts);
        let openid = e.d["group_openid"].as_str().unwrap();
        assert_eq!(openid.len(), 32);
        assert!(
            openid
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );

        let e = g.event("MESSAGE_REACTION_ADD", at()).unwrap();
        assert_eq!(e.d["target"]["type"], "ReactionTargetType_MSG");
        let e = g.event("INTERACTION_CREATE", at()).unwrap();
        assert_eq!(e.d["application_id"], "1020304050");
        let e = g.event("FRIEND_ADD", at()).unwrap();
        assert!(e.d["timestamp"].is_i64());
        let e = g.event("GROUP_ADD_ROBOT", at()).unwrap();
        assert!(e.d["timestamp"].is_i64());
        let e = g.event("AT_MESSAGE_CREATE", at()).unwrap();
        assert!(e.d["guild_id"].as_str().unwrap().parse::<u64>().is_ok());
        assert!(e.d["author"]["id"].as_str().unwrap().parse::<u64>().is_ok());
        assert_eq!(e.d["mentions"][0]["id"], BOT_USER_ID);
        assert!(e.d["seq_in_channel"].is_string());
        let e = g.event("C2C_MESSAGE_CREATE", at()).unwrap();
        assert_eq!(e.d["author"]["user_openid"], e.d["author"]["id"]);
        let e = g.event("DIRECT_MESSAGE_CREATE", at()).unwrap();
        assert_eq!(e.d["direct_message"], true);
        assert!(g.event("NOT_AN_EVENT", at()).is_none());
        for (t, _) in DEMO_MIX {
            assert!(g.event(t, at()).is_some(), "{t}");
        }
    }

    #[test]
    fn channels_are_named_and_stable_for_a_seed() {
        let a = Generator::new(7, "1").world().clone();
        let b = Generator::new(7, "1").world().clone();
        let c = Generator::new(8, "1").world().clone();
        let ids = |w: &World| -> Vec<Vec<String>> {
            w.guilds
                .iter()
                .map(|g| g.all_channels().map(|c| c.id.clone()).collect())
                .collect()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&c));
        for g in &a.guilds {
            assert!((2..=3).contains(&g.channels.len()), "{g:?}");
            assert_eq!(g.category.kind, CATEGORY_CHANNEL);
            let mut names = Vec::new();
            for (i, ch) in g.channels.iter().enumerate() {
                assert_eq!(ch.kind, TEXT_CHANNEL);
                assert!(!ch.name.is_empty());
                assert_eq!(ch.parent_id, g.category.id);
                assert_eq!(ch.position as usize, i + 1);
                assert!(ch.id.parse::<u64>().is_ok());
                names.push(ch.name.clone());
                assert_eq!(a.channel(&ch.id).map(|(g2, _)| &g2.id), Some(&g.id));
            }
            names.dedup();
            assert_eq!(names.len(), g.channels.len(), "distinct names");
        }
    }

    #[test]
    fn guild_events_use_the_guilds_channels_and_members() {
        let mut g = Generator::new(5, "1020304050");
        let world = g.world().clone();
        let mut reacted_to_known = 0;
        let mut last_in: std::collections::HashMap<String, String> = Default::default();
        for _ in 0..400 {
            let e = g.next_event(at());
            let guild_of = |d: &Value| world.guild(d["guild_id"].as_str().unwrap()).unwrap();
            match e.t {
                "AT_MESSAGE_CREATE" | "MESSAGE_CREATE" => {
                    let guild = guild_of(&e.d);
                    let channel = e.d["channel_id"].as_str().unwrap();
                    assert!(guild.channels.iter().any(|c| c.id == channel), "{}", e.d);
                    let author = e.d["author"]["id"].as_str().unwrap();
                    let member = world.member(guild, author).expect("author is a member");
                    assert_eq!(e.d["member"]["joined_at"], member.joined_at.as_str());
                    assert_eq!(e.d["author"]["username"], member.username.as_str());
                    last_in.insert(channel.to_owned(), e.d["id"].as_str().unwrap().to_owned());
                }
                "MESSAGE_REACTION_ADD" => {
                    let guild = guild_of(&e.d);
                    let channel = e.d["channel_id"].as_str().unwrap();
                    assert!(guild.channels.iter().any(|c| c.id == channel));
                    assert!(
                        world
                            .member(guild, e.d["user_id"].as_str().unwrap())
                            .is_some()
                    );
                    if let Some(last) = last_in.get(channel) {
                        assert_eq!(e.d["target"]["id"], last.as_str(), "the last message there");
                        reacted_to_known += 1;
                    }
                }
                "INTERACTION_CREATE" if e.d["scene"] == "guild" => {
                    let guild = guild_of(&e.d);
                    let channel = e.d["channel_id"].as_str().unwrap();
                    assert!(guild.channels.iter().any(|c| c.id == channel));
                }
                _ => {}
            }
        }
        assert!(
            reacted_to_known > 0,
            "some reactions target generated messages"
        );
        // The bot and the owner are members too.
        let guild = &world.guilds[0];
        let bot = world.member(guild, BOT_USER_ID).unwrap();
        assert!(bot.bot);
        assert_eq!(bot.joined_at, guild.joined_at);
        assert_eq!(world.member(guild, &guild.owner_id).unwrap().roles, ["4"]);
        assert!(world.member(guild, "1").is_none());
    }
}
