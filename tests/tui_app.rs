//! Reducer tests for the dashboard: pure `App::apply` / `tick` / `on_key`, no terminal.

mod tui_fixture;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qqbot::gateway::{
    Action, HeartbeatConfig, ReconnectConfig, ShardCore, ShardId, ShardState as GwState,
};
use qqbot::gateway::{CloseOrigin, ItemKind};
use qqbot::protocol::CloseAction;
use qqbot::protocol::Intents;
use qqbot::tui::app::LOG_CAPACITY;
use qqbot::tui::{App, Focus, Header, KeyAction};
use tui_fixture::{at, dispatch, item};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(app: &mut App, code: KeyCode) -> KeyAction {
    app.on_key(key(code))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn one_shard() -> App {
    App::new(Header::new("test", "GUILDS", 1))
}

fn apply(app: &mut App, shard: u32, secs: f64, kind: ItemKind) {
    let it = item(shard, secs, kind);
    app.apply(&it, at(secs));
}

fn state(app: &App, shard: usize) -> GwState {
    app.view().shards[shard].state
}

fn ready(app: &mut App, shard: u32, secs: f64) {
    apply(
        app,
        shard,
        secs,
        ItemKind::Connected {
            url: "ws://x".into(),
            attempt: 1,
        },
    );
    apply(
        app,
        shard,
        secs,
        ItemKind::Hello {
            heartbeat_interval: Duration::from_secs(10),
        },
    );
    apply(app, shard, secs, ItemKind::Identifying { intents: 1 });
    apply(
        app,
        shard,
        secs,
        ItemKind::Ready {
            session_id: "sess-1".into(),
            user_id: "1".into(),
            username: "b".into(),
            version: Some(1),
        },
    );
    apply(
        app,
        shard,
        secs,
        ItemKind::StateChange {
            from: GwState::Identifying,
            to: GwState::Active,
        },
    );
}

/// A server close without a code, as the core reports it.
fn closed(code: Option<u16>) -> ItemKind {
    ItemKind::Closed {
        code,
        reason: String::new(),
        origin: CloseOrigin::Server,
        action: CloseAction::Resume,
        cause: qqbot::gateway::Cause::Closed {
            code,
            reason: String::new(),
        },
    }
}

/// Every item a real gateway core emits for `step`, applied to the dashboard.
fn feed(app: &mut App, secs: f64, actions: Vec<Action>) {
    for action in actions {
        if let Action::Emit(kind) = action {
            apply(app, 0, secs, kind);
        }
    }
}

/// One call into the core.
type Step = Box<dyn Fn(&mut ShardCore) -> Vec<Action>>;

fn frame(text: &str) -> Arc<str> {
    Arc::from(text)
}

#[test]
fn shard_state_is_the_state_the_core_published() {
    // The dashboard does not re-derive the state machine: a real core's items, applied in
    // order, leave the dashboard showing exactly the core's state after every step.
    let mut app = App::new(Header::new("test", "GUILDS", 2));
    assert_eq!(app.view().shards.len(), 2);
    assert_eq!(state(&app, 0), GwState::Disconnected { attempt: 0 });
    assert_eq!(qqbot::tui::state_label(state(&app, 0)), "waiting");
    let mut core = ShardCore::new(
        ShardId { id: 0, count: 2 },
        Intents(1),
        HeartbeatConfig::default(),
        ReconnectConfig::default(),
        None,
    )
    .with_rng(Box::new(|| 1.0));
    let t = tokio::time::Instant::now();
    let hello = frame(r#"{"op":10,"d":{"heartbeat_interval":41250}}"#);
    let ready = frame(
        r#"{"op":0,"s":1,"t":"READY","d":{"version":1,"session_id":"s","user":{"id":"1","username":"b","bot":true},"shard":[0,2]}}"#,
    );
    let steps: Vec<(&str, Step, GwState)> = vec![
        (
            "connecting",
            Box::new(move |c| c.on_connecting(t)),
            GwState::Connecting,
        ),
        (
            "connected",
            Box::new(move |c| c.on_connected(t, "ws://x")),
            GwState::Connecting,
        ),
        (
            "hello",
            Box::new({
                let h = hello.clone();
                move |c| c.on_frame(t, &h)
            }),
            GwState::Identifying,
        ),
        (
            "ready",
            Box::new(move |c| c.on_frame(t, &ready)),
            GwState::Active,
        ),
        (
            "4009",
            Box::new(move |c| c.on_close(t, Some(4009), "")),
            GwState::Disconnected { attempt: 1 },
        ),
        (
            "reconnecting",
            Box::new(move |c| c.on_connecting(t)),
            GwState::Connecting,
        ),
        (
            "connected again",
            Box::new(move |c| c.on_connected(t, "ws://x")),
            GwState::Connecting,
        ),
        (
            "hello again",
            Box::new(move |c| c.on_frame(t, &hello)),
            GwState::Resuming,
        ),
        (
            "resumed",
            Box::new(move |c| c.on_frame(t, &frame(r#"{"op":0,"s":2,"t":"RESUMED","d":""}"#))),
            GwState::Active,
        ),
        (
            "banned",
            Box::new(move |c| c.on_close(t, Some(4915), "banned")),
            GwState::FatallyClosed,
        ),
    ];
    for (i, (name, step, want)) in steps.into_iter().enumerate() {
        let actions = step(&mut core);
        assert_eq!(core.state(), want, "the core after {name}");
        feed(&mut app, i as f64, actions);
        assert_eq!(state(&app, 0), core.state(), "the dashboard after {name}");
        assert_eq!(
            state(&app, 1),
            GwState::Disconnected { attempt: 0 },
            "shard 1 untouched"
        );
    }
    let s = &app.view().shards[0];
    assert_eq!(qqbot::tui::state_label(s.state), "fatal");
    assert_eq!((s.reconnects, s.resumes, s.resume_attempts), (2, 1, 1));
    assert_eq!(s.session_id.as_deref(), Some("s"));
    assert_eq!(s.active_since, None, "no longer active");
    assert_eq!(s.last_close.as_ref().map(|c| c.code), Some(Some(4915)));
}

#[test]
fn active_since_is_when_the_state_became_active() {
    let mut app = one_shard();
    ready(&mut app, 0, 1.0);
    assert_eq!(app.view().shards[0].active_since, Some(at(1.0)));
    // A second "active" (nothing changed) keeps the first time.
    apply(
        &mut app,
        0,
        2.0,
        ItemKind::StateChange {
            from: GwState::Resuming,
            to: GwState::Active,
        },
    );
    assert_eq!(app.view().shards[0].active_since, Some(at(1.0)));
    apply(&mut app, 0, 3.0, closed(None));
    apply(
        &mut app,
        0,
        3.0,
        ItemKind::StateChange {
            from: GwState::Active,
            to: GwState::Disconnected { attempt: 1 },
        },
    );
    assert_eq!(app.view().shards[0].active_since, None);
    assert_eq!(qqbot::tui::state_label(state(&app, 0)), "reconnecting");
    // A failed attempt while no connection is up counts as a connect failure.
    apply(
        &mut app,
        0,
        3.5,
        ItemKind::Error {
            message: "connection attempt failed: refused".into(),
        },
    );
    let s = &app.view().shards[0];
    assert_eq!((s.connects, s.connect_attempts()), (1, 2));
}

#[test]
fn items_for_an_unknown_shard_grow_the_table() {
    let mut app = one_shard();
    let mut it = item(
        3,
        1.0,
        ItemKind::StateChange {
            from: GwState::Connecting,
            to: GwState::Identifying,
        },
    );
    it.shard.count = 4;
    app.apply(&it, at(1.0));
    assert_eq!(app.view().shards.len(), 4);
    assert_eq!(state(&app, 3), GwState::Identifying);
}

#[test]
fn heartbeat_rtt_percentiles_per_shard_and_in_total() {
    let mut app = one_shard();
    ready(&mut app, 0, 0.0);
    for ms in 1..=100u64 {
        let secs = ms as f64;
        apply(&mut app, 0, secs, ItemKind::HeartbeatSent { seq: None });
        apply(
            &mut app,
            0,
            secs,
            ItemKind::HeartbeatAck {
                rtt: Duration::from_millis(ms),
            },
        );
    }
    let shard = &app.view().shards[0];
    assert_eq!(shard.rtt.last(), Some(Duration::from_millis(100)));
    let p50 = shard.rtt_quantile(0.5).unwrap().as_millis();
    let p99 = shard.rtt_quantile(0.99).unwrap().as_millis();
    assert!((49..=51).contains(&p50), "p50 {p50}");
    assert!((98..=100).contains(&p99), "p99 {p99}");
    let total_p95 = app.stats().rtt_quantile(0.95).unwrap().as_millis();
    assert!((94..=96).contains(&total_p95), "p95 {total_p95}");
    assert_eq!(shard.rtt_samples.len(), 100);
    assert_eq!(shard.missed_acks, 0);
}

#[test]
fn rtt_samples_are_bounded() {
    let mut app = one_shard();
    for n in 0..1000 {
        apply(
            &mut app,
            0,
            n as f64,
            ItemKind::HeartbeatAck {
                rtt: Duration::from_millis(5),
            },
        );
    }
    assert_eq!(
        app.view().shards[0].rtt_samples.len(),
        qqbot::tui::app::RTT_SAMPLES
    );
}

#[test]
fn a_beat_sent_before_the_previous_ack_counts_as_missed() {
    let mut app = one_shard();
    ready(&mut app, 0, 0.0);
    let sent = |app: &mut App, s: f64| apply(app, 0, s, ItemKind::HeartbeatSent { seq: Some(1) });
    let ack = |app: &mut App, s: f64| {
        apply(
            app,
            0,
            s,
            ItemKind::HeartbeatAck {
                rtt: Duration::from_millis(3),
            },
        )
    };
    sent(&mut app, 10.0);
    sent(&mut app, 20.0);
    assert_eq!(app.view().shards[0].missed_acks, 1);
    ack(&mut app, 20.1);
    sent(&mut app, 30.0);
    ack(&mut app, 30.1);
    assert_eq!(
        app.view().shards[0].missed_acks,
        1,
        "acked beats are not missed"
    );
    sent(&mut app, 40.0);
    sent(&mut app, 50.0);
    sent(&mut app, 60.0);
    assert_eq!(app.view().shards[0].missed_acks, 3);
    // A reconnect forgets the outstanding beat: the first beat on the new socket is not "missed".
    apply(
        &mut app,
        0,
        61.0,
        ItemKind::Connected {
            url: "ws://x".into(),
            attempt: 1,
        },
    );
    sent(&mut app, 70.0);
    assert_eq!(app.view().shards[0].missed_acks, 3);
}

#[test]
fn zombie_flag_for_a_late_ack_or_silence() {
    let mut app = one_shard();
    ready(&mut app, 0, 0.0);
    apply(&mut app, 0, 10.0, ItemKind::HeartbeatSent { seq: None });
    app.tick(at(19.0));
    assert!(
        !app.view().shards[0].zombie_suspect(app.view().now),
        "9 s < 10 s interval"
    );
    app.tick(at(20.5));
    assert!(
        app.view().shards[0].zombie_suspect(app.view().now),
        "beat outstanding 10.5 s"
    );
    apply(
        &mut app,
        0,
        20.6,
        ItemKind::HeartbeatAck {
            rtt: Duration::from_millis(10_600),
        },
    );
    assert!(
        !app.view().shards[0].zombie_suspect(app.view().now),
        "ACK clears it"
    );
    // No frame at all for more than two intervals (our own heartbeats don't count as frames).
    app.tick(at(40.0));
    assert!(!app.view().shards[0].zombie_suspect(app.view().now));
    app.tick(at(40.7));
    assert!(
        app.view().shards[0].zombie_suspect(app.view().now),
        "silent 20.1 s > 2 × 10 s"
    );
    apply(
        &mut app,
        0,
        41.0,
        dispatch(0, 41.0, 1, "C2C_MESSAGE_CREATE", "{}").kind,
    );
    assert!(
        !app.view().shards[0].zombie_suspect(app.view().now),
        "a frame clears it"
    );
    // Not active: never a zombie.
    apply(&mut app, 0, 42.0, closed(None));
    apply(
        &mut app,
        0,
        42.0,
        ItemKind::StateChange {
            from: GwState::Active,
            to: GwState::Disconnected { attempt: 1 },
        },
    );
    app.tick(at(500.0));
    assert!(!app.view().shards[0].zombie_suspect(app.view().now));
}

#[test]
fn event_rate_buckets_roll_with_time() {
    let mut app = one_shard();
    let mut seq = 0;
    for (sec, n) in [(100.0, 3), (101.0, 5), (103.0, 1)] {
        for k in 0..n {
            seq += 1;
            let secs = sec + k as f64 * 0.1;
            let it = dispatch(0, secs, seq, "GROUP_AT_MESSAGE_CREATE", "{}");
            app.apply(&it, at(secs));
        }
    }
    app.tick(at(104.5));
    let series: Vec<u64> = app.view().rate_series(5).collect();
    assert_eq!(series, vec![3, 5, 0, 1, 0]);
    // Last 4 full seconds before 104: 100..=103 → 9 events.
    assert!((app.view().rate_recent(4) - 9.0 / 4.0).abs() < 1e-9);
    // Long after, stale buckets read as zero even though their slots were never overwritten.
    app.tick(at(100.0 + 400.0));
    assert_eq!(app.view().rate_series(300).sum::<u64>(), 0);
    assert_eq!(app.stats().events, 9, "totals survive");
    // Time never goes backwards through tick.
    app.tick(at(1.0));
    assert_eq!(app.view().now, at(500.0));
}

#[test]
fn per_type_table_counts_rates_and_last_seen() {
    let mut app = one_shard();
    let feed = [
        (1.0, "GROUP_AT_MESSAGE_CREATE"),
        (2.0, "C2C_MESSAGE_CREATE"),
        (3.0, "GROUP_AT_MESSAGE_CREATE"),
        (4.0, "GROUP_AT_MESSAGE_CREATE"),
        (12.0, "C2C_MESSAGE_CREATE"),
    ];
    for (n, (secs, t)) in feed.into_iter().enumerate() {
        app.apply(&dispatch(0, secs, n as u64, t, "{}"), at(secs));
    }
    app.tick(at(13.0));
    let rows = app.view().types_sorted(None);
    let summary: Vec<(&str, u64)> = rows.iter().map(|r| (&*r.name, r.count)).collect();
    assert_eq!(
        summary,
        vec![("GROUP_AT_MESSAGE_CREATE", 3), ("C2C_MESSAGE_CREATE", 2)]
    );
    assert_eq!(rows[1].last_seen, at(12.0));
    // 10 s window ending at 13 s: 3..=12 → group 2 events (3 s, 4 s), c2c 1 event.
    assert!(
        (rows[0].rate(at(13.0), at(1.0)) - 0.2).abs() < 1e-9,
        "{}",
        rows[0].rate(at(13.0), at(1.0))
    );
    assert!((rows[1].rate(at(13.0), at(1.0)) - 0.1).abs() < 1e-9);
    assert_eq!(app.stats().by_type.get("C2C_MESSAGE_CREATE"), Some(&2));
    let filtered = app.view().types_sorted(Some("c2c"));
    assert_eq!(filtered.len(), 1);
}

#[test]
fn the_log_is_a_bounded_ring_newest_first() {
    let mut app = one_shard();
    let total = LOG_CAPACITY + 50;
    for n in 0..total {
        let secs = n as f64 * 0.001;
        app.apply(
            &dispatch(0, secs, n as u64, "C2C_MESSAGE_CREATE", "{}"),
            at(secs),
        );
    }
    let view = app.view();
    assert_eq!(view.log.len(), LOG_CAPACITY);
    assert_eq!(view.log.front().unwrap().no, 50);
    assert_eq!(
        view.log_newest_first(None).next().unwrap().no,
        total as u64 - 1
    );
    assert_eq!(app.stats().events, total as u64);
    // Heartbeats stay out of the log; other lifecycle items go in.
    apply(&mut app, 0, 9.0, ItemKind::HeartbeatSent { seq: None });
    apply(
        &mut app,
        0,
        9.0,
        ItemKind::HeartbeatAck {
            rtt: Duration::from_millis(1),
        },
    );
    assert_eq!(
        app.view().log_newest_first(None).next().unwrap().label(),
        "C2C_MESSAGE_CREATE"
    );
    apply(&mut app, 0, 9.0, ItemKind::Lagged { dropped: 7 });
    let newest = app.view().log_newest_first(None).next().unwrap();
    assert_eq!(newest.label(), "lagged");
    assert_eq!(app.view().log.len(), LOG_CAPACITY);
    assert_eq!(app.stats().dropped, 7);
}

#[test]
fn pause_freezes_the_view_but_keeps_counting() {
    let mut app = one_shard();
    app.apply(&dispatch(0, 1.0, 1, "C2C_MESSAGE_CREATE", "{}"), at(1.0));
    assert_eq!(press(&mut app, KeyCode::Char('p')), KeyAction::Redraw);
    assert!(app.paused());
    app.apply(&dispatch(0, 2.0, 2, "C2C_MESSAGE_CREATE", "{}"), at(2.0));
    app.tick(at(3.0));
    assert_eq!(app.view().stats.events, 1, "frozen");
    assert_eq!(app.view().now, at(1.0), "frozen clock");
    assert_eq!(app.stats().events, 2, "still counted");
    press(&mut app, KeyCode::Char('p'));
    assert!(!app.paused());
    assert_eq!(app.view().stats.events, 2);
    assert_eq!(app.view().log.len(), 2);
}

fn with_mixed_log() -> App {
    let mut app = one_shard();
    let types = [
        "GROUP_AT_MESSAGE_CREATE",
        "C2C_MESSAGE_CREATE",
        "AT_MESSAGE_CREATE",
    ];
    for n in 0..30u64 {
        let secs = n as f64;
        let d = format!(r#"{{"content":"msg {n}","author":{{"id":"u{n}"}}}}"#);
        app.apply(&dispatch(0, secs, n, types[n as usize % 3], &d), at(secs));
    }
    app
}

#[test]
fn slash_filters_by_event_type() {
    let mut app = with_mixed_log();
    assert_eq!(press(&mut app, KeyCode::Char('/')), KeyAction::Redraw);
    type_text(&mut app, "c2x");
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "c");
    assert_eq!(app.filter_input.as_deref(), Some("c2c"));
    assert_eq!(app.filter, None, "not applied while typing");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.filter.as_deref(), Some("c2c"));
    assert_eq!(app.filter_input, None);
    let labels: Vec<&str> = app
        .view()
        .log_newest_first(app.filter.as_deref())
        .map(|e| e.label())
        .collect();
    assert_eq!(labels.len(), 10);
    assert!(
        labels.iter().all(|l| *l == "C2C_MESSAGE_CREATE"),
        "{labels:?}"
    );
    // Esc while typing cancels and keeps the applied filter.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zzz");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.filter.as_deref(), Some("c2c"));
    // `q` typed into the filter is text, not quit.
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(press(&mut app, KeyCode::Char('q')), KeyAction::Redraw);
    // An empty filter clears it.
    for _ in 0..10 {
        press(&mut app, KeyCode::Backspace);
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.filter, None);
    // Esc outside any popup clears an applied filter.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "GROUP");
    press(&mut app, KeyCode::Enter);
    assert!(app.filter.is_some());
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.filter, None);
}

#[test]
fn scrolling_keeps_the_selection_as_events_arrive() {
    let mut app = with_mixed_log();
    assert_eq!(app.focus, Focus::Events);
    assert_eq!(app.selected_event_index(), 0);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected_event_index(), 2);
    let selected = app.selected_event;
    assert_eq!(selected, Some(27));
    // A new event pushes the selected one down a row, but it stays selected.
    app.apply(&dispatch(0, 31.0, 31, "C2C_MESSAGE_CREATE", "{}"), at(31.0));
    assert_eq!(app.selected_event, selected);
    assert_eq!(app.selected_event_index(), 3);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.selected_event_index(), 13);
    press(&mut app, KeyCode::End);
    assert_eq!(app.selected_event_index(), 30, "oldest");
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected_event_index(), 30, "clamped");
    press(&mut app, KeyCode::Home);
    assert_eq!(app.selected_event, None, "back to following the newest");
    press(&mut app, KeyCode::Up);
    assert_eq!(app.selected_event_index(), 0);
    // Tab moves focus; arrows then scroll the focused panel only.
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Types);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.types_offset, 1);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.types_offset, 2, "clamped to the last type");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Shards);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected_shard, 1, "the items name 2 shards: two rows");
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected_shard, 1, "clamped to the last shard");
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, Focus::Types);
    assert_eq!(app.selected_event_index(), 0);
}

