//! The binary's terminal features in a real terminal: each test runs `qqbot` inside a detached
//! tmux session and polls `capture-pane` (bounded by [`TIMEOUT`]) until the text it expects is on
//! the screen.
//!
//! - `qqbot tui --emulator` (160×40, two shards): the shard table and a non-zero event count,
//!   pause, help, a resize to 80×24, `q`; then the exit status and the terminal restored
//!   (alternate screen left, the shell text and the summary back at column 0). Also Ctrl-C
//!   (exit 130), SIGTERM (143, terminal restored), a closed terminal (the dashboard ends), a close
//!   and resume followed through the `session-timeout` scenario, and the refusal when stdout is
//!   not a terminal.
//! - The panic hook: the binary has no way to panic on demand, so this one test binary runs
//!   itself in the pane ([`pty_child`]) as a dashboard (`qqbot::tui::run_dashboard`, the function
//!   `qqbot tui` runs, over the `tui_fixture` items) that panics on SIGUSR1.
//! - `qqbot replay`'s progress bar, `qqbot record`'s spinner, the prompts of an interactive
//!   `qqbot config init`, and `qqbot tui --replay` saying that the replay finished.

mod cli_support;
mod tmux_support;
mod tui_fixture;

use std::process::Command;
use std::time::Duration;

use tmux_support::Tmux;

/// Set in the environment of [`pty_child`] when [`a_panic_restores_the_terminal_before_its_message_prints`]
/// starts it.
const CHILD: &str = "QQBOT_TUI_PTY_CHILD";

/// A shell command line: `PROGRAM ARGS` with none of the user's qqbot settings in its
/// environment and no config file.
fn clean_line(program: &str, args: &str) -> String {
    let unset: String = cli_support::USER_ENV
        .iter()
        .map(|var| format!("-u {var} "))
        .collect();
    format!(
        "env {unset}QQBOT_CONFIG={} {program} {args}",
        cli_support::NO_CONFIG
    )
}

fn event_total(screen: &str) -> u64 {
    screen
        .split("total ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn dashboard_runs_in_a_real_terminal_and_restores_it_on_quit() {
    let tmux = Tmux::new_named("quit");
    // Heartbeats every second, so the summary has a round-trip line; the emulator's identify
    // spacing brings the second shard up about 5 s after the first. 160 columns leave the
    // embedded emulator's source label (with its two URLs) whole next to PAUSED.
    start_dashboard(
        &tmux,
        "160",
        &qqbot_line("tui --emulator --shards 2 --rate 100 --heartbeat-interval 1000"),
    );
    tmux.wait_for("both shards active", |s| s.contains("Shards 2/2 active"));
    let screen = tmux.capture();
    assert!(screen.contains("Heartbeat"), "{screen}");
    assert!(screen.contains("Recent events"), "{screen}");
    assert!(
        !screen.contains("BEFORE-TUI"),
        "alternate screen is up:\n{screen}"
    );
    assert_eq!(tmux.format("#{alternate_on}"), "1");

    tmux.run(&["send-keys", "-t", "tui", "p"]);
    tmux.wait_for("PAUSED in the status bar", |s| s.contains("PAUSED"));
    tmux.run(&["send-keys", "-t", "tui", "p"]);
    tmux.wait_for("pause to end", |s| !s.contains("PAUSED"));
    tmux.run(&["send-keys", "-t", "tui", "?"]);
    tmux.wait_for("the help overlay", |s| s.contains("pause the view"));
    tmux.run(&["send-keys", "-t", "tui", "Escape"]);
    tmux.wait_for("the help overlay to close", |s| {
        !s.contains("pause the view")
    });

    // Shrink to 80×24: the compact layout (events log with a Tab hint) takes over.
    tmux.run(&["resize-window", "-t", "tui", "-x", "80", "-y", "24"]);
    tmux.wait_for("the compact layout", |s| {
        s.contains("Tab: types") && s.lines().all(|l| l.chars().count() <= 80)
    });

    tmux.run(&["send-keys", "-t", "tui", "q"]);
    assert_eq!(wait_exit(&tmux), "0", "exit status");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
    // With the scrollback: shrinking the window may have pushed the first line into history.
    let out = tmux.run(&["capture-pane", "-p", "-S", "-", "-t", "tui"]);
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        screen.contains("BEFORE-TUI"),
        "shell text is back:\n{screen}"
    );
    assert!(screen.contains("summary: "), "summary printed:\n{screen}");
    assert!(!screen.contains("Shards 2/2"), "dashboard gone:\n{screen}");
    // The summary line starts at column 0: raw mode was switched off before it printed
    // (in raw mode "\n" does not return the carriage, so lines would stair-step).
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("  heartbeat rtt") || l.starts_with("  AT_MESSAGE_CREATE")),
        "summary lines start at column 0 (raw mode off):\n{screen}"
    );
}

