//! `qqbot emulate dispatch|fault|state` through the real binary, against an in-process emulator
//! with a library Cluster connected to it.

mod cli_support;

use cli_support::{Harness, WAIT, quiet, run};
use qqbot::gateway::{Cluster, GatewayConfig, GatewayItem, ItemKind};
use qqbot::protocol::Intents;
use tokio::sync::mpsc;

/// Start a Cluster with GROUP_AND_C2C; its items are forwarded to the returned channel once
/// READY was seen.
fn connect(h: &Harness) -> (Cluster, mpsc::UnboundedReceiver<GatewayItem>) {
    let mut config = GatewayConfig::new(
        h.emu.config().app_id.clone(),
        h.emu.config().secret.clone(),
        h.emu.api_base(),
        h.emu.token_url(),
    );
    config.intents = Intents::parse("GROUP_AND_C2C").unwrap();
    h.rt.block_on(async {
        let (cluster, mut items) = Cluster::start(config).await.unwrap();
        tokio::time::timeout(WAIT, async {
            while let Some(item) = items.recv().await {
                if matches!(item.kind, ItemKind::Ready { .. }) {
                    return;
                }
            }
            panic!("items ended before READY");
        })
        .await
        .expect("READY in time");
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(item) = items.recv().await {
                let _ = tx.send(item);
            }
        });
        (cluster, rx)
    })
}

/// The next item matching `pred` (bounded).
fn next_matching(
    h: &Harness,
    rx: &mut mpsc::UnboundedReceiver<GatewayItem>,
    pred: impl Fn(&GatewayItem) -> bool,
) -> GatewayItem {
    h.rt.block_on(async {
        tokio::time::timeout(WAIT, async {
            while let Some(item) = rx.recv().await {
                if pred(&item) {
                    return item;
                }
            }
            panic!("items ended");
        })
        .await
        .expect("the item arrives in time")
    })
}

