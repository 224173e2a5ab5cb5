//! `qqbot listen` through the real binary against its embedded emulator: NDJSON that validates
//! against the committed schema, colour rules, broken pipes, Ctrl-C, and refusals.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;

fn qqbot() -> AssertCommand {
    let mut cmd = AssertCommand::from_std(cli_support::qqbot_command());
    cmd.timeout(Duration::from_secs(60));
    cmd
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/listen.v1.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn ndjson_output_validates_against_the_schema() {
    let out = qqbot()
        .args([
            "listen",
            "--emulator",
            "--count",
            "5",
            "--json",
            "--include-control",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let validator = validator();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut dispatches = 0;
    let mut kinds = Vec::new();
    let mut last_s = 0;
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect(line);
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{line}: {errors:?}");
        kinds.push(value["kind"].as_str().unwrap().to_owned());
        if value["kind"] == "dispatch" {
            dispatches += 1;
            let s = value["s"].as_u64().unwrap();
            assert!(s > last_s, "s must increase: {s} after {last_s}");
            last_s = s;
            let t = value["t"].as_str().unwrap();
            assert!(value["id"].as_str().unwrap().starts_with(&format!("{t}:")));
        }
    }
    assert_eq!(dispatches, 5);
    for kind in ["connected", "hello", "identify", "ready", "state"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "no {kind} line in {kinds:?}"
        );
    }
    // The core's own state lines: the shard became active right after READY.
    let ready = kinds.iter().position(|k| k == "ready").unwrap();
    let active = text
        .lines()
        .position(|l| l.contains(r#""kind":"state""#) && l.contains(r#""to":"active""#))
        .expect("a state line to active");
    assert_eq!(active, ready + 1, "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("summary: 5 event(s)"), "{stderr}");
    // The banner names the control API, for `qqbot emulate dispatch|fault|state --emulator-url`.
    assert!(
        stderr.contains("(control API http://127.0.0.1:") && stderr.contains("/_emulator/)"),
        "{stderr}"
    );
}

#[test]
fn piped_output_is_ndjson_without_colour_and_filters_apply() {
    let out = qqbot()
        .args([
            "listen",
            "--emulator",
            "--count",
            "3",
            "--events",
            "GROUP_AT_MESSAGE_CREATE,C2C_MESSAGE_CREATE",
            "--color",
            "always",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "JSON is never coloured");
    assert_eq!(text.lines().count(), 3);
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = value["t"].as_str().unwrap();
        assert!(
            t == "GROUP_AT_MESSAGE_CREATE" || t == "C2C_MESSAGE_CREATE",
            "{t}"
        );
    }
}

/// Run `qqbot listen --emulator --count 2` inside a pseudo-terminal (util-linux `script`), so
/// stdout is a terminal and human output is chosen.
fn listen_in_a_terminal(no_color: bool) -> String {
    let bin = env!("CARGO_BIN_EXE_qqbot");
    let mut cmd = Command::new("script");
    for var in cli_support::USER_ENV {
        cmd.env_remove(var);
    }
    cmd.args([
        "-q",
        "-e",
        "-c",
        &format!("{bin} listen --emulator --count 2"),
        "/dev/null",
    ])
    .env("QQBOT_CONFIG", cli_support::NO_CONFIG)
    .env("TERM", "xterm")
    .stdin(Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn terminal_output_is_human_and_honours_no_color() {
    let coloured = listen_in_a_terminal(false);
    assert!(
        coloured.contains("\x1b["),
        "colour on a terminal: {coloured:?}"
    );
    assert!(coloured.contains(" 0/1 "), "{coloured}");
    assert!(!coloured.contains("\"kind\""), "human lines, not JSON");
    let plain = listen_in_a_terminal(true);
    assert!(!plain.contains("\x1b["), "NO_COLOR: {plain:?}");
    assert!(plain.contains("summary: 2 event(s)"), "{plain}");
}

/// `qqbot listen --emulator --json EXTRA` with piped output, its stdout, and the first line.
fn listen_piped(
    extra: &[&str],
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    String,
) {
    listen_piped_as(cli_support::qqbot_command(), extra)
}

/// [`listen_piped`], run by `command` (the binary, or a wrapper that runs it).
fn listen_piped_as(
    mut command: std::process::Command,
    extra: &[&str],
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    String,
) {
    let mut child = command
        .args(["listen", "--emulator", "--json"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    (child, reader, first)
}

#[test]
fn broken_pipe_exits_zero() {
    let (mut child, reader, first) = listen_piped(&[]);
    assert!(first.starts_with("{\"kind\":\"dispatch\""), "{first}");
    drop(reader); // the reader goes away, like `| head -1`
    let status = wait_bounded(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));
}

/// Ctrl-C (SIGINT), SIGTERM (`kill`, `timeout`, `docker stop`, systemd) and SIGHUP (the
/// terminal or SSH connection went away) all close cleanly under a flood: every event the
/// summary counts is on stdout as a whole NDJSON line, then exit 130, 143 or 129 (what a shell
/// reports for a process those signals kill).
#[test]
fn ctrl_c_sigterm_and_sighup_close_cleanly_with_every_event_written_and_a_summary() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143), ("-HUP", 129)] {
        let (mut child, mut reader, first) = listen_piped(&["--scenario", "flood"]);
        // Read on, as a consumer would, so that qqbot is mid-flood when the signal comes.
        let rest = std::thread::spawn(move || {
            let mut rest = String::new();
            std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
            rest
        });
        cli_support::kill(child.id(), signal);
        let status = wait_bounded(&mut child, Duration::from_secs(30));
        assert_eq!(status.code(), Some(code), "{signal}");
        let out = first + &rest.join().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        let counted: usize = stderr
            .split_once("summary: ")
            .and_then(|(_, s)| s.split_once(' '))
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or_else(|| panic!("{signal}: no summary in {stderr}"));
        for line in out.lines() {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{signal}: a torn line ({e}): {line}"));
            assert_eq!(value["kind"], "dispatch");
        }
        assert_eq!(out.lines().count(), counted, "{signal}: {stderr}");
        assert!(stderr.contains("0 dropped"), "{signal}: {stderr}");
    }
}

/// Under `nohup`, which starts qqbot with SIGHUP ignored, a hangup stays ignored: the flood goes
/// on and a later SIGTERM is what stops it (no second-signal abort, no "hung up").
#[test]
fn under_nohup_a_hangup_is_left_ignored() {
    let qqbot = cli_support::qqbot_command();
    let mut command = std::process::Command::new("nohup");
    command.arg(qqbot.get_program()).args(qqbot.get_args());
    for (key, value) in qqbot.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let (mut child, mut reader, first) = listen_piped_as(command, &["--scenario", "flood"]);
    assert!(first.starts_with("{\"kind\":\"dispatch\""), "{first}");
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
        rest
    });
    // nohup has exec'd qqbot by now (it printed a line), so the pid is qqbot's.
    cli_support::kill(child.id(), "-HUP");
    cli_support::kill(child.id(), "-TERM");
    let status = wait_bounded(&mut child, Duration::from_secs(30));
    let _ = rest.join().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(!stderr.contains("hung up"), "{stderr}");
    assert!(!stderr.contains("aborting"), "{stderr}");
    assert!(stderr.contains("summary: "), "{stderr}");
}

fn wait_bounded(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "qqbot did not exit in time"
        );
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

#[test]
fn banned_bot_is_fatal_with_exit_5_and_a_hint() {
    qqbot()
        .args(["listen", "--emulator", "--scenario", "banned-4915"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains(
            "qqbot: error: the gateway refused the session",
        ))
        .stderr(predicate::str::contains("4915"))
        .stderr(predicate::str::contains("hint:"));
}

#[test]
fn identify_rejection_is_fatal_after_two_tries_not_a_loop() {
    qqbot()
        .args([
            "listen",
            "--emulator",
            "--scenario",
            "invalid-intents",
            "--intents",
            "all",
        ])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("identify rejected"));
}

#[test]
fn missing_credentials_and_bad_intents_are_usage_errors() {
    qqbot()
        .args(["listen"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no bot credentials"))
        .stderr(predicate::str::contains("--emulator"));
    qqbot()
        .args([
            "listen",
            "--emulator",
            "--intents",
            "guilds,public_guild_mesages",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `PUBLIC_GUILD_MESSAGES`",
        ));
}

#[test]
fn wrong_secret_is_an_authentication_failure() {
    // Start an emulator through the binary's own library and point `listen` at it with a bad secret.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt
        .block_on(qqbot::emulator::Emulator::start(Default::default()))
        .unwrap();
    qqbot()
        .args([
            "listen",
            "--api-base",
            &emulator.api_base(),
            "--token-url",
            &emulator.token_url(),
        ])
        .env("QQBOT_APP_ID", &emulator.config().app_id)
        .env("QQBOT_SECRET", "not-the-secret")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("authentication failed"))
        .stderr(predicate::str::contains("not-the-secret").not())
        .stderr(predicate::str::contains("`qqbot explain 100016`"))
        .stderr(predicate::str::contains(
            "credentials used: app id from env QQBOT_APP_ID, secret from env QQBOT_SECRET",
        ));
    // The same with the secret from a file: the hint names the file flag.
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "not-the-secret\n").unwrap();
    qqbot()
        .args([
            "listen",
            "--api-base",
            &emulator.api_base(),
            "--token-url",
            &emulator.token_url(),
            "--app-id",
            &emulator.config().app_id,
            "--secret-file",
            secret_file.to_str().unwrap(),
        ])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "credentials used: app id from flag --app-id, secret from flag --secret-file",
        ));
    // A wrong app id is 100007: the hint points at that code, not at 100016.
    qqbot()
        .args([
            "listen",
            "--api-base",
            &emulator.api_base(),
            "--token-url",
            &emulator.token_url(),
        ])
        .env("QQBOT_APP_ID", "999")
        .env("QQBOT_SECRET", emulator.config().secret.expose())
        .assert()
        .code(4)
        .stderr(predicate::str::contains("`qqbot explain 100007`"))
        .stderr(predicate::str::contains("explain 100016").not());
}

