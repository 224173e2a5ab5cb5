//! The emulator as a webhook sender into the receiver, end to end over loopback: op 13
//! handshake, injected and generated events arriving byte-exact without `s`, and a clear report
//! when the receiver holds another secret. Waits are bounded; nothing sleeps.

use std::net::SocketAddr;
use std::time::Duration;

use qqbot::Secret;
use qqbot::emulator::webhook::{Validation, WebhookStatus};
use qqbot::emulator::{DEFAULT_APP_ID, DEFAULT_SECRET, Emulator, EmulatorConfig, Scenario};
use qqbot::gateway::item::{Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::protocol::Envelope;
use qqbot::webhook::{ReceiverConfig, WebhookReceiver};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

async fn receiver(secret: &str) -> (WebhookReceiver, mpsc::Receiver<GatewayItem>) {
    let cfg = ReceiverConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        DEFAULT_APP_ID,
        Secret::new(secret),
    );
    WebhookReceiver::bind(cfg).await.expect("receiver binds")
}

async fn emulator(url: String, scenario: Scenario, rate: f64) -> Emulator {
    Emulator::start(EmulatorConfig {
        scenario,
        rate,
        webhook_to: Some(url),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

async fn wait_status(
    rx: &mut watch::Receiver<WebhookStatus>,
    what: impl Fn(&WebhookStatus) -> bool,
) -> WebhookStatus {
    timeout(WAIT, rx.wait_for(|s| what(s)))
        .await
        .expect("status in time")
        .expect("sender alive")
        .clone()
}

async fn next_dispatch(rx: &mut mpsc::Receiver<GatewayItem>) -> (ShardId, Dispatch) {
    loop {
        let item = timeout(WAIT, rx.recv())
            .await
            .expect("item in time")
            .expect("channel open");
        match item.kind {
            ItemKind::Dispatch(d) => return (item.shard, d),
            ItemKind::Error { message } => panic!("receiver rejected a request: {message}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn validation_then_injected_events_arrive_byte_exact_without_s() {
    let (receiver, mut items) = receiver(DEFAULT_SECRET).await;
    let emu = emulator(receiver.url(), Scenario::Quiet, 2.0).await;
    let mut status = emu.watch_webhook().expect("webhook mode");
    let s = wait_status(&mut status, |s| s.validation != Validation::Pending).await;
    assert_eq!(s.validation, Validation::Passed, "{s:?}");
    assert_eq!(receiver.stats().validations, 1);

    // No gateway session exists: webhook mode has no intents and still gets every event.
    let bodies = [
        (
            "C2C_MESSAGE_CREATE",
            json!({"content": "你好 \"there\"", "author": {"user_openid": "U1"}}),
        ),
        (
            "GROUP_AT_MESSAGE_CREATE",
            json!({"content": " /ping", "group_openid": "G1", "n": 1.5}),
        ),
        (
            "INTERACTION_CREATE",
            json!({"type": 11, "data": {"resolved": {"button_id": "b"}}}),
        ),
    ];
    for (t, d) in &bodies {
        assert_eq!(emu.inject(t, d.clone()), 0, "no WS session got it");
    }
    for (t, d) in &bodies {
        let (shard, dispatch) = next_dispatch(&mut items).await;
        assert_eq!(shard, ShardId::ONE);
        assert_eq!(&*dispatch.t, *t);
        assert_eq!(dispatch.seq, None);
        assert_eq!(
            dispatch.d(),
            serde_json::to_string(d).unwrap(),
            "d byte-exact"
        );
        let id = dispatch.id().map(str::to_owned).expect("event id");
        assert!(id.starts_with(&format!("{t}:")), "{id}");
        // The body is QQ's webhook shape: id, op 0, d, t, and no `s` key anywhere at the top.
        let frame: serde_json::Value = serde_json::from_str(&dispatch.frame).unwrap();
        let keys: Vec<_> = frame.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
        assert!(frame.get("s").is_none());
        assert_eq!(Envelope::peek(&dispatch.frame).unwrap().s, None);
        assert!(
            dispatch.frame.starts_with(r#"{"id":"#),
            "{}",
            dispatch.frame
        );
    }
    let s = wait_status(&mut status, |s| s.delivered == 3).await;
    assert_eq!((s.failed_events, s.failed_attempts, s.dropped), (0, 0, 0));
    assert_eq!(receiver.stats().dispatches, 3);
    assert_eq!(receiver.stats().rejected, 0);

    // The control API shows the sender's state too.
    let state: serde_json::Value = reqwest::get(format!("{}/_emulator/state", emu.api_base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["webhook"]["validation"]["state"], "passed", "{state}");
    assert_eq!(state["webhook"]["delivered"], 3, "{state}");
    emu.shutdown().await;
}

#[tokio::test]
async fn generated_demo_traffic_is_sent_without_any_gateway_session() {
    let (receiver, mut items) = receiver(DEFAULT_SECRET).await;
    let emu = emulator(receiver.url(), Scenario::Demo, 50.0).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (_, dispatch) = next_dispatch(&mut items).await;
        assert_eq!(dispatch.seq, None);
        let id = dispatch.id().map(str::to_owned).unwrap();
        assert!(!seen.contains(&id), "duplicate {id}");
        seen.push(id);
    }
    assert!(emu.sessions().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_receiver_with_another_secret_fails_validation_clearly() {
    let (receiver, mut items) = receiver("not-the-emulator-secret").await;
    let emu = emulator(receiver.url(), Scenario::Quiet, 2.0).await;
    let mut status = emu.watch_webhook().unwrap();
    let s = wait_status(&mut status, |s| s.validation != Validation::Pending).await;
    let Validation::Failed(reason) = &s.validation else {
        panic!("validation should fail: {s:?}")
    };
    assert!(reason.contains("HTTP 401"), "{reason}");
    assert!(
        s.last_error.as_deref().unwrap().starts_with("validation: "),
        "{s:?}"
    );
    assert_eq!(receiver.stats().bad_signature, 1);
    let item = timeout(WAIT, items.recv()).await.unwrap().unwrap();
    let ItemKind::Error { message } = item.kind else {
        panic!("expected the rejection report")
    };
    assert!(message.contains("bad signature"), "{message}");
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_url_fails_validation_with_the_transport_error() {
    // Bind then drop a listener: the port is (very likely) closed.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let emu = emulator(format!("http://{addr}/"), Scenario::Quiet, 2.0).await;
    let mut status = emu.watch_webhook().unwrap();
    let s = wait_status(&mut status, |s| s.validation != Validation::Pending).await;
    let Validation::Failed(reason) = &s.validation else {
        panic!("validation should fail: {s:?}")
    };
    assert!(reason.starts_with("no answer: "), "{reason}");
    assert!(emu.webhook_status().is_some());
    emu.shutdown().await;
}
