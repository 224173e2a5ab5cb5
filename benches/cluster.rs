//! Memory of a process holding 8 leased shards (`qqbot listen --cluster … --shards 8`), next to
//! the same process without `--cluster` (`qqbot listen --shards 8`), measured in the same run.
//! Run with `cargo bench --bench cluster` (release profile; needs `nats-server` on the PATH).
//!
//! The emulator runs in this process; the measured processes are the real binary, so their RSS
//! (`VmRSS` from /proc) covers only the client: shards, the NATS connection, the lease loop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};

/// Shards per process.
const SHARDS: u32 = 8;
/// Upper bound on the shards becoming READY.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Heartbeats and lease renewals that happen before the sample.
const SETTLE: Duration = Duration::from_secs(4);

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Run `listen` with `extra` arguments until all shards are connected, settle, sample RSS.
fn measure(emu: &Emulator, extra: &[&str]) -> u64 {
    let before = emu.sessions().iter().filter(|s| s.connected).count();
    let child = Command::new(env!("CARGO_BIN_EXE_qqbot"))
        .args(["listen", "--api-base", &emu.api_base(), "--token-url"])
        .arg(emu.token_url())
        .args(["--intents", "all", "--shards", &SHARDS.to_string(), "-q"])
        .args(extra)
        .env("QQBOT_APP_ID", &emu.config().app_id)
        .env("QQBOT_SECRET", emu.config().secret.expose())
        .env("QQBOT_CONFIG", "/nonexistent/qqbot-bench/config.toml")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("qqbot starts");
    let child = Killed(child);
    let deadline = Instant::now() + READY_TIMEOUT;
    while emu.sessions().iter().filter(|s| s.connected).count() < before + SHARDS as usize {
        assert!(Instant::now() < deadline, "shards not connected in time");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(SETTLE); // let heartbeats and lease renewals run before sampling
    let rss = rss_kib(child.0.id());
    drop(child);
    // Wait until the emulator saw the sessions go (bounded), so the next run counts cleanly.
    let deadline = Instant::now() + Duration::from_secs(10);
    while emu.sessions().iter().filter(|s| s.connected).count() > before
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    rss
}

fn main() {
    if Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        eprintln!("skipping: nats-server is not installed (apt-get install -y nats-server)");
        return;
    }
    let store = tempfile::tempdir().unwrap();
    let port = free_port();
    let _nats = Killed(
        Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(25));
    }
    let url = format!("nats://127.0.0.1:{port}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            shards: SHARDS,
            max_concurrency: SHARDS,
            heartbeat_interval: Duration::from_secs(1),
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let runs = 3;
    let mut plain = Vec::new();
    let mut leased = Vec::new();
    for run in 0..runs {
        let bucket = format!("qqbot_bench_{run}");
        plain.push(measure(&emu, &[]));
        leased.push(measure(
            &emu,
            &[
                "--cluster",
                &url,
                "--cluster-bucket",
                &bucket,
                "--lease-ttl",
                "2s",
            ],
        ));
    }
    let mib = |kib: u64| kib as f64 / 1024.0;
    let median = |v: &mut Vec<u64>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let (p, l) = (median(&mut plain), median(&mut leased));
    println!(
        "RSS of one process with {SHARDS} shards (median of {runs}): plain {:.1} MiB, \
         leased through NATS {:.1} MiB ({:+.1} MiB, {:.2}x; {:+.0} KiB per shard)",
        mib(p),
        mib(l),
        mib(l) - mib(p),
        l as f64 / p as f64,
        (l as f64 - p as f64) / f64::from(SHARDS)
    );
    println!("samples KiB: plain {plain:?}, leased {leased:?}");
}
