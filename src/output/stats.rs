//! Running statistics over items: what `listen`'s exit summary, `replay --stats` and the TUI show.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::gateway::latency::Latency;
use crate::gateway::{Cause, GatewayItem, ItemKind};

/// Aggregates over a stream of items.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Dispatches by `t`.
    pub by_type: BTreeMap<String, u64>,
    /// Dispatches in total.
    pub events: u64,
    /// Connections that ended (any cause but qqbot's own shutdown).
    pub closes: u64,
    /// Of those: closed by the gateway with a close frame.
    pub server_closes: u64,
    /// Of those: dropped without a close frame, or broken by a protocol/I-O error.
    pub drops: u64,
    /// Of those: op 7 reconnect requests (qqbot closed with 4000 and resumed).
    pub reconnect_requests: u64,
    /// Of those: closed by qqbot as zombies (heartbeats not acknowledged).
    pub zombies: u64,
    /// Of those: closed by qqbot for another reason (op 9, no Hello).
    pub client_closes: u64,
    /// Close codes seen, with counts (`None` = no close frame).
    pub close_codes: BTreeMap<Option<u16>, u64>,
    /// Sessions resumed.
    pub resumes: u64,
    /// READYs (fresh identifies that succeeded).
    pub readies: u64,
    /// Items dropped because the consumer was slow.
    pub dropped: u64,
    /// Events the gateway did not replay after a resume ([`ItemKind::Gap`]): lost, at most
    /// this many.
    pub missed: u64,
    /// Duplicates dropped by `--dedup`.
    pub duplicates: u64,
    /// Dispatches the filters (`-e`, `--guild`, …) left out on purpose (counted by the
    /// consumer, not by [`Stats::record`]).
    pub filtered: u64,
    /// Dispatches the consumer wrote (or recorded/forwarded with no output), also counted by
    /// the consumer.
    pub shown: u64,
    /// Errors reported.
    pub errors: u64,
    /// Heartbeat round trips.
    pub rtt: Latency,
}

impl Stats {
    /// Account for one item.
    pub fn record(&mut self, item: &GatewayItem) {
        match &item.kind {
            ItemKind::Dispatch(d) => {
                self.events += 1;
                if let Some(count) = self.by_type.get_mut(&*d.t) {
                    *count += 1;
                } else {
                    self.by_type.insert(d.t.to_string(), 1);
                }
            }
            ItemKind::Closed { cause, code, .. } => {
                let counter = match cause {
                    Cause::Shutdown => return,
                    Cause::Closed { code: Some(_), .. } => &mut self.server_closes,
                    Cause::Closed { code: None, .. } | Cause::Transport { .. } => &mut self.drops,
                    Cause::ReconnectRequested => &mut self.reconnect_requests,
                    Cause::Zombie { .. } => &mut self.zombies,
                    Cause::InvalidSession { .. } | Cause::HelloTimeout => &mut self.client_closes,
                };
                *counter += 1;
                self.closes += 1;
                *self.close_codes.entry(*code).or_default() += 1;
            }
            ItemKind::Resumed { .. } => self.resumes += 1,
            ItemKind::Ready { .. } => self.readies += 1,
            ItemKind::Lagged { dropped } => self.dropped += dropped,
            ItemKind::Gap { after, next } => self.missed += next - after - 1,
            ItemKind::HeartbeatAck { rtt } => self.rtt.record(*rtt),
            ItemKind::Error { .. } | ItemKind::Fatal { .. } => self.errors += 1,
            _ => {}
        }
    }

    /// Account for `n` dispatches of type `t` at once (lines formatted elsewhere, e.g. by
    /// [`crate::record::NdjsonReplay`]): what `n` calls of [`Stats::record`] would count.
    pub fn record_dispatches(&mut self, t: &str, n: u64) {
        self.events += n;
        if let Some(count) = self.by_type.get_mut(t) {
            *count += n;
        } else {
            self.by_type.insert(t.to_owned(), n);
        }
    }

    /// Heartbeat latency at a quantile (0.0–1.0), if any ACK was seen.
    pub fn rtt_quantile(&self, q: f64) -> Option<Duration> {
        self.rtt.quantile(q)
    }

    /// The multi-line summary printed on exit.
    pub fn summary(&self, elapsed: Duration) -> String {
        let mut out = String::new();
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.events as f64 / secs
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "summary: {} event(s) in {} ({rate:.1}/s), {} disconnect(s), {} resume(s), {} dropped, {} duplicate(s) skipped",
            self.events,
            human_duration(elapsed),
            self.closes,
            self.resumes,
            self.dropped,
            self.duplicates,
        );
        if self.missed > 0 {
            let _ = writeln!(
                out,
                "  LOST: up to {} event(s) the gateway did not replay after a resume (see the `gap` lines)",
                self.missed
            );
        }
        if self.filtered > 0 {
            let _ = writeln!(
                out,
                "  {} shown, {} filtered out by -e/--guild/--channel/--group/--user/--filter",
                self.shown, self.filtered
            );
        }
        let shown: Vec<(String, u64)> = self
            .by_type
            .iter()
            .map(|(t, n)| (display_type(t), *n))
            .collect();
        let width = shown
            .iter()
            .map(|(t, _)| t.chars().count())
            .max()
            .unwrap_or(0);
        for (t, n) in &shown {
            let _ = writeln!(out, "  {t:<width$}  {n}");
        }
        if let (Some(p50), Some(p99)) = (self.rtt_quantile(0.5), self.rtt_quantile(0.99)) {
            let _ = writeln!(
                out,
                "  heartbeat rtt p50 {:.1} ms, p99 {:.1} ms ({} ack(s))",
                p50.as_secs_f64() * 1000.0,
                p99.as_secs_f64() * 1000.0,
                self.rtt.samples()
            );
        }
        if self.closes > 0 {
            let mut parts = Vec::new();
            for (n, what) in [
                (self.server_closes, "closed by the gateway"),
                (self.drops, "dropped or broken"),
                (self.reconnect_requests, "op 7 reconnect request(s)"),
                (self.zombies, "zombie(s) closed by qqbot"),
                (self.client_closes, "other close(s) by qqbot"),
            ] {
                if n > 0 {
                    parts.push(format!("{n} {what}"));
                }
            }
            let _ = writeln!(out, "  disconnects: {}", parts.join(", "));
        }
        if self.errors > 0 {
            let _ = writeln!(
                out,
                "  errors: {} (bad frames, failed connection attempts, replayed events; see the error lines)",
                self.errors
            );
        }
        if !self.close_codes.is_empty() {
            let codes: Vec<String> = self
                .close_codes
                .iter()
                .map(|(code, n)| match code {
                    Some(c) => format!("{c}×{n}"),
                    None => format!("no-close-frame×{n}"),
                })
                .collect();
            let _ = writeln!(out, "  closes: {}", codes.join(", "));
        }
        out
    }
}

