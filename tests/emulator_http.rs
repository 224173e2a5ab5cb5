//! HTTP conformance tests: token endpoint, headers, auth, `/gateway*`, `/users/@me*`, the send
//! routes with their passive-reply rules, the recall routes, and the control API.

#[path = "emulator_support/mod.rs"]
mod support;

use std::time::Duration;

use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{ALL_INTENTS, Client, call, http, quiet, skip, start, token, wait_for};

async fn post_token(emu: &Emulator, body: &str, content_type: &str) -> (StatusCode, Value) {
    let res = http()
        .post(emu.token_url())
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

fn creds(emu: &Emulator) -> String {
    json!({"appId": emu.config().app_id, "clientSecret": emu.config().secret.expose()}).to_string()
}

async fn post(emu: &Emulator, path: &str, tok: &str, body: Value) -> (StatusCode, Value) {
    let (status, _, text) = call(
        emu,
        reqwest::Method::POST,
        path,
        Some(&format!("QQBot {tok}")),
        Some(body),
    )
    .await;
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

#[tokio::test]
async fn token_is_reused_with_its_remaining_ttl_and_refreshed_in_the_last_minute() {
    let emu = start(quiet()).await;
    let (status, first) = post_token(&emu, &creds(&emu), "application/json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["expires_in"], "7200", "a string: {first}");
    let tok1 = first["access_token"].as_str().unwrap().to_owned();

    skip(Duration::from_secs(1000)).await;
    let (_, again) = post_token(&emu, &creds(&emu), "application/json; charset=utf-8").await;
    assert_eq!(again["access_token"], tok1.as_str(), "same token");
    let remaining: u64 = again["expires_in"].as_str().unwrap().parse().unwrap();
    assert!((6195..=6200).contains(&remaining), "{remaining}");

    skip(Duration::from_secs(6150)).await; // ~50 s left: inside the last minute
    let (_, fresh) = post_token(&emu, &creds(&emu), "application/json").await;
    let tok2 = fresh["access_token"].as_str().unwrap().to_owned();
    assert_ne!(tok2, tok1, "a new token inside the last 60 s");
    assert_eq!(fresh["expires_in"], "7200");
    for tok in [&tok1, &tok2] {
        let (status, _, _) = call(
            &emu,
            reqwest::Method::GET,
            "/users/@me",
            Some(&format!("QQBot {tok}")),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "both tokens valid");
    }
    skip(Duration::from_secs(60)).await;
    let (status, _, body) = call(
        &emu,
        reqwest::Method::GET,
        "/users/@me",
        Some(&format!("QQBot {tok1}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], 11244);
    let (status, _, _) = call(
        &emu,
        reqwest::Method::GET,
        "/users/@me",
        Some(&format!("QQBot {tok2}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn token_errors_come_back_as_http_200() {
    let emu = start(quiet()).await;
    let secret = emu.config().secret.expose().to_owned();
    let cases = [
        (creds(&emu), "application/x-www-form-urlencoded", 100007),
        (creds(&emu), "text/plain", 100007),
        (
            json!({"appId": "1", "clientSecret": secret}).to_string(),
            "application/json",
            100007,
        ),
        (
            json!({"appId": 1020304050, "clientSecret": secret}).to_string(),
            "application/json",
            100002,
        ),
        (
            json!({"appId": "1020304050", "clientSecret": "nope"}).to_string(),
            "application/json",
            100016,
        ),
        ("{not json".to_owned(), "application/json", 100007),
    ];
    for (body, ct, code) in cases {
        let (status, reply) = post_token(&emu, &body, ct).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(reply["code"], code, "{body} as {ct}: {reply}");
        assert!(reply["message"].is_string());
        assert!(reply.get("access_token").is_none());
    }
}

#[tokio::test]
async fn every_response_has_exact_json_content_type_and_a_trace_id() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let auth = format!("QQBot {tok}");
    let get = reqwest::Method::GET;
    let requests = [
        (
            get.clone(),
            "/gateway/bot",
            Some(auth.as_str()),
            StatusCode::OK,
        ),
        (get.clone(), "/users/@me", None, StatusCode::UNAUTHORIZED),
        (
            get.clone(),
            "/no/such/route",
            Some(auth.as_str()),
            StatusCode::NOT_FOUND,
        ),
        (
            reqwest::Method::DELETE,
            "/gateway",
            Some(auth.as_str()),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (get.clone(), "/websocket", None, StatusCode::BAD_REQUEST),
        (
            reqwest::Method::DELETE,
            "/v2/groups/G/messages/never-sent",
            Some(auth.as_str()),
            StatusCode::BAD_REQUEST,
        ),
        (get, "/_emulator/state", None, StatusCode::OK),
    ];
    for (method, path, auth, expected) in requests {
        let (status, headers, body) = call(&emu, method, path, auth, None).await;
        assert_eq!(status, expected, "{path}");
        assert_eq!(headers["content-type"], "application/json", "{path}");
        let trace = headers
            .get("X-Tps-trace-ID")
            .unwrap_or_else(|| panic!("{path}: no trace id"))
            .to_str()
            .unwrap();
        assert_eq!(trace.len(), 32);
        let body: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        if !status.is_success() {
            assert_eq!(body["trace_id"], trace, "{path}");
            assert_eq!(body["code"], body["err_code"], "{path}");
            assert!(body["message"].is_string(), "{path}");
        }
    }
}

#[tokio::test]
async fn bad_authorization_is_401_with_the_platform_codes() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let cases = [
        (Some("QQBot not-a-token".to_owned()), 11244),
        (Some(format!("QQBot QQBot {tok}")), 11244),
        (Some(format!("Bot {}.{tok}", emu.config().app_id)), 11245),
        (Some(format!("Bearer {tok}")), 11244),
        (None, 11241),
    ];
    for (auth, code) in cases {
        let (status, _, body) = call(
            &emu,
            reqwest::Method::GET,
            "/gateway",
            auth.as_deref(),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["code"], code, "{auth:?}");
    }
}

#[tokio::test]
async fn gateway_routes_and_session_start_limit() {
    let emu = start(EmulatorConfig {
        shards: 3,
        max_concurrency: 4,
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let auth = format!("QQBot {tok}");
    let (_, _, body) = call(&emu, reqwest::Method::GET, "/gateway", Some(&auth), None).await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body, json!({"url": emu.gateway_url()}));

    let bot = |emu: Emulator, auth: String| async move {
        let (_, _, body) = call(
            &emu,
            reqwest::Method::GET,
            "/gateway/bot",
            Some(&auth),
            None,
        )
        .await;
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let before = bot(emu.clone(), auth.clone()).await;
    assert_eq!(before["url"], emu.gateway_url().as_str());
    assert_eq!(before["shards"], 3);
    let limit = &before["session_start_limit"];
    assert_eq!(
        (limit["total"].as_u64(), limit["remaining"].as_u64()),
        (Some(1000), Some(1000))
    );
    assert_eq!(limit["max_concurrency"], 4);
    assert!(limit["reset_after"].as_u64().unwrap() > 0);

    Client::connect(&emu)
        .await
        .identify(&tok, 1, Some([0, 3]))
        .await;
    Client::connect(&emu)
        .await
        .identify(&tok, 1, Some([1, 3]))
        .await;
    let after = bot(emu.clone(), auth).await;
    assert_eq!(after["session_start_limit"]["remaining"], 998);
    assert_eq!(emu.session_start_remaining(), 998);
}

#[tokio::test]
async fn users_me_and_guilds_have_the_fields_sdks_require() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let auth = format!("QQBot {tok}");
    let (_, _, me) = call(&emu, reqwest::Method::GET, "/users/@me", Some(&auth), None).await;
    let me: Value = serde_json::from_str(&me).unwrap();
    assert!(
        me["id"].as_str().unwrap().parse::<u64>().is_ok(),
        "botpy int()s it: {me}"
    );
    assert!(
        me["username"].is_string() && me["avatar"].is_string() && me["union_openid"].is_string()
    );
    assert_eq!(me["bot"], true);
    let (_, _, guilds) = call(
        &emu,
        reqwest::Method::GET,
        "/users/@me/guilds?limit=1",
        Some(&auth),
        None,
    )
    .await;
    let guilds: Value = serde_json::from_str(&guilds).unwrap();
    assert_eq!(guilds.as_array().unwrap().len(), 1);
    let g = &guilds[0];
    for key in [
        "id",
        "name",
        "icon",
        "owner_id",
        "owner",
        "member_count",
        "max_members",
        "description",
        "joined_at",
    ] {
        assert!(g.get(key).is_some(), "guild lacks {key}: {g}");
    }
    let (_, _, rest) = call(
        &emu,
        reqwest::Method::GET,
        &format!("/users/@me/guilds?after={}", g["id"].as_str().unwrap()),
        Some(&auth),
        None,
    )
    .await;
    let rest: Value = serde_json::from_str(&rest).unwrap();
    assert!(rest.as_array().unwrap().iter().all(|r| r["id"] != g["id"]));
}

fn group_event(msg_id: &str) -> Value {
    json!({"id": msg_id, "content": " hi", "group_openid": "GROUP1", "author": {"member_openid": "M1"}})
}

#[tokio::test]
async fn group_replies_follow_the_passive_rules() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    emu.inject("GROUP_AT_MESSAGE_CREATE", group_event("ROBOT1.0_a!"));
    let path = "/v2/groups/GROUP1/messages";

    // botpy's shape: every optional field null, the path parameter in the body too.
    let botpy = json!({"group_openid": "GROUP1", "msg_type": 0, "content": "pong", "embed": null, "ark": null,
        "message_reference": null, "media": null, "msg_id": "ROBOT1.0_a!", "msg_seq": 1, "event_id": null,
        "markdown": null, "keyboard": null});
    let (status, reply) = post(&emu, path, &tok, botpy).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert!(
        reply["id"].as_str().unwrap().starts_with("ROBOT1.0_"),
        "{reply}"
    );
    let ts = reply["timestamp"].as_str().expect("timestamp is a string");
    assert!(ts.ends_with("+08:00"), "{ts}");
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok());
    assert!(
        reply["ext_info"]["ref_idx"]
            .as_str()
            .unwrap()
            .starts_with("REFIDX_")
    );

    let reply_with =
        |seq: u64| json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_a!", "msg_seq": seq});
    let (status, dup) = post(&emu, path, &tok, reply_with(1)).await;
    assert_eq!(
        (status, dup["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(40054005)),
        "{dup}"
    );
    assert_eq!(dup["message"], "消息被去重，请检查请求msgseq");
    for seq in 2..=5 {
        assert_eq!(
            post(&emu, path, &tok, reply_with(seq)).await.0,
            StatusCode::OK
        );
    }
    let (_, sixth) = post(&emu, path, &tok, reply_with(6)).await;
    assert_eq!(sixth["code"], 22009, "at most 5 replies: {sixth}");

    let (_, unknown) = post(
        &emu,
        path,
        &tok,
        json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_zzz!"}),
    )
    .await;
    assert_eq!(unknown["code"], 40034024);
    let (_, other_group) = post(
        &emu,
        "/v2/groups/GROUP2/messages",
        &tok,
        json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_a!", "msg_seq": 9}),
    )
    .await;
    assert_eq!(other_group["code"], 40034024, "a msg_id from another group");
    let (_, proactive) = post(&emu, path, &tok, json!({"msg_type": 0, "content": "x"})).await;
    assert_eq!(proactive["code"], 40034102);
    assert_eq!(proactive["message"], "主动消息失败, 无权限");
    let (_, media) = post(
        &emu,
        path,
        &tok,
        json!({"msg_type": 7, "content": "", "msg_id": "ROBOT1.0_a!", "msg_seq": 7,
        "media": {"file_info": "abc"}}),
    )
    .await;
    assert_eq!(media["code"], 40034001, "msg_type 7 needs content: {media}");

    // The window: 5 min for groups.
    emu.inject("GROUP_AT_MESSAGE_CREATE", group_event("ROBOT1.0_b!"));
    skip(Duration::from_secs(301)).await;
    let (_, expired) = post(
        &emu,
        path,
        &tok,
        json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_b!"}),
    )
    .await;
    assert_eq!(expired["code"], 40034005);
    assert_eq!(expired["message"], "回复消息msg_id已过期");

    let sent = emu.sent_messages();
    assert_eq!(sent.len(), 12);
    assert_eq!(sent.iter().filter(|m| m.code == 0).count(), 5);
    assert_eq!(sent[1].code, 40054005);
    assert_eq!(sent[0].msg_seq, Some(1));
}

#[tokio::test]
async fn c2c_window_is_an_hour_and_event_ids_count_as_passive() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    emu.inject(
        "C2C_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_c!", "author": {"user_openid": "USER1"}, "content": "hi"}),
    );
    skip(Duration::from_secs(30 * 60)).await;
    let (status, _) = post(
        &emu,
        "/v2/users/USER1/messages",
        &tok,
        json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_c!"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "30 min is inside the C2C window");
    skip(Duration::from_secs(31 * 60)).await;
    let (_, late) = post(
        &emu,
        "/v2/users/USER1/messages",
        &tok,
        json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_c!", "msg_seq": 2}),
    )
    .await;
    assert_eq!(late["code"], 40034005);

    // FRIEND_ADD's event id allows a reply; the event id is the frame's top-level id.
    let mut c = Client::connect(&emu).await;
    c.identify(&tok, ALL_INTENTS, None).await;
    emu.inject(
        "FRIEND_ADD",
        json!({"openid": "USER2", "timestamp": 1699240365}),
    );
    let event_id = c.frame().await["id"].as_str().unwrap().to_owned();
    let (status, reply) = post(
        &emu,
        "/v2/users/USER2/messages",
        &tok,
        json!({"msg_type": 0, "content": "welcome", "event_id": event_id}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

#[tokio::test]
async fn guild_sends_need_a_live_session_and_return_a_message() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let body = json!({"content": "hello", "msg_id": null});
    let (status, offline) = post(&emu, "/channels/100/messages", &tok, body.clone()).await;
    assert_eq!(
        (status, offline["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(304018))
    );
    let mut c = Client::connect(&emu).await;
    c.identify(&tok, ALL_INTENTS, None).await;
    let (status, msg) = post(&emu, "/channels/100/messages", &tok, body).await;
    assert_eq!(status, StatusCode::OK, "{msg}");
    for key in [
        "id",
        "channel_id",
        "guild_id",
        "content",
        "timestamp",
        "author",
    ] {
        assert!(msg.get(key).is_some(), "{key}: {msg}");
    }
    assert_eq!(msg["author"]["bot"], true);
    assert_eq!(msg["channel_id"], "100");
    // Passive guild reply to a delivered message.
    emu.inject(
        "AT_MESSAGE_CREATE",
        json!({"id": "gmsg1", "channel_id": "100", "guild_id": "1", "content": "hi"}),
    );
    let (status, _) = post(
        &emu,
        "/channels/100/messages",
        &tok,
        json!({"content": "re", "msg_id": "gmsg1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, wrong_channel) = post(
        &emu,
        "/channels/200/messages",
        &tok,
        json!({"content": "re", "msg_id": "gmsg1"}),
    )
    .await;
    assert_eq!(wrong_channel["code"], 40034024);
    let (_, empty) = post(
        &emu,
        "/channels/100/messages",
        &tok,
        json!({"msg_id": "gmsg1"}),
    )
    .await;
    assert_eq!(empty["code"], 40034001);
    // DM.
    emu.inject("DIRECT_MESSAGE_CREATE", json!({"id": "dm1", "guild_id": "777", "channel_id": "5", "content": "hi", "direct_message": true}));
    let (status, dm) = post(
        &emu,
        "/dms/777/messages",
        &tok,
        json!({"content": "re", "msg_id": "dm1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{dm}");
    assert_eq!(dm["guild_id"], "777");
    assert_eq!(dm["direct_message"], true);
}

#[tokio::test]
async fn files_dms_and_interactions() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let (status, file) = post(
        &emu,
        "/v2/groups/G/files",
        &tok,
        json!({"file_type": 1, "url": "https://example.invalid/a.png", "srv_send_msg": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert!(file["file_uuid"].is_string() && file["file_info"].is_string() && file["ttl"].is_u64());
    let (_, proactive) = post(
        &emu,
        "/v2/users/U/files",
        &tok,
        json!({"file_type": 1, "url": "https://example.invalid/a.png", "srv_send_msg": true}),
    )
    .await;
    assert_eq!(proactive["code"], 40034102);
    let (_, bad) = post(
        &emu,
        "/v2/users/U/files",
        &tok,
        json!({"file_type": 9, "url": "x"}),
    )
    .await;
    assert_eq!(bad["code"], 40034001);

    let (status, dm) = post(
        &emu,
        "/users/@me/dms",
        &tok,
        json!({"recipient_id": "1234", "source_guild_id": "1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(dm["guild_id"].is_string() && dm["channel_id"].is_string());
    assert!(dm["create_time"].as_str().unwrap().parse::<i64>().is_ok());

    let (status, headers, body) = call(
        &emu,
        reqwest::Method::PUT,
        "/interactions/abc",
        Some(&format!("QQBot {tok}")),
        Some(json!({"code": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    assert!(body.is_empty());
    let routes: Vec<_> = emu.sent_messages().into_iter().map(|m| m.route).collect();
    assert_eq!(
        routes,
        [
            "group_file",
            "c2c_file",
            "c2c_file",
            "dm_create",
            "interaction"
        ]
    );
}

#[tokio::test]
async fn malformed_bodies_get_json_errors_everywhere() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let paths = [
        "/channels/1/messages",
        "/dms/1/messages",
        "/v2/groups/G/messages",
        "/v2/users/U/messages",
        "/v2/groups/G/files",
        "/v2/users/U/files",
        "/users/@me/dms",
        "/_emulator/dispatch",
        "/_emulator/fault",
    ];
    for path in paths {
        for body in ["{oops", "[1,2,3]", "\"str\"", "\u{0}"] {
            let res = http()
                .post(format!("{}{path}", emu.api_base()))
                .header("authorization", format!("QQBot {tok}"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path} {body:?}");
            assert_eq!(res.headers()["content-type"], "application/json");
            let v: Value = res.json().await.unwrap();
            assert!(
                v["message"].is_string() && v["code"].is_u64(),
                "{path}: {v}"
            );
        }
    }
    // Still alive.
    assert_eq!(token(&emu).await.len(), 64);
}

#[tokio::test]
async fn control_api_dispatches_injects_faults_and_reports_state() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut events = emu.subscribe();
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, ALL_INTENTS, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    let control = |path: &str, body: Value| {
        let url = format!("{}/_emulator/{path}", emu.api_base());
        async move {
            let res = http().post(url).json(&body).send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, reply) = control(
        "dispatch",
        json!({"t": "GROUP_AT_MESSAGE_CREATE", "d": group_event("ROBOT1.0_x!")}),
    )
    .await;
    assert_eq!((status, reply), (StatusCode::OK, json!({"delivered": 1})));
    let f = c.frame().await;
    assert_eq!(
        (f["t"].as_str(), f["s"].as_u64()),
        (Some("GROUP_AT_MESSAGE_CREATE"), Some(2))
    );
    let (_, reply) = control(
        "dispatch",
        json!({"t": "AT_MESSAGE_CREATE", "d": {}, "session": "nope"}),
    )
    .await;
    assert_eq!(reply, json!({"delivered": 0}));
    let (status, _) = control("dispatch", json!({"d": {}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, reply) = control("fault", json!({"kind": "reconnect", "session": session_id})).await;
    assert_eq!(reply, json!({"affected": 1}));
    assert_eq!(c.frame().await, json!({"op": 7}));
    let (status, _) = control("fault", json!({"kind": "explode"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, reply) = control(
        "fault",
        json!({"kind": "close", "code": 4009, "reason": "Session timed out"}),
    )
    .await;
    assert_eq!(reply, json!({"affected": 1}));
    assert_eq!(c.closed().await, (4009, "Session timed out".to_owned()));
    wait_for(&mut events, |e| {
        matches!(
            e,
            EmulatorEvent::Closed {
                code: Some(4009),
                ..
            }
        )
    })
    .await;

    post(
        &emu,
        "/v2/groups/GROUP1/messages",
        &tok,
        json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_x!"}),
    )
    .await;
    let res = http()
        .get(format!("{}/_emulator/state", emu.api_base()))
        .send()
        .await
        .unwrap();
    let state: Value = res.json().await.unwrap();
    let sessions = state["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], session_id.as_str());
    assert_eq!(sessions[0]["seq"], 2);
    assert_eq!(sessions[0]["connected"], false);
    assert_eq!(sessions[0]["resumes"], 0);
    assert_eq!(sessions[0]["shard"], json!([0, 1]));
    assert_eq!(state["session_start_limit"]["remaining"], 999);
    assert_eq!(state["messages"].as_array().unwrap().len(), 1);
    assert_eq!(state["messages"][0]["code"], 0);
    assert_eq!(state["tokens"]["live"], 1);
    assert!(!state.to_string().contains(&tok), "no token in state");
}

/// `DELETE path` with `QQBot tok` (or no Authorization header): status, headers, JSON body.
async fn delete(
    emu: &Emulator,
    path: &str,
    tok: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let auth = tok.map(|t| format!("QQBot {t}"));
    let (status, headers, text) =
        call(emu, reqwest::Method::DELETE, path, auth.as_deref(), None).await;
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
    (status, headers, body)
}

/// The state's entry for the accepted send that returned `id`.
async fn sent_entry(emu: &Emulator, id: &str) -> Value {
    let state: Value = http()
        .get(format!("{}/_emulator/state", emu.api_base()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    state["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no sent message {id} in {state}"))
        .clone()
}

/// A passive reply to `msg_id` in GROUP1; returns the new message's id.
async fn group_reply(emu: &Emulator, tok: &str, msg_id: &str, seq: u64) -> String {
    let (status, reply) = post(
        emu,
        "/v2/groups/GROUP1/messages",
        tok,
        json!({"msg_type": 0, "content": "pong", "msg_id": msg_id, "msg_seq": seq}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}

fn assert_refused(
    status: StatusCode,
    body: &Value,
    headers: &reqwest::header::HeaderMap,
    code: u64,
) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["err_code"], code, "{body}");
    assert!(body["message"].is_string(), "{body}");
    assert_eq!(
        body["trace_id"].as_str(),
        headers.get("X-Tps-trace-ID").and_then(|v| v.to_str().ok()),
        "{body}"
    );
}

#[tokio::test]
async fn a_group_reply_can_be_recalled_once_within_two_minutes() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    emu.inject("GROUP_AT_MESSAGE_CREATE", group_event("ROBOT1.0_r!"));
    let id = group_reply(&emu, &tok, "ROBOT1.0_r!", 1).await;
    assert_eq!(sent_entry(&emu, &id).await["recalled"], false);

    let path = format!("/v2/groups/GROUP1/messages/{id}");
    let (status, headers, body) = delete(&emu, &path, Some(&tok)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({}));
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["X-Tps-trace-ID"].len(), 32);
    assert_eq!(sent_entry(&emu, &id).await["recalled"], true);

    // Recalled already: refused, and the call is in the log as a refused recall.
    let (status, headers, again) = delete(&emu, &path, Some(&tok)).await;
    assert_refused(status, &again, &headers, 40034024);
    assert_eq!(again["message"], "请求参数msg_id无效或越权");
    let recalls: Vec<_> = emu
        .sent_messages()
        .into_iter()
        .filter(|m| m.route == "group_recall")
        .map(|m| (m.target, m.msg_id, m.status, m.code))
        .collect();
    assert_eq!(
        recalls,
        [
            ("GROUP1".to_owned(), Some(id.clone()), 200, 0),
            ("GROUP1".to_owned(), Some(id.clone()), 400, 40034024),
        ]
    );

    // Never sent; and an inbound message's id (not the bot's own).
    for unknown in ["ROBOT1.0_never!!", "ROBOT1.0_r!"] {
        let (status, headers, body) = delete(
            &emu,
            &format!("/v2/groups/GROUP1/messages/{unknown}"),
            Some(&tok),
        )
        .await;
        assert_refused(status, &body, &headers, 40034024);
    }

    // Sent to GROUP1: not recallable through another group or the C2C route.
    let other = group_reply(&emu, &tok, "ROBOT1.0_r!", 2).await;
    for path in [
        format!("/v2/groups/GROUP2/messages/{other}"),
        format!("/v2/users/GROUP1/messages/{other}"),
    ] {
        let (status, headers, body) = delete(&emu, &path, Some(&tok)).await;
        assert_refused(status, &body, &headers, 40034024);
    }
    assert_eq!(sent_entry(&emu, &other).await["recalled"], false);

    // The window, on the clock of the reply windows: 119 s after sending is in time, 121 s
    // is not.
    let late = group_reply(&emu, &tok, "ROBOT1.0_r!", 3).await;
    skip(Duration::from_secs(119)).await;
    let (status, _, body) = delete(
        &emu,
        &format!("/v2/groups/GROUP1/messages/{other}"),
        Some(&tok),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "119 s after sending: {body}");
    skip(Duration::from_secs(2)).await;
    let (status, headers, body) = delete(
        &emu,
        &format!("/v2/groups/GROUP1/messages/{late}"),
        Some(&tok),
    )
    .await;
    assert_refused(status, &body, &headers, 304027);
    assert_eq!(sent_entry(&emu, &late).await["recalled"], false);
}

#[tokio::test]
async fn c2c_guild_and_dm_messages_are_recalled_on_their_own_routes() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    emu.inject(
        "C2C_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_c!", "author": {"user_openid": "USER1"}, "content": "hi"}),
    );
    let (_, c2c) = post(
        &emu,
        "/v2/users/USER1/messages",
        &tok,
        json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_c!"}),
    )
    .await;
    let c2c = c2c["id"].as_str().unwrap().to_owned();
    let (status, _, body) =
        delete(&emu, &format!("/v2/users/USER1/messages/{c2c}"), Some(&tok)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));

    let mut c = Client::connect(&emu).await;
    c.identify(&tok, ALL_INTENTS, None).await;
    let (status, msg) = post(
        &emu,
        "/channels/100/messages",
        &tok,
        json!({"content": "hello"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{msg}");
    let guild = msg["id"].as_str().unwrap().to_owned();
    // A guild message is not a DM: the DM route refuses it.
    let (status, headers, body) =
        delete(&emu, &format!("/dms/100/messages/{guild}"), Some(&tok)).await;
    assert_refused(status, &body, &headers, 40034024);
    let (status, _, body) = delete(
        &emu,
        &format!("/channels/100/messages/{guild}?hidetip=true"),
        Some(&tok),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    assert_eq!(sent_entry(&emu, &guild).await["recalled"], true);

    emu.inject("DIRECT_MESSAGE_CREATE", json!({"id": "dm1", "guild_id": "777", "channel_id": "5", "content": "hi", "direct_message": true}));
    let (_, dm) = post(
        &emu,
        "/dms/777/messages",
        &tok,
        json!({"content": "re", "msg_id": "dm1"}),
    )
    .await;
    let dm = dm["id"].as_str().unwrap().to_owned();
    let (status, _, body) = delete(
        &emu,
        &format!("/dms/777/messages/{dm}?hidetip=whatever"),
        Some(&tok),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let routes: Vec<_> = emu
        .sent_messages()
        .into_iter()
        .filter(|m| m.route.ends_with("_recall"))
        .map(|m| (m.route, m.code))
        .collect();
    assert_eq!(
        routes,
        [
            ("c2c_recall".to_owned(), 0),
            ("dm_recall".to_owned(), 40034024),
            ("channel_recall".to_owned(), 0),
            ("dm_recall".to_owned(), 0),
        ]
    );
}

#[tokio::test]
async fn recall_needs_a_token_like_the_send_routes() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    emu.inject("GROUP_AT_MESSAGE_CREATE", group_event("ROBOT1.0_t!"));
    let id = group_reply(&emu, &tok, "ROBOT1.0_t!", 1).await;
    let path = format!("/v2/groups/GROUP1/messages/{id}");
    for auth in [None, Some("QQBot not-a-token"), Some("Bot 1020304050.x")] {
        let (status, headers, text) = call(&emu, reqwest::Method::DELETE, &path, auth, None).await;
        let body: Value = serde_json::from_str(&text).unwrap();
        let (send_status, _, send_text) = call(
            &emu,
            reqwest::Method::POST,
            "/v2/groups/GROUP1/messages",
            auth,
            Some(json!({"msg_type": 0, "content": "x", "msg_id": "ROBOT1.0_t!", "msg_seq": 9})),
        )
        .await;
        let send_body: Value = serde_json::from_str(&send_text).unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}: {body}");
        assert_eq!(
            (status, &body["code"], &body["message"]),
            (send_status, &send_body["code"], &send_body["message"]),
            "{auth:?}: the same refusal as a send"
        );
        assert_eq!(body["code"], body["err_code"]);
        assert_eq!(
            body["trace_id"].as_str(),
            headers.get("X-Tps-trace-ID").and_then(|v| v.to_str().ok())
        );
    }
    // A refused recall withdrew nothing.
    assert_eq!(sent_entry(&emu, &id).await["recalled"], false);
    let (status, _, _) = delete(&emu, &path, Some(&tok)).await;
    assert_eq!(status, StatusCode::OK);
}
