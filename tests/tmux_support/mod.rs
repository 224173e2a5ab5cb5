//! A private tmux server for tests that run `qqbot` in a real terminal: start a program in a
//! detached session named `tui`, poll `capture-pane` (bounded) until the expected text is on the
//! screen, send keys. The server is killed on drop, even when an assertion fails.

#![allow(dead_code)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long a wait takes at most unless a test says otherwise.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between two polls of the pane.
const POLL: Duration = Duration::from_millis(50);

/// One tmux server on its own socket.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A server whose socket names this test process and `name`.
    pub fn new_named(name: &str) -> Tmux {
        Tmux {
            socket: format!("qqbot-test-{}-{name}", std::process::id()),
        }
    }

    /// Run `tmux ARGS` against this server.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs (install it: apt-get install tmux)")
    }

    /// The text on the `tui` pane.
    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "tui"]).stdout).into_owned()
    }

    /// A tmux format of the `tui` pane (e.g. `#{cursor_x}`).
    pub fn format(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "tui", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Poll until `done(screen)` holds, or fail with the last screen after [`TIMEOUT`].
    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        self.wait_within(TIMEOUT, what, done)
    }

    /// Poll until `done(screen)` holds, or fail with the last screen after `within`.
    pub fn wait_within(&self, within: Duration, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < within,
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