/// `qqbot ARGS` as a shell command line, with no user settings and no config file.
fn qqbot_line(args: &str) -> String {
    clean_line(env!("CARGO_BIN_EXE_qqbot"), args)
}

/// Run the dashboard command `line` in a fresh tmux session of `width`×40 and wait for the
/// dashboard.
fn start_dashboard(tmux: &Tmux, width: &str, line: &str) {
    // Not `exec`: the shell reports the exit status on screen once the dashboard is gone.
    let command = format!("echo BEFORE-TUI; RUST_BACKTRACE=0 {line}; echo EXIT-STATUS=$?");
    start_pane(tmux, width, "40", &command);
    tmux.wait_for("the shard table and events", |s| {
        // "Shards N/N active" in the table's title, whatever the shard count.
        s.contains("┌ Shards ") && s.contains(" active ─") && event_total(s) > 0
    });
}

/// Run `command` under `sh -c` in a new detached session of that size, kept on screen after it
/// exits.
fn start_pane(tmux: &Tmux, width: &str, height: &str, command: &str) {
    let out = tmux.run(&[
        "start-server",
        ";",
        "set-option",
        "-g",
        "remain-on-exit",
        "on",
        ";",
        "new-session",
        "-d",
        "-x",
        width,
        "-y",
        height,
        "-s",
        "tui",
        "sh",
        "-c",
        command,
    ]);
    assert!(
        out.status.success(),
        "tmux new-session failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run `qqbot ARGS` (shell syntax: redirections allowed) in a kept-on-screen pane, with no user
/// config file, followed by `EXIT-STATUS=<code>`.
fn qqbot_in_pane(tmux: &Tmux, width: &str, height: &str, args: &str) {
    let command = format!("{}; echo EXIT-STATUS=$?", qqbot_line(args));
    start_pane(tmux, width, height, &command);
}

/// Wait for the dashboard to exit and return its status, as the shell printed it.
fn wait_exit(tmux: &Tmux) -> String {
    let screen = tmux.wait_for("the dashboard to exit", |s| s.contains("EXIT-STATUS="));
    screen
        .split("EXIT-STATUS=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .to_string()
}

/// The dashboard's pid: the only child of the pane's shell.
fn dashboard_pid(tmux: &Tmux) -> String {
    let shell = tmux.format("#{pane_pid}");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("/proc lists the shell's children");
    let pids: Vec<&str> = children.split_whitespace().collect();
    assert_eq!(pids.len(), 1, "one child of the pane's shell: {pids:?}");
    pids[0].to_string()
}

/// Not a test of its own: the dashboard [`a_panic_restores_the_terminal_before_its_message_prints`]
/// runs in its pane (this test binary, started with [`CHILD`] set). It runs
/// `qqbot::tui::run_dashboard` over the fixture's items, as `qqbot tui` runs it over a cluster's,
/// and on SIGUSR1 panics on another thread while the dashboard is up; then exits with 101, as a
/// panic on the main thread would. Ignored, so that only that test starts it; without
/// [`CHILD`] it returns at once.
#[test]
#[ignore = "the dashboard of a_panic_restores_the_terminal_before_its_message_prints"]
fn pty_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    use std::sync::atomic::{AtomicBool, Ordering};
    static PANICKED: AtomicBool = AtomicBool::new(false);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ended = rt.block_on(async {
        let mut usr1 =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())
                .expect("a SIGUSR1 handler");
        let (panicked_tx, panicked_rx) = tokio::sync::oneshot::channel::<()>();
        // The panic comes from elsewhere while the dashboard keeps drawing.
        tokio::spawn(async move {
            if usr1.recv().await.is_some() {
                PANICKED.store(true, Ordering::SeqCst);
                let _ = tokio::task::spawn_blocking(|| {
                    panic!("pty_child: deliberate panic (SIGUSR1)");
                })
                .await;
                let _ = panicked_tx.send(());
            }
        });
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        for item in tui_fixture::items() {
            tx.send(item).await.unwrap();
        }
        // `tx` stays open: the source has not ended while the dashboard is up.
        let dashboard = qqbot::tui::run_dashboard(rx, tui_fixture::header(), None, 0);
        let ended = tokio::select! {
            ended = dashboard => Some(ended.map(|e| e.interrupted)),
            Ok(()) = panicked_rx => None,
        };
        drop(tx);
        ended
    });
    // Either branch may win after the panic (the dashboard stops once the hook has fired).
    if PANICKED.load(Ordering::SeqCst) {
        std::process::exit(101);
    }
    eprintln!("pty_child: the dashboard ended before SIGUSR1: {ended:?}");
    std::process::exit(1);
}

#[test]
fn a_panic_restores_the_terminal_before_its_message_prints() {
    let tmux = Tmux::new_named("panic");
    let exe = std::env::current_exe().unwrap();
    let child = format!(
        "{CHILD}=1 {}",
        clean_line(
            &exe.display().to_string(),
            "pty_child --exact --ignored --nocapture --test-threads 1"
        )
    );
    start_dashboard(&tmux, "120", &child);
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    let pid = dashboard_pid(&tmux);
    let status = Command::new("kill").args(["-USR1", &pid]).status().unwrap();
    assert!(status.success(), "kill -USR1 {pid}");
    assert_eq!(wait_exit(&tmux), "101", "exit status of a panic");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
    let out = tmux.run(&["capture-pane", "-p", "-S", "-", "-t", "tui"]);
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    // Readable: on the normal screen, starting at column 0 (raw mode off before it printed).
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("thread ") && l.contains("panicked")),
        "panic message at column 0:\n{screen}"
    );
    // In order: restoring twice would jump the cursor back and print over the message.
    let message = screen
        .find("deliberate panic")
        .expect("panic message shown");
    let exit = screen.find("EXIT-STATUS=").expect("exit status shown");
    assert!(message < exit, "message before the exit status:\n{screen}");
    assert!(!screen.contains("Shards 2/2"), "dashboard gone:\n{screen}");
}

