//! Pure drawing: lays out widgets from an [`App`]. Reads only what `apply` already aggregated,
//! and does work proportional to what is visible (rows on screen, chart width).
//!
//! Layout, top to bottom: shards table; heartbeat-latency chart, event-rate sparkline and
//! connection diagnostics; recent-events log and per-type table; status bar. Below 100 columns
//! or 30 rows the layout collapses: diagnostics shrink to one line and the bottom area shows the
//! events log or the types table, whichever has focus.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Clear, Dataset, GraphType, LegendPosition, Paragraph, Row, Sparkline,
    Table, TableState, Wrap,
};

use super::app::{App, FleetView, Focus, LogEntry, LogKind, ShardView, View};
use crate::cluster::ShardStatus;
use crate::cluster::lease::STATE_FATAL;
use crate::gateway::ShardState;
use crate::gateway::{Cause, CloseOrigin};
use crate::output::fields::EventFields;
use crate::output::human::{snippet, unescape_content};
use crate::protocol::close::lookup;

const SHARD_COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Magenta,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Red,
];

/// Draw the whole dashboard. Pure: the same `App` gives the same frame.
pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < 20 || area.height < 8 {
        frame.render_widget(Paragraph::new("qqbot tui: window too small"), area);
        return;
    }
    let view = app.view();
    let compact = area.width < 100 || area.height < 30;
    let shard_rows = view.shards.len().min(if compact { 4 } else { 8 }) as u16;
    let charts_h = if compact { 7 } else { 10 };
    let diag_h = if compact { 1 } else { 0 };
    let [shards_area, charts_area, diag_line, bottom, status] = Layout::vertical([
        Constraint::Length(shard_rows.max(1) + 3),
        Constraint::Length(charts_h),
        Constraint::Length(diag_h),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);

    draw_shards(app, view, frame, shards_area, compact);
    if compact {
        let [rtt, rate] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(charts_area);
        draw_rtt_chart(view, frame, rtt);
        draw_rate(view, frame, rate);
        draw_diagnostics_line(app, view, frame, diag_line);
        match app.focus {
            Focus::Types => draw_types(app, view, frame, bottom),
            Focus::Events | Focus::Shards => draw_events(app, view, frame, bottom, true),
        }
    } else {
        let [rtt, rate, diag] = Layout::horizontal([
            Constraint::Percentage(40),
            Constraint::Percentage(35),
            Constraint::Percentage(25),
        ])
        .areas(charts_area);
        draw_rtt_chart(view, frame, rtt);
        draw_rate(view, frame, rate);
        draw_diagnostics(app, view, frame, diag);
        let [events, types] =
            Layout::horizontal([Constraint::Percentage(63), Constraint::Percentage(37)])
                .areas(bottom);
        draw_events(app, view, frame, events, false);
        draw_types(app, view, frame, types);
    }
    draw_status(app, frame, status);

    if let Some(detail) = &app.detail {
        let popup = centered(
            area,
            area.width.saturating_sub(8),
            area.height.saturating_sub(4),
        );
        frame.render_widget(Clear, popup);
        let block = Block::bordered()
            .title(Line::from(format!(" {} ", detail.title)).bold())
            .title_bottom(Line::from(" ↑↓ scroll · Esc close ").right_aligned())
            .border_style(Style::default().fg(Color::Cyan));
        frame.render_widget(
            Paragraph::new(detail.body.as_str())
                .block(block)
                .scroll((detail.scroll, 0)),
            popup,
        );
    }
    if app.help {
        draw_help(frame, area);
    }
}

fn panel<'a>(title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    let border = if focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default().fg(Color::DarkGray)
    };
    Block::bordered().title(title.into()).border_style(border)
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// `850ms` → `850ms`, `41.2ms`, `1.20s`.
fn ms(d: std::time::Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{ms:.1}ms")
    }
}

/// A short age: `0s`, `42s`, `3m07s`, `2h01m`, `3d04h`.
fn age(from: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - from).num_seconds().max(0);
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else if secs < 86_400 {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    } else {
        format!("{}d{:02}h", secs / 86_400, (secs % 86_400) / 3600)
    }
}

fn opt_age(from: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    from.map(|t| age(t, now)).unwrap_or_else(|| "-".into())
}

