//! Heartbeat round-trip times: an HDR histogram with p50/p95/p99.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Round-trip time percentiles, as published in metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct LatencySummary {
    /// Number of ACKs measured.
    pub samples: u64,
    /// Most recent round trip.
    pub last: Option<Duration>,
    /// Median.
    pub p50: Option<Duration>,
    /// 95th percentile.
    pub p95: Option<Duration>,
    /// 99th percentile.
    pub p99: Option<Duration>,
}

/// Records heartbeat round trips in microseconds (1 µs to 10 min, 3 significant digits). The one
/// latency type: the gateway keeps one per shard, and the summary and the dashboard record the
/// ACKs they are shown into the same type.
#[derive(Debug, Clone)]
pub struct Latency {
    histogram: Histogram<u64>,
    last: Option<Duration>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency::new()
    }
}

impl Latency {
    /// An empty recorder.
    pub fn new() -> Latency {
        Latency::with_precision(3)
    }

    /// An empty recorder keeping `digits` significant digits (2 keeps ~1% and a tenth of the
    /// memory, for a dashboard with many shards). `digits` is clamped to 1–5.
    pub fn with_precision(digits: u8) -> Latency {
        Latency {
            histogram: Histogram::new_with_bounds(1, 600_000_000, digits.clamp(1, 5))
                .expect("static histogram bounds are valid"),
            last: None,
        }
    }

    /// The round trip at quantile `q` (0.0–1.0), if any was recorded.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        (!self.histogram.is_empty())
            .then(|| Duration::from_micros(self.histogram.value_at_quantile(q)))
    }

    /// How many round trips were recorded.
    pub fn samples(&self) -> u64 {
        self.histogram.len()
    }

    /// The most recent round trip.
    pub fn last(&self) -> Option<Duration> {
        self.last
    }

    /// Record one round trip (clamped into the histogram's range).
    pub fn record(&mut self, rtt: Duration) {
        let micros = (rtt.as_micros() as u64).clamp(1, 600_000_000);
        self.histogram.saturating_record(micros);
        self.last = Some(rtt);
    }

    /// Merge another recorder into this one (cluster totals).
    pub fn merge(&mut self, other: &Latency) {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
        if other.last.is_some() {
            self.last = other.last;
        }
    }

    /// The percentiles so far.
    pub fn summary(&self) -> LatencySummary {
        let q = |q: f64| self.quantile(q);
        LatencySummary {
            samples: self.histogram.len(),
            last: self.last,
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_samples() {
        let mut l = Latency::new();
        assert_eq!(l.summary().p50, None);
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.samples, 100);
        let near = |d: Option<Duration>, ms: u64| {
            let d = d.unwrap().as_secs_f64() * 1000.0;
            (d - ms as f64).abs() < ms as f64 * 0.01 + 0.1
        };
        assert!(near(s.p50, 50), "{s:?}");
        assert!(near(s.p95, 95), "{s:?}");
        assert!(near(s.p99, 99), "{s:?}");
        assert_eq!(s.last, Some(Duration::from_millis(100)));
    }

    #[test]
    fn merge_adds_samples() {
        let mut a = Latency::new();
        let mut b = Latency::new();
        a.record(Duration::from_millis(1));
        b.record(Duration::from_millis(3));
        a.merge(&b);
        assert_eq!(a.summary().samples, 2);
    }
}
