//! Driver tests against a scripted gateway: the test plays the server frame by frame, so each
//! assertion is about exactly what the client sent and when (paused time).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use qqbot::Secret;
use qqbot::gateway::{Cluster, GatewayConfig, GatewayItem, ItemKind, ReconnectConfig, StartError};
use qqbot::protocol::CloseAction;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

const WAIT: Duration = Duration::from_secs(120);

/// One accepted gateway connection. A background task answers heartbeats (like the real
/// gateway) and forwards every client frame to the test.
struct Conn {
    frames: mpsc::UnboundedReceiver<Option<Value>>,
    out: mpsc::UnboundedSender<Message>,
}

impl Conn {
    fn spawn(socket: WebSocket) -> Conn {
        let (frames_tx, frames) = mpsc::unbounded_channel();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (mut sink, mut stream) = socket.split();
        tokio::spawn(async move {
            while let Some(msg) = out_rx.recv().await {
                let closing = matches!(msg, Message::Close(_));
                if sink.send(msg).await.is_err() || closing {
                    break;
                }
            }
        });
        let acks = out.clone();
        tokio::spawn(async move {
            loop {
                match stream.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let frame: Value = serde_json::from_str(&text).unwrap();
                        if frame["op"] == 1 {
                            let _ = acks.send(Message::Text(r#"{"op":11}"#.into()));
                        }
                        let _ = frames_tx.send(Some(frame));
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        let _ = frames_tx.send(None);
                        break;
                    }
                    Some(Ok(_)) => {}
                }
            }
        });
        Conn { frames, out }
    }

    fn send(&mut self, text: impl Into<String>) {
        self.out.send(Message::Text(text.into().into())).unwrap();
    }

    /// The next frame from the client; `None` when the client closed.
    async fn recv(&mut self) -> Option<Value> {
        timeout(WAIT, self.frames.recv())
            .await
            .expect("client frame")
            .flatten()
    }

    async fn recv_op(&mut self, op: u64) -> Value {
        loop {
            let frame = self
                .recv()
                .await
                .unwrap_or_else(|| panic!("closed while waiting for op {op}"));
            if frame["op"] == op {
                return frame;
            }
        }
    }

    /// Wait until the client closes, skipping its frames.
    async fn closed_by_client(&mut self) {
        while self.recv().await.is_some() {}
    }

    fn close(self, code: u16, reason: &str) {
        let _ = self.out.send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })));
    }
}

struct Fake {
    config: GatewayConfig,
    conns: mpsc::Receiver<Conn>,
    tokens: Arc<AtomicU64>,
    /// Once set, the token endpoint refuses the secret (100016), as after a revocation.
    revoked: Arc<std::sync::atomic::AtomicBool>,
}

impl Fake {
    async fn accept(&mut self) -> Conn {
        timeout(WAIT, self.conns.recv())
            .await
            .expect("a connection")
            .unwrap()
    }
}

async fn fake() -> Fake {
    fake_with(1, 1, 1000).await
}

