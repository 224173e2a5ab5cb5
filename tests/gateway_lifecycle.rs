//! Lifecycle tests: the gateway client against the in-process emulator, under paused time so a
//! 41 s heartbeat or a 5 s identify window costs nothing. Every wait is bounded; nothing sleeps.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent, Fault, FaultTarget, Scenario};
use qqbot::gateway::{
    CloseOrigin, Cluster, GatewayConfig, GatewayItem, HeartbeatConfig, ItemKind, ReconnectConfig,
    SessionInfo,
};
use qqbot::protocol::{CloseAction, Intents};
use serde_json::json;
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, timeout};

/// Upper bound on any wait (virtual time).
const WAIT: Duration = Duration::from_secs(300);

/// GUILDS | PUBLIC_GUILD_MESSAGES: covered by the emulator's default grant.
const INTENTS: Intents = Intents((1 << 0) | (1 << 30));

fn emulator_config(scenario: Scenario) -> EmulatorConfig {
    EmulatorConfig {
        scenario,
        ..EmulatorConfig::default()
    }
}

fn gateway_config(emu: &Emulator) -> GatewayConfig {
    let mut config = GatewayConfig::new(
        emu.config().app_id.clone(),
        emu.config().secret.clone(),
        emu.api_base(),
        emu.token_url(),
    );
    config.intents = INTENTS;
    // The default heartbeat config (max_missed = 1): a missed ACK anywhere would show up as an
    // unexpected zombie reconnect and break the continuity checks.
    config
}

/// A running cluster with everything it emitted so far.
struct Run {
    cluster: Cluster,
    items: mpsc::Receiver<GatewayItem>,
    seen: Vec<(Instant, ItemKind)>,
}

impl Run {
    async fn start(config: GatewayConfig) -> Run {
        let (cluster, items) = Cluster::start(config).await.expect("cluster starts");
        Run {
            cluster,
            items,
            seen: Vec::new(),
        }
    }

