//! Shared by the SDK tests: whether an SDK is installed (CI requires it), a demo emulator, and the
//! SDK's script started against it with its JSON milestone lines to read.

#![allow(dead_code)]

use std::process::Stdio;

use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// Whether `python3` can import `module`. When it cannot, `QQBOT_REQUIRE_SDK` (set by `.ci/run`)
/// makes that a failure naming `install`; otherwise the caller skips, saying so on stderr.
pub fn python_has(module: &str, install: &str) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("QQBOT_REQUIRE_SDK").is_none(),
            "{module} is required here: {install}"
        );
        eprintln!("skipping: {module} not installed ({install})");
    }
    found
}

/// Whether the Node package `package` is installed in `tests/sdk/node` (`npm ci` there, as
/// `.ci/run` does) and `node` runs; like [`python_has`] otherwise.
pub fn node_has(package: &str) -> bool {
    let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk/node/node_modules")
        .join(package)
        .join("package.json")
        .is_file();
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let found = installed && node;
    if !found {
        let install = "npm ci --prefix tests/sdk/node (Node.js 18 or later)";
        assert!(
            std::env::var_os("QQBOT_REQUIRE_SDK").is_none(),
            "{package} is required here: {install}"
        );
        eprintln!("skipping: {package} not installed ({install})");
    }
    found
}

/// An emulator generating demo events at 20 per second.
pub async fn demo_emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        scenario: Scenario::Demo,
        rate: 20.0,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

/// A demo emulator at 20 events per second that ends every session with op 7 + close 4009
/// each second, as the platform does every ~30 min.
pub async fn timing_out_emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        scenario: Scenario::Demo,
        rate: 20.0,
        session_timeout: std::time::Duration::from_secs(1),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

/// After a run through session timeouts: no id in `ids` reached the SDK twice, and it kept one
/// session, resumed at least once and identified once (every reconnect was a resume).
pub fn assert_resumed_without_duplicates(emulator: &Emulator, ids: &[&str], sdk: &str) {
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "an event reached {sdk} twice: {ids:?}"
    );
    let sessions = emulator.sessions();
    assert_eq!(sessions.len(), 1, "{sdk} kept one session: {sessions:?}");
    assert!(
        sessions[0].resumes >= 1,
        "{sdk} never resumed: {sessions:?}"
    );
    assert_eq!(
        emulator.session_start_remaining(),
        999,
        "{sdk}: one Identify, every reconnect a resume"
    );
}

/// Run `tests/sdk/<script>` (Python for `.py`, Node for `.cjs`) with the emulator's API base,
/// token URL, app id and secret, and the number of events to wait for; its stdout comes back as
/// lines.
pub fn run_script(
    script: &str,
    emulator: &Emulator,
    events: u32,
) -> (Child, Lines<BufReader<ChildStdout>>) {
    let config = emulator.config();
    let interpreter = if script.ends_with(".cjs") {
        "node"
    } else {
        "python3"
    };
    let mut child = tokio::process::Command::new(interpreter)
        .arg(format!("{}/tests/sdk/{script}", env!("CARGO_MANIFEST_DIR")))
        .args([
            emulator.api_base(),
            emulator.token_url(),
            config.app_id.clone(),
            config.secret.expose().to_owned(),
            events.to_string(),
        ])
        // No `__pycache__` next to the scripts.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    (child, BufReader::new(stdout).lines())
}

/// What an SDK script reported, one JSON line per milestone (other lines are the SDK's own).
#[derive(Debug, Default)]
pub struct Milestones {
    /// `connected` (or botpy's `ready`) was reported.
    pub connected: bool,
    /// `done`: the script saw all the events it waited for.
    pub done: bool,
    /// The `event` lines.
    pub events: Vec<serde_json::Value>,
    /// The `reply` lines.
    pub replies: Vec<serde_json::Value>,
}

/// Read `lines` to their end (at most 90 s), then wait for the script to exit 0. A `timeout`
/// or `failed` line from the script fails the test.
pub async fn milestones(
    script: &str,
    child: &mut Child,
    mut lines: Lines<BufReader<ChildStdout>>,
) -> Milestones {
    let mut seen = Milestones::default();
    let read = tokio::time::timeout(std::time::Duration::from_secs(90), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            match value["kind"].as_str() {
                Some("connected" | "ready") => seen.connected = true,
                Some("done") => seen.done = true,
                Some("event") => seen.events.push(value),
                Some("reply") => seen.replies.push(value),
                Some("timeout") => panic!("{script} timed out inside the script"),
                Some("failed") => panic!("{script} failed: {value}"),
                _ => {}
            }
        }
    })
    .await;
    assert!(read.is_ok(), "{script} did not finish in time");
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{script} exited with {status}");
    seen
}

/// Every `route` got at least one accepted passive reply (one that names the message it answers).
pub fn assert_passive_replies(emulator: &Emulator, routes: &[&str], script: &str) {
    let sent = emulator.sent_messages();
    let accepted: std::collections::BTreeSet<&str> = sent
        .iter()
        .filter(|m| m.code == 0 && m.msg_id.is_some())
        .map(|m| m.route.as_str())
        .collect();
    for route in routes {
        assert!(
            accepted.contains(route),
            "no passive {route} reply from {script}: {sent:?}"
        );
    }
}
