//! The dashboard in a real terminal: `examples/tui_demo.rs` runs inside a detached tmux session
//! (120×40); the test polls `capture-pane` until the shard table and a non-zero event count
//! appear, checks pause, help and a resize to 80×24, sends `q`, then checks the exit status and
//! that the terminal was restored (alternate screen left, the shell text and the summary back).
//! The same harness checks `qqbot replay`'s progress bar, `qqbot record`'s spinner and the
//! prompts of an interactive `qqbot config init`.
//!
//! Once `qqbot tui --emulator` exists, point `command()` at
//! `env!("CARGO_BIN_EXE_qqbot") tui --emulator` instead of the example.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime};

/// How long any one wait may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between two polls of the pane.
const POLL: Duration = Duration::from_millis(50);

/// A private tmux server, killed on drop (even when an assertion fails).
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new_named(name: &str) -> Tmux {
        Tmux {
            socket: format!("qqbot-tui-test-{}-{name}", std::process::id()),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs (install it: apt-get install tmux)")
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "tui"]).stdout).into_owned()
    }

    fn format(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "tui", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Poll until `done(screen)` holds, or fail with the last screen after [`TIMEOUT`].
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// Newest modification time of the files under `dir`.
fn newest_under(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut stack = vec![dir.to_path_buf()];
    // Bounded: the source tree is small; stop after a generous number of entries.
    let mut budget = 10_000;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            budget -= 1;
            if budget == 0 {
                return newest;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(m) = meta.modified() {
                newest = newest.max(m);
            }
        }
    }
    newest
}

/// The demo binary. `cargo test` builds examples before running tests, so in a full run it is
/// already fresh; when it is missing or older than the sources (e.g. `cargo test --test
/// tui_pty`), build it. (Building it unconditionally would relink it every run: `cargo build`
/// and `cargo test` resolve dev-dependency features differently.)
fn demo_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    let bin = profile_dir.join("examples").join("tui_demo");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = newest_under(&root.join("src")).max(newest_under(&root.join("examples")));
    let fresh = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .is_ok_and(|built| built >= sources);
    if !fresh {
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--quiet", "--example", "tui_demo"])
            .current_dir(root);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building examples/tui_demo failed");
    }
    assert!(bin.exists(), "{} missing", bin.display());
    bin
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
    let bin = demo_binary();
    let tmux = Tmux::new_named("quit");
    start_demo(&tmux, &bin);
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

/// Start the demo in a fresh 120×40 tmux session and wait for the dashboard.
fn start_demo(tmux: &Tmux, bin: &Path) {
    start_demo_with(tmux, bin, "--rate 100");
}

fn start_demo_with(tmux: &Tmux, bin: &Path, args: &str) {
    // Not `exec`: the shell reports the exit status on screen once the dashboard is gone.
    let command = format!(
        "echo BEFORE-TUI; RUST_BACKTRACE=0 QQBOT_CONFIG=/nonexistent/qqbot-test.toml {} {args}; echo EXIT-STATUS=$?",
        bin.display()
    );
    start_pane(tmux, "120", "40", &command);
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
    let command = format!(
        "QQBOT_CONFIG=/nonexistent/qqbot-test.toml {} {args}; echo EXIT-STATUS=$?",
        env!("CARGO_BIN_EXE_qqbot")
    );
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

/// The demo's pid: the only child of the pane's shell.
fn demo_pid(tmux: &Tmux) -> String {
    let shell = tmux.format("#{pane_pid}");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("/proc lists the shell's children");
    let pids: Vec<&str> = children.split_whitespace().collect();
    assert_eq!(pids.len(), 1, "one child of the pane's shell: {pids:?}");
    pids[0].to_string()
}

#[test]
fn a_panic_restores_the_terminal_before_its_message_prints() {
    let bin = demo_binary();
    let tmux = Tmux::new_named("panic");
    start_demo(&tmux, &bin);
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    let pid = demo_pid(&tmux);
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
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_qqbot"));
    let tmux = Tmux::new_named("emulator");
    start_demo_with(&tmux, &bin, "tui --emulator --scenario session-timeout");
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
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_qqbot"));
    let tmux = Tmux::new_named("ctrlc");
    start_demo_with(&tmux, &bin, "tui --emulator");
    tmux.wait_for("the dashboard", |s| s.contains("Shards 1/1"));
    tmux.run(&["send-keys", "-t", "tui", "C-c"]);
    assert_eq!(wait_exit(&tmux), "130", "exit status of Ctrl-C");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
}

#[test]
fn refuses_when_stdout_is_not_a_terminal() {
    let out = Command::new(env!("CARGO_BIN_EXE_qqbot"))
        .args(["tui", "--emulator"])
        .env("QQBOT_CONFIG", "/nonexistent/qqbot-test.toml")
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
