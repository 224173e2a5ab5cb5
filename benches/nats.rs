//! Publishing to NATS JetStream: events/s from the batched flood feeder through a shard into
//! JetStream (every PubAck awaited, `--publish`'s bounds), next to the plain NDJSON path in the
//! same run, and the ratio. Run with `cargo bench --bench nats` (release profile); needs
//! `nats-server` (skipped with a note when it is not installed).
//!
//! Options (after `--`): `--frames N` (default 50000), `--runs N` (default 3).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use qqbot::emulator::{DEFAULT_APP_ID, Emulator, EmulatorConfig, Scenario};
use qqbot::gateway::{Cluster, GatewayConfig, GatewayItem, ItemKind, ShardSelection};
use qqbot::nats::{PublishConfig, Publisher, StreamConfig};
use qqbot::output::ndjson;
use qqbot::protocol::Intents;
use tokio::time::timeout;

#[path = "../tests/nats_support/mod.rs"]
mod nats_support;
mod support;

/// Dispatches read before the clock starts.
const WARMUP: u64 = 2_000;
/// Upper bound on one measurement.
const MEASURE_TIMEOUT: Duration = Duration::from_secs(120);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve-feeder") {
        return serve_feeder();
    }
    let mut frames = 50_000u64;
    let mut runs = 3usize;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--frames" => frames = it.next().and_then(|v| v.parse().ok()).expect("--frames N"),
            "--runs" => runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            _ => {} // cargo bench passes --bench
        }
    }
    let Some(nats) = nats_support::NatsServer::start() else {
        println!("nats: skipped (nats-server is not installed: apt-get install -y nats-server)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Token and /gateway/bot from an idle emulator; the flood from the feeder (child process).
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            max_concurrency: 100,
            ..EmulatorConfig::default()
        }))
        .expect("emulator");
    println!(
        "nats: {frames} events per run after {WARMUP} warm-up, {runs} run(s) each, interleaved; batched feeder in a child process, nats-server -js (file store) on loopback"
    );
    let mut plain = Vec::new();
    let mut published = Vec::new();
    for run in 1..=runs {
        let feeder = FeederChild::spawn();
        let eps = rt.block_on(plain_ndjson(&emu, &feeder.url, frames));
        drop(feeder);
        println!("  run {run}: Shard -> NDJSON -> sink            {eps:>10.0} events/s");
        plain.push(eps);
        let feeder = FeederChild::spawn();
        let (eps, stats) = rt.block_on(to_jetstream(&emu, &feeder.url, &nats.url, run, frames));
        drop(feeder);
        println!(
            "  run {run}: Shard -> NDJSON -> JetStream (acked) {eps:>10.0} events/s ({} acked, {} duplicates, {} retried)",
            stats.acked, stats.duplicates, stats.retries
        );
        published.push(eps);
    }
    let plain = median(&mut plain);
    let published = median(&mut published);
    println!();
    println!("  plain NDJSON (median, baseline)      {plain:>10.0} events/s");
    println!("  published to JetStream (median)      {published:>10.0} events/s");
    println!(
        "  ratio JetStream / plain              {:>10.1} %",
        published / plain * 100.0
    );
    rt.block_on(emu.shutdown());
    drop(nats);
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn config(emu: &Emulator, gateway_url: &str) -> GatewayConfig {
    let mut config = GatewayConfig::new(
        DEFAULT_APP_ID,
        EmulatorConfig::default().secret,
        emu.api_base(),
        emu.token_url(),
    );
    config.intents = Intents::all();
    config.shards = ShardSelection::Count(1);
    config.gateway_url = Some(gateway_url.to_owned());
    config
}

