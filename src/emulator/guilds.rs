//! The guild read routes bots call (botpy `get_guild`, `get_channels`, `get_channel`,
//! `get_guild_member`, `get_message`; botgo `Guild`, `Channels`, `Channel`, `GuildMember`,
//! `Message`), answered from the generated world and from what the emulator dispatched:
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /guilds/{guild_id}` | Guild |
//! | `GET /guilds/{guild_id}/channels` | `[Channel]`: the guild's category, then its text channels |
//! | `GET /channels/{channel_id}` | Channel |
//! | `GET /guilds/{guild_id}/members/{user_id}` | Member |
//! | `GET /channels/{channel_id}/messages/{message_id}` | `{"message": Message}` |
//!
//! Field names and types, from the official docs (tencent-connect/bot-docs,
//! `docs/develop/api-v2/server-inter/channel/manage/guild/model.md` and `get_guild.md`,
//! `…/manage/channel/model.md`, `get_channel.md` and `get_channels.md`,
//! `…/role/member/model.md` and `get_member.md`, `…/manage/user/model.md`) and the SDKs
//! (botpy 1.2.1 `botpy/api.py`, `botpy/types/guild.py` `GuildPayload`, `botpy/types/channel.py`
//! `ChannelPayload`, `botpy/types/user.py` `Member`/`User`; botgo `dto/guild.go`,
//! `dto/channel.go`, `dto/member.go`):
//! - Guild: `id`, `name`, `icon`, `owner_id` (strings), `owner` (bool), `member_count`,
//!   `max_members` (ints), `description`, `joined_at` (RFC 3339 string).
//! - Channel: `id`, `guild_id`, `name`, `parent_id`, `owner_id`, `application_id`,
//!   `permissions` (strings), `type`, `sub_type`, `position`, `private_type`, `speak_permission`
//!   (ints). The doc examples write `parent_id` `"0"` for a category and `application_id` `"0"`
//!   for a non-app channel; `permissions` is the bot's channel permission bitmap as a decimal
//!   string (role-group/channel_permissions/model.md): here `"5"` (view + speak) for text
//!   channels and `"1"` (view) for the category, values of the emulator's choosing.
//! - Member: `user` {`id`, `username`, `avatar`, `bot`, `union_openid`, `union_user_account`},
//!   `nick`, `roles` (string array), `joined_at`.
//! - Message: the object the guild message events carry (PROTOCOL.md §7.1). The SDK doc pages
//!   (bot-docs `docs/develop/nodesdk/message/get_message_of_id.md`,
//!   `docs/develop/gosdk/api/message/get_message.md`) show the answer wrapped as
//!   `{"message": {…}}`; botpy's `get_message` returns the body as is, and botgo's `Message`
//!   reads `.message` when the top-level `id` is empty (openapi/v1/message.go "兼容处理"). The
//!   older openapi page shows a bare Message; the emulator sends the wrapper.
//!
//! Where the data comes from:
//! - Guilds and channels: the world only (the guilds of `GET /users/@me/guilds`, and the text
//!   channels generated guild events happen in). Injected events naming other ids do not add
//!   guilds or channels.
//! - Members: the world's users, the bot and each guild's owner are members of every world guild;
//!   on top of that, delivered guild events (generated or injected) record their people: the
//!   author (with `member`) of AT_MESSAGE_CREATE / MESSAGE_CREATE, the `user` of
//!   GUILD_MEMBER_ADD / UPDATE; GUILD_MEMBER_REMOVE makes the user unknown again. At most
//!   [`MEMBER_RECORD_CAP`] such records are kept (oldest dropped first).
//! - Messages: guild message events delivered (generated or injected: AT_MESSAGE_CREATE,
//!   MESSAGE_CREATE) and the bot's accepted `POST /channels/{channel_id}/messages`, answered only
//!   under the channel they were in. A recalled message and one named by a delivered
//!   MESSAGE_DELETE / PUBLIC_MESSAGE_DELETE are gone. Only the last [`MESSAGE_RECORD_CAP`]
//!   messages are kept (oldest dropped first). DM messages are not answered here. Events of the
//!   `flood` scenario are pre-rendered and not recorded.
//!
//! Errors. Codes from the documented table (bot-docs `docs/develop/api-v2/openapi/error/error.md`):
//! 10004 UnknownGuild, 10003 UnknownChannel, 10001 UnknownAccount and 50039 获取消息失败. Which
//! code, and which HTTP status, the platform answers for an unknown id on these routes is not
//! documented: the mapping below and the HTTP 404 are the emulator's choices.
//! - unknown guild → 404, 10004; unknown channel → 404, 10003;
//! - a user who is not a member of the guild → 404, 10001;
//! - a message not recorded in that channel → 404, 50039.
//! - A DM session's pseudo-guild id (a world user's) gets what the platform was seen to answer
//!   for `get_channels` on one: HTTP 400 `{"message":"频道末对机器人末授权","code":11264,
//!   "err_code":40012009}` (observed, tencent-connect/botpy#178; the text's typos are the
//!   platform's). The emulator gives that answer on every guild route.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::generate::{AVATAR, BOT_USER_ID, CATEGORY_CHANNEL, Channel, Guild, Member, World};
use super::http::{ApiFailure, Trace, authorize, json_response};
use super::state::{Shared, lock};

/// At most this many messages are kept for `GET /channels/{channel_id}/messages/{message_id}`.
pub const MESSAGE_RECORD_CAP: usize = 5_000;
/// At most this many members learned from delivered events are kept.
pub const MEMBER_RECORD_CAP: usize = 10_000;

/// `max_members` of every world guild (the emulator's value).
const MAX_MEMBERS: u32 = 10_000;

/// Unknown guild id (emulator's choice of status; 10004 UnknownGuild from the doc table).
pub const UNKNOWN_GUILD: u64 = 10004;
/// Unknown channel id (emulator's choice of status; 10003 UnknownChannel from the doc table).
pub const UNKNOWN_CHANNEL: u64 = 10003;
/// Not a member of the guild (emulator's choice of status; 10001 UnknownAccount from the table).
pub const UNKNOWN_MEMBER: u64 = 10001;
/// Message not found in the channel (emulator's choice of status; 50039 获取消息失败).
pub const UNKNOWN_MESSAGE: u64 = 50039;

/// The Guild object (the same for `GET /users/@me/guilds` and `GET /guilds/{guild_id}`).
pub(crate) fn guild_json(g: &Guild) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "icon": AVATAR,
        "owner_id": g.owner_id,
        "owner": false,
        "member_count": g.member_count,
        "max_members": MAX_MEMBERS,
        "description": format!("{} (emulated)", g.name),
        "joined_at": g.joined_at,
    })
}

