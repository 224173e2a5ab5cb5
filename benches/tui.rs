//! CPU cost of the dashboard under a 10,000 events/s feed.
//!
//! Feeds synthetic items into `App::apply` at 10,000 items/s, in per-frame batches as `run()`
//! does, and draws at the default frame rate into a 120×40 `TestBackend` (and, separately, into
//! a crossterm backend writing to a sink, which adds the diff-to-escape-codes step), for a few
//! seconds of wall time. Reports CPU time (utime + stime from `/proc/self/stat`) per wall second,
//! next to an idle baseline measured in the same run (the same loop with no items and no draw).
//! Target from the issue: ≤ 15 % of one core.
//!
//! `cargo bench --bench tui` (`TUI_BENCH_SECS=N` to change the duration per phase, default 5).

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use qqbot::gateway::{Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::tui::{App, DEFAULT_FPS, Header, draw};
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const RATE: u64 = 10_000;

/// User + system CPU time of this process so far (Linux; USER_HZ is 100 on every mainstream
/// architecture).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat (Linux only)");
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn pool() -> Vec<GatewayItem> {
    let types = [
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
    let mut items = Vec::with_capacity(1000);
    for n in 0..1000u64 {
        let shard = ShardId {
            id: (n % 4) as u32,
            count: 4,
        };
        if n % 250 == 0 {
            items.push(GatewayItem {
                shard,
                received_at: Utc::now(),
                kind: ItemKind::HeartbeatSent { seq: Some(n) },
            });
            items.push(GatewayItem {
                shard,
                received_at: Utc::now(),
                kind: ItemKind::HeartbeatAck {
                    rtt: Duration::from_millis(20 + n % 40),
                },
            });
            continue;
        }
        let (t, d) = types[(n as usize * 7) % types.len()];
        let frame = format!(r#"{{"op":0,"s":{n},"t":"{t}","id":"{t}:{n}","d":{d}}}"#);
        let start = frame.rfind(d).unwrap();
        items.push(GatewayItem {
            shard,
            received_at: Utc::now(),
            kind: ItemKind::Dispatch(Dispatch::new(
                Some(n),
                t.into(),
                Some(format!("{t}:{n}").as_str()),
                Arc::from(frame.as_str()),
                start..start + d.len(),
            )),
        });
    }
    items
}

/// Run the paced loop for `secs`; returns (CPU per wall second, frames, items).
fn paced<B: Backend>(
    terminal: Option<&mut Terminal<B>>,
    items: &[GatewayItem],
    rate: u64,
    secs: f64,
) -> (f64, u64, u64) {
    let mut terminal = terminal;
    let mut app = App::new(Header::new("bench", "ALL", 4));
    let frame = Duration::from_secs_f64(1.0 / f64::from(DEFAULT_FPS));
    let per_frame = rate as f64 * frame.as_secs_f64();
    let (mut owed, mut next, mut frames, mut fed) = (0.0, 0usize, 0u64, 0u64);
    let cpu0 = cpu_time();
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let mut deadline = start;
    while deadline < end {
        deadline += frame;
        owed += per_frame;
        let now = Utc::now();
        while owed >= 1.0 {
            owed -= 1.0;
            app.apply(&items[next], now);
            next = (next + 1) % items.len();
            fed += 1;
        }
        app.tick(now);
        if let Some(t) = terminal.as_deref_mut() {
            t.draw(|f| draw(&app, f)).unwrap();
            frames += 1;
        }
        if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = (cpu_time() - cpu0).as_secs_f64();
    (cpu / wall, frames, fed)
}

fn main() {
    let secs: f64 = std::env::var("TUI_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let items = pool();
    println!("qqbot tui benchmark: {RATE} items/s, {DEFAULT_FPS} fps, 120x40, {secs} s per phase");

    // Throughput, unpaced: how long one apply and one draw take.
    let mut app = App::new(Header::new("bench", "ALL", 4));
    let n = 1_000_000;
    let now = Utc::now();
    let t = Instant::now();
    for i in 0..n {
        app.apply(&items[i % items.len()], now);
    }
    let apply_ns = t.elapsed().as_nanos() as f64 / n as f64;
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let frames = 300;
    let t = Instant::now();
    for _ in 0..frames {
        term.draw(|f| draw(&app, f)).unwrap();
    }
    let draw_us = t.elapsed().as_micros() as f64 / frames as f64;
    println!(
        "apply: {apply_ns:.0} ns/item ({:.2} M items/s on one core)",
        1000.0 / apply_ns
    );
    println!("draw (TestBackend 120x40, full log and 5 types): {draw_us:.0} µs/frame");

    let (idle, _, _) = paced::<TestBackend>(None, &items, 0, secs);
    println!(
        "baseline (same loop, no items, no draw): {:.2}% of one core",
        idle * 100.0
    );

    let mut test_term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (cpu, frames, fed) = paced(Some(&mut test_term), &items, RATE, secs);
    println!(
        "reducer + draw into TestBackend: {:.2}% of one core ({frames} frames, {fed} items)",
        cpu * 100.0
    );

    let backend = CrosstermBackend::new(io::sink());
    let mut cross = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
        },
    )
    .unwrap();
    let (cpu_x, frames, fed) = paced(Some(&mut cross), &items, RATE, secs);
    println!(
        "reducer + draw + escape codes (crossterm to a sink): {:.2}% of one core ({frames} frames, {fed} items)",
        cpu_x * 100.0
    );
    let verdict = if cpu_x <= 0.15 { "within" } else { "OVER" };
    println!(
        "target ≤ 15% of one core: {verdict} ({:.2}% above the idle baseline)",
        (cpu_x - idle) * 100.0
    );
}
