//! Node SDKs against the emulator, unmodified, with only their base URLs changed at run time:
//! the community SDK qq-official-bot 1.0.13 (an interceptor on its own axios client) and satori's
//! @satorijs/adapter-qq 4.11.0 (its `endpoint` setting, and its token URL where its HTTP client
//! calls `fetch`). Each fetches a token, identifies, receives guild, group, C2C and DM messages,
//! and sends a passive reply to each kind, which the emulator accepts.
//!
//! `.ci/run` installs them (`npm ci --prefix tests/sdk/node`) and sets `QQBOT_REQUIRE_SDK=1`, so
//! CI fails if these cannot run. Without them and without that variable, each test says so on
//! stderr and passes without checking.

mod sdk_support;

use std::collections::BTreeSet;

/// Run `script` until it has seen 30 message events; check that it saw each of `wanted_kinds`
/// and that every reply it sent was accepted as a passive one.
async fn run(script: &str, wanted_kinds: &[&str]) {
    let emulator = sdk_support::demo_emulator().await;
    let (mut child, lines) = sdk_support::run_script(script, &emulator, 30);
    let seen = sdk_support::milestones(script, &mut child, lines).await;
    assert!(seen.connected, "{script} never connected");
    assert!(seen.done, "{script} saw fewer than 30 message events");
    let kinds: BTreeSet<&str> = seen
        .events
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for kind in wanted_kinds {
        assert!(kinds.contains(*kind), "no {kind} in {script}: {kinds:?}");
    }
    for reply in &seen.replies {
        assert_eq!(reply["ok"], true, "{script}'s reply failed: {reply}");
    }
    sdk_support::assert_passive_replies(&emulator, &["channel", "group", "c2c"], script);
    assert_eq!(emulator.sessions().len(), 1, "one session for {script}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qq_official_bot_receives_every_message_kind_and_replies() {
    if !sdk_support::node_has("qq-official-bot") {
        return;
    }
    run(
        "node/official_smoke.cjs",
        &[
            "message.guild.normal",
            "message.group.normal",
            "message.private.friend",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn satori_adapter_receives_every_message_kind_and_replies() {
    if !sdk_support::node_has("@satorijs/adapter-qq") {
        return;
    }
    run(
        "node/satori_smoke.cjs",
        &["qqguild:channel", "qq:channel", "qq:direct"],
    )
    .await;
}
