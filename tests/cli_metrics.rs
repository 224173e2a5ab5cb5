//! `--metrics ADDR` through the real binary: `listen --emulator` and `emulate` serve the
//! Prometheus text format on ADDR/metrics; scrapes are parsed with a Prometheus text parser
//! (`prometheus-parse`) and checked against what the emulator sent.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use prometheus_parse::{Scrape, Value};

mod nats_support;

const WAIT: Duration = Duration::from_secs(30);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Spawn `qqbot ARGS`, forwarding its stderr lines to a channel (read all along).
fn spawn(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = cli_support::qqbot_command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The first stderr line containing each needle (in any order), within the bound.
fn lines_with<const N: usize>(lines: &mpsc::Receiver<String>, needles: [&str; N]) -> [String; N] {
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    let deadline = std::time::Instant::now() + WAIT;
    while found.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                for (slot, needle) in found.iter_mut().zip(needles) {
                    if slot.is_none() && line.contains(needle) {
                        *slot = Some(line.clone());
                    }
                }
            }
            Err(e) => panic!("no stderr lines with {needles:?} ({found:?}): {e}"),
        }
    }
    found.map(Option::unwrap)
}

fn between<'a>(line: &'a str, start: &str, end: char) -> &'a str {
    let rest = line.split(start).nth(1).unwrap_or_else(|| panic!("{line}"));
    rest.split(end).next().unwrap()
}

async fn scrape(url: &str) -> Scrape {
    let response = qqbot::http::reqwest::get(url).await.unwrap();
    assert!(response.status().is_success());
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

/// The value of `metric` with these labels (counter, gauge or untyped).
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            other => panic!("{metric}: {other:?}"),
        })
}

async fn post(url: &str, body: serde_json::Value) {
    let response = qqbot::http::reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{url}");
}