/// The real command: `qqbot tui --emulator` runs a `Cluster` against the embedded emulator, whose
/// `session-timeout` scenario sends op 7 (qqbot closes with 4000 and resumes) and closes with 4009
/// on a cycle; the dashboard must show the close and the resume, and `q` restores the terminal.
#[test]
fn dashboard_follows_an_emulated_cluster_through_a_close_and_resume() {
    let tmux = Tmux::new_named("emulator");
    start_dashboard(
        &tmux,
        "120",
        &qqbot_line("tui --emulator --scenario session-timeout"),
    );
    // The scenario's op 7 makes qqbot close (4000) and resume; 4009s follow on its cycle.
    let resumes = |s: &str| -> u64 {
        s.split("resumes  ")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    let screen = tmux.wait_for("a close and a resume on the dashboard", |s| {
        (s.contains("by qqbot") || s.contains("4009 Session timed out")) && resumes(s) >= 1
    });
    assert!(screen.contains("session-timeout scenario"), "{screen}");
    assert!(screen.contains("Shards 1/1"), "{screen}");
    tmux.run(&["send-keys", "-t", "tui", "q"]);
    assert_eq!(wait_exit(&tmux), "0", "exit status");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
    let out = tmux.run(&["capture-pane", "-p", "-S", "-", "-t", "tui"]);
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(screen.contains("summary: "), "{screen}");
    assert!(
        screen.contains("  closes: 4"),
        "the summary counts the closes:\n{screen}"
    );
}

/// `q` is a normal quit (0); Ctrl-C is an interruption and exits 130, as `listen` does.
#[test]
fn ctrl_c_in_the_dashboard_exits_130() {
    let tmux = Tmux::new_named("ctrlc");
    start_dashboard(&tmux, "120", &qqbot_line("tui --emulator"));
    tmux.wait_for("the dashboard", |s| s.contains("Shards 1/1"));
    tmux.run(&["send-keys", "-t", "tui", "C-c"]);
    assert_eq!(wait_exit(&tmux), "130", "exit status of Ctrl-C");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
}

/// SIGTERM (`kill`, `docker stop`) ends the dashboard as Ctrl-C does: terminal restored, summary
/// printed, exit 143.
#[test]
fn sigterm_restores_the_terminal_and_exits_143() {
    let tmux = Tmux::new_named("sigterm");
    start_dashboard(&tmux, "120", &qqbot_line("tui --emulator"));
    tmux.wait_for("the dashboard", |s| s.contains("Shards 1/1"));
    cli_support::kill(dashboard_pid(&tmux), "-TERM");
    assert_eq!(wait_exit(&tmux), "143", "exit status of SIGTERM");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
    let screen = tmux.capture();
    assert!(screen.contains("summary: "), "summary printed:\n{screen}");
}

/// Closing the terminal (the pane's tmux session killed: SIGHUP, then a terminal that fails
/// every read and write) ends the dashboard; it is not left running against a dead terminal.
#[test]
fn a_closed_terminal_ends_the_dashboard() {
    let tmux = Tmux::new_named("hangup");
    start_dashboard(&tmux, "120", &qqbot_line("tui --emulator"));
    tmux.wait_for("the dashboard", |s| s.contains("Shards 1/1"));
    let pid = dashboard_pid(&tmux);
    tmux.run(&["kill-session", "-t", "tui"]);
    let deadline = std::time::Instant::now() + tmux_support::TIMEOUT;
    // Gone, or a zombie its new parent has not reaped yet.
    while std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .and_then(|s| s.split_whitespace().next())
            != Some("Z")
    }) {
        assert!(
            std::time::Instant::now() < deadline,
            "the dashboard (pid {pid}) still runs after its terminal closed"
        );
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

#[test]
fn refuses_when_stdout_is_not_a_terminal() {
    let out = cli_support::qqbot_command()
        .args(["tui", "--emulator"])
        .output()
        .expect("qqbot runs");
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stdout is not a TTY"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "no escape codes written: {:?}",
        out.stdout
    );
}

