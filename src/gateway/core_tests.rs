//! State-machine tests: feed frames and deadlines, assert actions.

use super::*;
use crate::protocol::payloads::{
    dispatch_frame, hello_frame, invalid_session_frame, reconnect_frame,
};

const SHARD: ShardId = ShardId { id: 0, count: 1 };

fn core() -> ShardCore {
    ShardCore::new(
        SHARD,
        Intents(1 << 30),
        HeartbeatConfig::default(),
        ReconnectConfig::default(),
        None,
    )
    .with_rng(Box::new(|| 1.0))
}

fn f(text: &str) -> Arc<str> {
    Arc::from(text)
}

fn ready_frame(s: u64, session: &str) -> Arc<str> {
    f(&format!(
        r#"{{"op":0,"s":{s},"t":"READY","d":{{"version":1,"session_id":"{session}","user":{{"id":"1","username":"bot","bot":true}},"shard":[0,1]}}}}"#
    ))
}

fn event(s: u64) -> Arc<str> {
    f(&dispatch_frame(
        Some(s),
        "AT_MESSAGE_CREATE",
        &format!("AT_MESSAGE_CREATE:{s}"),
        r#"{"content":"hi"}"#,
    ))
}

fn items(actions: &[Action]) -> Vec<&ItemKind> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Emit(item) => Some(item),
            _ => None,
        })
        .collect()
}

fn plan(actions: &[Action]) -> Option<ReconnectPlan> {
    actions.iter().find_map(|a| match a {
        Action::Reconnect(plan) => Some(*plan),
        _ => None,
    })
}

fn close_sent(actions: &[Action]) -> Option<u16> {
    actions.iter().find_map(|a| match a {
        Action::Close { code, .. } => Some(*code),
        _ => None,
    })
}

fn fatal(actions: &[Action]) -> Option<(String, Option<String>, Option<u16>)> {
    items(actions).into_iter().find_map(|i| match i {
        ItemKind::Fatal {
            reason, hint, code, ..
        } => Some((reason.clone(), hint.clone(), *code)),
        _ => None,
    })
}

fn stops(actions: &[Action]) -> bool {
    actions.iter().any(|a| matches!(a, Action::Stop))
}

/// Connect, Hello (2 s), and READY with session "s1": an active shard at `t0`.
fn active(core: &mut ShardCore, t0: Instant) {
    core.on_connecting(t0);
    core.on_connected(t0, "ws://x");
    let actions = core.on_frame(t0, &f(&hello_frame(2000)));
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::SendIdentify { .. }))
    );
    core.on_frame(t0, &ready_frame(1, "s1"));
    assert_eq!(core.state(), ShardState::Active);
}

fn reconnect_and_hello(core: &mut ShardCore, now: Instant) -> Vec<Action> {
    core.on_connecting(now);
    core.on_connected(now, "ws://x");
    core.on_frame(now, &f(&hello_frame(2000)))
}

#[test]
fn identify_then_ready() {
    let mut c = core();
    let t0 = Instant::now();
    assert_eq!(
        c.initial_plan(),
        ReconnectPlan {
            delay: Duration::ZERO,
            resume: false,
            refresh_token: false
        }
    );
    c.on_connecting(t0);
    let actions = c.on_connected(t0, "ws://x");
    assert!(matches!(
        items(&actions)[..],
        [ItemKind::Connected { attempt: 1, .. }]
    ));
    let actions = c.on_frame(t0, &f(&hello_frame(41250)));
    assert!(actions.iter().any(|a| matches!(a,
        Action::SendIdentify { intents, shard } if intents.bits() == 1 << 30 && *shard == SHARD)));
    assert_eq!(c.state(), ShardState::Identifying);
    let actions = c.on_frame(t0, &ready_frame(1, "abc"));
    assert!(
        matches!(items(&actions)[..], [ItemKind::Ready { session_id, username, .. }, ItemKind::StateChange { from: ShardState::Identifying, to: ShardState::Active }] if session_id == "abc" && username == "bot")
    );
    assert!(c.is_connected());
    assert_eq!(
        c.session_info(),
        Some(SessionInfo {
            session_id: "abc".into(),
            last_seq: Some(1),
            shard: SHARD
        })
    );
    assert_eq!(c.metrics().identifies, 1);
}

