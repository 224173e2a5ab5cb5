//! `--from`: read published events back from the stream as [`GatewayItem`]s.
//!
//! The consumer is a JetStream pull consumer on the stream: durable when a name is given (it
//! remembers what was acknowledged across runs; explicit acks), ephemeral otherwise (no acks;
//! gone when the process is). One event type is mapped to the consumer's subject filter
//! (`<prefix>.*.*.<TYPE>`; NATS 2.9 takes one filter per consumer), anything else is filtered by
//! the reader, as for a gateway source.
//!
//! Each message body is the NDJSON line `listen` printed; it becomes the same dispatch item, so
//! `listen --from` prints it byte for byte, and [`Client::run_items`](crate::client::Client::run_items)
//! runs bot handlers on it. A message that is not such a line is not dropped silently: it comes
//! out as an [`ItemKind::Error`] item and is counted.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::{NatsError, StreamConfig, one_line, type_filter};
use crate::gateway::{Dispatch, GatewayItem, ItemKind, ShardId};

/// How to consume. Build with [`ConsumeConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct ConsumeConfig {
    /// `nats://HOST:PORT`.
    pub url: String,
    /// Stream and subject prefix.
    pub stream: StreamConfig,
    /// Durable consumer name (`None`: an ephemeral consumer).
    pub durable: Option<String>,
    /// Event types wanted (empty: all). One type becomes the subject filter.
    pub events: Vec<String>,
    /// Only events published from now on (default: everything the stream holds; a durable
    /// consumer continues where it stopped either way).
    pub new_only: bool,
    /// Capacity of the item channel.
    pub buffer: usize,
    /// Durable consumers: acknowledge a message only once the reader counted it handled through
    /// [`NatsSource::handled`] (else once it is queued for the reader).
    pub ack_when_handled: bool,
}

impl ConsumeConfig {
    /// Defaults: stream `QQBOT` on `qqbot.>`, ephemeral, everything, a 1000-item buffer.
    pub fn new(url: impl Into<String>) -> ConsumeConfig {
        ConsumeConfig {
            url: url.into(),
            stream: StreamConfig::default(),
            durable: None,
            events: Vec::new(),
            new_only: false,
            buffer: 1000,
            ack_when_handled: false,
        }
    }

    /// The consumer's subject filter.
    pub fn filter_subject(&self) -> String {
        match self.events.as_slice() {
            [one] => type_filter(&self.stream.prefix, one),
            _ => self.stream.all_subjects(),
        }
    }
}

/// Counters since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConsumeStats {
    /// Messages received.
    pub received: u64,
    /// Messages that were not event lines (passed on as error items).
    pub invalid: u64,
    /// Messages acknowledged (durable consumers).
    pub acked: u64,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    invalid: AtomicU64,
    acked: AtomicU64,
}

/// A running consumer. Its items arrive on the receiver [`NatsSource::start`] returned; the
/// channel ends when [`NatsSource::close`] is called or the connection is closed for good.
pub struct NatsSource {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
    handled: Arc<AtomicU64>,
    label: String,
}