#[test]
fn enter_opens_pretty_json_and_esc_closes_it() {
    let mut app = with_mixed_log();
    press(&mut app, KeyCode::Down);
    assert_eq!(press(&mut app, KeyCode::Enter), KeyAction::Redraw);
    let detail = app.detail.as_ref().expect("detail open");
    assert!(
        detail.title.starts_with("C2C_MESSAGE_CREATE #28"),
        "{}",
        detail.title
    );
    assert!(
        detail.body.contains("\n  \"content\": \"msg 28\""),
        "{}",
        detail.body
    );
    press(&mut app, KeyCode::Down);
    assert_eq!(app.detail.as_ref().unwrap().scroll, 1);
    // While open, arrows scroll the detail, not the log.
    assert_eq!(app.selected_event_index(), 1);
    assert_eq!(press(&mut app, KeyCode::Esc), KeyAction::Redraw);
    assert!(app.detail.is_none());
    // A lifecycle entry opens its description.
    apply(&mut app, 0, 40.0, ItemKind::Lagged { dropped: 3 });
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Enter);
    let detail = app.detail.as_ref().unwrap();
    assert!(detail.body.contains("3 item(s) dropped"), "{}", detail.body);
}

#[test]
fn invalid_json_in_d_is_shown_raw() {
    let mut app = one_shard();
    app.apply(
        &dispatch(0, 1.0, 1, "C2C_MESSAGE_CREATE", "{\"broken\":"),
        at(1.0),
    );
    press(&mut app, KeyCode::Enter);
    let body = &app.detail.as_ref().unwrap().body;
    assert!(body.starts_with("(d is not valid JSON"), "{body}");
    assert!(body.contains("{\"broken\":"), "{body}");
}

