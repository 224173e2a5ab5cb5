//! OpenAPI send routes (PROTOCOL.md §8.2–8.4) with the passive-reply rules of `passive.rs`, and
//! the recall routes (§8.6) with the rules of `recall.rs`.
//!
//! Bodies are read leniently: unknown keys and `null` values are ignored (botpy sends every
//! optional parameter as null, and the path parameter too). Every attempt, accepted or refused,
//! is recorded for [`super::Emulator::sent_messages`].

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::generate::{AVATAR, BOT_USER_ID, BOT_USERNAME, rfc3339};
use super::http::{ApiFailure, Trace, authorize, empty_ok, json_response, parse_object};
use super::passive::Scene;
use super::records::SentMessage;
use super::routing::fnv1a;
use super::state::{Shared, lock};

/// Code the emulator uses for body validation errors. The platform's exact codes for these
/// cases are not documented; treat this one as an emulator choice.
pub const INVALID_PARAMS: u64 = 40034001;

/// What a send request asked for, as recorded.
#[derive(Debug, Default)]
struct Attempt {
    route: &'static str,
    target: String,
    msg_id: Option<String>,
    event_id: Option<String>,
    msg_seq: Option<u64>,
    msg_type: Option<u64>,
    content: Option<String>,
}

impl Attempt {
    fn from_body(route: &'static str, target: &str, body: &Map<String, Value>) -> Attempt {
        Attempt {
            route,
            target: target.to_owned(),
            msg_id: str_field(body, "msg_id"),
            event_id: str_field(body, "event_id"),
            msg_seq: u64_field(body, "msg_seq"),
            msg_type: u64_field(body, "msg_type"),
            content: str_field(body, "content"),
        }
    }

    /// Record the outcome and build the response.
    fn finish(
        self,
        shared: &Shared,
        trace: &Trace,
        outcome: Result<Value, ApiFailure>,
    ) -> Response {
        let (status, code, id, response) = match outcome {
            Ok(body) => {
                let id = body.get("id").and_then(Value::as_str).map(str::to_owned);
                (200, 0, id, json_response(StatusCode::OK, &body))
            }
            Err(failure) => (failure.status, failure.code, None, failure.respond(trace)),
        };
        shared.record_send(SentMessage {
            route: self.route.to_owned(),
            target: self.target,
            msg_id: self.msg_id,
            event_id: self.event_id,
            msg_seq: self.msg_seq,
            msg_type: self.msg_type,
            content: self.content,
            status,
            code,
            id,
            recalled: false,
            offset: shared.offset(),
        });
        response
    }
}

