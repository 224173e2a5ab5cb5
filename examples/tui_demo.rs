//! The `qqbot tui` dashboard fed by a synthetic item generator (no network, no emulator):
//! two shards that connect, identify and go READY, dispatches of several types at `--rate`
//! events/s, heartbeats every 2 s with a varying round trip, a 4009 close plus resume on shard 1
//! after 5 s, and a `Lagged` now and then.
//!
//! ```text
//! cargo run --example tui_demo -- [--rate 200] [--shards 2]
//! cargo run --example tui_demo -- --emulator [SCENARIO]   # real shards against an embedded emulator
//! ```
//!
//! With `--emulator` the items come from a real [`Cluster`] connected to an in-process
//! [`Emulator`] (scenario `demo` unless named: `session-timeout`, `zombie`, `drop`, …), as
//! `qqbot tui --emulator` does.
//!
//! Quit with `q`: the terminal is restored and the same summary `qqbot listen` prints follows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};
use qqbot::gateway::{
    CloseOrigin, Cluster, Dispatch, GatewayConfig, GatewayItem, ItemKind, ShardId, ShardSelection,
};
use qqbot::protocol::CloseAction;
use qqbot::protocol::Intents;
use qqbot::tui::{Diagnostics, Header};
use tokio::sync::{mpsc, watch};

const TYPES: [(&str, &str); 5] = [
    (
        "GROUP_AT_MESSAGE_CREATE",
        r#"{"author":{"member_openid":"E4F1A2B3C4D5"},"content":" ping","group_openid":"C9F7D1E2"}"#,
    ),
    (
        "C2C_MESSAGE_CREATE",
        r#"{"author":{"user_openid":"A1B2C3D4E5F6"},"content":"hello"}"#,
    ),
    (
        "AT_MESSAGE_CREATE",
        r#"{"author":{"id":"1234","username":"alice"},"channel_id":"100","guild_id":"200","content":"<@!bot> status"}"#,
    ),
    (
        "MESSAGE_REACTION_ADD",
        r#"{"guild_id":"200","channel_id":"100","user_id":"77"}"#,
    ),
    (
        "GUILD_MEMBER_ADD",
        r#"{"guild_id":"200","user":{"id":"99","username":"bob"}}"#,
    ),
];

fn arg(name: &str, default: u32) -> u32 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn item(shard: ShardId, kind: ItemKind) -> GatewayItem {
    GatewayItem {
        shard,
        received_at: Utc::now(),
        kind,
    }
}

fn dispatch(shard: ShardId, seq: u64, n: u64) -> GatewayItem {
    let (t, d) = TYPES[(n as usize * 7 + n as usize / 3) % TYPES.len()];
    let frame = format!(r#"{{"op":0,"s":{seq},"t":"{t}","id":"{t}:{n}","d":{d}}}"#);
    let start = frame.rfind(d).unwrap_or(0);
    item(
        shard,
        ItemKind::Dispatch(Dispatch::new(
            Some(seq),
            t.into(),
            Some(format!("{t}:{n}").as_str()),
            Arc::from(frame.as_str()),
            start..start + d.len(),
        )),
    )
}

fn connect(shard: ShardId, attempt: u32) -> [GatewayItem; 2] {
    [
        item(
            shard,
            ItemKind::Connected {
                url: "ws://127.0.0.1/websocket".into(),
                attempt,
            },
        ),
        item(
            shard,
            ItemKind::Hello {
                heartbeat_interval: Duration::from_secs(2),
            },
        ),
    ]
}

/// Produce items until the dashboard goes away (the receiver is dropped).
async fn generate(tx: mpsc::Sender<GatewayItem>, shards: u32, rate: u32) {
    let ids: Vec<ShardId> = (0..shards)
        .map(|id| ShardId { id, count: shards })
        .collect();
    let mut seqs = vec![0u64; ids.len()];
    for &shard in &ids {
        let mut items = connect(shard, 1).to_vec();
        items.push(item(shard, ItemKind::Identifying { intents: 1 << 25 }));
        items.push(item(
            shard,
            ItemKind::Ready {
                session_id: format!("demo-session-{}", shard.id),
                user_id: "1144".into(),
                username: "demo-bot".into(),
                version: Some(1),
            },
        ));
        for it in items {
            if tx.send(it).await.is_err() {
                return;
            }
        }
    }
    let tick = Duration::from_millis(50);
    let per_tick = f64::from(rate) * tick.as_secs_f64();
    let mut owed = 0.0;
    let mut n: u64 = 0;
    let mut ticks: u64 = 0;
    let mut interval = tokio::time::interval(tick);
    loop {
        interval.tick().await;
        ticks += 1;
        let mut batch = Vec::new();
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            n += 1;
            let s = (n % ids.len() as u64) as usize;
            seqs[s] += 1;
            batch.push(dispatch(ids[s], seqs[s], n));
        }
        // Heartbeats every 2 s per shard, ACKed 20-80 ms "later".
        if ticks.is_multiple_of(40) {
            for (i, &shard) in ids.iter().enumerate() {
                batch.push(item(shard, ItemKind::HeartbeatSent { seq: Some(seqs[i]) }));
                let rtt = 20 + (ticks / 40 * 37 + i as u64 * 11) % 60;
                batch.push(item(
                    shard,
                    ItemKind::HeartbeatAck {
                        rtt: Duration::from_millis(rtt),
                    },
                ));
            }
        }
        // After 5 s: shard 1 (or 0) is closed with 4009 and resumes.
        if ticks == 100 {
            let shard = ids[ids.len().min(2) - 1];
            batch.push(item(
                shard,
                ItemKind::Closed {
                    code: Some(4009),
                    reason: "Session timed out".into(),
                    origin: CloseOrigin::Server,
                    action: CloseAction::Resume,
                    cause: qqbot::gateway::Cause::Closed {
                        code: Some(4009),
                        reason: "Session timed out".into(),
                    },
                },
            ));
            batch.extend(connect(shard, 1));
            batch.push(item(
                shard,
                ItemKind::Resuming {
                    session_id: format!("demo-session-{}", shard.id),
                    seq: Some(seqs[shard.id as usize]),
                },
            ));
            batch.push(item(
                shard,
                ItemKind::Resumed {
                    seq: None,
                    replayed: 0,
                    recovered_in: Some(Duration::from_millis(120)),
                },
            ));
        }
        if ticks % 200 == 150 {
            batch.push(item(ids[0], ItemKind::Lagged { dropped: 3 }));
        }
        for it in batch {
            if tx.send(it).await.is_err() {
                return;
            }
        }
    }
}

