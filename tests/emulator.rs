//! Gateway conformance tests: a raw WebSocket client against the emulator on loopback.

#[path = "emulator_support/mod.rs"]
mod support;

use std::time::Duration;

use qqbot::emulator::{EmulatorConfig, EmulatorEvent, Fault, FaultTarget, Scenario, fault_period};
use qqbot::protocol::Intents;
use serde_json::{Value, json};
use support::{ALL_INTENTS, Client, Next, identified, quiet, skip, start, token, wait_for};

const AT: u64 = 1 << 30;
const GROUP_C2C: u64 = 1 << 25;

fn guild_msg(content: &str) -> Value {
    json!({"id": format!("m-{content}"), "channel_id": "100", "guild_id": "18700000000001", "content": content,
           "author": {"id": "1234", "username": "abc", "bot": false}})
}

#[tokio::test]
async fn hello_comes_first_and_ready_has_the_documented_shape() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    assert_eq!(c.hello().await, 41_250);
    c.send_identify(&tok, AT, Some([2, 4])).await;
    let ready = c.frame().await;
    assert_eq!(ready["op"], 0);
    assert_eq!(ready["s"], 1);
    assert_eq!(ready["t"], "READY");
    assert!(
        ready["id"].as_str().unwrap().starts_with("READY:"),
        "{ready}"
    );
    let d = &ready["d"];
    assert_eq!(d["version"], 1);
    let session_id = d["session_id"].as_str().unwrap();
    assert_eq!(session_id.len(), 36, "uuid session id: {session_id}");
    let user_id = d["user"]["id"].as_str().expect("user.id is a string");
    assert!(user_id.parse::<u64>().is_ok(), "numeric: {user_id}");
    assert_eq!(d["user"]["bot"], true);
    assert!(d["user"]["username"].is_string());
    assert_eq!(d["shard"], json!([2, 4]));
    let sessions = emu.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].id, session_id);
    assert_eq!(sessions[0].shard, [2, 4]);
    assert!(sessions[0].connected);
}

#[tokio::test]
async fn identify_sent_before_hello_is_read_works_like_botgo() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    // botgo's exact shape, sent without reading Hello.
    c.send_text(&format!(
        r#"{{"op":2,"d":{{"token":"QQBot {tok}","intents":{AT},"shard":[0,1],"properties":{{}}}},"Session":null}}"#
    ))
    .await;
    assert_eq!(c.frame().await["op"], 10);
    let ready = c.frame().await;
    assert_eq!(ready["t"], "READY");
    assert_eq!(ready["d"]["shard"], json!([0, 1]));
}

#[tokio::test]
async fn lenient_identify_shapes_are_accepted() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let shapes = [
        // botrs: t/s null, shard null, properties filled.
        format!(
            r#"{{"t":null,"d":{{"token":"QQBot {tok}","intents":1,"shard":null,"properties":{{"$os":"linux"}}}},"s":null,"op":2}}"#
        ),
        // satori / qqbot-nodejs: no properties.
        format!(r#"{{"op":2,"d":{{"token":"QQBot {tok}","intents":1,"shard":[0,1]}}}}"#),
        // no shard at all, properties as a string.
        format!(r#"{{"op":2,"d":{{"token":"QQBot {tok}","intents":1,"properties":"x"}}}}"#),
    ];
    for shape in shapes {
        let mut c = Client::connect(&emu).await;
        c.hello().await;
        c.send_text(&shape).await;
        let ready = c.frame().await;
        assert_eq!(ready["t"], "READY", "{shape}");
        assert_eq!(ready["d"]["shard"], json!([0, 1]), "{shape}");
    }
}

#[tokio::test]
async fn heartbeats_are_acked_in_every_client_shape() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut events = emu.subscribe();
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    // Before Identify too.
    c.send(json!({"op": 1, "d": null})).await;
    assert_eq!(c.frame().await, json!({"op": 11}));
    c.send_identify(&tok, AT, None).await;
    c.frame().await;
    for hb in [
        json!({"op": 1, "d": 1}),
        json!({"op": 1, "d": 0, "Session": null}),
        json!({"op": 1, "s": 1}),
        json!({"op": 1}),
    ] {
        c.send(hb.clone()).await;
        assert_eq!(c.frame().await["op"], 11, "{hb}");
    }
    let hb = wait_for(&mut events, |e| {
        matches!(
            e,
            EmulatorEvent::HeartbeatReceived {
                session_id: Some(_),
                seq: Some(1)
            }
        )
    })
    .await;
    assert!(matches!(hb, EmulatorEvent::HeartbeatReceived { .. }));
    assert_eq!(
        emu.sessions()[0].last_heartbeat,
        None,
        "the last beat carried no seq"
    );
}

