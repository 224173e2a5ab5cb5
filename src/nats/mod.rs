//! Events into NATS JetStream and back: `--publish nats://HOST:PORT` and `--from nats://HOST:PORT`.
//!
//! * [`publish::Publisher`] takes every dispatch the output pipeline handles and publishes it on
//!   `<prefix>.<app_id>.<shard>.<EVENT_TYPE>` (see [`subject`]), body = the NDJSON line `listen`
//!   prints (without the newline), header `Nats-Msg-Id` = the event id, so the stream's duplicate
//!   window drops a replay after a resume or a webhook redelivery. Every publish is acknowledged
//!   by JetStream; the resume cursor only passes acknowledged events.
//! * [`consume::NatsSource`] reads them back as [`GatewayItem`](crate::gateway::GatewayItem)s: the
//!   same item stream a gateway cluster produces, for the CLI's output or [`Client::run_items`]
//!   (bot logic in a process that holds no gateway connection).
//!
//! [`Client::run_items`]: crate::client::Client::run_items

pub mod consume;
pub mod publish;

use std::time::Duration;

use async_nats::jetstream::{self, stream};

pub use consume::{ConsumeConfig, ConsumeStats, NatsSource};
pub use publish::{PublishConfig, PublishStats, Publisher};

/// The default subject prefix.
pub const DEFAULT_PREFIX: &str = "qqbot";
/// The default stream name.
pub const DEFAULT_STREAM: &str = "QQBOT";
/// The default age after which the stream drops an event.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// The stream's duplicate window when it is created here (JetStream's own default).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Something went wrong talking to NATS.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// The URL is not `nats://HOST:PORT` (or `tls://`).
    #[error("`{0}` is not a NATS URL (expected nats://HOST:PORT)")]
    BadUrl(String),
    /// The server did not answer.
    #[error("cannot connect to NATS at {url}: {cause}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// Why, in one line.
        cause: String,
    },
    /// The server answered but JetStream refused or is off.
    #[error("JetStream at {url}: {cause}")]
    JetStream {
        /// The URL.
        url: String,
        /// Why, in one line.
        cause: String,
    },
    /// A configuration value is not usable.
    #[error("{0}")]
    Config(String),
}

impl NatsError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            NatsError::BadUrl(_) => Some("e.g. nats://127.0.0.1:4222"),
            NatsError::Unreachable { .. } => Some(
                "is nats-server running with JetStream (`nats-server -js`)? check the host and port",
            ),
            NatsError::JetStream { .. } => {
                Some("start nats-server with JetStream enabled (`nats-server -js`)")
            }
            NatsError::Config(_) => None,
        }
    }
}

/// Stream settings: where events are kept.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Subject prefix (one or more dot-separated tokens).
    pub prefix: String,
    /// Stream name.
    pub name: String,
    /// Retention when the stream is created here.
    pub retention: stream::RetentionPolicy,
    /// Maximum age when the stream is created here (zero: unlimited).
    pub max_age: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            prefix: DEFAULT_PREFIX.to_owned(),
            name: DEFAULT_STREAM.to_owned(),
            retention: stream::RetentionPolicy::Limits,
            max_age: DEFAULT_MAX_AGE,
        }
    }
}

impl StreamConfig {
    /// Check the prefix and name.
    pub fn validate(&self) -> Result<(), NatsError> {
        if self.prefix.is_empty()
            || self
                .prefix
                .split('.')
                .any(|t| t.is_empty() || t.contains(['*', '>']) || t.contains(char::is_whitespace))
        {
            return Err(NatsError::Config(format!(
                "subject prefix `{}` is not a NATS subject (dot-separated tokens without spaces, `*` or `>`)",
                self.prefix
            )));
        }
        if self.name.is_empty()
            || self
                .name
                .contains(|c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace())
        {
            return Err(NatsError::Config(format!(
                "stream name `{}` must not be empty or contain `.`, `*`, `>` or spaces",
                self.name
            )));
        }
        Ok(())
    }

    /// Every subject of the stream: `<prefix>.>`.
    pub fn all_subjects(&self) -> String {
        format!("{}.>", self.prefix)
    }
}

/// Parse a `retention` value: `limits`, `interest` or `workqueue`.
pub fn parse_retention(text: &str) -> Result<stream::RetentionPolicy, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "limits" => Ok(stream::RetentionPolicy::Limits),
        "interest" => Ok(stream::RetentionPolicy::Interest),
        "workqueue" | "work-queue" => Ok(stream::RetentionPolicy::WorkQueue),
        other => Err(format!(
            "unknown retention `{other}` (use limits, interest or workqueue)"
        )),
    }
}

/// Escape one subject token: ASCII letters, digits, `_` and `-` stay; every other byte becomes
/// `~XX` (upper-case hex), so `.`, `*`, `>`, spaces and non-ASCII never split or widen a
/// subject, and distinct event types keep distinct tokens. An empty value is `~`.
pub fn escape_token(text: &str) -> String {
    if text.is_empty() {
        return "~".to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("~{b:02X}"));
        }
    }
    out
}

/// The subject of one event: `<prefix>.<app_id>.<shard>.<EVENT_TYPE>` (app id and event type
/// escaped with [`escape_token`]).
pub fn subject(prefix: &str, app_id: &str, shard: u32, event_type: &str) -> String {
    format!(
        "{prefix}.{}.{shard}.{}",
        escape_token(app_id),
        escape_token(event_type)
    )
}

