//! `qqbot doctor` against the emulator: a healthy setup, a wrong secret, a sandbox-only bot,
//! denied intents and missing credentials, each with its exit code and advice.

mod cli_support;

use cli_support::{Harness, quiet, run};
use qqbot::emulator::{EmulatorConfig, Scenario};
use serde_json::Value;

/// Each check's `status` in `doctor --json` output, in order.
fn statuses(v: &Value) -> Vec<&str> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect()
}

#[test]
fn a_healthy_setup_passes_every_check() {
    let h = Harness::start(quiet());
    let before = h.emu.session_start_remaining();
    let (stdout, stderr, code) = run(h.qqbot().arg("doctor"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    for name in [
        "credentials",
        "token",
        "gateway/bot",
        "users/@me",
        "handshake",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("✓ {name}"))),
            "no passing {name} line in {stdout}"
        );
    }
    assert!(stdout.contains("READY as"), "{stdout}");
    assert!(stdout.contains("spent 1 session start"), "{stdout}");
    assert_eq!(before - h.emu.session_start_remaining(), 1);
    assert!(stderr.contains("all checks passed"), "{stderr}");

    let (stdout, _, code) = run(h.qqbot().args(["doctor", "--json", "--no-gateway"]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(statuses(&v), ["pass", "pass", "pass", "pass", "skip"]);
    assert_eq!(v["checks"][2]["data"]["session_start_limit"]["total"], 1000);
}

#[test]
fn a_wrong_secret_exits_4_with_the_diagnosis() {
    let h = Harness::start(quiet());
    let (stdout, stderr, code) = run(h
        .qqbot()
        .env("QQBOT_SECRET", "not-the-secret")
        .arg("doctor"));
    assert_eq!(code, 4, "{stdout}{stderr}");
    assert!(stdout.contains("✗ token"), "{stdout}");
    assert!(stdout.contains("invalid app secret (100016)"), "{stdout}");
    assert!(stdout.contains("→ check QQBOT_SECRET"), "{stdout}");
    assert!(
        stdout.contains(
            "credentials used: app id from env QQBOT_APP_ID, secret from env QQBOT_SECRET"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("- handshake"),
        "later checks are skipped: {stdout}"
    );
    assert!(!stdout.contains("not-the-secret") && !stderr.contains("not-the-secret"));
}

#[test]
fn a_sandbox_only_bot_exits_5_with_the_sandbox_advice() {
    let h = Harness::start(EmulatorConfig {
        scenario: Scenario::Offline4914,
        ..quiet()
    });
    let (stdout, stderr, code) = run(h.qqbot().arg("doctor"));
    assert_eq!(code, 5, "{stdout}{stderr}");
    assert!(stdout.contains("✗ handshake"), "{stdout}");
    assert!(stdout.contains("4914"), "{stdout}");
    assert!(stdout.contains("--sandbox"), "{stdout}");
}

#[test]
fn denied_intents_exit_5_and_point_to_intents_check() {
    let h = Harness::start(EmulatorConfig {
        scenario: Scenario::InvalidIntents,
        ..quiet()
    });
    let (stdout, stderr, code) = run(h.qqbot().args(["doctor", "--intents", "all"]));
    assert_eq!(code, 5, "{stdout}{stderr}");
    assert!(stdout.contains("op 9, then close 4903"), "{stdout}");
    assert!(stdout.contains("qqbot intents check --live"), "{stdout}");
}

#[test]
fn missing_credentials_exit_2_as_everywhere() {
    let h = Harness::start(quiet());
    let (stdout, _, code) = run(h.bare().args(["doctor", "--json"]));
    assert_eq!(code, 2, "missing credentials are a usage error");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["checks"][0]["status"], "fail");
    assert_eq!(
        v["checks"][0]["detail"],
        "no app id and no secret (profile `default`)"
    );
    assert_eq!(v["checks"][4]["status"], "skip");
}

#[test]
fn an_unreachable_token_endpoint_exits_1() {
    let h = Harness::start(quiet());
    // A port that was just free: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (stdout, _, code) = run(h
        .bare()
        .env("QQBOT_APP_ID", "1")
        .env("QQBOT_SECRET", "x")
        .args([
            "--token-url",
            &format!("http://127.0.0.1:{port}/t"),
            "doctor",
        ]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("cannot reach the token endpoint"),
        "{stdout}"
    );
}

#[test]
fn doctor_right_after_another_identify_waits_out_the_window_instead_of_failing_with_4008() {
    // An emulator that closes an Identify within 5 s of another with 4008, as the platform may.
    let mut h = Harness::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        max_concurrency: 1,
        strict_identify_rate: true,
        ..EmulatorConfig::default()
    });
    // A bot identifies; `doctor` starts right after (well within the 5 s window).
    h.connect_bot();
    let (stdout, stderr, code) = run(h.qqbot().arg("doctor"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("closed with 4008 (rate limit)")
            && stderr.contains("waiting 5.5 s for the identify window"),
        "{stderr}"
    );
    assert!(
        stdout.contains("waited out the identify window after a 4008 first"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("✓ handshake")),
        "{stdout}"
    );
}

/// `--emulator`: no credentials anywhere, an embedded emulator, every check passing, and the
/// emulator's secret nowhere in the output. With `--api-base` it is a usage error.
#[test]
fn with_emulator_every_check_passes_without_credentials() {
    let out = cli_support::qqbot_command()
        .args(["doctor", "--emulator", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["ok"], true, "{stdout}");
    assert_eq!(v["environment"], "emulator", "{stdout}");
    assert!(
        v["api_base"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "{stdout}"
    );
    assert_eq!(statuses(&v), ["pass"; 5], "{stdout}");
    assert_eq!(
        v["checks"][0]["data"]["secret_source"], "flag --emulator",
        "{stdout}"
    );
    for text in [&stdout, &stderr] {
        assert!(!text.contains(qqbot::emulator::DEFAULT_SECRET), "{text}");
    }

    let out = cli_support::qqbot_command()
        .args(["doctor", "--emulator", "--api-base", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