#[tokio::test]
async fn dispatches_have_strictly_increasing_s_and_typed_ids() {
    let emu = start(quiet()).await;
    let mut c = identified(&emu).await;
    let types = [
        "AT_MESSAGE_CREATE",
        "GROUP_AT_MESSAGE_CREATE",
        "C2C_MESSAGE_CREATE",
        "INTERACTION_CREATE",
    ];
    for t in types {
        assert_eq!(emu.inject(t, json!({"content": t})), 1);
    }
    for (i, t) in types.iter().enumerate() {
        let f = c.frame().await;
        assert_eq!(f["op"], 0);
        assert_eq!(f["s"], i as u64 + 2, "{f}");
        assert_eq!(f["t"], *t);
        let id = f["id"].as_str().unwrap();
        assert!(id.starts_with(&format!("{t}:")), "{id}");
        assert_eq!(id.len(), t.len() + 1 + 36, "{id}");
        assert_eq!(f["d"]["content"], *t);
    }
    assert_eq!(emu.sessions()[0].seq, 5);
}

/// The platform's encoder writes `<`, `>` and `&` inside strings as `\u003c`, `\u003e` and
/// `\u0026` (real captures); the emulator's frames carry the same escapes and decode to what was
/// injected.
#[tokio::test]
async fn dispatches_escape_html_characters_as_the_platform_does() {
    let emu = start(quiet()).await;
    let mut c = identified(&emu).await;
    let mut d = guild_msg("<@!6158788878435714165> a&b > c");
    d["author"]["avatar"] = json!("http://thirdqq.qlogo.cn/g?b=oidb&k=x&s=100");
    assert_eq!(emu.inject("AT_MESSAGE_CREATE", d.clone()), 1);
    let raw = c.raw_frame().await;
    assert!(
        raw.contains(r#""content":"\u003c@!6158788878435714165\u003e a\u0026b \u003e c""#),
        "{raw}"
    );
    assert!(
        raw.contains(r#""avatar":"http://thirdqq.qlogo.cn/g?b=oidb\u0026k=x\u0026s=100""#),
        "{raw}"
    );
    assert!(!raw.contains(['<', '>', '&']), "{raw}");
    let frame: Value = serde_json::from_str(&raw).expect("valid JSON");
    assert_eq!(frame["d"], d);
}

#[tokio::test]
async fn only_sessions_whose_intents_cover_the_event_get_it() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut guild_only = Client::connect(&emu).await;
    guild_only.identify(&tok, AT, None).await;
    let mut group_only = Client::connect(&emu).await;
    group_only.identify(&tok, GROUP_C2C, None).await;
    assert_eq!(
        emu.inject("GROUP_AT_MESSAGE_CREATE", json!({"group_openid": "G"})),
        1
    );
    assert_eq!(emu.inject("AT_MESSAGE_CREATE", guild_msg("a")), 1);
    assert_eq!(
        emu.inject("MESSAGE_CREATE", guild_msg("b")),
        0,
        "GUILD_MESSAGES not requested"
    );
    assert_eq!(guild_only.frame().await["t"], "AT_MESSAGE_CREATE");
    let f = group_only.frame().await;
    assert_eq!(
        (f["t"].as_str(), f["s"].as_u64()),
        (Some("GROUP_AT_MESSAGE_CREATE"), Some(2))
    );
}

#[tokio::test]
async fn guild_events_are_routed_by_the_documented_shard_formula() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut s0 = Client::connect(&emu).await;
    s0.identify(&tok, AT, Some([0, 2])).await;
    let mut s1 = Client::connect(&emu).await;
    s1.identify(&tok, AT, Some([1, 2])).await;
    let even = (2u64 << 22) | 5; // (id >> 22) % 2 == 0
    let odd = (3u64 << 22) | 5; // (id >> 22) % 2 == 1
    assert_eq!(
        emu.inject(
            "AT_MESSAGE_CREATE",
            json!({"guild_id": odd.to_string(), "content": "odd"})
        ),
        1
    );
    assert_eq!(
        emu.inject(
            "AT_MESSAGE_CREATE",
            json!({"guild_id": even.to_string(), "content": "even"})
        ),
        1
    );
    assert_eq!(s1.frame().await["d"]["content"], "odd");
    assert_eq!(s0.frame().await["d"]["content"], "even");
}

