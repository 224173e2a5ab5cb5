//! Shards across processes (`listen --cluster`): real `qqbot` processes sharing the shards of
//! one emulator bot through a real `nats-server -js`. Every wait is a bounded poll.

mod cli_support;
mod nats_support;
mod tmux_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nats_support::NatsServer;
use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent, Scenario};
use serde_json::{Value, json};

/// The lease TTL the processes run with.
const TTL: Duration = Duration::from_secs(3);
/// Bound on the initial identify of every shard (8 shards at 2 per 5.5 s need ~17 s).
const CONNECT_WITHIN: Duration = Duration::from_secs(60);
/// How long after the TTL a take-over may take ("the TTL plus a few seconds").
const TAKEOVER_SLACK: Duration = Duration::from_secs(5);

/// A `qqbot listen --cluster` child with its NDJSON lines and stderr collected.
struct Member {
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<String>>,
}

impl Member {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn lines(&self) -> Vec<Value> {
        self.lines.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Ctrl-C, then wait (bounded).
    fn interrupt(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!("member {} did not stop on Ctrl-C", self.pid());
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base_command(emu: &Emulator, home: &std::path::Path) -> Command {
    let mut cmd = cli_support::qqbot_command();
    cmd.env("QQBOT_CONFIG", home.join("config.toml"))
        .env("QQBOT_CACHE_DIR", home.join("cache"))
        .env("QQBOT_APP_ID", &emu.config().app_id)
        .env("QQBOT_SECRET", emu.config().secret.expose());
    cmd
}

fn spawn_member(
    emu: &Emulator,
    home: &std::path::Path,
    nats: &str,
    bucket: &str,
    shards: u32,
) -> Member {
    spawn_member_with(emu, home, nats, bucket, shards, &[])
}

fn spawn_member_with(
    emu: &Emulator,
    home: &std::path::Path,
    nats: &str,
    bucket: &str,
    shards: u32,
    extra: &[&str],
) -> Member {
    let mut child = base_command(emu, home)
        .args(["listen", "--api-base", &emu.api_base(), "--token-url"])
        .arg(emu.token_url())
        .args(["--intents", "all", "--include-control", "--shards"])
        .arg(shards.to_string())
        .args(["--cluster", nats, "--cluster-bucket", bucket, "--lease-ttl"])
        .arg(format!("{}ms", TTL.as_millis()))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qqbot starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let out = child.stdout.take().unwrap();
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let value: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not NDJSON ({e}): {line}"));
            sink.lock().unwrap().push(value);
        }
    });
    let err = child.stderr.take().unwrap();
    let sink = Arc::clone(&stderr);
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    Member {
        child,
        lines,
        stderr,
    }
}