    /// Read items until one matches (returns it); every item read is kept in `seen`.
    async fn until(&mut self, what: &str, pred: impl Fn(&ItemKind) -> bool) -> ItemKind {
        let found = timeout(WAIT, async {
            loop {
                let item = self.items.recv().await.expect("items channel open");
                self.seen.push((Instant::now(), item.kind.clone()));
                if pred(&item.kind) {
                    return item.kind;
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no {what} within {WAIT:?}; saw {:#?}", self.kinds()))
    }

    async fn ready(&mut self) -> String {
        match self
            .until("READY", |k| matches!(k, ItemKind::Ready { .. }))
            .await
        {
            ItemKind::Ready { session_id, .. } => session_id,
            _ => unreachable!(),
        }
    }

    async fn resumed(&mut self) {
        self.until("RESUMED", |k| matches!(k, ItemKind::Resumed { .. }))
            .await;
    }

    fn kinds(&self) -> Vec<&'static str> {
        self.seen.iter().map(|(_, k)| k.key()).collect()
    }

    fn count(&self, key: &str) -> usize {
        self.seen.iter().filter(|(_, k)| k.key() == key).count()
    }

    /// Every dispatch seen: (seq, event id).
    fn dispatches(&self) -> Vec<(u64, String)> {
        self.seen
            .iter()
            .filter_map(|(_, k)| match k {
                ItemKind::Dispatch(d) => Some((
                    d.seq.expect("s on every dispatch"),
                    d.id().map(str::to_owned).expect("id"),
                )),
                _ => None,
            })
            .collect()
    }
}

fn message(n: u64) -> serde_json::Value {
    json!({"id": format!("m{n}"), "channel_id": "1", "guild_id": "2", "content": format!("<@!1> {n}"),
        "author": {"id": "3", "username": "u"}, "timestamp": "2026-01-01T00:00:00+08:00"})
}

async fn next_event(
    events: &mut broadcast::Receiver<EmulatorEvent>,
    what: &str,
    pred: impl Fn(&EmulatorEvent) -> bool,
) -> EmulatorEvent {
    timeout(WAIT, async {
        loop {
            match events.recv().await {
                Ok(event) if pred(&event) => return event,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => panic!("emulator stopped"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no emulator {what}"))
}

#[tokio::test(start_paused = true)]
async fn lifecycle_identify_then_ready_and_dispatch() {
    let emu = Emulator::start(emulator_config(Scenario::Quiet))
        .await
        .unwrap();
    let mut run = Run::start(gateway_config(&emu)).await;
    let session = run.ready().await;
    assert!(run.cluster.is_connected());
    assert_eq!(emu.sessions()[0].id, session);
    assert_eq!(emu.inject("AT_MESSAGE_CREATE", message(1)), 1);
    let d = run
        .until("dispatch", |k| matches!(k, ItemKind::Dispatch(_)))
        .await;
    let ItemKind::Dispatch(d) = d else {
        unreachable!()
    };
    assert_eq!(&*d.t, "AT_MESSAGE_CREATE");
    assert_eq!(d.seq, Some(2), "READY took s = 1");
    assert!(d.id().unwrap().starts_with("AT_MESSAGE_CREATE:"));
    let body: serde_json::Value = serde_json::from_str(d.d()).unwrap();
    assert_eq!(body, message(1), "d passes through intact");
    let infos = run.cluster.sessions();
    assert_eq!(
        infos,
        vec![SessionInfo {
            session_id: session,
            last_seq: Some(2),
            shard: qqbot::gateway::ShardId::ONE
        }]
    );
    let m = run.cluster.metrics();
    assert_eq!(
        (
            m.total.identifies,
            m.total.events_received,
            m.total.events_processed
        ),
        (1, 1, 1)
    );
    assert_eq!(m.total.success_rate(), Some(1.0));
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_heartbeat_cadence_follows_hello() {
    let emu = Emulator::start(EmulatorConfig {
        heartbeat_interval: Duration::from_secs(2),
        ..emulator_config(Scenario::Quiet)
    })
    .await
    .unwrap();
    let mut events = emu.subscribe();
    let mut run = Run::start(gateway_config(&emu)).await;
    run.ready().await;
    emu.inject("AT_MESSAGE_CREATE", message(1));
    let mut beats = Vec::new();
    while beats.len() < 5 {
        run.until("heartbeat", |k| matches!(k, ItemKind::HeartbeatSent { .. }))
            .await;
        beats.push(Instant::now());
    }
    for pair in beats.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            Duration::from_secs(2),
            "beats follow Hello's 2 s, not a constant"
        );
    }
    // The gateway sees d = last s once the dispatch was read.
    let with_seq = next_event(&mut events, "heartbeat with seq 2", |e| {
        matches!(e, EmulatorEvent::HeartbeatReceived { seq: Some(2), .. })
    })
    .await;
    assert!(matches!(with_seq, EmulatorEvent::HeartbeatReceived { .. }));
    let m = run.cluster.metrics();
    assert_eq!(m.total.missed_acks, 0);
    assert!(
        m.total.latency.samples >= 3 && m.total.latency.p99.is_some(),
        "{:?}",
        m.total.latency
    );
    assert!(m.shards[0].last_heartbeat.is_some());
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_twenty_session_timeouts_lose_and_duplicate_nothing() {
    let emu = Emulator::start(emulator_config(Scenario::Quiet))
        .await
        .unwrap();
    let mut run = Run::start(gateway_config(&emu)).await;
    let session = run.ready().await;
    let mut injected = 0u64;
    for cycle in 0..20 {
        for _ in 0..3 {
            injected += 1;
            assert_eq!(emu.inject("AT_MESSAGE_CREATE", message(injected)), 1);
        }
        assert_eq!(
            emu.fault(FaultTarget::All, Fault::SessionTimeout),
            1,
            "cycle {cycle}"
        );
        // Injected while the client is away: buffered and replayed on resume.
        injected += 1;
        emu.inject("AT_MESSAGE_CREATE", message(injected));
        run.resumed().await;
        // The session stays up long enough to count as a success (the reconnect policy's
        // `stable_after`), so the next op 7 resumes at once again.
        tokio::time::sleep(ReconnectConfig::default().stable_after).await;
    }
    injected += 1;
    emu.inject("AT_MESSAGE_CREATE", message(injected));
    let last = injected;
    run.until(
        "last dispatch",
        |k| matches!(k, ItemKind::Dispatch(d) if d.d().contains(&format!("\"m{last}\""))),
    )
    .await;
    let dispatches = run.dispatches();
    let seqs: Vec<u64> = dispatches.iter().map(|(s, _)| *s).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing s: {seqs:?}"
    );
    let ids: BTreeSet<&String> = dispatches.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), dispatches.len(), "no event delivered twice");
    assert_eq!(dispatches.len() as u64, injected, "no event lost");
    let m = run.cluster.metrics();
    assert_eq!(m.total.identifies, 1, "never re-identified");
    assert_eq!(m.total.resumes, 20);
    assert_eq!(run.count("backoff"), 0, "op 7 / 4009 resume at once");
    assert_eq!(run.cluster.sessions()[0].session_id, session);
    assert_eq!(emu.sessions()[0].resumes, 20);
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_rejected_resume_falls_back_to_identify() {
    let emu = Emulator::start(EmulatorConfig {
        rate: 0.0,
        ..emulator_config(Scenario::ResumeReject)
    })
    .await
    .unwrap();
    let mut run = Run::start(gateway_config(&emu)).await;
    let first = run.ready().await;
    emu.fault(FaultTarget::All, Fault::SessionTimeout);
    let second = run.ready().await;
    assert_ne!(first, second, "a fresh session");
    assert_eq!(
        run.count("resume"),
        1,
        "one resume attempt, no resume loop: {:?}",
        run.kinds()
    );
    assert_eq!(run.count("identify"), 2);
    assert!(run.seen.iter().any(|(_, k)| matches!(k,
        ItemKind::InvalidSession { reason, .. } if reason.contains("resume rejected"))));
    assert!(run.cluster.is_connected());
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_identify_rejection_is_fatal_after_two_tries() {
    let emu = Emulator::start(emulator_config(Scenario::InvalidIntents))
        .await
        .unwrap();
    let mut config = gateway_config(&emu);
    config.intents = Intents(INTENTS.0 | (1 << 25)); // group/C2C: not granted here
    let mut run = Run::start(config).await;
    let fatal = run
        .until("fatal", |k| matches!(k, ItemKind::Fatal { .. }))
        .await;
    let ItemKind::Fatal { reason, hint, .. } = fatal else {
        unreachable!()
    };
    assert_eq!(
        reason,
        "identify rejected (intents not granted, wrong environment or IP)"
    );
    assert!(hint.unwrap().contains("intents"));
    assert_eq!(run.count("identify"), 2, "{:?}", run.kinds());
    // Nothing more: the shard stopped instead of looping.
    timeout(WAIT, async {
        while !run.cluster.is_finished() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("shard task ends");
    let identifies = emu
        .received_frames()
        .iter()
        .filter(|f| f.op == Some(2))
        .count();
    assert_eq!(identifies, 2);
    assert!(!run.cluster.is_connected());
}

#[tokio::test(start_paused = true)]
async fn lifecycle_offline_and_banned_are_fatal_with_the_tables_hint() {
    for (scenario, code) in [(Scenario::Offline4914, 4914), (Scenario::Banned4915, 4915)] {
        let emu = Emulator::start(emulator_config(scenario)).await.unwrap();
        let mut run = Run::start(gateway_config(&emu)).await;
        let fatal = run
            .until("fatal", |k| matches!(k, ItemKind::Fatal { .. }))
            .await;
        let info = qqbot::protocol::close_info(code);
        assert!(
            matches!(&fatal, ItemKind::Fatal { code: Some(c), reason, hint, cause: qqbot::gateway::FatalCause::CloseCode(_) }
            if *c == code && reason.contains(info.meaning) && hint.as_deref() == info.hint),
            "{fatal:?}"
        );
        assert_eq!(run.count("connected"), 1, "no retry after {code}");
        assert_eq!(run.cluster.metrics().total.close_codes.get(&code), Some(&1));
        run.cluster.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn lifecycle_zombie_reconnects_within_two_intervals_and_resumes() {
    let interval = Duration::from_secs(2);
    let emu = Emulator::start(EmulatorConfig {
        heartbeat_interval: interval,
        ..emulator_config(Scenario::Quiet)
    })
    .await
    .unwrap();
    let mut config = gateway_config(&emu);
    config.heartbeat = HeartbeatConfig::default();
    assert_eq!(config.heartbeat.max_missed, 1);
    let mut run = Run::start(config).await;
    run.ready().await;
    run.until("ack", |k| matches!(k, ItemKind::HeartbeatAck { .. }))
        .await;
    emu.fault(FaultTarget::All, Fault::StopAcks);
    let stopped = Instant::now();
    let closed = run
        .until("zombie close", |k| {
            matches!(
                k,
                ItemKind::Closed {
                    origin: CloseOrigin::Client,
                    ..
                }
            )
        })
        .await;
    assert!(
        Instant::now() - stopped <= 2 * interval,
        "detected after {:?}",
        Instant::now() - stopped
    );
    assert!(
        matches!(&closed, ItemKind::Closed { reason, action: CloseAction::Resume, .. } if reason.contains("zombie")),
        "{closed:?}"
    );
    run.resumed().await;
    let m = run.cluster.metrics();
    assert_eq!(m.total.missed_acks, 1);
    assert_eq!(m.total.identifies, 1);
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_4004_refreshes_the_token_then_identifies() {
    let emu = Emulator::start(emulator_config(Scenario::Quiet))
        .await
        .unwrap();
    let mut run = Run::start(gateway_config(&emu)).await;
    let first = run.ready().await;
    emu.fault(
        FaultTarget::All,
        Fault::Close {
            code: 4004,
            reason: "authentication failed".into(),
        },
    );
    let second = run.ready().await;
    assert_ne!(first, second);
    assert!(run.seen.iter().any(|(_, k)| matches!(
        k,
        ItemKind::Closed {
            code: Some(4004),
            action: CloseAction::RefreshTokenThenIdentify,
            ..
        }
    )));
    assert_eq!(run.count("resume"), 0, "4004 identifies");
    assert!(run.cluster.token_ttl().is_some());
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_tcp_drop_resumes_without_loss() {
    let emu = Emulator::start(emulator_config(Scenario::Quiet))
        .await
        .unwrap();
    let mut run = Run::start(gateway_config(&emu)).await;
    run.ready().await;
    emu.inject("AT_MESSAGE_CREATE", message(1));
    emu.fault(FaultTarget::All, Fault::Drop);
    emu.inject("AT_MESSAGE_CREATE", message(2));
    run.resumed().await;
    emu.inject("AT_MESSAGE_CREATE", message(3));
    run.until(
        "third",
        |k| matches!(k, ItemKind::Dispatch(d) if d.d().contains("\"m3\"")),
    )
    .await;
    assert!(run.seen.iter().any(|(_, k)| matches!(
        k,
        ItemKind::Closed {
            code: Some(1006),
            action: CloseAction::Resume,
            ..
        }
    )));
    let seqs: Vec<u64> = run.dispatches().iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs.len(), 3, "{seqs:?}");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(run.cluster.metrics().total.close_codes.get(&1006), Some(&1));
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_rate_limit_4008_backs_off_then_connects() {
    let emu = Emulator::start(EmulatorConfig {
        rate: 0.0,
        ..emulator_config(Scenario::RateLimit4008)
    })
    .await
    .unwrap();
    let mut run = Run::start(gateway_config(&emu)).await;
    run.ready().await;
    assert!(
        run.count("backoff") >= 1,
        "4008 waits before retrying: {:?}",
        run.kinds()
    );
    assert_eq!(run.cluster.metrics().total.close_codes.get(&4008), Some(&2));
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_multi_shard_identify_spacing_honours_max_concurrency() {
    let emu = Emulator::start(EmulatorConfig {
        shards: 4,
        max_concurrency: 2,
        ..emulator_config(Scenario::Quiet)
    })
    .await
    .unwrap();
    let start = Instant::now();
    let mut run = Run::start(gateway_config(&emu)).await;
    let mut ready = HashMap::new();
    while ready.len() < 4 {
        run.until("identify", |k| matches!(k, ItemKind::Identifying { .. }))
            .await;
        ready.insert(ready.len(), Instant::now() - start);
    }
    let mut at: Vec<u64> = ready.values().map(|d| d.as_secs()).collect();
    at.sort();
    assert_eq!(at, [0, 0, 5, 5], "two per 5 s window");
    timeout(WAIT, async {
        while !run.cluster.is_connected() {
            run.items.recv().await;
        }
    })
    .await
    .expect("all shards ready");
    let mut shards: Vec<[u32; 2]> = emu.sessions().iter().map(|s| s.shard).collect();
    shards.sort();
    assert_eq!(shards, [[0, 4], [1, 4], [2, 4], [3, 4]]);
    assert!(
        run.cluster.metrics().total.close_codes.is_empty(),
        "no 4008 for identifying too fast"
    );
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_session_budget_is_checked_before_starting() {
    let emu = Emulator::start(EmulatorConfig {
        shards: 3,
        session_start_total: 2,
        ..emulator_config(Scenario::Quiet)
    })
    .await
    .unwrap();
    let err = Cluster::start(gateway_config(&emu))
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("3 shard(s) must identify but only 2"),
        "{err}"
    );
    assert_eq!(emu.session_start_remaining(), 2, "no session was started");
}

#[tokio::test(start_paused = true)]
async fn lifecycle_wrong_secret_is_a_clear_auth_error() {
    let emu = Emulator::start(emulator_config(Scenario::Quiet))
        .await
        .unwrap();
    let mut config = gateway_config(&emu);
    config.secret = qqbot::Secret::new("not-the-secret");
    let err = Cluster::start(config).await.expect_err("refused");
    assert!(err.is_auth(), "{err:?}");
    let chain = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(chain.contains("invalid app secret"), "{chain}");
    assert!(!format!("{err:?}").contains("not-the-secret"));
}

#[tokio::test(start_paused = true)]
async fn lifecycle_slow_consumer_gets_backpressure_not_drops_and_heartbeats_go_on() {
    let emu = Emulator::start(EmulatorConfig {
        heartbeat_interval: Duration::from_secs(2),
        ..emulator_config(Scenario::Quiet)
    })
    .await
    .unwrap();
    let mut events = emu.subscribe();
    let mut config = gateway_config(&emu);
    config.event_buffer_size = 8;
    let mut run = Run::start(config).await;
    run.ready().await;
    let total = 500u64;
    for n in 0..total {
        emu.inject("AT_MESSAGE_CREATE", message(n));
    }
    // Nobody reads items: the shard stops reading its socket but keeps heartbeating, and a
    // beat whose ACK it cannot read is not taken for a zombie.
    for _ in 0..5 {
        next_event(
            &mut events,
            "heartbeat while the consumer is stalled",
            |e| matches!(e, EmulatorEvent::HeartbeatReceived { .. }),
        )
        .await;
    }
    let m = run.cluster.metrics();
    assert!(m.total.read_pauses >= 1, "{m:?}");
    assert!(
        m.total.events_received < total,
        "reading paused: {} of {total} read",
        m.total.events_received
    );
    assert_eq!(m.total.zombies, 0);
    assert!(run.cluster.is_connected());
    // The consumer catches up: every event arrives, in order, once; nothing was dropped.
    run.until(
        "the last event",
        |k| matches!(k, ItemKind::Dispatch(d) if d.d().contains(&format!("\"m{}\"", total - 1))),
    )
    .await;
    let dispatches = run.dispatches();
    assert_eq!(dispatches.len() as u64, total, "nothing lost");
    assert!(
        dispatches.windows(2).all(|w| w[1].0 == w[0].0 + 1),
        "in order"
    );
    assert_eq!(run.count("lagged"), 0);
    assert_eq!(
        run.count("close"),
        0,
        "no zombie reconnect: {:?}",
        run.kinds()
    );
    let m = run.cluster.metrics();
    assert_eq!(m.total.events_processed, total);
    assert_eq!(m.total.dropped_items, 0);
    assert!(m.total.read_paused_for > Duration::ZERO);
    run.cluster.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn lifecycle_shutdown_keeps_the_session_for_a_restarted_process() {
    let emu = Emulator::start(emulator_config(Scenario::Quiet))
        .await
        .unwrap();
    let mut run = Run::start(gateway_config(&emu)).await;
    let session = run.ready().await;
    emu.inject("AT_MESSAGE_CREATE", message(1));
    run.until("dispatch", |k| matches!(k, ItemKind::Dispatch(_)))
        .await;
    let saved = run.cluster.shutdown().await;
    let state = serde_json::to_string(&saved).unwrap();
    emu.inject("AT_MESSAGE_CREATE", message(2)); // missed while down, replayed on resume
    let mut config = gateway_config(&emu);
    config.resume = serde_json::from_str(&state).unwrap();
    config.reconnect = ReconnectConfig {
        max_attempts: 3,
        ..ReconnectConfig::default()
    };
    let mut run = Run::start(config).await;
    run.until(
        "replayed",
        |k| matches!(k, ItemKind::Dispatch(d) if d.d().contains("\"m2\"")),
    )
    .await;
    run.resumed().await;
    assert_eq!(
        run.count("identify"),
        0,
        "resumed, no new session: {:?}",
        run.kinds()
    );
    assert_eq!(run.cluster.sessions()[0].session_id, session);
    run.cluster.shutdown().await;
}
