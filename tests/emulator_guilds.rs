//! The guild read routes over real HTTP: `GET /guilds/{id}`, `/guilds/{id}/channels`,
//! `/channels/{id}`, `/guilds/{id}/members/{user_id}` and `/channels/{id}/messages/{message_id}`,
//! answered for the ids the emulator's gateway dispatches (generated and injected events) and the
//! bot's own sends; unknown ids and missing tokens refused.

#![cfg(feature = "emulator")]

#[path = "emulator_support/mod.rs"]
mod support;

use std::collections::HashMap;

use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Client, Next, WAIT, call, identified, quiet, start, token};

async fn request(
    emu: &Emulator,
    method: reqwest::Method,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let (status, headers, text) = call(emu, method, path, auth, body).await;
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text:?}"));
    (status, headers, body)
}

/// GET with a token; panics unless 200.
async fn ok(emu: &Emulator, auth: &str, path: &str) -> Value {
    let (status, _, body) = request(emu, reqwest::Method::GET, path, Some(auth), None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// GET with a token; expects the standard error body with this status and code.
async fn refused(emu: &Emulator, auth: &str, path: &str, status: StatusCode, code: u64) -> Value {
    let (got, headers, body) = request(emu, reqwest::Method::GET, path, Some(auth), None).await;
    assert_eq!(got, status, "{path}: {body}");
    assert_eq!(body["code"], code, "{path}: {body}");
    assert_eq!(headers["content-type"], "application/json", "{path}");
    let trace = headers["x-tps-trace-id"].to_str().unwrap();
    assert_eq!(body["trace_id"], trace, "{path}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{path}: {body}"
    );
    body
}

fn is_rfc3339_beijing(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with("+08:00") && chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

/// The Guild fields and types (bot-docs guild/model.md; botpy GuildPayload; botgo dto.Guild).
fn assert_guild_shape(g: &Value) {
    for key in ["id", "name", "icon", "owner_id", "description"] {
        assert!(g[key].is_string(), "guild {key} not a string: {g}");
    }
    assert!(g["id"].as_str().unwrap().parse::<u64>().is_ok(), "{g}");
    assert!(g["owner"].is_boolean(), "{g}");
    assert!(
        g["member_count"].is_u64() && g["max_members"].is_u64(),
        "{g}"
    );
    assert!(is_rfc3339_beijing(&g["joined_at"]), "{g}");
}

/// The Channel fields and types (bot-docs manage/channel/model.md; botpy ChannelPayload).
fn assert_channel_shape(c: &Value) {
    for key in [
        "id",
        "guild_id",
        "name",
        "parent_id",
        "owner_id",
        "application_id",
        "permissions",
    ] {
        assert!(c[key].is_string(), "channel {key} not a string: {c}");
    }
    for key in [
        "type",
        "sub_type",
        "position",
        "private_type",
        "speak_permission",
    ] {
        assert!(c[key].is_u64(), "channel {key} not an int: {c}");
    }
}

/// The Member fields and types (bot-docs role/member/model.md; botpy Member; botgo dto.Member).
fn assert_member_shape(m: &Value) {
    let u = &m["user"];
    for key in ["id", "username", "avatar"] {
        assert!(u[key].is_string(), "user {key} not a string: {m}");
    }
    assert!(u["bot"].is_boolean(), "{m}");
    assert!(m["nick"].is_string(), "{m}");
    assert!(
        m["roles"]
            .as_array()
            .is_some_and(|r| !r.is_empty() && r.iter().all(Value::is_string)),
        "{m}"
    );
    assert!(is_rfc3339_beijing(&m["joined_at"]), "{m}");
}

/// The next dispatch (op 0) on `c`, skipping anything else.
async fn next_dispatch(c: &mut Client) -> Value {
    for _ in 0..100 {
        match c.next().await {
            Next::Frame(f) if f["op"] == 0 => return f,
            Next::Frame(_) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
    panic!("no dispatch in 100 frames")
}

#[tokio::test]
async fn generated_guild_events_resolve_through_the_read_routes() {
    let emu = start(EmulatorConfig {
        scenario: Scenario::Demo,
        rate: 500.0,
        seed: 42,
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let auth = format!("QQBot {tok}");
    let mut client = Client::connect(&emu).await;
    let ready = client.identify(&tok, support::ALL_INTENTS, None).await;
    let bot_id = ready["d"]["user"]["id"].as_str().unwrap().to_owned();

    // Read generated dispatches until each kind of guild event was seen (bounded).
    let mut message = None;
    let mut reaction = None;
    let mut member_add = None;
    let mut dm = None;
    let mut last_in_channel: HashMap<String, String> = HashMap::new();
    for _ in 0..5000 {
        let f = next_dispatch(&mut client).await;
        let d = f["d"].clone();
        match f["t"].as_str().unwrap() {
            "AT_MESSAGE_CREATE" | "MESSAGE_CREATE" => {
                let channel = d["channel_id"].as_str().unwrap().to_owned();
                last_in_channel.insert(channel, d["id"].as_str().unwrap().to_owned());
                message.get_or_insert(d);
            }
            "MESSAGE_REACTION_ADD" => {
                let channel = d["channel_id"].as_str().unwrap();
                if reaction.is_none()
                    && let Some(last) = last_in_channel.get(channel)
                {
                    reaction = Some((d.clone(), last.clone()));
                }
            }
            "GUILD_MEMBER_ADD" => {
                member_add.get_or_insert(d);
            }
            "DIRECT_MESSAGE_CREATE" => {
                dm.get_or_insert(d);
            }
            _ => {}
        }
        if message.is_some() && reaction.is_some() && member_add.is_some() && dm.is_some() {
            break;
        }
    }
    let message = message.expect("a guild message within 5000 dispatches");
    let (reaction, reacted_message) = reaction.expect("a reaction within 5000 dispatches");
    let member_add = member_add.expect("a GUILD_MEMBER_ADD within 5000 dispatches");
    let dm = dm.expect("a DIRECT_MESSAGE_CREATE within 5000 dispatches");

    let gid = message["guild_id"].as_str().unwrap();
    let cid = message["channel_id"].as_str().unwrap();
    let mid = message["id"].as_str().unwrap();
    let author = message["author"]["id"].as_str().unwrap();

    // Its guild: one of /users/@me/guilds, the same object.
    let guild = ok(&emu, &auth, &format!("/guilds/{gid}")).await;
    assert_guild_shape(&guild);
    let listed = ok(&emu, &auth, "/users/@me/guilds").await;
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == gid)
        .unwrap_or_else(|| panic!("{gid} not in /users/@me/guilds: {listed}"));
    assert_eq!(&guild, entry);

    // The guild's channels contain the message's channel; GET /channels/{id} is that entry.
    let channels = ok(&emu, &auth, &format!("/guilds/{gid}/channels")).await;
    let channels = channels.as_array().unwrap();
    assert!(
        channels.len() >= 3,
        "a category and text channels: {channels:?}"
    );
    for c in channels {
        assert_channel_shape(c);
        assert_eq!(c["guild_id"], gid);
    }
    let listed_channel = channels
        .iter()
        .find(|c| c["id"] == cid)
        .unwrap_or_else(|| panic!("{cid} not among {channels:?}"));
    assert_eq!(listed_channel["type"], 0, "a text channel");
    let channel = ok(&emu, &auth, &format!("/channels/{cid}")).await;
    assert_eq!(&channel, listed_channel);
    let category = channels
        .iter()
        .find(|c| c["type"] == 4)
        .expect("a category");
    assert_eq!(channel["parent_id"], category["id"]);

    // Its author as a member, agreeing with the event's author and member.
    let member = ok(&emu, &auth, &format!("/guilds/{gid}/members/{author}")).await;
    assert_member_shape(&member);
    assert_eq!(member["user"]["id"], author);
    assert_eq!(member["user"]["username"], message["author"]["username"]);
    assert_eq!(member["joined_at"], message["member"]["joined_at"]);
    assert_eq!(member["roles"], message["member"]["roles"]);

    // The message by id: the wrapper around exactly what the gateway sent.
    let got = ok(&emu, &auth, &format!("/channels/{cid}/messages/{mid}")).await;
    assert_eq!(got, json!({ "message": message }));
    let other = channels
        .iter()
        .find(|c| c["type"] == 0 && c["id"] != cid)
        .expect("a second text channel");
    refused(
        &emu,
        &auth,
        &format!("/channels/{}/messages/{mid}", other["id"].as_str().unwrap()),
        StatusCode::NOT_FOUND,
        50039,
    )
    .await;

    // A reaction: in a channel of its guild, by a member, on the last message there.
    let rgid = reaction["guild_id"].as_str().unwrap();
    let rcid = reaction["channel_id"].as_str().unwrap();
    let rchannels = ok(&emu, &auth, &format!("/guilds/{rgid}/channels")).await;
    assert!(
        rchannels
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == rcid)
    );
    let ruser = reaction["user_id"].as_str().unwrap();
    let rmember = ok(&emu, &auth, &format!("/guilds/{rgid}/members/{ruser}")).await;
    assert_eq!(rmember["user"]["id"], ruser);
    assert_eq!(reaction["target"]["id"], reacted_message.as_str());
    let target = ok(
        &emu,
        &auth,
        &format!("/channels/{rcid}/messages/{reacted_message}"),
    )
    .await;
    assert_eq!(target["message"]["id"], reacted_message.as_str());

    // A new member is a member from then on, with the event's joined_at.
    let ngid = member_add["guild_id"].as_str().unwrap();
    let nuser = member_add["user"]["id"].as_str().unwrap();
    let nmember = ok(&emu, &auth, &format!("/guilds/{ngid}/members/{nuser}")).await;
    assert_member_shape(&nmember);
    assert_eq!(nmember["joined_at"], member_add["joined_at"]);
    assert_eq!(nmember["user"]["username"], member_add["user"]["username"]);

    // The bot is a member of its guilds, joined when the guild says.
    let me = ok(&emu, &auth, &format!("/guilds/{gid}/members/{bot_id}")).await;
    assert_member_shape(&me);
    assert_eq!(me["user"]["bot"], true);
    assert_eq!(me["joined_at"], guild["joined_at"]);

    // A DM session's guild id is no guild: the platform's observed answer.
    let dm_guild = dm["guild_id"].as_str().unwrap();
    let body = refused(
        &emu,
        &auth,
        &format!("/guilds/{dm_guild}/channels"),
        StatusCode::BAD_REQUEST,
        11264,
    )
    .await;
    assert_eq!(body["err_code"], 40012009);
}

/// The `index`th guild of `/users/@me/guilds` and its first text channel.
async fn world_channel(emu: &Emulator, auth: &str, index: usize) -> (Value, Value) {
    let guilds = ok(emu, auth, "/users/@me/guilds").await;
    let guild = guilds[index].clone();
    let gid = guild["id"].as_str().unwrap();
    let channels = ok(emu, auth, &format!("/guilds/{gid}/channels")).await;
    let channel = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == 0)
        .expect("a text channel")
        .clone();
    (guild, channel)
}

#[tokio::test]
async fn injected_events_are_recorded_and_unknown_ids_are_refused() {
    let emu = start(quiet()).await;
    let auth = format!("QQBot {}", token(&emu).await);
    let (guild, channel) = world_channel(&emu, &auth, 1).await;
    let gid = guild["id"].as_str().unwrap();
    let cid = channel["id"].as_str().unwrap();
    let mut client = identified(&emu).await;

    let d = json!({
        "author": {"avatar": "http://thirdqq.qlogo.cn/0", "bot": false, "id": "424242", "username": "注入者"},
        "channel_id": cid,
        "content": "<@!6158788878435714165> /ping",
        "guild_id": gid,
        "id": "08injected0001",
        "member": {"joined_at": "2024-02-03T04:05:06+08:00", "roles": ["1"]},
        "seq_in_channel": "7",
        "timestamp": "2025-05-20T15:14:58+08:00",
    });
    assert_eq!(emu.inject("AT_MESSAGE_CREATE", d.clone()), 1);
    let frame = next_dispatch(&mut client).await;
    assert_eq!(frame["t"], "AT_MESSAGE_CREATE");
    assert_eq!(frame["d"], d);

    let got = ok(
        &emu,
        &auth,
        &format!("/channels/{cid}/messages/08injected0001"),
    )
    .await;
    assert_eq!(got, json!({ "message": d }));
    let member = ok(&emu, &auth, &format!("/guilds/{gid}/members/424242")).await;
    assert_member_shape(&member);
    assert_eq!(member["user"]["username"], "注入者");
    assert_eq!(member["joined_at"], "2024-02-03T04:05:06+08:00");
    // The owner is a member without any event, with the owner role.
    let owner = guild["owner_id"].as_str().unwrap();
    let owner = ok(&emu, &auth, &format!("/guilds/{gid}/members/{owner}")).await;
    assert_member_shape(&owner);
    assert_eq!(owner["roles"], json!(["4"]));

    // Unknown ids, each with its code and the standard error body.
    let not_found = StatusCode::NOT_FOUND;
    refused(&emu, &auth, "/guilds/1", not_found, 10004).await;
    refused(&emu, &auth, "/guilds/1/channels", not_found, 10004).await;
    refused(&emu, &auth, "/guilds/1/members/424242", not_found, 10004).await;
    refused(&emu, &auth, "/channels/1", not_found, 10003).await;
    refused(
        &emu,
        &auth,
        &format!("/guilds/{gid}/members/1"),
        not_found,
        10001,
    )
    .await;
    refused(
        &emu,
        &auth,
        &format!("/channels/{cid}/messages/never-sent"),
        not_found,
        50039,
    )
    .await;
    // The injected author belongs to the guild it wrote in, not to the other one.
    let (other_guild, _) = world_channel(&emu, &auth, 0).await;
    let other_gid = other_guild["id"].as_str().unwrap();
    refused(
        &emu,
        &auth,
        &format!("/guilds/{other_gid}/members/424242"),
        not_found,
        10001,
    )
    .await;

    // A message injected into a channel outside the world is still readable there, but the
    // channel and guild stay unknown.
    let outside = json!({"id": "08outside", "channel_id": "999", "guild_id": "1",
        "author": {"id": "5"}, "content": "x"});
    emu.inject("MESSAGE_CREATE", outside.clone());
    let got = ok(&emu, &auth, "/channels/999/messages/08outside").await;
    assert_eq!(got["message"], outside);
    refused(&emu, &auth, "/channels/999", not_found, 10003).await;

    // Removal and deletion events make them unknown again.
    emu.inject(
        "GUILD_MEMBER_REMOVE",
        json!({"guild_id": gid, "joined_at": "2024-02-03T04:05:06+08:00", "nick": "", "op_user_id": "424242",
               "roles": ["1"], "user": {"id": "424242", "username": "注入者", "bot": false}}),
    );
    refused(
        &emu,
        &auth,
        &format!("/guilds/{gid}/members/424242"),
        not_found,
        10001,
    )
    .await;
    emu.inject(
        "PUBLIC_MESSAGE_DELETE",
        json!({"message": {"id": "08injected0001", "channel_id": cid, "guild_id": gid,
               "author": {"id": "424242"}}, "op_user": {"id": "424242"}}),
    );
    refused(
        &emu,
        &auth,
        &format!("/channels/{cid}/messages/08injected0001"),
        not_found,
        50039,
    )
    .await;
}

#[tokio::test]
async fn the_bots_channel_sends_are_readable_by_id_until_recalled() {
    let emu = start(quiet()).await;
    let auth = format!("QQBot {}", token(&emu).await);
    let (guild, channel) = world_channel(&emu, &auth, 0).await;
    let gid = guild["id"].as_str().unwrap();
    let cid = channel["id"].as_str().unwrap();
    let _live = identified(&emu).await; // guild sends need a gateway session
    let me = ok(&emu, &auth, "/users/@me").await;

    let (status, _, sent) = request(
        &emu,
        reqwest::Method::POST,
        &format!("/channels/{cid}/messages"),
        Some(&auth),
        Some(json!({"content": "hello from the bot"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let mid = sent["id"].as_str().unwrap();

    let got = ok(&emu, &auth, &format!("/channels/{cid}/messages/{mid}")).await;
    let m = &got["message"];
    assert_eq!(m["id"], mid);
    assert_eq!(m["channel_id"], cid);
    assert_eq!(m["guild_id"], gid);
    assert_eq!(m["content"], "hello from the bot");
    assert_eq!(m["author"]["id"], me["id"]);
    assert_eq!(m["author"]["bot"], true);
    assert_eq!(m["member"]["joined_at"], guild["joined_at"]);
    assert!(is_rfc3339_beijing(&m["timestamp"]), "{m}");

    let (status, _, _) = request(
        &emu,
        reqwest::Method::DELETE,
        &format!("/channels/{cid}/messages/{mid}?hidetip=true"),
        Some(&auth),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    refused(
        &emu,
        &auth,
        &format!("/channels/{cid}/messages/{mid}"),
        StatusCode::NOT_FOUND,
        50039,
    )
    .await;
}

#[tokio::test]
async fn the_read_routes_need_a_token_like_every_other_route() {
    let emu = start(quiet()).await;
    let auth = format!("QQBot {}", token(&emu).await);
    let (guild, channel) = world_channel(&emu, &auth, 0).await;
    let gid = guild["id"].as_str().unwrap();
    let cid = channel["id"].as_str().unwrap();
    let owner = guild["owner_id"].as_str().unwrap();
    emu.inject(
        "MESSAGE_CREATE",
        json!({"id": "08m", "channel_id": cid, "guild_id": gid, "author": {"id": owner}}),
    );
    let paths = [
        format!("/guilds/{gid}"),
        format!("/guilds/{gid}/channels"),
        format!("/channels/{cid}"),
        format!("/guilds/{gid}/members/{owner}"),
        format!("/channels/{cid}/messages/08m"),
    ];
    for path in &paths {
        ok(&emu, &auth, path).await;
        for (bad, code) in [
            (None, 11241),
            (Some("QQBot not-a-token"), 11244),
            (Some("Bot 1020304050.x"), 11245),
        ] {
            let (status, headers, body) =
                request(&emu, reqwest::Method::GET, path, bad, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} {bad:?}");
            assert_eq!(body["code"], code, "{path} {bad:?}: {body}");
            assert_eq!(
                body["trace_id"],
                headers["x-tps-trace-id"].to_str().unwrap()
            );
        }
    }
    // Other methods on the new routes are 405, as elsewhere.
    let (status, _, _) = request(
        &emu,
        reqwest::Method::POST,
        &format!("/guilds/{gid}"),
        Some(&auth),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_world_is_the_same_for_a_seed() {
    async fn channels_of(seed: u64) -> Vec<Value> {
        let emu = start(EmulatorConfig { seed, ..quiet() }).await;
        let auth = format!("QQBot {}", token(&emu).await);
        let guilds = ok(&emu, &auth, "/users/@me/guilds").await;
        let mut out = Vec::new();
        for g in guilds.as_array().unwrap() {
            let gid = g["id"].as_str().unwrap();
            out.push(ok(&emu, &auth, &format!("/guilds/{gid}/channels")).await);
        }
        emu.shutdown().await;
        out
    }
    let a = tokio::time::timeout(WAIT, channels_of(9)).await.unwrap();
    let b = tokio::time::timeout(WAIT, channels_of(9)).await.unwrap();
    let c = tokio::time::timeout(WAIT, channels_of(10)).await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a, b);
    assert_ne!(a, c);
}
