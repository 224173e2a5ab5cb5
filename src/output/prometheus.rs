//! Prometheus metrics for `--metrics ADDR`: the text exposition format (0.0.4) on `/metrics`,
//! built with `prometheus-client`.
//!
//! An [`Exporter`] is fed from the same places the exit summary is: every [`GatewayItem`] the
//! pipeline sees ([`Exporter::observe`]), every dispatch it hands on to the output
//! ([`Exporter::handed_on`]), and on each scrape a snapshot of the shards' own metrics
//! ([`Exporter::watch_shards`]) and of an emulator's counters ([`Exporter::watch_emulator`]).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `qqbot_events_received_total` | counter | `type` |
//! | `qqbot_events_handed_on_total` | counter | `type` |
//! | `qqbot_reconnects_total` | counter | `cause` ([`Cause::key`]) |
//! | `qqbot_resumes_total` | counter | |
//! | `qqbot_events_lost_total` | counter (events not replayed after a resume) | |
//! | `qqbot_heartbeat_rtt_seconds` | histogram | |
//! | `qqbot_shard_state` | gauge (1 for the current state) | `shard`, `state` |
//! | `qqbot_shard_last_seq` | gauge | `shard` |
//! | `qqbot_shard_read_paused_seconds_total` | counter (backpressure) | `shard` |
//! | `qqbot_shards_active` | gauge | |
//! | `qqbot_publish_acks_total`, `qqbot_publish_lag_seconds` | counter, gauge | only with [`Exporter::with_publish`] |
//! | `qqbot_emulator_connections_total`, `_identifies_total`, `_resumes_total`, `_dispatches_sent_total` | counter | |
//!
//! Event types come from the wire, so the `type` label is bounded: at most
//! [`MAX_EVENT_TYPES`] distinct values, each at most 64 bytes of `[A-Z0-9_]`; anything else is
//! counted under `type="other"`.

use std::collections::HashSet;
use std::net::SocketAddr;
#[cfg(feature = "emulator")]
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[cfg(feature = "emulator")]
use crate::emulator::EmulatorCounters;
use crate::gateway::{Cause, GatewayItem, ItemKind, ShardHandle};

/// Distinct `type` label values kept; further types count as `other`.
pub const MAX_EVENT_TYPES: usize = 256;

/// `Content-Type` of the scrape.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