#[test]
fn dispatch_fault_and_state_drive_a_running_emulator() {
    let h = Harness::start(quiet());
    let (cluster, mut rx) = connect(&h);
    let url = h.emu.api_base();

    let (out, err, code) = run(h.bare().args([
        "emulate",
        "dispatch",
        "GROUP_AT_MESSAGE_CREATE",
        "--content",
        "/ping",
        "--group",
        "GROUPOPENID1",
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("delivered to 1 session(s)"), "{out}");
    let item = next_matching(&h, &mut rx, |i| matches!(i.kind, ItemKind::Dispatch(_)));
    let ItemKind::Dispatch(d) = item.kind else {
        unreachable!()
    };
    assert_eq!(&*d.t, "GROUP_AT_MESSAGE_CREATE");
    let body: serde_json::Value = serde_json::from_str(d.d()).unwrap();
    assert_eq!(body["content"], "/ping", "{body}");
    assert_eq!(body["group_openid"], "GROUPOPENID1", "{body}");
    assert!(body["author"]["member_openid"].is_string(), "{body}");
    // Exactly one event after READY.
    assert_eq!(h.emu.sessions()[0].seq, 2);

    // --data gives d verbatim.
    let (out, err, code) = run(h.bare().args([
        "emulate",
        "dispatch",
        "C2C_MESSAGE_CREATE",
        "--data",
        r#"{"content":"raw","author":{"user_openid":"U1"}}"#,
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("delivered to 1 session(s)"), "{out}");
    let item = next_matching(&h, &mut rx, |i| matches!(i.kind, ItemKind::Dispatch(_)));
    let ItemKind::Dispatch(d) = item.kind else {
        unreachable!()
    };
    let body: serde_json::Value = serde_json::from_str(d.d()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"content":"raw","author":{"user_openid":"U1"}})
    );

    let (out, err, code) = run(h.bare().args([
        "emulate",
        "fault",
        "session_timeout",
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("session_timeout applied to 1 session(s)"),
        "{out}"
    );
    next_matching(&h, &mut rx, |i| matches!(i.kind, ItemKind::Resumed { .. }));

    let (out, err, code) =
        run(h
            .bare()
            .args(["--json", "emulate", "state", "--emulator-url", &url]));
    assert_eq!(code, 0, "{err}");
    let state: serde_json::Value = serde_json::from_str(&out).expect("state is JSON");
    assert_eq!(state["sessions"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["sessions"][0]["resumes"], 1, "{state}");

    let (out, err, code) = run(h.bare().args(["emulate", "state", "--emulator-url", &url]));
    assert_eq!(code, 0, "{err}");
    let id = state["sessions"][0]["id"].as_str().unwrap();
    assert!(out.contains(id), "{out}");
    // Numbers are right-aligned under their headings.
    let header = out.lines().next().unwrap();
    let row = out.lines().find(|l| l.starts_with(id)).unwrap();
    let seq = state["sessions"][0]["seq"].to_string();
    let end = header.find("SEQ").unwrap() + 3;
    assert_eq!(&row[end - seq.len()..end], seq, "{out}");
    assert!(out.contains("0 message(s) sent by the bot"), "{out}");

    h.rt.block_on(async { tokio::time::timeout(WAIT, cluster.shutdown()).await })
        .expect("cluster stops");
}

#[test]
fn control_commands_fail_clearly() {
    let h = Harness::start(quiet());
    let url = h.emu.api_base();
    let (_, err, code) =
        run(h
            .bare()
            .args(["emulate", "fault", "explode", "--emulator-url", &url]));
    assert_eq!(code, 1);
    assert!(
        err.starts_with("qqbot: error: unknown fault kind `explode`"),
        "{err}"
    );
    assert!(err.contains("hint: kinds: reconnect"), "{err}");

    // A port nothing listens on: bind one, then free it.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let (_, err, code) = run(h.bare().args(["emulate", "state", "--emulator-url", &dead]));
    assert_eq!(code, 1);
    assert!(
        err.starts_with("qqbot: error: cannot reach the emulator at"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");

    let (_, _, code) = run(h.bare().args(["emulate", "dispatch"]));
    assert_eq!(code, 2, "a missing EVENT_TYPE is a usage error");
    let (_, _, code) = run(h.bare().args([
        "emulate",
        "dispatch",
        "AT_MESSAGE_CREATE",
        "--data",
        "[1]",
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 2, "--data must be an object");
}

#[allow(dead_code)]
#[path = "../examples/ping_bot.rs"]
mod ping_bot;

/// `dispatch --wait-reply`: the debugging loop in one command. The example bot, connected
/// through the library's `Client`, answers `/ping`; the command prints its reply, and fails
/// (exit 1) when no reply comes or no session took the event.
#[test]
fn dispatch_waits_for_the_bots_reply_and_prints_it() {
    use qqbot::client::{Client, Environment, Token};
    let h = Harness::start(quiet());
    let url = h.emu.api_base();
    let mut signals = h.emu.subscribe();
    let token = Token::new(h.emu.config().app_id.clone(), h.emu.config().secret.clone());
    let intents = Intents::parse("public_guild_messages,group_and_c2c_event").unwrap();
    let client = std::sync::Arc::new(
        Client::new(token, intents, ping_bot::PingBot, Environment::Production)
            .with_api_base(h.emu.api_base())
            .with_token_url(h.emu.token_url()),
    );
    let running = h.rt.spawn({
        let client = std::sync::Arc::clone(&client);
        async move { client.start().await }
    });
    h.rt.block_on(async {
        tokio::time::timeout(WAIT, async {
            loop {
                match signals.recv().await {
                    Ok(qqbot::emulator::EmulatorEvent::Identified { .. }) => return,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(e) => panic!("{e}"),
                }
            }
        })
        .await
        .expect("the bot identifies")
    });

    let (out, err, code) = run(h.bare().args([
        "emulate",
        "dispatch",
        "GROUP_AT_MESSAGE_CREATE",
        "--content",
        "/ping",
        "--group",
        "G1",
        "--wait-reply",
        "10s",
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("GROUP_AT_MESSAGE_CREATE ROBOT1.0_"),
        "{out}"
    );
    assert!(lines[0].ends_with("delivered to 1 session(s)"), "{out}");
    assert!(lines[1].starts_with("reply after "), "{out}");
    assert!(lines[1].ends_with("group G1 200 pong"), "{out}");

    // JSON: the reply object as the state lists it.
    let (out, err, code) = run(h.bare().args([
        "--json",
        "emulate",
        "dispatch",
        "C2C_MESSAGE_CREATE",
        "--content",
        "/ping",
        "--user",
        "U1",
        "--wait-reply",
        "10s",
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 0, "{err}");
    let reply: serde_json::Value = serde_json::from_str(out.lines().nth(1).unwrap()).unwrap();
    assert_eq!(reply["reply"]["route"], "c2c", "{reply}");
    assert_eq!(reply["reply"]["target"], "U1", "{reply}");
    assert_eq!(reply["reply"]["content"], "pong", "{reply}");

    // A message the bot ignores: no reply within the wait.
    let (_, err, code) = run(h.bare().args([
        "emulate",
        "dispatch",
        "GROUP_AT_MESSAGE_CREATE",
        "--content",
        "hello",
        "--wait-reply",
        "300ms",
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("the bot did not reply to the GROUP_AT_MESSAGE_CREATE within 300ms"),
        "{err}"
    );
    // An event the bot's intents do not cover reaches no session: said at once.
    let (_, err, code) = run(h.bare().args([
        "emulate",
        "dispatch",
        "GUILD_MEMBER_ADD",
        "--wait-reply",
        "10s",
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 1);
    assert!(
        err.contains("no session took the GUILD_MEMBER_ADD"),
        "{err}"
    );

    running.abort();
}

/// Without `--guild`/`--channel`, `dispatch` writes about the running emulator's own world, so
/// the guild, channel and message of what it delivered can be read back through the OpenAPI;
/// `--json` says what was delivered.
#[test]
fn dispatched_events_name_the_emulators_own_guilds_and_channels() {
    let mut h = Harness::start(quiet());
    h.connect_bot();
    let url = h.emu.api_base();
    let (out, err, code) = run(h.bare().args([
        "--json",
        "emulate",
        "dispatch",
        "AT_MESSAGE_CREATE",
        "--content",
        "hi",
        "--emulator-url",
        &url,
    ]));
    assert_eq!(code, 0, "{err}");
    let answer: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(answer["delivered"], 1, "{answer}");
    assert_eq!(answer["t"], "AT_MESSAGE_CREATE");
    let d = &answer["d"];
    let (guild, channel, id) = (
        d["guild_id"].as_str().unwrap(),
        d["channel_id"].as_str().unwrap(),
        d["id"].as_str().unwrap(),
    );
    let config = h.emu.config().clone();
    let statuses = h.rt.block_on(async {
        let http = reqwest::Client::new();
        let token: serde_json::Value = http
            .post(h.emu.token_url())
            .json(&serde_json::json!({"appId": config.app_id, "clientSecret": config.secret.expose()}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let auth = format!("QQBot {}", token["access_token"].as_str().unwrap());
        let mut statuses = Vec::new();
        for path in [
            format!("/guilds/{guild}"),
            format!("/channels/{channel}"),
            format!("/channels/{channel}/messages/{id}"),
        ] {
            let status = http
                .get(format!("{url}{path}"))
                .header("Authorization", &auth)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            statuses.push((path, status));
        }
        statuses
    });
    for (path, status) in statuses {
        assert_eq!(status, 200, "GET {path}");
    }
}