#[test]
fn heartbeat_interval_comes_from_hello_and_d_is_last_seq() {
    let mut c = core();
    let t0 = Instant::now();
    c.on_connecting(t0);
    c.on_connected(t0, "ws://x");
    c.on_frame(t0, &f(&hello_frame(2000)));
    assert_eq!(c.deadline(), Some(t0 + Duration::from_secs(2)));
    assert!(c.on_heartbeat_due(t0 + Duration::from_secs(1)).is_empty());
    // Before any dispatch, d is null.
    let actions = c.on_heartbeat_due(t0 + Duration::from_secs(2));
    assert!(matches!(actions[0], Action::SendHeartbeat { seq: None }));
    c.on_frame(t0 + Duration::from_millis(2040), &f(r#"{"op":11}"#));
    c.on_frame(t0 + Duration::from_secs(3), &ready_frame(1, "s"));
    c.on_frame(t0 + Duration::from_secs(3), &event(2));
    assert_eq!(c.deadline(), Some(t0 + Duration::from_secs(4)));
    let actions = c.on_heartbeat_due(t0 + Duration::from_secs(4));
    assert!(matches!(actions[0], Action::SendHeartbeat { seq: Some(2) }));
    assert_eq!(c.metrics().latency.samples, 1);
    assert_eq!(c.metrics().latency.last, Some(Duration::from_millis(40)));
}

#[test]
fn first_beat_jitter_uses_the_injected_rng() {
    let mut c = ShardCore::new(
        SHARD,
        Intents(1),
        HeartbeatConfig {
            first_beat_jitter: true,
            ..Default::default()
        },
        ReconnectConfig::default(),
        None,
    )
    .with_rng(Box::new(|| 0.25));
    let t0 = Instant::now();
    c.on_connecting(t0);
    c.on_connected(t0, "ws://x");
    c.on_frame(t0, &f(&hello_frame(4000)));
    assert_eq!(c.deadline(), Some(t0 + Duration::from_secs(1)));
}

#[test]
fn interval_override_wins_over_hello() {
    let mut c = ShardCore::new(
        SHARD,
        Intents(1),
        HeartbeatConfig {
            interval_override: Some(Duration::from_millis(500)),
            ..Default::default()
        },
        ReconnectConfig::default(),
        None,
    );
    let t0 = Instant::now();
    c.on_connecting(t0);
    c.on_connected(t0, "ws://x");
    c.on_frame(t0, &f(&hello_frame(41250)));
    assert_eq!(c.deadline(), Some(t0 + Duration::from_millis(500)));
}

#[test]
fn unacked_heartbeat_is_a_zombie_and_resumes() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    c.on_heartbeat_due(t0 + Duration::from_secs(2));
    let actions = c.on_heartbeat_due(t0 + Duration::from_secs(4));
    assert_eq!(close_sent(&actions), Some(CLIENT_RESUME_CLOSE));
    assert_eq!(
        plan(&actions),
        Some(ReconnectPlan {
            delay: Duration::ZERO,
            resume: true,
            refresh_token: false
        })
    );
    assert_eq!(c.metrics().missed_acks, 1);
    assert!(matches!(c.state(), ShardState::Disconnected { attempt: 1 }));
}

#[test]
fn op7_closes_and_resumes_at_once_and_the_late_4009_changes_nothing() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    c.on_frame(t0, &event(2));
    let actions = c.on_frame(t0, &f(&reconnect_frame()));
    assert!(matches!(items(&actions)[0], ItemKind::ReconnectRequested));
    assert_eq!(close_sent(&actions), Some(CLIENT_RESUME_CLOSE));
    assert_eq!(
        plan(&actions),
        Some(ReconnectPlan {
            delay: Duration::ZERO,
            resume: true,
            refresh_token: false
        })
    );
    assert!(c.on_close(t0, Some(4009), "Session timed out").is_empty());
    assert_eq!(c.session_info().unwrap().last_seq, Some(2));
    let actions = reconnect_and_hello(&mut c, t0);
    assert!(actions.iter().any(|a| matches!(a,
        Action::SendResume { session_id, seq: Some(2) } if session_id == "s1")));
}