/// The subject filter for one event type on every app and shard: `<prefix>.*.*.<EVENT_TYPE>`.
pub fn type_filter(prefix: &str, event_type: &str) -> String {
    format!("{prefix}.*.*.{}", escape_token(event_type))
}

/// Check a `nats://` (or `tls://`) URL.
pub fn check_url(url: &str) -> Result<(), NatsError> {
    let rest = url
        .strip_prefix("nats://")
        .or_else(|| url.strip_prefix("tls://"))
        .ok_or_else(|| NatsError::BadUrl(url.to_owned()))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(NatsError::BadUrl(url.to_owned()));
    }
    Ok(())
}

/// How long the first connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connection state changes, for reports.
pub type EventSink = std::sync::Arc<dyn Fn(async_nats::Event) + Send + Sync>;

/// Connect: a refused or silent server is a one-line [`NatsError::Unreachable`]. Later outages
/// are handled by the client, which reconnects for ever (every 100 ms at first, then every 2 s);
/// `events` hears about them.
pub async fn connect(
    url: &str,
    events: Option<EventSink>,
) -> Result<async_nats::Client, NatsError> {
    check_url(url)?;
    let mut options = async_nats::ConnectOptions::new()
        .name("qqbot")
        .connection_timeout(CONNECT_TIMEOUT)
        .max_reconnects(None)
        .reconnect_delay_callback(|attempt| {
            let ms = 100u64.saturating_mul(1 << attempt.min(5) as u64);
            Duration::from_millis(ms.min(2_000))
        });
    if let Some(events) = events {
        options = options.event_callback(move |event| {
            let events = events.clone();
            async move { events(event) }
        });
    }
    tokio::time::timeout(CONNECT_TIMEOUT * 2, options.connect(url))
        .await
        .map_err(|_| NatsError::Unreachable {
            url: url.to_owned(),
            cause: "no answer".to_owned(),
        })?
        .map_err(|e| NatsError::Unreachable {
            url: url.to_owned(),
            cause: one_line(&e),
        })
}

/// Make sure the stream exists (created with `config` when missing; an existing stream is used
/// as it is, as long as it takes `<prefix>.>`).
pub async fn ensure_stream(
    js: &jetstream::Context,
    url: &str,
    config: &StreamConfig,
) -> Result<stream::Stream, NatsError> {
    config.validate()?;
    let wanted = stream::Config {
        name: config.name.clone(),
        subjects: vec![config.all_subjects()],
        retention: config.retention,
        max_age: config.max_age,
        duplicate_window: DUPLICATE_WINDOW,
        storage: stream::StorageType::File,
        ..Default::default()
    };
    js.get_or_create_stream(wanted)
        .await
        .map_err(|e| NatsError::JetStream {
            url: url.to_owned(),
            cause: format!(
                "cannot create or open stream {}: {}",
                config.name,
                one_line(&e)
            ),
        })
}

/// Open an existing stream (consumers do not create it).
pub async fn open_stream(
    js: &jetstream::Context,
    url: &str,
    name: &str,
) -> Result<stream::Stream, NatsError> {
    js.get_stream(name).await.map_err(|e| NatsError::JetStream {
        url: url.to_owned(),
        cause: format!("cannot open stream {name}: {}", one_line(&e)),
    })
}

/// An error and its sources on one line.
pub(crate) fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_escape_odd_event_types() {
        assert_eq!(
            subject("qqbot", "102", 3, "AT_MESSAGE_CREATE"),
            "qqbot.102.3.AT_MESSAGE_CREATE"
        );
        assert_eq!(subject("a.b", "1", 0, "X.Y"), "a.b.1.0.X~2EY");
        assert_eq!(subject("p", "1", 0, "*"), "p.1.0.~2A");
        assert_eq!(subject("p", "1", 0, ">"), "p.1.0.~3E");
        assert_eq!(subject("p", "1", 0, "a b"), "p.1.0.a~20b");
        assert_eq!(subject("p", "1", 0, ""), "p.1.0.~");
        assert_eq!(subject("p", "1", 0, "~"), "p.1.0.~7E");
        assert_eq!(subject("p", "1", 0, "事"), "p.1.0.~E4~BA~8B");
        assert_eq!(type_filter("qqbot", "READY"), "qqbot.*.*.READY");
    }

    #[test]
    fn prefixes_names_and_urls_are_checked() {
        let mut config = StreamConfig::default();
        assert!(config.validate().is_ok());
        for bad in ["", "a..b", "a.*", "a b", ">"] {
            config.prefix = bad.to_owned();
            assert!(config.validate().is_err(), "{bad:?}");
        }
        config.prefix = "qqbot.prod".to_owned();
        assert!(config.validate().is_ok());
        config.name = "A.B".to_owned();
        assert!(config.validate().is_err());
        assert!(check_url("nats://127.0.0.1:4222").is_ok());
        assert!(check_url("http://127.0.0.1:4222").is_err());
        assert!(check_url("nats://").is_err());
        assert_eq!(
            parse_retention("WorkQueue"),
            Ok(stream::RetentionPolicy::WorkQueue)
        );
        assert!(parse_retention("forever").is_err());
    }
}