#[test]
fn quit_keys_and_help() {
    let mut app = one_shard();
    assert_eq!(press(&mut app, KeyCode::Char('q')), KeyAction::Quit);
    assert_eq!(
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        KeyAction::Interrupt
    );
    assert_eq!(press(&mut app, KeyCode::Char('x')), KeyAction::None);
    assert_eq!(press(&mut app, KeyCode::Char('?')), KeyAction::Redraw);
    assert!(app.help);
    assert_eq!(
        press(&mut app, KeyCode::Down),
        KeyAction::None,
        "help swallows scrolling"
    );
    press(&mut app, KeyCode::Esc);
    assert!(!app.help);
    // Ctrl-C quits even while typing a filter.
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        KeyAction::Interrupt
    );
}

#[test]
fn the_fixture_adds_up() {
    let app = tui_fixture::app();
    let view = app.view();
    let (s0, s1) = (&view.shards[0], &view.shards[1]);
    assert_eq!(s0.state, GwState::Active);
    assert_eq!(s1.state, GwState::Active);
    assert_eq!(s0.missed_acks, 1);
    assert!(s0.zombie_suspect(view.now));
    assert!(!s1.zombie_suspect(view.now));
    assert_eq!((s1.reconnects, s1.resumes), (1, 1));
    assert_eq!(s1.connect_attempts(), 3);
    assert_eq!(app.stats().dropped, 5);
    assert_eq!(app.stats().close_codes.get(&Some(4009)), Some(&1));
    assert!(app.stats().events > 150);
}