#[test]
fn server_4009_first_resumes_at_once() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    let actions = c.on_close(t0, Some(4009), "Session timed out");
    assert_eq!(close_sent(&actions), None, "the server already closed");
    assert_eq!(
        plan(&actions),
        Some(ReconnectPlan {
            delay: Duration::ZERO,
            resume: true,
            refresh_token: false
        })
    );
    assert!(matches!(
        items(&actions)[0],
        ItemKind::Closed {
            code: Some(4009),
            origin: CloseOrigin::Server,
            action: CloseAction::Resume,
            ..
        }
    ));
    assert_eq!(c.metrics().close_codes[&4009], 1);
}

#[test]
fn resume_replays_then_resumed_resets_the_counter() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    c.on_close(t0, Some(4009), "");
    let t1 = t0 + Duration::from_millis(300);
    reconnect_and_hello(&mut c, t1);
    assert_eq!(c.state(), ShardState::Resuming);
    let actions = c.on_frame(t1, &event(2));
    assert!(matches!(items(&actions)[0], ItemKind::Dispatch(d) if d.seq == Some(2)));
    let actions = c.on_frame(t1, &f(r#"{"op":0,"s":3,"t":"RESUMED","d":""}"#));
    assert!(matches!(items(&actions)[0],
        ItemKind::Resumed { seq: Some(3), replayed: 1, recovered_in: Some(d) } if *d == Duration::from_millis(300)));
    assert!(c.is_connected());
    assert_eq!(c.metrics().resumes, 1);
    assert_eq!(c.metrics().reconnects, 1);
    assert_eq!(c.state(), ShardState::Active);
    // Lost again at once: that resume did not count as a success, so the next attempt backs
    // off (no gateway behaviour can make the client reconnect in a tight loop).
    let actions = c.on_close(t1, Some(4009), "");
    assert_eq!(plan(&actions).unwrap().delay, Duration::from_secs(2));
    // A session that stays up for `stable_after` resets the counter: the next 4009 again
    // resumes without delay.
    let t2 = t1 + Duration::from_secs(3);
    reconnect_and_hello(&mut c, t2);
    c.on_frame(t2, &f(r#"{"op":0,"s":4,"t":"RESUMED","d":""}"#));
    let actions = c.on_close(t2 + Duration::from_secs(5), Some(4009), "");
    assert_eq!(plan(&actions).unwrap().delay, Duration::ZERO);
}

#[test]
fn a_gateway_that_drops_every_resumed_session_gets_growing_backoff() {
    let mut c = core();
    let mut now = Instant::now();
    active(&mut c, now);
    let mut delays = Vec::new();
    for n in 0..10u64 {
        let actions = c.on_frame(now, &f(r#"{"op":7}"#));
        let p = plan(&actions).unwrap();
        delays.push(p.delay);
        now += p.delay;
        reconnect_and_hello(&mut c, now);
        c.on_frame(
            now,
            &f(&format!(
                r#"{{"op":0,"s":{},"t":"RESUMED","d":""}}"#,
                10 + n
            )),
        );
    }
    assert_eq!(delays[0], Duration::ZERO, "the first op 7 resumes at once");
    assert!(delays[1..].windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
    assert_eq!(delays[9], Duration::from_secs(30), "capped: {delays:?}");
    assert_eq!(c.metrics().reconnect_requests, 10);
}

#[test]
fn replayed_duplicates_are_dropped() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    c.on_frame(t0, &event(2));
    c.on_frame(t0, &event(3));
    for s in [3, 2] {
        let actions = c.on_frame(t0, &event(s));
        let said = items(&actions);
        assert_eq!(said.len(), 1, "said, not silently dropped");
        assert!(
            matches!(said[0], ItemKind::Error { message } if message.contains("already delivered")),
            "{said:?}"
        );
    }
    assert_eq!(c.metrics().duplicates_dropped, 2);
    assert_eq!(c.metrics().events_received, 2);
    // A new event id with a stale `s` is a gateway bug: kept, and said.
    let stale = f(&dispatch_frame(
        Some(3),
        "AT_MESSAGE_CREATE",
        "AT_MESSAGE_CREATE:new",
        r#"{"content":"hi"}"#,
    ));
    let actions = c.on_frame(t0, &stale);
    let said = items(&actions);
    assert!(matches!(said[0], ItemKind::Error { message } if message.contains("kept")));
    assert!(matches!(said[1], ItemKind::Dispatch(d) if d.seq == Some(3)));
    assert_eq!(c.metrics().events_received, 3);
    assert_eq!(
        c.metrics().last_seq,
        Some(3),
        "the cursor does not move back"
    );
}

#[test]
fn op9_during_resume_falls_back_to_identify() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    c.on_close(t0, Some(4009), "");
    reconnect_and_hello(&mut c, t0);
    let actions = c.on_frame(t0, &f(&invalid_session_frame(false)));
    assert!(
        matches!(items(&actions)[0], ItemKind::InvalidSession { resumable: false, reason } if reason.contains("resume rejected"))
    );
    let p = plan(&actions).unwrap();
    assert!(!p.resume);
    assert!(c.session_info().is_none());
    let actions = reconnect_and_hello(&mut c, t0 + p.delay);
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::SendIdentify { .. }))
    );
}

#[test]
fn resume_rejected_by_close_code_identifies() {
    for code in [4006, 4007, 4902] {
        let mut c = core();
        let t0 = Instant::now();
        active(&mut c, t0);
        c.on_close(t0, Some(4009), "");
        reconnect_and_hello(&mut c, t0);
        let actions = c.on_close(t0, Some(code), "");
        assert!(!plan(&actions).unwrap().resume, "{code}");
        assert!(c.session_info().is_none(), "{code}");
    }
}

#[test]
fn op9_on_identify_is_fatal_after_two_tries() {
    let mut c = core();
    let mut now = Instant::now();
    c.on_connecting(now);
    c.on_connected(now, "ws://x");
    c.on_frame(now, &f(&hello_frame(2000)));
    let actions = c.on_frame(now, &f(&invalid_session_frame(false)));
    assert!(fatal(&actions).is_none());
    let p = plan(&actions).expect("one retry");
    assert!(!p.resume);
    assert!(p.delay > Duration::ZERO, "retries an identify with backoff");
    assert!(
        c.on_close(now, Some(4903), "create session error")
            .is_empty()
    );
    now += p.delay;
    reconnect_and_hello(&mut c, now);
    let actions = c.on_frame(now, &f(&invalid_session_frame(false)));
    let (reason, hint, _) = fatal(&actions).expect("fatal on the second rejection");
    assert_eq!(
        reason,
        "identify rejected (intents not granted, wrong environment or IP)"
    );
    assert!(hint.unwrap().contains("intents"));
    assert!(stops(&actions));
    assert!(plan(&actions).is_none());
    assert_eq!(c.state(), ShardState::FatallyClosed);
}

#[test]
fn fatal_close_codes_stop_with_the_tables_reason() {
    for code in [4010, 4011, 4012, 4013, 4014, 4914, 4915] {
        let mut c = core();
        let t0 = Instant::now();
        active(&mut c, t0);
        let actions = c.on_close(t0, Some(code), "");
        let (reason, hint, fatal_code) =
            fatal(&actions).unwrap_or_else(|| panic!("{code} not fatal"));
        assert_eq!(fatal_code, Some(code));
        assert!(reason.contains(close_info(code).meaning), "{reason}");
        assert_eq!(hint.as_deref(), close_info(code).hint, "{code}");
        assert!(stops(&actions) && plan(&actions).is_none());
        assert!(
            c.session_info().is_none(),
            "a dead session is not kept for a state file"
        );
    }
}

#[test]
fn auth_failure_refreshes_the_token_then_identifies() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    let actions = c.on_close(t0, Some(4004), "authentication failed");
    let p = plan(&actions).unwrap();
    assert!(p.refresh_token && !p.resume);
}

