//! The forwarder into a test handler (axum on 127.0.0.1:0) that verifies signatures on its own:
//! with `ed25519-dalek` and the public key bytes of PROTOCOL.md Appendix A, not with qqbot's
//! webhook module. Covers QQ's request shape, fan-out, retries and the cursor rule. Waits are
//! bounded by timeouts; handlers are gated with channels, never with sleeps.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ed25519_dalek::{Signature, VerifyingKey};
use qqbot::Secret;
use qqbot::gateway::item::{Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::webhook::{ForwardConfig, ForwardResult, Forwarder, RetryPolicy, parse_header};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);
/// Appendix A: this secret derives the public key below.
const SECRET: &str = "naOC0ocQE3shWLAfffVLB1rhYPG7";
const PUBLIC_KEY: [u8; 32] = [
    215, 195, 98, 254, 120, 174, 248, 31, 242, 50, 135, 180, 147, 98, 139, 93, 176, 42, 60, 79,
    227, 11, 33, 94, 77, 25, 96, 155, 93, 118, 103, 58,
];
const APP_ID: &str = "102030";

/// One request as the handler saw it.
#[derive(Debug, Clone)]
struct Seen {
    headers: HeaderMap,
    body: String,
    verified: bool,
    answered: u16,
}

/// What the handler answers: per event id, a script of statuses (the last repeats); 200 when
/// none. An optional gate holds the first request for one id until the test releases it.
#[derive(Default)]
struct Script {
    statuses: HashMap<String, Vec<u16>>,
    calls: HashMap<String, usize>,
    gate: Option<(String, oneshot::Sender<()>, oneshot::Receiver<()>)>,
}

#[derive(Clone)]
struct Handler {
    script: Arc<Mutex<Script>>,
    seen: mpsc::UnboundedSender<Seen>,
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Independent verification: Ed25519 over timestamp ‖ body with the Appendix A public key.
fn verify_independently(headers: &HeaderMap, body: &[u8]) -> bool {
    let key = VerifyingKey::from_bytes(&PUBLIC_KEY).unwrap();
    let (Some(ts), Some(sig)) = (
        headers
            .get("x-signature-timestamp")
            .and_then(|v| v.to_str().ok()),
        headers
            .get("x-signature-ed25519")
            .and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let Some(sig) = hex(sig).and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return false;
    };
    let mut message = ts.as_bytes().to_vec();
    message.extend_from_slice(body);
    key.verify_strict(&message, &Signature::from_bytes(&sig))
        .is_ok()
}

async fn handle(State(h): State<Handler>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let verified = verify_independently(&headers, &body);
    let text = String::from_utf8_lossy(&body).into_owned();
    let id = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let (status, gate) = {
        let mut script = h.script.lock().unwrap();
        let n = {
            let calls = script.calls.entry(id.clone()).or_default();
            *calls += 1;
            *calls
        };
        let status = script
            .statuses
            .get(&id)
            .map(|list| list[(n - 1).min(list.len() - 1)])
            .unwrap_or(200);
        let gate = match script.gate.take() {
            Some((gid, arrived, release)) if gid == id && n == 1 => Some((arrived, release)),
            other => {
                script.gate = other;
                None
            }
        };
        (status, gate)
    };
    if let Some((arrived, release)) = gate {
        let _ = arrived.send(());
        let _ = release.await;
    }
    let answered = if verified { status } else { 401 };
    let _ = h.seen.send(Seen {
        headers,
        body: text,
        verified,
        answered,
    });
    StatusCode::from_u16(answered).unwrap()
}

async fn start_handler(script: Script) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let (seen, rx) = mpsc::unbounded_channel();
    let state = Handler {
        script: Arc::new(Mutex::new(script)),
        seen,
    };
    let app = Router::new().fallback(handle).with_state(state);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), rx)
}

fn config(targets: Vec<String>) -> ForwardConfig {
    let mut cfg = ForwardConfig::new(targets, APP_ID, Secret::new(SECRET));
    cfg.retry = RetryPolicy {
        attempts: 5,
        initial: Duration::from_millis(5),
        max: Duration::from_millis(20),
    };
    cfg
}

const SHARD: ShardId = ShardId { id: 0, count: 1 };

fn id_of(s: u64) -> String {
    format!("GROUP_AT_MESSAGE_CREATE:ev{s}")
}

