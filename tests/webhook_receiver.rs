//! The webhook receiver over real loopback HTTP(S): op 13, op 12 ACKs, every rejection rule,
//! dedup, overflow and TLS. Every wait is bounded by a timeout; nothing sleeps.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use qqbot::Secret;
use qqbot::gateway::item::{GatewayItem, ItemKind, ShardId};
use qqbot::webhook::{ReceiverConfig, TlsFiles, WebhookReceiver, sign};
use tokio::sync::mpsc;
use tokio::time::timeout;

const APP_ID: &str = "11111111";
const SECRET: &str = "DG5g3B4j9X2KOErG";
const WAIT: Duration = Duration::from_secs(10);

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn config() -> ReceiverConfig {
    ReceiverConfig::new(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        APP_ID,
        Secret::new(SECRET),
    )
}

/// A request as QQ would send it; `tweak` can break one part of it.
struct Req {
    app_id: Option<String>,
    timestamp: Option<String>,
    signature: Option<String>,
    body: Vec<u8>,
}

impl Req {
    fn signed(body: &str) -> Req {
        let ts = now().to_string();
        Req {
            app_id: Some(APP_ID.into()),
            signature: Some(sign(&Secret::new(SECRET), &ts, body.as_bytes()).unwrap()),
            timestamp: Some(ts),
            body: body.as_bytes().to_vec(),
        }
    }

    async fn send(self, client: &reqwest::Client, url: &str) -> (u16, String) {
        let mut rb = client
            .post(url)
            .header("User-Agent", "QQBot-Callback")
            .header("Content-Type", "application/json")
            .header("X-Signature-Method", "Ed25519");
        if let Some(v) = self.app_id {
            rb = rb.header("X-Bot-Appid", v);
        }
        if let Some(v) = self.timestamp {
            rb = rb.header("X-Signature-Timestamp", v);
        }
        if let Some(v) = self.signature {
            rb = rb.header("X-Signature-Ed25519", v);
        }
        let resp = timeout(WAIT, rb.body(self.body).send())
            .await
            .expect("answered in time")
            .expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }
}