#[test]
fn tcp_drop_resumes() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    let actions = c.on_close(t0, None, "");
    assert!(plan(&actions).unwrap().resume);
    assert!(matches!(
        items(&actions)[0],
        ItemKind::Closed {
            code: Some(1006),
            ..
        }
    ));
    assert_eq!(c.metrics().close_codes[&1006], 1);
}

#[test]
fn rate_limit_backs_off_then_resumes() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    let p = plan(&c.on_close(t0, Some(4008), "")).unwrap();
    assert!(p.resume && p.delay >= Duration::from_millis(500));
}

#[test]
fn consecutive_failures_back_off_and_give_up() {
    let mut c = ShardCore::new(
        SHARD,
        Intents(1 << 30),
        HeartbeatConfig::default(),
        ReconnectConfig {
            max_attempts: 5,
            ..Default::default()
        },
        None,
    )
    .with_rng(Box::new(|| 1.0));
    let mut now = Instant::now();
    let mut delays = Vec::new();
    for attempt in 1..=5 {
        c.on_connecting(now);
        let actions =
            c.on_connect_failed(now, &ConnectFailure::Transport("connection refused".into()));
        if attempt < 5 {
            let p = plan(&actions).unwrap();
            delays.push(p.delay);
            now += p.delay;
        } else {
            let (reason, _, _) = fatal(&actions).unwrap();
            assert!(reason.contains("5 consecutive"), "{reason}");
            assert!(actions.iter().any(|a| matches!(
                a,
                Action::Emit(ItemKind::Fatal {
                    cause: FatalCause::RetriesExhausted { attempts: 5 },
                    ..
                })
            )));
        }
    }
    assert_eq!(delays, [1, 2, 4, 8].map(Duration::from_secs));
    assert_eq!(c.metrics().connect_attempts, 5);
    assert_eq!(c.metrics().success_rate(), Some(0.0));
}

