//! Heartbeat bookkeeping: when the next beat is due, whether the last one was ACKed.
//!
//! Pure: the caller passes `now` and acts on the returned [`Tick`].

use std::time::Duration;

use tokio::time::Instant;

use crate::gateway::config::HeartbeatConfig;

/// What a due deadline means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Send a heartbeat now.
    Beat,
    /// Too many beats went unacknowledged: the connection is a zombie.
    Zombie {
        /// Missed ACKs in a row.
        missed: u32,
    },
    /// Nothing to do yet.
    Idle,
}

/// Heartbeat state for one connection.
///
/// Without a `timeout`, a beat not acknowledged by the time the next one is due counts as
/// missed, and `max_missed` misses in a row make the connection a zombie. With a `timeout`
/// (which may be longer than the interval), beats keep going out while unacknowledged and the
/// connection is a zombie once the oldest unacknowledged beat is older than the timeout;
/// `max_missed` does not apply then.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    interval: Duration,
    timeout: Option<Duration>,
    max_missed: u32,
    next_beat: Instant,
    /// Beats sent since the last ACK.
    pending: Option<Pending>,
    missed: u32,
    /// Whether the driver has stopped reading the socket (the consumer is behind): an ACK sent
    /// by the gateway cannot be seen until reading resumes.
    reads_paused: bool,
}

/// Beats not yet acknowledged.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// The oldest unacknowledged beat (the timeout runs from it).
    oldest: Instant,
    /// The latest beat (the round trip is measured from it).
    latest: Instant,
    /// How many beats since the last ACK.
    beats: u32,
    /// Already counted as missed.
    counted: bool,
    /// Reading was paused at some point while it was outstanding: its ACK may be sitting unread
    /// in the socket, so it can neither be missed nor measured.
    blind: bool,
}

impl Heartbeat {
    /// Start beating: the first beat is due `first_delay` from `now` (one interval, or less with jitter).
    pub fn new(
        interval: Duration,
        first_delay: Duration,
        now: Instant,
        config: &HeartbeatConfig,
    ) -> Heartbeat {
        Heartbeat {
            interval,
            timeout: config.timeout,
            max_missed: config.max_missed.max(1),
            next_beat: now + first_delay,
            pending: None,
            missed: 0,
            reads_paused: false,
        }
    }

    /// The driver stopped reading the socket (backpressure from the consumer).
    pub fn pause_reads(&mut self) {
        self.reads_paused = true;
        if let Some(pending) = &mut self.pending {
            pending.blind = true;
        }
    }

    /// The driver reads the socket again.
    pub fn resume_reads(&mut self) {
        self.reads_paused = false;
    }

    /// The interval in use.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Missed ACKs in a row.
    pub fn missed(&self) -> u32 {
        self.missed
    }

    /// When [`on_due`](Self::on_due) must be called next.
    pub fn deadline(&self) -> Instant {
        match (self.pending, self.timeout) {
            (Some(p), Some(timeout)) if !p.blind => self.next_beat.min(p.oldest + timeout),
            _ => self.next_beat,
        }
    }

    /// Count the pending beat as missed; `true` when that makes the connection a zombie.
    fn count_missed(&mut self) -> bool {
        if let Some(pending) = &mut self.pending
            && !pending.counted
        {
            pending.counted = true;
            self.missed += 1;
        }
        self.missed >= self.max_missed
    }

    fn fresh(&self, now: Instant) -> Pending {
        Pending {
            oldest: now,
            latest: now,
            beats: 1,
            counted: false,
            blind: self.reads_paused,
        }
    }

    /// Advance to `now`.
    pub fn on_due(&mut self, now: Instant) -> Tick {
        if let (Some(p), Some(timeout)) = (self.pending, self.timeout)
            && !p.blind
            && now >= p.oldest + timeout
        {
            self.missed = p.beats;
            return Tick::Zombie { missed: p.beats };
        }
        if now < self.next_beat {
            return Tick::Idle;
        }
        match (self.timeout, self.pending) {
            // The next-beat rule. A beat whose ACK qqbot could not read (reading was paused)
            // is not a missed beat.
            (None, pending) => {
                if pending.is_some_and(|p| !p.blind) && self.count_missed() {
                    return Tick::Zombie {
                        missed: self.missed,
                    };
                }
                self.pending = Some(self.fresh(now));
            }
            // The timeout rule: keep the oldest unacknowledged beat.
            (Some(_), Some(mut p)) if !p.blind || self.reads_paused => {
                p.beats += 1;
                p.latest = now;
                p.blind |= self.reads_paused;
                self.pending = Some(p);
            }
            (Some(_), _) => self.pending = Some(self.fresh(now)),
        }
        self.next_beat = now + self.interval;
        Tick::Beat
    }

    /// An ACK arrived: the round trip since the latest beat, if one was outstanding and reading
    /// was not paused meanwhile (then the time measures qqbot's own pause, not the network).
    pub fn on_ack(&mut self, now: Instant) -> Option<Duration> {
        let pending = self.pending.take()?;
        self.missed = 0;
        (!pending.blind).then(|| now.saturating_duration_since(pending.latest))
    }
}