fn interrupt(child: &mut Child) -> Option<i32> {
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            panic!("qqbot did not exit");
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

#[test]
fn listen_metrics_count_what_the_emulator_sent() {
    let rt = runtime();
    let (mut child, lines) = spawn(&[
        "listen",
        "--emulator",
        "--scenario",
        "quiet",
        "--json",
        "-e",
        "AT_MESSAGE_CREATE",
        "--metrics",
        "127.0.0.1:0",
    ]);
    let [banner, served] = lines_with(&lines, ["listening to", "metrics at "]);
    let control = format!("{}/_emulator", between(&banner, " at ", ' '));
    let metrics = between(&served, "metrics at ", ' ').to_owned();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    rt.block_on(async {
        // Wait for the session (READY) before injecting.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let s = scrape(&metrics).await;
            if value(&s, "qqbot_shards_active", &[]) == Some(1.0) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "no active shard");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for n in 0..3 {
            post(
                &format!("{control}/dispatch"),
                serde_json::json!({"t": "AT_MESSAGE_CREATE", "d": {"id": format!("m{n}"), "content": "hi"}}),
            )
            .await;
        }
        for n in 0..2 {
            post(
                &format!("{control}/dispatch"),
                serde_json::json!({"t": "GUILD_MEMBER_ADD", "d": {"guild_id": format!("g{n}")}}),
            )
            .await;
        }
    });
    // Three AT_MESSAGE_CREATE lines pass the -e filter; the two GUILD_MEMBER_ADD do not.
    for _ in 0..3 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(line.contains("AT_MESSAGE_CREATE"), "{line}");
    }
    let s = rt.block_on(async {
        // An op 7 reconnect: counted by cause, then resumed.
        post(
            &format!("{control}/fault"),
            serde_json::json!({"kind": "reconnect"}),
        )
        .await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let s = scrape(&metrics).await;
            let received = value(
                &s,
                "qqbot_events_received_total",
                &[("type", "GUILD_MEMBER_ADD")],
            );
            let op7 = value(
                &s,
                "qqbot_reconnects_total",
                &[("cause", "reconnect_requested")],
            );
            let resumes = value(&s, "qqbot_resumes_total", &[]).unwrap_or(0.0);
            if op7 == Some(1.0) && resumes >= 1.0 && received == Some(2.0) {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no op 7 reconnect and resume counted: {:?}",
                s.samples
                    .iter()
                    .filter(|x| x.metric.contains("reconnects") || x.metric.contains("resumes"))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let reconnects: Vec<_> = s
        .samples
        .iter()
        .filter(|x| x.metric == "qqbot_reconnects_total")
        .collect();
    assert_eq!(
        reconnects.len(),
        1,
        "only the op 7 reconnect: {reconnects:?}"
    );
    assert_eq!(value(&s, "qqbot_resumes_total", &[]), Some(1.0));
    let at = [("type", "AT_MESSAGE_CREATE")];
    assert_eq!(value(&s, "qqbot_events_received_total", &at), Some(3.0));
    assert_eq!(value(&s, "qqbot_events_handed_on_total", &at), Some(3.0));
    assert_eq!(
        value(
            &s,
            "qqbot_events_handed_on_total",
            &[("type", "GUILD_MEMBER_ADD")]
        ),
        None,
        "filtered out, not handed on"
    );
    assert_eq!(
        value(
            &s,
            "qqbot_reconnects_total",
            &[("cause", "reconnect_requested")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &s,
            "qqbot_shard_state",
            &[("shard", "0"), ("state", "active")]
        ),
        Some(1.0)
    );
    // READY, the five dispatches and RESUMED each took an `s`.
    assert_eq!(
        value(&s, "qqbot_shard_last_seq", &[("shard", "0")]),
        Some(7.0)
    );
    assert!(
        value(
            &s,
            "qqbot_shard_read_paused_seconds_total",
            &[("shard", "0")]
        )
        .is_some()
    );
    // The embedded emulator's own counters: two connections (op 7), one identify, one resume,
    // five dispatches (and the resume replays none).
    assert_eq!(
        value(&s, "qqbot_emulator_connections_total", &[]),
        Some(2.0)
    );
    assert_eq!(value(&s, "qqbot_emulator_identifies_total", &[]), Some(1.0));
    assert_eq!(value(&s, "qqbot_emulator_resumes_total", &[]), Some(1.0));
    assert_eq!(
        value(&s, "qqbot_emulator_dispatches_sent_total", &[]),
        Some(5.0)
    );
    let rtt = s
        .samples
        .iter()
        .find(|x| x.metric == "qqbot_heartbeat_rtt_seconds")
        .expect("the heartbeat histogram");
    assert!(
        matches!(rtt.value, Value::Histogram(ref b) if b.len() == 16),
        "{rtt:?}"
    );
    assert_eq!(interrupt(&mut child), Some(130));
}

#[test]
fn emulate_metrics_count_connections_identifies_and_dispatches() {
    use qqbot::gateway::{Cluster, GatewayConfig, ItemKind};
    let rt = runtime();
    let (mut child, lines) = spawn(&[
        "--json",
        "emulate",
        "--listen",
        "127.0.0.1:0",
        "--scenario",
        "quiet",
        "--metrics",
        "127.0.0.1:0",
    ]);
    let [served] = lines_with(&lines, ["metrics at "]);
    let metrics = between(&served, "metrics at ", ' ').to_owned();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let banner: serde_json::Value = serde_json::from_str(&first).unwrap();
    let api = banner["api_base"].as_str().unwrap().to_owned();
    let s = rt.block_on(async {
        let mut config = GatewayConfig::new(
            "1020304050",
            qqbot::Secret::from(qqbot::emulator::DEFAULT_SECRET),
            api.clone(),
            format!("{api}/app/getAppAccessToken"),
        );
        config.shards = qqbot::gateway::ShardSelection::Count(1);
        let (cluster, mut items) = Cluster::start(config).await.unwrap();
        let mut dispatches = 0;
        tokio::time::timeout(WAIT, async {
            let mut injected = false;
            while let Some(item) = items.recv().await {
                match item.kind {
                    ItemKind::Ready { .. } if !injected => {
                        injected = true;
                        for n in 0..4 {
                            post(
                                &format!("{api}/_emulator/dispatch"),
                                serde_json::json!({"t": "AT_MESSAGE_CREATE", "d": {"id": format!("m{n}")}}),
                            )
                            .await;
                        }
                    }
                    ItemKind::Dispatch(_) => {
                        dispatches += 1;
                        if dispatches == 4 {
                            return;
                        }
                    }
                    _ => {}
                }
            }
        })
        .await
        .expect("four dispatches");
        let s = scrape(&metrics).await;
        cluster.shutdown().await;
        s
    });
    assert_eq!(
        value(&s, "qqbot_emulator_connections_total", &[]),
        Some(1.0)
    );
    assert_eq!(value(&s, "qqbot_emulator_identifies_total", &[]), Some(1.0));
    assert_eq!(value(&s, "qqbot_emulator_resumes_total", &[]), Some(0.0));
    assert_eq!(
        value(&s, "qqbot_emulator_dispatches_sent_total", &[]),
        Some(4.0)
    );
    assert_eq!(
        value(&s, "qqbot_shards_active", &[]),
        None,
        "no shards in emulate"
    );
    assert_eq!(interrupt(&mut child), Some(130));
}

/// With `--publish`, the scrape counts JetStream's acknowledgements and their lag: as many acks
/// as the summary says were published, once the run has caught up.
#[test]
fn publish_acks_and_lag_appear_in_the_scrape() {
    let Some(nats) = nats_support::NatsServer::start() else {
        return;
    };
    let rt = runtime();
    let (mut child, lines) = spawn(&[
        "listen",
        "--emulator",
        "--json",
        "--publish",
        &nats.url,
        "--metrics",
        "127.0.0.1:0",
    ]);
    let [served] = lines_with(&lines, ["metrics at "]);
    let metrics = between(&served, "metrics at ", ' ').to_owned();
    // The demo scenario sends an event about every half second: wait for a few acks.
    let deadline = std::time::Instant::now() + WAIT;
    let (acks, lag) = loop {
        let scrape = rt.block_on(scrape(&metrics));
        let acks = value(&scrape, "qqbot_publish_acks_total", &[]).unwrap_or(0.0);
        if acks >= 3.0 {
            break (acks, value(&scrape, "qqbot_publish_lag_seconds", &[]));
        }
        assert!(std::time::Instant::now() < deadline, "only {acks} ack(s)");
        std::thread::park_timeout(Duration::from_millis(100)); // polling, bounded
    };
    let lag = lag.expect("a lag gauge once acks were counted");
    assert!((0.0..5.0).contains(&lag), "lag {lag} s on loopback");
    let handed_on: f64 = rt
        .block_on(scrape(&metrics))
        .samples
        .iter()
        .filter(|s| s.metric == "qqbot_events_handed_on_total")
        .map(|s| match s.value {
            Value::Counter(v) => v,
            _ => 0.0,
        })
        .sum();
    assert!(
        handed_on >= acks,
        "{acks} acks for {handed_on} events handed on"
    );
    assert_eq!(interrupt(&mut child), Some(130));
}
