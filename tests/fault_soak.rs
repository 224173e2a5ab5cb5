//! The fault soak: a seeded run of 1,000 injected faults of every kind against a three-shard
//! cluster with a tiny item buffer (so backpressure is in the loop), checked against the
//! emulator's own ledger: every event delivered to a live or resumable session reaches the
//! consumer exactly once and in order wherever the protocol allows a resume, every
//! non-resumable fault is followed by exactly one fresh Identify, and the number of connections
//! stays bounded by the faults (no reconnect loop).
//!
//! Paused time makes heartbeats, backoff and identify windows free; every wait is bounded.
//! `QQBOT_SOAK_FAULTS=N cargo test --release --test fault_soak` runs a longer soak.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qqbot::emulator::{Emulator, EmulatorConfig, Fault, FaultTarget, Scenario};
use qqbot::gateway::{Cause, Cluster, GatewayConfig, ItemKind, ShardSelection};
use qqbot::protocol::Intents;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio::sync::Notify;
use tokio::time::timeout;

/// GUILDS | PUBLIC_GUILD_MESSAGES.
const INTENTS: Intents = Intents((1 << 0) | (1 << 30));
const SHARDS: u32 = 3;
/// Upper bound on any single wait (virtual time).
const WAIT: Duration = Duration::from_secs(600);

/// What the consumer saw, per shard.
#[derive(Default)]
struct Seen {
    /// Message ids in arrival order, per shard.
    messages: BTreeMap<u32, Vec<String>>,
    /// `s` of every dispatch per (shard, session), in arrival order.
    seqs: BTreeMap<(u32, String), Vec<u64>>,
    /// Current session per shard (from READY / Resuming).
    session: BTreeMap<u32, String>,
    readies: BTreeMap<u32, u64>,
    resumes: BTreeMap<u32, u64>,
    connects: u64,
    zombies: u64,
    fatal: u64,
    lagged: u64,
}

struct Shared {
    seen: Mutex<Seen>,
    changed: Notify,
}

impl Shared {
    async fn wait(&self, what: &str, cond: impl Fn(&Seen) -> bool) {
        let done = timeout(WAIT, async {
            loop {
                let notified = self.changed.notified();
                if cond(&self.seen.lock().unwrap()) {
                    return;
                }
                notified.await;
            }
        })
        .await;
        assert!(done.is_ok(), "timed out waiting for {what}");
    }
}

fn message(n: u64, shard: u32) -> serde_json::Value {
    // Guild events are sharded by (guild_id >> 22) % num_shards.
    let guild = (u64::from(shard) + u64::from(SHARDS) * (n % 7)) << 22;
    json!({"id": format!("m{n}"), "channel_id": "1", "guild_id": guild.to_string(),
        "content": format!("<@!1> {n}"), "author": {"id": "3", "username": "u"},
        "timestamp": "2026-01-01T00:00:00+08:00"})
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Reconnect,
    SessionTimeout,
    Close4009,
    Close1001,
    Drop,
    Zombie,
    InvalidSession,
    Close49xx,
}

impl Kind {
    fn resumable(self) -> bool {
        !matches!(self, Kind::InvalidSession | Kind::Close49xx)
    }
}

