//! Non-streaming commands whose reader has gone away (`qqbot intents list | head -3`) exit 0
//! quietly instead of panicking (exit 101).

mod cli_support;

use std::io::Write as _;
use std::process::Stdio;

const HEADER: &str = r#"{"format":"qqbot-recording","version":"1.0","qqbot_version":"0.1.0","started_at":"2026-11-27T09:40:00.123Z","gateway":"api.sgroup.qq.com","sandbox":false,"intents":1107296256,"shards":1,"app_id":"102000000","redaction":{"tokens":true,"ids":false,"content":false}}"#;

/// Run qqbot with stdout a pipe whose read end is closed before qqbot writes anything.
fn closed_pipe(args: &[&str]) {
    let mut child = cli_support::qqbot_command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end: every write qqbot makes to stdout fails with EPIPE.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(
        !stderr.contains("error"),
        "{args:?} is quiet on a closed pipe: {stderr}"
    );
}

#[test]
fn intents_commands_exit_0_on_a_closed_pipe() {
    closed_pipe(&["intents", "list"]);
    closed_pipe(&["--json", "intents", "list"]);
    closed_pipe(&["intents", "explain", "guilds"]);
    closed_pipe(&["intents", "explain", "1107300352"]);
    closed_pipe(&["intents", "check", "--intents", "all"]);
    closed_pipe(&["intents", "check", "--for-events", "C2C_MESSAGE_CREATE"]);
}

#[test]
fn completions_explain_config_doctor_exit_0_on_a_closed_pipe() {
    for shell in ["bash", "zsh", "fish"] {
        closed_pipe(&["completions", shell]);
    }
    closed_pipe(&["explain", "4009"]);
    closed_pipe(&["--json", "explain", "40054005"]);
    closed_pipe(&["config", "show"]);
    closed_pipe(&["doctor", "--no-gateway"]);
}

#[test]
fn replay_stats_exits_0_on_a_closed_pipe() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "{HEADER}").unwrap();
    let path = file.path().to_str().unwrap().to_owned();
    closed_pipe(&["replay", &path, "--stats"]);
    closed_pipe(&["--json", "replay", &path, "--stats"]);
}
