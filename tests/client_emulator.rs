//! The client facade end to end: the example bot (`examples/ping_bot.rs`) runs through
//! `Client::start` against the in-process emulator, which records its replies.

use std::sync::Arc;
use std::time::Duration;

use qqbot::client::{
    Client, ClientError, Context, Environment, EventHandler, HandlerResult, Token,
};
use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent, Scenario};
use qqbot::models::Message;
use qqbot::protocol::Intents;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};

#[allow(dead_code)]
#[path = "../examples/ping_bot.rs"]
mod ping_bot;

const WAIT: Duration = Duration::from_secs(10);

async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("finished in time")
}

async fn emulator(scenario: Scenario) -> Emulator {
    let config = EmulatorConfig {
        scenario,
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

fn client_for<H: EventHandler>(emu: &Emulator, handler: H) -> Client<H> {
    let token = Token::new(emu.config().app_id.clone(), emu.config().secret.clone());
    let intents = Intents::parse("public_guild_messages,group_and_c2c_event").unwrap();
    Client::new(token, intents, handler, Environment::Production)
        .with_api_base(emu.api_base())
        .with_token_url(emu.token_url())
}

/// Wait for the first signal matching `pick`.
async fn wait_for<T>(
    signals: &mut broadcast::Receiver<EmulatorEvent>,
    mut pick: impl FnMut(EmulatorEvent) -> Option<T>,
) -> T {
    bounded(async {
        loop {
            match signals.recv().await {
                Ok(event) => {
                    if let Some(found) = pick(event) {
                        return found;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => panic!("emulator stopped"),
            }
        }
    })
    .await
}

async fn wait_sent(signals: &mut broadcast::Receiver<EmulatorEvent>, route: &str) -> (u16, u64) {
    wait_for(signals, |event| match event {
        EmulatorEvent::MessageSent {
            route: r,
            status,
            code,
        } if r == route => Some((status, code)),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn ping_bot_answers_ping_and_status_in_guild_group_and_c2c() {
    let emu = emulator(Scenario::Quiet).await;
    let mut signals = emu.subscribe();
    let client = Arc::new(client_for(&emu, ping_bot::PingBot));
    let running = tokio::spawn({
        let client = Arc::clone(&client);
        async move { client.start().await }
    });
    let session_id = wait_for(&mut signals, |event| match event {
        EmulatorEvent::Identified { session_id, .. } => Some(session_id),
        _ => None,
    })
    .await;

    // Guild @-message: /ping.
    let delivered = emu.inject(
        "AT_MESSAGE_CREATE",
        json!({"id": "guild-msg-1", "channel_id": "100010", "guild_id": "18700000000001",
               "content": "<@!6158788878435714165> /ping",
               "author": {"id": "1234", "username": "abc", "bot": false},
               "timestamp": "2026-02-01T16:28:12+08:00"}),
    );
    assert_eq!(delivered, 1);
    assert_eq!(wait_sent(&mut signals, "channel").await, (200, 0));

    // Group @-message: /ping. C2C: /status.
    emu.inject(
        "GROUP_AT_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_grp1!", "content": " /ping", "group_openid": "G1", "group_id": "G1",
               "author": {"id": "M1", "member_openid": "M1"}}),
    );
    assert_eq!(wait_sent(&mut signals, "group").await, (200, 0));
    emu.inject(
        "C2C_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_c2c1!", "content": "/status",
               "author": {"id": "U1", "user_openid": "U1"}}),
    );
    assert_eq!(wait_sent(&mut signals, "c2c").await, (200, 0));

    assert!(client.is_connected());
    let sessions = client.get_session_info();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_id.as_deref(), Some(session_id.as_str()));
    assert_eq!(client.handler_errors(), 0);

    let sent = emu.sent_messages();
    let guild = sent.iter().find(|m| m.route == "channel").unwrap();
    assert_eq!(
        (
            guild.target.as_str(),
            guild.msg_id.as_deref(),
            guild.content.as_deref()
        ),
        ("100010", Some("guild-msg-1"), Some("pong"))
    );
    let group = sent.iter().find(|m| m.route == "group").unwrap();
    assert_eq!(
        (
            group.target.as_str(),
            group.msg_id.as_deref(),
            group.msg_seq,
            group.content.as_deref()
        ),
        ("G1", Some("ROBOT1.0_grp1!"), Some(1), Some("pong"))
    );
    let c2c = sent.iter().find(|m| m.route == "c2c").unwrap();
    assert_eq!((c2c.target.as_str(), c2c.msg_seq), ("U1", Some(1)));
    let status = c2c.content.as_deref().unwrap();
    assert!(status.starts_with("up "), "{status}");
    assert!(
        status.contains(&format!("session {session_id}")),
        "{status}"
    );
    assert!(status.contains("3 events seen"), "{status}");

    client.shutdown_handle().shutdown();
    bounded(running).await.unwrap().unwrap();
    assert!(!client.is_connected(), "stopped");
    let resume = client.get_session_info()[0].resume_info().unwrap();
    assert_eq!(resume.session_id, session_id);
    assert!(resume.last_seq.is_some());
}

/// Replies to every message, reports whether the reply went through, then fails.
struct ReplyThenFail(mpsc::UnboundedSender<String>);

impl EventHandler for ReplyThenFail {
    async fn at_message_create(&self, ctx: Context, message: Message) -> HandlerResult {
        let first = ctx
            .reply(&message, qqbot::http::api::MessageBody::text("one"))
            .await;
        self.0.send(format!("{}", first.is_ok())).unwrap();
        Err("handler failed on purpose".into())
    }
}

#[tokio::test]
async fn failing_handlers_do_not_stop_a_connected_client() {
    let emu = emulator(Scenario::Quiet).await;
    let mut signals = emu.subscribe();
    let (tx, mut ran) = mpsc::unbounded_channel();
    let client = Arc::new(client_for(&emu, ReplyThenFail(tx)));
    let running = tokio::spawn({
        let client = Arc::clone(&client);
        async move { client.start().await }
    });
    wait_for(&mut signals, |event| {
        matches!(event, EmulatorEvent::Identified { .. }).then_some(())
    })
    .await;
    for i in 0..3 {
        emu.inject(
            "AT_MESSAGE_CREATE",
            json!({"id": format!("m{i}"), "channel_id": "100010", "content": "hi"}),
        );
        assert_eq!(bounded(ran.recv()).await.as_deref(), Some("true"));
    }
    assert!(!running.is_finished());
    client.shutdown_handle().shutdown();
    bounded(running).await.unwrap().unwrap();
    assert_eq!(client.handler_errors(), 3);
}

#[tokio::test]
async fn fatal_close_ends_start_with_the_code() {
    let emu = emulator(Scenario::Offline4914).await;
    let client = client_for(&emu, ping_bot::PingBot);
    let err = bounded(client.start()).await.unwrap_err();
    let ClientError::Fatal { code, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*code, Some(4914), "{err}");
}

#[tokio::test]
async fn wrong_secret_fails_to_start() {
    let emu = emulator(Scenario::Quiet).await;
    let token = Token::new(emu.config().app_id.clone(), "not-the-secret");
    let client = Client::new(
        token,
        Intents::default_granted(),
        ping_bot::PingBot,
        Environment::Production,
    )
    .with_api_base(emu.api_base())
    .with_token_url(emu.token_url());
    let err = bounded(client.start()).await.unwrap_err();
    assert!(matches!(err, ClientError::Start(_)), "{err:?}");
    assert_eq!(err.to_string(), "could not start the gateway");
    let chain = format!("{err:?}");
    assert!(!chain.contains("not-the-secret"), "{chain}");
}
