//! NoneBot 2 with its QQ adapter (nonebot-adapter-qq 1.7.3, unmodified) against the emulator:
//! token, /gateway/bot, Identify, READY, every demo message type parsed into the adapter's
//! models, and a passive reply to each, with only the base URLs changed (the adapter's own
//! `qq_api_base` and `qq_auth_base` settings); resumes through session timeouts.
//!
//! `.ci/run` installs NoneBot and sets `QQBOT_REQUIRE_SDK=1`, so CI fails if this cannot run.
//! Without NoneBot and without that variable, the test says so on stderr and passes without
//! checking.

mod sdk_support;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use qqbot::emulator::webhook::Validation;
use qqbot::emulator::{DEFAULT_APP_ID, DEFAULT_SECRET, Emulator, EmulatorConfig, Scenario};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const INSTALL: &str =
    "python3 -m pip install 'nonebot2[httpx,websockets]==2.5.0' nonebot-adapter-qq==1.7.3";
const INSTALL_WEBHOOK: &str = "python3 -m pip install 'nonebot2[fastapi]==2.5.0'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonebot_parses_every_message_type_and_replies() {
    if !sdk_support::python_has("nonebot.adapters.qq", INSTALL) {
        return;
    }
    let emulator = sdk_support::demo_emulator().await;
    let (mut child, lines) = sdk_support::run_script("nonebot_smoke.py", &emulator, 30);
    let seen = sdk_support::milestones("NoneBot", &mut child, lines).await;
    assert!(seen.connected, "NoneBot never connected");
    assert!(seen.done, "NoneBot saw fewer than 30 message events");
    let mut types = BTreeSet::new();
    for event in &seen.events {
        let t = event["t"].as_str().unwrap();
        let id = event["id"].as_str().unwrap_or_default();
        assert!(id.starts_with(&format!("{t}:")), "event id {id} for {t}");
        types.insert(t);
    }
    // The demo mix has guild @-messages, guild messages, DMs, group @-messages and C2C messages.
    for t in [
        "AT_MESSAGE_CREATE",
        "GROUP_AT_MESSAGE_CREATE",
        "C2C_MESSAGE_CREATE",
    ] {
        assert!(
            types.contains(t),
            "no {t} reached NoneBot's handler: {types:?}"
        );
    }
    for reply in &seen.replies {
        assert_eq!(reply["ok"], true, "NoneBot's reply failed: {reply}");
    }
    assert!(seen.replies.len() >= 3, "{:?}", seen.replies);
    sdk_support::assert_passive_replies(&emulator, &["channel", "group", "c2c"], "NoneBot");
    assert_eq!(emulator.sessions().len(), 1, "one NoneBot session");
}

/// NoneBot in webhook mode as the receiver of the emulator's webhook sender: its op 13 answer
/// passes the emulator's check, and it accepts every event's Ed25519 signature (it answers 403
/// to a bad one). Group and C2C replies go through; guild replies are refused with 304018, as
/// the platform refuses guild sends from a bot without a gateway session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonebot_webhook_verifies_the_emulators_signatures() {
    if !sdk_support::python_has("nonebot.adapters.qq", INSTALL)
        || !sdk_support::python_has("fastapi", INSTALL_WEBHOOK)
    {
        return;
    }
    // The script binds its socket, says where, and learns the emulator's URLs from stdin.
    let mut child = tokio::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sdk/nonebot_webhook_smoke.py"
        ))
        .args([DEFAULT_APP_ID, DEFAULT_SECRET, "30"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line)
                && value["kind"] == "listening"
            {
                return value["port"].as_u64().unwrap();
            }
        }
        panic!("the script ended before listening")
    })
    .await
    .expect("the script listens");
    let emulator = Emulator::start(EmulatorConfig {
        scenario: Scenario::Demo,
        rate: 20.0,
        webhook_to: Some(format!("http://127.0.0.1:{port}/qq/webhook")),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{} {}\n", emulator.api_base(), emulator.token_url()).as_bytes())
        .await
        .unwrap();
    let seen = sdk_support::milestones("NoneBot (webhook)", &mut child, lines).await;
    assert!(seen.done, "NoneBot saw fewer than 30 webhook events");
    let types: BTreeSet<&str> = seen
        .events
        .iter()
        .map(|e| e["t"].as_str().unwrap())
        .collect();
    let status = emulator.webhook_status().expect("webhook mode");
    assert_eq!(status.validation, Validation::Passed, "{status:?}");
    assert!(status.delivered >= 30, "{status:?}");
    assert_eq!(
        status.failed_attempts, 0,
        "NoneBot refused a request: {status:?}"
    );
    for t in [
        "AT_MESSAGE_CREATE",
        "GROUP_AT_MESSAGE_CREATE",
        "C2C_MESSAGE_CREATE",
    ] {
        assert!(types.contains(t), "no {t} reached NoneBot: {types:?}");
    }
    for reply in &seen.replies {
        let t = reply["t"].as_str().unwrap();
        if t.starts_with("GROUP_") || t.starts_with("C2C_") {
            assert_eq!(reply["ok"], true, "{reply}");
        } else if t.ends_with("MESSAGE_CREATE") && !t.starts_with("DIRECT_") {
            assert_eq!(
                reply["ok"], false,
                "a guild send without a gateway session: {reply}"
            );
            assert!(
                reply["error"].as_str().unwrap().contains("304018"),
                "{reply}"
            );
        }
    }
    assert!(
        seen.replies
            .iter()
            .any(|r| r["t"] == "AT_MESSAGE_CREATE" && r["ok"] == false),
        "the guild reply was tried and refused: {:?}",
        seen.replies
    );
    assert!(
        emulator.sessions().is_empty(),
        "webhook mode opens no gateway session"
    );
}

/// NoneBot's adapter through the platform's periodic op 7 + close 4009, here every second: it
/// resumes (one Identify in all), and no event reaches its handlers twice across the resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonebot_resumes_through_session_timeouts_without_duplicates() {
    if !sdk_support::python_has("nonebot.adapters.qq", INSTALL) {
        return;
    }
    let emulator = sdk_support::timing_out_emulator().await;
    let (mut child, lines) = sdk_support::run_script("nonebot_smoke.py", &emulator, 50);
    let seen = sdk_support::milestones("NoneBot", &mut child, lines).await;
    assert!(
        seen.connected && seen.done,
        "NoneBot saw fewer than 50 events"
    );
    let ids: Vec<&str> = seen
        .events
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    sdk_support::assert_resumed_without_duplicates(&emulator, &ids, "NoneBot");
}