impl std::fmt::Debug for NatsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsSource")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl NatsSource {
    /// Connect, open the stream and the consumer, and start reading.
    pub async fn start(
        config: ConsumeConfig,
    ) -> Result<(NatsSource, mpsc::Receiver<GatewayItem>), NatsError> {
        config.stream.validate()?;
        let client = super::connect(&config.url, None).await?;
        let js = jetstream::new(client);
        let stream = super::open_stream(&js, &config.url, &config.stream.name).await?;
        let deliver_policy = if config.new_only {
            consumer::DeliverPolicy::New
        } else {
            consumer::DeliverPolicy::All
        };
        let consumer_config = consumer::pull::Config {
            durable_name: config.durable.clone(),
            deliver_policy,
            ack_policy: if config.durable.is_some() {
                consumer::AckPolicy::Explicit
            } else {
                consumer::AckPolicy::None
            },
            filter_subject: config.filter_subject(),
            inactive_threshold: if config.durable.is_some() {
                Duration::ZERO
            } else {
                Duration::from_secs(60)
            },
            ..Default::default()
        };
        let consumer: consumer::PullConsumer = match &config.durable {
            Some(name) => stream.get_or_create_consumer(name, consumer_config).await,
            None => stream.create_consumer(consumer_config).await,
        }
        .map_err(|e| NatsError::JetStream {
            url: config.url.clone(),
            cause: format!("cannot create the consumer: {}", one_line(&e)),
        })?;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| NatsError::JetStream {
                url: config.url.clone(),
                cause: format!("cannot read from the consumer: {}", one_line(&e)),
            })?;
        let (tx, rx) = mpsc::channel(config.buffer.max(1));
        let (stop, stopped) = watch::channel(false);
        let counters = Arc::new(Counters::default());
        let handled = Arc::new(AtomicU64::new(0));
        let reader = Reader {
            counters: counters.clone(),
            handled: handled.clone(),
            explicit: config.durable.is_some(),
            when_handled: config.ack_when_handled,
        };
        let task = tokio::spawn(reader.run(messages, tx, stopped));
        let label = format!(
            "NATS stream {} at {} ({}, subjects {})",
            config.stream.name,
            config.url,
            match &config.durable {
                Some(name) => format!("durable consumer {name}"),
                None => "ephemeral consumer".to_owned(),
            },
            config.filter_subject()
        );
        Ok((
            NatsSource {
                stop,
                task: Some(task),
                counters,
                handled,
                label,
            },
            rx,
        ))
    }

    /// What this source reads, in words.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// With [`ConsumeConfig::ack_when_handled`]: add 1 for each item handled, in order; a
    /// durable consumer acknowledges messages up to that count.
    pub fn handled(&self) -> Arc<AtomicU64> {
        self.handled.clone()
    }

    /// Counters since start.
    pub fn stats(&self) -> ConsumeStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ConsumeStats {
            received: get(&self.counters.received),
            invalid: get(&self.counters.invalid),
            acked: get(&self.counters.acked),
        }
    }

    /// Stop reading (acknowledging what was handled) and end the item channel.
    pub async fn close(mut self) -> ConsumeStats {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
        self.stats()
    }
}