/// Read `WARMUP + frames` dispatches through `each`; events/s over the last `frames` (the clock
/// stops when `done` resolves).
async fn measure<F, Fut>(
    emu: &Emulator,
    gateway_url: &str,
    frames: u64,
    mut each: F,
) -> (Instant, Instant)
where
    F: FnMut(GatewayItem) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (cluster, mut items) = Cluster::start(config(emu, gateway_url))
        .await
        .expect("cluster starts");
    let total = WARMUP + frames;
    let mut seen = 0u64;
    let mut started = None;
    let read = timeout(MEASURE_TIMEOUT, async {
        while let Some(item) = items.recv().await {
            let dispatch = matches!(item.kind, ItemKind::Dispatch(_));
            if let ItemKind::Fatal { reason, .. } = &item.kind {
                panic!("shard stopped: {reason}");
            }
            each(item).await;
            if dispatch {
                seen += 1;
                if seen == WARMUP {
                    started = Some(Instant::now());
                }
                if seen == total {
                    return;
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "only {seen} of {total} dispatches");
    let ended = Instant::now();
    drop(items);
    let _ = timeout(Duration::from_secs(10), cluster.shutdown()).await;
    (started.expect("clock started"), ended)
}

async fn plain_ndjson(emu: &Emulator, gateway_url: &str, frames: u64) -> f64 {
    let mut line = String::with_capacity(4096);
    let mut sink = std::io::sink();
    let (started, ended) = measure(emu, gateway_url, frames, |item| {
        line.clear();
        ndjson::write_line(&mut line, &item);
        sink.write_all(line.as_bytes()).expect("sink");
        std::future::ready(())
    })
    .await;
    frames as f64 / (ended - started).as_secs_f64()
}

async fn to_jetstream(
    emu: &Emulator,
    gateway_url: &str,
    nats_url: &str,
    run: usize,
    frames: u64,
) -> (f64, qqbot::nats::PublishStats) {
    // A stream per run: the feeder's ids repeat across runs and would be dropped as duplicates.
    let mut publish = PublishConfig::new(nats_url, DEFAULT_APP_ID);
    publish.stream = StreamConfig {
        prefix: format!("bench{run}"),
        name: format!("BENCH{run}"),
        ..StreamConfig::default()
    };
    publish.report = false;
    let mut publisher = Publisher::start(publish).await.expect("publisher starts");
    let mut line = String::with_capacity(4096);
    let mut sink = std::io::sink();
    let publisher_ref = &publisher;
    let (started, _) = measure(emu, gateway_url, frames, |item| {
        line.clear();
        ndjson::write_line(&mut line, &item);
        sink.write_all(line.as_bytes()).expect("sink");
        async move { publisher_ref.handle(&item, true).await }
    })
    .await;
    // The clock stops once every publish is acknowledged.
    let stats = publisher.close(MEASURE_TIMEOUT).await;
    let ended = Instant::now();
    assert_eq!(stats.unacked, 0, "every publish acknowledged");
    let eps = frames as f64 / (ended - started).as_secs_f64();
    (eps, stats)
}

/// `--serve-feeder`: the batched flood gateway of `support::feeder`, until stdin closes.
fn serve_feeder() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let stdin_closed = async {
            let _ = tokio::task::spawn_blocking(|| {
                let mut sink = Vec::new();
                let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
            })
            .await;
        };
        support::feeder::serve(stdin_closed)
            .await
            .expect("feeder serves");
    });
}

struct FeederChild {
    child: Child,
    stdin: Option<ChildStdin>,
    url: String,
}

impl FeederChild {
    fn spawn() -> FeederChild {
        let exe = std::env::current_exe().expect("current exe");
        let mut child = Command::new(exe)
            .arg("--serve-feeder")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the feeder");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("feeder stdout"))
            .read_line(&mut line)
            .expect("feeder url");
        FeederChild {
            child,
            stdin,
            url: line.trim().to_owned(),
        }
    }
}

impl Drop for FeederChild {
    fn drop(&mut self) {
        drop(self.stdin.take()); // EOF: the feeder stops
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20)); // bounded wait for the child to exit
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