type TypeLabel = [(&'static str, Arc<str>); 1];
type CauseLabel = [(&'static str, &'static str); 1];

/// The metrics of one `listen`/`record`/`emulate` process. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Exporter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    received: Family<TypeLabel, Counter>,
    handed_on: Family<TypeLabel, Counter>,
    reconnects: Family<CauseLabel, Counter>,
    resumes: Counter,
    lost: Counter,
    rtt: Histogram,
    types: Mutex<HashSet<Arc<str>>>,
    sampled: Arc<Sampled>,
    publish: Option<PublishMetrics>,
}

/// Hook points for publishing (NATS): registered by [`Exporter::with_publish`].
#[derive(Debug, Clone, Default)]
struct PublishMetrics {
    acks: Counter,
    lag: Gauge<f64, std::sync::atomic::AtomicU64>,
}

/// What is read at scrape time.
#[derive(Debug, Default)]
struct Sampled {
    shards: Mutex<Shards>,
    #[cfg(feature = "emulator")]
    emulator: Mutex<Option<Arc<EmulatorCounters>>>,
}

impl Default for Exporter {
    fn default() -> Exporter {
        Exporter::new()
    }
}

impl Exporter {
    /// An exporter with the gateway and emulator metrics.
    pub fn new() -> Exporter {
        Exporter::build(false)
    }

    /// [`Exporter::new`] plus the publishing metrics (`qqbot_publish_acks_total`,
    /// `qqbot_publish_lag_seconds`), fed by [`Exporter::publish_acked`] and
    /// [`Exporter::set_publish_lag`].
    pub fn with_publish() -> Exporter {
        Exporter::build(true)
    }

    fn build(publish: bool) -> Exporter {
        let mut registry = Registry::default();
        let received = Family::<TypeLabel, Counter>::default();
        let handed_on = Family::<TypeLabel, Counter>::default();
        let reconnects = Family::<CauseLabel, Counter>::default();
        let resumes = Counter::default();
        let lost = Counter::default();
        // 1 ms to ~16 s.
        let rtt = Histogram::new(exponential_buckets(0.001, 2.0, 15));
        registry.register(
            "qqbot_events_received",
            "Dispatches received from the gateway or webhooks, by event type",
            received.clone(),
        );
        registry.register(
            "qqbot_events_handed_on",
            "Dispatches that passed the filters and were written, recorded or forwarded, by event type",
            handed_on.clone(),
        );
        registry.register(
            "qqbot_reconnects",
            "Connections lost (and reconnected), by cause",
            reconnects.clone(),
        );
        registry.register(
            "qqbot_resumes",
            "Sessions resumed (RESUMED)",
            resumes.clone(),
        );
        registry.register(
            "qqbot_events_lost",
            "Events the gateway did not replay after a resume (at most this many; `gap` items)",
            lost.clone(),
        );
        registry.register(
            "qqbot_heartbeat_rtt_seconds",
            "Heartbeat round-trip time (heartbeat to ACK)",
            rtt.clone(),
        );
        let publish = publish.then(|| {
            let metrics = PublishMetrics::default();
            registry.register(
                "qqbot_publish_acks",
                "Events acknowledged by the publish target",
                metrics.acks.clone(),
            );
            registry.register(
                "qqbot_publish_lag_seconds",
                "Time from receiving an event to its publish acknowledgement (last seen)",
                metrics.lag.clone(),
            );
            metrics
        });
        let sampled = Arc::new(Sampled::default());
        registry.register_collector(Box::new(SampledCollector(Arc::clone(&sampled))));
        Exporter {
            inner: Arc::new(Inner {
                registry,
                received,
                handed_on,
                reconnects,
                resumes,
                lost,
                rtt,
                types: Mutex::new(HashSet::new()),
                sampled,
                publish,
            }),
        }
    }

    /// Count what an item says: a dispatch received, a lost connection by cause, a resume, a
    /// heartbeat round trip. Call it for every item, before filtering.
    pub fn observe(&self, item: &GatewayItem) {
        match &item.kind {
            ItemKind::Dispatch(d) => {
                self.inner
                    .received
                    .get_or_create(&self.type_label(&d.t))
                    .inc();
            }
            ItemKind::Closed { cause, .. } if !matches!(cause, Cause::Shutdown) => {
                self.inner
                    .reconnects
                    .get_or_create(&[("cause", cause.key())])
                    .inc();
            }
            ItemKind::Resumed { .. } => {
                self.inner.resumes.inc();
            }
            ItemKind::HeartbeatAck { rtt } => self.inner.rtt.observe(rtt.as_secs_f64()),
            ItemKind::Gap { after, next } => {
                self.inner.lost.inc_by(next - after - 1);
            }
            _ => {}
        }
    }

    /// Count a dispatch handed on to the output (after filters and dedup).
    pub fn handed_on(&self, item: &GatewayItem) {
        if let ItemKind::Dispatch(d) = &item.kind {
            self.inner
                .handed_on
                .get_or_create(&self.type_label(&d.t))
                .inc();
        }
    }

    /// Hook point for publishing: one event acknowledged by the publish target. A no-op unless
    /// built with [`Exporter::with_publish`].
    pub fn publish_acked(&self) {
        if let Some(publish) = &self.inner.publish {
            publish.acks.inc();
        }
    }

    /// Hook point for publishing: the time from receiving an event to its acknowledgement. A
    /// no-op unless built with [`Exporter::with_publish`].
    pub fn set_publish_lag(&self, lag: Duration) {
        if let Some(publish) = &self.inner.publish {
            publish.lag.set(lag.as_secs_f64());
        }
    }

    /// Read these shards' state, last `s` and backpressure time on each scrape.
    pub fn watch_shards(&self, shards: Vec<ShardHandle>) {
        *lock(&self.inner.sampled.shards) = Shards::Fixed(shards);
    }

    /// Like [`Exporter::watch_shards`], for a set that changes (a fleet member's leased shards,
    /// [`Fleet::shard_source`](crate::cluster::Fleet::shard_source)): `current` is asked on each
    /// scrape, so shards taken over later appear and shards handed back disappear.
    pub fn watch_shards_with(
        &self,
        current: impl Fn() -> Vec<ShardHandle> + Send + Sync + 'static,
    ) {
        *lock(&self.inner.sampled.shards) = Shards::Live(Box::new(current));
    }

    /// Read an emulator's counters on each scrape (feature `emulator`).
    #[cfg(feature = "emulator")]
    pub fn watch_emulator(&self, counters: Arc<EmulatorCounters>) {
        *lock(&self.inner.sampled.emulator) = Some(counters);
    }

    /// The whole exposition, as `/metrics` serves it.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; an encoder error would be a bug in a label.
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.inner.registry)
        {
            tracing::warn!("metrics: encoding failed: {e}");
        }
        out
    }

    /// Serve `GET /metrics` on `addr` until the returned task is aborted or the process ends.
    /// Returns the bound address (port 0 picks a free one).
    pub async fn serve(
        &self,
        addr: SocketAddr,
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        use axum::http::header::CONTENT_TYPE as CT;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let exporter = self.clone();
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let exporter = exporter.clone();
                async move { ([(CT, CONTENT_TYPE)], exporter.encode()) }
            }),
        );
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("metrics server stopped: {e}");
            }
        });
        Ok((bound, task))
    }

    fn type_label(&self, t: &Arc<str>) -> TypeLabel {
        let well_formed = !t.is_empty()
            && t.len() <= 64
            && t.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if well_formed {
            let mut types = lock(&self.inner.types);
            if types.contains(t) || types.len() < MAX_EVENT_TYPES {
                types.insert(Arc::clone(t));
                return [("type", Arc::clone(t))];
            }
        }
        [("type", Arc::from("other"))]
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The shards read at scrape time.
enum Shards {
    /// A set fixed at start.
    Fixed(Vec<ShardHandle>),
    /// Asked for on each scrape.
    Live(Box<dyn Fn() -> Vec<ShardHandle> + Send + Sync>),
}

impl Default for Shards {
    fn default() -> Shards {
        Shards::Fixed(Vec::new())
    }
}

impl std::fmt::Debug for Shards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shards::Fixed(shards) => f.debug_tuple("Fixed").field(&shards.len()).finish(),
            Shards::Live(_) => f.write_str("Live"),
        }
    }
}

