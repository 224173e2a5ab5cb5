//! The OpenAPI client against the in-process emulator's real send routes.

use std::sync::Mutex;
use std::time::Duration;

use qqbot::Secret;
use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};
use qqbot::http::api::{FileType, MessageBody, UploadFile};
use qqbot::http::error::BoxError;
use qqbot::http::{Api, ApiErrorKind, SendOutcome, StaticToken, TokenProvider};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("finished in time")
}

async fn emulator() -> Emulator {
    let config = EmulatorConfig {
        scenario: Scenario::Quiet,
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

/// Fetches tokens from the emulator's token endpoint; the first token handed out is a stale one,
/// so the first call must be refused with 11244 and retried.
struct EmulatorToken {
    url: String,
    app_id: String,
    secret: Secret,
    stale_first: Mutex<bool>,
    invalidated: Mutex<u32>,
}

impl EmulatorToken {
    fn new(emu: &Emulator, stale_first: bool) -> EmulatorToken {
        EmulatorToken {
            url: emu.token_url(),
            app_id: emu.config().app_id.clone(),
            secret: emu.config().secret.clone(),
            stale_first: Mutex::new(stale_first),
            invalidated: Mutex::new(0),
        }
    }
}

impl TokenProvider for EmulatorToken {
    async fn token(&self) -> Result<Secret, BoxError> {
        if *self.stale_first.lock().unwrap() {
            return Ok(Secret::new("stale-token-from-yesterday"));
        }
        let body: Value = reqwest::Client::new()
            .post(&self.url)
            .json(&json!({"appId": self.app_id, "clientSecret": self.secret.expose()}))
            .send()
            .await?
            .json()
            .await?;
        let token = body["access_token"].as_str().ok_or("no access_token")?;
        Ok(Secret::new(token))
    }

    async fn invalidate(&self) {
        *self.stale_first.lock().unwrap() = false;
        *self.invalidated.lock().unwrap() += 1;
    }
}

fn api(emu: &Emulator) -> Api {
    Api::new(
        emu.api_base(),
        emu.config().app_id.clone(),
        EmulatorToken::new(emu, false),
    )
}

fn inject_group_message(emu: &Emulator, id: &str, group: &str) {
    emu.inject(
        "GROUP_AT_MESSAGE_CREATE",
        json!({"id": id, "content": " /ping", "group_openid": group, "group_id": group,
               "author": {"id": "M", "member_openid": "M"}, "timestamp": "2026-02-01T16:28:12+08:00"}),
    );
}

#[tokio::test]
async fn group_passive_replies_and_msg_seq_dedup() {
    let emu = emulator().await;
    inject_group_message(&emu, "ROBOT1.0_in1!", "G1");
    let api = api(&emu);

    let first = bounded(api.post_group_message(
        "G1",
        &MessageBody::text("pong").reply_to("ROBOT1.0_in1!", 1),
    ))
    .await
    .unwrap();
    let SendOutcome::Sent(sent) = first else {
        panic!("{first:?}")
    };
    assert!(sent.id.starts_with("ROBOT1.0_"), "{}", sent.id);
    assert!(sent.timestamp.is_some());
    assert!(sent.ref_idx().unwrap().starts_with("REFIDX_"));

    let err = bounded(api.post_group_message(
        "G1",
        &MessageBody::text("again").reply_to("ROBOT1.0_in1!", 1),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Rejected);
    assert_eq!((err.status(), err.code()), (Some(400), Some(40054005)));
    assert!(
        err.trace_id().is_some_and(|t| !t.is_empty()),
        "the emulator sends X-Tps-trace-ID"
    );
    assert!(err.hint().unwrap().contains("msg_seq"));
    assert!(err.to_string().contains("[trace "), "{err}");

    bounded(api.post_group_message(
        "G1",
        &MessageBody::text("again").reply_to("ROBOT1.0_in1!", 2),
    ))
    .await
    .unwrap();

    let sent = emu.sent_messages();
    let summary: Vec<(&str, Option<u64>, u64)> = sent
        .iter()
        .map(|m| (m.route.as_str(), m.msg_seq, m.code))
        .collect();
    assert_eq!(
        summary,
        [
            ("group", Some(1), 0),
            ("group", Some(1), 40054005),
            ("group", Some(2), 0)
        ]
    );
    assert_eq!(sent[0].content.as_deref(), Some("pong"));
    assert_eq!(sent[0].msg_id.as_deref(), Some("ROBOT1.0_in1!"));
}

#[tokio::test]
async fn c2c_reply_to_unknown_message_and_proactive_send_are_refused() {
    let emu = emulator().await;
    let api = api(&emu);
    let err =
        bounded(api.post_c2c_message("U1", &MessageBody::text("hi").reply_to("ROBOT1.0_nope!", 1)))
            .await
            .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ApiErrorKind::Rejected, Some(40034024))
    );
    assert_eq!(err.message(), Some("请求参数msg_id无效或越权"));

    let err = bounded(api.post_c2c_message("U1", &MessageBody::text("hi")))
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(400), Some(40034102)));
    assert!(
        err.hint().unwrap().contains("2025-04-21"),
        "{:?}",
        err.hint()
    );
}