/// `qqbot replay` with stdout redirected and stderr on a terminal shows a progress bar over the
/// file's size (the recording pauses for a minute after 600 events, so the bar stays up).
#[test]
fn replay_shows_a_progress_bar_on_a_terminal() {
    use chrono::{TimeZone, Utc};
    use qqbot::gateway::ShardId;
    use qqbot::record::{Dir, Header, RecordWriter, Redaction};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paced.ndjson");
    let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 9, 40, 0).unwrap();
    let us = Arc::new(AtomicU64::new(0));
    let clock_us = us.clone();
    let mut w = RecordWriter::create(&path, &Header::new(t0), &Redaction::default())
        .unwrap()
        .with_clock(Box::new(move || {
            Duration::from_micros(clock_us.load(Ordering::SeqCst))
        }));
    for seq in 1..=1000u64 {
        let offset = if seq <= 600 { 0 } else { 60_000_000 + seq };
        us.store(offset, Ordering::SeqCst);
        let frame = format!(
            r#"{{"op":0,"s":{seq},"t":"AT_MESSAGE_CREATE","id":"AT:{seq}","d":{{"content":"{}"}}}}"#,
            "x".repeat(200)
        );
        w.write_frame(Dir::Rx, ShardId::ONE, &t0, &frame).unwrap();
    }
    w.close().unwrap();

    let tmux = Tmux::new_named("replay-bar");
    qqbot_in_pane(
        &tmux,
        "120",
        "10",
        &format!("replay {} > /dev/null", path.display()),
    );
    let screen = tmux.wait_for("the progress bar", |s| {
        s.contains("replaying [") && s.contains("% of") && s.contains("item(s)")
    });
    assert!(
        !screen.contains("EXIT-STATUS"),
        "still replaying:\n{screen}"
    );
}

/// `qqbot record` on a terminal shows a spinner with events, bytes recorded and reconnects, then
/// clears it and reports the file.
#[test]
fn record_shows_a_spinner_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.ndjson");
    let tmux = Tmux::new_named("record-spinner");
    qqbot_in_pane(
        &tmux,
        "150",
        "10",
        &format!("record -o {} --emulator --duration 3s", path.display()),
    );
    tmux.wait_for("the spinner", |s| {
        s.contains("recording") && s.contains("event(s)") && s.contains("KiB recorded")
    });
    let screen = tmux.wait_for("record to end", |s| s.contains("EXIT-STATUS="));
    assert!(screen.contains("EXIT-STATUS=0"), "{screen}");
    assert!(screen.contains("recorded"), "{screen}");
    assert!(
        !screen.contains("KiB recorded"),
        "spinner cleared:\n{screen}"
    );
    assert!(path.exists());
}

