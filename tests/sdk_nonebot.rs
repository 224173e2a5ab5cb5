//! NoneBot 2 with its QQ adapter (nonebot-adapter-qq 1.7.3, unmodified) against the emulator:
//! token, /gateway/bot, Identify, READY, every demo message type parsed into the adapter's
//! models, and a passive reply to each, with only the base URLs changed (the adapter's own
//! `qq_api_base` and `qq_auth_base` settings).
//!
//! `.ci/run` installs NoneBot and sets `QQBOT_REQUIRE_SDK=1`, so CI fails if this cannot run.
//! Without NoneBot and without that variable, the test says so on stderr and passes without
//! checking.

mod sdk_support;

use std::collections::BTreeSet;
use std::time::Duration;

const INSTALL: &str =
    "python3 -m pip install 'nonebot2[httpx,websockets]==2.5.0' nonebot-adapter-qq==1.7.3";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonebot_parses_every_message_type_and_replies() {
    if !sdk_support::python_has("nonebot.adapters.qq", INSTALL) {
        return;
    }
    let emulator = sdk_support::demo_emulator().await;
    let (mut child, mut lines) = sdk_support::run_script("nonebot_smoke.py", &emulator, 30);
    let (mut connected, mut done) = (false, false);
    let mut types = BTreeSet::new();
    let mut replies = Vec::new();
    let collected = tokio::time::timeout(Duration::from_secs(90), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue; // NoneBot's own output
            };
            match value["kind"].as_str() {
                Some("connected") => connected = true,
                Some("event") => {
                    let t = value["t"].as_str().unwrap().to_owned();
                    let id = value["id"].as_str().unwrap_or_default();
                    assert!(id.starts_with(&format!("{t}:")), "event id {id} for {t}");
                    types.insert(t);
                }
                Some("reply") => replies.push(value),
                Some("done") => done = true,
                Some("timeout") => panic!("NoneBot timed out inside the script"),
                _ => {}
            }
        }
    })
    .await;
    assert!(collected.is_ok(), "NoneBot did not finish in time");
    let status = child.wait().await.unwrap();
    assert!(status.success(), "NoneBot script exited with {status}");
    assert!(connected, "NoneBot never connected");
    assert!(done, "NoneBot saw fewer than 30 message events");
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
    for reply in &replies {
        assert_eq!(reply["ok"], true, "NoneBot's reply failed: {reply}");
    }
    assert!(replies.len() >= 3, "{replies:?}");
    // Each reply was a passive one: it names the message it answers, and the emulator took it.
    let sent = emulator.sent_messages();
    let routes: BTreeSet<&str> = sent
        .iter()
        .filter(|m| m.code == 0 && m.msg_id.is_some())
        .map(|m| m.route.as_str())
        .collect();
    for route in ["channel", "group", "c2c"] {
        assert!(routes.contains(route), "no passive {route} reply: {sent:?}");
    }
    assert_eq!(emulator.sessions().len(), 1, "one NoneBot session");
}
