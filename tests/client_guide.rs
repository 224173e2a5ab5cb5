//! The design guide's bot (`examples/guide_bot.rs`) end to end against the in-process emulator:
//! two shards, replies in guild, group and C2C chats checked in the emulator's message log, a
//! session timeout and a TCP drop survived, metrics and diagnostics checked against what the
//! emulator sent, and the `qqbot::gateway=debug` tracing filter producing lifecycle lines.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qqbot::client::Token;
use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent, Fault, FaultTarget, Scenario};
use qqbot::gateway::ShardId;
use serde_json::json;
use tokio::sync::broadcast;

#[allow(dead_code)]
#[path = "../examples/guide_bot.rs"]
mod guide_bot;

const WAIT: Duration = Duration::from_secs(60);

/// Collects what the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn wait_for<T>(
    signals: &mut broadcast::Receiver<EmulatorEvent>,
    mut pick: impl FnMut(EmulatorEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(WAIT, async {
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
    .expect("in time")
}

async fn until(what: &str, cond: impl Fn() -> bool) {
    let done = tokio::time::timeout(WAIT, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(done.is_ok(), "timed out waiting for {what}");
}

#[tokio::test(start_paused = true)]
async fn the_guide_bot_replies_survives_faults_and_reports_metrics() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("qqbot::gateway=debug"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _trace = tracing::subscriber::set_default(subscriber);

    let emu = Emulator::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        shards: 2,
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
    for _ in 0..2 {
        wait_for(&mut signals, |e| {
            matches!(e, EmulatorEvent::Identified { .. }).then_some(())
        })
        .await;
    }
    until("both shards active", || {
        client.diagnostics().is_some_and(|d| d.active_shards == 2)
    })
    .await;
    assert!(client.shard_connected(ShardId { id: 0, count: 2 }));
    assert!(client.shard_connected(ShardId { id: 1, count: 2 }));

    // Guild events go to shard (guild_id >> 22) % 2: one to each shard.
    for (n, guild) in [(1u64, 0u64), (2, 1 << 22)] {
        emu.inject(
            "AT_MESSAGE_CREATE",
            json!({"id": format!("guild-msg-{n}"), "channel_id": "100010", "guild_id": guild.to_string(),
                   "content": "<@!6158788878435714165> /ping", "author": {"id": "1234", "username": "abc"},
                   "timestamp": "2026-02-01T16:28:12+08:00"}),
        );
    }
    emu.inject(
        "GROUP_AT_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_grp1!", "content": " /ping", "group_openid": "G1", "group_id": "G1",
               "author": {"id": "M1", "member_openid": "M1"}}),
    );
    emu.inject(
        "C2C_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_c2c1!", "content": "/status", "author": {"id": "U1", "user_openid": "U1"}}),
    );
    emu.inject(
        "C2C_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_c2c2!", "content": "hello, no command", "author": {"id": "U1", "user_openid": "U1"}}),
    );
    until("four replies", || emu.sent_messages().len() >= 4).await;

    // A session timeout, then a TCP drop, on both shards: each resumes.
    emu.fault(FaultTarget::All, Fault::SessionTimeout);
    until("resumed after the session timeout", || {
        client
            .diagnostics()
            .is_some_and(|d| d.resumes == 2 && d.active_shards == 2)
    })
    .await;
    emu.fault(FaultTarget::All, Fault::Drop);
    until("resumed after the drop", || {
        client
            .diagnostics()
            .is_some_and(|d| d.resumes == 4 && d.active_shards == 2)
    })
    .await;
    emu.inject(
        "C2C_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_c2c3!", "content": "/ping", "author": {"id": "U2", "user_openid": "U2"}}),
    );
    until("a reply after the faults", || {
        emu.sent_messages().len() >= 5
    })
    .await;

    let sent = emu.sent_messages();
    let replies: Vec<(&str, Option<&str>, Option<&str>)> = sent
        .iter()
        .map(|m| (m.route.as_str(), m.msg_id.as_deref(), m.content.as_deref()))
        .collect();
    for expected in [
        ("channel", Some("guild-msg-1"), Some("Pong!")),
        ("channel", Some("guild-msg-2"), Some("Pong!")),
        ("group", Some("ROBOT1.0_grp1!"), Some("Pong!")),
        ("c2c", Some("ROBOT1.0_c2c1!"), Some("状态: 在线")),
        ("c2c", Some("ROBOT1.0_c2c3!"), Some("Pong!")),
    ] {
        assert!(replies.contains(&expected), "{expected:?} in {replies:?}");
    }
    assert_eq!(sent.len(), 5, "no reply to a message without a command");
    assert!(sent.iter().all(|m| m.status == 200), "{sent:?}");

    // Metrics and diagnostics against what the emulator sent: 6 events, 2 shards, 2 faults each.
    let m = client.metrics().unwrap();
    assert_eq!(m.total.events_received, 6);
    assert_eq!(m.total.events_processed, 6);
    assert_eq!(m.total.identifies, 2);
    assert_eq!(m.total.resumes, 4);
    assert_eq!(m.total.reconnects, 4, "two lost connections per shard");
    assert_eq!(m.total.reconnect_requests, 2, "one op 7 per shard");
    let d = client.diagnostics().unwrap();
    assert_eq!((d.connect_attempts, d.connect_successes), (6, 6));
    assert_eq!(d.success_rate, Some(1.0));
    let line = guide_bot::report(&client).unwrap();
    assert!(line.contains("events received 6 processed 6"), "{line}");
    assert_eq!(client.handler_errors(), 0);

    client.shutdown_handle().shutdown();
    tokio::time::timeout(WAIT, running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for needle in [
        "identify sent",
        "ready",
        "resume sent",
        "resumed",
        "connection closed",
        "cause=\"reconnect_requested\"",
        "cause=\"dropped\"",
        "shard=1/2",
    ] {
        assert!(
            logs.contains(needle),
            "{needle} in the gateway's debug log:\n{logs}"
        );
    }
    assert!(!logs.contains("heartbeat sent"), "heartbeats only at trace");
    assert!(
        !logs.contains(emu.config().secret.expose()),
        "no secret in logs"
    );
}