#[test]
fn rates_average_over_the_time_actually_observed() {
    let mut app = one_shard();
    // 10 events in the first second, 10 in the next; 2.5 s in.
    for n in 0..20u64 {
        let secs = 100.0 + n as f64 * 0.1;
        app.apply(&dispatch(0, secs, n, "C2C_MESSAGE_CREATE", "{}"), at(secs));
    }
    app.tick(at(102.5));
    // Two full seconds observed, not ten: 10/s rather than 2/s.
    assert!(
        (app.view().rate_recent(10) - 10.0).abs() < 1e-9,
        "{}",
        app.view().rate_recent(10)
    );
    let row = app.view().types_sorted(None)[0];
    assert!(
        (row.rate(at(102.5), at(100.0)) - 10.0).abs() < 1e-9,
        "{}",
        row.rate(at(102.5), at(100.0))
    );
}

#[test]
fn a_type_seen_once_is_rated_over_the_time_watched_not_since_it_appeared() {
    let mut app = one_shard();
    for (n, secs) in [100.0, 101.0, 102.0, 103.0].into_iter().enumerate() {
        app.apply(
            &dispatch(0, secs, n as u64, "C2C_MESSAGE_CREATE", "{}"),
            at(secs),
        );
    }
    app.apply(&dispatch(0, 104.0, 4, "GUILD_MEMBER_ADD", "{}"), at(104.0));
    app.tick(at(105.5));
    let view = app.view();
    let rows = view.types_sorted(None);
    let member = rows
        .iter()
        .find(|r| &*r.name == "GUILD_MEMBER_ADD")
        .unwrap();
    // One event in the 5 s watched: 0.2/s, not the 1/s its own first second would give.
    assert!(
        (view.type_rate(member) - 0.2).abs() < 1e-9,
        "{}",
        view.type_rate(member)
    );
    let c2c = rows
        .iter()
        .find(|r| &*r.name == "C2C_MESSAGE_CREATE")
        .unwrap();
    assert!(
        (view.type_rate(c2c) - 0.8).abs() < 1e-9,
        "{}",
        view.type_rate(c2c)
    );
}