/// `--emulator [SCENARIO]`: the scenario name, if the flag is present.
fn emulator_arg() -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == "--emulator")?;
    Some(
        args.get(i + 1)
            .filter(|a| !a.starts_with("--"))
            .cloned()
            .unwrap_or_else(|| "demo".into()),
    )
}

/// Start an embedded emulator and a cluster of `shards` against it.
async fn emulated(
    scenario: &str,
    shards: u32,
    rate: u32,
) -> Result<(Emulator, Cluster, qqbot::gateway::Items), String> {
    let scenario: Scenario = scenario
        .parse()
        .map_err(|_| format!("unknown scenario `{scenario}`"))?;
    let emulator = Emulator::start(EmulatorConfig {
        scenario,
        shards,
        rate: f64::from(rate),
        heartbeat_interval: Duration::from_secs(5),
        ..EmulatorConfig::default()
    })
    .await
    .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let ec = emulator.config();
    let mut config = GatewayConfig::new(
        ec.app_id.clone(),
        ec.secret.clone(),
        emulator.api_base(),
        emulator.token_url(),
    );
    config.intents = Intents::all();
    config.shards = ShardSelection::Count(shards);
    let (cluster, items) = Cluster::start_items(config)
        .await
        .map_err(|e| format!("cannot start the cluster: {e}"))?;
    Ok((emulator, cluster, items))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let rate = arg("--rate", 200);
    let shards = arg("--shards", 2).max(1);
    let now = Utc::now();
    let mut source = "demo (synthetic)".to_string();
    let (tx, rx, emulator) = match emulator_arg() {
        Some(scenario) => match emulated(&scenario, shards, rate).await {
            Ok((emulator, cluster, items)) => {
                source = format!("emulator ({scenario})");
                (None, items, Some((emulator, cluster)))
            }
            Err(e) => {
                eprintln!("tui_demo: error: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
        None => {
            let (tx, rx) = mpsc::channel(4096);
            (Some(tx), rx.into(), None)
        }
    };
    let (diag_tx, diag_rx) = watch::channel(Diagnostics {
        identify_total: Some(1000),
        identify_remaining: Some(1000 - shards),
        identify_reset_at: Some(now + chrono::Duration::hours(24)),
        max_concurrency: Some(1),
        token_expires_at: Some(now + chrono::Duration::seconds(7200)),
    });
    if let Some((_, cluster)) = &emulator {
        let _ = diag_tx.send(Diagnostics::from_gateway(
            cluster.gateway(),
            cluster.token_ttl(),
            Utc::now(),
        ));
    }
    let generator = tokio::spawn(async move {
        if let Some(tx) = tx {
            generate(tx, shards, rate).await;
        }
    });
    let started = Instant::now();
    let header = Header {
        utc_offset: *now.with_timezone(&chrono::Local).offset(),
        ..Header::new(source, "GROUP_AND_C2C_EVENT|PUBLIC_GUILD_MESSAGES", shards)
    };
    let result = qqbot::tui::run(rx, header, Some(diag_rx), 0).await;
    generator.abort();
    if let Some((emulator, cluster)) = emulator {
        cluster.shutdown().await;
        drop(emulator);
    }
    match result {
        Ok(stats) => {
            print!("{}", stats.summary(started.elapsed()));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tui_demo: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