/// The most characters of an event type the summary shows; longer ones are elided with `…`.
/// (`t` comes from the wire: a 64 KiB one would otherwise overflow the formatter's width.)
pub const MAX_TYPE_DISPLAY: usize = 64;

/// An event type as the summary shows it: control characters as spaces, at most
/// [`MAX_TYPE_DISPLAY`] characters.
fn display_type(t: &str) -> String {
    let mut shown: String = t
        .chars()
        .take(MAX_TYPE_DISPLAY + 1)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if shown.chars().count() > MAX_TYPE_DISPLAY {
        shown = shown.chars().take(MAX_TYPE_DISPLAY - 1).collect();
        shown.push('…');
    }
    shown
}

/// `1m03s`, `850ms`, `2h01m`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        format!("{}ms", d.as_millis())
    } else if secs < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::ShardId;
    use crate::protocol::CloseAction;

    fn item(kind: ItemKind) -> GatewayItem {
        GatewayItem {
            shard: ShardId::ONE,
            received_at: chrono::Utc::now(),
            kind,
        }
    }

    #[test]
    fn counts_and_summarises() {
        let mut stats = Stats::default();
        stats.record(&item(ItemKind::Closed {
            code: Some(4009),
            reason: String::new(),
            origin: crate::gateway::CloseOrigin::Server,
            action: CloseAction::Resume,
            cause: Cause::Closed {
                code: Some(4009),
                reason: String::new(),
            },
        }));
        stats.record(&item(ItemKind::Closed {
            code: Some(4000),
            reason: "zombie".into(),
            origin: crate::gateway::CloseOrigin::Client,
            action: CloseAction::Resume,
            cause: Cause::Zombie { missed: 1 },
        }));
        stats.record(&item(ItemKind::Resumed {
            seq: None,
            replayed: 2,
            recovered_in: None,
        }));
        for ms in [1, 2, 3, 100] {
            stats.record(&item(ItemKind::HeartbeatAck {
                rtt: Duration::from_millis(ms),
            }));
        }
        stats.record(&item(ItemKind::Lagged { dropped: 5 }));
        let text = stats.summary(Duration::from_secs(63));
        assert!(text.starts_with("summary: 0 event(s) in 1m03s"), "{text}");
        assert!(!text.contains("filtered out"), "{text}");
        stats.filtered = 7;
        stats.shown = 3;
        let filtered = stats.summary(Duration::from_secs(63));
        assert!(filtered.contains("  3 shown, 7 filtered out"), "{filtered}");
        assert!(
            text.contains("2 disconnect(s), 1 resume(s), 5 dropped"),
            "{text}"
        );
        assert!(
            text.contains("disconnects: 1 closed by the gateway, 1 zombie(s) closed by qqbot"),
            "{text}"
        );
        assert!(text.contains("closes: 4000×1, 4009×1"), "{text}");
        assert!(text.contains("p50 2.0 ms"), "{text}");
        let p99 = stats.rtt_quantile(0.99).unwrap();
        assert!(
            p99 >= Duration::from_millis(99) && p99 <= Duration::from_millis(101),
            "{p99:?}"
        );
    }

    #[test]
    fn qqbots_own_shutdown_is_not_a_disconnect() {
        let mut stats = Stats::default();
        stats.record(&item(ItemKind::Closed {
            code: Some(4000),
            reason: "client shutting down".into(),
            origin: crate::gateway::CloseOrigin::Client,
            action: CloseAction::Resume,
            cause: Cause::Shutdown,
        }));
        assert_eq!(stats.closes, 0);
        assert!(stats.close_codes.is_empty());
    }

    #[test]
    fn a_huge_event_type_is_elided_not_a_panic() {
        let huge = "X".repeat(70_000);
        let mut stats = Stats::default();
        for t in [huge.as_str(), "AT_MESSAGE_CREATE", "A\nB"] {
            stats.record(&item(ItemKind::Dispatch(crate::gateway::Dispatch::new(
                None,
                t.into(),
                None,
                "{}".into(),
                0..0,
            ))));
        }
        let text = stats.summary(Duration::from_secs(1));
        assert!(text.len() < 1_000, "{} bytes", text.len());
        let line = text.lines().find(|l| l.contains("XXX")).unwrap();
        assert!(line.contains(&format!("{}…  1", "X".repeat(63))), "{line}");
        assert!(!line.contains(&"X".repeat(64)), "{line}");
        assert!(text.contains("  A B"), "{text}");
        // The raw type is kept for NDJSON and the counts.
        assert!(stats.by_type.contains_key(&huge));
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::from_secs(7260)), "2h01m");
    }
}
