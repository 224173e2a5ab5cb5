//! `qqbot send` through the real binary against the emulator: every target type, passive replies
//! with msg_seq remembered across runs, the reply limit, the reply window warning, proactive
//! refusals, token refresh, media uploads and error explanations with trace ids.

mod cli_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration as ChronoDuration, Utc};
use cli_support::{Harness, quiet, run};
use serde_json::{Value, json};

fn group_message(h: &Harness, msg_id: &str, group: &str) {
    h.inject(
        "GROUP_AT_MESSAGE_CREATE",
        json!({
            "id": msg_id, "group_openid": group, "content": " hi",
            "timestamp": Utc::now().to_rfc3339(),
            "author": {"member_openid": "M1", "id": "M1"},
        }),
    );
}

fn sends_to(h: &Harness, route: &str) -> Vec<qqbot::emulator::SentMessage> {
    h.emu
        .sent_messages()
        .into_iter()
        .filter(|m| m.route == route)
        .collect()
}

#[test]
fn group_replies_get_msg_seq_1_2_3_across_separate_runs() {
    let h = Harness::start(quiet());
    group_message(&h, "ROBOT1.0_m1!", "G1");
    for n in 1..=3 {
        let (stdout, stderr, code) = run(h.qqbot().args([
            "send",
            "--group",
            "G1",
            "--reply-to",
            "ROBOT1.0_m1!",
            &format!("reply {n}"),
        ]));
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.trim().starts_with("ROBOT1.0_"), "{stdout}");
        assert!(
            stderr.contains(&format!("msg_seq {n}, reply {n} of 5")),
            "{stderr}"
        );
    }
    let sent = sends_to(&h, "group");
    let seqs: Vec<_> = sent.iter().map(|m| m.msg_seq).collect();
    assert_eq!(seqs, [Some(1), Some(2), Some(3)]);
    assert!(sent.iter().all(|m| m.code == 0), "{sent:?}");
    assert!(sent.iter().all(|m| m.msg_type == Some(0)));
}