fn d_of(s: u64) -> String {
    format!(r#"{{"content":" 第{s}条 \"q\"","group_openid":"G"}}"#)
}

/// A gateway dispatch item as the shard emits it (frame with `s`).
fn gateway_item(s: u64) -> GatewayItem {
    let d = d_of(s);
    let frame = format!(
        r#"{{"op":0,"s":{s},"t":"GROUP_AT_MESSAGE_CREATE","id":"{}","d":{d}}}"#,
        id_of(s)
    );
    let start = frame.find(r#""d":"#).unwrap() + 4;
    GatewayItem {
        shard: SHARD,
        received_at: chrono::Utc::now(),
        kind: ItemKind::Dispatch(Dispatch::new(
            Some(s),
            "GROUP_AT_MESSAGE_CREATE".into(),
            Some(id_of(s).as_str()),
            Arc::from(frame.as_str()),
            start..start + d.len(),
        )),
    }
}

async fn next<T>(rx: &mut mpsc::Receiver<T>) -> T {
    timeout(WAIT, rx.recv())
        .await
        .expect("in time")
        .expect("open")
}

async fn next_seen(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    timeout(WAIT, rx.recv())
        .await
        .expect("in time")
        .expect("open")
}

#[tokio::test]
async fn forwarded_requests_look_like_qq_and_verify_independently_at_every_target() {
    let (a, mut seen_a) = start_handler(Script::default()).await;
    let (b, mut seen_b) = start_handler(Script::default()).await;
    let mut cfg = config(vec![a.clone(), b.clone()]);
    cfg.headers = vec![parse_header("X-Forwarded-By: qqbot").unwrap()];
    let (forwarder, mut results) = Forwarder::start(cfg).unwrap();

    assert!(forwarder.try_forward(&gateway_item(1)).unwrap());
    // A webhook-sourced item (no `s`) is passed through byte-exact, odd spacing included.
    let webhook_frame =
        r#"{"id":"C2C_MESSAGE_CREATE:w1","op":0,"d":{ "content" : "x" },"t":"C2C_MESSAGE_CREATE"}"#;
    let start = webhook_frame.find("{ ").unwrap();
    let webhook_item = GatewayItem {
        shard: SHARD,
        received_at: chrono::Utc::now(),
        kind: ItemKind::Dispatch(Dispatch::new(
            None,
            "C2C_MESSAGE_CREATE".into(),
            Some("C2C_MESSAGE_CREATE:w1"),
            Arc::from(webhook_frame),
            start..start + r#"{ "content" : "x" }"#.len(),
        )),
    };
    assert!(forwarder.try_forward(&webhook_item).unwrap());
    // Lifecycle items are not forwarded.
    let hb = GatewayItem {
        shard: SHARD,
        received_at: chrono::Utc::now(),
        kind: ItemKind::HeartbeatSent { seq: Some(1) },
    };
    assert!(!forwarder.try_forward(&hb).unwrap());

    for seen in [&mut seen_a, &mut seen_b] {
        let first = next_seen(seen).await;
        assert!(first.verified, "independent Ed25519 verification failed");
        assert_eq!(
            first.body,
            format!(
                r#"{{"id":"{}","op":0,"d":{},"t":"GROUP_AT_MESSAGE_CREATE"}}"#,
                id_of(1),
                d_of(1)
            )
        );
        let h = &first.headers;
        assert_eq!(h["user-agent"], "QQBot-Callback");
        assert_eq!(h["x-bot-appid"], APP_ID);
        assert_eq!(h["x-signature-method"], "Ed25519");
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["x-forwarded-by"], "qqbot");
        assert!(!h["x-tps-trace-id"].is_empty());
        let second = next_seen(seen).await;
        assert!(second.verified);
        assert_eq!(second.body, webhook_frame);
    }
    let mut targets = Vec::new();
    for _ in 0..4 {
        let r: ForwardResult = next(&mut results).await;
        assert!(r.delivered(), "{r:?}");
        assert_eq!(r.status(), Some(200));
        assert_eq!(r.attempts.len(), 1);
        targets.push(r.target);
    }
    targets.sort();
    let mut expected = vec![a.clone(), a, b.clone(), b];
    expected.sort();
    assert_eq!(targets, expected);
    assert_eq!(forwarder.acked_seq(SHARD), Some(1));
    let stats = forwarder.close().await;
    assert_eq!(
        (stats.queued, stats.delivered, stats.failed, stats.attempts),
        (2, 2, 0, 4)
    );
}

#[tokio::test]
async fn a_500_twice_then_200_is_delivered_once_after_three_attempts() {
    let mut script = Script::default();
    script.statuses.insert(id_of(1), vec![500, 500, 200]);
    let (url, mut seen) = start_handler(script).await;
    let (forwarder, mut results) = Forwarder::start(config(vec![url])).unwrap();
    forwarder.try_forward(&gateway_item(1)).unwrap();
    let r = next(&mut results).await;
    let statuses: Vec<_> = r.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![Some(500), Some(500), Some(200)]);
    assert!(r.delivered());
    let mut answered = Vec::new();
    for _ in 0..3 {
        let s = next_seen(&mut seen).await;
        assert!(s.verified, "every retry is freshly and validly signed");
        answered.push(s.answered);
    }
    assert_eq!(answered.iter().filter(|s| **s == 200).count(), 1);
    let stats = forwarder.close().await;
    assert_eq!((stats.delivered, stats.attempts, stats.failed), (1, 3, 0));
    assert!(seen.try_recv().is_err(), "no fourth request");
}