/// The heart of the emulator: op 7 + 4009, events while disconnected, resume with replay.
#[tokio::test]
async fn session_timeout_then_resume_loses_and_duplicates_nothing() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, ALL_INTENTS, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    let mut seen = vec![1u64];
    for i in 0..2 {
        emu.inject("AT_MESSAGE_CREATE", guild_msg(&format!("live-{i}")));
        seen.push(c.frame().await["s"].as_u64().unwrap());
    }
    let mut events = emu.subscribe();
    // Nothing else happens until the 30 min session timeout (virtual time).
    skip(Duration::from_secs(30 * 60)).await;
    assert_eq!(c.frame().await, json!({"op": 7}));
    assert_eq!(c.closed().await, (4009, "Session timed out".to_owned()));
    wait_for(&mut events, |e| {
        matches!(
            e,
            EmulatorEvent::Closed {
                code: Some(4009),
                ..
            }
        )
    })
    .await;
    drop(c);
    let snapshot = &emu.sessions()[0];
    assert!(!snapshot.connected);

    // Events arriving while disconnected are buffered.
    let mut missed_ids = Vec::new();
    for i in 0..3 {
        assert_eq!(
            emu.inject("AT_MESSAGE_CREATE", guild_msg(&format!("missed-{i}"))),
            1
        );
        missed_ids.push(format!("m-missed-{i}"));
    }

    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_resume(&tok, &session_id, *seen.last().unwrap())
        .await;
    for (i, id) in missed_ids.iter().enumerate() {
        let f = c.frame().await;
        assert_eq!(f["s"], 4 + i as u64, "original s kept: {f}");
        assert_eq!(f["d"]["id"], *id);
        seen.push(f["s"].as_u64().unwrap());
    }
    let resumed = c.frame().await;
    assert_eq!(resumed["t"], "RESUMED");
    assert_eq!(resumed["d"], "");
    assert_eq!(resumed["s"], 7);
    seen.push(7);
    emu.inject("AT_MESSAGE_CREATE", guild_msg("after"));
    seen.push(c.frame().await["s"].as_u64().unwrap());
    assert_eq!(seen, (1..=8).collect::<Vec<_>>(), "no gap, no duplicate");
    let snapshot = &emu.sessions()[0];
    assert_eq!(
        (snapshot.resumes, snapshot.connected, snapshot.seq),
        (1, true, 8)
    );
    assert_eq!(
        emu.session_start_remaining(),
        999,
        "a resume is not a new session"
    );
}

