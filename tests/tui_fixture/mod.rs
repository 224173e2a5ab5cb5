//! A deterministic item sequence for the dashboard tests: two shards, READY, dispatches of
//! several types, heartbeats and ACKs, a 4009 close plus resume, a Lagged, a missed ACK and a
//! heartbeat left outstanding long enough to raise the zombie flag.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use qqbot::gateway::{CloseOrigin, Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::protocol::CloseAction;
use qqbot::tui::{App, Diagnostics, Header};

/// 2026-05-01 12:00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

/// `t0 + secs`.
pub fn at(secs: f64) -> DateTime<Utc> {
    t0() + chrono::Duration::milliseconds((secs * 1000.0).round() as i64)
}

/// The fixed `now` of the snapshots: one minute in.
pub fn now() -> DateTime<Utc> {
    at(60.0)
}

pub fn shard(id: u32) -> ShardId {
    ShardId { id, count: 2 }
}

pub fn item(shard_id: u32, secs: f64, kind: ItemKind) -> GatewayItem {
    GatewayItem {
        shard: shard(shard_id),
        received_at: at(secs),
        kind,
    }
}

/// A dispatch item whose frame is a real-looking op 0 payload.
pub fn dispatch(shard_id: u32, secs: f64, seq: u64, t: &str, d: &str) -> GatewayItem {
    let id = format!("{t}:{seq:04}");
    let frame = format!(r#"{{"op":0,"s":{seq},"t":"{t}","id":"{id}","d":{d}}}"#);
    let start = frame.rfind(d).expect("d is in the frame");
    item(
        shard_id,
        secs,
        ItemKind::Dispatch(Dispatch::new(
            Some(seq),
            t.into(),
            Some(id.as_str()),
            Arc::from(frame.as_str()),
            start..start + d.len(),
        )),
    )
}

fn body(kind: usize, n: usize) -> (&'static str, String) {
    match kind {
        0..=2 => (
            "GROUP_AT_MESSAGE_CREATE",
            format!(
                r#"{{"author":{{"member_openid":"E4F1A2B3C4D5"}},"content":" ping {n}","group_openid":"C9F7D1E2","id":"ROBOT1.0_g{n}","timestamp":"2026-05-01T12:00:00+08:00"}}"#
            ),
        ),
        3 => (
            "C2C_MESSAGE_CREATE",
            format!(
                r#"{{"author":{{"user_openid":"A1B2C3D4E5F6"}},"content":"hello #{n}","id":"ROBOT1.0_c{n}"}}"#
            ),
        ),
        4 => (
            "AT_MESSAGE_CREATE",
            format!(
                r#"{{"author":{{"id":"1234","username":"alice"}},"channel_id":"100","guild_id":"200","content":"<@!bot> status {n}"}}"#
            ),
        ),
        5 => (
            "MESSAGE_REACTION_ADD",
            r#"{"guild_id":"200","channel_id":"100","user_id":"77","emoji":{"id":"4","type":1}}"#
                .to_string(),
        ),
        _ => (
            "GUILD_MEMBER_ADD",
            r#"{"guild_id":"200","user":{"id":"99","username":"bob"},"nick":""}"#.to_string(),
        ),
    }
}

/// Every item of the fixture, in time order.
pub fn items() -> Vec<GatewayItem> {
    let mut timed: Vec<(f64, u32, GatewayItem)> = Vec::new();
    let mut order = 0u32;
    let mut push = |secs: f64, it: GatewayItem, timed: &mut Vec<(f64, u32, GatewayItem)>| {
        order += 1;
        timed.push((secs, order, it));
    };
    let hello = |interval: u64| ItemKind::Hello {
        heartbeat_interval: Duration::from_secs(interval),
    };
    // Shard 0: first try; shard 1: one failed connect before it got through.
    push(
        0.0,
        item(
            0,
            0.0,
            ItemKind::Connected {
                url: "ws://127.0.0.1:7878/websocket".into(),
                attempt: 1,
            },
        ),
        &mut timed,
    );
    push(0.05, item(0, 0.05, hello(10)), &mut timed);
    push(
        0.06,
        item(
            0,
            0.06,
            ItemKind::Identifying {
                intents: 1 << 25 | 1 << 30,
            },
        ),
        &mut timed,
    );
    push(
        0.2,
        item(
            0,
            0.2,
            ItemKind::Ready {
                session_id: "3f9c1e7a-0b5d-4c2e-9a61-5d7e2b8c4f10".into(),
                user_id: "1144".into(),
                username: "demo-bot".into(),
                version: Some(1),
            },
        ),
        &mut timed,
    );
    push(
        0.1,
        item(
            1,
            0.1,
            ItemKind::Error {
                message: "connection attempt failed: connection refused".into(),
            },
        ),
        &mut timed,
    );
    push(
        0.1,
        item(
            1,
            0.1,
            ItemKind::Backoff {
                delay: Duration::from_millis(400),
                attempt: 1,
                resume: false,
            },
        ),
        &mut timed,
    );
    push(
        0.5,
        item(
            1,
            0.5,
            ItemKind::Connected {
                url: "ws://127.0.0.1:7878/websocket".into(),
                attempt: 2,
            },
        ),
        &mut timed,
    );
    push(0.55, item(1, 0.55, hello(10)), &mut timed);
    push(
        0.56,
        item(
            1,
            0.56,
            ItemKind::Identifying {
                intents: 1 << 25 | 1 << 30,
            },
        ),
        &mut timed,
    );
    push(
        0.7,
        item(
            1,
            0.7,
            ItemKind::Ready {
                session_id: "a71be0c2-55e4-4f0f-8d3b-2c6a9e1f7b33".into(),
                user_id: "1144".into(),
                username: "demo-bot".into(),
                version: Some(1),
            },
        ),
        &mut timed,
    );

    // Dispatches: 180 over the minute, alternating shards, denser towards the end.
    let mut seq = [0u64; 2];
    for i in 0..180usize {
        let secs = 1.0 + 58.0 * (i as f64 / 180.0).powf(0.8);
        let s = (i % 2) as u32;
        // Shard 1 is disconnected between 35 and 36 s.
        if s == 1 && (35.0..36.2).contains(&secs) {
            continue;
        }
        seq[s as usize] += 1;
        let (t, d) = body((i * 7 + i / 5) % 7, i);
        push(secs, dispatch(s, secs, seq[s as usize], t, &d), &mut timed);
    }

    // Heartbeats every 10 s; shard 0's beat at 38 s never gets its ACK (missed at 48 s), and the
    // one at 48 s is still outstanding at 60 s: longer than the interval, so zombie-suspect.
    for (k, beat) in [10.0, 20.0, 30.0, 38.0, 48.0].into_iter().enumerate() {
        push(
            beat,
            item(
                0,
                beat,
                ItemKind::HeartbeatSent {
                    seq: Some(10 * k as u64),
                },
            ),
            &mut timed,
        );
        if beat < 35.0 {
            let rtt = Duration::from_millis([23, 31, 27][k]);
            push(
                beat + 0.03,
                item(0, beat + 0.03, ItemKind::HeartbeatAck { rtt }),
                &mut timed,
            );
        }
    }
    for (k, beat) in [10.5, 20.5, 30.5, 46.5, 56.5].into_iter().enumerate() {
        push(
            beat,
            item(
                1,
                beat,
                ItemKind::HeartbeatSent {
                    seq: Some(10 * k as u64),
                },
            ),
            &mut timed,
        );
        let rtt = Duration::from_millis([41, 38, 52, 95, 44][k]);
        push(
            beat + 0.05,
            item(1, beat + 0.05, ItemKind::HeartbeatAck { rtt }),
            &mut timed,
        );
    }

    // Shard 1: 4009 at 35 s, resumed at 36 s.
    push(
        35.0,
        item(
            1,
            35.0,
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
        ),
        &mut timed,
    );
    push(
        35.1,
        item(
            1,
            35.1,
            ItemKind::Connected {
                url: "ws://127.0.0.1:7878/websocket".into(),
                attempt: 1,
            },
        ),
        &mut timed,
    );
    push(35.15, item(1, 35.15, hello(10)), &mut timed);
    push(
        35.16,
        item(
            1,
            35.16,
            ItemKind::Resuming {
                session_id: "a71be0c2-55e4-4f0f-8d3b-2c6a9e1f7b33".into(),
                seq: Some(seq[1]),
            },
        ),
        &mut timed,
    );
    push(
        36.0,
        item(
            1,
            36.0,
            ItemKind::Resumed {
                seq: None,
                replayed: 2,
                recovered_in: Some(Duration::from_millis(1000)),
            },
        ),
        &mut timed,
    );

    // The states the gateway core published after those items.
    use qqbot::gateway::ShardState as S;
    let down = |attempt| S::Disconnected { attempt };
    for (shard, secs, from, to) in [
        (0, 0.0, down(0), S::Connecting),
        (0, 0.06, S::Connecting, S::Identifying),
        (0, 0.2, S::Identifying, S::Active),
        (1, 0.0, down(0), S::Connecting),
        (1, 0.1, S::Connecting, down(1)),
        (1, 0.5, down(1), S::Connecting),
        (1, 0.56, S::Connecting, S::Identifying),
        (1, 0.7, S::Identifying, S::Active),
        (1, 35.0, S::Active, down(1)),
        (1, 35.1, down(1), S::Connecting),
        (1, 35.16, S::Connecting, S::Resuming),
        (1, 36.0, S::Resuming, S::Active),
    ] {
        push(
            secs,
            item(shard, secs, ItemKind::StateChange { from, to }),
            &mut timed,
        );
    }

    // The consumer fell behind once.
    push(
        45.0,
        item(0, 45.0, ItemKind::Lagged { dropped: 5 }),
        &mut timed,
    );

    timed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    timed.into_iter().map(|(_, _, it)| it).collect()
}

pub fn header() -> Header {
    Header::new("emulator", "GROUP_AND_C2C_EVENT|PUBLIC_GUILD_MESSAGES", 2)
}

pub fn diagnostics() -> Diagnostics {
    Diagnostics {
        identify_total: Some(1000),
        identify_remaining: Some(998),
        identify_reset_at: Some(now() + chrono::Duration::seconds(23 * 3600 + 59 * 60)),
        max_concurrency: Some(1),
        token_expires_at: Some(now() + chrono::Duration::seconds(6600)),
    }
}

/// The app after the whole fixture, ticked to [`now`].
pub fn app() -> App {
    let mut app = App::new(header());
    app.set_diagnostics(diagnostics());
    for it in items() {
        let when = it.received_at;
        app.apply(&it, when);
    }
    app.tick(now());
    app
}
