//! The official Python SDK (qq-botpy 1.2.1, unmodified) against the emulator: token, /gateway/bot,
//! Identify, READY, heartbeats and demo events, with only the base URLs changed.
//!
//! `.ci/run` installs botpy and sets `QQBOT_REQUIRE_SDK=1`, so CI fails if this cannot run. Without
//! botpy and without that variable, the test says so on stderr and passes without checking.

use std::process::Stdio;
use std::time::Duration;

use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent, Scenario};
use tokio::io::{AsyncBufReadExt, BufReader};

fn botpy_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import botpy"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botpy_connects_heartbeats_and_receives_demo_events() {
    if !botpy_available() {
        assert!(
            std::env::var_os("QQBOT_REQUIRE_SDK").is_none(),
            "botpy is required here: python3 -m pip install qq-botpy==1.2.1"
        );
        eprintln!("skipping: botpy not installed (python3 -m pip install qq-botpy==1.2.1)");
        return;
    }
    let emulator = Emulator::start(EmulatorConfig {
        scenario: Scenario::Demo,
        rate: 20.0,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let mut signals = emulator.subscribe();
    let config = emulator.config();
    let mut child = tokio::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sdk/botpy_smoke.py"
        ))
        .args([
            emulator.api_base(),
            emulator.token_url(),
            config.app_id.clone(),
            config.secret.expose().to_owned(),
            "5".to_owned(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut ready = false;
    let mut events = Vec::new();
    let collected = tokio::time::timeout(Duration::from_secs(90), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue; // botpy's own log lines
            };
            match value["kind"].as_str() {
                Some("ready") => ready = true,
                Some("event") => events.push(value),
                Some("timeout") => panic!("botpy timed out inside the script"),
                _ => {}
            }
        }
    })
    .await;
    assert!(collected.is_ok(), "botpy did not finish in time");
    let status = child.wait().await.unwrap();
    assert!(status.success(), "botpy script exited with {status}");
    assert!(ready, "botpy never reported READY");
    assert_eq!(events.len(), 5, "{events:?}");
    for event in &events {
        let t = event["t"].as_str().unwrap();
        let id = event["id"].as_str().unwrap();
        assert!(id.starts_with(&format!("{t}:")), "event id {id} for {t}");
    }
    // botpy heartbeats right after READY (its fixed 30 s loop sends first, then sleeps).
    let mut heartbeat = false;
    while let Ok(signal) = signals.try_recv() {
        if matches!(signal, EmulatorEvent::HeartbeatReceived { .. }) {
            heartbeat = true;
        }
    }
    let sessions = emulator.sessions();
    assert_eq!(sessions.len(), 1, "one botpy session");
    assert!(
        heartbeat || sessions[0].last_heartbeat.is_some(),
        "no heartbeat from botpy"
    );
    assert_eq!(emulator.session_start_remaining(), 999);
}