#[test]
fn errors_on_a_live_connection_are_not_connect_failures() {
    let mut app = one_shard();
    ready(&mut app, 0, 0.0);
    apply(
        &mut app,
        0,
        1.0,
        ItemKind::Error {
            message: "bad frame".into(),
        },
    );
    assert_eq!(app.view().shards[0].connect_attempts(), 1);
    assert_eq!(app.stats().errors, 1);
    // A clean op 7 reconnect: one close, one more connection, no failure.
    apply(&mut app, 0, 2.0, ItemKind::ReconnectRequested);
    apply(
        &mut app,
        0,
        2.0,
        ItemKind::Closed {
            code: Some(4000),
            reason: "reconnect requested".into(),
            origin: CloseOrigin::Client,
            action: CloseAction::Resume,
            cause: qqbot::gateway::Cause::ReconnectRequested,
        },
    );
    apply(
        &mut app,
        0,
        2.1,
        ItemKind::Connected {
            url: "ws://x".into(),
            attempt: 2,
        },
    );
    let s = &app.view().shards[0];
    assert_eq!((s.connects, s.connect_attempts()), (2, 2));
    let close = s.last_close.as_ref().unwrap();
    assert_eq!(
        (close.code, close.origin),
        (Some(4000), CloseOrigin::Client)
    );
}