#[tokio::test]
async fn resume_replays_exactly_what_follows_the_given_seq_with_the_original_frames() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut events = emu.subscribe();
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, ALL_INTENTS, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    let mut originals = Vec::new();
    for i in 0..4 {
        emu.inject(
            "C2C_MESSAGE_CREATE",
            json!({"n": i, "author": {"user_openid": "U"}}),
        );
        originals.push(c.frame().await);
    }
    c.close().await;
    wait_for(&mut events, |e| {
        matches!(e, EmulatorEvent::Disconnected { .. })
    })
    .await;
    // The client says it only processed s = 3; it gets 4 and 5 again, byte-identical.
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_resume(&tok, &session_id, 3).await;
    assert_eq!(c.frame().await, originals[2]);
    assert_eq!(c.frame().await, originals[3]);
    let resumed = c.frame().await;
    assert_eq!(
        (resumed["t"].as_str(), resumed["s"].as_u64()),
        (Some("RESUMED"), Some(6))
    );
    let replayed = wait_for(&mut events, |e| matches!(e, EmulatorEvent::Resumed { .. })).await;
    assert_eq!(
        replayed,
        EmulatorEvent::Resumed {
            session_id,
            replayed: 2
        }
    );
}

#[tokio::test]
async fn botgo_bare_token_resume_is_accepted() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, AT, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    drop(c);
    let mut c = Client::connect(&emu).await;
    c.send(
        json!({"op": 6, "d": {"token": tok, "session_id": session_id, "seq": 1}, "Session": null}),
    )
    .await;
    assert_eq!(c.frame().await["op"], 10);
    let resumed = c.frame().await;
    assert_eq!(
        (resumed["t"].as_str(), resumed["s"].as_u64()),
        (Some("RESUMED"), Some(2))
    );
}

#[tokio::test]
async fn unknown_session_resume_gets_op9_then_4006() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_resume(&tok, "00000000-0000-0000-0000-000000000000", 5)
        .await;
    assert_eq!(c.frame().await, json!({"op": 9, "d": false}));
    assert_eq!(c.closed().await.0, 4006);
}