#[tokio::test]
async fn guild_send_without_a_gateway_session_is_304018() {
    let emu = emulator().await;
    let err = bounded(api(&emu).post_channel_message("100010", &MessageBody::text("hi")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(304018));
    assert!(err.hint().unwrap().contains("gateway"), "{:?}", err.hint());
}

#[tokio::test]
async fn stale_token_is_refreshed_once_against_the_emulator() {
    let emu = emulator().await;
    inject_group_message(&emu, "ROBOT1.0_in2!", "G2");
    let tokens = std::sync::Arc::new(EmulatorToken::new(&emu, true));
    let api = Api::new(emu.api_base(), emu.config().app_id.clone(), tokens.clone());
    bounded(api.post_group_message(
        "G2",
        &MessageBody::text("pong").reply_to("ROBOT1.0_in2!", 1),
    ))
    .await
    .unwrap();
    assert_eq!(*tokens.invalidated.lock().unwrap(), 1);

    // A token that stays wrong: one refresh, then Unauthorized with the platform's code.
    let api = Api::new(
        emu.api_base(),
        emu.config().app_id.clone(),
        StaticToken::new("wrong"),
    );
    let err = bounded(api.me()).await.unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Unauthorized);
    assert_eq!((err.status(), err.code()), (Some(401), Some(11244)));
    assert!(!err.to_string().contains("wrong"), "{err}");
}

#[tokio::test]
async fn identity_gateway_uploads_dms_and_interaction_acks() {
    let emu = emulator().await;
    let api = api(&emu);
    let me = bounded(api.me()).await.unwrap();
    assert!(
        !me.id.is_empty() && me.id.bytes().all(|b| b.is_ascii_digit()),
        "{me:?}"
    );
    let gateway = bounded(api.gateway_bot()).await.unwrap();
    assert_eq!(gateway.url, emu.gateway_url());
    assert_eq!(gateway.shards, 1);
    assert!(gateway.session_start_limit.remaining > 0);
    let guilds = bounded(api.guilds()).await.unwrap();
    assert!(!guilds.is_empty());

    let file = UploadFile {
        file_type: FileType::Image,
        url: "https://example.invalid/a.png".into(),
        srv_send_msg: false,
    };
    let uploaded = bounded(api.upload_group_file("G3", &file)).await.unwrap();
    assert!(!uploaded.file_info.is_empty());
    let dm = bounded(api.create_dm("1234", &guilds[0].id)).await.unwrap();
    assert!(!dm.guild_id.is_empty());
    bounded(api.ack_interaction("30540ff7-9d8f-4737-83f1-e116ce6afa8b", 0))
        .await
        .unwrap();
    let routes: Vec<String> = emu.sent_messages().into_iter().map(|m| m.route).collect();
    assert_eq!(routes, ["group_file", "dm_create", "interaction"]);
}