/// The Channel object.
pub(crate) fn channel_json(g: &Guild, c: &Channel) -> Value {
    let category = c.kind == CATEGORY_CHANNEL;
    json!({
        "id": c.id,
        "guild_id": g.id,
        "name": c.name,
        "type": c.kind,
        "sub_type": 0,
        "position": c.position,
        "parent_id": c.parent_id,
        "owner_id": g.owner_id,
        "private_type": 0,
        // 1 = everyone may speak; the doc example gives a category 0 (无效类型).
        "speak_permission": if category { 0 } else { 1 },
        "application_id": "0",
        "permissions": if category { "1" } else { "5" },
    })
}

/// The Member object of a world member.
fn member_json(m: &Member) -> Value {
    json!({
        "user": {
            "id": m.id,
            "username": m.username,
            "avatar": AVATAR,
            "bot": m.bot,
            "union_openid": "",
            "union_user_account": "",
        },
        "nick": "",
        "roles": m.roles,
        "joined_at": m.joined_at,
    })
}

/// Members and messages learned from what the emulator dispatched and the bot sent, bounded.
#[derive(Debug, Default)]
pub(crate) struct GuildRecords {
    /// Message id → (channel id, insertion number, Message object).
    messages: HashMap<String, (String, u64, Value)>,
    /// Insertion order of `messages`: (insertion number, message id).
    message_order: VecDeque<(u64, String)>,
    /// (guild id, user id) → (insertion number, Member object, or `None` once removed).
    members: HashMap<(String, String), (u64, Option<Value>)>,
    member_order: VecDeque<(u64, (String, String))>,
    next: u64,
}

fn str_at<'a>(d: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = d;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str().filter(|s| !s.is_empty())
}

