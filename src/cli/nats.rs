//! NATS JetStream options (`--publish`, `--from`) and the thin glue between them and
//! `qqbot::nats`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use qqbot::gateway::SessionInfo;
use qqbot::nats::{
    self, ConsumeConfig, NatsError, NatsSource, PublishConfig, Publisher, StreamConfig,
};

use super::exit::CliError;
use super::listen::parse_duration;

/// The stream both sides use: shared by `--publish` and `--from`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "NATS JetStream")]
pub struct StreamArgs {
    /// JetStream stream name (created by --publish when missing).
    #[arg(long, value_name = "NAME", default_value = nats::DEFAULT_STREAM)]
    pub nats_stream: String,
    /// Subject prefix: events go to PREFIX.<app_id>.<shard>.<EVENT_TYPE>.
    #[arg(long, value_name = "PREFIX", default_value = nats::DEFAULT_PREFIX)]
    pub nats_prefix: String,
}

impl StreamArgs {
    fn config(&self) -> StreamConfig {
        StreamConfig {
            prefix: self.nats_prefix.clone(),
            name: self.nats_stream.clone(),
            ..StreamConfig::default()
        }
    }
}

/// `--publish` and its settings (listen, record, webhook mode).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "NATS JetStream")]
pub struct PublishArgs {
    /// Publish every event to NATS JetStream at this URL (nats://HOST:PORT), acknowledged; with
    /// --state-file the resume cursor only passes acknowledged events.
    #[arg(long, value_name = "URL")]
    pub publish: Option<String>,
    /// Retention of a stream created by --publish: limits, interest or workqueue.
    #[arg(long, value_name = "POLICY", default_value = "limits", value_parser = nats::parse_retention, requires = "publish")]
    pub nats_retention: async_nats::jetstream::stream::RetentionPolicy,
    /// Maximum age of events in a stream created by --publish (0 keeps them for ever).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration, requires = "publish")]
    pub nats_max_age: Duration,
    /// Publishes waiting for their JetStream acknowledgement at most (past that, and a queue of
    /// 1024 events, the gateway is held: backpressure).
    #[arg(long, value_name = "N", default_value_t = 256, requires = "publish",
          value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub publish_in_flight: u64,
    /// Events queued in front of the publishing task.
    #[arg(long, value_name = "N", default_value_t = 1024, requires = "publish", hide = true,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub publish_queue: u64,
    /// How long to wait for one acknowledgement before publishing again.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, requires = "publish", hide = true)]
    pub publish_ack_timeout: Duration,
}

/// `--from` and its settings (listen, record, tui).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "NATS JetStream")]
pub struct FromArgs {
    /// Read events from NATS JetStream at this URL (nats://HOST:PORT) instead of the gateway:
    /// what `--publish` put there, from every shard of the fleet.
    #[arg(long, value_name = "URL", conflicts_with_all = ["emulator", "webhook", "shards", "shard", "state_file", "intents"])]
    pub from: Option<String>,
    /// A durable consumer of this name (continues where it stopped; default: an ephemeral
    /// consumer reading the whole stream).
    #[arg(long, value_name = "NAME", requires = "from")]
    pub consumer: Option<String>,
    /// Only events published from now on.
    #[arg(long, requires = "from")]
    pub nats_new: bool,
}

fn nats_error(what: &str, e: NatsError) -> CliError {
    let hint = e.hint();
    let err = match &e {
        NatsError::BadUrl(_) | NatsError::Config(_) => CliError::usage(format!("{what}: {e}")),
        _ => CliError::failure(format!("{what}: {e}")),
    };
    match hint {
        Some(hint) => err.hint(hint),
        None => err,
    }
}

/// Start the publisher when `--publish` was given.
pub async fn start_publisher(
    args: &PublishArgs,
    stream: &StreamArgs,
    app_id: &str,
    state_file: Option<PathBuf>,
    quiet: bool,
) -> Result<Option<Publisher>, CliError> {
    let Some(url) = &args.publish else {
        return Ok(None);
    };
    let mut config = PublishConfig::new(url.clone(), app_id);
    config.stream = StreamConfig {
        retention: args.nats_retention,
        max_age: args.nats_max_age,
        ..stream.config()
    };
    config.in_flight = args.publish_in_flight as usize;
    config.queue = args.publish_queue as usize;
    config.ack_timeout = args.publish_ack_timeout;
    config.state_file = state_file;
    config.report = !quiet;
    let publisher = Publisher::start(config)
        .await
        .map_err(|e| nats_error("--publish", e))?;
    if !quiet {
        eprintln!(
            "qqbot: publishing events to NATS stream {} at {url} (subjects {}.{app_id}.<shard>.<EVENT_TYPE>)",
            publisher.stream(),
            stream.nats_prefix
        );
    }
    Ok(Some(publisher))
}

/// Open `--from`. `events` are the `-e` types (one becomes the subject filter).
pub async fn open_from(
    args: &FromArgs,
    stream: &StreamArgs,
    events: Vec<String>,
    buffer: usize,
) -> Result<
    Option<(
        NatsSource,
        tokio::sync::mpsc::Receiver<qqbot::gateway::GatewayItem>,
    )>,
    CliError,
> {
    let Some(url) = &args.from else {
        return Ok(None);
    };
    let mut config = ConsumeConfig::new(url.clone());
    config.stream = stream.config();
    config.durable = args.consumer.clone();
    config.events = events;
    config.new_only = args.nats_new;
    config.buffer = buffer.max(1);
    config.ack_when_handled = true;
    NatsSource::start(config)
        .await
        .map(Some)
        .map_err(|e| nats_error("--from", e))
}

/// After the output stopped: wait for the outstanding acknowledgements, keep the saved cursor
/// behind them, and print the counts.
pub async fn finish_publisher(
    publisher: Option<Publisher>,
    sessions: &mut [SessionInfo],
    quiet: bool,
) {
    let Some(mut publisher) = publisher else {
        return;
    };
    let stats = publisher.close(Duration::from_secs(10)).await;
    for session in sessions.iter_mut() {
        session.last_seq =
            publisher.resume_seq(session.shard, &session.session_id, session.last_seq);
    }
    if !quiet {
        eprintln!("qqbot: {}", publisher.summary(&stats));
    }
}

/// The app id for `replay --publish` subjects: the recording's, else the configured one.
pub fn recorded_app_id(file: &std::path::Path, global: &super::GlobalArgs) -> String {
    let recorded = (file.as_os_str() != "-")
        .then(|| super::replay::open(file).ok())
        .flatten()
        .map(|r| r.header().app_id.clone())
        .filter(|id| !id.is_empty());
    recorded
        .or_else(|| {
            super::listen::settings(global)
                .ok()
                .and_then(|s| s.app_id.map(|a| a.value))
        })
        .unwrap_or_else(|| "0".to_owned())
}