#[tokio::test]
async fn the_cursor_stays_below_an_event_until_every_target_acked_it() {
    let (arrived_tx, arrived) = oneshot::channel();
    let (release, release_rx) = oneshot::channel();
    let mut script = Script::default();
    script.statuses.insert(id_of(3), vec![500, 503, 200]);
    script.gate = Some((id_of(3), arrived_tx, release_rx));
    let (failing, _seen) = start_handler(script).await;
    let (healthy, _seen_ok) = start_handler(Script::default()).await;
    let (forwarder, mut results) = Forwarder::start(config(vec![failing, healthy])).unwrap();
    for s in 1..=5 {
        forwarder.try_forward(&gateway_item(s)).unwrap();
    }
    // Event 3's first attempt is held by the handler: 1 and 2 are done, 3 is not.
    timeout(WAIT, arrived).await.unwrap().unwrap();
    assert_eq!(forwarder.acked_seq(SHARD), Some(2));
    assert_eq!(forwarder.resume_seq(SHARD, 5), 2);
    release.send(()).unwrap();
    let mut delivered = 0;
    while delivered < 10 {
        let r = next(&mut results).await;
        assert!(r.delivered(), "{r:?}");
        if r.seq == Some(3) && r.attempts.len() > 1 {
            assert_eq!(r.attempts.len(), 3);
        }
        delivered += 1;
    }
    assert_eq!(forwarder.acked_seq(SHARD), Some(5));
    assert_eq!(forwarder.resume_seq(SHARD, 5), 5);
}

#[tokio::test]
async fn an_event_that_never_succeeds_pins_the_cursor_below_it() {
    let mut script = Script::default();
    script.statuses.insert(id_of(3), vec![500]);
    let (url, _seen) = start_handler(script).await;
    let mut cfg = config(vec![url]);
    cfg.retry.attempts = 2;
    let (forwarder, mut results) = Forwarder::start(cfg).unwrap();
    for s in 1..=5 {
        forwarder.try_forward(&gateway_item(s)).unwrap();
    }
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        let r = next(&mut results).await;
        outcomes.push((r.seq.unwrap(), r.delivered(), r.attempts.len()));
    }
    assert_eq!(
        outcomes,
        vec![
            (1, true, 1),
            (2, true, 1),
            (3, false, 2),
            (4, true, 1),
            (5, true, 1)
        ]
    );
    // Later events went through, but the cursor may not pass the lost one.
    assert_eq!(forwarder.acked_seq(SHARD), Some(2));
    assert_eq!(forwarder.resume_seq(SHARD, 5), 2);
    // A new session (READY) starts a new sequence.
    let ready = GatewayItem {
        shard: SHARD,
        received_at: chrono::Utc::now(),
        kind: ItemKind::Ready {
            session_id: "s2".into(),
            user_id: "1".into(),
            username: "bot".into(),
            version: Some(1),
        },
    };
    assert!(!forwarder.try_forward(&ready).unwrap());
    assert_eq!(forwarder.acked_seq(SHARD), None);
    assert_eq!(forwarder.resume_seq(SHARD, 1), 1);
    let stats = forwarder.close().await;
    assert_eq!((stats.delivered, stats.failed), (4, 1));
}

#[tokio::test]
async fn bad_configurations_are_errors() {
    assert!(Forwarder::start(config(vec![])).is_err());
    let err = Forwarder::start(config(vec!["localhost:3000".into()])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "forward target `localhost:3000` is not an http:// or https:// URL"
    );
    let mut cfg = config(vec!["http://127.0.0.1:1/".into()]);
    cfg.secret = Secret::new("");
    assert_eq!(
        Forwarder::start(cfg).unwrap_err().to_string(),
        "cannot derive the webhook signing key"
    );
}