/// `qqbot tui --from nats://…`: the stream carries each event's `[shard, count]` but no
/// lifecycle, so the table grows to every shard of the fleet, marks the shards whose events
/// arrived `via stream`, and a source notice (shard 0/1) does not shrink a row's count.
#[test]
fn a_stream_shows_every_shard_of_the_fleet() {
    let mut app = App::new(Header {
        stream: true,
        ..Header::new("nats", "all", 1)
    });
    let mut it = dispatch(2, 1.0, 7, "AT_MESSAGE_CREATE", "{}");
    it.shard.count = 4;
    app.apply(&it, at(1.0));
    let mut it = dispatch(0, 1.5, 3, "AT_MESSAGE_CREATE", "{}");
    it.shard.count = 4;
    app.apply(&it, at(1.5));
    let notice = qqbot::gateway::GatewayItem {
        shard: ShardId::ONE,
        received_at: at(2.0),
        kind: ItemKind::Error {
            message: "nats: a line that is not an event".into(),
        },
    };
    app.apply(&notice, at(2.0));
    let shards = &app.view().shards;
    assert_eq!(shards.len(), 4, "every shard of the fleet has a row");
    for (n, s) in shards.iter().enumerate() {
        assert_eq!((s.id.id, s.id.count), (n as u32, 4), "row {n}");
    }
    assert_eq!(shards[2].label(), "via stream");
    assert_eq!(shards[2].last_seq, Some(7));
    assert_eq!(shards[0].label(), "via stream");
    assert_eq!(shards[1].label(), "waiting", "no event from shard 1 yet");
    // Events from a gateway or a recording, even one without state lines, are not "via
    // stream".
    let mut app = one_shard();
    app.apply(&dispatch(0, 1.0, 2, "AT_MESSAGE_CREATE", "{}"), at(1.0));
    assert!(!app.view().shards[0].streamed());
    assert_eq!(app.view().shards[0].label(), "waiting");
}

