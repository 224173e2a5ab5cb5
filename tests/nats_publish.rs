//! `--publish` / `--from` through the real binary, against a real `nats-server -js` and an
//! in-process emulator: the round trip with a duplicate id dropped by the stream, the cursor
//! behind the acknowledgements across a SIGKILL, and a NATS outage that holds the gateway
//! without stopping its heartbeats. Skipped (with a note) when nats-server is not installed,
//! unless QQBOT_REQUIRE_NATS=1.

mod cli_support;
mod nats_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use async_nats::jetstream;
use futures_util::StreamExt;
use nats_support::NatsServer;
use qqbot::emulator::{DEFAULT_SECRET, Emulator, EmulatorConfig, EmulatorEvent, Scenario};
use serde_json::Value;
use tokio::process::{Child, Command};
use tokio::sync::broadcast;
use tokio::time::timeout;

/// Bound on any one wait.
const WAIT: Duration = Duration::from_secs(15);

fn emulator_config() -> EmulatorConfig {
    EmulatorConfig {
        scenario: Scenario::Quiet,
        max_concurrency: 100,
        ..EmulatorConfig::default()
    }
}

/// The binary pointed at `emu`, with its credentials and a private config/cache dir.
fn qqbot(emu: &Emulator, dir: &Path) -> Command {
    let mut cmd = Command::from(cli_support::qqbot_command());
    cmd.env("QQBOT_APP_ID", &emu.config().app_id)
        .env("QQBOT_SECRET", DEFAULT_SECRET)
        .env("QQBOT_CONFIG", dir.join("config.toml"))
        .env("QQBOT_CACHE_DIR", dir.join("cache"))
        .arg("--api-base")
        .arg(emu.api_base())
        .arg("--token-url")
        .arg(emu.token_url())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// The consumer side: no credentials at all.
fn reader(dir: &Path) -> Command {
    let mut cmd = Command::from(cli_support::qqbot_command());
    cmd.env("QQBOT_CONFIG", dir.join("config.toml"))
        .env("QQBOT_CACHE_DIR", dir.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Wait for an emulator signal.
async fn wait_for(
    signals: &mut broadcast::Receiver<EmulatorEvent>,
    what: &str,
    mut wanted: impl FnMut(&EmulatorEvent) -> bool,
) -> EmulatorEvent {
    timeout(WAIT, async {
        loop {
            match signals.recv().await {
                Ok(event) if wanted(&event) => return event,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("emulator gone"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Wait for the process to exit; its stdout and stderr (what it wrote so far when it hangs).
async fn finish(mut child: Child) -> (String, String, i32) {
    use tokio::io::AsyncReadExt;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text).await;
        text
    });
    let err = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let status = timeout(WAIT * 2, child.wait()).await;
    if status.is_err() {
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
    let (out, err) = (out.await.unwrap(), err.await.unwrap());
    match status {
        Ok(status) => (out, err, status.unwrap().code().unwrap_or(-1)),
        Err(_) => panic!("the process did not exit in time\n{err}\n{out}"),
    }
}

async fn stream_messages(url: &str) -> Vec<Value> {
    let client = async_nats::connect(url)
        .await
        .expect("test client connects");
    let js = jetstream::new(client);
    let stream = js.get_stream("QQBOT").await.expect("the stream exists");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("an ordered consumer");
    let total = stream.get_info().await.unwrap().state.messages as usize;
    let mut messages = consumer.messages().await.unwrap();
    let mut out = Vec::new();
    while out.len() < total {
        let m = timeout(WAIT, messages.next())
            .await
            .expect("stored messages arrive")
            .expect("a message")
            .expect("no error");
        out.push(serde_json::from_slice(&m.payload).expect("a JSON line"));
    }
    out
}

/// Poll the stream's message count until it reaches `n` (bounded).
async fn wait_stream_count(url: &str, n: u64) -> u64 {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut last = 0;
    while tokio::time::Instant::now() < deadline {
        if let Ok(client) = async_nats::connect(url).await {
            let js = jetstream::new(client);
            if let Ok(mut stream) = js.get_stream("QQBOT").await
                && let Ok(info) = stream.info().await
            {
                last = info.state.messages;
                if last >= n {
                    return last;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await; // polling interval, bounded
    }
    panic!("the stream holds {last} message(s), not {n}");
}

fn inject(emu: &Emulator, n: usize, id: &str) {
    let d = format!(
        r#"{{"id":"m{n}","content":"event {n}","author":{{"id":"u1"}},"channel_id":"c1","guild_id":"g1"}}"#
    );
    assert_eq!(
        emu.inject_raw("AT_MESSAGE_CREATE", &d, Some(id.to_owned()))
            .unwrap(),
        1,
        "one session gets it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_events_come_back_byte_for_byte_and_a_duplicate_id_is_dropped() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let emu = Emulator::start(emulator_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut signals = emu.subscribe();
    let publisher = qqbot(&emu, dir.path())
        .args(["listen", "--json", "-n", "4", "--publish", &nats.url])
        .spawn()
        .unwrap();
    wait_for(&mut signals, "Identify", |e| {
        matches!(e, EmulatorEvent::Identified { .. })
    })
    .await;
    for (n, id) in ["E1", "E2", "E3", "E1"].iter().enumerate() {
        inject(&emu, n, id);
    }
    let (out, err, code) = finish(publisher).await;
    assert_eq!(code, 0, "{err}");
    let printed: Vec<&str> = out.lines().collect();
    assert_eq!(printed.len(), 4, "{out}");
    assert!(
        err.contains("published 4 event(s) to NATS stream QQBOT")
            && err.contains("4 acked, 1 duplicate(s) dropped by the stream")
            && err.contains("0 unacknowledged"),
        "{err}"
    );
    assert!(!err.contains(DEFAULT_SECRET));

    // The stream holds each id once, on the documented subject.
    let stored = stream_messages(&nats.url).await;
    let ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["E1", "E2", "E3"]);
    {
        let client = async_nats::connect(&nats.url).await.unwrap();
        let js = jetstream::new(client);
        let stream = js.get_stream("QQBOT").await.unwrap();
        let last = stream
            .get_last_raw_message_by_subject(&format!(
                "qqbot.{}.0.AT_MESSAGE_CREATE",
                emu.config().app_id
            ))
            .await
            .expect("a message on the event's subject");
        let headers = last.headers;
        assert_eq!(
            headers.get("Nats-Msg-Id").map(|v| v.as_str()),
            Some("E3"),
            "the event id is the message id"
        );
    }

    // Read back: the same lines, byte for byte, with no credentials and no gateway.
    let consumer = reader(dir.path())
        .args(["listen", "--json", "-n", "3", "--from", &nats.url])
        .spawn()
        .unwrap();
    let (back, err, code) = finish(consumer).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(back, printed[..3].join("\n") + "\n");

    // An event filter becomes the subject filter; a durable consumer continues where it stopped.
    let durable = |n: &str| {
        let mut cmd = reader(dir.path());
        cmd.args([
            "listen",
            "--json",
            "-n",
            n,
            "--from",
            &nats.url,
            "--consumer",
            "tests",
            "-e",
            "AT_MESSAGE_CREATE",
        ]);
        cmd
    };
    let (first, err, code) = finish(durable("2").spawn().unwrap()).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("durable consumer tests") && err.contains(".*.*.AT_MESSAGE_CREATE"),
        "{err}"
    );
    assert_eq!(first, printed[..2].join("\n") + "\n");
    let (second, err, code) = finish(durable("1").spawn().unwrap()).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        second,
        format!("{}\n", printed[2]),
        "continues after what was handled"
    );
    drop(nats);
}

/// Per shard `s` values of the stored events: each exactly once, first..=last with no gap.
fn assert_contiguous(stored: &[Value], first: u64, last: u64) {
    let mut by_shard: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for m in stored {
        by_shard
            .entry(m["shard"][0].as_u64().unwrap())
            .or_default()
            .push(m["s"].as_u64().unwrap());
    }
    let seqs = by_shard.remove(&0).expect("shard 0 events");
    let unique: BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(unique.len(), seqs.len(), "no seq twice: {seqs:?}");
    assert_eq!(
        unique,
        (first..=last).collect::<BTreeSet<u64>>(),
        "every seq of the session once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_killed_mid_stream_resumes_from_acknowledged_events_only() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let emu = Emulator::start(emulator_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let total = 300usize;
    let mut signals = emu.subscribe();
    let args = |n: usize| {
        vec![
            "listen".to_owned(),
            "--json".to_owned(),
            "-n".to_owned(),
            n.to_string(),
            "--publish".to_owned(),
            nats.url.clone(),
            "--state-file".to_owned(),
            state.display().to_string(),
        ]
    };
    let mut first = qqbot(&emu, dir.path()).args(args(total)).spawn().unwrap();
    let identified = wait_for(&mut signals, "Identify", |e| {
        matches!(e, EmulatorEvent::Identified { .. })
    })
    .await;
    let EmulatorEvent::Identified { session_id, .. } = identified else {
        unreachable!()
    };
    let mut ids = BTreeSet::new();
    for n in 0..150 {
        let id = format!("K{n}");
        inject(&emu, n, &id);
        ids.insert(id);
    }
    // Kill it once the state file shows acknowledged progress, mid-stream.
    let deadline = tokio::time::Instant::now() + WAIT;
    let saved = loop {
        assert!(tokio::time::Instant::now() < deadline, "no cursor saved");
        if let Ok(text) = std::fs::read_to_string(&state)
            && let Ok(saved) = serde_json::from_str::<Value>(&text)
            && saved[0]["last_seq"].as_u64().is_some_and(|s| s >= 20)
        {
            break saved;
        }
        tokio::time::sleep(Duration::from_millis(10)).await; // polling, bounded
    };
    first.start_kill().unwrap(); // SIGKILL
    let _ = first.wait().await;
    assert_eq!(saved[0]["session_id"], session_id.as_str());
    let cursor = saved[0]["last_seq"].as_u64().unwrap();
    // READY took s = 1: every event up to the saved cursor (s = 2..=cursor) is in the stream.
    let at_kill: BTreeSet<u64> = stream_messages(&nats.url)
        .await
        .iter()
        .map(|m| m["s"].as_u64().unwrap())
        .collect();
    let missing: Vec<u64> = (2..=cursor).filter(|s| !at_kill.contains(s)).collect();
    assert!(
        missing.is_empty(),
        "the cursor ({cursor}) passed events the stream does not hold: {missing:?}"
    );
    // More events while no publisher runs: the session buffers them for the resume.
    for n in 150..total {
        let id = format!("K{n}");
        inject(&emu, n, &id);
        ids.insert(id);
    }
    let final_state = std::fs::read_to_string(&state).unwrap();
    let resumed_from: Value = serde_json::from_str(&final_state).unwrap();
    let resumed_from = resumed_from[0]["last_seq"].as_u64().unwrap();
    // READY took s = 1 on the emulator: the events are s = 2..=last.
    let last = emu
        .sessions()
        .iter()
        .find(|s| s.id == session_id)
        .unwrap()
        .seq;
    assert_eq!(last, total as u64 + 1);

    let second = qqbot(&emu, dir.path())
        .args(args((last - resumed_from) as usize))
        .spawn()
        .unwrap();
    wait_for(
        &mut signals,
        "Resume",
        |e| matches!(e, EmulatorEvent::Resumed { session_id: s, .. } if *s == session_id),
    )
    .await;
    let (_, err, code) = finish(second).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 unacknowledged"), "{err}");

    // Exactly once in the stream: every id, every seq of the session, nothing twice.
    let stored = stream_messages(&nats.url).await;
    assert_eq!(
        stored.len(),
        total,
        "resumed from {resumed_from}, killed at {cursor}: {err}"
    );
    let stored_ids: BTreeSet<String> = stored
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stored_ids, ids);
    let ledger = emu.sessions();
    let session = ledger.iter().find(|s| s.id == session_id).unwrap();
    assert!(session.seq >= last, "the emulator's last seq");
    assert_eq!(session.resumes, 1, "resumed, not identified again");
    assert_contiguous(&stored, 2, last);
    drop(nats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_outage_holds_the_events_while_heartbeats_go_on() {
    let Some(mut nats) = NatsServer::start() else {
        return;
    };
    let emu = Emulator::start(EmulatorConfig {
        heartbeat_interval: Duration::from_secs(1),
        ..emulator_config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut signals = emu.subscribe();
    let total = 40usize;
    let publisher = qqbot(&emu, dir.path())
        .args([
            "listen",
            "--json",
            "--include-control",
            "-n",
            &total.to_string(),
            "--publish",
            &nats.url,
            "--publish-ack-timeout",
            "1s",
            // Small bounds, so the outage holds the gateway (backpressure) within a few events.
            "--publish-in-flight",
            "1",
            "--publish-queue",
            "1",
            "--event-buffer-size",
            "1",
        ])
        .spawn()
        .unwrap();
    let EmulatorEvent::Identified { session_id, .. } = wait_for(&mut signals, "Identify", |e| {
        matches!(e, EmulatorEvent::Identified { .. })
    })
    .await
    else {
        unreachable!()
    };
    for n in 0..20 {
        inject(&emu, n, &format!("O{n}"));
    }
    wait_stream_count(&nats.url, 20).await;

    nats.kill();
    for n in 20..total {
        inject(&emu, n, &format!("O{n}"));
    }
    // The gateway connection lives on: heartbeats keep arriving while NATS is away.
    let beats = timeout(WAIT, async {
        let mut beats = 0;
        while beats < 3 {
            if let Ok(EmulatorEvent::HeartbeatReceived {
                session_id: Some(s),
                ..
            }) = signals.recv().await
                && s == session_id
            {
                beats += 1;
            }
        }
    })
    .await;
    if beats.is_err() {
        let (out, err, _) = finish(publisher).await;
        panic!("no heartbeats during the outage\n{err}\n{out}");
    }
    nats.restart();
    let (out, err, code) = finish(publisher).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("disconnected"),
        "the outage is reported: {err}"
    );
    assert!(err.contains("0 unacknowledged"), "{err}");
    assert!(
        out.lines()
            .any(|l| l.contains(r#""kind":"error""#) && l.contains("nats:")),
        "the outage is in the NDJSON control lines too"
    );
    assert!(
        !out.lines().any(|l| l.contains(r#""kind":"closed""#)),
        "no close (no zombie): {out}"
    );
    // One session all along: never closed as a zombie, never resumed or identified again.
    let sessions = emu.sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0].id, session_id);
    assert_eq!(sessions[0].resumes, 0, "{sessions:?}");

    let stored = stream_messages(&nats.url).await;
    assert_eq!(stored.len(), total, "nothing lost, nothing twice");
    assert_contiguous(&stored, 2, total as u64 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_nats_server_is_one_line_with_a_hint_before_the_gateway_is_touched() {
    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let emu = Emulator::start(emulator_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("nats://127.0.0.1:{port}");
    let publisher = qqbot(&emu, dir.path())
        .args(["listen", "--json", "--publish", &url])
        .spawn()
        .unwrap();
    let (out, err, code) = finish(publisher).await;
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.starts_with(&format!(
            "qqbot: error: --publish: cannot connect to NATS at {url}"
        )),
        "{err}"
    );
    assert!(
        err.contains("hint: is nats-server running with JetStream"),
        "{err}"
    );
    assert!(emu.sessions().is_empty(), "no gateway session was opened");
    let reader = reader(dir.path())
        .args(["listen", "--from", "http://127.0.0.1:4222"])
        .spawn()
        .unwrap();
    let (_, err, code) = finish(reader).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a NATS URL"), "{err}");
}

/// The next heartbeat of `session` the emulator received, as its `d`.
async fn next_beat(signals: &mut broadcast::Receiver<EmulatorEvent>, session: &str) -> Option<u64> {
    match wait_for(signals, "a heartbeat", |e| {
        matches!(e, EmulatorEvent::HeartbeatReceived { session_id: Some(s), .. } if s == session)
    })
    .await
    {
        EmulatorEvent::HeartbeatReceived { seq, .. } => seq,
        _ => unreachable!(),
    }
}

/// The loss window of a durable sink: heartbeats acknowledge to the gateway only what
/// JetStream acknowledged, so the emulator (which trims a session's replay buffer to the
/// heartbeated `s`) keeps the events whose publishes were pending when the publisher was
/// SIGKILLed; the next run resumes from the saved cursor and gets every one of them replayed:
/// nothing lost, nothing twice, no gap reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_killed_with_unacknowledged_publishes_loses_none_of_them() {
    let Some(mut nats) = NatsServer::start() else {
        return;
    };
    let emu = Emulator::start(EmulatorConfig {
        heartbeat_interval: Duration::from_millis(1000),
        ..emulator_config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut signals = emu.subscribe();
    let url = nats.url.clone();
    let args = |n: u64| {
        vec![
            "listen".to_owned(),
            "--json".to_owned(),
            "--include-control".to_owned(),
            "-n".to_owned(),
            n.to_string(),
            "--publish".to_owned(),
            url.clone(),
            "--publish-ack-timeout".to_owned(),
            "1s".to_owned(),
            "--state-file".to_owned(),
            state.display().to_string(),
        ]
    };
    let mut first = qqbot(&emu, dir.path()).args(args(1000)).spawn().unwrap();
    let EmulatorEvent::Identified { session_id, .. } = wait_for(&mut signals, "Identify", |e| {
        matches!(e, EmulatorEvent::Identified { .. })
    })
    .await
    else {
        unreachable!()
    };
    // 20 events acknowledged (s = 2..=21), and heartbeated: the emulator trims them.
    for n in 0..20 {
        inject(&emu, n, &format!("U{n}"));
    }
    wait_stream_count(&nats.url, 20).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while next_beat(&mut signals, &session_id).await != Some(21) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no heartbeat of s = 21"
        );
    }
    // JetStream goes away: 20 more events are received and published, never acknowledged.
    nats.kill();
    for n in 20..40 {
        inject(&emu, n, &format!("U{n}"));
    }
    // The client received up to s = 41 but heartbeats only the acknowledged 21.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let live = emu.sessions();
        let session = live.iter().find(|s| s.id == session_id).unwrap();
        if session.seq == 41 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "events not sent: {live:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await; // polling, bounded
    }
    for _ in 0..3 {
        let beat = next_beat(&mut signals, &session_id).await;
        assert_eq!(
            beat,
            Some(21),
            "the heartbeat stays at the acknowledged cursor"
        );
    }
    let buffered = emu
        .sessions()
        .iter()
        .find(|s| s.id == session_id)
        .unwrap()
        .buffered;
    assert!(
        buffered >= 20,
        "the emulator still holds s = 22..=41: {buffered}"
    );
    first.start_kill().unwrap(); // SIGKILL with 20 publishes pending
    let _ = first.wait().await;
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(
        saved[0]["last_seq"], 21,
        "the cursor is the acknowledged one: {saved}"
    );

    nats.restart();
    let second = qqbot(&emu, dir.path()).args(args(20)).spawn().unwrap();
    let (out, err, code) = finish(second).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 unacknowledged"), "{err}");
    assert!(!out.contains(r#""kind":"gap""#), "no gap: {out}");
    assert!(!err.contains("LOST"), "{err}");
    let session = emu
        .sessions()
        .into_iter()
        .find(|s| s.id == session_id)
        .unwrap();
    assert_eq!(session.resumes, 1, "resumed, not identified again");
    assert!(
        !emu.warnings().iter().any(|w| w.kind == "resume_gap"),
        "{:?}",
        emu.warnings()
    );
    let stored = stream_messages(&nats.url).await;
    assert_eq!(stored.len(), 40, "nothing lost, nothing twice");
    assert_contiguous(&stored, 2, 41);
}

/// When the gateway no longer has what a resume asks for (here: a saved cursor older than what
/// the session heartbeated), the events are gone; the client counts and shows the loss in every
/// output: the NDJSON `gap` line, stderr, the exit summary and the emulator's own warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_the_gateway_cannot_replay_in_full_is_counted_as_lost() {
    let emu = Emulator::start(EmulatorConfig {
        heartbeat_interval: Duration::from_millis(1000),
        ..emulator_config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut signals = emu.subscribe();
    let first = qqbot(&emu, dir.path())
        .args(["listen", "--json", "--state-file"])
        .arg(&state)
        .spawn()
        .unwrap();
    let EmulatorEvent::Identified { session_id, .. } = wait_for(&mut signals, "Identify", |e| {
        matches!(e, EmulatorEvent::Identified { .. })
    })
    .await
    else {
        unreachable!()
    };
    for n in 0..10 {
        inject(&emu, n, &format!("G{n}"));
    }
    // s = 2..=11 received and heartbeated: trimmed from the emulator's buffer.
    let deadline = tokio::time::Instant::now() + WAIT;
    while next_beat(&mut signals, &session_id).await != Some(11) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no heartbeat of s = 11"
        );
    }
    let pid = first.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let (_, err, code) = finish(first).await;
    assert_eq!(code, 130, "{err}");
    // A stale cursor (as a sink that had kept only up to s = 4 would have saved).
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved[0]["last_seq"], 11, "{saved}");
    let stale = serde_json::json!([{ "session_id": session_id, "last_seq": 4, "shard": saved[0]["shard"] }]);
    std::fs::write(&state, stale.to_string()).unwrap();
    for n in 10..13 {
        inject(&emu, n, &format!("G{n}"));
    }
    let second = qqbot(&emu, dir.path())
        .args([
            "listen",
            "--json",
            "--include-control",
            "-n",
            "3",
            "--state-file",
        ])
        .arg(&state)
        .spawn()
        .unwrap();
    let (out, err, code) = finish(second).await;
    assert_eq!(code, 0, "{err}");
    let gap: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["kind"] == "gap")
        .collect();
    assert_eq!(gap.len(), 1, "{out}");
    assert_eq!(
        (gap[0]["after"].as_u64(), gap[0]["next"].as_u64()),
        (Some(4), Some(12))
    );
    assert_eq!(gap[0]["missing"], 7, "s = 5..=11 were not replayed");
    let dispatched: Vec<u64> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["kind"] == "dispatch")
        .map(|l| l["s"].as_u64().unwrap())
        .collect();
    assert_eq!(dispatched, [12, 13, 14], "what was left is replayed");
    assert!(
        err.contains("LOST: up to 7 event(s) the gateway did not replay after a resume"),
        "{err}"
    );
    assert!(
        emu.warnings()
            .iter()
            .any(|w| w.kind == "resume_gap" && w.message.contains("s = 5..=11")),
        "{:?}",
        emu.warnings()
    );
}
