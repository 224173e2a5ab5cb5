//! Gateway benchmarks: throughput, resident memory and op 7 → RESUMED time, against the local
//! emulator on 127.0.0.1. Run with `cargo bench --bench gateway` (release profile).
//!
//! Options (after `--`): `--frames N` (default 200000), `--runs N` (default 3),
//! `--resumes N` (default 50), `--only throughput|memory|resume` (repeatable); for profiling,
//! `--source emulator|feeder` and `--reader bare|shard|command` narrow the throughput runs
//! (`command`: the real `qqbot --json listen --count N > /dev/null`, timed from outside).
//!
//! The emulator runs in a child process (this binary re-executed with `--serve-emulator`), so
//! the throughput runs pay the same emulator cost and the memory runs (another child,
//! `--memory-client`) measure a process that holds only the client.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use qqbot::emulator::{DEFAULT_APP_ID, Emulator, EmulatorConfig, Fault, FaultTarget, Scenario};
use qqbot::gateway::{Cluster, GatewayConfig, GatewayItem, ItemKind, ShardSelection};
use qqbot::http::TokenSource;
use qqbot::output::ndjson;
use qqbot::protocol::Intents;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

#[path = "support/procstat.rs"]
mod procstat;
mod support;
use procstat::children_cpu;

/// The allocator of the `qqbot` binary (src/main.rs), so that every reader measured here,
/// the bare one included, runs as it would in the command.
#[cfg(feature = "cli")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Dispatches read before the clock starts (READY, connection warm-up).
const WARMUP: u64 = 2_000;
/// Upper bound on one throughput measurement.
const MEASURE_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound on a child emulator's life (it also exits when its stdin closes).
const CHILD_LIFETIME: Duration = Duration::from_secs(600);
/// Upper bound on waiting for shards to become READY.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound on one op 7 → RESUMED cycle.
const RESUME_TIMEOUT: Duration = Duration::from_secs(10);
/// Heartbeat interval the memory runs' emulator announces, so heartbeats happen within the run.
const MEMORY_HEARTBEAT: Duration = Duration::from_millis(1000);

/// Targets from the issue.
const TARGET_RATIO: f64 = 0.70;
const TARGET_RSS_ONE_MB: f64 = 15.0;
const TARGET_RSS_HUNDRED_MB: f64 = 150.0;
const TARGET_RESUME_MEDIAN_MS: f64 = 50.0;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--serve-emulator") => serve_emulator(&args[1..]),
        Some("--memory-client") => memory_client(&args[1..]),
        Some("--serve-feeder") => serve_feeder(),
        _ => run_benchmarks(Options::parse(&args)),
    }
}

// ---------------------------------------------------------------------------------------------
// Options and output

struct Options {
    frames: u64,
    runs: usize,
    resumes: usize,
    only: Vec<String>,
    sources: Vec<String>,
    readers: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Options {
        let mut options = Options {
            frames: 200_000,
            runs: 3,
            resumes: 50,
            only: Vec::new(),
            sources: Vec::new(),
            readers: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || it.next().cloned().unwrap_or_default();
            match arg.as_str() {
                "--frames" => options.frames = value().parse().expect("--frames N"),
                "--runs" => options.runs = value().parse::<usize>().expect("--runs N").max(1),
                "--resumes" => {
                    options.resumes = value().parse::<usize>().expect("--resumes N").max(1)
                }
                "--only" => options.only.push(value()),
                "--source" => options.sources.push(value()),
                "--reader" => options.readers.push(value()),
                _ => {} // `cargo bench` passes `--bench`; ignore what is not ours
            }
        }
        options
    }

    fn wants(&self, what: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == what)
    }

    fn wants_source(&self, what: &str) -> bool {
        self.sources.is_empty() || self.sources.iter().any(|o| o == what)
    }

    fn wants_reader(&self, what: &str) -> bool {
        self.readers.is_empty() || self.readers.iter().any(|o| o == what)
    }
}

struct Row {
    name: String,
    value: String,
    target: String,
    pass: Option<bool>,
}

fn row(name: &str, value: String, target: &str, pass: Option<bool>) -> Row {
    Row {
        name: name.to_owned(),
        value,
        target: target.to_owned(),
        pass,
    }
}