impl Drop for NatsSource {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A message delivered to a reader that stops before handling it is redelivered after this.
const GIVE_BACK_DELAY: Duration = Duration::from_millis(500);

struct Reader {
    counters: Arc<Counters>,
    handled: Arc<AtomicU64>,
    explicit: bool,
    when_handled: bool,
}

impl Reader {
    async fn run(
        self,
        mut messages: consumer::pull::Stream,
        tx: mpsc::Sender<GatewayItem>,
        mut stopped: watch::Receiver<bool>,
    ) {
        // Messages queued for the reader, not yet acknowledged: (index, message).
        let mut pending: VecDeque<(u64, jetstream::Message)> = VecDeque::new();
        let mut sent = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            let next = tokio::select! {
                biased;
                _ = stopped.changed() => break,
                _ = tick.tick(), if !pending.is_empty() => {
                    self.ack_handled(&mut pending).await;
                    continue;
                }
                next = messages.next() => next,
            };
            let (item, message) = match next {
                None => break,
                // A transient failure (missed idle heartbeats during an outage, …): said, and
                // reading goes on; the client reconnects.
                Some(Err(e)) => (error_item(format!("nats: {}", one_line(&e))), None),
                Some(Ok(message)) => {
                    self.counters.received.fetch_add(1, Ordering::Relaxed);
                    let item = match parse_line(&message.payload) {
                        Ok(item) => item,
                        Err(why) => {
                            self.counters.invalid.fetch_add(1, Ordering::Relaxed);
                            error_item(format!(
                                "nats: message on {} is not a qqbot event line ({why}); passed over",
                                message.subject
                            ))
                        }
                    };
                    (item, Some(message))
                }
            };
            let queued = tokio::select! {
                biased;
                _ = stopped.changed() => false,
                sent = tx.send(item) => sent.is_ok(),
            };
            if !queued {
                if let Some(message) = message
                    && self.explicit
                {
                    let _ = message.ack_with(jetstream::AckKind::Nak(None)).await;
                }
                break;
            }
            sent += 1;
            if let Some(message) = message
                && self.explicit
            {
                if self.when_handled {
                    pending.push_back((sent, message));
                } else if message.ack().await.is_ok() {
                    self.counters.acked.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.ack_handled(&mut pending).await;
        if self.explicit {
            // Give back what was delivered but not handled, so the next reader of this durable
            // consumer gets it at once instead of after the ack wait: what was queued for the
            // reader, then what the client had fetched ahead (bounded).
            // Given back with a delay, so they do not come straight back to this reader.
            let nak = || jetstream::AckKind::Nak(Some(GIVE_BACK_DELAY));
            for (_, message) in pending.drain(..) {
                let _ = message.ack_with(nak()).await;
            }
            for _ in 0..10_000 {
                match tokio::time::timeout(Duration::from_millis(50), messages.next()).await {
                    Ok(Some(Ok(message))) => {
                        let _ = message.ack_with(nak()).await;
                    }
                    _ => break,
                }
            }
        }
    }

    async fn ack_handled(&self, pending: &mut VecDeque<(u64, jetstream::Message)>) {
        let handled = self.handled.load(Ordering::Acquire);
        while pending.front().is_some_and(|(n, _)| *n <= handled) {
            let (_, message) = pending.pop_front().expect("front exists");
            if message.ack().await.is_ok() {
                self.counters.acked.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn error_item(message: String) -> GatewayItem {
    GatewayItem {
        shard: ShardId::ONE,
        received_at: Utc::now(),
        kind: ItemKind::Error { message },
    }
}

#[derive(Deserialize)]
struct Line<'a> {
    kind: &'a str,
    received_at: &'a str,
    shard: [u32; 2],
    #[serde(default)]
    s: Option<u64>,
    t: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(borrow)]
    d: &'a RawValue,
}

/// Turn a published NDJSON dispatch line back into the dispatch item it was printed from: the
/// item prints as the same line, byte for byte.
pub fn parse_line(body: &[u8]) -> Result<GatewayItem, String> {
    let text = std::str::from_utf8(body).map_err(|_| "not UTF-8".to_owned())?;
    let text = text.trim_end_matches('\n');
    let line: Line<'_> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if line.kind != "dispatch" {
        return Err(format!("kind `{}`, not dispatch", line.kind));
    }
    let received_at = DateTime::parse_from_rfc3339(line.received_at)
        .map_err(|e| format!("received_at: {e}"))?
        .with_timezone(&Utc);
    let [id, count] = line.shard;
    if count == 0 || id >= count {
        return Err(format!("shard [{id},{count}] is not valid"));
    }
    // Rebuild a gateway frame around `d`, byte-exact, so the item is what a shard produces.
    let mut frame = String::with_capacity(text.len());
    frame.push_str("{\"op\":0");
    if let Some(s) = line.s {
        frame.push_str(&format!(",\"s\":{s}"));
    }
    frame.push_str(",\"t\":");
    frame.push_str(&serde_json::to_string(&line.t).expect("strings serialise"));
    let mut id_range = None;
    if let Some(event_id) = &line.id {
        frame.push_str(",\"id\":");
        let start = frame.len() + 1;
        frame.push_str(&serde_json::to_string(event_id).expect("strings serialise"));
        id_range = Some(start..frame.len() - 1);
    }
    frame.push_str(",\"d\":");
    let start = frame.len();
    frame.push_str(line.d.get());
    let end = frame.len();
    frame.push('}');
    let frame: Arc<str> = Arc::from(frame);
    Ok(GatewayItem {
        shard: ShardId { id, count },
        received_at,
        kind: ItemKind::Dispatch(Dispatch::new(
            line.s,
            Arc::from(line.t.as_str()),
            // The id as written in the frame when it needed no escapes (then it is a range of
            // the frame), else its decoded value.
            id_range
                .map(|r| &frame[r])
                .filter(|written| Some(*written) == line.id.as_deref())
                .or(line.id.as_deref()),
            Arc::clone(&frame),
            start..end,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::ndjson;

    #[test]
    fn a_published_line_comes_back_as_the_same_line() {
        for line in [
            r#"{"kind":"dispatch","received_at":"2026-11-27T09:40:00.123Z","shard":[1,4],"s":42,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:abc","d":{"content":"hi \"q\" 文字","n":[1, 2]}}"#,
            r#"{"kind":"dispatch","received_at":"2026-11-27T09:40:00.000Z","shard":[0,1],"s":null,"t":"GROUP_AT_MESSAGE_CREATE","id":null,"d":null}"#,
        ] {
            let item = parse_line(line.as_bytes()).unwrap();
            assert_eq!(ndjson::line(&item), format!("{line}\n"));
            let ItemKind::Dispatch(d) = &item.kind else {
                panic!("a dispatch")
            };
            let frame: serde_json::Value = serde_json::from_str(&d.frame).unwrap();
            assert_eq!(frame["op"], 0);
        }
        assert!(parse_line(b"not json").is_err());
        assert!(
            parse_line(br#"{"kind":"ready","received_at":"x","shard":[0,1],"t":"","d":1}"#)
                .is_err()
        );
        assert!(parse_line(
            br#"{"kind":"dispatch","received_at":"2026-11-27T09:40:00.000Z","shard":[2,1],"t":"X","d":1}"#
        )
        .is_err());
    }
}
