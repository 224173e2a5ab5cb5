//! Replay pacing: when each record is due, from recorded offsets and a speed factor. Pure: the
//! caller owns the clock and the sleeping.

use std::time::Duration;

/// How fast to replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Recorded gaps divided by this factor (`--speed 2` is twice as fast).
    Factor(f64),
    /// No delays at all (`--max-speed`).
    Max,
}

/// A speed factor that is not a positive finite number.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("speed must be a positive number, got {0}")]
pub struct SpeedError(pub f64);

impl Speed {
    /// Recorded speed.
    pub const REAL_TIME: Speed = Speed::Factor(1.0);

    /// Validate a `--speed` factor.
    pub fn factor(x: f64) -> Result<Speed, SpeedError> {
        if x.is_finite() && x > 0.0 {
            Ok(Speed::Factor(x))
        } else {
            Err(SpeedError(x))
        }
    }
}

/// Computes, for each replayed record, when it is due relative to the start of the replay. The
/// first record is due at once; later ones at their recorded distance from it, scaled.
#[derive(Debug, Clone)]
pub struct Pacer {
    speed: Speed,
    first: Option<Duration>,
}

impl Pacer {
    /// A pacer at `speed`.
    pub fn new(speed: Speed) -> Pacer {
        Pacer { speed, first: None }
    }

    /// When the record at `offset` is due, measured from the start of the replay. Offsets
    /// earlier than the first record's are due at once.
    pub fn due(&mut self, offset: Duration) -> Duration {
        let first = *self.first.get_or_insert(offset);
        match self.speed {
            Speed::Max => Duration::ZERO,
            Speed::Factor(f) => offset.saturating_sub(first).div_f64(f),
        }
    }

    /// How long to wait before emitting the record at `offset`, given that `elapsed` has passed
    /// since the replay started. Because it is measured from the start, lateness does not
    /// accumulate: a slow consumer catches up instead of drifting.
    pub fn delay(&mut self, offset: Duration, elapsed: Duration) -> Duration {
        self.due(offset).saturating_sub(elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Offsets of a recording that starts 10 s in (e.g. after `--since 10s`).
    const OFFSETS: [u64; 4] = [10_000, 10_000, 11_000, 14_000];

    fn dues(speed: Speed) -> Vec<Duration> {
        let mut pacer = Pacer::new(speed);
        OFFSETS.iter().map(|o| pacer.due(ms(*o))).collect()
    }

    #[test]
    fn real_time_keeps_gaps() {
        assert_eq!(dues(Speed::REAL_TIME), [ms(0), ms(0), ms(1000), ms(4000)]);
    }

    #[test]
    fn double_speed_halves_gaps() {
        assert_eq!(
            dues(Speed::factor(2.0).unwrap()),
            [ms(0), ms(0), ms(500), ms(2000)]
        );
    }

    #[test]
    fn half_speed_doubles_gaps() {
        assert_eq!(
            dues(Speed::factor(0.5).unwrap()),
            [ms(0), ms(0), ms(2000), ms(8000)]
        );
    }

    #[test]
    fn max_speed_never_waits() {
        assert_eq!(dues(Speed::Max), [Duration::ZERO; 4]);
        let mut pacer = Pacer::new(Speed::Max);
        assert_eq!(pacer.delay(ms(99_000), Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn delay_subtracts_elapsed_without_drift() {
        let mut pacer = Pacer::new(Speed::REAL_TIME);
        assert_eq!(pacer.delay(ms(5000), ms(0)), ms(0));
        assert_eq!(pacer.delay(ms(6000), ms(200)), ms(800));
        // Running late: due already, no negative waits, and the next one is not pushed back.
        assert_eq!(pacer.delay(ms(7000), ms(2500)), ms(0));
        assert_eq!(pacer.delay(ms(8000), ms(2600)), ms(400));
        // An out-of-order (earlier) offset is due at once.
        assert_eq!(pacer.delay(ms(1000), ms(2600)), ms(0));
    }

    #[test]
    fn bad_speeds_are_refused() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Speed::factor(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Speed::factor(-1.0).unwrap_err().to_string(),
            "speed must be a positive number, got -1"
        );
    }
}
