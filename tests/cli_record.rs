//! `qqbot record` / `listen --record` / `qqbot replay` through the real binary against an
//! emulator: lossless round trips (with reconnects), redaction, torn files, versions, zstd, and
//! `replay --serve` feeding qqbot's own gateway client.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;
use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};

fn qqbot() -> AssertCommand {
    let mut cmd = AssertCommand::from_std(cli_support::qqbot_command());
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// An emulator that ends every session after a second (op 7 + 4009), with brisk demo traffic.
fn reconnecting_emulator(rt: &tokio::runtime::Runtime) -> Emulator {
    rt.block_on(Emulator::start(EmulatorConfig {
        scenario: Scenario::SessionTimeout,
        session_timeout: Duration::from_millis(700),
        rate: 25.0,
        ..EmulatorConfig::default()
    }))
    .unwrap()
}

fn listen_and_record(emulator: &Emulator, file: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec![
        "listen".to_owned(),
        "--api-base".into(),
        emulator.api_base(),
        "--token-url".into(),
        emulator.token_url(),
        "--intents".into(),
        "all".into(),
        "--json".into(),
        "--record".into(),
        file.to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = qqbot()
        .args(&args)
        .env("QQBOT_APP_ID", &emulator.config().app_id)
        .env("QQBOT_SECRET", emulator.config().secret.expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn replay(file: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["replay", file.to_str().unwrap(), "--max-speed", "--json"];
    args.extend(extra);
    let out = qqbot().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn record_with_reconnects_then_replay_prints_identical_ndjson() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = reconnecting_emulator(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.ndjson");
    let printed = listen_and_record(&emulator, &file, &["--count", "40", "--include-control"]);
    assert!(
        printed.contains(r#""kind":"resumed""#),
        "the run must include a resume"
    );
    let replayed = replay(&file, &["--include-control"]);
    assert_eq!(
        printed, replayed,
        "replay must print exactly what listen printed"
    );
    // Dispatch-only views agree too.
    let only_events: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with(r#"{"kind":"dispatch""#))
        .collect();
    let replayed_events = replay(&file, &[]);
    assert_eq!(only_events.join("\n") + "\n", replayed_events);
    assert_eq!(only_events.len(), 40);

    // Neither the secret nor the access token is anywhere in the file.
    let config = emulator.config();
    let token = rt.block_on(cli_support::fetch_token(
        &reqwest::Client::new(),
        &emulator.token_url(),
        &config.app_id.as_str().into(),
        config.secret.expose(),
    ));
    let bytes = std::fs::read(&file).unwrap();
    let haystack = String::from_utf8_lossy(&bytes);
    let access_token = token["access_token"].as_str().unwrap();
    assert!(
        !haystack.contains(access_token),
        "access token leaked into the recording"
    );
    assert!(
        !haystack.contains(emulator.config().secret.expose()),
        "secret leaked"
    );
    assert!(
        haystack.contains(r#""dir":"tx""#),
        "tx frames (Identify, Resume, heartbeats) are kept"
    );
    assert!(
        haystack.contains("QQBot ***"),
        "tokens are redacted in place"
    );
}

#[test]
fn record_command_is_silent_and_zstd_round_trips() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt
        .block_on(Emulator::start(EmulatorConfig {
            rate: 50.0,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.ndjson.zst");
    let out = qqbot()
        .args([
            "record",
            "-o",
            file.to_str().unwrap(),
            "--api-base",
            &emulator.api_base(),
            "--token-url",
            &emulator.token_url(),
            "--intents",
            "all",
            "--count",
            "10",
            "--redact-ids",
        ])
        .env("QQBOT_APP_ID", &emulator.config().app_id)
        .env("QQBOT_SECRET", emulator.config().secret.expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "record prints nothing on stdout");
    assert!(String::from_utf8_lossy(&out.stderr).contains("recorded"));
    let raw = std::fs::read(&file).unwrap();
    assert_eq!(&raw[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
    let replayed = replay(&file, &[]);
    assert_eq!(replayed.lines().count(), 10);
    let stats = qqbot()
        .args(["--json", "replay", file.to_str().unwrap(), "--stats"])
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["events"], 10);
    assert_eq!(stats["header"]["redaction"]["ids"], true);
    // `--summary`, the word `listen` prints, is the same flag.
    let summary = qqbot()
        .args(["--json", "replay", file.to_str().unwrap(), "--summary"])
        .output()
        .unwrap();
    assert!(summary.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&summary.stdout).unwrap();
    assert_eq!(summary, stats);
}

#[test]
fn torn_recordings_warn_and_newer_versions_are_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt
        .block_on(Emulator::start(EmulatorConfig {
            rate: 50.0,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.ndjson");
    listen_and_record(&emulator, &file, &["--count", "6"]);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines = text.lines().count();

    // Cut the last line in half, as a crash mid-write would.
    let torn = dir.path().join("torn.ndjson");
    std::fs::write(&torn, &text[..text.len() - 40]).unwrap();
    qqbot()
        .args(["replay", torn.to_str().unwrap(), "--max-speed", "--json"])
        .assert()
        .code(1)
        .stdout(predicate::function(|out: &str| out.lines().count() == 5))
        .stderr(predicate::str::contains(format!("line {lines}")))
        .stderr(predicate::str::contains(format!(
            "qqbot: error: {} is torn or damaged",
            torn.display()
        )));
    // The same soft error for --stats, after the summary; -q keeps the final error line.
    qqbot()
        .args(["-q", "replay", torn.to_str().unwrap(), "--stats"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("recording of"))
        .stderr(predicate::str::starts_with("qqbot: error: "))
        .stderr(predicate::str::contains(format!("line {lines}")));

    // A damaged line in the middle is an error naming it; what came before is still printed.
    let mut damaged: Vec<String> = text.lines().map(str::to_owned).collect();
    let dispatch_lines: Vec<usize> = damaged
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(r#""dir":"rx""#) && l.contains(r#""op":0,"#))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(dispatch_lines.len(), 6, "{text}");
    let broken = dispatch_lines[3];
    let half = damaged[broken].len() / 2;
    damaged[broken].truncate(half);
    let damaged_file = dir.path().join("damaged.ndjson");
    std::fs::write(&damaged_file, damaged.join("\n") + "\n").unwrap();
    qqbot()
        .args([
            "replay",
            damaged_file.to_str().unwrap(),
            "--max-speed",
            "--json",
        ])
        .assert()
        .code(1)
        .stdout(predicate::function(|out: &str| out.lines().count() == 3))
        .stderr(predicate::str::contains(format!("line {}", broken + 1)));

    // A newer major version is refused with a clear message.
    let newer = dir.path().join("newer.ndjson");
    std::fs::write(
        &newer,
        text.replacen(r#""version":"1.0""#, r#""version":"2.0""#, 1),
    )
    .unwrap();
    qqbot()
        .args(["replay", newer.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "newer than this qqbot understands",
        ));

    // Not a recording at all.
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "hello\n").unwrap();
    qqbot()
        .args(["replay", junk.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("qqbot: error: cannot replay"));
}

#[test]
fn replay_serve_feeds_a_qqbot_shard_in_order_with_a_resume_mid_replay() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let source = rt
        .block_on(Emulator::start(EmulatorConfig {
            rate: 50.0,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.ndjson");
    let printed = listen_and_record(&source, &file, &["--count", "30"]);
    let recorded: Vec<serde_json::Value> = printed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let mut server = cli_support::qqbot_command()
        .args([
            "--json",
            "replay",
            file.to_str().unwrap(),
            "--serve",
            "127.0.0.1:0",
            "--speed",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let urls: serde_json::Value = serde_json::from_str(&first).unwrap();

    let received = rt.block_on(async {
        use qqbot::gateway::{Cluster, GatewayConfig, ItemKind};
        let mut config = GatewayConfig::new(
            urls["app_id"].as_str().unwrap(),
            qqbot::Secret::new(urls["secret"].as_str().unwrap()),
            urls["api_base"].as_str().unwrap(),
            urls["token_url"].as_str().unwrap(),
        );
        config.intents = qqbot::protocol::Intents::all();
        let (cluster, mut items) = Cluster::start(config).await.unwrap();
        let client = reqwest::Client::new();
        let mut got = Vec::new();
        let mut resumed = false;
        let waited = tokio::time::timeout(Duration::from_secs(60), async {
            while got.len() < 30 {
                let item = items.recv().await.expect("items");
                match item.kind {
                    ItemKind::Dispatch(d) => {
                        got.push((d.t.clone(), d.id().map(str::to_owned), d.d().to_owned()));
                        if got.len() == 10 {
                            // Mid-replay: the platform ends the session (op 7 + 4009).
                            client
                                .post(format!(
                                    "{}/_emulator/fault",
                                    urls["api_base"].as_str().unwrap()
                                ))
                                .json(&serde_json::json!({"kind": "session_timeout"}))
                                .send()
                                .await
                                .unwrap();
                        }
                    }
                    ItemKind::Resumed { .. } => resumed = true,
                    _ => {}
                }
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "only {} of 30 recorded dispatches arrived (resumed: {resumed})",
            got.len()
        );
        cluster.shutdown().await;
        assert!(resumed, "the client resumed mid-replay");
        got
    });
    let pid = server.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let _ = server.wait();

    assert_eq!(received.len(), recorded.len());
    for ((t, id, d), original) in received.iter().zip(&recorded) {
        assert_eq!(&**t, original["t"].as_str().unwrap());
        assert_eq!(id.as_deref(), original["id"].as_str(), "event ids are kept");
        let original_d = serde_json::to_string(&original["d"]).unwrap();
        let got_d: serde_json::Value = serde_json::from_str(d).unwrap();
        assert_eq!(serde_json::to_string(&got_d).unwrap(), original_d);
    }
}

#[test]
fn replay_serve_gives_each_new_session_the_whole_recording() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let source = rt
        .block_on(Emulator::start(EmulatorConfig {
            rate: 50.0,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.ndjson");
    let printed = listen_and_record(&source, &file, &["--count", "12"]);
    let recorded: Vec<String> = printed
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(recorded.len(), 12);

    let mut server = cli_support::qqbot_command()
        .args([
            "--json",
            "replay",
            file.to_str().unwrap(),
            "--serve",
            "127.0.0.1:0",
            "--max-speed",
        ])
        // Configured credentials are accepted besides the development ones.
        .env("QQBOT_APP_ID", "4242")
        .env("QQBOT_SECRET", "replay-configured-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let urls: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert!(!first.contains("replay-configured-secret"));
    let refused: serde_json::Value = rt.block_on(async {
        reqwest::Client::new()
            .post(urls["token_url"].as_str().unwrap())
            .json(&serde_json::json!({"appId": "4242", "clientSecret": "wrong"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(refused["code"], 100016, "{refused}");

    // Two bots, one after the other (development, then configured credentials): each gets every
    // recorded event, in order.
    let creds = [
        (
            urls["app_id"].as_str().unwrap().to_owned(),
            urls["secret"].as_str().unwrap().to_owned(),
        ),
        ("4242".to_owned(), "replay-configured-secret".to_owned()),
    ];
    for (bot, (app_id, secret)) in creds.iter().enumerate() {
        let ids = rt.block_on(async {
            use qqbot::gateway::{Cluster, GatewayConfig, ItemKind};
            let mut config = GatewayConfig::new(
                app_id.as_str(),
                qqbot::Secret::new(secret.as_str()),
                urls["api_base"].as_str().unwrap(),
                urls["token_url"].as_str().unwrap(),
            );
            config.intents = qqbot::protocol::Intents::all();
            let (cluster, mut items) = Cluster::start(config).await.unwrap();
            let mut ids = Vec::new();
            let waited = tokio::time::timeout(Duration::from_secs(30), async {
                while ids.len() < 12 {
                    if let ItemKind::Dispatch(d) = items.recv().await.expect("items").kind {
                        ids.push(d.id().map(str::to_owned).unwrap());
                    }
                }
            })
            .await;
            cluster.shutdown().await;
            assert!(waited.is_ok(), "bot {bot}: only {} of 12 events", ids.len());
            ids
        });
        assert_eq!(ids, recorded, "bot {bot}");
    }
    // The log says per session what was sent (read until both summaries are there).
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = server.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut summaries = 0;
    let mut seen = Vec::new();
    while summaries < 2 {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no second summary in {seen:?}"));
        if line.contains("12 recorded event(s) sent, 0 filtered out by its intents") {
            summaries += 1;
        }
        seen.push(line);
    }
    let pid = server.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let _ = server.wait();
}

#[test]
fn replay_serve_accepts_listen_ndjson_output() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let source = rt
        .block_on(Emulator::start(EmulatorConfig {
            rate: 50.0,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let printed = listen_and_record(&source, &dir.path().join("rec.ndjson"), &["--count", "8"]);
    let listened = dir.path().join("listen.ndjson");
    std::fs::write(&listened, &printed).unwrap();
    let recorded: Vec<serde_json::Value> = printed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recorded.len(), 8);

    let mut server = cli_support::qqbot_command()
        .args([
            "--json",
            "replay",
            listened.to_str().unwrap(),
            "--serve",
            "127.0.0.1:0",
            "--max-speed",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let urls: serde_json::Value = serde_json::from_str(&first).unwrap();
    let got = rt.block_on(async {
        use qqbot::gateway::{Cluster, GatewayConfig, ItemKind};
        let mut config = GatewayConfig::new(
            urls["app_id"].as_str().unwrap(),
            qqbot::Secret::new(urls["secret"].as_str().unwrap()),
            urls["api_base"].as_str().unwrap(),
            urls["token_url"].as_str().unwrap(),
        );
        config.intents = qqbot::protocol::Intents::all();
        let (cluster, mut items) = Cluster::start(config).await.unwrap();
        let mut got = Vec::new();
        let waited = tokio::time::timeout(Duration::from_secs(30), async {
            while got.len() < 8 {
                if let ItemKind::Dispatch(d) = items.recv().await.expect("items").kind {
                    got.push((d.t.to_string(), d.id().map(str::to_owned), d.d().to_owned()));
                }
            }
        })
        .await;
        cluster.shutdown().await;
        assert!(waited.is_ok(), "only {} of 8 events", got.len());
        got
    });
    // SIGTERM stops the server as Ctrl-C does, with 143.
    let pid = server.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert_eq!(server.wait().unwrap().code(), Some(143));
    for ((t, id, d), original) in got.iter().zip(&recorded) {
        assert_eq!(t, original["t"].as_str().unwrap());
        assert_eq!(id.as_deref(), original["id"].as_str());
        let got_d: serde_json::Value = serde_json::from_str(d).unwrap();
        assert_eq!(got_d, original["d"]);
    }
}

/// SIGTERM (`docker stop`, systemd) in the middle of a flood: the recording is closed whole, and
/// it replays every event the summary counted.
#[test]
fn sigterm_mid_flood_leaves_a_whole_recording_of_every_counted_event() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flood.ndjson");
    let mut child = cli_support::qqbot_command()
        .args(["record", "--emulator", "--scenario", "flood", "-o"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    // Bounded: the emulator says ready within a second; stderr ends if qqbot exits.
    while !log.contains("ready: session") {
        assert!(stderr.read_line(&mut log).unwrap() > 0, "no READY in {log}");
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143), "{log}");
    let counted: usize = log
        .split_once("summary: ")
        .and_then(|(_, s)| s.split_once(' '))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary in {log}"));
    assert!(counted > 0, "{log}");
    assert_eq!(replay(&file, &[]).lines().count(), counted, "{log}");
}

#[test]
fn redact_names_pseudonymises_usernames_nicknames_and_avatars_in_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("names.ndjson");
    let out = qqbot()
        .args([
            "record",
            "--emulator",
            "--rate",
            "50",
            "-o",
            file.to_str().unwrap(),
            "-n",
            "40",
            "--redact-names",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["redaction"]["names"], true, "{header}");
    for original in [
        "\"abc\"",
        "小明",
        "\"alice\"",
        "\"bob\"",
        "qqbot-emulator",
        "thirdqq.qlogo.cn",
    ] {
        assert!(
            !text.contains(original),
            "{original} survived --redact-names"
        );
    }
    assert!(
        text.contains("\"username\":\"user-"),
        "no username pseudonyms"
    );
    assert!(
        text.contains("https://avatar.invalid/"),
        "no avatar pseudonyms"
    );
    // Pseudonyms are consistent within the file: the bot's name in the READY lifecycle line is
    // the one its READY frame and its messages carry.
    let ready = text
        .lines()
        .find(|l| l.contains(r#""ready""#) && !l.contains(r#""op":0"#) && l.contains("username"))
        .expect("a ready lifecycle line");
    let at = ready.find(r#""username":""#).unwrap() + 12;
    let bot = &ready[at..at + ready[at..].find('"').unwrap()];
    assert!(bot.starts_with("user-"), "{ready}");
    assert!(
        text.matches(bot).count() >= 2,
        "{bot} only in the lifecycle line"
    );
    // The recording still replays.
    assert!(replay(&file, &[]).lines().count() >= 40);
}

/// `replay --to-seq N --include-control` stops at the first dispatch past N: the lifecycle lines
/// recorded after it are not replayed either.
#[test]
fn replay_to_seq_stops_the_replay_lifecycle_lines_included() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seq.ndjson");
    let dispatch = |us: u32, s: u32| {
        format!(
            r#"{{"type":"frame","offset_us":{us},"at":"2026-11-27T09:40:00Z","shard":[0,1],"dir":"rx","frame":{{"op":0,"s":{s},"t":"MESSAGE_CREATE","id":"MESSAGE_CREATE:{s}","d":{{"id":"m{s}"}}}}}}"#
        )
    };
    let event = |us: u32, kind: &str| {
        format!(
            r#"{{"type":"event","offset_us":{us},"at":"2026-11-27T09:40:00Z","shard":[0,1],"kind":"{kind}","url":"ws://x","attempt":1}}"#
        )
    };
    let lines = [
        r#"{"format":"qqbot-recording","version":"1.0","qqbot_version":"0.1.0","started_at":"2026-11-27T09:40:00Z","gateway":"x","sandbox":false,"intents":1,"shards":1,"app_id":"1","redaction":{"tokens":true,"ids":false,"content":false}}"#.to_owned(),
        event(1, "connected"),
        dispatch(2, 1),
        dispatch(3, 2),
        event(4, "connected"),
        dispatch(5, 3),
        event(6, "connected"),
        dispatch(7, 4),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = qqbot()
        .args([
            "replay",
            file.to_str().unwrap(),
            "--max-speed",
            "--json",
            "--include-control",
            "--to-seq",
            "2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let kinds: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            match v["s"].as_u64() {
                Some(s) => format!("s{s}"),
                None => v["kind"].as_str().unwrap().to_owned(),
            }
        })
        .collect();
    assert_eq!(kinds, ["connected", "s1", "s2", "connected"], "{text}");
}

/// `replay --json --max-speed` parses and formats on worker threads; with
/// `QQBOT_REPLAY_WORKERS=0` it reads on one thread. Both print the same bytes, warnings, errors
/// and exit codes, for whole, torn and damaged recordings and with selections.
#[test]
fn replay_on_worker_threads_prints_what_one_thread_prints() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = reconnecting_emulator(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("session.ndjson");
    listen_and_record(&emulator, &file, &["--count", "30", "--include-control"]);
    let text = std::fs::read_to_string(&file).unwrap();
    let torn = dir.path().join("torn.ndjson");
    std::fs::write(&torn, &text[..text.len() - 40]).unwrap();
    let damaged = dir.path().join("damaged.ndjson");
    let mut lines: Vec<&str> = text.lines().collect();
    let middle = lines.len() / 2;
    lines[middle] = r#"{"type":"frame","offset_us":1,"at":"2026-11-27T09:40:00Z","shard":[0,1],"dir":"rx","frame":{"op":0,"d":"\x"}}"#;
    std::fs::write(&damaged, lines.join("\n") + "\n").unwrap();
    let mut compared = 0;
    for path in [&file, &torn, &damaged] {
        for extra in [
            &[][..],
            &["--include-control"][..],
            &["-e", "AT_MESSAGE_CREATE,GROUP_AT_MESSAGE_CREATE"][..],
            &["--from-seq", "5", "--include-control"][..],
        ] {
            let run = |workers: &str| {
                let mut args = vec!["--json", "replay", path.to_str().unwrap(), "--max-speed"];
                args.extend(extra);
                qqbot()
                    .args(&args)
                    .env("QQBOT_REPLAY_WORKERS", workers)
                    .output()
                    .unwrap()
            };
            let one = run("0");
            let many = run("3");
            assert_eq!(
                String::from_utf8_lossy(&many.stdout),
                String::from_utf8_lossy(&one.stdout),
                "{} {extra:?}",
                path.display()
            );
            assert_eq!(
                String::from_utf8_lossy(&many.stderr),
                String::from_utf8_lossy(&one.stderr)
            );
            assert_eq!(many.status.code(), one.status.code());
            compared += 1;
            if path == &file {
                assert!(one.status.success());
                assert!(one.stdout.len() > 1000, "something was replayed");
            } else {
                assert_eq!(one.status.code(), Some(1), "torn or damaged: exit 1");
            }
        }
    }
    assert_eq!(compared, 12);
}