#[test]
fn unlimited_attempts_never_give_up() {
    let mut c = ShardCore::new(
        SHARD,
        Intents(1),
        HeartbeatConfig::default(),
        ReconnectConfig {
            max_attempts: 0,
            ..Default::default()
        },
        None,
    );
    let now = Instant::now();
    for _ in 0..50 {
        c.on_connecting(now);
        let actions = c.on_connect_failed(now, &ConnectFailure::Transport("refused".into()));
        assert!(plan(&actions).unwrap().delay <= Duration::from_secs(30));
    }
}

#[test]
fn malformed_frames_are_error_items() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    for text in [
        "",
        "nope",
        "[1]",
        r#"{"op":"x"}"#,
        r#"{"op":10,"d":{"heartbeat_interval":"soon"}}"#,
    ] {
        let actions = c.on_frame(t0, &f(text));
        assert!(
            matches!(items(&actions)[..], [ItemKind::Error { .. }]),
            "{text}"
        );
    }
    assert!(c.is_connected());
}

#[test]
fn dispatch_keeps_the_raw_frame_and_d_range() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    let frame = f(
        r#"{"d":{"content":"a \"q\" 文字","op":7},"op":0,"s":5,"t":"AT_MESSAGE_CREATE","id":"AT:1"}"#,
    );
    let actions = c.on_frame(t0, &frame);
    let ItemKind::Dispatch(d) = items(&actions)[0] else {
        panic!("not a dispatch")
    };
    assert_eq!(d.d(), r#"{"content":"a \"q\" 文字","op":7}"#);
    assert_eq!(
        (d.seq, &*d.t, d.id()),
        (Some(5), "AT_MESSAGE_CREATE", Some("AT:1"))
    );
    assert!(Arc::ptr_eq(&d.frame, &frame));
}