fn lease(
    id: u32,
    owner: Option<&str>,
    state: &str,
    seq: Option<u64>,
    age_ms: i64,
) -> qqbot::cluster::ShardStatus {
    qqbot::cluster::ShardStatus {
        shard: [id, 4],
        owner: owner.map(str::to_owned),
        state: state.into(),
        session_id: owner.map(|o| format!("sess-{o}-{id}")),
        seq,
        lease_age_ms: Some(age_ms),
        expired: false,
        revision: Some(u64::from(id) + 1),
    }
}

fn fleet_read(secs: f64, shards: Vec<qqbot::cluster::ShardStatus>) -> qqbot::tui::FleetRead {
    qqbot::tui::FleetRead {
        owner: "me-1-aaaaaa".into(),
        at: at(secs),
        result: Ok(qqbot::cluster::FleetStatus {
            bucket: "qqbot_1".into(),
            shards,
            members: Vec::new(),
        }),
    }
}

/// `qqbot tui --cluster`: each read of the bucket says who holds which shard; rows held here
/// keep their live data, the others show the lease, ages grow between reads, and a failed read
/// keeps the last rows and says so.
#[test]
fn fleet_reads_say_who_holds_each_shard() {
    let mut app = App::new(Header::new("test", "GUILDS", 4));
    ready(&mut app, 0, 0.0);
    app.set_fleet(fleet_read(
        1.0,
        vec![
            lease(0, Some("me-1-aaaaaa"), "active", Some(1), 200),
            lease(1, Some("other-2-bbbbbb"), "active", Some(42), 1200),
            lease(2, None, "released", Some(9), 5000),
        ],
    ));
    let fleet = app.view().fleet.clone().expect("fleet data");
    assert!(fleet.held_here(0));
    assert!(!fleet.held_here(1));
    assert!(!fleet.held_here(2));
    assert!(fleet.lease(3).is_none(), "no lease row for shard 3");
    let other = fleet.lease(1).unwrap();
    assert_eq!(other.owner.as_deref(), Some("other-2-bbbbbb"));
    assert_eq!(other.seq, Some(42));
    // The age keeps growing with the dashboard's clock between reads.
    assert_eq!(
        fleet.lease_age(other, at(3.5)),
        Some(Duration::from_millis(1200 + 2500))
    );
    // A failed read keeps the rows and records the error.
    app.set_fleet(qqbot::tui::FleetRead {
        owner: "me-1-aaaaaa".into(),
        at: at(4.0),
        result: Err("NATS did not answer within 2500 ms".into()),
    });
    let fleet = app.view().fleet.clone().unwrap();
    assert!(fleet.held_here(0), "last good rows kept");
    assert_eq!(fleet.read_at, Some(at(1.0)));
    assert_eq!(fleet.error.as_ref().map(|e| e.1), Some(at(4.0)));
    // The next good read clears it; a take-over shows at once.
    app.set_fleet(fleet_read(
        6.0,
        vec![
            lease(0, Some("me-1-aaaaaa"), "active", Some(3), 100),
            lease(1, Some("me-1-aaaaaa"), "resuming", Some(42), 50),
        ],
    ));
    let fleet = app.view().fleet.clone().unwrap();
    assert!(fleet.error.is_none());
    assert!(fleet.held_here(1), "taken over");
    // While paused, a read lands in the live data only.
    press(&mut app, KeyCode::Char('p'));
    app.set_fleet(fleet_read(
        8.0,
        vec![lease(0, Some("other-2-bbbbbb"), "active", Some(3), 0)],
    ));
    assert!(app.view().fleet.as_ref().unwrap().held_here(0), "frozen");
    assert!(!app.live().fleet.as_ref().unwrap().held_here(0), "live");
}

