//! The official Python SDK (qq-botpy 1.2.1, unmodified) against the emulator: token, /gateway/bot,
//! Identify, READY, heartbeats and demo events, with only the base URLs changed.
//!
//! `.ci/run` installs botpy and sets `QQBOT_REQUIRE_SDK=1`, so CI fails if this cannot run. Without
//! botpy and without that variable, the test says so on stderr and passes without checking.

mod sdk_support;

use qqbot::emulator::EmulatorEvent;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botpy_connects_heartbeats_and_receives_demo_events() {
    if !sdk_support::python_has("botpy", "python3 -m pip install qq-botpy==1.2.1") {
        return;
    }
    let emulator = sdk_support::demo_emulator().await;
    let mut signals = emulator.subscribe();
    let (mut child, lines) = sdk_support::run_script("botpy_smoke.py", &emulator, 5);
    let seen = sdk_support::milestones("botpy", &mut child, lines).await;
    assert!(seen.connected, "botpy never reported READY");
    let events = seen.events;
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