/// Frames the fast scanner leaves to serde (here: `\u` escapes) give the same item as the fast
/// path would.
#[test]
fn dispatches_read_by_serde_and_by_the_fast_scanner_agree() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    let mut seen = Vec::new();
    for (s, frame) in [
        (
            5,
            r#"{"op":0,"s":5,"t":"AT_MESSAGE_CREATE","id":"AT:1","d":{"content":"plain"}}"#,
        ),
        (
            6,
            r#"{"op":0,"s":6,"t":"AT_MESSAGE_CREATE","id":"AT:2","d":{"content":"\u4f60"}}"#,
        ),
        (
            7,
            r#"{"op":0,"s":7,"t":"AT_MESSAGE_\u0043REATE","id":"AT:3","d":{}}"#,
        ),
    ] {
        let frame = f(frame);
        let actions = c.on_frame(t0, &frame);
        let ItemKind::Dispatch(d) = items(&actions)[0] else {
            panic!("not a dispatch: {frame}")
        };
        assert_eq!(d.seq, Some(s));
        assert_eq!(&*d.t, "AT_MESSAGE_CREATE");
        let expected_d = &frame[frame.find(r#""d":"#).unwrap() + 4..frame.len() - 1];
        assert_eq!(d.d(), expected_d);
        seen.push(d.t.clone());
    }
    // One shared name for all three.
    assert!(Arc::ptr_eq(&seen[0], &seen[1]) && Arc::ptr_eq(&seen[1], &seen[2]));
}

#[test]
fn shutdown_closes_and_keeps_the_session() {
    let mut c = core();
    let t0 = Instant::now();
    active(&mut c, t0);
    let actions = c.on_shutdown(t0);
    assert_eq!(close_sent(&actions), Some(CLIENT_RESUME_CLOSE));
    assert!(stops(&actions));
    assert_eq!(c.session_info().unwrap().session_id, "s1");
}

#[test]
fn stored_session_resumes_on_first_connect() {
    let info = SessionInfo {
        session_id: "old".into(),
        last_seq: Some(77),
        shard: SHARD,
    };
    let mut c = ShardCore::new(
        SHARD,
        Intents(1),
        HeartbeatConfig::default(),
        ReconnectConfig::default(),
        Some(info),
    );
    assert!(c.initial_plan().resume);
    let actions = reconnect_and_hello(&mut c, Instant::now());
    assert!(actions.iter().any(
        |a| matches!(a, Action::SendResume { session_id, seq: Some(77) } if session_id == "old")
    ));
}

#[test]
fn hello_timeout_reconnects() {
    let mut c = core();
    let t0 = Instant::now();
    c.on_connecting(t0);
    c.on_connected(t0, "ws://x");
    assert_eq!(c.deadline(), Some(t0 + HELLO_TIMEOUT));
    let actions = c.on_heartbeat_due(t0 + HELLO_TIMEOUT);
    assert!(plan(&actions).is_some());
}

#[test]
fn an_absurd_hello_interval_is_clamped_and_said() {
    for (announced, used) in [(1u64, 1000u64), (u64::MAX, 600_000)] {
        let mut c = core();
        let t0 = Instant::now();
        c.on_connecting(t0);
        c.on_connected(t0, "ws://x");
        let actions = c.on_frame(
            t0,
            &f(&format!(
                r#"{{"op":10,"d":{{"heartbeat_interval":{announced}}}}}"#
            )),
        );
        let said = items(&actions);
        assert!(
            matches!(said[0], ItemKind::Error { message } if message.contains(&format!("using {used} ms"))),
            "{said:?}"
        );
        assert_eq!(c.deadline(), Some(t0 + Duration::from_millis(used)));
    }
}

/// Every transition is published once, in order, after the items that caused it: a consumer that
/// only reads `StateChange` items always agrees with the core.
#[test]
fn every_state_change_is_published_in_order() {
    let mut c = core();
    let mut t = Instant::now();
    let mut published = ShardState::Disconnected { attempt: 0 };
    let mut changes = 0;
    let mut check = |c: &ShardCore, actions: Vec<Action>, step: &str| {
        let kinds = items(&actions);
        let at = kinds
            .iter()
            .position(|k| matches!(k, ItemKind::StateChange { .. }));
        if let Some(i) = at {
            let last = kinds.len() - 1;
            let fatal_last = i + 1 == last && matches!(kinds[last], ItemKind::Fatal { .. });
            assert!(
                i == last || fatal_last,
                "{step}: the change comes last (before a fatal item): {kinds:?}"
            );
            let ItemKind::StateChange { from, to } = kinds[i] else {
                unreachable!()
            };
            assert_eq!(*from, published, "{step}: from the last published state");
            assert_ne!(from, to, "{step}: only real changes");
            published = *to;
            changes += 1;
        }
        assert_eq!(
            published,
            c.state(),
            "{step}: published state is the core's"
        );
    };
    for round in 0..3u64 {
        let a = c.on_connecting(t);
        check(&c, a, "connecting");
        let a = c.on_connected(t, "ws://x");
        check(&c, a, "connected");
        let a = c.on_frame(t, &f(&hello_frame(41250)));
        check(&c, a, "hello");
        let a = if round == 0 {
            c.on_frame(t, &ready_frame(1, "abc"))
        } else {
            c.on_frame(
                t,
                &f(&format!(
                    r#"{{"op":0,"s":{},"t":"RESUMED","d":""}}"#,
                    round * 10
                )),
            )
        };
        check(&c, a, "ready/resumed");
        let a = c.on_frame(t, &event(round * 10 + 2));
        check(&c, a, "dispatch");
        t += Duration::from_secs(10);
        let a = match round {
            0 => c.on_frame(t, &f(r#"{"op":7}"#)),
            1 => c.on_close(t, Some(4009), "timeout"),
            _ => c.on_transport_error(t, "reset"),
        };
        check(&c, a, "disconnect");
        // A late server close after our own close changes nothing and publishes nothing.
        let a = c.on_close(t, Some(4009), "late");
        check(&c, a, "late close");
    }
    let a = c.on_connecting(t);
    check(&c, a, "connecting");
    let a = c.on_connected(t, "ws://x");
    check(&c, a, "connected");
    let a = c.on_close(t, Some(4914), "banned");
    check(&c, a, "fatal");
    assert_eq!(c.state(), ShardState::FatallyClosed);
    // Per round: connecting, identifying|resuming, active, disconnected; then connecting, fatal.
    assert_eq!(changes, 3 * 4 + 2);
}

#[test]
fn a_resume_that_continues_past_its_seq_reports_the_gap() {
    // A process restarted from a saved cursor of 3; the gateway replays from 7 on.
    let mut c = ShardCore::new(
        SHARD,
        Intents(1 << 30),
        HeartbeatConfig::default(),
        ReconnectConfig::default(),
        Some(SessionInfo {
            session_id: "s1".into(),
            last_seq: Some(3),
            shard: SHARD,
        }),
    )
    .with_rng(Box::new(|| 1.0));
    let t0 = Instant::now();
    let actions = reconnect_and_hello(&mut c, t0);
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::SendResume { seq: Some(3), .. }))
    );
    let actions = c.on_frame(t0, &event(7));
    let kinds = items(&actions);
    assert!(
        matches!(kinds[0], ItemKind::Gap { after: 3, next: 7 }),
        "{kinds:?}"
    );
    assert!(matches!(kinds[1], ItemKind::Dispatch(d) if d.seq == Some(7)));
    // Only the first frame after the Resume is judged: 8 follows 7.
    let actions = c.on_frame(t0, &event(8));
    assert!(
        !items(&actions)
            .iter()
            .any(|k| matches!(k, ItemKind::Gap { .. }))
    );
    c.on_frame(t0, &f(r#"{"op":0,"s":9,"t":"RESUMED","d":""}"#));
    // A resume that continues right after its seq reports nothing, and nor does RESUMED
    // straight away when there was nothing to replay.
    c.on_close(t0, Some(4009), "");
    reconnect_and_hello(&mut c, t0);
    let actions = c.on_frame(t0, &f(r#"{"op":0,"s":10,"t":"RESUMED","d":""}"#));
    assert!(
        !items(&actions)
            .iter()
            .any(|k| matches!(k, ItemKind::Gap { .. }))
    );
    // Everything after 10 trimmed away: RESUMED itself comes with a higher `s`.
    c.on_close(t0, Some(4009), "");
    reconnect_and_hello(&mut c, t0);
    let actions = c.on_frame(t0, &f(r#"{"op":0,"s":15,"t":"RESUMED","d":""}"#));
    assert!(
        items(&actions).iter().any(|k| matches!(
            k,
            ItemKind::Gap {
                after: 10,
                next: 15
            }
        )),
        "{actions:?}"
    );
}

/// A fake durable sink: `Some(cursor)` for session `s1`.
struct Durable(std::sync::Mutex<Option<Option<u64>>>);

impl crate::gateway::HeartbeatCursor for Durable {
    fn durable_seq(&self, _shard: ShardId, session_id: &str) -> Option<Option<u64>> {
        if session_id == "s1" {
            *self.0.lock().unwrap()
        } else {
            None
        }
    }
}

fn beat(c: &mut ShardCore, now: Instant) -> Option<Option<u64>> {
    c.on_heartbeat_due(now).iter().find_map(|a| match a {
        Action::SendHeartbeat { seq } => Some(*seq),
        _ => None,
    })
}

#[test]
fn heartbeats_carry_the_durable_cursor_never_more_than_received() {
    let durable = Arc::new(Durable(std::sync::Mutex::new(Some(Some(2)))));
    let mut c = core().with_heartbeat_cursor(Some(crate::gateway::HeartbeatCursorRef(Arc::clone(
        &durable,
    ) as _)));
    let t0 = Instant::now();
    active(&mut c, t0);
    for s in 2..=6 {
        c.on_frame(t0, &event(s));
    }
    let mut t = t0;
    let mut next = |c: &mut ShardCore| {
        t = c.deadline().expect("a heartbeat is due");
        // Acknowledge the previous beat so the next one is a beat, not a zombie.
        c.on_frame(t, &f(r#"{"op":11}"#));
        beat(c, t)
    };
    assert_eq!(
        next(&mut c),
        Some(Some(2)),
        "what the sink kept, not the 6 received"
    );
    *durable.0.lock().unwrap() = Some(None);
    assert_eq!(next(&mut c), Some(None), "nothing durable yet: null");
    *durable.0.lock().unwrap() = Some(Some(9));
    assert_eq!(next(&mut c), Some(Some(6)), "never above what was received");
    *durable.0.lock().unwrap() = None;
    assert_eq!(
        next(&mut c),
        Some(Some(6)),
        "no opinion: the last s received"
    );
}