/// Poll `check` every 50 ms until it holds or `within` passes.
fn wait_until(within: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < within {
        if check() {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {within:?} waiting for {what}");
}

fn cluster_status(emu: &Emulator, home: &std::path::Path, nats: &str, bucket: &str) -> Value {
    let out = base_command(emu, home)
        .args([
            "cluster",
            "status",
            "--cluster",
            nats,
            "--cluster-bucket",
            bucket,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cluster status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("status is JSON")
}

/// Identify (op 2) and Resume (op 6) frames the emulator received: (offset, parsed frame).
fn frames(emu: &Emulator, op: u64) -> Vec<(Duration, Value)> {
    emu.received_frames()
        .into_iter()
        .filter(|f| f.op == Some(op))
        .map(|f| (f.offset, serde_json::from_str(&f.raw).unwrap()))
        .collect()
}

/// The emulator with eight shards, two identifies per window, strict about it.
fn emulator(rt: &tokio::runtime::Runtime) -> Emulator {
    rt.block_on(Emulator::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        shards: 8,
        max_concurrency: 2,
        strict_identify_rate: true,
        heartbeat_interval: Duration::from_millis(1000),
        ..EmulatorConfig::default()
    }))
    .unwrap()
}

/// Everything the emulator wrote to sockets, per session: `s` → `t` (the ledger).
type Ledger = Arc<Mutex<HashMap<String, BTreeMap<u64, String>>>>;

fn record_ledger(rt: &tokio::runtime::Runtime, emu: &Emulator) -> Ledger {
    let ledger: Ledger = Arc::default();
    let mut signals = emu.subscribe();
    let sink = Arc::clone(&ledger);
    rt.spawn(async move {
        loop {
            match signals.recv().await {
                Ok(EmulatorEvent::Dispatched { session_id, s, t }) => {
                    sink.lock()
                        .unwrap()
                        .entry(session_id)
                        .or_default()
                        .insert(s, t);
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    panic!("the ledger lost {n} signals")
                }
                Err(_) => break,
            }
        }
    });
    ledger
}

/// Dispatch lines with their shard id.
fn dispatches(lines: &[Value]) -> Vec<(u32, u64, String)> {
    lines
        .iter()
        .filter(|l| l["kind"] == "dispatch")
        .map(|l| {
            (
                l["shard"][0].as_u64().unwrap() as u32,
                l["s"].as_u64().unwrap(),
                l["id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn inject_round(emu: &Emulator, round: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for session in emu.sessions() {
        for n in 0..3 {
            let id = format!("{round}-{}-{n}", session.shard[0]);
            let d = json!({"id": id, "content": format!("event {id}"), "guild_id": "g", "channel_id": "c",
                           "author": {"id": "u"}, "timestamp": "2024-01-01T00:00:00+08:00"});
            let delivered = emu
                .inject_raw_to(
                    &session.id,
                    "AT_MESSAGE_CREATE",
                    &d.to_string(),
                    Some(id.clone()),
                )
                .unwrap();
            assert_eq!(delivered, 1);
            ids.push(id);
        }
    }
    ids
}

/// A NATS server (`None` when it is not installed and not required), a runtime, and a quiet
/// emulator of a two-shard bot whose shards may identify together.
fn two_shards() -> Option<(NatsServer, tokio::runtime::Runtime, Emulator)> {
    let nats = NatsServer::start()?;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            shards: 2,
            max_concurrency: 2,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    Some((nats, rt, emu))
}

#[test]
fn three_processes_share_eight_shards_and_resume_a_killed_ones_shards() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = emulator(&rt);
    let ledger = record_ledger(&rt, &emu);
    let home = tempfile::tempdir().unwrap();
    let bucket = "qqbot_test_three";
    let mut members: Vec<Member> = (0..3)
        .map(|_| spawn_member(&emu, home.path(), &nats.url, bucket, 8))
        .collect();

    // Every shard connects exactly once.
    wait_until(CONNECT_WITHIN, "8 connected sessions", || {
        emu.sessions().iter().filter(|s| s.connected).count() == 8
    });
    let sessions = emu.sessions();
    let shards: BTreeSet<u32> = sessions.iter().map(|s| s.shard[0]).collect();
    assert_eq!(shards, (0..8).collect(), "{sessions:?}");
    assert!(sessions.iter().all(|s| s.shard[1] == 8));
    let identifies = frames(&emu, 2);
    assert_eq!(
        identifies.len(),
        8,
        "one Identify per shard: {identifies:?}"
    );
    let identified: BTreeSet<u64> = identifies
        .iter()
        .map(|(_, f)| f["d"]["shard"][0].as_u64().unwrap())
        .collect();
    assert_eq!(identified.len(), 8);
    // Identify spacing fleet-wide: at most max_concurrency (2) per 5 s, from the emulator's log.
    let at: Vec<Duration> = identifies.iter().map(|(offset, _)| *offset).collect();
    for k in 2..at.len() {
        assert!(
            at[k] - at[k - 2] >= Duration::from_secs(5),
            "identify {k} came {:?} after identify {}: {at:?}",
            at[k] - at[k - 2],
            k - 2
        );
    }
    assert!(emu.warnings().is_empty(), "{:?}", emu.warnings());

    // Each shard became READY exactly once, fleet-wide (the lines follow the emulator's count).
    let ready = || {
        let mut ready: BTreeMap<u32, usize> = BTreeMap::new();
        for member in &members {
            for line in member.lines() {
                if line["kind"] == "ready" {
                    *ready
                        .entry(line["shard"][0].as_u64().unwrap() as u32)
                        .or_default() += 1;
                }
            }
        }
        ready
    };
    wait_until(Duration::from_secs(5), "8 READY lines", || {
        ready().len() == 8
    });
    assert_eq!(ready(), (0..8).map(|s| (s, 1)).collect(), "READY per shard");
    // The leases settle on fair shares (at most ceil(8 / 3) each); `cluster status` says who.
    let mut owner_of: BTreeMap<u32, usize> = BTreeMap::new();
    wait_until(Duration::from_secs(10), "fair shares in the leases", || {
        let status = cluster_status(&emu, home.path(), &nats.url, bucket);
        owner_of.clear();
        for row in status["shards"].as_array().unwrap() {
            let shard = row["shard"][0].as_u64().unwrap() as u32;
            let Some(owner) = row["owner"].as_str() else {
                return false;
            };
            let Some(i) = members
                .iter()
                .position(|m| owner.contains(&format!("-{}-", m.pid())))
            else {
                panic!("shard {shard} leased by an unknown owner {owner}");
            };
            owner_of.insert(shard, i);
        }
        owner_of.len() == 8
            && (0..3).all(|i| (2..=3).contains(&owner_of.values().filter(|&&m| m == i).count()))
    });
    let per_member: Vec<usize> = (0..3)
        .map(|i| owner_of.values().filter(|&&m| m == i).count())
        .collect();

    // Events on every shard reach the output of the process holding it.
    let before = inject_round(&emu, "a");
    wait_until(Duration::from_secs(15), "round a in the outputs", || {
        let seen: BTreeSet<String> = members
            .iter()
            .flat_map(|m| dispatches(&m.lines()))
            .map(|(_, _, id)| id)
            .collect();
        before.iter().all(|id| seen.contains(id))
    });
    // The leases carry the seq (renewed every TTL / 4).
    wait_until(TTL * 2, "leases with the latest seq", || {
        let status = cluster_status(&emu, home.path(), &nats.url, bucket);
        status["shards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["seq"].as_u64() >= Some(4))
    });

    // SIGKILL the member with the most shards.
    let victim = (0..3).max_by_key(|&i| per_member[i]).unwrap();
    let victim_pid = members[victim].pid();
    let victim_shards: BTreeSet<u32> = owner_of
        .iter()
        .filter(|(_, m)| **m == victim)
        .map(|(s, _)| *s)
        .collect();
    let victim_sessions: BTreeMap<u32, String> = sessions
        .iter()
        .filter(|s| victim_shards.contains(&s.shard[0]))
        .map(|s| (s.shard[0], s.id.clone()))
        .collect();
    members[victim].child.kill().unwrap();
    members[victim].child.wait().unwrap();
    let killed = Instant::now();
    wait_until(Duration::from_secs(5), "the emulator sees the drop", || {
        emu.sessions().iter().filter(|s| s.connected).count() == 8 - victim_shards.len()
    });
    // Events while nobody holds those shards are buffered by the gateway for the resume.
    let after = inject_round(&emu, "b");

    wait_until(TTL + TAKEOVER_SLACK, "the victim's shards resumed", || {
        let sessions = emu.sessions();
        sessions.iter().filter(|s| s.connected).count() == 8
            && victim_sessions
                .values()
                .all(|id| sessions.iter().any(|s| &s.id == id && s.resumes >= 1))
    });
    let took = killed.elapsed();
    assert!(took <= TTL + TAKEOVER_SLACK, "take-over took {took:?}");
    // Resumed (op 6 with the stored session), not identified again.
    assert_eq!(frames(&emu, 2).len(), 8, "no new Identify after the kill");
    let resumes = frames(&emu, 6);
    for (shard, session) in &victim_sessions {
        assert!(
            resumes
                .iter()
                .any(|(_, f)| f["d"]["session_id"] == session.as_str()),
            "shard {shard}: no Resume of {session}: {resumes:?}"
        );
    }
    let survivors: Vec<usize> = (0..3).filter(|&i| i != victim).collect();
    let told: String = survivors.iter().map(|&i| members[i].stderr()).collect();
    for shard in &victim_shards {
        assert!(
            told.contains(&format!("leased shard {shard}/8 (taken over from ")),
            "{told}"
        );
    }
    assert!(told.contains(&format!("-{victim_pid}-")), "{told}");

    // Nothing lost: every event of both rounds was output, on its shard; and per shard the `s`
    // values output (by the victim before it died, and by the new owner after the resume) cover
    // the emulator's ledger without a gap.
    wait_until(Duration::from_secs(15), "round b in the outputs", || {
        let seen: BTreeSet<String> = members
            .iter()
            .flat_map(|m| dispatches(&m.lines()))
            .map(|(_, _, id)| id)
            .collect();
        after.iter().all(|id| seen.contains(id))
    });
    let mut output: HashMap<u32, BTreeSet<u64>> = HashMap::new();
    for member in &members {
        for (shard, s, id) in dispatches(&member.lines()) {
            let owner_shard: u32 = id.split('-').nth(1).unwrap().parse().unwrap();
            assert_eq!(owner_shard, shard, "event {id} on shard {shard}");
            output.entry(shard).or_default().insert(s);
        }
    }
    // The ledger task records the emulator's signals asynchronously: let it catch up.
    wait_until(Duration::from_secs(5), "the ledger", || {
        let ledger = ledger.lock().unwrap();
        emu.sessions().iter().all(|session| {
            ledger.get(&session.id).is_some_and(|written| {
                output[&session.shard[0]]
                    .iter()
                    .all(|s| written.contains_key(s))
            })
        })
    });
    let ledger = ledger.lock().unwrap().clone();
    for session in emu.sessions() {
        let shard = session.shard[0];
        let written = &ledger[&session.id];
        let events: BTreeSet<u64> = written
            .iter()
            .filter(|(_, t)| *t != "READY" && *t != "RESUMED")
            .map(|(s, _)| *s)
            .collect();
        let control: BTreeSet<u64> = written
            .iter()
            .filter(|(_, t)| *t == "READY" || *t == "RESUMED")
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(
            output[&shard], events,
            "shard {shard}: output vs the emulator's ledger"
        );
        let all: BTreeSet<u64> = events.union(&control).copied().collect();
        assert_eq!(
            all,
            (1..=session.seq).collect::<BTreeSet<u64>>(),
            "shard {shard}: every s of the session was delivered"
        );
        assert_eq!(events.len(), 6, "shard {shard}: both rounds");
    }

    // The status shows all eight owned, by the survivors only.
    let status = cluster_status(&emu, home.path(), &nats.url, bucket);
    let rows = status["shards"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    let survivor_pids: Vec<u32> = survivors.iter().map(|&i| members[i].pid()).collect();
    for row in rows {
        let owner = row["owner"].as_str().expect("owned");
        assert!(
            survivor_pids
                .iter()
                .any(|pid| owner.contains(&format!("-{pid}-"))),
            "{row}"
        );
        assert_eq!(row["expired"], false, "{row}");
    }

    // A clean stop hands the leases back, resumable.
    for &i in &survivors {
        members[i].interrupt();
    }
    let status = cluster_status(&emu, home.path(), &nats.url, bucket);
    for row in status["shards"].as_array().unwrap() {
        assert_eq!(row["state"], "released", "{row}");
        assert!(row["owner"].is_null(), "{row}");
        assert!(row["session_id"].is_string(), "{row}");
    }
    // The survivors left the member list; only the killed one's stale entry may remain.
    for member in status["members"].as_array().unwrap() {
        let owner = member["owner"].as_str().unwrap();
        assert!(owner.contains(&format!("-{victim_pid}-")), "{status}");
    }
}

#[test]
fn a_process_whose_lease_is_taken_stops_that_shard_and_takes_it_back_after_the_ttl() {
    let Some((nats, rt, emu)) = two_shards() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let bucket = "qqbot_test_lost";
    let mut member = spawn_member(&emu, home.path(), &nats.url, bucket, 2);
    wait_until(CONNECT_WITHIN, "2 connected sessions", || {
        emu.sessions().iter().filter(|s| s.connected).count() == 2
    });
    let session0 = emu
        .sessions()
        .into_iter()
        .find(|s| s.shard[0] == 0)
        .unwrap();

    // Another process (here: the test) overwrites shard 0's lease.
    rt.block_on(async {
        let client = async_nats::connect(&nats.url).await.unwrap();
        let kv = async_nats::jetstream::new(client)
            .get_key_value(bucket)
            .await
            .unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let lease = json!({"owner": "intruder-1-000000", "state": "active", "count": 2,
                           "session_id": session0.id, "last_seq": 1,
                           "updated_at_ms": now, "expires_at_ms": now + TTL.as_millis() as i64});
        kv.put("shard.0", lease.to_string().into()).await.unwrap();
    });
    let taken = Instant::now();
    wait_until(TTL, "the shard stopped here", || {
        member
            .stderr()
            .contains("lost the lease on shard 0/2: another process took the lease")
    });
    wait_until(Duration::from_secs(5), "shard 0 disconnected", || {
        emu.sessions()
            .iter()
            .any(|s| s.shard[0] == 0 && !s.connected)
    });
    assert!(
        emu.sessions()
            .iter()
            .any(|s| s.shard[0] == 1 && s.connected),
        "shard 1 is untouched"
    );
    // The intruder never renews: after the TTL the lease is free again, and shard 0 resumes.
    wait_until(TTL + TAKEOVER_SLACK, "shard 0 resumed", || {
        emu.sessions()
            .iter()
            .any(|s| s.id == session0.id && s.connected && s.resumes >= 1)
    });
    assert!(taken.elapsed() >= TTL, "not before the TTL");
    assert!(
        member
            .stderr()
            .contains("leased shard 0/2 (taken over from intruder-1-000000): resuming session"),
        "{}",
        member.stderr()
    );
    assert_eq!(frames(&emu, 2).len(), 2, "no new Identify");
    member.interrupt();
}

#[test]
fn a_nats_outage_stops_the_shards_before_the_ttl_and_they_resume_when_it_is_back() {
    let Some(mut nats) = NatsServer::start() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            shards: 2,
            max_concurrency: 2,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let bucket = "qqbot_test_outage";
    let mut member = spawn_member(&emu, home.path(), &nats.url, bucket, 2);
    wait_until(CONNECT_WITHIN, "2 connected sessions", || {
        emu.sessions().iter().filter(|s| s.connected).count() == 2
    });
    let before: BTreeSet<String> = emu.sessions().into_iter().map(|s| s.id).collect();
    // A new session is written to its lease at once (not only at the next renewal).
    wait_until(Duration::from_secs(2), "the sessions in the leases", || {
        let status = cluster_status(&emu, home.path(), &nats.url, bucket);
        let stored: BTreeSet<String> = status["shards"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|row| row["session_id"].as_str().map(str::to_owned))
            .collect();
        stored == before
    });

    // NATS goes away: no renewal can succeed, so both shards stop here before the TTL is up
    // (when another process could take them over).
    nats.kill();
    let down = Instant::now();
    wait_until(TTL, "both shards stopped", || {
        emu.sessions().iter().all(|s| !s.connected)
    });
    assert!(down.elapsed() < TTL, "stopped within the TTL");
    let told = member.stderr();
    for shard in ["0/2", "1/2"] {
        assert!(
            told.contains(&format!("lost the lease on shard {shard}: no renewal for")),
            "{told}"
        );
    }

    // NATS is back: the process leases the shards again and resumes both sessions.
    nats.restart();
    let resumed = || {
        let sessions = emu.sessions();
        sessions.len() == 2 && sessions.iter().all(|s| s.connected && s.resumes >= 1)
    };
    let started = Instant::now();
    while !resumed() && started.elapsed() < TTL + TAKEOVER_SLACK + Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        resumed(),
        "both sessions resumed: {:?}\n{}",
        emu.sessions(),
        member.stderr()
    );
    let after: BTreeSet<String> = emu.sessions().into_iter().map(|s| s.id).collect();
    assert_eq!(after, before, "the same sessions");
    assert_eq!(frames(&emu, 2).len(), 2, "no new Identify");
    member.interrupt();
}

#[test]
fn a_shard_that_cannot_start_is_handed_back_and_said_so() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            session_start_total: 0,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let bucket = "qqbot_test_budget";
    let mut member = spawn_member(&emu, home.path(), &nats.url, bucket, 1);
    wait_until(
        Duration::from_secs(15),
        "the start failure on stderr",
        || {
            member
                .stderr()
                .contains("shard 0/1 could not start: session start budget exhausted")
        },
    );
    wait_until(Duration::from_secs(5), "the lease handed back", || {
        let status = cluster_status(&emu, home.path(), &nats.url, bucket);
        status["shards"][0]["state"] == "released"
    });
    assert!(emu.sessions().is_empty(), "nothing identified");
    assert_eq!(member.child.try_wait().unwrap(), None, "still running");
    member.interrupt();
}

#[test]
fn cluster_flags_are_checked() {
    let out = cli_support::qqbot_command()
        .args(["listen", "--cluster", "http://127.0.0.1:1", "--emulator"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a NATS URL"), "{stderr}");
    let out = cli_support::qqbot_command()
        .args([
            "listen",
            "--cluster",
            "nats://127.0.0.1:1",
            "--shard",
            "0/2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--cluster and --shard conflict");
    // An unreachable server is a runtime failure with a hint.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let out = cli_support::qqbot_command()
        .args(["listen", "--emulator", "--cluster"])
        .arg(format!("nats://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot join the cluster"), "{stderr}");
    assert!(stderr.contains("nats-server -js"), "{stderr}");
}

/// The row of shard `id` (`0/2 …`) on the dashboard.
fn shard_row(screen: &str, id: &str) -> Option<String> {
    screen
        .lines()
        .map(|l| l.trim_start_matches(['│', ' ']))
        .find(|l| l.starts_with(id))
        .map(str::to_owned)
}

/// `qqbot tui --cluster`: the dashboard of one process lists every shard of the fleet, also
/// those another process (`listen --cluster`) holds — its owner, state and seq from the bucket —
/// and, once the fleet has rebalanced, its own shard as `here` next to the other's.
#[test]
fn the_dashboard_of_one_member_lists_the_shards_of_the_other() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            shards: 2,
            max_concurrency: 2,
            heartbeat_interval: Duration::from_millis(1000),
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let bucket = "tui_fleet";
    // The other process holds both shards first (it is the only member).
    let other = spawn_member(&emu, home.path(), &nats.url, bucket, 2);
    wait_until(CONNECT_WITHIN, "the listen member's two shards", || {
        emu.sessions().iter().filter(|s| s.connected).count() == 2
    });
    let owner = other
        .stderr()
        .split(" as ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("the member names itself:\n{}", other.stderr()));
    // The dashboard shows the owner's tail (its pid and random part).
    let tail: String = owner.chars().skip(owner.chars().count() - 12).collect();
    let secret = home.path().join("secret");
    std::fs::write(&secret, emu.config().secret.expose()).unwrap();
    let command = format!(
        "QQBOT_CONFIG={config} QQBOT_CACHE_DIR={cache} QQBOT_APP_ID={app} NO_COLOR=1 {bin} tui \
         --secret-file {secret} --api-base {api} --token-url {token} --intents all --shards 2 \
         --cluster {nats} --cluster-bucket {bucket} --lease-ttl {ttl}ms; echo EXIT-STATUS=$?",
        config = home.path().join("config.toml").display(),
        cache = home.path().join("cache").display(),
        app = emu.config().app_id,
        bin = env!("CARGO_BIN_EXE_qqbot"),
        secret = secret.display(),
        api = emu.api_base(),
        token = emu.token_url(),
        nats = nats.url,
        ttl = TTL.as_millis(),
    );
    let pane = tmux_support::Tmux::new_named("fleet-tui");
    let out = pane.run(&[
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
        "120",
        "-y",
        "40",
        "-s",
        "tui",
        "sh",
        "-c",
        &command,
    ]);
    assert!(
        out.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The dashboard's process joins while the other holds both shards; the fleet rebalances
    // (one shard is handed over and resumed here), and the other's shard stays on the screen
    // with its owner, from the bucket.
    let screen = pane.wait_within(Duration::from_secs(45), "one shard here, one there", |s| {
        let rows: Vec<String> = ["0/2", "1/2"]
            .iter()
            .filter_map(|id| shard_row(s, id))
            .collect();
        rows.len() == 2
            && rows
                .iter()
                .any(|r| r.contains("here") && r.contains("active"))
            && rows
                .iter()
                .any(|r| r.contains(&tail) && r.contains("active"))
    });
    assert!(
        screen.contains("Shards 2/2 active · 1 here · 2 members"),
        "{screen}"
    );
    pane.run(&["send-keys", "-t", "tui", "q"]);
    let screen = pane.wait_within(Duration::from_secs(20), "the dashboard to exit", |s| {
        s.contains("EXIT-STATUS=")
    });
    assert!(screen.contains("EXIT-STATUS=0"), "{screen}");
    drop(other);
}

/// `--metrics` with `--cluster`: the exposition covers the shards held at each scrape, so a
/// shard taken over after the start (here: shard 1, whose lease another process held and
/// stopped renewing) appears with its state and seq.
#[test]
fn metrics_cover_a_shard_taken_over_after_the_start() {
    let Some((nats, rt, emu)) = two_shards() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let bucket = "qqbot_test_metrics";
    // Another process holds shard 1 (and then dies: it never renews).
    rt.block_on(async {
        let timeout = Duration::from_secs(5);
        let client = qqbot::cluster::store::connect(&nats.url, timeout)
            .await
            .unwrap();
        let kv = qqbot::cluster::Bucket::open(client, bucket, Duration::from_secs(3600), timeout)
            .await
            .unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let lease = json!({"owner": "gone-1-000000", "state": "active", "count": 2,
                           "session_id": null, "last_seq": null,
                           "updated_at_ms": now, "expires_at_ms": now + TTL.as_millis() as i64});
        kv.put("shard.1", &lease).await.unwrap();
    });
    let mut member = spawn_member_with(
        &emu,
        home.path(),
        &nats.url,
        bucket,
        2,
        &["--metrics", "127.0.0.1:0"],
    );
    let mut url = String::new();
    wait_until(CONNECT_WITHIN, "the metrics address", || {
        if let Some(rest) = member.stderr().split("metrics at ").nth(1) {
            url = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        !url.is_empty()
    });
    let scrape = |url: &str| -> String {
        rt.block_on(async {
            qqbot::http::reqwest::get(url)
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    };
    wait_until(CONNECT_WITHIN, "shard 0 active in the metrics", || {
        scrape(&url).contains(r#"qqbot_shard_state{shard="0",state="active"} 1"#)
    });
    let early = scrape(&url);
    assert!(
        !early.contains(r#"qqbot_shard_state{shard="1""#),
        "shard 1 is held elsewhere at first:\n{early}"
    );
    // After the TTL the lease is free: shard 1 is taken over, and the metrics follow.
    wait_until(
        TTL + TAKEOVER_SLACK + CONNECT_WITHIN,
        "shard 1 in the metrics",
        || scrape(&url).contains(r#"qqbot_shard_state{shard="1",state="active"} 1"#),
    );
    assert!(
        member
            .stderr()
            .contains("leased shard 1/2 (taken over from gone-1-000000)"),
        "{}",
        member.stderr()
    );
    let session1 = emu
        .sessions()
        .into_iter()
        .find(|s| s.shard[0] == 1 && s.connected)
        .expect("shard 1 connected");
    // Its seq is the live one (READY = 1, then one event).
    let d = json!({"id": "m1", "content": "x", "guild_id": "g", "channel_id": "c",
                   "author": {"id": "u"}, "timestamp": "2024-01-01T00:00:00+08:00"});
    emu.inject_raw_to(
        &session1.id,
        "AT_MESSAGE_CREATE",
        &d.to_string(),
        Some("M1".into()),
    )
    .unwrap();
    wait_until(
        Duration::from_secs(10),
        "shard 1's seq in the metrics",
        || scrape(&url).contains(r#"qqbot_shard_last_seq{shard="1"} 2"#),
    );
    member.interrupt();
}

/// Every message of the `QQBOT` stream at `url`, as JSON lines (empty when there is none).
fn stream_lines(rt: &tokio::runtime::Runtime, url: &str) -> Vec<Value> {
    rt.block_on(async {
        use futures_util::StreamExt;
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let Ok(mut stream) = js.get_stream("QQBOT").await else {
            return Vec::new();
        };
        let total = stream.info().await.unwrap().state.messages as usize;
        if total == 0 {
            return Vec::new();
        }
        let consumer = stream
            .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
            .await
            .unwrap();
        let mut messages = consumer.messages().await.unwrap();
        let mut out = Vec::new();
        while out.len() < total {
            let m = tokio::time::timeout(Duration::from_secs(10), messages.next())
                .await
                .expect("stored messages arrive")
                .unwrap()
                .unwrap();
            out.push(serde_json::from_slice(&m.payload).unwrap());
        }
        out
    })
}

/// `--cluster` with `--publish`: the lease stores the JetStream-acknowledged cursor (as the
/// heartbeats do), so a member killed while its publishes were pending (the stream's server
/// down, the lease bucket's up) hands over a shard whose new owner resumes from what the stream
/// holds: every event ends up in the stream exactly once.
#[test]
fn a_take_over_resumes_from_what_the_stream_acknowledged() {
    let Some(kv) = NatsServer::start() else {
        return;
    };
    let Some(mut js) = NatsServer::start() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            shards: 1,
            heartbeat_interval: Duration::from_millis(1000),
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let bucket = "qqbot_test_durable";
    let publish = ["--publish", js.url.as_str(), "--publish-ack-timeout", "1s"].map(str::to_owned);
    let publish: Vec<&str> = publish.iter().map(String::as_str).collect();
    let mut first = spawn_member_with(&emu, home.path(), &kv.url, bucket, 1, &publish);
    wait_until(CONNECT_WITHIN, "the shard connected", || {
        emu.sessions().iter().any(|s| s.connected)
    });
    let session = emu.sessions()[0].id.clone();
    let inject = |from: usize, to: usize| {
        for n in from..to {
            let d = json!({"id": format!("m{n}"), "content": "x", "guild_id": "g", "channel_id": "c",
                           "author": {"id": "u"}, "timestamp": "2024-01-01T00:00:00+08:00"});
            emu.inject_raw_to(
                &session,
                "AT_MESSAGE_CREATE",
                &d.to_string(),
                Some(format!("D{n}")),
            )
            .unwrap();
        }
    };
    inject(0, 10); // s = 2..=11
    wait_until(Duration::from_secs(15), "10 events in the stream", || {
        stream_lines(&rt, &js.url).len() == 10
    });
    let lease = |status: &Value| {
        (
            status["shards"][0]["seq"].as_u64(),
            status["shards"][0]["revision"].as_u64(),
        )
    };
    wait_until(Duration::from_secs(15), "the lease at s = 11", || {
        lease(&cluster_status(&emu, home.path(), &kv.url, bucket)).0 == Some(11)
    });
    // The stream's server goes away: 10 more events are received, never acknowledged.
    js.kill();
    inject(10, 20); // s = 12..=21
    wait_until(Duration::from_secs(15), "the member printed s = 21", || {
        first
            .lines()
            .iter()
            .any(|l| l["kind"] == "dispatch" && l["s"] == 21)
    });
    // Two renewals later the lease still says 11: it stores what the stream acknowledged.
    let (_, seen) = lease(&cluster_status(&emu, home.path(), &kv.url, bucket));
    let seen = seen.unwrap();
    wait_until(TTL * 2, "two more renewals", || {
        lease(&cluster_status(&emu, home.path(), &kv.url, bucket)).1 >= Some(seen + 2)
    });
    let status = cluster_status(&emu, home.path(), &kv.url, bucket);
    assert_eq!(lease(&status).0, Some(11), "{status}");
    first.child.kill().unwrap(); // SIGKILL with 10 publishes pending
    let _ = first.child.wait();
    js.restart();
    // Another member takes the shard over after the TTL and resumes at 11.
    let second = spawn_member_with(&emu, home.path(), &kv.url, bucket, 1, &publish);
    wait_until(
        TTL + TAKEOVER_SLACK + CONNECT_WITHIN,
        "20 events in the stream",
        || stream_lines(&rt, &js.url).len() >= 20,
    );
    let stored = stream_lines(&rt, &js.url);
    let seqs: Vec<u64> = stored.iter().map(|m| m["s"].as_u64().unwrap()).collect();
    assert_eq!(seqs.len(), 20, "nothing twice: {seqs:?}");
    let unique: BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(
        unique,
        (2..=21).collect::<BTreeSet<u64>>(),
        "every event once"
    );
    assert!(
        second.stderr().contains("resuming session") && second.stderr().contains("at s=11"),
        "{}",
        second.stderr()
    );
    assert!(!second.lines().iter().any(|l| l["kind"] == "gap"), "no gap");
}
