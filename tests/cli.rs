//! CLI tests through the real binary: exit codes, stderr text, JSON output, completions.

mod cli_support;

use assert_cmd::Command;
use predicates::prelude::*;

fn qqbot() -> Command {
    Command::from_std(cli_support::qqbot_command())
}

#[test]
fn explain_close_codes() {
    qqbot()
        .args(["explain", "4009"])
        .assert()
        .success()
        .stdout(predicate::str::contains("4009 Session timed out"))
        .stdout(predicate::str::contains("resume"));
    qqbot()
        .args(["explain", "4914"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sandbox"))
        .stdout(predicate::str::contains("stop: retrying cannot help"));
    qqbot()
        .args(["explain", "4905"])
        .assert()
        .success()
        .stdout(predicate::str::contains("range 4900–4913"));
}

#[test]
fn explain_api_error_codes() {
    qqbot()
        .args(["explain", "40054005"])
        .assert()
        .success()
        .stdout(predicate::str::contains("msg_seq"));
    qqbot()
        .args(["explain", "11298"])
        .assert()
        .success()
        .stdout(predicate::str::contains("whitelist"));
}

#[test]
fn explain_json_is_machine_readable() {
    let out = qqbot()
        .args(["--json", "explain", "4903"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], 4903);
    assert_eq!(v["action"], "identify");
}

#[test]
fn explain_unknown_and_bad_codes() {
    qqbot()
        .args(["explain", "123"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "qqbot: error: unknown code 123",
        ))
        .stderr(predicate::str::contains("hint:"));
    qqbot()
        .args(["explain", "abc"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a numeric code"));
}

#[test]
fn explain_list_shows_every_known_code_and_each_explains() {
    let out = qqbot().args(["explain", "--list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("4900–4913"), "{text}");
    assert!(text.contains("40054005"), "{text}");
    let out = qqbot()
        .args(["--json", "explain", "--list"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let closes = rows.iter().filter(|r| r["kind"] == "close_code").count();
    let apis = rows.iter().filter(|r| r["kind"] == "api_error").count();
    assert_eq!(closes, qqbot::protocol::close::CLOSE_CODES.len());
    assert_eq!(apis, qqbot::protocol::api_errors::API_ERRORS.len());
    // Every listed code is one `explain CODE` knows, with the same object.
    for row in rows.iter().filter(|r| r["kind"] == "api_error").take(5) {
        let code = row["code"].to_string();
        let one = qqbot().args(["--json", "explain", &code]).output().unwrap();
        let one: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
        assert_eq!(&one, row);
    }
    // The unknown-code hint points at the list, not at a file users do not have.
    qqbot()
        .args(["explain", "123"])
        .assert()
        .stderr(predicate::str::contains("qqbot explain --list"));
    qqbot()
        .args(["explain"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<CODE>"));
}

#[test]
fn intents_list_shows_every_bit_and_aliases() {
    qqbot()
        .args(["intents", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("GROUP_AND_C2C_EVENT"))
        .stdout(predicate::str::contains("USER_MESSAGE"))
        .stdout(predicate::str::contains("private bots only"))
        .stdout(predicate::str::contains("2114721283"));
    let out = qqbot()
        .args(["--json", "intents", "list"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rows.iter()
            .any(|r| r["name"] == "PUBLIC_GUILD_MESSAGES" && r["value"] == 1u64 << 30)
    );
}

#[test]
fn intents_explain_names_and_numbers() {
    qqbot()
        .args(["intents", "explain", "public_messages"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "GROUP_AND_C2C_EVENT = 1<<25 = 33554432",
        ));
    qqbot()
        .args(["intents", "explain", "1107300352"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "DIRECT_MESSAGE|GROUP_AND_C2C_EVENT|PUBLIC_GUILD_MESSAGES",
        ));
    qqbot()
        .args(["intents", "explain", "guilds,guild_messages"])
        .assert()
        .success()
        .stdout(predicate::str::contains("private-domain"));
}

#[test]
fn bad_intent_name_is_a_usage_error_with_a_suggestion() {
    qqbot()
        .args(["intents", "explain", "guild_mesages"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown intent `guild_mesages` (did you mean `GUILD_MESSAGES`?)",
        ));
}

#[test]
fn unknown_flags_exit_2() {
    qqbot().arg("--bogus").assert().code(2);
    qqbot()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("qqbot "));
}

#[test]
fn committed_completions_match_the_cli() {
    for (shell, file) in [
        ("bash", "completions/qqbot.bash"),
        ("zsh", "completions/_qqbot"),
        ("fish", "completions/qqbot.fish"),
    ] {
        let out = qqbot().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let committed = std::fs::read(file).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "{file} is out of date: run `cargo run -- completions {shell} > {file}`"
        );
    }
}

#[test]
fn clap_usage_errors_use_the_qqbot_error_prefix() {
    qqbot()
        .args(["listen", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "qqbot: error: unexpected argument '--no-such-flag'",
        ))
        .stderr(predicate::str::contains("Usage: qqbot listen"));
    qqbot()
        .args(["no-such-command"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("qqbot: error: "));
    // Help and version are not errors: stdout, exit 0, unchanged.
    qqbot()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Usage: qqbot"));
    qqbot()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("qqbot "));
}

#[test]
fn intents_check_public_never_suggests_a_bit_it_marks_as_a_problem() {
    qqbot()
        .args([
            "intents",
            "check",
            "-i",
            "guilds,guild_messages",
            "--public",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ GUILD_MESSAGES"))
        .stdout(predicate::str::contains("use: --intents guilds\n"))
        .stdout(predicate::str::contains("use: --intents guilds,").not());
}

#[test]
fn a_port_in_use_gets_a_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    qqbot()
        .args(["emulate", "--listen", &addr])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(format!(
            "qqbot: error: cannot listen on {addr}"
        )))
        .stderr(predicate::str::contains(
            "hint: another qqbot emulator or replay (or another program) may be on that port; use --listen 127.0.0.1:0",
        ));
    qqbot()
        .args(["listen", "--webhook", &addr])
        .env("QQBOT_APP_ID", "1020304050")
        .env("QQBOT_SECRET", "not-a-real-secret")
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("use --webhook 127.0.0.1:0"));
}

#[test]
fn send_to_an_unreachable_platform_does_not_claim_a_refusal() {
    let cache = tempfile::tempdir().unwrap();
    qqbot()
        .env("QQBOT_APP_ID", "1020304050")
        .env("QQBOT_SECRET", "not-a-real-secret")
        .env("QQBOT_CACHE_DIR", cache.path())
        .args([
            "--api-base",
            "http://127.0.0.1:9",
            "--token-url",
            "http://127.0.0.1:9/app/getAppAccessToken",
            "send",
            "--channel",
            "1",
            "--reply-to",
            "abc",
            "hi",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "qqbot: error: could not reach the platform; the message was not sent",
        ))
        .stderr(predicate::str::contains("refused the reply").not())
        .stderr(predicate::str::contains("sent with msg_seq").not());
}

fn help(args: &[&str]) -> String {
    let out = qqbot().args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{args:?} --help");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_command_has_examples_and_only_the_options_it_uses() {
    let commands: &[&[&str]] = &[
        &["listen"],
        &["emulate"],
        &["tui"],
        &["record"],
        &["replay"],
        &["explain"],
        &["intents", "list"],
        &["intents", "explain"],
        &["intents", "check"],
        &["completions"],
        &["send"],
        &["config", "init"],
        &["config", "set"],
        &["config", "show"],
        &["doctor"],
    ];
    for command in commands {
        let text = help(command);
        let examples = text
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("no Examples in {command:?} --help"));
        assert!(
            examples
                .lines()
                .any(|l| l.trim_start().starts_with("qqbot ") || l.contains("| qqbot ")),
            "{command:?}: {examples}"
        );
    }
    // Connection options only where a connection is made.
    for command in [
        &["explain"][..],
        &["intents", "list"],
        &["completions"],
        &["emulate"],
    ] {
        let text = help(command);
        for flag in [
            "--sandbox",
            "--api-base",
            "--token-url",
            "--secret-file",
            "--profile",
        ] {
            assert!(!text.contains(flag), "{command:?} --help shows {flag}");
        }
        // `emulate --app-id` is the emulated app's id, not a credential.
        if command != &["emulate"][..] {
            assert!(
                !text.contains("--app-id"),
                "{command:?} --help shows --app-id"
            );
        }
    }
    for command in [
        &["listen"][..],
        &["send"],
        &["doctor"],
        &["intents", "check"],
        &["tui"],
    ] {
        let text = help(command);
        for flag in [
            "--sandbox",
            "--api-base",
            "--secret-file",
            "--app-id",
            "--profile",
        ] {
            assert!(text.contains(flag), "{command:?} --help lacks {flag}");
        }
    }
    // Every command keeps -q, --color and --json.
    assert!(help(&["explain"]).contains("--color <WHEN>"));
    // The TUI's keys.
    let tui = help(&["tui"]);
    let keys = tui.split("Keys:\n").nth(1).expect("Keys section");
    for key in ["q, Ctrl-C", "p, Space", "Tab", "Enter", "/"] {
        assert!(keys.contains(key), "{key} missing from tui --help: {keys}");
    }
    // The old spelling still works: connection options before the command.
    qqbot()
        .args(["--sandbox", "config", "show", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(r#""value":true"#));
}

#[test]
fn app_id_is_a_flag_and_the_secret_is_not() {
    qqbot()
        .args(["config", "show", "--app-id", "102000777"])
        .assert()
        .success()
        .stdout(predicate::str::contains("102000777"))
        .stdout(predicate::str::contains("flag --app-id"));
    qqbot()
        .args(["config", "show", "--secret", "x"])
        .assert()
        .code(2);
}