fn print_table(rows: &[Row]) {
    let w0 = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(11);
    let w1 = rows
        .iter()
        .map(|r| r.value.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let w2 = rows
        .iter()
        .map(|r| r.target.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    println!();
    println!(
        "{:<w0$}  {:>w1$}  {:<w2$}  result",
        "measurement", "value", "target"
    );
    println!("{}", "-".repeat(w0 + w1 + w2 + 12));
    for r in rows {
        let verdict = match r.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "-",
        };
        println!(
            "{:<w0$}  {:>w1$}  {:<w2$}  {verdict}",
            r.name, r.value, r.target
        );
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn runtime() -> tokio::runtime::Runtime {
    // The same runtime `qqbot listen` uses (src/main.rs).
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(qqbot::output::runtime_workers())
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// `VmRSS` of a process in KiB (`self` or a pid).
fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// On-CPU time of every thread of this process so far, in ns (`/proc/self/task/*/schedstat`).
/// Unlike wall-clock rates it does not depend on what else the machine is running.
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// One timed throughput run.
struct Sample {
    /// Events per second (wall clock).
    eps: f64,
    /// Client-process CPU per event, in µs.
    cpu_us: f64,
}

impl Sample {
    fn new(frames: u64, elapsed: Duration, cpu_ns: u64) -> Sample {
        Sample {
            eps: frames as f64 / elapsed.as_secs_f64(),
            cpu_us: cpu_ns as f64 / 1000.0 / frames as f64,
        }
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// ---------------------------------------------------------------------------------------------
// The emulator child

/// Endpoints of a running emulator.
#[derive(Clone)]
struct Endpoints {
    api_base: String,
    token_url: String,
    gateway_url: String,
}

/// `--serve-emulator SCENARIO SHARDS MAX_CONCURRENCY`: print the endpoints, serve until stdin
/// closes (or [`CHILD_LIFETIME`]).
fn serve_emulator(args: &[String]) {
    let scenario: Scenario = args[0].parse().expect("scenario");
    let shards: u32 = args[1].parse().expect("shards");
    let max_concurrency: u32 = args[2].parse().expect("max_concurrency");
    let heartbeat_interval = args
        .get(3)
        .map(|ms| Duration::from_millis(ms.parse().expect("heartbeat ms")))
        .unwrap_or(qqbot::emulator::config::DEFAULT_HEARTBEAT_INTERVAL);
    // One thread: the emulator costs one core at most, the same for every measurement.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let emu = Emulator::start(EmulatorConfig {
            scenario,
            shards,
            max_concurrency,
            heartbeat_interval,
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts");
        println!(
            "{} {} {}",
            emu.api_base(),
            emu.token_url(),
            emu.gateway_url()
        );
        std::io::stdout().flush().expect("stdout");
        stdin_closed().await;
        emu.shutdown().await;
    });
}

/// `--serve-feeder`: the batched flood gateway of `support::feeder`, until stdin closes.
fn serve_feeder() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        support::feeder::serve(stdin_closed())
            .await
            .expect("feeder serves");
    });
}

/// Resolves when stdin reaches EOF (the parent dropped its end), or after [`CHILD_LIFETIME`].
async fn stdin_closed() {
    use tokio::io::AsyncReadExt;
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 64];
    let _ = timeout(CHILD_LIFETIME, async {
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// A child process (this binary, another mode) serving something on 127.0.0.1; it prints one
/// line of URLs first. Stopped (stdin EOF, then kill) and reaped on drop.
struct ServerChild {
    child: Child,
    stdin: Option<ChildStdin>,
    urls: Vec<String>,
}

impl ServerChild {
    fn spawn(args: &[&str]) -> ServerChild {
        let exe = std::env::current_exe().expect("current exe");
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child server");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("child stdout"))
            .read_line(&mut line)
            .expect("child urls");
        let urls = line.split_whitespace().map(str::to_owned).collect();
        ServerChild { child, stdin, urls }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        drop(self.stdin.take()); // EOF: the child shuts down on its own
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process running the emulator.
struct EmulatorChild {
    server: ServerChild,
    endpoints: Endpoints,
}

impl EmulatorChild {
    fn spawn(scenario: Scenario, shards: u32, max_concurrency: u32) -> EmulatorChild {
        EmulatorChild::spawn_with_heartbeat(
            scenario,
            shards,
            max_concurrency,
            qqbot::emulator::config::DEFAULT_HEARTBEAT_INTERVAL,
        )
    }

    fn spawn_with_heartbeat(
        scenario: Scenario,
        shards: u32,
        max_concurrency: u32,
        heartbeat: Duration,
    ) -> EmulatorChild {
        let server = ServerChild::spawn(&[
            "--serve-emulator",
            scenario.name(),
            &shards.to_string(),
            &max_concurrency.to_string(),
            &heartbeat.as_millis().to_string(),
        ]);
        let endpoints = Endpoints {
            api_base: server.urls[0].clone(),
            token_url: server.urls[1].clone(),
            gateway_url: server.urls[2].clone(),
        };
        EmulatorChild { server, endpoints }
    }

    fn pid(&self) -> String {
        self.server.pid()
    }
}

fn gateway_config(ep: &Endpoints, intents: Intents) -> GatewayConfig {
    let defaults = EmulatorConfig::default();
    let mut config = GatewayConfig::new(
        DEFAULT_APP_ID,
        defaults.secret,
        ep.api_base.clone(),
        ep.token_url.clone(),
    );
    config.intents = intents;
    config
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput

/// Intents covering every event of the flood pool, for both readers.
fn flood_intents() -> Intents {
    Intents::all()
}

/// Baseline: a bare tokio-tungstenite reader that identifies and counts text frames.
async fn bare_reader(ep: &Endpoints, frames: u64) -> Sample {
    let tokens = TokenSource::new(
        reqwest::Client::new(),
        ep.token_url.clone(),
        DEFAULT_APP_ID,
        EmulatorConfig::default().secret,
    );
    let token = tokens.token().await.expect("token");
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(ep.gateway_url.as_str(), None, true)
            .await
            .expect("connect");
    // Hello first.
    let hello = ws.next().await.expect("hello").expect("hello frame");
    assert!(hello.is_text(), "hello is text");
    let identify = serde_json::json!({
        "op": 2,
        "d": {"token": format!("QQBot {}", token.expose()), "intents": flood_intents().bits(), "shard": [0, 1]},
    });
    ws.send(Message::text(identify.to_string()))
        .await
        .expect("send identify");
    // READY + warm-up, then the timed frames.
    let mut seen = 0u64;
    let mut started = None;
    let total = 1 + WARMUP + frames;
    let result = timeout(MEASURE_TIMEOUT, async {
        while let Some(msg) = ws.next().await {
            if let Message::Text(_) = msg.expect("frame") {
                seen += 1;
                if seen == 1 + WARMUP {
                    started = Some((Instant::now(), process_cpu_ns()));
                } else if seen == total {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert!(
        matches!(result, Ok(true)),
        "bare reader: only {seen} of {total} frames"
    );
    let (t0, cpu0) = started.expect("clock started");
    let sample = Sample::new(frames, t0.elapsed(), process_cpu_ns() - cpu0);
    drop(ws);
    sample
}

/// `Shard` → NDJSON → `/dev/null`, the `qqbot listen --json > /dev/null` path without filter
/// or dedup: the consumer is a plain thread draining the channel the way `listen`'s pipeline
/// does (`try_recv`; when empty, write out what is buffered, step aside once, then
/// `blocking_recv`), and lines go out in 64 KiB writes.
async fn shard_ndjson(ep: &Endpoints, frames: u64) -> (Sample, u64) {
    let mut config = gateway_config(ep, flood_intents());
    config.shards = ShardSelection::Count(1);
    config.gateway_url = Some(ep.gateway_url.clone());
    let (cluster, items) = Cluster::start_items(config).await.expect("cluster starts");
    let consumer = tokio::task::spawn_blocking(move || drain_ndjson(items, frames));
    tokio::pin!(consumer);
    let outcome = tokio::select! {
        outcome = &mut consumer => outcome,
        () = tokio::time::sleep(MEASURE_TIMEOUT) => {
            // Ends the channel, and so the consumer.
            let _ = timeout(Duration::from_secs(10), cluster.shutdown()).await;
            let outcome = consumer.await.expect("consumer");
            panic!("shard: only {} of {} dispatches", outcome.seen, WARMUP + frames);
        }
    }
    .expect("consumer");
    assert!(
        outcome.seen == WARMUP + frames,
        "shard: only {} of {} dispatches",
        outcome.seen,
        WARMUP + frames
    );
    let _ = timeout(Duration::from_secs(10), cluster.shutdown()).await;
    (outcome.sample.expect("clock started"), outcome.lagged)
}

struct Drained {
    seen: u64,
    lagged: u64,
    sample: Option<Sample>,
}

/// The consumer thread of [`shard_ndjson`]: until `WARMUP + frames` dispatches were written or
/// the channel ends.
fn drain_ndjson(mut items: qqbot::gateway::Items, frames: u64) -> Drained {
    use tokio::sync::mpsc::error::TryRecvError;
    const PENDING: usize = 64 * 1024;
    let mut out = std::fs::File::create("/dev/null").expect("/dev/null");
    let mut pending = String::with_capacity(PENDING + 4096);
    let total = WARMUP + frames;
    let mut drained = Drained {
        seen: 0,
        lagged: 0,
        sample: None,
    };
    let mut started = None;
    loop {
        let item = match items.try_recv() {
            Ok(item) => item,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                out.write_all(pending.as_bytes()).expect("write");
                pending.clear();
                std::thread::yield_now();
                match items.try_recv() {
                    Ok(item) => item,
                    Err(TryRecvError::Disconnected) => break,
                    Err(TryRecvError::Empty) => match items.blocking_recv() {
                        Some(item) => item,
                        None => break,
                    },
                }
            }
        };
        ndjson::write_line(&mut pending, &item);
        if pending.len() >= PENDING {
            out.write_all(pending.as_bytes()).expect("write");
            pending.clear();
        }
        match &item.kind {
            ItemKind::Dispatch(_) => {
                drained.seen += 1;
                if drained.seen == WARMUP {
                    started = Some((Instant::now(), process_cpu_ns()));
                } else if drained.seen == total {
                    out.write_all(pending.as_bytes()).expect("write");
                    drained.sample = started.map(|(t0, cpu0)| {
                        Sample::new(frames, t0.elapsed(), process_cpu_ns() - cpu0)
                    });
                    break;
                }
            }
            ItemKind::Lagged { dropped } => drained.lagged += dropped,
            ItemKind::Fatal { reason, .. } => panic!("shard stopped: {reason}"),
            _ => {}
        }
    }
    drained
}

/// `qqbot --json listen --count N > /dev/null` against `flood`, the command the issue names:
/// timed from outside, once for `WARMUP + frames` events and once for one event, so that the
/// difference leaves out process start, the token, `/gateway/bot`, connecting and READY. CPU is
/// the child's user + system time (10 ms ticks). The feeder serves no HTTP: an in-process
/// emulator hands out the token and, as `/gateway/bot`, the feeder's URL.
fn listen_command(flood: &Flood, frames: u64) -> Sample {
    let advertiser = match flood {
        Flood::Feeder { endpoints, .. } => Some(EmulatorThread::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            max_concurrency: 100,
            gateway_url: Some(endpoints.gateway_url.clone()),
            ..EmulatorConfig::default()
        })),
        Flood::Emulator(_) => None,
    };
    let (api_base, token_url) = match &advertiser {
        Some(http) => (http.emu().api_base(), http.emu().token_url()),
        None => (
            flood.endpoints().api_base.clone(),
            flood.endpoints().token_url.clone(),
        ),
    };
    let run = |count: u64| {
        let devnull = std::fs::File::create("/dev/null").expect("/dev/null");
        let cpu = children_cpu();
        let start = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_qqbot"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("QQBOT_CONFIG", "/nonexistent/qqbot-bench-config.toml")
            .env("QQBOT_APP_ID", DEFAULT_APP_ID)
            .env("QQBOT_SECRET", EmulatorConfig::default().secret.expose())
            .args(["--json", "--quiet", "listen", "--api-base", &api_base])
            .args(["--token-url", &token_url, "--count", &count.to_string()])
            .stdin(Stdio::null())
            .stdout(devnull)
            .stderr(Stdio::null())
            .status()
            .expect("run qqbot listen");
        assert!(status.success(), "qqbot listen failed: {status}");
        (start.elapsed(), children_cpu().saturating_sub(cpu))
    };
    let (one, one_cpu) = run(1);
    let (all, all_cpu) = run(WARMUP + frames);
    let events = WARMUP + frames - 1;
    Sample {
        eps: events as f64 / all.saturating_sub(one).as_secs_f64(),
        cpu_us: all_cpu.saturating_sub(one_cpu).as_secs_f64() * 1e6 / events as f64,
    }
}

/// Where the flood comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The emulator's flood scenario (child process).
    Emulator,
    /// The batched feeder of `support::feeder` (child process); token and `/gateway/bot` from
    /// an idle in-process emulator.
    Feeder,
}

impl Source {
    fn key(self) -> &'static str {
        match self {
            Source::Emulator => "emulator",
            Source::Feeder => "feeder",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Source::Emulator => "emulator flood",
            Source::Feeder => "batched feeder",
        }
    }
}

/// A running flood source; dropped after each run so every run starts fresh.
enum Flood {
    Emulator(EmulatorChild),
    Feeder {
        _server: ServerChild,
        endpoints: Endpoints,
    },
}

impl Flood {
    fn start(source: Source, http: &Endpoints) -> Flood {
        match source {
            Source::Emulator => Flood::Emulator(EmulatorChild::spawn(Scenario::Flood, 1, 100)),
            Source::Feeder => {
                let server = ServerChild::spawn(&["--serve-feeder"]);
                let endpoints = Endpoints {
                    gateway_url: server.urls[0].clone(),
                    ..http.clone()
                };
                Flood::Feeder {
                    _server: server,
                    endpoints,
                }
            }
        }
    }

    fn endpoints(&self) -> &Endpoints {
        match self {
            Flood::Emulator(emu) => &emu.endpoints,
            Flood::Feeder { endpoints, .. } => endpoints,
        }
    }
}

fn throughput(options: &Options, rows: &mut Vec<Row>) {
    println!(
        "throughput: {} frames per run after {WARMUP} warm-up, {} run(s) each, interleaved; flood source in a child process",
        options.frames, options.runs
    );
    // Token and /gateway/bot for the feeder runs: idle, so it costs nothing during a run.
    let http = EmulatorThread::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        max_concurrency: 100,
        ..EmulatorConfig::default()
    });
    let http_ep = Endpoints {
        api_base: http.emu().api_base(),
        token_url: http.emu().token_url(),
        gateway_url: http.emu().gateway_url(),
    };
    let rt = runtime();
    for source in [Source::Emulator, Source::Feeder] {
        let tag = source.name();
        if !options.wants_source(source.key()) {
            continue;
        }
        let mut bare = Vec::new();
        let mut shard = Vec::new();
        let mut bare_cpu = Vec::new();
        let mut shard_cpu = Vec::new();
        let mut lagged_total = 0;
        let mut command = Vec::new();
        let mut command_cpu = Vec::new();
        println!("  source: {}", source.name());
        for run in 1..=options.runs {
            if options.wants_reader("bare") {
                let flood = Flood::start(source, &http_ep);
                let sample = rt.block_on(bare_reader(flood.endpoints(), options.frames));
                drop(flood);
                println!(
                    "    run {run}: bare tokio-tungstenite reader {:>10.0} events/s, {:.2} µs CPU/event",
                    sample.eps, sample.cpu_us
                );
                bare.push(sample.eps);
                bare_cpu.push(sample.cpu_us);
            }
            if options.wants_reader("shard") {
                let flood = Flood::start(source, &http_ep);
                let (sample, lagged) = rt.block_on(shard_ndjson(flood.endpoints(), options.frames));
                drop(flood);
                println!(
                    "    run {run}: Shard -> NDJSON -> sink       {:>10.0} events/s, {:.2} µs CPU/event ({lagged} dropped as lagged; {:.2} µs CPU per frame read)",
                    sample.eps,
                    sample.cpu_us,
                    sample.cpu_us * options.frames as f64 / (options.frames + lagged) as f64
                );
                shard.push(sample.eps);
                shard_cpu.push(sample.cpu_us);
                lagged_total += lagged;
            }
            if options.wants_reader("command") {
                let flood = Flood::start(source, &http_ep);
                let sample = listen_command(&flood, options.frames);
                drop(flood);
                println!(
                    "    run {run}: `qqbot --json listen` > /dev/null {:>7.0} events/s, {:.2} µs CPU/event (process start and connect subtracted)",
                    sample.eps, sample.cpu_us
                );
                command.push(sample.eps);
                command_cpu.push(sample.cpu_us);
            }
        }
        let bare_median = median(&mut bare);
        let shard_median = median(&mut shard);
        let ratio = shard_median / bare_median;
        rows.push(row(
            &format!("{tag}: bare reader (median)"),
            format!("{bare_median:.0} ev/s"),
            "baseline",
            None,
        ));
        rows.push(row(
            &format!("{tag}: Shard -> NDJSON (median)"),
            format!("{shard_median:.0} ev/s"),
            "-",
            None,
        ));
        rows.push(row(
            &format!("{tag}: ratio Shard / bare"),
            format!("{:.1} %", ratio * 100.0),
            ">= 70 %",
            Some(ratio >= TARGET_RATIO),
        ));
        let bare_cpu = median(&mut bare_cpu);
        let shard_cpu = median(&mut shard_cpu);
        rows.push(row(
            &format!("{tag}: CPU/event bare, Shard"),
            format!("{bare_cpu:.2}, {shard_cpu:.2} µs"),
            "-",
            None,
        ));
        rows.push(row(
            &format!("{tag}: CPU-bound ratio bare/Shard CPU"),
            format!("{:.1} %", bare_cpu / shard_cpu * 100.0),
            "(info)",
            None,
        ));
        if !command.is_empty() {
            let command_median = median(&mut command);
            let ratio = command_median / bare_median;
            rows.push(row(
                &format!("{tag}: `qqbot listen --json` (median)"),
                format!("{command_median:.0} ev/s"),
                "-",
                None,
            ));
            rows.push(row(
                &format!("{tag}: ratio command / bare"),
                format!("{:.1} %", ratio * 100.0),
                ">= 70 %",
                Some(ratio >= TARGET_RATIO),
            ));
            rows.push(row(
                &format!("{tag}: CPU/event command"),
                format!("{:.2} µs", median(&mut command_cpu)),
                "(10 ms ticks)",
                None,
            ));
        }
        rows.push(row(
            &format!("{tag}: items dropped (lagged)"),
            lagged_total.to_string(),
            "-",
            None,
        ));
    }
    rt.shutdown_timeout(Duration::from_secs(2));
    drop(http);
}

/// The per-event CPU of the protocol path alone, single-threaded, no I/O: copy the frame into
/// an `Arc<str>` (as `Transport` does), `ShardCore::on_frame_into`, build the item, write its
/// NDJSON line. Separates parsing cost from socket and thread hand-off cost.
fn micro(options: &Options, rows: &mut Vec<Row>) {
    use qqbot::gateway::{HeartbeatConfig, ReconnectConfig, ShardCore, ShardId};
    // The real-shaped corpus (guild, group and C2C messages with the platform's escapes).
    let frames: Vec<String> = (1..=256u64).map(support::corpus::frame).collect();
    let mean_len = frames.iter().map(String::len).sum::<usize>() / frames.len();
    let mut core = ShardCore::new(
        ShardId::ONE,
        Intents::all(),
        HeartbeatConfig::default(),
        ReconnectConfig::default(),
        None,
    );
    let mut actions = Vec::new();
    let mut line = String::with_capacity(4096);
    let mut bytes = 0usize;
    let n = options.frames;
    let t0 = Instant::now();
    for i in 0..n {
        let text = &frames[(i % 256) as usize];
        let frame: std::sync::Arc<str> = std::sync::Arc::from(text.as_str());
        core.on_frame_into(tokio::time::Instant::now(), &frame, &mut actions);
        for action in actions.drain(..) {
            if let qqbot::gateway::Action::Emit(kind) = action {
                let item = GatewayItem {
                    shard: ShardId::ONE,
                    received_at: chrono::Utc::now(),
                    kind,
                };
                line.clear();
                ndjson::write_line(&mut line, &item);
                bytes += line.len();
            }
        }
    }
    let per_event = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!(
        "micro: protocol path without I/O: {per_event:.2} µs/event over {n} frames (mean frame {mean_len} B, {bytes} NDJSON bytes)"
    );
    rows.push(row(
        "protocol path, no I/O (1 thread)",
        format!("{per_event:.2} µs/event"),
        "(info)",
        None,
    ));
}

// ---------------------------------------------------------------------------------------------
// 2. Memory

/// `--memory-client SHARDS API_BASE TOKEN_URL GATEWAY_URL`: start SHARDS shards, wait for every
/// READY, print `before_kib after_kib`.
fn memory_client(args: &[String]) {
    let shards: u32 = args[0].parse().expect("shards");
    let ep = Endpoints {
        api_base: args[1].clone(),
        token_url: args[2].clone(),
        gateway_url: args[3].clone(),
    };
    let rt = runtime();
    rt.block_on(async {
        // Let the runtime's worker threads come up before the first reading.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = rss_kib("self");
        let mut config = gateway_config(&ep, Intents::default_granted());
        config.shards = ShardSelection::Count(shards);
        let (cluster, mut items) = Cluster::start_items(config).await.expect("cluster starts");
        let mut ready = 0;
        let waited = timeout(READY_TIMEOUT, async {
            while let Some(item) = items.recv().await {
                match item.kind {
                    ItemKind::Ready { .. } => {
                        ready += 1;
                        if ready == shards {
                            return true;
                        }
                    }
                    ItemKind::Fatal { reason, .. } => panic!("shard stopped: {reason}"),
                    _ => {}
                }
            }
            false
        })
        .await;
        assert!(
            matches!(waited, Ok(true)),
            "only {ready} of {shards} shards READY"
        );
        // Idle for a moment: buffers settle, nothing else arrives on a quiet emulator.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(cluster.is_connected(), "every shard connected");
        let ready_rss = rss_kib("self");
        // Steady state: every shard has had heartbeats acknowledged (and published its
        // latency histogram), and a metrics snapshot was taken, as a dashboard would.
        let mut acked = std::collections::HashSet::new();
        let waited = timeout(READY_TIMEOUT, async {
            while let Some(item) = items.recv().await {
                if let ItemKind::HeartbeatAck { .. } = item.kind {
                    acked.insert(item.shard.id);
                    if acked.len() == shards as usize {
                        return true;
                    }
                }
            }
            false
        })
        .await;
        assert!(
            matches!(waited, Ok(true)),
            "heartbeat ACKs from every shard"
        );
        let _ = cluster.metrics();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let steady = rss_kib("self");
        println!("{before} {ready_rss} {steady}");
        std::io::stdout().flush().expect("stdout");
        let _ = timeout(Duration::from_secs(10), cluster.shutdown()).await;
    });
    rt.shutdown_timeout(Duration::from_secs(2));
}

/// Run a memory client child against a fresh quiet emulator: (before, after, emulator) KiB.
fn measure_memory(shards: u32) -> (u64, u64, u64, u64) {
    let emu = EmulatorChild::spawn_with_heartbeat(
        Scenario::Quiet,
        shards,
        shards.max(1),
        MEMORY_HEARTBEAT,
    );
    let exe = std::env::current_exe().expect("current exe");
    let ep = emu.endpoints.clone();
    let output = Command::new(exe)
        .args([
            "--memory-client",
            &shards.to_string(),
            &ep.api_base,
            &ep.token_url,
            &ep.gateway_url,
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("memory client runs");
    assert!(output.status.success(), "memory client failed");
    let emulator_rss = rss_kib(&emu.pid());
    let text = String::from_utf8_lossy(&output.stdout);
    let mut numbers = text
        .split_whitespace()
        .map(|n| n.parse::<u64>().expect("kib"));
    let before = numbers.next().expect("before");
    let after = numbers.next().expect("after");
    let steady = numbers.next().expect("steady");
    (before, after, steady, emulator_rss)
}

fn memory(rows: &mut Vec<Row>) {
    println!(
        "memory: client in its own process (VmRSS), quiet emulator in another (heartbeat {} ms)",
        MEMORY_HEARTBEAT.as_millis()
    );
    let mut steady_deltas = Vec::new();
    for (shards, target, limit) in [
        (1u32, "<= 15 MB", TARGET_RSS_ONE_MB),
        (100, "<= 150 MB", TARGET_RSS_HUNDRED_MB),
    ] {
        let (before, ready, steady, emulator) = measure_memory(shards);
        println!(
            "  {shards:>3} shard(s): before {:.1} MiB, READY {:.1} MiB (+{:.1}), after heartbeats {:.1} MiB (+{:.1}); emulator process {:.1} MiB",
            mib(before),
            mib(ready),
            mib(ready.saturating_sub(before)),
            mib(steady),
            mib(steady.saturating_sub(before)),
            mib(emulator)
        );
        steady_deltas.push(steady.saturating_sub(before) as f64);
        // MB as in the issue: 10^6 bytes.
        let steady_mb = steady as f64 * 1024.0 / 1e6;
        rows.push(row(
            &format!("RSS, {shards} idle shard(s), whole process"),
            format!("{:.1} MiB", mib(steady)),
            target,
            Some(steady_mb <= limit),
        ));
        rows.push(row(
            &format!("RSS, {shards} idle shard(s), delta (READY / beats)"),
            format!(
                "{:.1} / {:.1} MiB",
                mib(ready.saturating_sub(before)),
                mib(steady.saturating_sub(before))
            ),
            "-",
            None,
        ));
    }
    let per_shard = (steady_deltas[1] - steady_deltas[0]) / 99.0;
    println!("  marginal cost per extra shard: {per_shard:.0} KiB");
    rows.push(row(
        "RSS per extra shard",
        format!("{per_shard:.0} KiB"),
        "-",
        None,
    ));
}

// ---------------------------------------------------------------------------------------------
// 3. op 7 → RESUMED

/// An in-process emulator on its own thread and runtime (so `fault` is called from here while
/// the emulator's work never competes with the client's runtime).
struct EmulatorThread {
    emu: Option<Emulator>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmulatorThread {
    fn start(config: EmulatorConfig) -> EmulatorThread {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let emu = Emulator::start(config).await.expect("emulator starts");
                tx.send(emu.clone()).expect("hand over");
                let _ = timeout(CHILD_LIFETIME, stopped).await;
                emu.shutdown().await;
            });
        });
        let emu = rx.recv().expect("emulator started");
        EmulatorThread {
            emu: Some(emu),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn emu(&self) -> &Emulator {
        self.emu.as_ref().expect("running")
    }
}

impl Drop for EmulatorThread {
    fn drop(&mut self) {
        drop(self.emu.take());
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn resume(options: &Options, rows: &mut Vec<Row>) {
    println!(
        "op 7 -> RESUMED: {} cycles, one shard, quiet emulator (in process, own thread)",
        options.resumes
    );
    let emu = EmulatorThread::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        ..EmulatorConfig::default()
    });
    let ep = Endpoints {
        api_base: emu.emu().api_base(),
        token_url: emu.emu().token_url(),
        gateway_url: emu.emu().gateway_url(),
    };
    let rt = runtime();
    let (mut end_to_end, mut recovered, backoffs) = rt.block_on(async {
        let mut config = gateway_config(&ep, Intents::default_granted());
        config.shards = ShardSelection::Count(1);
        // Back-to-back op 7s would otherwise trip the flap guard: a session lost again within
        // `stable_after` counts as a failure, so the 5th cycle waits out an 8-16 s backoff. This
        // measures the resume path itself.
        config.reconnect.stable_after = Duration::ZERO;
        let (cluster, mut items) = Cluster::start_items(config).await.expect("cluster starts");
        wait_for(&mut items, "READY", |k| matches!(k, ItemKind::Ready { .. })).await;
        let mut end_to_end = Vec::new();
        let mut recovered = Vec::new();
        let mut backoffs = 0;
        for _ in 0..options.resumes {
            let t0 = Instant::now();
            assert_eq!(
                emu.emu().fault(FaultTarget::All, Fault::Reconnect),
                1,
                "one session gets op 7"
            );
            let mut got = None;
            let found = timeout(RESUME_TIMEOUT, async {
                while let Some(item) = items.recv().await {
                    match item.kind {
                        ItemKind::Resumed { recovered_in, .. } => {
                            got = Some((t0.elapsed(), recovered_in));
                            return true;
                        }
                        ItemKind::Backoff { .. } => backoffs += 1,
                        ItemKind::Fatal { reason, .. } => panic!("shard stopped: {reason}"),
                        _ => {}
                    }
                }
                false
            })
            .await;
            assert!(
                matches!(found, Ok(true)),
                "no RESUMED within {RESUME_TIMEOUT:?}"
            );
            let (elapsed, recovered_in) = got.expect("resumed");
            end_to_end.push(elapsed.as_secs_f64() * 1000.0);
            if let Some(r) = recovered_in {
                recovered.push(r.as_secs_f64() * 1000.0);
            }
        }
        drop(items);
        let _ = timeout(Duration::from_secs(10), cluster.shutdown()).await;
        (end_to_end, recovered, backoffs)
    });
    rt.shutdown_timeout(Duration::from_secs(2));
    drop(emu);
    let e2e_median = median(&mut end_to_end);
    let e2e_p95 = percentile(&end_to_end, 95.0);
    let rec_median = median(&mut recovered);
    let rec_p95 = percentile(&recovered, 95.0);
    println!(
        "  fault sent -> Resumed item: median {e2e_median:.2} ms, p95 {e2e_p95:.2} ms, max {:.2} ms",
        end_to_end.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "  Resumed.recovered_in (op 7 read -> RESUMED read): median {rec_median:.2} ms, p95 {rec_p95:.2} ms"
    );
    println!("  backoff items seen: {backoffs}");
    rows.push(row(
        "op 7 -> RESUMED, median",
        format!("{e2e_median:.2} ms"),
        "<= 50 ms",
        Some(e2e_median <= TARGET_RESUME_MEDIAN_MS),
    ));
    rows.push(row(
        "op 7 -> RESUMED, p95",
        format!("{e2e_p95:.2} ms"),
        "-",
        None,
    ));
    rows.push(row(
        "op 7 -> RESUMED, backoffs",
        backoffs.to_string(),
        "0",
        Some(backoffs == 0),
    ));
}

async fn wait_for(items: &mut qqbot::gateway::Items, what: &str, pred: impl Fn(&ItemKind) -> bool) {
    let found = timeout(READY_TIMEOUT, async {
        while let Some(item) = items.recv().await {
            if let ItemKind::Fatal { reason, .. } = &item.kind {
                panic!("shard stopped: {reason}");
            }
            if pred(&item.kind) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(found, Ok(true)),
        "no {what} within {READY_TIMEOUT:?}"
    );
}

// ---------------------------------------------------------------------------------------------

fn run_benchmarks(options: Options) {
    let started = Instant::now();
    println!(
        "qqbot gateway benchmarks ({} CPU(s), {})",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if cfg!(debug_assertions) {
            "debug build: numbers are meaningless"
        } else {
            "release build"
        }
    );
    let mut rows = Vec::new();
    if options.wants("throughput") {
        throughput(&options, &mut rows);
    }
    if options.wants("micro") {
        micro(&options, &mut rows);
    }
    if options.wants("memory") {
        memory(&mut rows);
    }
    if options.wants("resume") {
        resume(&options, &mut rows);
    }
    print_table(&rows);
    println!("\ntotal time {:.1} s", started.elapsed().as_secs_f64());
}
