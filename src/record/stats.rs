//! `replay --stats`: the run statistics `listen` keeps ([`Stats`]), computed from a recording, plus
//! what only a recording can tell (events per guild/group, frames per direction, op 7 requests).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Deserialize;

use super::format::Dir;
use super::reader::Record;
use super::replay::to_item;
use crate::gateway::ItemKind;
use crate::output::Stats;
use crate::output::stats::human_duration;

/// Aggregates over a whole recording.
#[derive(Debug, Clone, Default)]
pub struct ReplayStats {
    /// Events by type, close codes, resumes, heartbeat latency: exactly what `listen` counts.
    pub stats: Stats,
    /// Dispatches per guild (`guild_id`).
    pub by_guild: BTreeMap<String, u64>,
    /// Dispatches per group (`group_openid`, or `group_id`).
    pub by_group: BTreeMap<String, u64>,
    /// Frames received.
    pub frames_rx: u64,
    /// Frames sent.
    pub frames_tx: u64,
    /// op 7 frames received.
    pub op7_frames: u64,
    /// `reconnect` (op 7) lifecycle events.
    pub op7_events: u64,
    /// Offset of the last record (the recording's length).
    pub span: Duration,
}

#[derive(Deserialize)]
struct Scope<'a> {
    #[serde(default, borrow)]
    guild_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    group_openid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    group_id: Option<Cow<'a, str>>,
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n += 1;
    } else {
        map.insert(key.to_owned(), 1);
    }
}

impl ReplayStats {
    /// Account for one record (any direction, any kind).
    pub fn record(&mut self, record: &Record) {
        self.span = self.span.max(record.offset());
        if let Record::Frame(frame) = record {
            match frame.dir {
                Dir::Rx => self.frames_rx += 1,
                Dir::Tx => self.frames_tx += 1,
            }
            let Some(env) = &frame.envelope else { return };
            if frame.dir == Dir::Rx && env.op == 7 {
                self.op7_frames += 1;
            }
            if frame.dir == Dir::Rx && env.op == 0 && !env.d_range.is_empty() {
                let d = &frame.text[env.d_range.clone()];
                if let Ok(scope) = serde_json::from_str::<Scope<'_>>(d) {
                    if let Some(guild) = scope.guild_id {
                        bump(&mut self.by_guild, &guild);
                    }
                    if let Some(group) = scope.group_openid.or(scope.group_id) {
                        bump(&mut self.by_group, &group);
                    }
                }
            }
        }
        if let Record::Event(e) = record
            && matches!(e.kind, ItemKind::ReconnectRequested)
        {
            self.op7_events += 1;
        }
        if let Some(item) = to_item(record.clone()) {
            self.stats.record(&item);
        }
    }

    /// Reconnect requests (op 7): a recorder may store the frame, the event or both.
    pub fn reconnect_requests(&self) -> u64 {
        self.op7_frames.max(self.op7_events)
    }

    /// The multi-line summary `replay --stats` prints: `listen`'s summary, then the rest.
    pub fn summary(&self) -> String {
        let mut out = self.stats.summary(self.span);
        let _ = writeln!(
            out,
            "  frames: {} received, {} sent; {} reconnect request(s) (op 7)",
            self.frames_rx,
            self.frames_tx,
            self.reconnect_requests()
        );
        for (label, map) in [("guild", &self.by_guild), ("group", &self.by_group)] {
            if map.is_empty() {
                continue;
            }
            let mut top: Vec<_> = map.iter().collect();
            top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let shown: Vec<String> = top
                .iter()
                .take(10)
                .map(|(k, n)| format!("{k}×{n}"))
                .collect();
            let more = map.len().saturating_sub(shown.len());
            let _ = write!(out, "  by {label} ({}): {}", map.len(), shown.join(", "));
            if more > 0 {
                let _ = write!(out, ", … {more} more");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "  recording spans {}", human_duration(self.span));
        out
    }
}
