//! Snapshot tests of the pure `draw` at fixed sizes and a fixed `now`. The `.snap` files under
//! `tests/snapshots/` are the spec of what the dashboard shows: review them by eye when they
//! change (`INSTA_UPDATE=always cargo test --test tui_draw`, then `git diff`).

mod tui_fixture;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qqbot::tui::{App, Header, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(app, f)).unwrap();
    terminal.backend().to_string()
}

fn press(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn dashboard_120x40() {
    let text = render(&tui_fixture::app(), 120, 40);
    assert!(text.contains("Shards 2/2 active"), "{text}");
    assert!(text.contains("ZOMBIE?"), "{text}");
    assert!(text.contains("4009 Session timed out"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn dashboard_80x24() {
    let text = render(&tui_fixture::app(), 80, 24);
    assert!(text.contains("Shards 2/2 active"), "{text}");
    assert!(text.contains("zombie?"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn types_panel_takes_the_bottom_at_80x24_when_focused() {
    let mut app = tui_fixture::app();
    press(&mut app, KeyCode::Tab);
    let text = render(&app, 80, 24);
    assert!(text.contains("Event types"), "{text}");
    assert!(!text.contains("Recent events"), "{text}");
    insta::assert_snapshot!(text);
}

/// `g` turns the types table into a table of sources: the guilds, groups and users events
/// came from, busiest first.
#[test]
fn sources_table_after_g() {
    let mut app = tui_fixture::app();
    press(&mut app, KeyCode::Char('g'));
    let text = render(&app, 120, 40);
    assert!(text.contains(" Sources ("), "{text}");
    assert!(text.contains("group:C9F7D1E2"), "{text}");
    assert!(text.contains("guild:200"), "{text}");
    assert!(!text.contains("Event types"), "{text}");
    insta::assert_snapshot!(text);
    press(&mut app, KeyCode::Char('g'));
    assert!(render(&app, 120, 40).contains("Event types"));
}

#[test]
fn help_overlay() {
    let mut app = tui_fixture::app();
    press(&mut app, KeyCode::Char('?'));
    let text = render(&app, 80, 24);
    assert!(text.contains("pause the view"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn detail_view() {
    let mut app = tui_fixture::app();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let text = render(&app, 120, 40);
    assert!(text.contains("\"content\""), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn paused_and_filtered() {
    let mut app = tui_fixture::app();
    press(&mut app, KeyCode::Char('p'));
    press(&mut app, KeyCode::Char('/'));
    for c in "c2c".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    let typing = render(&app, 120, 40);
    assert!(typing.contains("filter by event type: /c2c"), "{typing}");
    press(&mut app, KeyCode::Enter);
    let text = render(&app, 120, 40);
    assert!(text.contains("PAUSED"), "{text}");
    assert!(text.contains("filter:c2c"), "{text}");
    assert!(!text.contains("GROUP_AT_MESSAGE_CREATE"), "{text}");
    insta::assert_snapshot!(text);
}

/// A source label wider than the status bar (the embedded emulator names its gateway and its
/// control API) is shortened, so PAUSED, the filter and the end of the source still show.
#[test]
fn a_long_source_never_hides_the_status_markers() {
    let source = "embedded emulator (demo scenario) at http://127.0.0.1:40659 (control API \
                  http://127.0.0.1:40659/_emulator/) on 2 shard(s)";
    let mut app = App::new(Header::new(source, "all", 2));
    press(&mut app, KeyCode::Char('p'));
    press(&mut app, KeyCode::Char('/'));
    for c in "c2c".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    app.end_source();
    for width in [80, 120] {
        let text = render(&app, width, 24);
        let status = text.lines().find(|l| l.contains(" qqbot ")).unwrap();
        for marker in ["PAUSED", "filter:c2c", "source ended", "2 shards"] {
            assert!(
                status.contains(marker),
                "{width} columns: {marker}:\n{text}"
            );
        }
        assert!(status.contains("embedded emulator"), "{text}");
        assert!(status.contains('…'), "the source is shortened: {text}");
    }
}

#[test]
fn empty_dashboard_and_tiny_window() {
    let app = App::new(Header::new("sandbox", "GROUP_AND_C2C_EVENT", 1));
    let text = render(&app, 80, 24);
    assert!(text.contains("waiting for events"), "{text}");
    assert!(text.contains("no ACK yet"), "{text}");
    insta::assert_snapshot!(text);
    let tiny = render(&app, 15, 5);
    assert!(
        tiny.contains("too small") || tiny.contains("qqbot"),
        "{tiny}"
    );
}

/// Styles are not in the text snapshots: check the few that carry meaning.
#[test]
fn selection_and_alarms_are_styled() {
    use ratatui::style::{Color, Modifier};
    let mut app = tui_fixture::app();
    press(&mut app, KeyCode::Down);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| draw(&app, f)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let row_of = |needle: &str| {
        (0..40u16)
            .find(|&y| {
                let line: String = (0..120u16).map(|x| buffer[(x, y)].symbol()).collect();
                line.contains(needle)
            })
            .unwrap_or_else(|| panic!("{needle} not on screen"))
    };
    // The second-newest event (selected after one ↓) is reversed; the newest is not.
    let selected = row_of("12:00:58.484");
    let newest = row_of("12:00:58.742");
    assert!(buffer[(2, selected)].modifier.contains(Modifier::REVERSED));
    assert!(!buffer[(2, newest)].modifier.contains(Modifier::REVERSED));
    // The zombie flag is red.
    let zombie = row_of("ZOMBIE?");
    let x = (0..120u16)
        .find(|&x| buffer[(x, zombie)].symbol() == "Z")
        .unwrap();
    assert_eq!(buffer[(x, zombie)].fg, Color::Red);
}

/// The dashboard drawn from a recording of the fixture session equals the one drawn from the
/// live items: recordings double as dashboard fixtures.
#[test]
fn a_recording_of_the_session_draws_the_same_dashboard() {
    use qqbot::record::{
        Header as RecordHeader, RecordReader, RecordWriter, Redaction, Replay, Selection,
    };

    let mut file = Vec::new();
    {
        let mut writer = RecordWriter::new(
            &mut file,
            &RecordHeader::new(tui_fixture::t0()),
            &Redaction::new([]),
        )
        .unwrap();
        for item in tui_fixture::items() {
            writer.write_item(&item).unwrap();
        }
        writer.finish().unwrap();
    }
    let reader = RecordReader::from_reader(std::io::Cursor::new(file)).unwrap();
    let mut app = App::new(tui_fixture::header());
    app.set_diagnostics(tui_fixture::diagnostics());
    let mut replayed = 0;
    for next in Replay::new(reader, Selection::everything()) {
        let item = next.unwrap().item;
        let when = item.received_at;
        app.apply(&item, when);
        replayed += 1;
    }
    app.tick(tui_fixture::now());
    assert_eq!(replayed, tui_fixture::items().len());
    for (w, h) in [(120, 40), (80, 24)] {
        assert_eq!(
            render(&app, w, h),
            render(&tui_fixture::app(), w, h),
            "at {w}x{h}"
        );
    }
}

/// `qqbot tui --cluster`: the shards table lists every shard of the fleet with its owner and
/// lease age from the bucket; shard 0 is held here (live data), shard 1 by another process
/// (its lease: state, session, seq), shards 2 and 3 by nobody.
fn fleet_app() -> App {
    let mut app = App::new(Header {
        shards: 4,
        ..tui_fixture::header()
    });
    app.set_diagnostics(tui_fixture::diagnostics());
    for it in tui_fixture::items() {
        let mut it = it;
        it.shard.count = 4;
        let when = it.received_at;
        app.apply(&it, when);
    }
    let row = |id: u32, owner: Option<&str>, state: &str, seq: Option<u64>, age: i64| {
        qqbot::cluster::ShardStatus {
            shard: [id, 4],
            owner: owner.map(str::to_owned),
            state: state.into(),
            session_id: owner.map(|_| format!("c0ffee{id}0-1234")),
            seq,
            lease_age_ms: Some(age),
            expired: false,
            revision: Some(7),
        }
    };
    let mut expired = row(3, Some("web2-777-0ddba1"), "active", Some(5), 61_000);
    expired.expired = true;
    app.set_fleet(qqbot::tui::FleetRead {
        owner: "web1-19007-1a4f37".into(),
        at: tui_fixture::at(58.0),
        result: Ok(qqbot::cluster::FleetStatus {
            bucket: "qqbot_1".into(),
            shards: vec![
                row(0, Some("web1-19007-1a4f37"), "active", Some(30), 400),
                row(1, Some("web1-19004-31f142"), "active", Some(1234), 1500),
                row(2, None, "released", Some(9), 30_000),
                expired,
            ],
            members: vec![
                qqbot::cluster::Member {
                    owner: "web1-19004-31f142".into(),
                    shards: vec![1],
                    updated_at_ms: 0,
                    expires_at_ms: 0,
                },
                qqbot::cluster::Member {
                    owner: "web1-19007-1a4f37".into(),
                    shards: vec![0],
                    updated_at_ms: 0,
                    expires_at_ms: 0,
                },
            ],
        }),
    });
    app.tick(tui_fixture::now());
    app
}

#[test]
fn fleet_dashboard_120x40() {
    let text = render(&fleet_app(), 120, 40);
    assert!(
        text.contains("Shards 2/4 active · 1 here · 2 members"),
        "{text}"
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("/4 ")).collect();
    let row = |id: &str| {
        *rows
            .iter()
            .find(|l| l.trim_start_matches(['"', '│', ' ']).starts_with(id))
            .unwrap_or_else(|| panic!("row {id} in\n{text}"))
    };
    assert!(row("0/4").contains("here"), "{text}");
    assert!(row("1/4").contains("-19004-31f142"), "{text}");
    assert!(row("1/4").contains("1234"), "the lease's seq:\n{text}");
    assert!(
        row("1/4").contains("3.5s"),
        "lease age grows after the read:\n{text}"
    );
    assert!(row("2/4").contains("released"), "{text}");
    assert!(row("3/4").contains("expired"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn fleet_dashboard_80x24_and_a_failed_read() {
    let mut app = fleet_app();
    app.set_fleet(qqbot::tui::FleetRead {
        owner: "web1-19007-1a4f37".into(),
        at: tui_fixture::at(59.0),
        result: Err("NATS did not answer within 2500 ms".into()),
    });
    let text = render(&app, 80, 24);
    assert!(
        text.contains("bucket unreadable (last read 2s ago)"),
        "{text}"
    );
    assert!(text.contains("here"), "{text}");
    insta::assert_snapshot!(text);
}

/// `qqbot tui --from nats://…`: shards known from the stream's events only.
#[test]
fn stream_dashboard_names_the_shards_seen() {
    let mut app = App::new(Header {
        stream: true,
        ..Header::new("nats://127.0.0.1:4222 stream QQBOT", "all", 1)
    });
    for (n, shard) in [3u32, 1].into_iter().enumerate() {
        let mut it =
            tui_fixture::dispatch(shard, n as f64, 10 + n as u64, "AT_MESSAGE_CREATE", "{}");
        it.shard.count = 4;
        let when = it.received_at;
        app.apply(&it, when);
    }
    app.tick(tui_fixture::at(5.0));
    let text = render(&app, 120, 40);
    assert!(
        text.contains("Shards 2/4 with events in the stream"),
        "{text}"
    );
    assert!(text.contains("via stream"), "{text}");
    assert!(text.contains("4 shards"), "{text}");
}