/// A fake whose `/gateway/bot` recommends `shards` with `max_concurrency` and `remaining` starts.
/// Token requests are counted in `Fake::tokens` and mint `tok-N`.
async fn fake_with(shards: u32, max_concurrency: u32, remaining: u32) -> Fake {
    let tokens = Arc::new(AtomicU64::new(0));
    let minted = Arc::clone(&tokens);
    let revoked = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let refused = Arc::clone(&revoked);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, conns) = mpsc::channel(8);
    let ws_url = format!("ws://{addr}/websocket");
    let app = Router::new()
        .route(
            "/app/getAppAccessToken",
            post(move || {
                let n = minted.fetch_add(1, Ordering::SeqCst);
                let refused = refused.load(Ordering::SeqCst);
                async move {
                    if refused {
                        Json(json!({"code": 100016, "message": "invalid appsecret"}))
                    } else {
                        Json(json!({"access_token": format!("tok-{n}"), "expires_in": "7200"}))
                    }
                }
            }),
        )
        .route(
            "/gateway/bot",
            get(move || {
                let url = ws_url.clone();
                async move {
                    Json(json!({"url": url, "shards": shards,
                        "session_start_limit": {"total": 1000, "remaining": remaining, "reset_after": 3_600_000,
                            "max_concurrency": max_concurrency}}))
                }
            }),
        )
        .route(
            "/websocket",
            get(move |ws: WebSocketUpgrade| {
                let tx = tx.clone();
                async move {
                    ws.on_upgrade(move |socket| async move {
                        let _ = tx.send(Conn::spawn(socket)).await;
                    })
                }
            }),
        );
    // No Nagle on either side: under paused time a segment held for a delayed ACK never leaves.
    let listener = listener.tap_io(|tcp| tcp.set_nodelay(true).unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut config = GatewayConfig::new(
        "1024",
        Secret::new("secret"),
        format!("http://{addr}"),
        format!("http://{addr}/app/getAppAccessToken"),
    );
    config.reconnect = ReconnectConfig {
        max_attempts: 0,
        ..Default::default()
    };
    Fake {
        config,
        conns,
        tokens,
        revoked,
    }
}

fn ready(s: u64, session: &str) -> String {
    json!({"op": 0, "s": s, "t": "READY", "d": {"version": 1, "session_id": session,
        "user": {"id": "1", "username": "bot", "bot": true}, "shard": [0, 1]}})
    .to_string()
}

fn event(s: u64) -> String {
    json!({"op": 0, "s": s, "t": "AT_MESSAGE_CREATE", "id": format!("AT_MESSAGE_CREATE:{s}"), "d": {"content": s}}).to_string()
}