#[test]
fn state_file_lets_a_restarted_listen_resume_instead_of_identifying() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emulator = rt
        .block_on(qqbot::emulator::Emulator::start(
            qqbot::emulator::EmulatorConfig {
                rate: 20.0,
                ..Default::default()
            },
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let run = |count: &str| {
        let out = qqbot()
            .args([
                "listen",
                "--api-base",
                &emulator.api_base(),
                "--token-url",
                &emulator.token_url(),
                "--intents",
                "all",
                "--count",
                count,
                "--include-control",
                "--state-file",
                state.to_str().unwrap(),
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
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (first, banner) = run("2");
    assert!(first.contains(r#""kind":"ready""#));
    // Another API base is not called "production".
    assert!(
        banner.contains(&format!("listening to custom ({})", emulator.api_base())),
        "{banner}"
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let session_id = saved[0]["session_id"].as_str().unwrap().to_owned();
    let budget_after_first = emulator.session_start_remaining();

    // The emulator replays what it buffered since the first run before RESUMED (at 20 events/s,
    // a few): ask for more than that, so RESUMED is inside the run.
    let (second, _) = run("40");
    assert!(second.contains(r#""kind":"resume""#), "{second}");
    assert!(second.contains(r#""kind":"resumed""#), "{second}");
    assert!(
        !second.contains(r#""kind":"ready""#),
        "no new session: {second}"
    );
    assert_eq!(
        emulator.session_start_remaining(),
        budget_after_first,
        "no Identify spent"
    );
    let sessions = emulator.sessions();
    let session = sessions.iter().find(|s| s.id == session_id).unwrap();
    assert_eq!(session.resumes, 1);
}

/// Human lines carry the full ids `qqbot send` needs; --short-ids shortens them; --format human
/// forces human lines into a pipe (with colour on request), and the summary counts what was
/// shown and what the filters left out.
#[test]
fn human_lines_show_full_ids_into_a_pipe_and_the_summary_splits_shown_from_filtered() {
    let out = qqbot()
        .args([
            "listen",
            "--emulator",
            "--rate",
            "100",
            "--format",
            "human",
            "-e",
            "GROUP_AT_MESSAGE_CREATE,C2C_MESSAGE_CREATE",
            "-n",
            "4",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    for line in stdout.lines() {
        assert!(!line.starts_with('{') && !line.contains('\x1b'), "{line}");
        // Message ids (ROBOT1.0_…, dozens of characters) and 32-character openids in full.
        let msg = line.split(" msg:").nth(1).expect(line);
        let msg = msg.split_whitespace().next().unwrap();
        assert!(msg.starts_with("ROBOT1.0_") && msg.len() > 40, "{line}");
        assert!(!line.contains('…'), "{line}");
        let from = line.split(" from:").nth(1).unwrap();
        assert_eq!(from.split_whitespace().next().unwrap().len(), 32, "{line}");
        if line.contains("GROUP_AT_MESSAGE_CREATE") {
            let group = line.split(" group:").nth(1).unwrap();
            assert_eq!(group.split_whitespace().next().unwrap().len(), 32, "{line}");
        }
    }
    let summary = stderr
        .lines()
        .find(|l| l.contains("filtered out"))
        .expect(&stderr);
    assert!(summary.trim_start().starts_with("4 shown, "), "{summary}");
    let filtered: u64 = summary
        .split(", ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(filtered > 0, "{summary}");
    // Every dispatch received is accounted for: shown, filtered out or dropped (none here), and
    // the listen stopped at the 4th shown, so none was received after it.
    let head = stderr
        .lines()
        .find(|l| l.starts_with("summary: "))
        .expect(&stderr);
    let count = |after: &str, before: &str| -> u64 {
        let (lead, _) = head.split_once(before).expect(head);
        let number = lead.rsplit(after).next().unwrap();
        number.trim().parse().expect(head)
    };
    let received = count("summary: ", " event(s)");
    let dropped = count(", ", " dropped");
    assert_eq!(dropped, 0, "{head}");
    assert_eq!(received, 4 + filtered + dropped, "{head}\n{summary}");

    let short = qqbot()
        .args([
            "listen",
            "--emulator",
            "--rate",
            "100",
            "--format",
            "human",
            "--short-ids",
            "--color",
            "always",
            "-e",
            "C2C_MESSAGE_CREATE",
            "-n",
            "1",
        ])
        .output()
        .unwrap();
    let line = String::from_utf8(short.stdout).unwrap();
    assert!(
        line.contains("\x1b["),
        "--color always colours a pipe: {line:?}"
    );
    let msg = line
        .split(" msg:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert_eq!(msg.chars().count(), 12, "{line}");
    assert!(msg.ends_with('…'), "{line}");

    qqbot()
        .args(["listen", "--emulator", "--json", "--format", "human"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "qqbot: error: --json and --format human",
        ));
}

/// The embedded emulator's timing flags: a zombie within seconds, heartbeat latency in the
/// summary, and the banner names the control API.
#[test]
fn embedded_emulator_flags_make_a_zombie_show_within_seconds() {
    let out = qqbot()
        .args([
            "listen",
            "--emulator",
            "--scenario",
            "zombie",
            "--heartbeat-interval",
            "1000",
            "--session-timeout",
            "1h",
            "--rate",
            "20",
            "--json",
            "--include-control",
            "--duration",
            "3s",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("(control API http://127.0.0.1:") && stderr.contains("/_emulator/)"),
        "{stderr}"
    );
    let hello = stdout
        .lines()
        .find(|l| l.contains(r#""kind":"hello""#))
        .expect(&stdout);
    assert!(hello.contains(r#""heartbeat_interval_ms":1000"#), "{hello}");
    assert!(
        stdout.contains(r#""cause":"zombie""#),
        "a zombie close within 3 s: {stderr}"
    );
    assert!(stderr.contains("zombie(s) closed by qqbot"), "{stderr}");

    // A short interval on the demo scenario: heartbeats are acknowledged within the run, so
    // the summary shows their latency.
    let demo = qqbot()
        .args([
            "listen",
            "--emulator",
            "--heartbeat-interval",
            "1000",
            "--rate",
            "5",
            "--duration",
            "2500ms",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8(demo.stderr).unwrap();
    assert!(demo.status.success(), "{stderr}");
    assert!(stderr.contains("heartbeat rtt p50"), "{stderr}");

    qqbot()
        .args(["listen", "--heartbeat-interval", "2000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--emulator"));
}

/// An app with little of today's session-start budget left: `listen` says so when it starts,
/// with the way out (a state file), and not when the budget is healthy.
#[test]
fn a_low_session_start_budget_is_warned_about() {
    use qqbot::emulator::{EmulatorConfig, Scenario};
    let low = EmulatorConfig {
        scenario: Scenario::Demo,
        max_concurrency: 100,
        session_start_remaining: Some(7),
        ..EmulatorConfig::default()
    };
    for (config, warned) in [
        (low, true),
        (
            EmulatorConfig {
                scenario: Scenario::Demo,
                max_concurrency: 100,
                ..EmulatorConfig::default()
            },
            false,
        ),
    ] {
        let h = cli_support::Harness::start(config);
        let out = h
            .qqbot()
            .args(["listen", "--json", "--count", "1"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(
            stderr.contains("qqbot: warning: only 7 of 1000 session starts were left today"),
            warned,
            "{stderr}"
        );
        assert_eq!(
            stderr.contains("with --state-file FILE"),
            warned,
            "{stderr}"
        );
    }
}

/// `--until-event` ends the run after the first event of a type, written like the rest (exit 0),
/// and a run that ends any other way first fails (exit 1), saying what did not arrive.
#[test]
fn until_event_waits_for_a_type_and_fails_when_it_does_not_come() {
    let out = qqbot()
        .args([
            "listen",
            "--emulator",
            "--rate",
            "50",
            "--until-event",
            "GROUP_AT_MESSAGE_CREATE,C2C_MESSAGE_CREATE",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let awaited = |v: &serde_json::Value| {
        matches!(
            v["t"].as_str(),
            Some("GROUP_AT_MESSAGE_CREATE" | "C2C_MESSAGE_CREATE")
        )
    };
    assert!(awaited(lines.last().unwrap()), "{lines:?}");
    assert_eq!(lines.iter().filter(|v| awaited(v)).count(), 1, "{lines:?}");

    // READY is a lifecycle line in qqbot, and can be waited for too.
    qqbot()
        .args(["listen", "--emulator", "--until-event", "READY", "--json"])
        .assert()
        .success()
        .stdout("");

    qqbot()
        .args([
            "listen",
            "--emulator",
            "--scenario",
            "quiet",
            "--until-event",
            "GUILD_DELETE",
            "--duration",
            "1s",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "error: no GUILD_DELETE arrived within 1.0s",
        ))
        .stderr(predicate::str::contains("--for-events GUILD_DELETE"));
    qqbot()
        .args(["listen", "--emulator", "--until-event", "GUILD_DELET"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--until-event: unknown event type `GUILD_DELET`",
        ));
}

/// `--filter JQ`: only events the jq expression holds for, on `listen` and on `replay` of what
/// was recorded; an event the expression fails on is left out, with one warning; a mistake in
/// the expression is a usage error before anything connects.
#[test]
fn a_jq_filter_selects_events_live_and_in_replay() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.ndjson");
    let out = qqbot()
        .args([
            "listen",
            "--emulator",
            "--rate",
            "50",
            "-n",
            "3",
            "--json",
            "--filter",
            r#".d.content | test("hello")"#,
            "--record",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert!(
            line["d"]["content"].as_str().unwrap().contains("hello"),
            "{line}"
        );
    }
    // Events without content (reactions, friend adds) make `test` fail: said once.
    assert_eq!(stderr.matches("warning: --filter: ").count(), 1, "{stderr}");
    assert!(stderr.contains("filtered out by"), "{stderr}");

    // The recording keeps what passed; replay filters it again.
    let out = qqbot()
        .args([
            "replay",
            file.to_str().unwrap(),
            "--max-speed",
            "--json",
            "--filter",
            r#".t == "GROUP_AT_MESSAGE_CREATE""#,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let replayed: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected = lines
        .iter()
        .filter(|l| l["t"] == "GROUP_AT_MESSAGE_CREATE")
        .count();
    assert_eq!(replayed.len(), expected, "{replayed:?}");
    assert!(replayed.iter().all(|l| l["t"] == "GROUP_AT_MESSAGE_CREATE"));

    // A bot served the recording gets it as it was: the two do not combine.
    qqbot()
        .args([
            "replay",
            file.to_str().unwrap(),
            "--serve",
            "127.0.0.1:0",
            "--filter",
            ".t",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--filter and --serve cannot be used together",
        ));
    qqbot()
        .args(["listen", "--emulator", "--filter", ".d.author.id =="])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--filter: `.d.author.id ==` is not a jq expression",
        ));
}