#[tokio::test(start_paused = true)]
async fn soak_a_thousand_faults_lose_and_duplicate_nothing() {
    let faults: usize = std::env::var("QQBOT_SOAK_FAULTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let started = tokio::time::Instant::now();
    let emu = Emulator::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        heartbeat_interval: Duration::from_secs(2),
        max_concurrency: 100,
        shards: SHARDS,
        session_start_total: 100_000,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let mut config = GatewayConfig::new(
        emu.config().app_id.clone(),
        emu.config().secret.clone(),
        emu.api_base(),
        emu.token_url(),
    );
    config.intents = INTENTS;
    config.shards = ShardSelection::Count(SHARDS);
    config.event_buffer_size = 4;
    let (cluster, mut items) = Cluster::start(config).await.unwrap();

    let shared = Arc::new(Shared {
        seen: Mutex::new(Seen::default()),
        changed: Notify::new(),
    });
    let consumer = {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut n = 0u64;
            while let Some(item) = items.recv().await {
                n += 1;
                if n.is_multiple_of(3) {
                    tokio::task::yield_now().await; // a consumer slower than the gateway
                }
                let shard = item.shard.id;
                let mut seen = shared.seen.lock().unwrap();
                match &item.kind {
                    ItemKind::Dispatch(d) => {
                        let body: serde_json::Value = serde_json::from_str(d.d()).unwrap();
                        let id = body["id"].as_str().unwrap().to_owned();
                        seen.messages.entry(shard).or_default().push(id);
                        let session = seen.session.get(&shard).cloned().unwrap_or_default();
                        seen.seqs
                            .entry((shard, session))
                            .or_default()
                            .push(d.seq.unwrap());
                    }
                    ItemKind::Ready { session_id, .. } => {
                        seen.session.insert(shard, session_id.clone());
                        *seen.readies.entry(shard).or_default() += 1;
                    }
                    ItemKind::Resuming { session_id, .. } => {
                        seen.session.insert(shard, session_id.clone());
                    }
                    ItemKind::Resumed { .. } => *seen.resumes.entry(shard).or_default() += 1,
                    ItemKind::Connected { .. } => seen.connects += 1,
                    ItemKind::Closed {
                        cause: Cause::Zombie { .. },
                        ..
                    } => seen.zombies += 1,
                    ItemKind::Fatal { .. } => seen.fatal += 1,
                    ItemKind::Lagged { dropped } => seen.lagged += dropped,
                    _ => {}
                }
                drop(seen);
                shared.changed.notify_waiters();
            }
        })
    };
    shared
        .wait("READY on every shard", |s| {
            s.readies.len() == SHARDS as usize
        })
        .await;

    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut expected: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut next_message = 0u64;
    let mut non_resumable = 0u64;
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut inject = |rng: &mut StdRng, expected: &mut BTreeMap<u32, Vec<String>>, n: usize| {
        for _ in 0..n {
            let shard = rng.random_range(0..SHARDS);
            next_message += 1;
            let delivered = emu.inject("AT_MESSAGE_CREATE", message(next_message, shard));
            // The live session, and a session abandoned by a non-resumable close that the
            // emulator still buffers for (nobody will resume it).
            assert!(
                delivered >= 1,
                "every shard has a live or resumable session"
            );
            expected
                .entry(shard)
                .or_default()
                .push(format!("m{next_message}"));
        }
    };
    for fault in 0..faults {
        let kind = match rng.random_range(0..100) {
            0..15 => Kind::Reconnect,
            15..30 => Kind::SessionTimeout,
            30..45 => Kind::Close4009,
            45..55 => Kind::Close1001,
            55..75 => Kind::Drop,
            75..90 => Kind::Zombie,
            90..95 => Kind::InvalidSession,
            _ => Kind::Close49xx,
        };
        *by_kind.entry(format!("{kind:?}")).or_default() += 1;
        let shard = rng.random_range(0..SHARDS);
        let session = emu
            .sessions()
            .into_iter()
            .find(|s| s.connected && s.shard == [shard, SHARDS])
            .unwrap_or_else(|| panic!("fault {fault}: shard {shard} has no live session"))
            .id;
        let before = {
            let seen = shared.seen.lock().unwrap();
            (
                seen.readies.get(&shard).copied().unwrap_or(0),
                seen.resumes.get(&shard).copied().unwrap_or(0),
            )
        };
        let n = rng.random_range(0..4);
        inject(&mut rng, &mut expected, n);
        if !kind.resumable() {
            // Events still in flight on a session about to be discarded are lost by the
            // protocol itself: let everything arrive first, so every loss counted is qqbot's.
            let want = expected.clone();
            shared
                .wait("every event before a non-resumable fault", |s| {
                    want.iter()
                        .all(|(k, ids)| s.messages.get(k).map_or(0, Vec::len) >= ids.len())
                })
                .await;
            non_resumable += 1;
        }
        let target = FaultTarget::Session(session.clone());
        let injected = match kind {
            Kind::Reconnect => Fault::Reconnect,
            Kind::SessionTimeout => Fault::SessionTimeout,
            Kind::Close4009 => Fault::Close {
                code: 4009,
                reason: "Session timed out".into(),
            },
            Kind::Close1001 => Fault::Close {
                code: 1001,
                reason: "going away".into(),
            },
            Kind::Drop => Fault::Drop,
            Kind::Zombie => Fault::StopAcks,
            Kind::InvalidSession => Fault::InvalidSession,
            Kind::Close49xx => Fault::Close {
                code: [4900, 4901, 4902, 4905, 4913][rng.random_range(0..5)],
                reason: "internal error".into(),
            },
        };
        assert_eq!(emu.fault(target, injected), 1, "fault {fault} ({kind:?})");
        if kind.resumable() {
            // Injected while the shard is away: buffered, replayed on resume.
            let n = rng.random_range(0..3);
            inject(&mut rng, &mut expected, n);
            shared
                .wait("RESUMED after a resumable fault", |s| {
                    s.resumes.get(&shard).copied().unwrap_or(0) > before.1
                })
                .await;
        } else {
            shared
                .wait("READY after a non-resumable fault", |s| {
                    s.readies.get(&shard).copied().unwrap_or(0) > before.0
                })
                .await;
        }
        // Wait for the shard's new session to be live on the emulator's side too.
        let live = timeout(WAIT, async {
            loop {
                if emu
                    .sessions()
                    .iter()
                    .any(|s| s.connected && s.shard == [shard, SHARDS])
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(live.is_ok(), "fault {fault}: shard {shard} never came back");
    }
    inject(&mut rng, &mut expected, 10);
    let want = expected.clone();
    shared
        .wait("every event", |s| {
            want.iter()
                .all(|(k, ids)| s.messages.get(k).map_or(0, Vec::len) >= ids.len())
        })
        .await;

    {
        let seen = shared.seen.lock().unwrap();
        for (shard, ids) in &expected {
            let got = &seen.messages[shard];
            let unique: HashSet<&String> = got.iter().collect();
            assert_eq!(unique.len(), got.len(), "shard {shard}: a duplicate");
            assert_eq!(got, ids, "shard {shard}: every event, in order, once");
        }
        for ((shard, session), seqs) in &seen.seqs {
            assert!(
                seqs.windows(2).all(|w| w[1] > w[0]),
                "shard {shard} session {session}: s went backwards"
            );
        }
        let frames = emu.received_frames();
        let identifies = frames.iter().filter(|f| f.op == Some(2)).count() as u64;
        let resumes_sent = frames.iter().filter(|f| f.op == Some(6)).count() as u64;
        let readies: u64 = seen.readies.values().sum();
        let resumed: u64 = seen.resumes.values().sum();
        assert_eq!(
            identifies,
            u64::from(SHARDS) + non_resumable,
            "exactly one fresh Identify per non-resumable fault ({by_kind:?})"
        );
        assert_eq!(readies, identifies, "every Identify got its READY");
        assert_eq!(resumed, resumes_sent, "every Resume got its RESUMED");
        assert_eq!(seen.fatal, 0);
        assert_eq!(seen.lagged, 0, "nothing dropped");
        assert!(seen.zombies >= 1, "zombies were detected: {by_kind:?}");
        // No reconnect loop: at most one connection per fault beyond the first ones, plus a few
        // the emulator's own 30-minute session timeouts cause over the virtual hours.
        let slack = 1 + (started.elapsed().as_secs() / 1800) * u64::from(SHARDS);
        assert!(
            seen.connects <= u64::from(SHARDS) + faults as u64 + slack,
            "{} connections for {faults} faults",
            seen.connects
        );
        let m = cluster.metrics();
        eprintln!(
            "soak: {faults} faults {by_kind:?}; {} events; {identifies} Identify / {readies} READY, \
         {resumes_sent} Resume / {resumed} RESUMED, {} zombies, {} connections, {} read pauses",
            next_message, seen.zombies, seen.connects, m.total.read_pauses
        );
        assert_eq!(m.total.events_received, m.total.events_processed);
        assert_eq!(m.total.dropped_items, 0);
        assert!(
            m.total.read_pauses > 0,
            "backpressure was in the loop: {m:?}"
        );
        // The emulator's replay buffers are trimmed by the heartbeated seq: bounded.
        assert!(emu.sessions().iter().all(|s| s.buffered < 1000));
    }
    cluster.shutdown().await;
    consumer.await.unwrap();
}
