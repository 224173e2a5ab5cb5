//! Exponential backoff with jitter, counting consecutive failures.

use std::time::Duration;

use crate::gateway::config::ReconnectConfig;

/// Consecutive-failure counter and delay calculator. Pure: the caller supplies the random number.
#[derive(Debug, Clone)]
pub struct Backoff {
    config: ReconnectConfig,
    attempt: u32,
}

impl Backoff {
    /// A counter at zero failures.
    pub fn new(config: ReconnectConfig) -> Backoff {
        Backoff { config, attempt: 0 }
    }

    /// Consecutive failures so far.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Count one more failure; returns the new count.
    pub fn fail(&mut self) -> u32 {
        self.attempt = self.attempt.saturating_add(1);
        self.attempt
    }

    /// A session was established (READY/RESUMED): start over.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Whether the failure budget is spent (`max_attempts` 0 never is).
    pub fn exhausted(&self) -> bool {
        self.config.max_attempts != 0 && self.attempt >= self.config.max_attempts
    }

    /// The delay before retry number `attempt` (1-based), with "equal jitter": half fixed, half
    /// random, so retries of many shards spread out. `random` is in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let base = self.config.initial_delay.as_secs_f64()
            * self
                .config
                .backoff_factor
                .max(1.0)
                .powi(attempt.saturating_sub(1).min(64) as i32);
        let capped = base.min(self.config.max_delay.as_secs_f64());
        let jittered = capped / 2.0 + capped / 2.0 * random.clamp(0.0, 1.0);
        Duration::from_secs_f64(jittered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff::new(ReconnectConfig::default())
    }

    #[test]
    fn delays_grow_and_cap() {
        let b = backoff();
        assert_eq!(b.delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(b.delay(2, 1.0), Duration::from_secs(2));
        assert_eq!(b.delay(3, 1.0), Duration::from_secs(4));
        assert_eq!(b.delay(10, 1.0), Duration::from_secs(30));
        assert_eq!(b.delay(1000, 1.0), Duration::from_secs(30));
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_within_half_and_full() {
        let b = backoff();
        for r in [0.0, 0.1, 0.5, 0.99] {
            let d = b.delay(3, r);
            assert!(
                d >= Duration::from_secs(2) && d <= Duration::from_secs(4),
                "{d:?}"
            );
        }
    }

    #[test]
    fn exhaustion_and_reset() {
        let mut b = Backoff::new(ReconnectConfig {
            max_attempts: 5,
            ..ReconnectConfig::default()
        });
        for _ in 0..4 {
            b.fail();
        }
        assert!(!b.exhausted());
        b.fail();
        assert!(b.exhausted());
        b.reset();
        assert_eq!(b.attempt(), 0);
        let mut unlimited = backoff();
        for _ in 0..100 {
            unlimited.fail();
        }
        assert!(!unlimited.exhausted());
    }
}
