//! The committed NDJSON schema accepts every line kind qqbot writes, and rejects broken lines.

use std::sync::Arc;
use std::time::Duration;

use qqbot::gateway::{CloseOrigin, Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::output::ndjson;
use qqbot::protocol::CloseAction;

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/listen.v1.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn item(kind: ItemKind) -> GatewayItem {
    GatewayItem {
        shard: ShardId { id: 0, count: 2 },
        received_at: chrono::Utc::now(),
        kind,
    }
}

fn every_kind() -> Vec<ItemKind> {
    let frame =
        r#"{"op":0,"s":5,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:1","d":{"content":"hi"}}"#;
    let start = frame.find(r#"{"content""#).unwrap();
    vec![
        ItemKind::Dispatch(Dispatch::new(
            Some(5),
            "AT_MESSAGE_CREATE".into(),
            Some("AT_MESSAGE_CREATE:1"),
            Arc::from(frame),
            start..frame.len() - 1,
        )),
        ItemKind::Connected {
            url: "ws://127.0.0.1:1/websocket".into(),
            attempt: 1,
        },
        ItemKind::Hello {
            heartbeat_interval: Duration::from_millis(41250),
        },
        ItemKind::Identifying { intents: 513 },
        ItemKind::Resuming {
            session_id: "abc".into(),
            seq: Some(3),
        },
        ItemKind::Ready {
            session_id: "abc".into(),
            user_id: "1".into(),
            username: "bot".into(),
            version: Some(1),
        },
        ItemKind::Resumed {
            seq: Some(9),
            replayed: 2,
            recovered_in: Some(Duration::from_millis(12)),
        },
        ItemKind::HeartbeatSent { seq: None },
        ItemKind::HeartbeatAck {
            rtt: Duration::from_micros(800),
        },
        ItemKind::ReconnectRequested,
        ItemKind::InvalidSession {
            resumable: false,
            reason: "identify rejected".into(),
        },
        ItemKind::Closed {
            code: Some(4009),
            reason: "Session timed out".into(),
            origin: CloseOrigin::Server,
            action: CloseAction::Resume,
            cause: qqbot::gateway::Cause::Closed {
                code: Some(4009),
                reason: "Session timed out".into(),
            },
        },
        ItemKind::Closed {
            code: None,
            reason: "connection reset".into(),
            origin: CloseOrigin::Server,
            action: CloseAction::Resume,
            cause: qqbot::gateway::Cause::Transport {
                error: "connection reset".into(),
            },
        },
        ItemKind::Closed {
            code: Some(4000),
            reason: "zombie connection: 1 heartbeat(s) not acknowledged".into(),
            origin: CloseOrigin::Client,
            action: CloseAction::Resume,
            cause: qqbot::gateway::Cause::Zombie { missed: 1 },
        },
        ItemKind::IdentifyWait {
            delay: Duration::from_millis(4200),
        },
        ItemKind::Backoff {
            delay: Duration::from_secs(2),
            attempt: 2,
            resume: true,
        },
        ItemKind::Lagged { dropped: 3 },
        ItemKind::Gap { after: 3, next: 7 },
        ItemKind::Error {
            message: "bad frame".into(),
        },
        ItemKind::Fatal {
            reason: "bot banned".into(),
            hint: Some("see the console".into()),
            code: Some(4915),
            cause: qqbot::gateway::FatalCause::CloseCode(4915),
        },
    ]
}

#[test]
fn every_line_kind_validates() {
    let validator = validator();
    for kind in every_kind() {
        let line = ndjson::line(&item(kind));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{line}: {errors:?}");
    }
}

#[test]
fn the_schema_rejects_broken_lines() {
    let validator = validator();
    for bad in [
        r#"{"kind":"dispatch","received_at":"2026-11-27T09:40:00.000Z","shard":[0,1],"s":1,"t":"X"}"#,
        r#"{"kind":"nonsense","received_at":"2026-11-27T09:40:00.000Z","shard":[0,1]}"#,
        r#"{"kind":"close","received_at":"2026-11-27T09:40:00.000Z","shard":[0,1],"code":4009,"reason":"","origin":"server","action":"explode"}"#,
        r#"{"kind":"hello","received_at":"yesterday","shard":[0,1],"heartbeat_interval_ms":1}"#,
    ] {
        let value: serde_json::Value = serde_json::from_str(bad).unwrap();
        assert!(!validator.is_valid(&value), "accepted: {bad}");
    }
}
