//! What the platform would refuse is refused locally, as a usage error (exit 2) with a clear
//! message, before any connection is made.

mod cli_support;

use assert_cmd::Command;
use predicates::prelude::*;

fn qqbot() -> Command {
    Command::from_std(cli_support::qqbot_command())
}

/// Credentials for commands that get past the credentials check; the API base is a closed port
/// so nothing could be sent even if the refusal were missing (the test would then fail on the
/// message, not hang).
fn with_creds(cmd: &mut Command, app_id: &str) {
    cmd.env("QQBOT_APP_ID", app_id)
        .env("QQBOT_SECRET", "not-a-real-secret")
        .env("QQBOT_API_BASE", "http://127.0.0.1:9")
        .env(
            "QQBOT_TOKEN_URL",
            "http://127.0.0.1:9/app/getAppAccessToken",
        );
}

#[test]
fn unknown_intent_bits_are_refused() {
    let mut cmd = qqbot();
    with_creds(&mut cmd, "1020304050");
    cmd.args(["listen", "-i", "1<<40"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "qqbot: error: --intents: `1<<40` has bits outside the intents table",
        ));
}

#[test]
fn zero_shards_and_zero_count_are_refused() {
    qqbot()
        .args(["listen", "--emulator", "--shards", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("qqbot: error: "))
        .stderr(predicate::str::contains("--shards"));
    qqbot()
        .args(["listen", "--emulator", "-n", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("qqbot: error: "))
        .stderr(predicate::str::contains("--count"));
}

#[test]
fn an_inverted_seq_range_is_refused() {
    qqbot()
        .args([
            "replay",
            "/nonexistent/rec.ndjson",
            "--from-seq",
            "50",
            "--to-seq",
            "10",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "qqbot: error: --from-seq 50 is after --to-seq 10",
        ));
}

#[test]
fn an_empty_secret_file_is_refused() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "  \n").unwrap();
    qqbot()
        .env("QQBOT_APP_ID", "1020304050")
        .args(["listen", "--secret-file", file.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read secret file"))
        .stderr(predicate::str::contains("the file is empty"));
}

#[test]
fn a_non_numeric_app_id_is_refused_and_doctor_does_not_tick_it() {
    let mut cmd = qqbot();
    with_creds(&mut cmd, "my-bot");
    cmd.args(["listen"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "qqbot: error: the app id `my-bot` is not a number",
        ));
    let mut cmd = qqbot();
    with_creds(&mut cmd, "my-bot");
    cmd.args(["send", "--channel", "1", "hello"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the app id `my-bot` is not a number",
        ));
    let mut cmd = qqbot();
    with_creds(&mut cmd, "my-bot");
    let out = cmd.args(["--json", "doctor"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["checks"][0]["check"], "credentials");
    assert_eq!(v["checks"][0]["status"], "fail", "{v}");
    assert!(
        v["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("is not a number"),
        "{v}"
    );
}

#[test]
fn emulator_with_api_base_is_refused() {
    qqbot()
        .args(["listen", "--emulator", "--api-base", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "qqbot: error: --emulator and --api-base cannot be used together",
        ));
}

#[test]
fn unknown_event_names_are_refused_with_a_suggestion() {
    qqbot()
        .args(["listen", "--emulator", "-e", "AT_MESSAGE_CREAT"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "qqbot: error: -e/--events: unknown event type `AT_MESSAGE_CREAT`",
        ))
        .stderr(predicate::str::contains("did you mean AT_MESSAGE_CREATE?"));
    qqbot()
        .args(["listen", "--emulator", "--intents", "auto"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--intents auto needs -e/--events"));
}

#[test]
fn undeliverable_events_warn_and_auto_picks_the_minimal_intents() {
    qqbot()
        .args([
            "listen",
            "--emulator",
            "-i",
            "default",
            "-e",
            "C2C_MESSAGE_CREATE,AT_MESSAGE_CREATE",
            "-n",
            "1",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "cannot deliver C2C_MESSAGE_CREATE (needs GROUP_AND_C2C_EVENT)",
        ))
        .stderr(predicate::str::contains("cannot deliver AT_MESSAGE_CREATE").not());
    qqbot()
        .args([
            "listen",
            "--emulator",
            "-i",
            "auto",
            "-e",
            "AT_MESSAGE_CREATE",
            "-n",
            "1",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .stderr(predicate::str::contains("(PUBLIC_GUILD_MESSAGES)"))
        .stderr(predicate::str::contains("warning").not());
}