/// Where a durable sink says how far it has kept a session's events, so heartbeats acknowledge
/// only that far (see [`GatewayConfig::heartbeat_cursor`](crate::gateway::GatewayConfig)).
///
/// The documented heartbeat carries "the latest `s`"; the platform does not check it (satori
/// sends none at all, PROTOCOL.md §3.6), and what it does with it is undocumented. A gateway
/// that trims its replay buffer to the heartbeated `s` (the emulator does) then keeps whatever
/// the sink has not made durable, so a process killed before its sink acknowledged an event
/// resumes from the saved cursor and still gets it replayed.
pub trait HeartbeatCursor: Send + Sync {
    /// The `s` to heartbeat for `session_id` on `shard`. `None`: no opinion (the last `s`
    /// received is sent); `Some(None)`: nothing is durable yet (`d` is `null`); `Some(Some(s))`:
    /// at most `s` (never more than what was received).
    fn durable_seq(&self, shard: crate::gateway::ShardId, session_id: &str) -> Option<Option<u64>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn hb(config: HeartbeatConfig) -> (Heartbeat, Instant) {
        let now = Instant::now();
        (Heartbeat::new(2 * SEC, 2 * SEC, now, &config), now)
    }

    #[test]
    fn beats_every_interval_while_acked() {
        let (mut h, t0) = hb(HeartbeatConfig::default());
        assert_eq!(h.deadline(), t0 + 2 * SEC);
        assert_eq!(h.on_due(t0 + SEC), Tick::Idle);
        assert_eq!(h.on_due(t0 + 2 * SEC), Tick::Beat);
        assert_eq!(
            h.on_ack(t0 + 2 * SEC + Duration::from_millis(30)),
            Some(Duration::from_millis(30))
        );
        assert_eq!(h.deadline(), t0 + 4 * SEC);
        assert_eq!(h.on_due(t0 + 4 * SEC), Tick::Beat);
    }

    #[test]
    fn unacked_beat_by_next_beat_is_a_zombie() {
        let (mut h, t0) = hb(HeartbeatConfig::default());
        assert_eq!(h.on_due(t0 + 2 * SEC), Tick::Beat);
        assert_eq!(h.on_due(t0 + 4 * SEC), Tick::Zombie { missed: 1 });
    }

    #[test]
    fn max_missed_two_tolerates_one_miss() {
        let (mut h, t0) = hb(HeartbeatConfig {
            max_missed: 2,
            ..Default::default()
        });
        assert_eq!(h.on_due(t0 + 2 * SEC), Tick::Beat);
        assert_eq!(h.on_due(t0 + 4 * SEC), Tick::Beat);
        assert_eq!(h.missed(), 1);
        assert_eq!(h.on_due(t0 + 6 * SEC), Tick::Zombie { missed: 2 });
    }

    #[test]
    fn ack_timeout_fires_before_next_beat() {
        let (mut h, t0) = hb(HeartbeatConfig {
            timeout: Some(Duration::from_millis(500)),
            ..Default::default()
        });
        assert_eq!(h.on_due(t0 + 2 * SEC), Tick::Beat);
        assert_eq!(h.deadline(), t0 + 2 * SEC + Duration::from_millis(500));
        assert_eq!(h.on_due(h.deadline()), Tick::Zombie { missed: 1 });
    }

    #[test]
    fn a_beat_outstanding_while_reads_were_paused_is_not_missed() {
        let (mut h, t0) = hb(HeartbeatConfig {
            timeout: Some(Duration::from_millis(500)),
            ..Default::default()
        });
        assert_eq!(h.on_due(t0 + 2 * SEC), Tick::Beat);
        h.pause_reads();
        // Neither the ACK timeout nor the next beat judges the connection while qqbot is not
        // reading: beats keep going out.
        assert_eq!(h.deadline(), t0 + 4 * SEC, "no ACK timeout while blind");
        assert_eq!(h.on_due(t0 + 4 * SEC), Tick::Beat);
        assert_eq!(h.on_due(t0 + 6 * SEC), Tick::Beat);
        assert_eq!(h.missed(), 0);
        h.resume_reads();
        assert_eq!(h.on_ack(t0 + 6 * SEC + SEC / 2), None, "blind ACK: no RTT");
        assert_eq!(h.on_due(t0 + 8 * SEC), Tick::Beat);
        assert_eq!(h.on_due(t0 + 10 * SEC), Tick::Zombie { missed: 1 });
    }

    #[test]
    fn a_timeout_longer_than_the_interval_is_honoured() {
        let (mut h, t0) = hb(HeartbeatConfig {
            timeout: Some(5 * SEC),
            ..Default::default()
        });
        assert_eq!(h.on_due(t0 + 2 * SEC), Tick::Beat);
        assert_eq!(
            h.on_due(t0 + 4 * SEC),
            Tick::Beat,
            "not judged at the next beat"
        );
        assert_eq!(h.on_due(t0 + 6 * SEC), Tick::Beat);
        assert_eq!(
            h.deadline(),
            t0 + 7 * SEC,
            "five seconds after the oldest beat"
        );
        assert_eq!(h.on_due(t0 + 7 * SEC), Tick::Zombie { missed: 3 });
        // An ACK in time restarts the clock, and the round trip runs from the latest beat.
        let (mut h, t0) = hb(HeartbeatConfig {
            timeout: Some(5 * SEC),
            ..Default::default()
        });
        h.on_due(t0 + 2 * SEC);
        h.on_due(t0 + 4 * SEC);
        assert_eq!(h.on_ack(t0 + 4 * SEC + SEC / 10), Some(SEC / 10));
        assert_eq!(h.on_due(t0 + 6 * SEC), Tick::Beat);
        assert_eq!(h.on_due(t0 + 8 * SEC), Tick::Beat);
    }

    #[test]
    fn late_ack_does_not_count_twice() {
        let (mut h, t0) = hb(HeartbeatConfig::default());
        assert_eq!(h.on_ack(t0), None, "no beat outstanding");
        h.on_due(t0 + 2 * SEC);
        assert!(h.on_ack(t0 + 3 * SEC).is_some());
        assert_eq!(h.on_ack(t0 + 3 * SEC), None);
    }
}
