//! Webhook mode through the real binary: `listen --webhook`, `listen --forward-to` and
//! `emulate --webhook-to`, checked by a handler that verifies QQ's Ed25519 signatures with its
//! own key derivation (not qqbot's).

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};

/// The emulator's development secret (`qqbot emulate`'s default).
const SECRET: &str = "qqbot-emulator-secret";

/// PROTOCOL.md §9: the secret's bytes repeated to at least 32 bytes, the first 32 as the seed.
fn independent_key(secret: &str) -> SigningKey {
    let mut seed = Vec::new();
    while seed.len() < 32 {
        seed.extend_from_slice(secret.as_bytes());
    }
    SigningKey::from_bytes(&seed[..32].try_into().unwrap())
}

#[derive(Clone, Default)]
struct Seen {
    bodies: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    bad: Arc<Mutex<u32>>,
    arrived: Arc<tokio::sync::Notify>,
}

async fn handler(
    State(seen): State<Seen>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let key = independent_key(SECRET);
    let timestamp = headers["x-signature-timestamp"]
        .to_str()
        .unwrap()
        .to_owned();
    let signature_hex = headers["x-signature-ed25519"].to_str().unwrap();
    let bytes: Vec<u8> = (0..signature_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&signature_hex[i..i + 2], 16).unwrap())
        .collect();
    let signature = Signature::from_slice(&bytes).unwrap();
    let mut message = timestamp.into_bytes();
    message.extend_from_slice(&body);
    if key.verifying_key().verify(&message, &signature).is_err() {
        *seen.bad.lock().unwrap() += 1;
        return (StatusCode::UNAUTHORIZED, String::new());
    }
    let text = String::from_utf8(body.to_vec()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    if value["op"] == 13 {
        // Answer the URL validation: sign event_ts + plain_token.
        let plain = value["d"]["plain_token"].as_str().unwrap();
        let ts = value["d"]["event_ts"].as_str().unwrap();
        let sig = key.sign(format!("{ts}{plain}").as_bytes());
        let hex: String = sig.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        return (
            StatusCode::OK,
            serde_json::json!({"plain_token": plain, "signature": hex}).to_string(),
        );
    }
    seen.bodies.lock().unwrap().push((headers, text));
    seen.arrived.notify_one();
    (StatusCode::OK, r#"{"op":12,"d":0}"#.to_owned())
}

/// A verifying handler on 127.0.0.1:0, served on its own runtime thread.
fn start_handler(rt: &tokio::runtime::Runtime) -> (String, Seen) {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/hook", post(handler))
        .with_state(seen.clone());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn qqbot() -> Command {
    let mut cmd = cli_support::qqbot_command();
    cmd.stdin(Stdio::null());
    cmd
}

#[test]
fn listen_webhook_receives_the_emulators_signed_events() {
    let out = qqbot()
        .args([
            "listen",
            "--emulator",
            "--webhook",
            "127.0.0.1:0",
            "--count",
            "5",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 5);
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/listen.v1.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(validator.is_valid(&value), "{line}");
        assert_eq!(
            value["s"],
            serde_json::Value::Null,
            "webhook events carry no s"
        );
        assert!(
            value["id"]
                .as_str()
                .unwrap()
                .starts_with(value["t"].as_str().unwrap())
        );
    }
}

#[test]
fn listen_forward_to_delivers_signed_events_a_handler_can_verify() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, seen) = start_handler(&rt);
    let out = qqbot()
        .args([
            "listen",
            "--emulator",
            "--count",
            "6",
            "--json",
            "--forward-to",
            &url,
            "--forward-header",
            "X-Test:yes",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("forward → "),
        "per-event status lines: {stderr}"
    );
    assert!(
        stderr.contains("forwarded 6 event(s), 0 failed"),
        "{stderr}"
    );
    let printed: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bodies = seen.bodies.lock().unwrap().clone();
    assert_eq!(*seen.bad.lock().unwrap(), 0, "every signature verified");
    assert_eq!(bodies.len(), 6);
    for ((headers, body), event) in bodies.iter().zip(&printed) {
        assert_eq!(headers["user-agent"], "QQBot-Callback");
        assert_eq!(headers["x-bot-appid"], "1020304050");
        assert_eq!(headers["x-signature-method"], "Ed25519");
        assert_eq!(headers["x-test"], "yes");
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(value["op"], 0);
        assert!(value.get("s").is_none(), "webhook bodies have no s: {body}");
        assert_eq!(value["id"], event["id"]);
        assert_eq!(value["d"], event["d"]);
    }
}

#[test]
fn emulate_webhook_to_validates_then_posts_events() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, seen) = start_handler(&rt);
    let mut child = qqbot()
        .args([
            "--json",
            "emulate",
            "--listen",
            "127.0.0.1:0",
            "--rate",
            "50",
            "--webhook-to",
            &url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("api_base"), "{first}");
    let got = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let n = seen.bodies.lock().unwrap().len();
                if n >= 5 {
                    return n;
                }
                seen.arrived.notified().await;
            }
        })
        .await
    });
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(got.is_ok(), "the emulator delivered webhooks");
    assert_eq!(status.code(), Some(130));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("passed the op 13 validation"), "{stderr}");
    assert_eq!(*seen.bad.lock().unwrap(), 0);
}

