//! "Validate, then connect" through `Client::with_intent_validation`, per-shard `/status`, and
//! the emulator's send routes reporting the guild actually used.

use std::sync::Arc;
use std::time::Duration;

use qqbot::client::{Client, ClientError, Environment, Token};
use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent, Fault, FaultTarget, Scenario};
use qqbot::gateway::{ReconnectConfig, ShardId, ShardSelection, StartError};
use qqbot::http::api::{Api, MessageBody};
use qqbot::protocol::Intents;
use serde_json::json;
use tokio::sync::broadcast;

#[allow(dead_code)]
#[path = "../examples/guide_bot.rs"]
mod guide_bot;

const WAIT: Duration = Duration::from_secs(60);

async fn until(what: &str, cond: impl Fn() -> bool) {
    let done = tokio::time::timeout(WAIT, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(done.is_ok(), "timed out waiting for {what}");
}

fn identifies(signals: &mut broadcast::Receiver<EmulatorEvent>) -> Vec<[u32; 2]> {
    let mut shards = Vec::new();
    while let Ok(event) = signals.try_recv() {
        if let EmulatorEvent::Identified { shard, .. } = event {
            shards.push(shard);
        }
    }
    shards
}

#[tokio::test(start_paused = true)]
async fn validate_then_connect_shares_the_identify_queue_and_ends_the_trial_session() {
    // One identify per 5 s, enforced: an Identify sooner than that is closed with 4008.
    let emu = Emulator::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        shards: 2,
        max_concurrency: 1,
        strict_identify_rate: true,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let mut signals = emu.subscribe();
    let token = Token::new(emu.config().app_id.clone(), emu.config().secret.clone());
    let client = Arc::new(guide_bot::client(token, &emu.api_base(), &emu.token_url()).unwrap());
    let running = tokio::spawn({
        let client = Arc::clone(&client);
        async move { client.start().await }
    });
    until("both shards active", || {
        client.diagnostics().is_some_and(|d| d.active_shards == 2)
    })
    .await;
    // Three identifies (the trial, then each shard), none refused for its rate.
    assert_eq!(identifies(&mut signals).len(), 3);
    let m = client.metrics().unwrap();
    assert_eq!(m.total.identifies, 2);
    assert!(m.total.close_codes.is_empty(), "{:?}", m.total.close_codes);
    assert_eq!(
        client.diagnostics().unwrap().connect_attempts,
        2,
        "no retry"
    );
    // The trial's session was closed with 1000 and discarded: only the shards' sessions remain.
    let sessions = emu.sessions();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert!(sessions.iter().all(|s| s.connected), "{sessions:?}");

    // A send to the channel of an injected event reports that event's guild.
    emu.inject(
        "AT_MESSAGE_CREATE",
        json!({"id": "m-inj", "channel_id": "c-injected", "guild_id": "g-injected",
               "content": "hi", "author": {"id": "1234", "username": "abc"},
               "timestamp": "2026-02-01T16:28:12+08:00"}),
    );
    let tokens = qqbot::http::TokenSource::new(
        qqbot::http::reqwest::Client::new(),
        emu.token_url(),
        emu.config().app_id.clone(),
        emu.config().secret.clone(),
    );
    let api = Api::new(emu.api_base(), emu.config().app_id.clone(), tokens);
    let sent = api
        .post_channel_message("c-injected", &MessageBody::text("hello"))
        .await
        .unwrap()
        .sent()
        .unwrap();
    assert_eq!(sent.guild_id, "g-injected");
    assert_eq!(sent.channel_id, "c-injected");

    client.shutdown_handle().shutdown();
    tokio::time::timeout(WAIT, running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn denied_intents_fail_the_start_before_any_shard_connects() {
    let emu = Emulator::start(EmulatorConfig {
        scenario: Scenario::InvalidIntents,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let mut signals = emu.subscribe();
    let token = Token::new(emu.config().app_id.clone(), emu.config().secret.clone());
    let client = Client::new(
        token,
        Intents::all(),
        guide_bot::GuideBot { prefix: "/" },
        Environment::Production,
    )
    .with_api_base(emu.api_base())
    .with_token_url(emu.token_url())
    .with_intent_validation(true);
    let err = tokio::time::timeout(WAIT, client.start())
        .await
        .unwrap()
        .unwrap_err();
    match &err {
        ClientError::Start(StartError::IntentsDenied { intents, answer }) => {
            assert_eq!(*intents, Intents::all());
            assert!(answer.contains("op 9"), "{answer}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("cannot start") || !err.to_string().is_empty(),
        "{err}"
    );
    assert!(
        identifies(&mut signals).is_empty(),
        "no session was created"
    );
    assert!(emu.sessions().is_empty());
}

#[tokio::test]
async fn status_is_per_shard_while_another_shard_is_reconnecting() {
    let emu = Emulator::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        shards: 2,
        max_concurrency: 2,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let token = Token::new(emu.config().app_id.clone(), emu.config().secret.clone());
    let intents = Intents::parse("public_guild_messages,group_and_c2c_event").unwrap();
    // A reconnect that waits an hour keeps shard 1 reconnecting for the whole test.
    let client = Arc::new(
        Client::new(
            token,
            intents,
            guide_bot::GuideBot { prefix: "/" },
            Environment::Production,
        )
        .with_api_base(emu.api_base())
        .with_token_url(emu.token_url())
        .with_shards(ShardSelection::Count(2))
        .with_reconnect(ReconnectConfig {
            initial_delay: Duration::from_secs(3600),
            max_delay: Duration::from_secs(3600),
            ..ReconnectConfig::default()
        }),
    );
    let running = tokio::spawn({
        let client = Arc::clone(&client);
        async move { client.start().await }
    });
    until("both shards active", || {
        client.diagnostics().is_some_and(|d| d.active_shards == 2)
    })
    .await;
    let (zero, one) = (ShardId { id: 0, count: 2 }, ShardId { id: 1, count: 2 });
    let session_of = |shard: [u32; 2]| {
        emu.sessions()
            .into_iter()
            .find(|s| s.shard == shard)
            .unwrap()
            .id
    };
    // 4008 is answered with a backoff before the resume: shard 1 stays reconnecting.
    emu.fault(
        FaultTarget::Session(session_of([1, 2])),
        Fault::Close {
            code: 4008,
            reason: "rate limited".into(),
        },
    );
    until("shard 1 reconnecting", || !client.shard_connected(one)).await;
    assert!(client.shard_connected(zero));
    assert!(!client.is_connected(), "the client as a whole is not");

    emu.inject_to(
        &session_of([0, 2]),
        "C2C_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_s0!", "content": "/status", "author": {"id": "U1", "user_openid": "U1"}}),
    );
    until("a reply", || !emu.sent_messages().is_empty()).await;
    let sent = emu.sent_messages();
    assert_eq!(sent[0].content.as_deref(), Some("状态: 在线"), "{sent:?}");
    assert_eq!(sent[0].msg_id.as_deref(), Some("ROBOT1.0_s0!"));
    assert!(!client.shard_connected(one), "shard 1 still reconnecting");

    client.shutdown_handle().shutdown();
    tokio::time::timeout(WAIT, running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