impl GuildRecords {
    fn tick(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// Remember a message in `channel_id` (replacing one with the same id).
    pub fn record_message(&mut self, channel_id: &str, message: Value) {
        let Some(id) = str_at(&message, &["id"]).map(str::to_owned) else {
            return;
        };
        let n = self.tick();
        self.messages
            .insert(id.clone(), (channel_id.to_owned(), n, message));
        self.message_order.push_back((n, id));
        while self.message_order.len() > MESSAGE_RECORD_CAP {
            if let Some((old, id)) = self.message_order.pop_front()
                && self.messages.get(&id).is_some_and(|(_, at, _)| *at == old)
            {
                self.messages.remove(&id);
            }
        }
    }

    /// Forget a message (recalled or deleted) if it is recorded in `channel_id`.
    pub fn forget_message(&mut self, channel_id: &str, message_id: &str) {
        if self
            .messages
            .get(message_id)
            .is_some_and(|(c, _, _)| c == channel_id)
        {
            self.messages.remove(message_id);
        }
    }

    /// The message `message_id`, if it was recorded in `channel_id`.
    pub fn message(&self, channel_id: &str, message_id: &str) -> Option<&Value> {
        self.messages
            .get(message_id)
            .filter(|(c, _, _)| c == channel_id)
            .map(|(_, _, m)| m)
    }

    /// Remember (or, with `None`, mark removed) the member `user_id` of `guild_id`.
    fn set_member(&mut self, guild_id: &str, user_id: &str, member: Option<Value>) {
        let key = (guild_id.to_owned(), user_id.to_owned());
        let n = self.tick();
        self.members.insert(key.clone(), (n, member));
        self.member_order.push_back((n, key));
        while self.member_order.len() > MEMBER_RECORD_CAP {
            if let Some((old, key)) = self.member_order.pop_front()
                && self.members.get(&key).is_some_and(|(at, _)| *at == old)
            {
                self.members.remove(&key);
            }
        }
    }

    /// What was recorded for `user_id` in `guild_id`: `Some(None)` when the user was removed.
    fn member(&self, guild_id: &str, user_id: &str) -> Option<Option<&Value>> {
        self.members
            .get(&(guild_id.to_owned(), user_id.to_owned()))
            .map(|(_, m)| m.as_ref())
    }

    /// Learn from a delivered event (see the module docs for which). Members are recorded for
    /// world guilds only (the routes know no other guild); a missing `joined_at` is the world's.
    pub fn observe(&mut self, t: &str, d: &Value, world: &World) {
        match t {
            "AT_MESSAGE_CREATE" | "MESSAGE_CREATE" => {
                let (Some(channel), Some(guild), Some(author)) = (
                    str_at(d, &["channel_id"]),
                    str_at(d, &["guild_id"]),
                    str_at(d, &["author", "id"]),
                ) else {
                    return;
                };
                let (channel, guild, author) =
                    (channel.to_owned(), guild.to_owned(), author.to_owned());
                let member = member_from(world, &guild, &author, &d["author"], &d["member"]);
                if world.guild(&guild).is_some() {
                    self.set_member(&guild, &author, Some(member));
                }
                self.record_message(&channel, d.clone());
            }
            "GUILD_MEMBER_ADD" | "GUILD_MEMBER_UPDATE" => {
                let (Some(guild), Some(user)) =
                    (str_at(d, &["guild_id"]), str_at(d, &["user", "id"]))
                else {
                    return;
                };
                let (guild, user) = (guild.to_owned(), user.to_owned());
                let member = member_from(world, &guild, &user, &d["user"], d);
                if world.guild(&guild).is_some() {
                    self.set_member(&guild, &user, Some(member));
                }
            }
            "GUILD_MEMBER_REMOVE" => {
                if let (Some(guild), Some(user)) =
                    (str_at(d, &["guild_id"]), str_at(d, &["user", "id"]))
                    && world.guild(guild).is_some()
                {
                    let (guild, user) = (guild.to_owned(), user.to_owned());
                    self.set_member(&guild, &user, None);
                }
            }
            "MESSAGE_DELETE" | "PUBLIC_MESSAGE_DELETE" => {
                if let (Some(channel), Some(id)) = (
                    str_at(d, &["message", "channel_id"]),
                    str_at(d, &["message", "id"]),
                ) {
                    let (channel, id) = (channel.to_owned(), id.to_owned());
                    self.forget_message(&channel, &id);
                }
            }
            _ => {}
        }
    }
}

/// The guild answer for a DM session's pseudo-guild (observed, tencent-connect/botpy#178).
fn dm_guild_refusal(trace: &Trace) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"message": "频道末对机器人末授权", "code": 11264, "err_code": 40012009, "trace_id": trace.0}),
    )
}

/// Why a guild-scoped lookup failed.
enum Refused {
    Api(ApiFailure),
    DmGuild,
}

impl From<ApiFailure> for Refused {
    fn from(f: ApiFailure) -> Refused {
        Refused::Api(f)
    }
}

