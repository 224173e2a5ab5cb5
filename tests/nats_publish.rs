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