/// A string field; empty strings count as absent for ids.
fn str_field(body: &Map<String, Value>, key: &str) -> Option<String> {
    match body.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number field, also accepted as a numeric string.
fn u64_field(body: &Map<String, Value>, key: &str) -> Option<u64> {
    match body.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

fn random_token(len: usize) -> String {
    let mut out = String::new();
    while out.len() < len {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(len);
    out
}

/// Run the request: auth, body, then `f`; record and answer.
fn handle(
    shared: &Shared,
    trace: &Trace,
    headers: &HeaderMap,
    body: &Bytes,
    route: &'static str,
    target: &str,
    f: impl FnOnce(&Shared, &Map<String, Value>, &Attempt) -> Result<Value, ApiFailure>,
) -> Response {
    let parsed = parse_object(body);
    let attempt = match &parsed {
        Ok(map) => Attempt::from_body(route, target, map),
        Err(_) => Attempt {
            route,
            target: target.to_owned(),
            ..Attempt::default()
        },
    };
    let outcome = authorize(shared, headers)
        .and(parsed)
        .and_then(|map| f(shared, &map, &attempt));
    attempt.finish(shared, trace, outcome)
}

fn check_passive(shared: &Shared, scene: Scene, attempt: &Attempt) -> Result<(), ApiFailure> {
    lock(&shared.passive)
        .check_reply(
            scene,
            &attempt.target,
            non_empty(&attempt.msg_id),
            non_empty(&attempt.event_id),
            attempt.msg_seq,
            Instant::now(),
        )
        .map_err(ApiFailure::from)
}

/// Group/C2C body rules by `msg_type`.
fn check_v2_body(body: &Map<String, Value>, attempt: &Attempt) -> Result<(), ApiFailure> {
    let has = |key: &str| body.get(key).is_some_and(|v| !v.is_null());
    let content = non_empty(&attempt.content);
    let missing = |what: &str| {
        Err(ApiFailure::new(
            400,
            INVALID_PARAMS,
            format!("请求参数错误: {what}"),
        ))
    };
    match attempt.msg_type.unwrap_or(0) {
        0 if content.is_none() => missing("msg_type 0 needs content"),
        2 if !has("markdown") => missing("msg_type 2 needs markdown"),
        3 if !has("ark") => missing("msg_type 3 needs ark"),
        4 if !has("embed") => missing("msg_type 4 needs embed"),
        7 if content.is_none() => missing("msg_type 7 needs a non-empty content, e.g. \" \""),
        7 if body
            .get("media")
            .and_then(|m| m.get("file_info"))
            .and_then(Value::as_str)
            .is_none_or(str::is_empty) =>
        {
            missing("msg_type 7 needs media.file_info")
        }
        _ => Ok(()),
    }
}

fn v2_send(
    shared: &Shared,
    scene: Scene,
    body: &Map<String, Value>,
    attempt: &Attempt,
) -> Result<Value, ApiFailure> {
    check_v2_body(body, attempt)?;
    check_passive(shared, scene, attempt)?;
    Ok(json!({
        "id": format!("ROBOT1.0_{}!!", random_token(48)),
        "timestamp": rfc3339(shared.wall_now()),
        "ext_info": {"ref_idx": format!("REFIDX_{}==", random_token(22))},
    }))
}

fn guild_send(
    shared: &Shared,
    scene: Scene,
    body: &Map<String, Value>,
    attempt: &Attempt,
) -> Result<Value, ApiFailure> {
    if !shared.has_live_session() {
        return Err(ApiFailure::new(
            400,
            304018,
            "SESSION_NOT_EXIST: bot not connected to the gateway",
        ));
    }
    let has = |key: &str| body.get(key).is_some_and(|v| !v.is_null());
    if non_empty(&attempt.content).is_none()
        && !["embed", "ark", "image", "markdown", "file_image"]
            .iter()
            .any(|k| has(k))
    {
        return Err(ApiFailure::new(
            400,
            INVALID_PARAMS,
            "请求参数错误: one of content, embed, ark, image, markdown is required",
        ));
    }
    check_passive(shared, scene, attempt)?;
    let (guild_id, channel_id) = match scene {
        Scene::Dm => {
            let user = shared
                .world
                .users
                .iter()
                .find(|u| u.dm_guild_id == attempt.target);
            let channel = user
                .map(|u| u.dm_channel_id.clone())
                .unwrap_or_else(|| (fnv1a(attempt.target.as_bytes()) % 1_000_000_000).to_string());
            (attempt.target.clone(), channel)
        }
        _ => {
            let guild = shared
                .world
                .guilds
                .iter()
                .find(|g| g.channels.iter().any(|c| c.id == attempt.target))
                .map(|g| g.id.clone())
                // A channel from an injected event: the guild that event named.
                .or_else(|| lock(&shared.passive).guild_of_channel(&attempt.target))
                .or_else(|| shared.world.guilds.first().map(|g| g.id.clone()))
                .unwrap_or_default();
            (guild, attempt.target.clone())
        }
    };
    let mut message = json!({
        "id": random_token(48),
        "channel_id": channel_id,
        "guild_id": guild_id,
        "content": attempt.content.clone().unwrap_or_default(),
        "timestamp": rfc3339(shared.wall_now()),
        "tts": false,
        "mention_everyone": false,
        "author": {"id": BOT_USER_ID, "username": BOT_USERNAME, "avatar": AVATAR, "bot": true},
        "pinned": false,
        "type": 0,
        "flags": 0,
        "seq_in_channel": "1",
    });
    if scene == Scene::Dm {
        message["direct_message"] = json!(true);
    }
    if let Some(reference) = body.get("message_reference") {
        message["message_reference"] = reference.clone();
    }
    if scene == Scene::Guild {
        // Readable with GET /channels/{channel_id}/messages/{message_id} (guilds.rs).
        let stored = super::guilds::bot_message_record(shared, &message);
        lock(&shared.guild_records).record_message(&channel_id, stored);
    }
    Ok(message)
}

/// One axum handler per send route: the path's target id, then [`handle`] with the route's
/// label and its scene's send function.
macro_rules! send_route {
    ($($(#[$doc:meta])* $name:ident => $label:literal, $send:ident($scene:expr);)*) => {$(
        $(#[$doc])*
        pub(crate) async fn $name(
            State(shared): State<Arc<Shared>>,
            Extension(trace): Extension<Trace>,
            Path(target): Path<String>,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            handle(&shared, &trace, &headers, &body, $label, &target, |s, b, a| {
                $send(s, $scene, b, a)
            })
        }
    )*};
}

send_route! {
    /// `POST /v2/groups/{group_openid}/messages`.
    send_group => "group", v2_send(Scene::Group);
    /// `POST /v2/users/{openid}/messages`.
    send_c2c => "c2c", v2_send(Scene::C2c);
    /// `POST /channels/{channel_id}/messages`.
    send_channel => "channel", guild_send(Scene::Guild);
    /// `POST /dms/{guild_id}/messages`.
    send_dm => "dm", guild_send(Scene::Dm);
}

/// Run a recall: auth (as the send routes), then withdraw `message_id` if the bot sent it with
/// `send_route` to `target` (see `recall.rs` for the rules and the emulator's codes); record the
/// call as `route` and answer 200 `{}` (botrs needs a JSON body; botpy takes 200 or 204).
fn recall(
    shared: &Shared,
    trace: &Trace,
    headers: &HeaderMap,
    route: &'static str,
    send_route: &str,
    target: String,
    message_id: String,
) -> Response {
    let outcome = authorize(shared, headers).and_then(|()| {
        shared
            .recall_sent(send_route, &target, &message_id)
            .map(|()| json!({}))
            .map_err(ApiFailure::from)
    });
    if outcome.is_ok() && send_route == "channel" {
        // A recalled channel message is no longer readable by id.
        lock(&shared.guild_records).forget_message(&target, &message_id);
    }
    let attempt = Attempt {
        route,
        target,
        msg_id: Some(message_id),
        ..Attempt::default()
    };
    attempt.finish(shared, trace, outcome)
}

/// One axum handler per recall route: the path's target and message id, then [`recall`] with
/// the route's label and the label of the send route whose messages it withdraws. Query
/// parameters (`hidetip=true|false`) are accepted and ignored; so is a body.
macro_rules! recall_route {
    ($($(#[$doc:meta])* $name:ident => $label:literal, recalls $send:literal;)*) => {$(
        $(#[$doc])*
        pub(crate) async fn $name(
            State(shared): State<Arc<Shared>>,
            Extension(trace): Extension<Trace>,
            Path((target, message_id)): Path<(String, String)>,
            headers: HeaderMap,
        ) -> Response {
            recall(&shared, &trace, &headers, $label, $send, target, message_id)
        }
    )*};
}

recall_route! {
    /// `DELETE /channels/{channel_id}/messages/{message_id}?hidetip=…` (botpy `recall_message`).
    recall_channel => "channel_recall", recalls "channel";
    /// `DELETE /dms/{guild_id}/messages/{message_id}?hidetip=…`.
    recall_dm => "dm_recall", recalls "dm";
    /// `DELETE /v2/groups/{group_openid}/messages/{message_id}`.
    recall_group => "group_recall", recalls "group";
    /// `DELETE /v2/users/{openid}/messages/{message_id}`.
    recall_c2c => "c2c_recall", recalls "c2c";
}

fn upload(body: &Map<String, Value>) -> Result<Value, ApiFailure> {
    let file_type = u64_field(body, "file_type");
    match file_type {
        Some(1..=3) => {}
        Some(4) => {
            return Err(ApiFailure::new(
                400,
                INVALID_PARAMS,
                "file_type 4 (file) is not open yet",
            ));
        }
        _ => {
            return Err(ApiFailure::new(
                400,
                INVALID_PARAMS,
                "请求参数错误: file_type must be 1, 2 or 3",
            ));
        }
    }
    if body.get("file_data").is_some() && str_field(body, "url").is_none() {
        return Err(ApiFailure::new(
            400,
            INVALID_PARAMS,
            "file_data is not supported; send url",
        ));
    }
    if str_field(body, "url").is_none_or(|u| u.is_empty()) {
        return Err(ApiFailure::new(
            400,
            INVALID_PARAMS,
            "请求参数错误: url is required",
        ));
    }
    if body.get("srv_send_msg").and_then(Value::as_bool) == Some(true) {
        // srv_send_msg sends a proactive message, discontinued since 2025-04-21.
        return Err(super::passive::PROACTIVE_REFUSED.into());
    }
    Ok(json!({
        "file_uuid": uuid::Uuid::new_v4().simple().to_string(),
        "file_info": random_token(64),
        "ttl": 3600,
    }))
}

/// `POST /v2/groups/{group_openid}/files`.
pub(crate) async fn upload_group_file(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    Path(group): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(
        &shared,
        &trace,
        &headers,
        &body,
        "group_file",
        &group,
        |_, b, _| upload(b),
    )
}

/// `POST /v2/users/{openid}/files`.
pub(crate) async fn upload_c2c_file(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    Path(openid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(
        &shared,
        &trace,
        &headers,
        &body,
        "c2c_file",
        &openid,
        |_, b, _| upload(b),
    )
}

/// `POST /users/@me/dms` with `{recipient_id, source_guild_id}`.
pub(crate) async fn create_dm(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = parse_object(&body)
        .ok()
        .and_then(|b| str_field(&b, "recipient_id"))
        .unwrap_or_default();
    handle(
        &shared,
        &trace,
        &headers,
        &body,
        "dm_create",
        &target,
        |s, b, _| {
            let Some(recipient) = str_field(b, "recipient_id").filter(|r| !r.is_empty()) else {
                return Err(ApiFailure::new(
                    400,
                    INVALID_PARAMS,
                    "请求参数错误: recipient_id is required",
                ));
            };
            let (guild_id, channel_id) = match s.world.users.iter().find(|u| u.id == recipient) {
                Some(u) => (u.dm_guild_id.clone(), u.dm_channel_id.clone()),
                None => {
                    let h = fnv1a(recipient.as_bytes());
                    (
                        (h % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000).to_string(),
                        (h % 1_000_000_000).to_string(),
                    )
                }
            };
            Ok(json!({
                "guild_id": guild_id,
                "channel_id": channel_id,
                "create_time": s.wall_now().timestamp().to_string(),
            }))
        },
    )
}

/// `PUT /interactions/{interaction_id}`: 200 with an empty body.
pub(crate) async fn ack_interaction(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    Path(interaction): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let attempt = Attempt {
        route: "interaction",
        target: interaction,
        ..Attempt::default()
    };
    // botgo sends the body as a raw string; accept anything that parses, and an empty body.
    let outcome =
        authorize(&shared, &headers).and_then(|()| parse_object(&body).map(|_| Value::Null));
    match outcome {
        Ok(_) => {
            let _ = attempt.finish(&shared, &trace, Ok(json!({})));
            empty_ok()
        }
        Err(e) => attempt.finish(&shared, &trace, Err(e)),
    }
}