/// Authorize, run `f`, answer 200 with its body or the error.
fn answer(
    shared: &Shared,
    trace: &Trace,
    headers: &HeaderMap,
    f: impl FnOnce(&Shared) -> Result<Value, Refused>,
) -> Response {
    match authorize(shared, headers)
        .map_err(Refused::from)
        .and_then(|()| f(shared))
    {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(Refused::Api(failure)) => failure.respond(trace),
        Err(Refused::DmGuild) => dm_guild_refusal(trace),
    }
}

/// The world guild `guild_id`, or the refusal for it.
fn find_guild<'a>(world: &'a World, guild_id: &str) -> Result<&'a Guild, Refused> {
    if let Some(g) = world.guild(guild_id) {
        return Ok(g);
    }
    if world.users.iter().any(|u| u.dm_guild_id == guild_id) {
        return Err(Refused::DmGuild);
    }
    Err(ApiFailure::new(
        404,
        UNKNOWN_GUILD,
        format!("unknown guild: the bot is in no guild {guild_id} (qqbot emulator)"),
    )
    .into())
}

/// `GET /guilds/{guild_id}`.
pub(crate) async fn get_guild(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    Path(guild_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer(&shared, &trace, &headers, |s| {
        find_guild(&s.world, &guild_id).map(guild_json)
    })
}

/// `GET /guilds/{guild_id}/channels`.
pub(crate) async fn get_guild_channels(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    Path(guild_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer(&shared, &trace, &headers, |s| {
        let g = find_guild(&s.world, &guild_id)?;
        Ok(Value::Array(
            g.all_channels().map(|c| channel_json(g, c)).collect(),
        ))
    })
}

/// `GET /channels/{channel_id}`.
pub(crate) async fn get_channel(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer(&shared, &trace, &headers, |s| {
        let (g, c) = s.world.channel(&channel_id).ok_or_else(|| {
            ApiFailure::new(
                404,
                UNKNOWN_CHANNEL,
                format!(
                    "unknown channel: no channel {channel_id} in the bot's guilds (qqbot emulator)"
                ),
            )
        })?;
        Ok(channel_json(g, c))
    })
}

/// `GET /guilds/{guild_id}/members/{user_id}`.
pub(crate) async fn get_guild_member(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    Path((guild_id, user_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    answer(&shared, &trace, &headers, |s| {
        let g = find_guild(&s.world, &guild_id)?;
        let recorded = lock(&s.guild_records)
            .member(&g.id, &user_id)
            .map(|m| m.cloned());
        let member = match recorded {
            Some(m) => m,
            None => s.world.member(g, &user_id).map(|m| member_json(&m)),
        };
        member.ok_or_else(|| {
            ApiFailure::new(
                404,
                UNKNOWN_MEMBER,
                format!("unknown member: user {user_id} is not a member of guild {guild_id} (qqbot emulator)"),
            )
            .into()
        })
    })
}

/// `GET /channels/{channel_id}/messages/{message_id}` → `{"message": Message}`.
pub(crate) async fn get_message(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    Path((channel_id, message_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    answer(&shared, &trace, &headers, |s| {
        let records = lock(&s.guild_records);
        let message = records.message(&channel_id, &message_id).ok_or_else(|| {
            ApiFailure::new(
                404,
                UNKNOWN_MESSAGE,
                format!(
                    "message not found: no message {message_id} in channel {channel_id} \
                     (the emulator keeps the last {MESSAGE_RECORD_CAP} guild messages it \
                     dispatched or the bot sent)"
                ),
            )
        })?;
        Ok(json!({"message": message}))
    })
}

/// The stored copy of a message the bot sent to a guild channel: the send route's answer plus
/// the bot's `member` (the GET answer of the doc example carries one).
pub(crate) fn bot_message_record(shared: &Shared, message: &Value) -> Value {
    let mut stored = message.clone();
    let joined_at = str_at(message, &["guild_id"])
        .and_then(|g| shared.world.guild(g))
        .map(|g| World::member_joined_at(g, BOT_USER_ID));
    if let Some(joined_at) = joined_at {
        stored["member"] = json!({"joined_at": joined_at, "roles": ["1"]});
    }
    stored
}

/// A Member object from an event: `user` is its user object (a message's `author`, a member
/// event's `user`), `fields` where `nick`, `roles` and `joined_at` sit (a message's `member`, a
/// member event's body). A missing `joined_at` is the world's.
fn member_from(world: &World, guild: &str, user_id: &str, user: &Value, fields: &Value) -> Value {
    let joined_at = match fields.get("joined_at") {
        Some(v) if v.as_str().is_some_and(|s| !s.is_empty()) => v.clone(),
        _ => world
            .guild(guild)
            .map(|g| json!(World::member_joined_at(g, user_id)))
            .unwrap_or_else(|| json!("")),
    };
    json!({
        "user": {
            "id": user_id,
            "username": user.get("username").cloned().unwrap_or_else(|| json!("")),
            "avatar": user.get("avatar").cloned().unwrap_or_else(|| json!(AVATAR)),
            "bot": user.get("bot").cloned().unwrap_or(json!(false)),
            "union_openid": "",
            "union_user_account": "",
        },
        "nick": fields.get("nick").cloned().unwrap_or_else(|| json!("")),
        "roles": fields.get("roles").cloned().unwrap_or_else(|| json!(["1"])),
        "joined_at": joined_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str) -> Value {
        json!({"id": id, "channel_id": "C", "guild_id": "G", "author": {"id": "U"}})
    }

    #[test]
    fn messages_are_kept_per_channel_and_bounded() {
        let mut r = GuildRecords::default();
        for i in 0..MESSAGE_RECORD_CAP + 10 {
            r.record_message("C", msg(&format!("m{i}")));
        }
        assert!(r.message("C", "m0").is_none(), "oldest dropped");
        assert!(r.message("C", "m9").is_none());
        assert!(r.message("C", "m10").is_some());
        let last = format!("m{}", MESSAGE_RECORD_CAP + 9);
        assert!(r.message("C", &last).is_some());
        assert!(r.message("other", &last).is_none(), "only in its channel");
        assert_eq!(r.messages.len(), MESSAGE_RECORD_CAP);

        // Re-recording an id keeps it past its first slot's eviction.
        r.record_message("C", msg("m10"));
        for i in 0..MESSAGE_RECORD_CAP - 1 {
            r.record_message("C", msg(&format!("n{i}")));
        }
        assert!(r.message("C", "m10").is_some(), "the newer copy stays");
        assert!(r.message("C", "m11").is_none());
        r.forget_message("other", "m10");
        assert!(r.message("C", "m10").is_some(), "forget needs the channel");
        r.forget_message("C", "m10");
        assert!(r.message("C", "m10").is_none());
    }

    #[test]
    fn events_teach_members_and_messages() {
        let world = super::super::generate::Generator::new(3, "1")
            .world()
            .clone();
        let g = world.guilds[0].id.clone();
        let mut r = GuildRecords::default();
        let d = json!({"id": "M1", "channel_id": "C", "guild_id": g, "content": "hi",
            "author": {"id": "U1", "username": "u1", "bot": false},
            "member": {"joined_at": "2022-01-01T00:00:00+08:00", "roles": ["1"]}});
        r.observe("AT_MESSAGE_CREATE", &d, &world);
        assert_eq!(r.message("C", "M1"), Some(&d));
        let m = r.member(&g, "U1").flatten().unwrap();
        assert_eq!(m["user"]["username"], "u1");
        assert_eq!(m["joined_at"], "2022-01-01T00:00:00+08:00");
        r.observe(
            "GUILD_MEMBER_REMOVE",
            &json!({"guild_id": g, "user": {"id": "U1"}}),
            &world,
        );
        assert_eq!(r.member(&g, "U1"), Some(None), "removed");
        r.observe(
            "GUILD_MEMBER_ADD",
            &json!({"guild_id": g, "nick": "n", "roles": ["1"],
                "user": {"id": "U1", "username": "again"}}),
            &world,
        );
        let m = r.member(&g, "U1").flatten().unwrap();
        assert_eq!(m["user"]["username"], "again");
        assert_eq!(
            m["joined_at"],
            World::member_joined_at(&world.guilds[0], "U1"),
            "a missing joined_at is the world's"
        );
        r.observe(
            "PUBLIC_MESSAGE_DELETE",
            &json!({"message": {"id": "M1", "channel_id": "C"}, "op_user": {"id": "U1"}}),
            &world,
        );
        assert!(r.message("C", "M1").is_none());
        r.observe("AT_MESSAGE_CREATE", &json!({"content": "no ids"}), &world);
        assert!(r.messages.is_empty());
        // Another guild's people are not recorded (the routes answer 10004 for it anyway).
        let other = json!({"id": "M2", "channel_id": "C2", "guild_id": "1",
            "author": {"id": "U2"}});
        r.observe("MESSAGE_CREATE", &other, &world);
        assert!(r.member("1", "U2").is_none());
        assert!(r.message("C2", "M2").is_some(), "its message still is");
    }
}