fn event(n: u32) -> (String, String) {
    let id = format!("C2C_MESSAGE_CREATE:evt-{n}");
    let d =
        format!(r#"{{"id":"m{n}","content":"第{n}条 \"quoted\"","author":{{"user_openid":"U"}}}}"#);
    (id, d)
}

fn body(n: u32) -> String {
    let (id, d) = event(n);
    format!(r#"{{"id":"{id}","op":0,"d":{d},"t":"C2C_MESSAGE_CREATE"}}"#)
}

async fn next_dispatch(rx: &mut mpsc::Receiver<GatewayItem>) -> GatewayItem {
    loop {
        let item = timeout(WAIT, rx.recv())
            .await
            .expect("item in time")
            .expect("channel open");
        if matches!(item.kind, ItemKind::Dispatch(_)) {
            return item;
        }
    }
}

#[tokio::test]
async fn op13_is_answered_with_the_documented_signature() {
    let (receiver, _rx) = WebhookReceiver::bind(config()).await.unwrap();
    let client = reqwest::Client::new();
    let body = r#"{"d":{"plain_token":"Arq0D5A61EgUu4OxUvOp","event_ts":"1725442341"},"op":13}"#;
    let (status, text) = Req::signed(body).send(&client, &receiver.url()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        text,
        r#"{"plain_token":"Arq0D5A61EgUu4OxUvOp","signature":"87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d01bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706"}"#
    );
    assert_eq!(receiver.stats().validations, 1);
    receiver.shutdown().await;
}

#[tokio::test]
async fn rejections_get_their_status_and_interleaved_valid_events_all_arrive() {
    let (receiver, mut rx) = WebhookReceiver::bind(config()).await.unwrap();
    let url = receiver.url();
    let client = reqwest::Client::new();
    let mut sent = 0;
    let mut valid = |client: reqwest::Client, url: String| {
        sent += 1;
        let n = sent;
        async move {
            let (status, text) = Req::signed(&body(n)).send(&client, &url).await;
            assert_eq!(
                (status, text.as_str()),
                (200, r#"{"op":12,"d":0}"#),
                "event {n}"
            );
        }
    };

    valid(client.clone(), url.clone()).await;
    // Bad signature: signed with another secret.
    let mut r = Req::signed(&body(100));
    r.signature = Some(
        sign(
            &Secret::new("other"),
            r.timestamp.as_deref().unwrap(),
            &r.body,
        )
        .unwrap(),
    );
    assert_eq!(r.send(&client, &url).await.0, 401);
    valid(client.clone(), url.clone()).await;
    // Missing signature, and a signature of the wrong length.
    let mut r = Req::signed(&body(101));
    r.signature = None;
    assert_eq!(r.send(&client, &url).await.0, 401);
    let mut r = Req::signed(&body(102));
    r.signature = Some("abcd".into());
    assert_eq!(r.send(&client, &url).await.0, 401);
    // Stale timestamp (an hour old), correctly signed: replay protection.
    let old = (now() - 3600).to_string();
    let b = body(103);
    let r = Req {
        app_id: Some(APP_ID.into()),
        signature: Some(sign(&Secret::new(SECRET), &old, b.as_bytes()).unwrap()),
        timestamp: Some(old),
        body: b.into_bytes(),
    };
    let (status, text) = r.send(&client, &url).await;
    assert_eq!(status, 401);
    assert!(text.contains("stale timestamp"), "{text}");
    valid(client.clone(), url.clone()).await;
    // Tampered body: signature over the original.
    let mut r = Req::signed(&body(104));
    r.body = body(104).replace("第104条", "第999条").into_bytes();
    assert_eq!(r.send(&client, &url).await.0, 401);
    // Wrong and missing app id.
    let mut r = Req::signed(&body(105));
    r.app_id = Some("22222222".into());
    let (status, text) = r.send(&client, &url).await;
    assert_eq!(status, 403);
    assert!(text.contains("wrong app id"), "{text}");
    let mut r = Req::signed(&body(106));
    r.app_id = None;
    assert_eq!(r.send(&client, &url).await.0, 403);
    valid(client.clone(), url.clone()).await;
    // Signed but not JSON / not an envelope / dispatch without t / not UTF-8.
    assert_eq!(Req::signed("not json").send(&client, &url).await.0, 400);
    assert_eq!(Req::signed("[1,2]").send(&client, &url).await.0, 400);
    assert_eq!(
        Req::signed(r#"{"op":0,"d":{}}"#)
            .send(&client, &url)
            .await
            .0,
        400
    );
    let mut r = Req::signed("");
    r.body = vec![0xff, 0xfe];
    r.signature = Some(
        sign(
            &Secret::new(SECRET),
            r.timestamp.as_deref().unwrap(),
            &r.body,
        )
        .unwrap(),
    );
    assert_eq!(r.send(&client, &url).await.0, 400);
    // Wrong method.
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    valid(client.clone(), url.clone()).await;

    // Every valid event arrives, in order, byte-exact, without `s`, on shard [0,1]; the
    // rejections are reported between them as Error items with reason and status.
    let mut dispatches = Vec::new();
    let mut messages = Vec::new();
    while dispatches.len() < 5 {
        let item = timeout(WAIT, rx.recv())
            .await
            .expect("item in time")
            .expect("open");
        assert_eq!(item.shard, ShardId::ONE);
        match item.kind {
            ItemKind::Dispatch(d) => dispatches.push(d),
            ItemKind::Error { message } => messages.push(message),
            other => panic!("unexpected item {other:?}"),
        }
    }
    for (n, d) in (1..).zip(&dispatches) {
        let (id, d_text) = event(n);
        assert_eq!(d.id(), Some(id.as_str()));
        assert_eq!(d.d(), d_text);
        assert_eq!(&*d.t, "C2C_MESSAGE_CREATE");
        assert_eq!(d.seq, None);
        assert_eq!(&*d.frame, body(n));
    }
    let stats = receiver.stats();
    assert_eq!(stats.dispatches, 5);
    assert_eq!(stats.bad_signature, 4, "{stats:?}");
    assert_eq!(stats.bad_timestamp, 1, "{stats:?}");
    assert_eq!(stats.wrong_app_id, 2, "{stats:?}");
    assert_eq!(stats.bad_body, 4, "{stats:?}");
    assert_eq!(stats.wrong_route, 1, "{stats:?}");
    assert_eq!(stats.rejected, 12, "{stats:?}");
    receiver.shutdown().await;
    while let Ok(Some(item)) = timeout(WAIT, rx.recv()).await {
        if let ItemKind::Error { message } = item.kind {
            messages.push(message);
        }
    }
    assert_eq!(messages.len(), 12, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("webhook: rejected POST /: bad signature")
                && m.ends_with("(401)")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.ends_with("(403)")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("webhook: rejected GET /: method not allowed (405)")),
        "{messages:?}"
    );
}

#[tokio::test]
async fn redeliveries_are_acked_and_dropped_only_with_dedup() {
    for dedup in [true, false] {
        let mut cfg = config();
        cfg.dedup = dedup;
        let (receiver, mut rx) = WebhookReceiver::bind(cfg).await.unwrap();
        let client = reqwest::Client::new();
        for n in [1, 1, 2] {
            assert_eq!(
                Req::signed(&body(n)).send(&client, &receiver.url()).await.0,
                200
            );
        }
        let first = next_dispatch(&mut rx).await;
        let second = next_dispatch(&mut rx).await;
        let id = |item: &GatewayItem| match &item.kind {
            ItemKind::Dispatch(d) => d.id().map(str::to_owned).unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(id(&first), "C2C_MESSAGE_CREATE:evt-1");
        let expected_second = if dedup {
            "C2C_MESSAGE_CREATE:evt-2"
        } else {
            "C2C_MESSAGE_CREATE:evt-1"
        };
        assert_eq!(id(&second), expected_second, "dedup={dedup}");
        assert_eq!(receiver.stats().redeliveries, 1);
        assert_eq!(receiver.stats().dispatches, if dedup { 2 } else { 3 });
        // What the listen summary adds to "duplicate(s) skipped".
        let stats = receiver.shutdown().await;
        assert_eq!(stats.duplicates_dropped, u64::from(dedup));
    }
}

#[tokio::test]
async fn a_full_queue_answers_503_so_the_event_is_redelivered_not_lost() {
    let mut cfg = config();
    cfg.queue = 1;
    let (receiver, mut rx) = WebhookReceiver::bind(cfg).await.unwrap();
    let client = reqwest::Client::new();
    let url = receiver.url();
    assert_eq!(Req::signed(&body(1)).send(&client, &url).await.0, 200);
    let (status, text) = Req::signed(&body(2)).send(&client, &url).await;
    assert_eq!((status, text.as_str()), (503, r#"{"op":12,"d":1}"#));
    assert_eq!(receiver.stats().overflow, 1);
    next_dispatch(&mut rx).await;
    // The retry is not mistaken for a duplicate.
    assert_eq!(Req::signed(&body(2)).send(&client, &url).await.0, 200);
    let item = next_dispatch(&mut rx).await;
    let ItemKind::Dispatch(d) = item.kind else {
        unreachable!()
    };
    assert_eq!(d.id(), Some("C2C_MESSAGE_CREATE:evt-2"));
    assert_eq!(receiver.stats().redeliveries, 0);
}

#[tokio::test]
async fn a_restricted_path_refuses_others_with_404() {
    let mut cfg = config();
    cfg.path = Some("qqbot/callback".into());
    let (receiver, mut rx) = WebhookReceiver::bind(cfg).await.unwrap();
    assert!(
        receiver.url().ends_with("/qqbot/callback"),
        "{}",
        receiver.url()
    );
    let client = reqwest::Client::new();
    let other = format!("http://{}/elsewhere", receiver.addr());
    assert_eq!(Req::signed(&body(1)).send(&client, &other).await.0, 404);
    assert_eq!(
        Req::signed(&body(2)).send(&client, &receiver.url()).await.0,
        200
    );
    let ItemKind::Dispatch(d) = next_dispatch(&mut rx).await.kind else {
        unreachable!()
    };
    assert_eq!(d.id(), Some("C2C_MESSAGE_CREATE:evt-2"));
}

#[tokio::test]
async fn https_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let mut cfg = config();
    cfg.tls = Some(TlsFiles { cert, key });
    let (receiver, mut rx) = WebhookReceiver::bind(cfg).await.unwrap();
    assert!(receiver.is_tls());
    let url = format!("https://localhost:{}/", receiver.addr().port());
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", receiver.addr())
        .no_proxy()
        .build()
        .unwrap();
    // A plain-HTTP client on the TLS port gets no answer, and the server keeps working.
    let plain = format!("http://{}/", receiver.addr());
    assert!(
        reqwest::Client::new()
            .post(&plain)
            .body("{}")
            .send()
            .await
            .is_err()
    );
    let (status, _) = Req::signed(&body(7)).send(&client, &url).await;
    assert_eq!(status, 200);
    let ItemKind::Dispatch(d) = next_dispatch(&mut rx).await.kind else {
        unreachable!()
    };
    assert_eq!(d.d(), event(7).1);
    receiver.shutdown().await;
}

#[tokio::test]
async fn setup_errors_are_reported_not_panics() {
    let mut cfg = config();
    cfg.secret = Secret::new("");
    let err = WebhookReceiver::bind(cfg).await.unwrap_err();
    assert_eq!(err.to_string(), "cannot derive the webhook key");
    let mut cfg = config();
    cfg.tls = Some(TlsFiles {
        cert: "/nonexistent/cert.pem".into(),
        key: "/nonexistent/key.pem".into(),
    });
    let err = WebhookReceiver::bind(cfg).await.unwrap_err();
    assert_eq!(err.to_string(), "cannot set up HTTPS");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("/nonexistent/cert.pem"), "{source}");
}

/// A raw HTTP/1.1 request head for a signed delivery of `body`.
fn raw_head(body: &str, content_length: usize) -> String {
    let ts = now().to_string();
    let signature = sign(&Secret::new(SECRET), &ts, body.as_bytes()).unwrap();
    format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Bot-Appid: {APP_ID}\r\n\
         X-Signature-Timestamp: {ts}\r\nX-Signature-Ed25519: {signature}\r\n\
         Content-Length: {content_length}\r\n\r\n"
    )
}

/// Read an HTTP response from `stream` until the connection closes or the body (by
/// Content-Length) is complete; bounded by WAIT.
async fn read_response(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + WAIT;
    for _ in 0..1000 {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .expect("answered in time")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap())
            });
            if length.is_some_and(|l| rest.len() >= l) {
                break;
            }
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_huge_content_length_is_refused_with_413_before_the_body() {
    use tokio::io::AsyncWriteExt as _;
    let (receiver, mut rx) = WebhookReceiver::bind(config()).await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(receiver.addr())
        .await
        .unwrap();
    // Headers only: 4 GiB announced, nothing sent. The answer must not wait for the body.
    stream
        .write_all(raw_head(&body(1), 4 << 30).as_bytes())
        .await
        .unwrap();
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains(r#"{"error":"body larger than 2 MiB"}"#),
        "{response}"
    );
    let stats = receiver.stats();
    assert_eq!((stats.bad_body, stats.rejected), (1, 1));
    // Logged and reported like the other rejections.
    let item = timeout(WAIT, rx.recv()).await.unwrap().unwrap();
    let ItemKind::Error { message } = item.kind else {
        panic!("{item:?}")
    };
    assert_eq!(
        message,
        "webhook: rejected POST /: body larger than 2 MiB (413)"
    );
}

#[tokio::test]
async fn a_stalled_body_is_cut_after_the_body_timeout_while_valid_deliveries_arrive() {
    use tokio::io::AsyncWriteExt as _;
    let mut cfg = config();
    cfg.body_timeout = Duration::from_millis(300);
    let (receiver, mut rx) = WebhookReceiver::bind(cfg).await.unwrap();
    let client = reqwest::Client::new();
    let mut stalled = Vec::new();
    for n in 0..3 {
        let full = body(100 + n);
        let mut stream = tokio::net::TcpStream::connect(receiver.addr())
            .await
            .unwrap();
        // Headers and half the body, then nothing.
        stream
            .write_all(raw_head(&full, full.len()).as_bytes())
            .await
            .unwrap();
        stream
            .write_all(&full.as_bytes()[..full.len() / 2])
            .await
            .unwrap();
        stalled.push(stream);
        // A valid delivery while the stalled ones hang.
        assert_eq!(
            Req::signed(&body(n)).send(&client, &receiver.url()).await.0,
            200
        );
        let item = next_dispatch(&mut rx).await;
        let ItemKind::Dispatch(d) = &item.kind else {
            unreachable!()
        };
        assert_eq!(d.id(), Some(event(n).0.as_str()));
    }
    for stream in &mut stalled {
        let response = read_response(stream).await;
        assert!(response.starts_with("HTTP/1.1 408"), "{response}");
        assert!(
            response.contains(r#"{"error":"body not received within 0.3 s"}"#),
            "{response}"
        );
    }
    assert_eq!(receiver.stats().dispatches, 3);
    assert_eq!(receiver.stats().bad_body, 3);
}

#[test]
fn rejection_messages_show_values_not_rust_debug() {
    use qqbot::webhook::Rejection;
    let wrong = Rejection::WrongAppId {
        got: Some("2".into()),
        expected: APP_ID.into(),
    };
    assert_eq!(
        wrong.to_string(),
        "wrong app id (X-Bot-Appid `2`, expected 11111111)"
    );
    let missing = Rejection::WrongAppId {
        got: None,
        expected: APP_ID.into(),
    };
    assert_eq!(
        missing.to_string(),
        "wrong app id (X-Bot-Appid missing, expected 11111111)"
    );
    assert_eq!(qqbot::webhook::MAX_BODY, 2 * 1024 * 1024);
}

#[tokio::test]
async fn a_non_ascii_signature_is_malformed_not_missing() {
    use tokio::io::AsyncWriteExt as _;
    let (receiver, _rx) = WebhookReceiver::bind(config()).await.unwrap();
    let payload = body(1);
    let head = raw_head(&payload, payload.len());
    // Replace the signature's value with non-ASCII bytes (obs-text, allowed on the wire).
    let start = head.find("X-Signature-Ed25519: ").unwrap() + "X-Signature-Ed25519: ".len();
    let end = start + head[start..].find("\r\n").unwrap();
    let mut bytes = head.as_bytes()[..start].to_vec();
    bytes.extend_from_slice("签名".as_bytes());
    bytes.extend_from_slice(&head.as_bytes()[end..]);
    bytes.extend_from_slice(payload.as_bytes());
    let mut stream = tokio::net::TcpStream::connect(receiver.addr())
        .await
        .unwrap();
    stream.write_all(&bytes).await.unwrap();
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(
        response.contains("bad signature: signature is malformed (not ASCII hex)"),
        "{response}"
    );
    assert_eq!(receiver.stats().bad_signature, 1);
}

/// Whether the server closes `stream` (EOF, a reset, or an error status then EOF) within WAIT.
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt as _;
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + WAIT;
    for _ in 0..100 {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
    false
}

#[tokio::test]
async fn slow_header_connections_are_cut_while_valid_deliveries_arrive() {
    use tokio::io::AsyncWriteExt as _;
    let mut cfg = config();
    cfg.header_timeout = Duration::from_millis(300);
    let (receiver, mut rx) = WebhookReceiver::bind(cfg).await.unwrap();
    let client = reqwest::Client::new();
    let mut slow = Vec::new();
    for n in 0..3 {
        let mut stream = tokio::net::TcpStream::connect(receiver.addr())
            .await
            .unwrap();
        // Half a request line, then nothing (slowloris).
        stream.write_all(b"POST / HT").await.unwrap();
        slow.push(stream);
        assert_eq!(
            Req::signed(&body(n)).send(&client, &receiver.url()).await.0,
            200
        );
        let item = next_dispatch(&mut rx).await;
        let ItemKind::Dispatch(d) = &item.kind else {
            unreachable!()
        };
        assert_eq!(d.id(), Some(event(n).0.as_str()));
    }
    for stream in &mut slow {
        assert!(closed_by_server(stream).await, "slow connection still open");
    }
    assert_eq!(receiver.stats().dispatches, 3);
}

#[tokio::test]
async fn connections_past_the_limit_are_closed_and_slots_free_up_after_the_timeout() {
    use tokio::io::AsyncWriteExt as _;
    let mut cfg = config();
    cfg.max_connections = 2;
    cfg.header_timeout = Duration::from_secs(2);
    let (receiver, mut rx) = WebhookReceiver::bind(cfg).await.unwrap();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(receiver.addr())
            .await
            .unwrap();
        stream.write_all(b"POST / HT").await.unwrap();
        held.push(stream);
    }
    // Both slots are taken: a complete, valid request on a third connection is closed unanswered.
    // Poll: the server may accept the first two a moment after the connects return.
    let payload = body(6);
    let mut refused = false;
    for _ in 0..50 {
        let mut third = tokio::net::TcpStream::connect(receiver.addr())
            .await
            .unwrap();
        let mut request = raw_head(&payload, payload.len()).into_bytes();
        request.extend_from_slice(payload.as_bytes());
        let _ = third.write_all(&request).await;
        let response = read_response(&mut third).await;
        if response.is_empty() {
            refused = true;
            break;
        }
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }
    assert!(refused, "a connection past the limit was served");
    // The header timeout frees the slots; a valid delivery then gets through.
    for stream in &mut held {
        assert!(closed_by_server(stream).await);
    }
    let client = reqwest::Client::new();
    let mut delivered = false;
    for _ in 0..50 {
        let req = Req::signed(&body(7));
        let sent = timeout(WAIT, async {
            let (status, _) = req.send(&client, &receiver.url()).await;
            status
        })
        .await;
        if sent == Ok(200) {
            delivered = true;
            break;
        }
    }
    assert!(delivered);
    let item = next_dispatch(&mut rx).await;
    assert!(matches!(item.kind, ItemKind::Dispatch(_)));
}