#[test]
fn open_reply_windows_close_after_5_min_and_c2c_after_an_hour() {
    let mut app = one_shard();
    app.apply(
        &dispatch(0, 100.0, 1, "GROUP_AT_MESSAGE_CREATE", "{}"),
        at(100.0),
    );
    app.apply(
        &dispatch(0, 100.5, 2, "C2C_MESSAGE_CREATE", "{}"),
        at(100.5),
    );
    app.apply(&dispatch(0, 101.0, 3, "AT_MESSAGE_CREATE", "{}"), at(101.0));
    app.apply(&dispatch(0, 101.0, 4, "GUILD_MEMBER_ADD", "{}"), at(101.0));
    let open = |app: &mut qqbot::tui::App, secs: f64| {
        app.tick(at(secs));
        let o = app.view().open_replies();
        (o.total, o.c2c)
    };
    assert_eq!(
        open(&mut app, 101.0),
        (3, 1),
        "a member event takes no reply"
    );
    assert_eq!(open(&mut app, 399.9), (3, 1), "inside 5 min");
    assert_eq!(
        open(&mut app, 400.0),
        (2, 1),
        "the group message's window closed"
    );
    assert_eq!(open(&mut app, 401.0), (1, 1), "so did the guild message's");
    assert_eq!(open(&mut app, 3699.0), (1, 1), "C2C: an hour");
    assert_eq!(open(&mut app, 3700.0), (0, 0));
}

#[test]
fn sources_count_events_by_group_guild_and_user() {
    let mut app = one_shard();
    let feed = [
        (
            1.0,
            "GROUP_AT_MESSAGE_CREATE",
            r#"{"group_openid":"G1","author":{"member_openid":"M1"}}"#,
        ),
        (2.0, "GROUP_AT_MESSAGE_CREATE", r#"{"group_openid":"G1"}"#),
        (
            3.0,
            "AT_MESSAGE_CREATE",
            r#"{"guild_id":"100","channel_id":"7"}"#,
        ),
        (
            4.0,
            "C2C_MESSAGE_CREATE",
            r#"{"author":{"user_openid":"U1"}}"#,
        ),
        (5.0, "FRIEND_ADD", r#"{"openid":"U1","timestamp":1}"#),
        (6.0, "READY_LIKE", r#"{}"#),
    ];
    for (n, (secs, t, d)) in feed.into_iter().enumerate() {
        app.apply(&dispatch(0, secs, n as u64, t, d), at(secs));
    }
    let rows: Vec<(String, u64)> = app
        .view()
        .sources_sorted(None)
        .iter()
        .map(|r| (r.name.to_string(), r.count))
        .collect();
    assert_eq!(
        rows,
        [
            ("group:G1".to_owned(), 2),
            ("user:U1".to_owned(), 2),
            ("guild:100".to_owned(), 1)
        ]
    );
    assert_eq!(app.view().sources_sorted(Some("guild")).len(), 1);
}