#[test]
fn the_sixth_reply_is_refused_by_the_platform_and_explained_with_the_trace_id() {
    let h = Harness::start(quiet());
    group_message(&h, "ROBOT1.0_m6!", "G6");
    for n in 1..=5 {
        let (_, stderr, code) = run(h.qqbot().args([
            "send",
            "--group",
            "G6",
            "--reply-to",
            "ROBOT1.0_m6!",
            &format!("r{n}"),
        ]));
        assert_eq!(code, 0, "{stderr}");
    }
    let (stdout, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G6",
        "--reply-to",
        "ROBOT1.0_m6!",
        "one too many",
    ]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("qqbot: warning: this would be reply 6"),
        "{stderr}"
    );
    // Not a rate limit: the message's five replies are used up, and waiting does not help.
    assert!(
        stderr.contains("qqbot: error: the platform refused the reply: message ROBOT1.0_m6! has used up its 5 passive replies (22009)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("caused by: sent with msg_seq 6"),
        "{stderr}"
    );
    assert!(stderr.contains("[trace "), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(!stderr.contains("retry after"), "{stderr}");
    assert!(!stderr.contains("rate limited"), "{stderr}");
    let last = sends_to(&h, "group").pop().unwrap();
    assert_eq!((last.code, last.msg_seq), (22009, Some(6)));

    // --json: the failure is also one JSON object on stdout.
    let (stdout, stderr, code) = run(h.qqbot().args([
        "send",
        "--json",
        "--group",
        "G6",
        "--reply-to",
        "ROBOT1.0_m6!",
        "still too many",
    ]));
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).expect("one JSON object on stdout");
    assert_eq!(v["status"], "error");
    assert_eq!(v["exit"], 1);
    assert_eq!(v["code"], 22009);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("used up its 5 passive replies"),
        "{v}"
    );
    assert!(v["trace_id"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
    assert!(v["causes"].as_array().is_some_and(|c| !c.is_empty()), "{v}");
    assert!(v["hint"].is_string(), "{v}");
}

#[test]
fn c2c_reply_with_json_output() {
    let h = Harness::start(quiet());
    h.inject(
        "C2C_MESSAGE_CREATE",
        json!({"id": "ROBOT1.0_c1!", "content": "hello", "author": {"user_openid": "U1"},
               "timestamp": Utc::now().to_rfc3339()}),
    );
    let (stdout, stderr, code) = run(h.qqbot().args([
        "send",
        "--json",
        "--user",
        "U1",
        "--reply-to",
        "ROBOT1.0_c1!",
        "pong",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["status"], "sent");
    assert_eq!(v["scene"], "c2c");
    assert_eq!(v["msg_seq"], 1);
    assert!(v["id"].as_str().unwrap().starts_with("ROBOT1.0_"));
    assert!(v["ref_idx"].as_str().unwrap().starts_with("REFIDX_"));
    let sent = sends_to(&h, "c2c");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].content.as_deref(), Some("pong"));
}

#[test]
fn content_from_stdin() {
    let h = Harness::start(quiet());
    group_message(&h, "ROBOT1.0_stdin!", "G9");
    let (_, stderr, code) = run(h
        .qqbot()
        .args([
            "send",
            "--group",
            "G9",
            "--reply-to",
            "ROBOT1.0_stdin!",
            "-",
        ])
        .write_stdin("from stdin\n"));
    assert_eq!(code, 0, "{stderr}");
    let sent = sends_to(&h, "group");
    assert_eq!(sent[0].content.as_deref(), Some("from stdin"));
}

#[test]
fn guild_channel_and_dm_sends_need_a_live_gateway_session() {
    let mut h = Harness::start(quiet());
    let (_, stderr, code) = run(h.qqbot().args(["send", "--channel", "C1", "hello"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("bot not connected to the gateway (SESSION_NOT_EXIST) (304018)"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: guild sends need a live gateway session"));

    h.connect_bot();
    let (stdout, stderr, code) = run(h.qqbot().args(["send", "--channel", "C1", "hello"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.trim().is_empty());
    let (_, stderr, code) = run(h.qqbot().args(["send", "--dm", "D1", "psst"]));
    assert_eq!(code, 0, "{stderr}");
    let channel = sends_to(&h, "channel");
    assert_eq!(channel.last().unwrap().code, 0);
    assert_eq!(channel.last().unwrap().target, "C1");
    let dm = sends_to(&h, "dm");
    assert_eq!((dm[0].code, dm[0].target.as_str()), (0, "D1"));
}

#[test]
fn a_reply_time_past_the_window_warns_before_sending() {
    let h = Harness::start(quiet());
    group_message(&h, "ROBOT1.0_old!", "G2");
    let ten_min_ago = (Utc::now() - ChronoDuration::minutes(10)).to_rfc3339();
    let (_, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G2",
        "--reply-to",
        "ROBOT1.0_old!",
        "--reply-time",
        &ten_min_ago,
        "late",
    ]));
    // The emulator saw the message just now, so it accepts; the local check only warns.
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("qqbot: warning: the reply window closed 5m"),
        "{stderr}"
    );
    assert!(stderr.contains("40034005"), "{stderr}");

    // Inside the window: the time left is shown, no warning.
    let (_, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G2",
        "--reply-to",
        "ROBOT1.0_old!",
        "--reply-time",
        &Utc::now().to_rfc3339(),
        "on time",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("reply window: 4m") || stderr.contains("reply window: 5m"));
    assert!(!stderr.contains("warning"), "{stderr}");

    let (_, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G2",
        "--reply-to",
        "ROBOT1.0_old!",
        "--reply-time",
        "yesterday",
        "x",
    ]));
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn an_unknown_msg_id_is_explained() {
    let h = Harness::start(quiet());
    let (_, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G3",
        "--reply-to",
        "ROBOT1.0_never!",
        "hi",
    ]));
    assert_eq!(code, 1);
    assert!(stderr.contains("msg_id invalid or not yours"), "{stderr}");
    assert!(stderr.contains("40034024"), "{stderr}");
    assert!(stderr.contains("[trace "), "{stderr}");
}

#[test]
fn proactive_group_and_c2c_sends_are_refused_locally_and_force_reaches_the_platform() {
    let h = Harness::start(quiet());
    for target in ["--group", "--user"] {
        let (_, stderr, code) = run(h.qqbot().args(["send", target, "X1", "hello"]));
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("discontinued on 2025-04-21"), "{stderr}");
        assert!(stderr.contains("--reply-to"), "{stderr}");
    }
    assert!(
        h.emu.sent_messages().is_empty(),
        "nothing reached the platform"
    );

    let (_, stderr, code) = run(h
        .qqbot()
        .args(["send", "--group", "X1", "--force", "hello"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("40034102"), "{stderr}");
    assert!(stderr.contains("discontinued on 2025-04-21"), "{stderr}");
    let sent = h.emu.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].code, 40034102);
}