async fn next_item(
    items: &mut mpsc::Receiver<GatewayItem>,
    what: &str,
    pred: impl Fn(&ItemKind) -> bool,
) -> ItemKind {
    timeout(WAIT, async {
        loop {
            let item = items.recv().await.expect("item channel open");
            if pred(&item.kind) {
                return item.kind;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} item"))
}

#[tokio::test(start_paused = true)]
async fn driver_heartbeats_follow_hello_and_carry_the_last_seq() {
    let mut fake = fake().await;
    let (cluster, mut items) = Cluster::start(fake.config.clone()).await.unwrap();
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":2000}}"#);
    let identify = conn.recv_op(2).await;
    assert_eq!(identify["d"]["token"], "QQBot tok-0");
    assert_eq!(identify["d"]["shard"], json!([0, 1]));
    assert_eq!(
        conn.recv_op(1).await["d"],
        Value::Null,
        "no seq before any dispatch"
    );
    conn.send(ready(1, "sess"));
    conn.send(event(2));
    next_item(&mut items, "dispatch", |k| {
        matches!(k, ItemKind::Dispatch(_))
    })
    .await;
    // Beats sent before the dispatch carry null; the first one after it carries 2.
    let d = loop {
        let beat = conn.recv_op(1).await;
        if !beat["d"].is_null() {
            break beat["d"].clone();
        }
    };
    assert_eq!(d, 2, "d is the last s");
    // Cadence, timed where the beats are sent (item delivery involves no socket).
    let mut beats = Vec::new();
    while beats.len() < 4 {
        next_item(&mut items, "beat", |k| {
            matches!(k, ItemKind::HeartbeatSent { .. })
        })
        .await;
        beats.push(Instant::now());
    }
    for pair in beats.windows(2) {
        assert_eq!(pair[1] - pair[0], Duration::from_secs(2));
    }
    assert!(cluster.is_connected(), "acked beats keep the connection");
    let m = cluster.metrics();
    assert!(m.total.latency.samples >= 3, "{m:?}");
    assert_eq!(m.total.missed_acks, 0);
    let sessions = cluster.shutdown().await;
    assert_eq!(sessions[0].session_id, "sess");
    assert_eq!(sessions[0].last_seq, Some(2));
}

#[tokio::test(start_paused = true)]
async fn driver_op7_closes_and_resumes_with_the_last_seq() {
    let mut fake = fake().await;
    let (cluster, mut items) = Cluster::start(fake.config.clone()).await.unwrap();
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
    conn.recv_op(2).await;
    conn.send(ready(1, "sess"));
    conn.send(event(2));
    conn.send(event(3));
    conn.send(r#"{"op":7}"#);
    conn.closed_by_client().await;
    conn.close(4009, "Session timed out");
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
    let resume = conn.recv_op(6).await;
    assert_eq!(
        resume["d"],
        json!({"token": "QQBot tok-0", "session_id": "sess", "seq": 3})
    );
    conn.send(event(4));
    conn.send(r#"{"op":0,"s":5,"t":"RESUMED","d":""}"#);
    let resumed = next_item(&mut items, "resumed", |k| {
        matches!(k, ItemKind::Resumed { .. })
    })
    .await;
    assert!(
        matches!(resumed, ItemKind::Resumed { replayed: 1, .. }),
        "{resumed:?}"
    );
    let m = cluster.metrics();
    assert_eq!(m.total.resumes, 1);
    assert_eq!(m.total.identifies, 1);
    assert!(
        m.total.close_codes.is_empty(),
        "the 4009 after our own close is not counted: {m:?}"
    );
    cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn driver_backpressure_pauses_reading_and_loses_nothing() {
    let mut fake = fake().await;
    let mut config = fake.config.clone();
    config.event_buffer_size = 4;
    let (cluster, mut items) = Cluster::start(config).await.unwrap();
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":1000}}"#);
    conn.recv_op(2).await;
    conn.send(ready(1, "sess"));
    for s in 2..=500 {
        conn.send(event(s));
    }
    // Heartbeats keep flowing although nobody reads the items (and this gateway never ACKs:
    // while qqbot is not reading, an ACK could be sitting unread, so no beat counts as missed).
    for _ in 0..3 {
        conn.recv_op(1).await;
    }
    let m = cluster.metrics();
    assert_eq!(m.total.dropped_items, 0);
    assert_eq!(m.total.zombies, 0, "{m:?}");
    assert!(m.total.read_pauses >= 1, "{m:?}");
    let mut seqs = Vec::new();
    let mut lagged = 0;
    while seqs.len() < 499 {
        let item = timeout(Duration::from_secs(5), items.recv())
            .await
            .expect("items keep coming")
            .expect("channel open");
        match item.kind {
            ItemKind::Lagged { dropped } => lagged += dropped,
            ItemKind::Dispatch(d) => seqs.push(d.seq.unwrap()),
            _ => {}
        }
    }
    assert_eq!(lagged, 0, "nothing dropped");
    assert_eq!(
        seqs,
        (2..=500).collect::<Vec<u64>>(),
        "every event, in order, once"
    );
    let m = cluster.metrics();
    assert_eq!(m.total.events_processed, 499);
    assert_eq!(m.total.events_received, 499);
    cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn driver_identify_spacing_honours_max_concurrency() {
    let mut fake = fake_with(4, 2, 1000).await;
    let start = Instant::now();
    let (cluster, mut items) = Cluster::start(fake.config.clone()).await.unwrap();
    let mut conns = Vec::new();
    let mut identified = Vec::new();
    for _ in 0..4 {
        let mut conn = fake.accept().await;
        conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
        let identify = conn.recv_op(2).await;
        let shard = identify["d"]["shard"].clone();
        identified.push((shard[0].as_u64().unwrap(), Instant::now() - start));
        conns.push(conn);
    }
    identified.sort();
    let secs: Vec<u64> = identified.iter().map(|(_, at)| at.as_secs()).collect();
    // Buckets: shard % 2. Shards 0 and 1 go at once; 2 and 3 wait one 5 s window.
    assert_eq!(secs, [0, 0, 5, 5], "{identified:?}");
    let m = cluster.metrics();
    assert_eq!(m.shards.len(), 4);
    assert_eq!(m.total.identifies, 4);
    assert_eq!(cluster.gateway().session_start_limit.max_concurrency, 2);
    drop(items.try_recv());
    cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn driver_refuses_more_shards_than_remaining_session_starts() {
    let fake = fake_with(4, 1, 3).await;
    let err = Cluster::start(fake.config.clone())
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            StartError::SessionBudget {
                needed: 4,
                remaining: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("only 3 of 1000"), "{err}");
    assert!(fake.conns.is_empty(), "nothing connected");
}

#[tokio::test(start_paused = true)]
async fn driver_4004_refreshes_the_token_then_identifies() {
    let mut fake = fake().await;
    let (cluster, mut items) = Cluster::start(fake.config.clone()).await.unwrap();
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
    assert_eq!(conn.recv_op(2).await["d"]["token"], "QQBot tok-0");
    conn.send(ready(1, "sess"));
    next_item(&mut items, "ready", |k| matches!(k, ItemKind::Ready { .. })).await;
    conn.close(4004, "authentication failed");
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
    let identify = conn.recv_op(2).await;
    assert_eq!(identify["d"]["token"], "QQBot tok-1", "a fresh token");
    assert_eq!(fake.tokens.load(Ordering::SeqCst), 2);
    let closed = next_item(&mut items, "close", |k| {
        matches!(k, ItemKind::Closed { .. })
    })
    .await;
    assert!(matches!(
        closed,
        ItemKind::Closed {
            code: Some(4004),
            action: CloseAction::RefreshTokenThenIdentify,
            ..
        }
    ));
    cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn driver_one_fatal_shard_does_not_stop_the_others() {
    let mut fake = fake_with(2, 2, 1000).await;
    let (cluster, mut items) = Cluster::start(fake.config.clone()).await.unwrap();
    let mut a = fake.accept().await;
    let mut b = fake.accept().await;
    for conn in [&mut a, &mut b] {
        conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
        conn.recv_op(2).await;
    }
    a.send(ready(1, "a"));
    b.send(ready(1, "b"));
    a.close(4914, "bot offline");
    let fatal = next_item(&mut items, "fatal", |k| matches!(k, ItemKind::Fatal { .. })).await;
    assert!(
        matches!(
            fatal,
            ItemKind::Fatal {
                code: Some(4914),
                ..
            }
        ),
        "{fatal:?}"
    );
    b.send(event(2));
    let d = next_item(&mut items, "dispatch", |k| {
        matches!(k, ItemKind::Dispatch(_))
    })
    .await;
    assert!(matches!(d, ItemKind::Dispatch(d) if d.seq == Some(2)));
    let m = cluster.metrics();
    assert_eq!(m.total.active_shards, 1);
    assert!(m.shards.iter().any(|s| s.state == "fatally_closed"));
    assert_eq!(
        cluster.sessions().len(),
        1,
        "the fatal shard dropped its session; the other keeps its own"
    );
    cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn driver_malformed_frames_become_error_items_and_the_session_goes_on() {
    let mut fake = fake().await;
    let (cluster, mut items) = Cluster::start(fake.config.clone()).await.unwrap();
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
    conn.recv_op(2).await;
    conn.send(ready(1, "sess"));
    conn.send("this is not json");
    conn.send(r#"{"op":0,"s":2,"t":"READY","d":{"no_session":true}}"#);
    conn.send(event(3));
    let first = next_item(&mut items, "error", |k| matches!(k, ItemKind::Error { .. })).await;
    assert!(
        matches!(&first, ItemKind::Error { message } if message.starts_with("malformed frame")),
        "{first:?}"
    );
    let second = next_item(&mut items, "error", |k| matches!(k, ItemKind::Error { .. })).await;
    assert!(
        matches!(&second, ItemKind::Error { message } if message.contains("malformed READY")),
        "{second:?}"
    );
    let d = next_item(&mut items, "dispatch", |k| {
        matches!(k, ItemKind::Dispatch(_))
    })
    .await;
    assert!(matches!(d, ItemKind::Dispatch(d) if d.seq == Some(3)));
    assert!(cluster.is_connected());
    cluster.shutdown().await;
}

/// The shard reads only the envelope of a dispatch; `Items` checks `d` on the receiving side.
/// What it finds is what the shard would have found: a malformed `d` is an error item (the
/// stream goes on), keys after `d` and `d` before the envelope's keys are read as they are.
#[tokio::test(start_paused = true)]
async fn driver_dispatches_checked_on_the_receiving_side_are_what_the_shard_would_have_said() {
    let mut fake = fake().await;
    let (cluster, mut items) = Cluster::start(fake.config.clone()).await.unwrap();
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
    conn.recv_op(2).await;
    conn.send(ready(1, "sess"));
    conn.send(r#"{"op":0,"s":2,"t":"AT_MESSAGE_CREATE","id":"A:2","d":{"content":tru}}"#);
    conn.send(
        r#"{"op":0,"s":3,"t":"AT_MESSAGE_CREATE","id":"A:3","d":{"content":3},"x":{"y":"}"}}"#,
    );
    conn.send(r#"{"id":"A:4","op":0,"d":{"content":"}]"},"s":4,"t":"AT_MESSAGE_CREATE"}"#);
    conn.send(r#"{"op":0,"s":5,"t":"AT_MESSAGE_CREATE","id":"A:5","d":{"content":5}} x"#);
    conn.send(event(6));
    let mut seen = Vec::new();
    while seen.len() < 5 {
        let item = next_item(&mut items, "dispatch or error", |k| {
            matches!(k, ItemKind::Dispatch(_) | ItemKind::Error { .. })
        })
        .await;
        seen.push(match item {
            ItemKind::Dispatch(d) => format!("{:?} {:?} {}", d.seq, d.id(), d.d()),
            ItemKind::Error { message } => format!("error: {message}"),
            _ => unreachable!(),
        });
    }
    assert!(seen[0].starts_with("error: malformed frame"), "{seen:?}");
    assert_eq!(seen[1], r#"Some(3) Some("A:3") {"content":3}"#);
    assert_eq!(seen[2], r#"Some(4) Some("A:4") {"content":"}]"}"#);
    assert!(seen[3].starts_with("error: malformed frame"), "{seen:?}");
    assert_eq!(
        seen[4],
        r#"Some(6) Some("AT_MESSAGE_CREATE:6") {"content":6}"#
    );
    assert!(cluster.is_connected());
    cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn driver_a_secret_revoked_mid_run_is_an_authentication_failure() {
    let mut fake = fake().await;
    let (cluster, mut items) = Cluster::start(fake.config.clone()).await.unwrap();
    let mut conn = fake.accept().await;
    conn.send(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
    conn.recv_op(2).await;
    conn.send(ready(1, "sess"));
    next_item(&mut items, "READY", |k| matches!(k, ItemKind::Ready { .. })).await;
    fake.revoked.store(true, Ordering::SeqCst);
    conn.close(4004, "invalid token"); // qqbot refreshes the token, which is now refused
    let fatal = next_item(&mut items, "fatal", |k| matches!(k, ItemKind::Fatal { .. })).await;
    let ItemKind::Fatal { cause, reason, .. } = fatal else {
        unreachable!()
    };
    assert_eq!(cause, qqbot::gateway::FatalCause::AuthFailed);
    assert!(cause.is_auth() && !cause.is_refusal());
    assert!(reason.contains("refused the credentials"), "{reason}");
    assert!(!reason.contains("secret\""), "{reason}");
    cluster.shutdown().await;
}