/// A signed webhook POST as QQ sends it (independent signing, raw HTTP).
fn signed_post(app_id: &str, body: &str) -> String {
    let key = independent_key(SECRET);
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let sig = key.sign(format!("{timestamp}{body}").as_bytes());
    let hex: String = sig.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Bot-Appid: {app_id}\r\nX-Signature-Timestamp: {timestamp}\r\nX-Signature-Ed25519: {hex}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Send `request` on a fresh connection and return the status line (empty if none came).
fn exchange(addr: &str, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = socket.write_all(request);
    let mut response = Vec::new();
    let _ = socket.read_to_end(&mut response);
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn webhook_summary_counts_suppressed_redeliveries_and_logs_each_http_rejection_once() {
    let app_id = "1020304050";
    let mut child = qqbot()
        .env("QQBOT_APP_ID", app_id)
        .env("QQBOT_SECRET", SECRET)
        .args([
            "listen",
            "--webhook",
            "127.0.0.1:0",
            "--dedup",
            "--count",
            "2",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let addr = {
        let mut line = String::new();
        let mut found = None;
        for _ in 0..20 {
            line.clear();
            if stderr.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if let Some(rest) = line.split("webhooks at http://").nth(1) {
                found = Some(rest.split(['/', ' ']).next().unwrap().to_owned());
                break;
            }
        }
        found.unwrap_or_else(|| panic!("no webhook address on stderr: {line}"))
    };
    let event = |id: &str| {
        format!(
            r#"{{"op":0,"id":"{id}","t":"GROUP_AT_MESSAGE_CREATE","d":{{"id":"m-{id}","content":" hi","timestamp":"2024-01-01T00:00:00+08:00","author":{{"member_openid":"u1"}},"group_openid":"g1"}}}}"#
        )
    };
    // HTTP-level rejections: a body over 2 MiB by Content-Length (413), a head too large (431),
    // and a request that is not HTTP (400).
    let huge = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        1u64 << 40
    );
    assert!(exchange(&addr, huge.as_bytes()).contains(" 413"), "413");
    let big_head = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(512 * 1024)
    );
    let status = exchange(&addr, big_head.as_bytes());
    assert!(status.contains(" 431"), "431: {status}");
    assert!(exchange(&addr, b"\x01\x02 not http at all\r\n\r\n").contains(" 400"));
    // One event delivered three times (two redeliveries), then a second event.
    for _ in 0..3 {
        let status = exchange(&addr, signed_post(app_id, &event("ev-1")).as_bytes());
        assert!(status.contains(" 200"), "{status}");
    }
    let status = exchange(&addr, signed_post(app_id, &event("ev-2")).as_bytes());
    assert!(status.contains(" 200"), "{status}");

    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout.contains("ev-1") && stdout.contains("ev-2"),
        "{stdout}"
    );
    assert!(rest.contains("2 duplicate(s) skipped"), "{rest}");
    let count = |needle: &str| rest.lines().filter(|l| l.contains(needle)).count();
    // Each rejection once on stderr, and each counted as an error in the summary.
    assert_eq!(count("body larger than 2 MiB (413)"), 1, "{rest}");
    assert_eq!(count("message head is too large"), 1, "431: {rest}");
    assert_eq!(
        count("closed a connection"),
        2,
        "400 and 431, once each: {rest}"
    );
    assert!(rest.contains("errors: 3"), "{rest}");
}

/// `listen --webhook ADDR --dev-credentials` (the README's example) accepts what `qqbot
/// emulate --webhook-to` sends, and a rejected request is reported once, not as a log WARN plus
/// a human line.
#[test]
fn a_rejected_webhook_is_reported_once_and_dev_credentials_receive_the_emulators_events() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut child = qqbot()
        .args([
            "listen",
            "--webhook",
            "127.0.0.1:0",
            "--dev-credentials",
            "--format",
            "human",
            "--color",
            "never",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    let mut url = None;
    for _ in 0..20 {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        banner.push_str(&line);
        if let Some(rest) = line.split("receiving webhooks at ").nth(1) {
            url = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no banner in {banner}"));
    // An unsigned POST is rejected; an emulator with the dev credentials delivers events.
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(&url)
            .body(r#"{"op":0,"t":"X","d":{}}"#)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_client_error(), "{status}");
    let emulator = rt
        .block_on(qqbot::emulator::Emulator::start(
            qqbot::emulator::EmulatorConfig {
                rate: 50.0,
                webhook_to: Some(url.clone()),
                ..qqbot::emulator::EmulatorConfig::default()
            },
        ))
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut events = Vec::new();
    while events.len() < 3 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        events.push(line);
    }
    assert_eq!(events.len(), 3, "human lines on a pipe with --format human");
    assert!(events.iter().all(|l| !l.starts_with('{')), "{events:?}");
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let code = child.wait().unwrap().code();
    drop(emulator);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let all = banner + &rest;
    assert_eq!(code, Some(130), "{all}");
    assert_eq!(
        all.matches("webhook: rejected POST").count(),
        1,
        "one report per rejection: {all}"
    );
    assert!(!all.contains("WARN"), "{all}");
}