fn state_style(state: ShardState) -> Style {
    match state {
        ShardState::Active => Style::default().fg(Color::Green),
        ShardState::Connecting
        | ShardState::Identifying
        | ShardState::Resuming
        | ShardState::Disconnected { attempt: 0 } => Style::default().fg(Color::Yellow),
        ShardState::Disconnected { .. } => Style::default().fg(Color::LightRed),
        ShardState::FatallyClosed => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

fn close_text(shard: &ShardView, wide: bool) -> String {
    let Some(close) = &shard.last_close else {
        return "-".into();
    };
    match (close.code, close.origin) {
        (None, _) if wide => "no close frame".into(),
        (None, _) => "none".into(),
        (Some(code), _) if !wide => code.to_string(),
        // qqbot's own closes (op 7, zombie, shutdown) say why, not the gateway's table.
        (Some(code), CloseOrigin::Client) => match &close.cause {
            Some(Cause::Zombie { .. }) => format!("{code} zombie"),
            Some(Cause::ReconnectRequested) => format!("{code} op 7"),
            Some(Cause::Shutdown) => format!("{code} shutdown"),
            Some(Cause::InvalidSession { .. }) => format!("{code} op 9"),
            Some(Cause::HelloTimeout) => format!("{code} no hello"),
            _ => format!("{code} by qqbot"),
        },
        (Some(code), CloseOrigin::Server) => match lookup(code) {
            Some(info) => format!("{code} {}", info.name),
            None if !close.reason.is_empty() => format!("{code} {}", close.reason),
            None => format!("{code} unknown"),
        },
    }
}

fn draw_shards(app: &App, view: &View, frame: &mut Frame, area: Rect, compact: bool) {
    if let Some(fleet) = &view.fleet {
        return draw_fleet_shards(app, view, fleet, frame, area, compact);
    }
    let now = view.now;
    let header_cells: &[&str] = if compact {
        &[
            "Shard", "State", "Session", "Seq", "RTT", "p99", "Miss", "Rc", "Res", "Close", "Up",
            "Idle",
        ]
    } else {
        &[
            "Shard",
            "State",
            "Session",
            "Age",
            "Seq",
            "RTT",
            "p99",
            "Miss",
            "Recon",
            "Resumes",
            "Last close",
            "Up",
            "Idle",
            "Flag",
        ]
    };
    let widths: Vec<Constraint> = if compact {
        [5, 11, 8, 6, 6, 6, 4, 2, 3, 5, 5, 5]
            .into_iter()
            .map(Constraint::Length)
            .collect()
    } else {
        let mut w: Vec<Constraint> = [5, 11, 8, 5, 6, 7, 7, 4, 5, 7]
            .into_iter()
            .map(Constraint::Length)
            .collect();
        w.push(Constraint::Fill(1));
        w.extend([5, 5, 7].into_iter().map(Constraint::Length));
        w
    };
    let header = Row::new(header_cells.iter().copied())
        .style(Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let rows = view.shards.iter().map(|s| {
        let zombie = s.zombie_suspect(now);
        let session = s
            .session_id
            .as_deref()
            .map(|id| id.chars().take(8).collect::<String>())
            .unwrap_or_else(|| "-".into());
        let seq = s
            .last_seq
            .map(|n| n.to_string())
            .unwrap_or_else(|| "-".into());
        let rtt = s.rtt.last().map(ms).unwrap_or_else(|| "-".into());
        let p99 = s.rtt_quantile(0.99).map(ms).unwrap_or_else(|| "-".into());
        let miss = Cell::from(s.missed_acks.to_string()).style(if s.missed_acks > 0 {
            Style::default().fg(Color::LightRed)
        } else {
            Style::default()
        });
        let resumes = if compact {
            s.resumes.to_string()
        } else {
            format!("{}/{}", s.resumes, s.resume_attempts)
        };
        let close = Cell::from(close_text(s, !compact)).style(match s.last_close {
            Some(_) => Style::default().fg(Color::Yellow),
            None => Style::default(),
        });
        let state = if compact && zombie {
            Cell::from("zombie?").style(Style::default().fg(Color::Red))
        } else {
            Cell::from(s.label()).style(if s.ended {
                Style::default().fg(Color::DarkGray)
            } else if s.streamed() {
                Style::default().fg(Color::Cyan)
            } else {
                state_style(s.state)
            })
        };
        let mut cells = vec![
            Cell::from(format!("{}/{}", s.id.id, s.id.count)),
            state,
            Cell::from(session),
        ];
        if !compact {
            cells.push(Cell::from(opt_age(s.session_started, now)));
        }
        cells.extend([
            Cell::from(seq),
            Cell::from(rtt),
            Cell::from(p99),
            miss,
            Cell::from(s.reconnects.to_string()),
            Cell::from(resumes),
            close,
            Cell::from(opt_age(s.active_since, now)),
        ]);
        cells.push(Cell::from(opt_age(s.last_dispatch_at, now)));
        if !compact {
            cells.push(if zombie {
                Cell::from("ZOMBIE?").style(Style::default().fg(Color::Red))
            } else {
                Cell::from("")
            });
        }
        Row::new(cells)
    });
    let active = view
        .shards
        .iter()
        .filter(|s| s.state == ShardState::Active && !s.ended)
        .count();
    let streamed = view.shards.iter().filter(|s| s.streamed()).count();
    let title = if view.stream {
        // `--from nats://…`: the shards run elsewhere; their events come through the stream.
        format!(
            " Shards {streamed}/{} with events in the stream ",
            view.shards.len()
        )
    } else {
        format!(" Shards {active}/{} active ", view.shards.len())
    };
    let focused = app.focus == Focus::Shards;
    let table = Table::new(rows, widths)
        .header(header)
        .block(panel(title, focused))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default();
    if focused {
        state.select(Some(
            app.selected_shard.min(view.shards.len().saturating_sub(1)),
        ));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

/// The owner column: `here` for this process, else the owner id's tail (its pid and random
/// part tell processes on one host apart).
fn owner_text(lease: Option<&ShardStatus>, here: bool, width: usize) -> String {
    if here {
        return "here".into();
    }
    match lease.and_then(|l| l.owner.as_deref()) {
        Some(owner) if owner.chars().count() > width => {
            let tail: String = owner
                .chars()
                .skip(owner.chars().count() + 1 - width)
                .collect();
            format!("…{tail}")
        }
        Some(owner) => owner.to_owned(),
        None => "-".into(),
    }
}

/// A lease age: `0.4s`, `12s`, `3m07s`.
fn lease_age(d: std::time::Duration) -> String {
    if d.as_secs() < 10 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        let secs = d.as_secs();
        if secs < 60 {
            format!("{secs}s")
        } else {
            format!("{}m{:02}s", secs / 60, secs % 60)
        }
    }
}

/// The shards table of `--cluster`: every shard of the fleet from the bucket (owner, state, seq,
/// lease age), with this process's own shards showing their live data.
fn draw_fleet_shards(
    app: &App,
    view: &View,
    fleet: &FleetView,
    frame: &mut Frame,
    area: Rect,
    compact: bool,
) {
    let now = view.now;
    let owner_w: usize = if compact { 10 } else { 14 };
    let header_cells: &[&str] = if compact {
        &[
            "Shard", "State", "Owner", "Seq", "RTT", "Rc", "Res", "Close", "Lease", "Idle",
        ]
    } else {
        &[
            "Shard",
            "State",
            "Owner",
            "Session",
            "Seq",
            "RTT",
            "p99",
            "Miss",
            "Recon",
            "Resumes",
            "Last close",
            "Up",
            "Idle",
            "Lease",
            "Flag",
        ]
    };
    let widths: Vec<Constraint> = if compact {
        [5, 11, owner_w as u16, 6, 6, 2, 3, 5, 5, 5]
            .into_iter()
            .map(Constraint::Length)
            .collect()
    } else {
        let mut w: Vec<Constraint> = [5, 11, owner_w as u16, 8, 6, 7, 7, 4, 5, 7]
            .into_iter()
            .map(Constraint::Length)
            .collect();
        w.push(Constraint::Fill(1));
        w.extend([5, 5, 5, 7].into_iter().map(Constraint::Length));
        w
    };
    let header = Row::new(header_cells.iter().copied())
        .style(Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let dim = Style::default().fg(Color::DarkGray);
    let mut active = 0;
    let mut here_count = 0;
    let rows: Vec<Row> = view
        .shards
        .iter()
        .map(|s| {
            let lease = fleet.lease(s.id.id);
            // Before the first read, the shards that report here are taken to be held here.
            let here = if fleet.status.is_some() {
                fleet.held_here(s.id.id)
            } else {
                s.connects > 0 || s.state != ShardState::Disconnected { attempt: 0 }
            };
            let lease_cell = Cell::from(
                lease
                    .and_then(|l| fleet.lease_age(l, now))
                    .map(lease_age)
                    .unwrap_or_else(|| "-".into()),
            )
            .style(if lease.is_some_and(|l| l.expired) {
                Style::default().fg(Color::LightRed)
            } else {
                Style::default()
            });
            let owner = Cell::from(owner_text(lease, here, owner_w)).style(if here {
                Style::default()
                    .fg(Color::Green)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default().fg(Color::Cyan)
            });
            let shard = Cell::from(format!("{}/{}", s.id.id, s.id.count));
            if here {
                here_count += 1;
                if s.state == ShardState::Active && !s.ended {
                    active += 1;
                }
                let zombie = s.zombie_suspect(now);
                let state = if compact && zombie {
                    Cell::from("zombie?").style(Style::default().fg(Color::Red))
                } else {
                    Cell::from(s.label()).style(if s.ended { dim } else { state_style(s.state) })
                };
                let seq = s
                    .last_seq
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into());
                let rtt = s.rtt.last().map(ms).unwrap_or_else(|| "-".into());
                let close = Cell::from(close_text(s, !compact)).style(match s.last_close {
                    Some(_) => Style::default().fg(Color::Yellow),
                    None => Style::default(),
                });
                if compact {
                    return Row::new(vec![
                        shard,
                        state,
                        owner,
                        Cell::from(seq),
                        Cell::from(rtt),
                        Cell::from(s.reconnects.to_string()),
                        Cell::from(s.resumes.to_string()),
                        close,
                        lease_cell,
                        Cell::from(opt_age(s.last_dispatch_at, now)),
                    ]);
                }
                let session = s
                    .session_id
                    .as_deref()
                    .map(|id| id.chars().take(8).collect::<String>())
                    .unwrap_or_else(|| "-".into());
                let miss = Cell::from(s.missed_acks.to_string()).style(if s.missed_acks > 0 {
                    Style::default().fg(Color::LightRed)
                } else {
                    Style::default()
                });
                return Row::new(vec![
                    shard,
                    state,
                    owner,
                    Cell::from(session),
                    Cell::from(seq),
                    Cell::from(rtt),
                    Cell::from(s.rtt_quantile(0.99).map(ms).unwrap_or_else(|| "-".into())),
                    miss,
                    Cell::from(s.reconnects.to_string()),
                    Cell::from(format!("{}/{}", s.resumes, s.resume_attempts)),
                    close,
                    Cell::from(opt_age(s.active_since, now)),
                    Cell::from(opt_age(s.last_dispatch_at, now)),
                    lease_cell,
                    if zombie {
                        Cell::from("ZOMBIE?").style(Style::default().fg(Color::Red))
                    } else {
                        Cell::from("")
                    },
                ]);
            }
            // Held elsewhere (or by nobody): what its lease says.
            let (state, style) = match lease {
                Some(l) if l.expired => {
                    ("expired".to_owned(), Style::default().fg(Color::LightRed))
                }
                Some(l) if l.state == "active" => {
                    active += 1;
                    (l.state.clone(), Style::default().fg(Color::Green))
                }
                Some(l) if l.owner.is_none() => (l.state.clone(), dim),
                Some(l) if l.state == STATE_FATAL => (
                    l.state.clone(),
                    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
                ),
                Some(l) => (l.state.clone(), Style::default().fg(Color::Yellow)),
                None if fleet.status.is_none() => ("?".to_owned(), dim),
                None => ("unleased".to_owned(), dim),
            };
            let seq = lease
                .and_then(|l| l.seq)
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into());
            let dash = || Cell::from("-").style(dim);
            if compact {
                return Row::new(vec![
                    shard,
                    Cell::from(state).style(style),
                    owner,
                    Cell::from(seq),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    lease_cell,
                    dash(),
                ]);
            }
            let session = lease
                .and_then(|l| l.session_id.as_deref())
                .map(|id| id.chars().take(8).collect::<String>())
                .unwrap_or_else(|| "-".into());
            Row::new(vec![
                shard,
                Cell::from(state).style(style),
                owner,
                Cell::from(session),
                Cell::from(seq),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                dash(),
                lease_cell,
                Cell::from(""),
            ])
        })
        .collect();
    let members = fleet.members();
    let mut title = vec![Span::raw(format!(
        " Shards {active}/{} active · {here_count} here · {members} member{} ",
        view.shards.len(),
        if members == 1 { "" } else { "s" }
    ))];
    match (&fleet.error, fleet.read_at) {
        (Some((error, _)), read_at) => title.push(Span::styled(
            format!(
                "· bucket unreadable (last read {}): {} ",
                read_at.map_or("never".to_owned(), |at| format!("{} ago", age(at, now))),
                snippet(error, 40)
            ),
            Style::default().fg(Color::LightRed),
        )),
        (None, None) => title.push(Span::styled("· reading the bucket… ", dim)),
        (None, Some(_)) => {}
    }
    let focused = app.focus == Focus::Shards;
    let table = Table::new(rows, widths)
        .header(header)
        .block(panel(Line::from(title), focused))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default();
    if focused {
        state.select(Some(
            app.selected_shard.min(view.shards.len().saturating_sub(1)),
        ));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

fn draw_rtt_chart(view: &View, frame: &mut Frame, area: Rect) {
    let stats = &view.stats;
    let q = |q: f64| stats.rtt_quantile(q).map(|d| d.as_secs_f64() * 1000.0);
    let title = match (q(0.5), q(0.95), q(0.99)) {
        (Some(p50), Some(p95), Some(p99)) => {
            let name = if area.width >= 46 { "Heartbeat" } else { "RTT" };
            format!(" {name} ms p50 {p50:.1} p95 {p95:.1} p99 {p99:.1} ")
        }
        _ => " Heartbeat RTT (no ACK yet) ".into(),
    };
    let block = panel(title, false);
    let now_ms = view.now.timestamp_millis();
    let oldest = view
        .shards
        .iter()
        .filter_map(|s| s.rtt_samples.front().map(|(t, _)| *t))
        .min()
        .unwrap_or(now_ms);
    let window = ((now_ms - oldest) as f64 / 1000.0).clamp(60.0, 1800.0);
    let series: Vec<Vec<(f64, f64)>> = view
        .shards
        .iter()
        .take(SHARD_COLORS.len())
        .map(|s| {
            s.rtt_samples
                .iter()
                .map(|(t, v)| ((*t - now_ms) as f64 / 1000.0, *v))
                .filter(|(x, _)| *x >= -window)
                .collect()
        })
        .collect();
    let y_max = series
        .iter()
        .flatten()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.2;
    let datasets: Vec<Dataset> = series
        .iter()
        .zip(&view.shards)
        .enumerate()
        .map(|(i, (points, shard))| {
            Dataset::default()
                .name(format!("{}/{}", shard.id.id, shard.id.count))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(SHARD_COLORS[i % SHARD_COLORS.len()]))
                .data(points)
        })
        .collect();
    let legend = (view.shards.len() > 1).then_some(LegendPosition::TopLeft);
    let chart = Chart::new(datasets)
        .block(block)
        .legend_position(legend)
        .hidden_legend_constraints((Constraint::Ratio(1, 3), Constraint::Ratio(3, 4)))
        .x_axis(
            Axis::default()
                .bounds([-window, 0.0])
                .labels([Line::from(format!("-{}", secs_label(window))), "now".into()]),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, y_max])
                .labels(["0".into(), Line::from(format!("{y_max:.0}ms"))]),
        );
    frame.render_widget(chart, area);
}

fn secs_label(secs: f64) -> String {
    let secs = secs.round() as u64;
    if secs >= 60 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

fn draw_rate(view: &View, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(2) as usize;
    let data: Vec<u64> = view.rate_series(width).collect();
    let peak = data.iter().copied().max().unwrap_or(0);
    let title = format!(
        " Events/s {:.1} · peak {peak} · total {} ",
        view.rate_recent(10),
        view.stats.events
    );
    let spark = Sparkline::default()
        .block(panel(title, false))
        .data(&data)
        .style(Style::default().fg(Color::Green));
    frame.render_widget(spark, area);
}

struct DiagFacts {
    connects: String,
    resumes: String,
    identify: String,
    reset: Option<String>,
    token: String,
    dropped: u64,
    errors: u64,
}

fn diag_facts(app: &App, view: &View) -> DiagFacts {
    let now = view.now;
    let (ok, attempts, resumes, resume_attempts) =
        view.shards.iter().fold((0, 0, 0, 0), |(ok, at, r, ra), s| {
            (
                ok + s.connects,
                at + s.connect_attempts(),
                r + s.resumes,
                ra + s.resume_attempts,
            )
        });
    let connects = if attempts == 0 {
        "0/0".to_string()
    } else {
        format!(
            "{ok}/{attempts} ({:.0}%)",
            ok as f64 * 100.0 / attempts as f64
        )
    };
    let d = &app.diagnostics;
    let identify = match (d.identify_remaining, d.identify_total) {
        (Some(r), Some(t)) => format!("{r}/{t}"),
        (Some(r), None) => r.to_string(),
        _ => "-".into(),
    };
    let reset = d
        .identify_reset_at
        .filter(|at| *at > now)
        .map(|at| age(now, at));
    let token = match d.token_expires_at {
        Some(at) if at > now => age(now, at),
        Some(_) => "expired".into(),
        None => "-".into(),
    };
    DiagFacts {
        connects,
        resumes: format!("{resumes}/{resume_attempts}"),
        identify,
        reset,
        token,
        // Items dropped and events the gateway did not replay after a resume: both lost.
        dropped: view.stats.dropped + view.stats.missed,
        errors: view.stats.errors,
    }
}

fn draw_diagnostics(app: &App, view: &View, frame: &mut Frame, area: Rect) {
    let f = diag_facts(app, view);
    let label = |s: &'static str| Span::styled(s, Style::default().fg(Color::DarkGray));
    let warn = |n: u64| {
        if n > 0 {
            Style::default().fg(Color::LightRed)
        } else {
            Style::default()
        }
    };
    let lines = vec![
        Line::from(vec![label("connects "), Span::raw(f.connects)]),
        Line::from(vec![label("resumes  "), Span::raw(f.resumes)]),
        Line::from(vec![label("identify "), Span::raw(f.identify)]),
        Line::from(vec![
            label("  reset  "),
            Span::raw(f.reset.unwrap_or_else(|| "-".into())),
        ]),
        Line::from(vec![
            label("concur.  "),
            Span::raw(
                app.diagnostics
                    .max_concurrency
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
        ]),
        Line::from(vec![label("token ttl "), Span::raw(f.token)]),
        Line::from(vec![label("closes   "), Span::raw(closes(view))]),
        Line::from(vec![
            label("dropped  "),
            Span::styled(f.dropped.to_string(), warn(f.dropped)),
            label(" errors "),
            Span::styled(f.errors.to_string(), warn(f.errors)),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(panel(" Connection ", false)),
        area,
    );
}

/// Messages whose passive-reply window is still open, for the events panel's title:
/// ` · 12 replyable (3 C2C)`, nothing when there are none.
fn open_replies(view: &View) -> String {
    match view.open_replies() {
        open if open.total == 0 => String::new(),
        open if open.c2c == 0 => format!(" · {} replyable", open.total),
        open => format!(" · {} replyable ({} C2C)", open.total, open.c2c),
    }
}

/// Reconnects by close code, most frequent first: `4009×2 1006×1`.
fn closes(view: &View) -> String {
    let mut codes: Vec<(Option<u16>, u64)> = view
        .stats
        .close_codes
        .iter()
        .map(|(c, n)| (*c, *n))
        .collect();
    if codes.is_empty() {
        return "-".into();
    }
    codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    codes
        .iter()
        .map(|(code, n)| match code {
            Some(c) => format!("{c}×{n}"),
            None => format!("none×{n}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn draw_diagnostics_line(app: &App, view: &View, frame: &mut Frame, area: Rect) {
    let f = diag_facts(app, view);
    let identify = match &f.reset {
        Some(reset) => format!("{} reset {reset}", f.identify),
        None => f.identify,
    };
    // Most telling first: the line is cut at the right edge.
    let text = format!(
        " connects {} · resumes {} · dropped {} · errors {} · token {} · identify {identify}",
        f.connects, f.resumes, f.dropped, f.errors, f.token
    );
    let style = if f.dropped > 0 || f.errors > 0 {
        Style::default().fg(Color::LightRed)
    } else {
        Style::default().fg(Color::DarkGray)
    };
    frame.render_widget(Paragraph::new(text).style(style), area);
}

fn event_summary(entry: &LogEntry) -> String {
    match &entry.kind {
        LogKind::Lifecycle { text, .. } => text.clone(),
        LogKind::Dispatch { .. } => {
            let fields = EventFields::peek(entry.d().unwrap_or("null"));
            let mut parts: Vec<String> = Vec::with_capacity(3);
            if let Some(g) = fields.group() {
                parts.push(format!("group:{}", snippet(g, 10)));
            } else if let Some(g) = fields.guild_id.as_deref() {
                parts.push(format!("guild:{}", snippet(g, 10)));
            }
            if let Some(who) = fields.who() {
                parts.push(snippet(who, 14));
            }
            if let Some(content) = fields.content.as_deref() {
                // As `listen` shows it: guild content escapes `&`, `<` and `>`.
                let typed = unescape_content(content);
                parts.push(format!("{:?}", snippet(&typed, 60)));
            } else if let Some(name) = fields.name.as_deref() {
                parts.push(format!("name:{}", snippet(name, 24)));
            }
            parts.join(" ")
        }
    }
}

fn draw_events(app: &App, view: &View, frame: &mut Frame, area: Rect, compact: bool) {
    let focused = app.focus == Focus::Events;
    let filter = app.filter.as_deref();
    let visible = area.height.saturating_sub(3) as usize;
    let selected = app.selected_event_index();
    let offset = selected.saturating_sub(visible.saturating_sub(1));
    let tz = app.header.utc_offset;
    let rows: Vec<Row> = view
        .log_newest_first(filter)
        .skip(offset)
        .take(visible)
        .map(|e| {
            let time = e.at.with_timezone(&tz);
            let time = if compact {
                time.format("%H:%M:%S").to_string()
            } else {
                time.format("%H:%M:%S%.3f").to_string()
            };
            let (seq, kind_cell) = match &e.kind {
                LogKind::Dispatch { seq, t, .. } => (
                    seq.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                    Cell::from(t.to_string()).style(Style::default().fg(event_color(t))),
                ),
                LogKind::Lifecycle { key, alarm, .. } => (
                    String::new(),
                    Cell::from(*key).style(if *alarm {
                        Style::default().fg(Color::LightRed)
                    } else {
                        Style::default().fg(Color::DarkGray)
                    }),
                ),
            };
            let mut cells = vec![Cell::from(time)];
            if !compact {
                cells.push(Cell::from(format!("{}/{}", e.shard.id, e.shard.count)));
                cells.push(Cell::from(seq));
            }
            cells.push(kind_cell);
            cells.push(Cell::from(event_summary(e)));
            Row::new(cells)
        })
        .collect();
    let widths: Vec<Constraint> = if compact {
        vec![
            Constraint::Length(8),
            Constraint::Length(24),
            Constraint::Fill(1),
        ]
    } else {
        vec![
            Constraint::Length(12),
            Constraint::Length(3),
            Constraint::Length(5),
            Constraint::Length(23),
            Constraint::Fill(1),
        ]
    };
    let header: &[&str] = if compact {
        &["Time", "Type", "Summary"]
    } else {
        &["Time", "Sh", "Seq", "Type", "Summary"]
    };
    let empty = rows.is_empty();
    let hint = if compact { " · Tab: types" } else { "" };
    let replies = open_replies(view);
    let title = match filter {
        Some(f) => format!(" Recent events (filter: {f}){replies}{hint} "),
        None => format!(" Recent events, newest first{replies}{hint} "),
    };
    let table = Table::new(rows, widths)
        .header(
            Row::new(header.iter().copied())
                .style(Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)),
        )
        .block(panel(title, focused))
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default();
    if focused && !empty {
        state.select(Some(selected - offset));
    }
    frame.render_stateful_widget(table, area, &mut state);
    if empty && area.height > 3 {
        let msg = if filter.is_some() {
            "no event matches the filter"
        } else {
            "waiting for events…"
        };
        let inner = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), 1);
        frame.render_widget(
            Paragraph::new(msg).style(Style::default().fg(Color::DarkGray)),
            inner,
        );
    }
}

fn event_color(t: &str) -> Color {
    if t.contains("MESSAGE_CREATE") {
        Color::Green
    } else if t.contains("DELETE") || t.contains("REJECT") || t.contains("DEL_") {
        Color::Red
    } else if t.contains("MEMBER") || t.contains("FRIEND") || t.contains("ROBOT") {
        Color::Cyan
    } else if t.contains("REACTION") || t.contains("INTERACTION") {
        Color::Yellow
    } else {
        Color::Magenta
    }
}

fn draw_types(app: &App, view: &View, frame: &mut Frame, area: Rect) {
    let focused = app.focus == Focus::Types;
    let (rows, what, column) = if app.show_sources {
        (
            view.sources_sorted(app.filter.as_deref()),
            "Sources",
            "Source",
        )
    } else {
        (
            view.types_sorted(app.filter.as_deref()),
            "Event types",
            "Type",
        )
    };
    let total = rows.len();
    let visible = area.height.saturating_sub(3) as usize;
    let offset = app.types_offset.min(total.saturating_sub(1));
    let now = view.now;
    let table_rows: Vec<Row> = rows
        .iter()
        .skip(offset)
        .take(visible)
        .map(|r| {
            let colour = if app.show_sources {
                Color::Reset
            } else {
                event_color(&r.name)
            };
            Row::new(vec![
                Cell::from(r.name.to_string()).style(Style::default().fg(colour)),
                Cell::from(r.count.to_string()),
                Cell::from(format!("{:.1}", view.type_rate(r))),
                Cell::from(age(r.last_seen, now)),
            ])
        })
        .collect();
    let title = if total > visible && visible > 0 {
        format!(
            " {what} {}-{} of {total} ",
            offset + 1,
            (offset + visible).min(total)
        )
    } else {
        format!(" {what} ({total}) ")
    };
    let table = Table::new(
        table_rows,
        [
            Constraint::Fill(1),
            Constraint::Length(6),
            Constraint::Length(5),
            Constraint::Length(5),
        ],
    )
    .header(
        Row::new([column, "Count", "/s", "Last"])
            .style(Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)),
    )
    .block(panel(title, focused));
    frame.render_widget(table, area);
}

fn draw_status(app: &App, frame: &mut Frame, area: Rect) {
    if let Some(input) = &app.filter_input {
        let line = Line::from(vec![
            Span::styled(" filter by event type: /", Style::default().fg(Color::Cyan)),
            Span::raw(input.as_str()),
            Span::styled("█", Style::default().fg(Color::Cyan)),
            Span::styled(
                "   Enter apply · Esc cancel · empty clears",
                Style::default().fg(Color::DarkGray),
            ),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let shards = app.header.shards.max(app.view().shards.len() as u32).max(1);
    let mut tail = vec![Span::raw(format!(
        " · {shards} shard{}",
        if shards == 1 { "" } else { "s" }
    ))];
    if app.paused() {
        tail.push(Span::raw(" "));
        tail.push(Span::styled(
            " PAUSED ",
            Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(f) = &app.filter {
        tail.push(Span::styled(
            format!(" filter:{f}"),
            Style::default().fg(Color::Yellow),
        ));
    }
    if app.source_ended {
        tail.push(if app.header.replay {
            Span::styled(" replay finished", Style::default().fg(Color::Green))
        } else {
            Span::styled(" source ended", Style::default().fg(Color::LightRed))
        });
    }
    let width = area.width as usize;
    // The markers after the source (shards, PAUSED, the filter, the end of the source) always
    // show: a long source (the embedded emulator names two URLs) is shortened instead.
    let title = Span::styled(" qqbot ", Style::default().add_modifier(Modifier::BOLD));
    let tail_width: usize = tail.iter().map(Span::width).sum();
    let source_room = width.saturating_sub(title.width() + tail_width + 1);
    let head = [
        title,
        Span::styled(
            snippet(&app.header.source, source_room),
            Style::default().fg(Color::Cyan),
        ),
    ];
    let fixed: usize = head.iter().chain(&tail).map(Span::width).sum();
    let intents = app.header.intents.as_str();
    let intents_label = " · intents ";
    // The widest hints that still leave the intents readable (at least 12 columns of them).
    let tiers = [
        "q quit · p pause · Tab focus · ↑↓ scroll · ⏎ detail · / filter · ? help ",
        "q quit · p pause · / filter · ? help ",
        "? help ",
        "",
    ];
    let want = intents.chars().count().min(12) + intents_label.len();
    let hints = tiers
        .iter()
        .copied()
        .find(|h| fixed + want + h.chars().count() < width)
        .unwrap_or("");
    let room = width.saturating_sub(fixed + hints.chars().count() + intents_label.len() + 1);
    let mut spans: Vec<Span> = head.into_iter().collect();
    if room >= 4 {
        spans.push(Span::raw(intents_label));
        spans.push(Span::raw(snippet(intents, room)));
    }
    spans.extend(tail);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    frame.render_widget(
        Paragraph::new(hints)
            .alignment(Alignment::Right)
            .style(Style::default().fg(Color::DarkGray)),
        area,
    );
}

/// The dashboard's keys, as the `?` overlay and `qqbot tui --help` list them.
pub const KEYS: &[(&str, &str)] = &[
    ("q, Ctrl-C", "quit and print the summary"),
    ("p, Space", "pause the view (items are still counted)"),
    ("Tab, S-Tab", "focus shards / events / types"),
    ("↑ ↓ PgUp PgDn", "scroll the focused panel"),
    ("Home, End", "newest / oldest"),
    ("Enter", "open the selected event's JSON"),
    ("Esc", "close a popup, clear the filter"),
    ("/", "filter by event type (substring)"),
    ("g", "event types / sources (guild, group, user)"),
    ("?", "this help"),
];

fn draw_help(frame: &mut Frame, area: Rect) {
    let keys = KEYS;
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:>14}  "), Style::default().fg(Color::Cyan)),
                Span::raw(*v),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(
        "Zombie? = a heartbeat unacknowledged for longer than the interval, or no frame for two intervals.",
    ));
    lines.push(Line::from(
        "N replyable = messages still inside their passive-reply window (5 min; C2C 60 min).",
    ));
    let width = 64.min(area.width);
    // Lines wrap inside the borders: count the rows they take, so the last one is not cut.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let popup = centered(area, width, (rows as u16 + 2).min(area.height));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(Line::from(" Keys ").bold())
                .title_bottom(Line::from(" Esc close ").right_aligned())
                .border_style(Style::default().fg(Color::Cyan)),
        ),
        popup,
    );
}