impl Shards {
    fn current(&self) -> std::borrow::Cow<'_, [ShardHandle]> {
        match self {
            Shards::Fixed(shards) => std::borrow::Cow::Borrowed(shards),
            Shards::Live(current) => std::borrow::Cow::Owned(current()),
        }
    }
}

#[derive(Debug)]
struct SampledCollector(Arc<Sampled>);

impl Collector for SampledCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let shards: Vec<_> = lock(&self.0.shards)
            .current()
            .iter()
            .map(|h| h.metrics())
            .collect();
        if !shards.is_empty() {
            let mut state = encoder.encode_descriptor(
                "qqbot_shard_state",
                "Shard state: 1 for the state the shard is in.",
                None,
                MetricType::Gauge,
            )?;
            for m in &shards {
                let labels = [
                    ("shard", m.shard.id.to_string()),
                    ("state", m.state.to_owned()),
                ];
                ConstGauge::new(1i64).encode(state.encode_family(&labels)?)?;
            }
            let mut seq = encoder.encode_descriptor(
                "qqbot_shard_last_seq",
                "Last sequence number (s) the shard saw.",
                None,
                MetricType::Gauge,
            )?;
            for m in &shards {
                let labels = [("shard", m.shard.id.to_string())];
                let value = i64::try_from(m.last_seq.unwrap_or(0)).unwrap_or(i64::MAX);
                ConstGauge::new(value).encode(seq.encode_family(&labels)?)?;
            }
            let mut paused = encoder.encode_descriptor(
                "qqbot_shard_read_paused_seconds",
                "Time the shard stopped reading its socket because the consumer was behind (backpressure).",
                None,
                MetricType::Counter,
            )?;
            for m in &shards {
                let labels = [("shard", m.shard.id.to_string())];
                ConstCounter::new(m.read_paused_for.as_secs_f64())
                    .encode(paused.encode_family(&labels)?)?;
            }
            let active = shards.iter().filter(|m| m.state == "active").count();
            let gauge = ConstGauge::new(active as i64);
            gauge.encode(encoder.encode_descriptor(
                "qqbot_shards_active",
                "Shards with a running session.",
                None,
                gauge.metric_type(),
            )?)?;
        }
        #[cfg(feature = "emulator")]
        if let Some(counters) = lock(&self.0.emulator).clone() {
            for (name, help, value) in [
                (
                    "qqbot_emulator_connections",
                    "WebSocket connections the emulator accepted.",
                    &counters.connections,
                ),
                (
                    "qqbot_emulator_identifies",
                    "Identifies the emulator answered with READY.",
                    &counters.identifies,
                ),
                (
                    "qqbot_emulator_resumes",
                    "Resumes the emulator answered with RESUMED.",
                    &counters.resumes,
                ),
                (
                    "qqbot_emulator_dispatches_sent",
                    "Dispatches the emulator wrote to sockets (replays included, READY and RESUMED not).",
                    &counters.dispatches_sent,
                ),
            ] {
                let counter = ConstCounter::new(value.load(Ordering::Relaxed));
                counter.encode(encoder.encode_descriptor(
                    name,
                    help,
                    None,
                    counter.metric_type(),
                )?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::{Dispatch, ShardId};

    fn dispatch(t: &str) -> GatewayItem {
        GatewayItem {
            shard: ShardId::ONE,
            received_at: chrono::Utc::now(),
            kind: ItemKind::Dispatch(Dispatch::new(
                Some(1),
                Arc::from(t),
                None,
                Arc::from("{}"),
                0..0,
            )),
        }
    }

    #[test]
    fn hostile_event_types_do_not_grow_the_label_set() {
        let exporter = Exporter::new();
        exporter.observe(&dispatch(&"T".repeat(65_536)));
        exporter.observe(&dispatch("a-b c"));
        for n in 0..(MAX_EVENT_TYPES + 10) {
            exporter.observe(&dispatch(&format!("TYPE_{n}")));
        }
        let text = exporter.encode();
        assert!(text.len() < 64 * 1024, "{} bytes", text.len());
        let other = format!("qqbot_events_received_total{{type=\"other\"}} {}", 12);
        assert!(text.contains(&other), "{text}");
        assert!(!text.contains(&"T".repeat(100)));
    }

    #[test]
    fn publish_metrics_only_when_asked() {
        let plain = Exporter::new();
        plain.publish_acked();
        assert!(!plain.encode().contains("qqbot_publish"));
        let publishing = Exporter::with_publish();
        publishing.publish_acked();
        publishing.set_publish_lag(Duration::from_millis(250));
        let text = publishing.encode();
        assert!(text.contains("qqbot_publish_acks_total 1"), "{text}");
        assert!(text.contains("qqbot_publish_lag_seconds 0.25"), "{text}");
    }
}
