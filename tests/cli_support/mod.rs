//! Shared harness for the tests that run the real binary.
//!
//! - [`qqbot_command`]: the binary with none of the settings of whoever runs the tests; every
//!   test that starts `qqbot` starts from it.
//! - [`Harness`] for the OpenAPI-side CLI tests (`send`, `intents check`, `config`, `doctor`): an
//!   emulator on its own runtime, and the binary pointed at it with env credentials, a private
//!   config path and cache dir. Every [`run`] checks that the secret never appears in output.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use qqbot::emulator::{DEFAULT_SECRET, Emulator, EmulatorConfig, EmulatorEvent, Scenario};
use qqbot::gateway::{Cluster, GatewayConfig};
use tempfile::TempDir;

/// What the binary reads from the environment besides `QQBOT_CONFIG` and `NO_COLOR`:
/// credentials, profile, URLs, the cache dir and logging. [`qqbot_command`] removes them all.
pub const USER_ENV: &[&str] = &[
    "QQBOT_APP_ID",
    "QQ_BOT_APP_ID",
    "QQBOT_SECRET",
    "QQ_BOT_SECRET",
    "QQBOT_CLIENT_SECRET",
    "QQBOT_APP_SECRET",
    "QQBOT_PROFILE",
    "QQBOT_SANDBOX",
    "QQBOT_API_BASE",
    "QQBOT_TOKEN_URL",
    "QQBOT_CACHE_DIR",
    "RUST_LOG",
];

/// A path with no config file at it: the binary runs on defaults, environment and flags.
pub const NO_CONFIG: &str = "/nonexistent/qqbot-test-config.toml";

/// The real binary with none of the user's settings: [`USER_ENV`] removed, no config file
/// ([`NO_CONFIG`]) and `NO_COLOR=1`. Callers add what the test needs on top (credentials, a
/// private config and cache dir, `NO_COLOR` removed); `assert_cmd::Command::from_std` and
/// `tokio::process::Command::from` take it as it is.
pub fn qqbot_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_qqbot"));
    for var in USER_ENV {
        cmd.env_remove(var);
    }
    cmd.env("QQBOT_CONFIG", NO_CONFIG).env("NO_COLOR", "1");
    cmd
}

/// `POST {token_url}` with `appId` and `clientSecret`: the JSON the token endpoint answers.
pub async fn fetch_token(
    client: &reqwest::Client,
    token_url: &str,
    app_id: &serde_json::Value,
    secret: &str,
) -> serde_json::Value {
    client
        .post(token_url)
        .json(&serde_json::json!({"appId": app_id, "clientSecret": secret}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Send `signal` (`-INT`, `-TERM`) to process `pid` with kill(1), which must succeed.
pub fn kill(pid: impl std::fmt::Display, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {signal} {pid}");
}

/// Bound on any wait.
pub const WAIT: Duration = Duration::from_secs(15);

/// A running emulator plus a private directory for config and cache files.
pub struct Harness {
    pub rt: tokio::runtime::Runtime,
    pub emu: Emulator,
    pub dir: TempDir,
    cluster: Option<Cluster>,
}

/// A quiet emulator that allows many identifies per 5 s (so nothing waits on spacing).
pub fn quiet() -> EmulatorConfig {
    EmulatorConfig {
        scenario: Scenario::Quiet,
        max_concurrency: 100,
        ..EmulatorConfig::default()
    }
}

impl Harness {
    pub fn start(config: EmulatorConfig) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emu = rt.block_on(Emulator::start(config)).unwrap();
        Harness {
            rt,
            emu,
            dir: tempfile::tempdir().unwrap(),
            cluster: None,
        }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config").join("config.toml")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// The binary with no credentials at all, a private config path and cache dir.
    pub fn bare(&self) -> Command {
        let mut cmd = Command::from_std(qqbot_command());
        cmd.env("QQBOT_CONFIG", self.config_path())
            .env("QQBOT_CACHE_DIR", self.cache_dir())
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// The binary with the emulator's credentials in the environment and its URLs as flags.
    pub fn qqbot(&self) -> Command {
        let mut cmd = self.bare();
        cmd.env("QQBOT_APP_ID", &self.emu.config().app_id)
            .env("QQBOT_SECRET", DEFAULT_SECRET)
            .arg("--api-base")
            .arg(self.emu.api_base())
            .arg("--token-url")
            .arg(self.emu.token_url());
        cmd
    }

    /// Keep a gateway session connected (guild sends need one); returns once READY was queued.
    pub fn connect_bot(&mut self) {
        let mut signals = self.emu.subscribe();
        let config = GatewayConfig::new(
            self.emu.config().app_id.clone(),
            self.emu.config().secret.clone(),
            self.emu.api_base(),
            self.emu.token_url(),
        );
        let cluster = self.rt.block_on(async {
            let (cluster, mut items) = Cluster::start(config).await.unwrap();
            // Drain items in the background so the cluster never blocks.
            tokio::spawn(async move { while items.recv().await.is_some() {} });
            tokio::time::timeout(WAIT, async {
                loop {
                    if let Ok(EmulatorEvent::Identified { .. }) = signals.recv().await {
                        return;
                    }
                }
            })
            .await
            .expect("the bot identifies");
            cluster
        });
        self.cluster = Some(cluster);
    }

    /// Inject an event; the emulator remembers its ids as repliable.
    pub fn inject(&self, t: &str, d: serde_json::Value) {
        self.emu.inject(t, d);
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(cluster) = self.cluster.take() {
            let _ = self
                .rt
                .block_on(async { tokio::time::timeout(WAIT, cluster.shutdown()).await });
        }
    }
}

/// Run and return stdout, stderr and the exit code; fail if the secret shows up anywhere.
pub fn run(cmd: &mut Command) -> (String, String, i32) {
    let out: Output = cmd.output().unwrap();
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !stream
                .windows(DEFAULT_SECRET.len())
                .any(|w| w == DEFAULT_SECRET.as_bytes()),
            "the secret leaked into the output"
        );
    }
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}