#[tokio::test]
async fn sessions_expire_after_the_resume_window() {
    let emu = start(EmulatorConfig {
        resume_window: Duration::from_secs(60),
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let mut events = emu.subscribe();
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, AT, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    c.close().await;
    wait_for(&mut events, |e| {
        matches!(e, EmulatorEvent::Disconnected { .. })
    })
    .await;
    assert_eq!(emu.sessions().len(), 1);
    skip(Duration::from_secs(61)).await;
    assert_eq!(emu.inject("AT_MESSAGE_CREATE", guild_msg("late")), 0);
    assert!(emu.sessions().is_empty());
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_resume(&tok, &session_id, 1).await;
    assert_eq!(c.frame().await, json!({"op": 9, "d": false}));
    assert_eq!(c.closed().await.0, 4006);
}

#[tokio::test]
async fn resume_reject_scenario_closes_4902() {
    let emu = start(EmulatorConfig {
        scenario: Scenario::ResumeReject,
        rate: 0.0,
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, AT, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    drop(c);
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_resume(&tok, &session_id, 1).await;
    assert_eq!(c.frame().await, json!({"op": 9, "d": false}));
    assert_eq!(c.closed().await, (4902, "reset by resume".to_owned()));
}

#[tokio::test]
async fn ungranted_intents_get_op9_false_then_4903() {
    let emu = start(EmulatorConfig {
        grant: Intents::default_granted(),
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_identify(&tok, (1 << 12) | (1 << 25) | (1 << 30), None)
        .await;
    assert_eq!(c.frame().await, json!({"op": 9, "d": false}));
    assert_eq!(c.closed().await, (4903, "create session error".to_owned()));
    assert!(emu.sessions().is_empty());
    assert_eq!(
        emu.session_start_remaining(),
        1000,
        "a refused identify starts no session"
    );
    // The default intents are fine.
    let mut c = Client::connect(&emu).await;
    c.identify(&tok, Intents::default_granted().bits(), None)
        .await;
}

#[tokio::test]
async fn invalid_intents_scenario_grants_only_the_defaults() {
    let emu = start(EmulatorConfig {
        scenario: Scenario::InvalidIntents,
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_identify(&tok, GROUP_C2C, None).await;
    assert_eq!(c.frame().await["op"], 9);
    assert_eq!(c.closed().await.0, 4903);
}

#[tokio::test]
async fn bad_token_closes_4004() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    for bad in [
        format!("QQBot {tok}x"),
        tok.clone(),
        format!("Bot {}.{tok}", emu.config().app_id),
    ] {
        let mut c = Client::connect(&emu).await;
        c.hello().await;
        c.send(json!({"op": 2, "d": {"token": bad, "intents": AT}}))
            .await;
        assert_eq!(c.closed().await.0, 4004, "{bad}");
    }
}

#[tokio::test]
async fn identify_faster_than_max_concurrency_is_accepted_with_a_warning_by_default() {
    let emu = start(EmulatorConfig {
        max_concurrency: 1,
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let mut first = Client::connect(&emu).await;
    first.identify(&tok, AT, None).await;
    assert!(emu.warnings().is_empty());
    let mut second = Client::connect(&emu).await;
    second.identify(&tok, AT, None).await;
    assert_eq!(emu.sessions().len(), 2);
    let warnings = emu.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].kind, "identify_rate");
    assert_eq!(warnings[0].connection, 2);
    assert!(
        warnings[0].message.contains("4008"),
        "{}",
        warnings[0].message
    );
    let state: Value = support::http()
        .get(format!("{}/_emulator/state", emu.api_base()))
        .send()
        .await
        .expect("state request")
        .json()
        .await
        .expect("state json");
    assert_eq!(state["warnings"][0]["kind"], "identify_rate", "{state}");
    assert_eq!(state["warnings"][0]["connection"], 2, "{state}");
}

#[tokio::test]
async fn identify_faster_than_max_concurrency_gets_4008_when_strict() {
    let emu = start(EmulatorConfig {
        max_concurrency: 1,
        strict_identify_rate: true,
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let mut first = Client::connect(&emu).await;
    first.identify(&tok, AT, None).await;
    let mut second = Client::connect(&emu).await;
    second.hello().await;
    second.send_identify(&tok, AT, None).await;
    assert_eq!(second.closed().await.0, 4008);
    assert_eq!(emu.session_start_remaining(), 999);
    skip(Duration::from_secs(5)).await;
    let mut third = Client::connect(&emu).await;
    third.identify(&tok, AT, None).await;
    assert_eq!(emu.session_start_remaining(), 998);
}

#[tokio::test]
async fn malformed_frames_close_4002_and_unknown_ops_4001() {
    let emu = start(quiet()).await;
    let cases: [(&str, u16); 5] = [
        ("not json", 4002),
        (r#"[1,2]"#, 4002),
        (r#"{"op":"two"}"#, 4002),
        (r#"{"op":2,"d":{"intents":1}}"#, 4002),
        (r#"{"op":42,"d":{}}"#, 4001),
    ];
    for (text, code) in cases {
        let mut c = Client::connect(&emu).await;
        c.hello().await;
        c.send_text(text).await;
        assert_eq!(c.closed().await.0, code, "{text}");
    }
    // The emulator is still serving.
    let tok = token(&emu).await;
    Client::connect(&emu).await.identify(&tok, AT, None).await;
}

#[tokio::test]
async fn received_frames_are_recorded_with_tokens_redacted() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, AT, None).await;
    c.send(json!({"op": 1, "d": 1})).await;
    c.frame().await;
    let frames = emu.received_frames();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].op, Some(2));
    assert_eq!(frames[0].session_id, None);
    assert!(!frames[0].raw.contains(&tok), "{}", frames[0].raw);
    assert!(frames[0].raw.contains("QQBot ***"), "{}", frames[0].raw);
    assert_eq!(frames[1].op, Some(1));
    assert_eq!(
        frames[1].session_id.as_deref(),
        ready["d"]["session_id"].as_str()
    );
    assert!(!format!("{:?}", emu.config()).contains(emu.config().secret.expose()));
}

#[tokio::test]
async fn faults_reach_live_sessions() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, AT, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();

    // op 7 only: the connection stays usable.
    assert_eq!(emu.fault(FaultTarget::All, Fault::Reconnect), 1);
    assert_eq!(c.frame().await, json!({"op": 7}));
    c.send(json!({"op": 1, "d": 1})).await;
    assert_eq!(c.frame().await["op"], 11);

    // Stop and resume acks.
    let mut events = emu.subscribe();
    assert_eq!(
        emu.fault(FaultTarget::Session(session_id.clone()), Fault::StopAcks),
        1
    );
    c.send(json!({"op": 1, "d": 1})).await;
    wait_for(&mut events, |e| {
        matches!(e, EmulatorEvent::HeartbeatReceived { seq: Some(1), .. })
    })
    .await;
    emu.inject("AT_MESSAGE_CREATE", guild_msg("marker"));
    assert_eq!(
        c.frame().await["t"],
        "AT_MESSAGE_CREATE",
        "no ACK before the marker"
    );
    emu.fault(FaultTarget::All, Fault::ResumeAcks);
    c.send(json!({"op": 1, "d": 2})).await;
    assert_eq!(c.frame().await["op"], 11);

    // A custom close keeps the session resumable.
    assert_eq!(
        emu.fault(FaultTarget::Session("nope".into()), Fault::Drop),
        0
    );
    emu.fault(
        FaultTarget::All,
        Fault::Close {
            code: 4907,
            reason: "internal error".into(),
        },
    );
    assert_eq!(c.closed().await, (4907, "internal error".to_owned()));
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_resume(&tok, &session_id, 2).await;
    assert_eq!(c.frame().await["t"], "RESUMED");

    // TCP drop: no close frame.
    emu.fault(FaultTarget::All, Fault::Drop);
    assert_eq!(c.next().await, Next::Dropped);
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_resume(&tok, &session_id, 3).await;
    assert_eq!(c.frame().await["t"], "RESUMED");

    // Invalid session: op 9, close, and the session is gone.
    emu.fault(FaultTarget::All, Fault::InvalidSession);
    assert_eq!(c.frame().await, json!({"op": 9, "d": false}));
    assert_eq!(c.closed().await.0, 4006);
    assert!(emu.sessions().is_empty());
}

#[tokio::test]
async fn zombie_scenario_stops_acking_after_ready() {
    let emu = start(EmulatorConfig {
        scenario: Scenario::Zombie,
        rate: 0.0,
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    let mut events = emu.subscribe();
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send(json!({"op": 1, "d": null})).await;
    assert_eq!(c.frame().await["op"], 11, "acked before READY");
    c.send_identify(&tok, AT, None).await;
    assert_eq!(c.frame().await["t"], "READY");
    c.send(json!({"op": 1, "d": 1})).await;
    wait_for(&mut events, |e| {
        matches!(e, EmulatorEvent::HeartbeatReceived { seq: Some(1), .. })
    })
    .await;
    emu.inject("AT_MESSAGE_CREATE", guild_msg("marker"));
    assert_eq!(
        c.frame().await["t"],
        "AT_MESSAGE_CREATE",
        "the heartbeat was not acked"
    );
}

#[tokio::test]
async fn offline_and_banned_scenarios_close_on_identify() {
    for (scenario, code) in [(Scenario::Offline4914, 4914), (Scenario::Banned4915, 4915)] {
        let emu = start(EmulatorConfig {
            scenario,
            ..quiet()
        })
        .await;
        let tok = token(&emu).await;
        let mut c = Client::connect(&emu).await;
        c.hello().await;
        c.send_identify(&tok, AT, None).await;
        assert_eq!(c.closed().await.0, code, "{scenario}");
    }
}

#[tokio::test]
async fn rate_limit_scenario_refuses_the_first_two_connections() {
    let emu = start(EmulatorConfig {
        scenario: Scenario::RateLimit4008,
        rate: 0.0,
        max_concurrency: 1,
        ..quiet()
    })
    .await;
    let tok = token(&emu).await;
    for _ in 0..2 {
        let mut c = Client::connect(&emu).await;
        c.hello().await;
        c.send_identify(&tok, AT, None).await;
        assert_eq!(c.closed().await.0, 4008);
    }
    Client::connect(&emu).await.identify(&tok, AT, None).await;
    // The scenario is strict about Identify spacing too.
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_identify(&tok, AT, None).await;
    assert_eq!(c.closed().await, (4008, "rate limit".to_owned()));
    assert!(emu.warnings().is_empty());
}

#[tokio::test]
async fn periodic_fault_scenarios_fire_after_their_period() {
    let period = Duration::from_secs(20);
    assert_eq!(fault_period(period), period);
    assert_eq!(
        fault_period(Duration::from_secs(1800)),
        Duration::from_secs(5)
    );
    for scenario in [
        Scenario::SessionTimeout,
        Scenario::Drop,
        Scenario::ServerError49xx,
    ] {
        let emu = start(EmulatorConfig {
            scenario,
            rate: 0.0,
            session_timeout: period,
            ..quiet()
        })
        .await;
        let tok = token(&emu).await;
        let mut c = Client::connect(&emu).await;
        c.identify(&tok, AT, None).await;
        skip(period - Duration::from_millis(1)).await;
        emu.inject("AT_MESSAGE_CREATE", guild_msg("before the period"));
        assert_eq!(
            c.frame().await["t"],
            "AT_MESSAGE_CREATE",
            "{scenario}: nothing happened early"
        );
        skip(Duration::from_millis(1)).await;
        let next = c.next().await;
        match scenario {
            Scenario::SessionTimeout => {
                assert_eq!(next, Next::Frame(json!({"op": 7})));
                assert_eq!(c.closed().await.0, 4009);
            }
            Scenario::Drop => assert_eq!(next, Next::Dropped),
            _ => match next {
                Next::Closed(code, _) => assert!((4900..=4913).contains(&code), "{code}"),
                other => panic!("expected a 49xx close, got {other:?}"),
            },
        }
        assert!(
            !emu.sessions()[0].connected,
            "{scenario}: session kept for resume"
        );
    }
}

#[tokio::test]
async fn demo_traffic_is_deterministic_for_a_seed() {
    async fn first_events(seed: u64) -> Vec<(String, Value)> {
        let emu = start(EmulatorConfig {
            scenario: Scenario::Demo,
            seed,
            rate: 50.0,
            ..quiet()
        })
        .await;
        let tok = token(&emu).await;
        let mut c = Client::connect(&emu).await;
        c.identify(&tok, ALL_INTENTS, None).await;
        let mut out = Vec::new();
        while out.len() < 8 {
            let f = c.frame().await;
            if f["op"] == 0 {
                let mut d = f["d"].clone();
                for key in ["timestamp", "joined_at"] {
                    if let Some(obj) = d.as_object_mut() {
                        obj.remove(key);
                    }
                }
                out.push((f["id"].as_str().unwrap().to_owned(), d));
            }
        }
        emu.shutdown().await;
        out
    }
    let a = first_events(42).await;
    let b = first_events(42).await;
    let c = first_events(43).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[tokio::test]
async fn flood_scenario_streams_contiguous_sequence_numbers() {
    let emu = start(EmulatorConfig {
        scenario: Scenario::Flood,
        ..quiet()
    })
    .await;
    let mut c = identified(&emu).await;
    let mut events = emu.subscribe();
    for expected in 2..=2000u64 {
        let f = c.frame().await;
        assert_eq!(f["s"], expected);
        assert!(
            f["id"]
                .as_str()
                .unwrap()
                .starts_with(f["t"].as_str().unwrap())
        );
    }
    c.send(json!({"op": 1, "d": 2000})).await;
    // Keep reading while waiting: flood fills the socket as fast as it drains, and a client that
    // stopped reading would leave the emulator blocked on a full send buffer.
    let acked = async {
        let mut read = 0u64;
        loop {
            tokio::select! {
                _ = c.frame() => read += 1,
                event = events.recv() => {
                    if matches!(event, Ok(EmulatorEvent::HeartbeatReceived { seq: Some(2000), .. })) {
                        return read;
                    }
                }
            }
            assert!(read < 50_000_000, "bounded");
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), acked)
        .await
        .expect("the heartbeat was received");
    let snapshot = &emu.sessions()[0];
    assert!(snapshot.seq > 2000);
    assert_eq!(
        snapshot.seq - snapshot.buffered as u64,
        2000,
        "acknowledged frames are trimmed"
    );
}

#[tokio::test]
async fn signals_follow_the_session_lifecycle() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut events = emu.subscribe();
    let mut c = Client::connect(&emu).await;
    wait_for(&mut events, |e| {
        matches!(e, EmulatorEvent::Connected { connection: 1 })
    })
    .await;
    let ready = c.identify(&tok, AT, Some([0, 1])).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    let identified = wait_for(&mut events, |e| {
        matches!(e, EmulatorEvent::Identified { .. })
    })
    .await;
    assert_eq!(
        identified,
        EmulatorEvent::Identified {
            session_id: session_id.clone(),
            shard: [0, 1]
        }
    );
    emu.inject("AT_MESSAGE_CREATE", guild_msg("x"));
    let dispatched = wait_for(&mut events, |e| {
        matches!(e, EmulatorEvent::Dispatched { s: 2, .. })
    })
    .await;
    assert_eq!(
        dispatched,
        EmulatorEvent::Dispatched {
            session_id,
            s: 2,
            t: "AT_MESSAGE_CREATE".into()
        }
    );
    c.frame().await;
}

#[tokio::test]
async fn a_client_close_is_echoed_with_the_same_code() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    c.identify(&tok, AT, None).await;
    assert_eq!(
        c.close_with(4000, "bye").await,
        Next::Closed(4000, "bye".into())
    );
    // Before a login too.
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    assert_eq!(
        c.close_with(1000, "").await,
        Next::Closed(1000, String::new())
    );
}

#[tokio::test]
async fn shutdown_closes_connections() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    c.identify(&tok, AT, None).await;
    let addr = emu.addr();
    emu.shutdown().await;
    match c.next().await {
        Next::Closed(code, _) => assert_eq!(code, 1001),
        Next::Dropped => {}
        other => panic!("expected the connection to end, got {other:?}"),
    }
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );
}

#[tokio::test]
async fn resume_takes_over_a_half_open_connection() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut old = Client::connect(&emu).await;
    let ready = old.identify(&tok, AT, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    // The client believes the old connection is dead and resumes on a new one.
    let mut new = Client::connect(&emu).await;
    new.hello().await;
    new.send_resume(&tok, &session_id, 1).await;
    assert_eq!(new.frame().await["t"], "RESUMED");
    assert_eq!(old.next().await, Next::Dropped);
    assert_eq!(emu.inject("AT_MESSAGE_CREATE", guild_msg("after")), 1);
    let f = new.frame().await;
    assert_eq!(
        (f["s"].as_u64(), f["d"]["content"].as_str()),
        (Some(3), Some("after"))
    );
    let snapshot = &emu.sessions()[0];
    assert_eq!((snapshot.connected, snapshot.resumes), (true, 1));
}

#[tokio::test]
async fn resume_with_a_seq_from_the_future_closes_4007() {
    let emu = start(quiet()).await;
    let tok = token(&emu).await;
    let mut c = Client::connect(&emu).await;
    let ready = c.identify(&tok, AT, None).await;
    let session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
    drop(c);
    let mut c = Client::connect(&emu).await;
    c.hello().await;
    c.send_resume(&tok, &session_id, 99).await;
    assert_eq!(c.closed().await.0, 4007);
}