/// Interactive `qqbot config init` on a terminal: it asks for each value, the secret is typed
/// without echo, and the answers land in a 0600 file.
#[test]
fn config_init_asks_on_a_terminal_and_hides_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let secret = "s3cret-typed-at-the-prompt";
    let tmux = Tmux::new_named("config-init");
    qqbot_in_pane(
        &tmux,
        "120",
        "20",
        &format!("--config {} config init", path.display()),
    );
    let answer = |prompt: &str, text: &str| {
        tmux.wait_for(prompt, |s| s.contains(prompt));
        tmux.run(&["send-keys", "-t", "tui", "-l", text]);
        tmux.run(&["send-keys", "-t", "tui", "Enter"]);
    };
    answer("Profile name [", "dev");
    answer("AppID:", "102000123");
    answer("AppSecret", secret);
    answer("Sandbox environment? [y/N]:", "y");
    answer("Public-domain bot?", "n");
    let screen = tmux.wait_for("config init to finish", |s| s.contains("EXIT-STATUS="));
    assert!(screen.contains("EXIT-STATUS=0"), "{screen}");
    assert!(screen.contains("wrote profile `dev`"), "{screen}");
    assert!(!screen.contains(secret), "the secret was echoed:\n{screen}");

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[profile.dev]"), "{text}");
    assert!(text.contains("app_id = \"102000123\""), "{text}");
    assert!(text.contains(&format!("secret = \"{secret}\"")), "{text}");
    assert!(text.contains("sandbox = true"), "{text}");
    assert!(text.contains("public = false"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// A replay that ends says "replay finished" and its shard "ended" (not `connecting` waiting
/// for a reconnect), and guild content is shown unescaped, as `listen` shows it.
#[test]
fn a_finished_replay_says_so_and_content_is_unescaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("short.ndjson");
    let lines = [
        r#"{"format":"qqbot-recording","version":"1.0","qqbot_version":"0.1.0","started_at":"2026-11-27T09:40:00Z","gateway":"127.0.0.1","sandbox":false,"intents":1,"shards":1,"app_id":"1","redaction":{"tokens":true,"ids":false,"content":false}}"#,
        r#"{"type":"event","offset_us":1000,"at":"2026-11-27T09:40:00.001Z","shard":[0,1],"kind":"connected","url":"ws://127.0.0.1/websocket","attempt":1}"#,
        r#"{"type":"event","offset_us":2000,"at":"2026-11-27T09:40:00.002Z","shard":[0,1],"kind":"ready","session_id":"s1","user_id":"42","username":"bot"}"#,
        r#"{"type":"frame","offset_us":3000,"at":"2026-11-27T09:40:00.003Z","shard":[0,1],"dir":"rx","frame":{"op":0,"s":2,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:x","d":{"id":"m1","channel_id":"100010","guild_id":"187","author":{"id":"1234","username":"abc"},"content":"1 &lt; 2 &amp;&amp; 3 &gt; 2"}}}"#,
        r#"{"type":"event","offset_us":4000,"at":"2026-11-27T09:40:00.004Z","shard":[0,1],"kind":"close","code":4009,"reason":"Session timed out","origin":"server","action":"resume"}"#,
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let tmux = Tmux::new_named("replay-end");
    qqbot_in_pane(
        &tmux,
        "160",
        "40",
        &format!("tui --replay {} --speed 100", file.display()),
    );
    let screen = tmux.wait_for("the end of the replay", |s| s.contains("replay finished"));
    assert!(
        screen.contains("ended"),
        "the shard row says ended:\n{screen}"
    );
    assert!(!screen.contains("connecting"), "{screen}");
    assert!(
        screen.contains(r#""1 < 2 && 3 > 2""#),
        "unescaped content:\n{screen}"
    );
    assert!(!screen.contains("&lt;"), "{screen}");
    tmux.run(&["send-keys", "-t", "tui", "q"]);
    assert_eq!(wait_exit(&tmux), "0");
}
