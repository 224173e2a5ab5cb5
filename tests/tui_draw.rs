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