#[test]
fn media_by_url_is_uploaded_then_sent_as_msg_type_7_and_local_files_are_refused() {
    let h = Harness::start(quiet());
    group_message(&h, "ROBOT1.0_img!", "G4");
    let (_, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G4",
        "--reply-to",
        "ROBOT1.0_img!",
        "--image",
        "https://example.com/cat.png",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(sends_to(&h, "group_file").len(), 1);
    let sent = sends_to(&h, "group");
    assert_eq!(sent[0].msg_type, Some(7));

    let (_, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G4",
        "--reply-to",
        "ROBOT1.0_img!",
        "--file",
        "./cat.png",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("needs a public URL"), "{stderr}");
    assert!(stderr.contains("file_data"), "{stderr}");
}

#[test]
fn usage_errors() {
    let h = Harness::start(quiet());
    let (_, _, code) = run(h.qqbot().args(["send", "hello"]));
    assert_eq!(code, 2, "a target is required");
    let (_, _, code) = run(h.qqbot().args(["send", "--group", "a", "--user", "b", "x"]));
    assert_eq!(code, 2, "only one target");
    let (_, stderr, code) = run(h
        .qqbot()
        .args(["send", "--channel", "c", "--keyboard", "{", "x"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--keyboard is not valid JSON"), "{stderr}");
    let (_, stderr, code) = run(h.bare().args(["send", "--channel", "c", "x"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("no bot credentials"), "{stderr}");
}

/// A token endpoint that hands out a stale token first, then forwards to the emulator.
#[test]
fn a_stale_token_is_refreshed_once_on_11244() {
    let h = Harness::start(quiet());
    group_message(&h, "ROBOT1.0_tok!", "G5");
    let calls = Arc::new(AtomicUsize::new(0));
    let upstream = h.emu.token_url();
    let app = {
        let calls = calls.clone();
        axum::Router::new().route(
            "/token",
            axum::routing::post(move |body: axum::body::Bytes| {
                let calls = calls.clone();
                let upstream = upstream.clone();
                async move {
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        return axum::Json(
                            json!({"access_token": "stale-token", "expires_in": "7200"}),
                        );
                    }
                    let v: Value = reqwest::Client::new()
                        .post(upstream)
                        .header("Content-Type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    axum::Json(v)
                }
            }),
        )
    };
    let listener =
        h.rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
    let addr = listener.local_addr().unwrap();
    h.rt.spawn(async move { axum::serve(listener, app).await });
    let (_, stderr, code) = run(h
        .bare()
        .env("QQBOT_APP_ID", &h.emu.config().app_id)
        .env("QQBOT_SECRET", qqbot::emulator::DEFAULT_SECRET)
        .args(["--api-base", &h.emu.api_base()])
        .args(["--token-url", &format!("http://{addr}/token")])
        .args([
            "send",
            "--group",
            "G5",
            "--reply-to",
            "ROBOT1.0_tok!",
            "after refresh",
        ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one refresh after 11244");
    let sent = sends_to(&h, "group");
    assert_eq!(sent.iter().filter(|m| m.code == 0).count(), 1, "{sent:?}");
    assert_eq!(
        sent.last().unwrap().content.as_deref(),
        Some("after refresh")
    );
}

#[test]
fn the_original_time_is_looked_up_in_a_recording() {
    use qqbot::gateway::ShardId;
    use qqbot::record::{Dir, Header, RecordWriter, Redaction};

    let h = Harness::start(quiet());
    group_message(&h, "ROBOT1.0_rec!", "G7");
    // A recording in which the message arrived 20 minutes ago.
    let path = h.dir.path().join("session.qqrec");
    let then = Utc::now() - ChronoDuration::minutes(20);
    let mut writer =
        RecordWriter::create(&path, &Header::new(then), &Redaction::new(Vec::new())).unwrap();
    let frame = json!({
        "op": 0, "s": 2, "t": "GROUP_AT_MESSAGE_CREATE", "id": "GROUP_AT_MESSAGE_CREATE:abc",
        "d": {"id": "ROBOT1.0_rec!", "group_openid": "G7", "content": "hi",
              "timestamp": then.to_rfc3339()},
    })
    .to_string();
    let shard = ShardId { id: 0, count: 1 };
    writer.write_frame(Dir::Rx, shard, &then, &frame).unwrap();
    writer.close().unwrap();

    let path_text = path.to_str().unwrap();
    let (_, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G7",
        "--reply-to",
        "ROBOT1.0_rec!",
        "--from-recording",
        path_text,
        "late reply",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("the reply window closed 15m"), "{stderr}");
    assert!(stderr.contains("time from recording"), "{stderr}");

    let (_, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "G7",
        "--reply-to",
        "ROBOT1.0_other!",
        "--from-recording",
        path_text,
        "x",
    ]));
    assert_eq!(code, 1, "the emulator does not know this id: {stderr}");
    assert!(stderr.contains("is not in the recording"), "{stderr}");
}

#[test]
fn a_wrong_secret_exits_4() {
    let h = Harness::start(quiet());
    let (_, stderr, code) =
        run(h
            .qqbot()
            .env("QQBOT_SECRET", "wrong")
            .args(["send", "--channel", "C1", "hi"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("could not get an access token"), "{stderr}");
    assert!(stderr.contains("invalid app secret"), "{stderr}");
    // The hint says where the refused credentials came from.
    assert!(
        stderr.contains(
            "credentials used: app id from env QQBOT_APP_ID, secret from env QQBOT_SECRET"
        ),
        "{stderr}"
    );
}

#[test]
fn missing_credentials_say_where_qqbot_looked_and_json_errors_go_to_stdout() {
    let h = Harness::start(quiet());
    let (stdout, stderr, code) = run(h.bare().args([
        "send",
        "--json",
        "--app-id",
        "102000001",
        "--channel",
        "C1",
        "hi",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no bot credentials (no secret)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("app id from flag --app-id, no secret (looked at --app-id/--secret-file, QQBOT_APP_ID/QQBOT_SECRET and profile `default` in"),
        "{stderr}"
    );
    assert!(stderr.contains("which does not exist"), "{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["exit"], 2);
    assert!(v["code"].is_null());
}

/// `send --recall` withdraws a message the bot sent (the id `send` printed) and explains a
/// refusal; `--hidetip` is for guild scenes only.
#[test]
fn a_sent_group_reply_is_recalled_and_a_second_recall_is_refused() {
    let h = Harness::start(quiet());
    group_message(&h, "ROBOT1.0_mr!", "GR");
    let (stdout, stderr, code) = run(h.qqbot().args([
        "send",
        "--group",
        "GR",
        "--reply-to",
        "ROBOT1.0_mr!",
        "oops",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let sent_id = stdout.trim().to_owned();

    let (stdout, stderr, code) = run(h
        .qqbot()
        .args(["send", "--group", "GR", "--recall", &sent_id]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(&format!("recalled {sent_id} from group GR")),
        "{stderr}"
    );
    let sent = sends_to(&h, "group");
    assert!(
        sent.iter()
            .any(|m| m.id.as_deref() == Some(sent_id.as_str()) && m.recalled),
        "{sent:?}"
    );

    // Again: the platform refuses, and the hint is about recalls, not replies.
    let (stdout, stderr, code) = run(h
        .qqbot()
        .args(["--json", "send", "--group", "GR", "--recall", &sent_id]));
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["code"], 40034024);
    assert!(v["hint"].as_str().unwrap().contains("within 2 min"), "{v}");
    assert!(
        stderr.contains("the platform refused the recall"),
        "{stderr}"
    );

    // --hidetip is a guild option; --recall sends nothing else.
    let (_, stderr, code) =
        run(h
            .qqbot()
            .args(["send", "--group", "GR", "--recall", &sent_id, "--hidetip"]));
    assert_eq!(code, 2, "{stderr}");
    let (_, _, code) = run(h
        .qqbot()
        .args(["send", "--group", "GR", "--recall", &sent_id, "text"]));
    assert_eq!(code, 2);
}

#[test]
fn a_guild_message_is_recalled_with_hidetip_and_json_output() {
    let mut h = Harness::start(quiet());
    h.connect_bot();
    let (stdout, stderr, code) = run(h.qqbot().args(["send", "--channel", "C1", "hello"]));
    assert_eq!(code, 0, "{stderr}");
    let sent_id = stdout.trim().to_owned();
    let (stdout, stderr, code) = run(h.qqbot().args([
        "--json",
        "send",
        "--channel",
        "C1",
        "--recall",
        &sent_id,
        "--hidetip",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        v,
        json!({"status": "recalled", "scene": "channel", "target": "C1", "id": sent_id})
    );
    assert!(sends_to(&h, "channel").iter().any(|m| m.recalled));
}
