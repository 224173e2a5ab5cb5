//! `qqbot listen`: connect to the gateway (or an embedded emulator) and stream events.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use qqbot::config::{Overrides, Settings, resolve_from_env};
use qqbot::emulator::{Emulator, EmulatorConfig};
use qqbot::gateway::core::HEARTBEAT_INTERVAL_RANGE;
use qqbot::gateway::{Cluster, GatewayConfig, SessionInfo, ShardId, ShardSelection, StartError};
use qqbot::output::human::Painter;
use qqbot::protocol::Intents;
use qqbot::record::{Header, Redaction};
use qqbot::webhook::{ReceiverConfig, TlsFiles, WebhookReceiver, setup_warnings};

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::forward::{self, ForwardArgs};
use super::pipeline::{self, FilterArgs, Format, Pipeline, PipelineOptions, Stop};
use super::recorder::Recorder;
use super::style;

/// `--heartbeat-interval`'s range in milliseconds (`listen`, `record` and `tui` with
/// `--emulator`, and `emulate`): what the client clamps a Hello's interval into.
pub const HEARTBEAT_INTERVAL_MS: std::ops::RangeInclusive<u64> =
    (HEARTBEAT_INTERVAL_RANGE.0.as_millis() as u64)
        ..=(HEARTBEAT_INTERVAL_RANGE.1.as_millis() as u64);

/// Where events come from and how the connection behaves: shared by `listen`, `record` and `tui`.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Source")]
pub struct SourceArgs {
    /// Credentials and endpoints.
    #[command(flatten)]
    pub conn: super::ConnArgs,
    /// Intents: names or aliases (guilds,public_guild_messages), numbers, `default` or `all`.
    #[arg(long, short = 'i', value_name = "INTENTS")]
    pub intents: Option<String>,
    /// Run N shards (default: as many as /gateway/bot recommends).
    #[arg(long, value_name = "N", conflicts_with = "shard",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
    /// Run one shard of a larger set, e.g. 2/4.
    #[arg(long, value_name = "ID/COUNT", value_parser = parse_shard)]
    pub shard: Option<ShardId>,
    /// Keep session ids and sequence numbers here, so a restart resumes instead of identifying.
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Start an embedded emulator and listen to it (no credentials needed).
    #[arg(long)]
    pub emulator: bool,
    /// Emulator scenario with --emulator (demo, quiet, flood, session-timeout, zombie, …).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "demo",
        requires = "emulator"
    )]
    pub scenario: String,
    /// With --emulator: the heartbeat interval its Hello sends, in milliseconds (default 41250;
    /// e.g. 1000 with `--scenario zombie` to see a zombie within seconds).
    /// qqbot clamps Hello's interval to 1 s–10 min, so 1000–600000.
    #[arg(long, value_name = "MS", requires = "emulator",
          value_parser = clap::value_parser!(u64).range(HEARTBEAT_INTERVAL_MS))]
    pub heartbeat_interval: Option<u64>,
    /// With --emulator: generated events per second (default 2).
    #[arg(long, value_name = "EVENTS_PER_SEC", requires = "emulator")]
    pub rate: Option<f64>,
    /// With --emulator: end every session this often with op 7 and close 4009 (e.g. 10s;
    /// default 30m).
    #[arg(long, value_name = "DURATION", requires = "emulator",
          value_parser = parse_positive_duration)]
    pub session_timeout: Option<Duration>,
    /// Use the emulator's development credentials (app id 1020304050, secret
    /// qqbot-emulator-secret), for a separately started `qqbot emulate`: `--webhook` to receive
    /// what `emulate --webhook-to` sends, or `--api-base`/`--token-url` at its URLs.
    #[arg(long, conflicts_with = "emulator")]
    pub dev_credentials: bool,
    /// Receive events as webhooks on ADDR (e.g. 0.0.0.0:8443) instead of connecting to the
    /// gateway. With --emulator, the embedded emulator sends its events there.
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["shards", "shard", "state_file"])]
    pub webhook: Option<SocketAddr>,
    /// Only accept webhooks on this path (default: any path).
    #[arg(long, value_name = "PATH", requires = "webhook")]
    pub webhook_path: Option<String>,
    /// Serve HTTPS with this certificate (PEM) (QQ requires HTTPS unless a proxy terminates TLS).
    #[arg(long, value_name = "PEM", requires_all = ["webhook", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) for --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Reject webhooks whose X-Signature-Timestamp is further than this from now (replay
    /// protection; 0 disables the check).
    #[arg(long, value_name = "SECS", default_value_t = 300, requires = "webhook")]
    pub timestamp_window: u64,
    /// Consecutive failed connection attempts before giving up (default 0 = never give up;
    /// fatal closes and refused credentials always stop).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_reconnects: u32,
    /// Capacity of the buffer between the gateway and the output.
    #[arg(long, value_name = "N", default_value_t = 1000, hide = true)]
    pub event_buffer_size: usize,
    /// `--from nats://…`: events from NATS JetStream instead.
    #[command(flatten)]
    pub nats: super::nats::FromArgs,
    /// The JetStream stream of `--from` and `--publish`.
    #[command(flatten)]
    pub nats_stream: super::nats::StreamArgs,
    /// Shards across processes (`--cluster nats://…`).
    #[command(flatten)]
    pub cluster: super::cluster_cmd::ClusterArgs,
}

/// Arguments of `qqbot listen`.
#[derive(Debug, Args, Clone)]
pub struct ListenArgs {
    /// The source.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Which events to show.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Stop after N events.
    #[arg(long, short = 'n', value_name = "N", help_heading = "Output",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Stop after this long (e.g. 30s, 5m, 1h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Output")]
    pub duration: Option<Duration>,
    /// Stop after the first event of one of these types (comma-separated `t` values), exit 0;
    /// ending any other way first (--duration, --count, the source) exits 1. For scripts: wait
    /// for a message, with --duration as the timeout.
    #[arg(
        long,
        value_name = "TYPES",
        value_delimiter = ',',
        help_heading = "Output"
    )]
    pub until_event: Vec<String>,
    /// Also print lifecycle lines: hello, ready, heartbeats and acks, reconnects, closes.
    #[arg(long, help_heading = "Output")]
    pub include_control: bool,
    /// Drop events whose id was already seen (the gateway may replay after a resume).
    #[arg(long, help_heading = "Output")]
    pub dedup: bool,
    /// In human lines, shorten ids and openids to 12 characters (default: in full, as `qqbot
    /// send` needs them).
    #[arg(long, help_heading = "Output")]
    pub short_ids: bool,
    /// Also record the session to this file (NDJSON; zstd when it ends in .zst).
    #[arg(long, value_name = "FILE", help_heading = "Recording")]
    pub record: Option<PathBuf>,
    /// In the recording, replace user/guild/group/channel/message ids and openids by consistent
    /// pseudonyms (implies --redact-names).
    #[arg(long, help_heading = "Recording")]
    pub redact_ids: bool,
    /// In the recording, replace usernames, nicknames and avatar URLs by consistent pseudonyms
    /// (`user-…`, `nick-…`, `https://avatar.invalid/…`).
    #[arg(long, help_heading = "Recording")]
    pub redact_names: bool,
    /// In the recording, blank message content.
    #[arg(long, help_heading = "Recording")]
    pub redact_content: bool,
    /// Forwarding to local handlers.
    #[command(flatten)]
    pub forward: ForwardArgs,
    /// Serve Prometheus metrics on ADDR/metrics (e.g. 127.0.0.1:9187; port 0 picks a free
    /// port, printed on stderr).
    #[arg(long, value_name = "ADDR", help_heading = "Output")]
    pub metrics: Option<SocketAddr>,
    /// `--publish nats://…`: every event into NATS JetStream.
    #[command(flatten)]
    pub publish: super::nats::PublishArgs,
}

pub(crate) fn parse_shard(text: &str) -> Result<ShardId, String> {
    let (id, count) = text
        .split_once('/')
        .ok_or_else(|| "expected ID/COUNT, e.g. 0/2".to_owned())?;
    let id: u32 = id
        .trim()
        .parse()
        .map_err(|_| format!("bad shard id `{id}`"))?;
    let count: u32 = count
        .trim()
        .parse()
        .map_err(|_| format!("bad shard count `{count}`"))?;
    if count == 0 || id >= count {
        return Err(format!(
            "shard id must be below the count (got {id}/{count})"
        ));
    }
    Ok(ShardId { id, count })
}

/// Parse `500ms`, `30s`, `5m`, `1h` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| t.split_at(i))
        .unwrap_or((t, "s"));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("bad duration `{text}` (try 30s, 5m, 1h)"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("bad duration unit in `{text}` (use ms, s, m or h)")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("bad duration `{text}`"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// [`parse_duration`] above zero (how often something happens: `--session-timeout`).
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err(format!(
            "`{text}` is no time at all: give a duration above 0 (e.g. 10s)"
        )),
        d => Ok(d),
    }
}

/// Whose events, with which credentials: the real platform or an embedded emulator.
pub(crate) struct Target {
    pub(crate) app_id: String,
    pub(crate) secret: qqbot::Secret,
    api_base: String,
    token_url: String,
    pub(crate) label: String,
    sandbox: bool,
    /// An emulator to start (for the gateway, or to send webhooks).
    emulator: Option<EmulatorConfig>,
    /// Where the credentials came from (for hints), when they are the user's.
    origin: Option<String>,
}

/// Where items come from.
pub(crate) enum Source {
    /// The gateway (of the platform or an embedded emulator).
    Gateway {
        cluster: Cluster,
        _emulator: Option<Emulator>,
    },
    Webhook {
        receiver: WebhookReceiver,
        _emulator: Option<Emulator>,
    },
    /// NATS JetStream (`--from`).
    Nats { source: qqbot::nats::NatsSource },
    /// This process's part of a fleet sharing the shards through NATS (`--cluster`).
    Fleet {
        fleet: qqbot::cluster::Fleet,
        _emulator: Option<Emulator>,
    },
}

impl Source {
    /// Close cleanly; the gateway's sessions stay resumable and are returned.
    pub(crate) async fn close(self) -> Vec<SessionInfo> {
        self.close_counting().await.0
    }

    /// Let `--metrics` read the shards' state (and an embedded emulator's counters) on scrape.
    fn feed_metrics(&self, exporter: &qqbot::output::prometheus::Exporter) {
        match self {
            Source::Gateway { cluster, _emulator } => {
                exporter.watch_shards(cluster.shards().to_vec());
                if let Some(emulator) = _emulator {
                    exporter.watch_emulator(emulator.counters());
                }
            }
            Source::Webhook { _emulator, .. } => {
                if let Some(emulator) = _emulator {
                    exporter.watch_emulator(emulator.counters());
                }
            }
            // Events read back from a stream: no shards of this process to watch.
            Source::Nats { .. } => {}
            // The shards this process holds at each scrape (taken over later ones too).
            Source::Fleet { fleet, _emulator } => {
                exporter.watch_shards_with(fleet.shard_source());
                if let Some(emulator) = _emulator {
                    exporter.watch_emulator(emulator.counters());
                }
            }
        }
    }

    /// [`Source::close`], also returning the redeliveries the webhook receiver dropped (ACKed
    /// and never passed on), which the summary counts as duplicates skipped.
    pub(crate) async fn close_counting(self) -> (Vec<SessionInfo>, u64) {
        match self {
            Source::Gateway { cluster, .. } => (cluster.shutdown().await, 0),
            Source::Fleet { fleet, .. } => (fleet.shutdown().await, 0),
            Source::Webhook { receiver, .. } => {
                let stats = receiver.shutdown().await;
                (Vec::new(), stats.duplicates_dropped)
            }
            Source::Nats { source } => {
                source.close().await;
                (Vec::new(), 0)
            }
        }
    }
}

fn overrides(global: &GlobalArgs) -> Overrides {
    Overrides {
        profile: global.profile.clone(),
        sandbox: global.sandbox,
        api_base: global.api_base.clone(),
        token_url: global.token_url.clone(),
        secret_file: global.secret_file.clone(),
        config_path: global.config.clone(),
        app_id: global.app_id.clone(),
    }
}

/// Connect the source `args` asks for: webhooks, or the gateway (of an embedded emulator or of
/// the platform). `target` gets its final label and endpoints.
pub(crate) async fn open_source(
    global: &GlobalArgs,
    args: &SourceArgs,
    dedup: bool,
    intents: Intents,
    target: &mut Target,
    frame_tap: Option<qqbot::gateway::FrameTap>,
    heartbeat_cursor: Option<qqbot::gateway::HeartbeatCursorRef>,
) -> Result<(Source, qqbot::gateway::Items), CliError> {
    if let Some(addr) = args.webhook {
        return webhook_source(global, args, dedup, addr, target).await;
    }
    if let Some(opened) = nats_source(args, Vec::new(), target).await? {
        return Ok(opened);
    }
    let emulator = match target.emulator.take() {
        Some(config) => {
            let emulator = start_emulator(config).await?;
            target.api_base = emulator.api_base();
            target.token_url = emulator.token_url();
            target.label = format!(
                "{0} at {1} (control API {1}/_emulator/)",
                target.label,
                emulator.api_base()
            );
            Some(emulator)
        }
        None => None,
    };
    let mut config = GatewayConfig::new(
        target.app_id.clone(),
        target.secret.clone(),
        target.api_base.clone(),
        target.token_url.clone(),
    );
    config.intents = intents;
    config.shards = match (args.shard, args.shards) {
        (Some(one), _) => ShardSelection::One(one),
        (None, Some(n)) => ShardSelection::Count(n.max(1)),
        (None, None) => ShardSelection::Auto,
    };
    config.frame_tap = frame_tap;
    config.heartbeat_cursor = heartbeat_cursor;
    config.event_buffer_size = args.event_buffer_size.max(1);
    config.reconnect.max_attempts = args.max_reconnects;
    config.resume = match &args.state_file {
        Some(path) => read_state(path)?,
        None => Vec::new(),
    };
    if args.cluster.cluster.is_some() {
        let (fleet, items) =
            super::cluster_cmd::open_fleet(config, &args.cluster, global.quiet).await?;
        let _emulator = emulator;
        return Ok((Source::Fleet { fleet, _emulator }, items));
    }
    let (cluster, items) = Cluster::start_items(config).await.map_err(|e| {
        let err = start_error(e);
        match &target.origin {
            Some(origin) => with_origin(err, origin),
            None => err,
        }
    })?;
    Ok((
        Source::Gateway {
            cluster,
            _emulator: emulator,
        },
        items,
    ))
}

/// `--from`: the NATS source, `events` mapped to its subject filter.
pub(crate) async fn nats_source(
    args: &SourceArgs,
    events: Vec<String>,
    target: &mut Target,
) -> Result<Option<(Source, qqbot::gateway::Items)>, CliError> {
    let opened = super::nats::open_from(
        &args.nats,
        &args.nats_stream,
        events,
        args.event_buffer_size,
    )
    .await?;
    Ok(opened.map(|(source, items)| {
        target.label = source.label().to_owned();
        (Source::Nats { source }, items.into())
    }))
}

/// The intents to use: `--intents`, the profile's, or the default (`all` with --emulator, whose
/// app is granted everything).
pub(crate) fn intents_of(args: &SourceArgs, settings: &Settings) -> Result<Intents, CliError> {
    let spec = args
        .intents
        .clone()
        .or_else(|| settings.intents.as_ref().map(|i| i.value.clone()))
        .unwrap_or_else(|| if args.emulator { "all" } else { "default" }.to_owned());
    let intents = Intents::parse(&spec).map_err(|e| {
        CliError::usage(format!("--intents: {e}"))
            .hint("`qqbot intents list` shows every name and alias")
    })?;
    // The gateway refuses an Identify with bits outside the table (close 4013/4014).
    let unknown = intents.unknown_bits();
    if unknown != 0 {
        return Err(CliError::usage(format!(
            "--intents: `{spec}` has bits outside the intents table ({unknown:#x}); the gateway would refuse the Identify"
        ))
        .hint("`qqbot intents list` shows every bit; `qqbot intents explain VALUE` breaks a value into bits"));
    }
    Ok(intents)
}

/// The intents for `listen`/`record`: `--intents auto` is the minimal set for the `-e` list;
/// `-e` names are checked against the event table, and a warning says when the intents cannot
/// deliver a requested event.
fn listen_intents(
    args: &ListenArgs,
    settings: &Settings,
    quiet: bool,
) -> Result<Intents, CliError> {
    use qqbot::protocol::events::EventIntent;
    // What the intents must deliver: the -e types and the --until-event types.
    let mut events = args.filter.checked_types()?;
    events.extend(pipeline::checked_event_types(
        "--until-event",
        &args.until_event,
    )?);
    let auto = args
        .source
        .intents
        .as_deref()
        .is_some_and(|i| i.trim().eq_ignore_ascii_case("auto"));
    let intents = if auto {
        if events.is_empty() {
            return Err(CliError::usage("--intents auto needs -e/--events (or --until-event): it picks the minimal intents for those event types")
                .hint("e.g. qqbot listen --intents auto -e AT_MESSAGE_CREATE,C2C_MESSAGE_CREATE"));
        }
        Intents::minimal_for(&events).0
    } else {
        intents_of(&args.source, settings)?
    };
    if !quiet {
        for event in &events {
            if let EventIntent::Intent(info) = event.intent()
                && intents.bits() & info.value() == 0
            {
                eprintln!(
                    "qqbot: warning: intents {} cannot deliver {event} (needs {})",
                    intents.names(),
                    info.name
                );
            }
        }
    }
    Ok(intents)
}

/// A QQ bot's app id is a number (q.qq.com → 开发设置 → AppID); anything else the token endpoint
/// refuses with 100007, so refuse it here with a clearer message.
pub(crate) fn check_app_id(app_id: &str) -> Result<(), CliError> {
    if app_id.is_empty() || !app_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            CliError::usage(format!("the app id `{app_id}` is not a number"))
                .hint("the AppID is the number on q.qq.com → 开发设置; set QQBOT_APP_ID to it"),
        );
    }
    Ok(())
}

/// Where the credentials came from, for hints: `app id from env QQBOT_APP_ID, secret from
/// profile `dev` in /home/me/.config/qqbot/config.toml`; when one is missing, where qqbot looked.
pub(crate) fn credential_origin(settings: &Settings) -> String {
    use qqbot::config::Source;
    let file = settings
        .config_path
        .as_ref()
        .map_or_else(|| "no config file".to_owned(), |p| p.display().to_string());
    let place = |source: &Source| match source {
        Source::File => format!("profile `{}` in {file}", settings.profile.value),
        other => other.to_string(),
    };
    let app = match &settings.app_id {
        Some(a) => format!("app id from {}", place(&a.source)),
        None => "no app id".to_owned(),
    };
    let secret = match &settings.secret {
        Some(s) => format!("secret from {}", place(&s.source)),
        None => "no secret".to_owned(),
    };
    if settings.app_id.is_some() && settings.secret.is_some() {
        return format!("{app}, {secret}");
    }
    format!(
        "{app}, {secret} (looked at --app-id/--secret-file, QQBOT_APP_ID/QQBOT_SECRET and profile `{}` in {file}{})",
        settings.profile.value,
        if settings.config_exists {
            ""
        } else {
            ", which does not exist"
        }
    )
}

/// Add where the credentials came from to an authentication error's hint.
pub(crate) fn with_origin(mut err: CliError, origin: &str) -> CliError {
    if err.exit == Exit::Auth {
        let hint = match err.hint.take() {
            Some(h) => format!("{h}; credentials used: {origin}"),
            None => format!("credentials used: {origin}"),
        };
        err.hint = Some(hint);
    }
    err
}

/// Resolve settings, printing config warnings.
pub fn settings(global: &GlobalArgs) -> Result<Settings, CliError> {
    let settings = resolve_from_env(&overrides(global))
        .map_err(|e| CliError::usage("cannot load the configuration").caused_by(&e))?;
    if !global.quiet {
        for warning in &settings.warnings {
            eprintln!("qqbot: warning: {warning}");
        }
    }
    Ok(settings)
}

pub(crate) fn target(args: &SourceArgs, settings: &Settings) -> Result<Target, CliError> {
    if args.emulator {
        if matches!(settings.api_base.source, qqbot::config::Source::Flag(_)) {
            return Err(CliError::usage(
                "--emulator and --api-base cannot be used together: --emulator starts its own OpenAPI and gateway",
            )
            .hint("drop --api-base, or drop --emulator and point --api-base (and --token-url) at a running `qqbot emulate`"));
        }
        let scenario = super::emulate::parse_scenario(&args.scenario)?;
        let mut config = EmulatorConfig {
            scenario,
            ..EmulatorConfig::default()
        };
        if let Some(ms) = args.heartbeat_interval {
            config.heartbeat_interval = Duration::from_millis(ms);
        }
        if let Some(rate) = args.rate {
            if !(rate > 0.0 && rate.is_finite()) {
                return Err(CliError::usage(
                    "--rate must be a positive number of events per second",
                ));
            }
            config.rate = rate;
        }
        if let Some(timeout) = args.session_timeout {
            config.session_timeout = timeout;
        }
        return Ok(Target {
            app_id: config.app_id.clone(),
            secret: config.secret.clone(),
            api_base: String::new(),
            token_url: String::new(),
            label: format!("embedded emulator ({scenario} scenario)"),
            sandbox: false,
            emulator: Some(config),
            origin: None,
        });
    }
    if args.dev_credentials {
        return Ok(Target {
            app_id: qqbot::emulator::DEFAULT_APP_ID.to_owned(),
            secret: qqbot::Secret::new(qqbot::emulator::DEFAULT_SECRET),
            api_base: settings.api_base.value.clone(),
            token_url: settings.token_url.value.clone(),
            label: if args.webhook.is_some() {
                format!(
                    "the emulator's development credentials, app id {}",
                    qqbot::emulator::DEFAULT_APP_ID
                )
            } else {
                format!(
                    "{} with the emulator's development credentials (app id {})",
                    settings.api_base.value,
                    qqbot::emulator::DEFAULT_APP_ID
                )
            },
            sandbox: false,
            emulator: None,
            origin: Some(
                "--dev-credentials (the emulator's development app id and secret)".to_owned(),
            ),
        });
    }
    if args.nats.from.is_some() {
        // Events come from the stream: credentials only for --forward-to signing.
        return Ok(Target {
            app_id: settings
                .app_id
                .as_ref()
                .map(|a| a.value.clone())
                .unwrap_or_default(),
            secret: settings
                .secret
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or_default(),
            api_base: String::new(),
            token_url: String::new(),
            label: String::new(),
            sandbox: false,
            emulator: None,
            origin: Some(credential_origin(settings)),
        });
    }
    let (Some(app_id), Some(secret)) = (&settings.app_id, &settings.secret) else {
        return Err(CliError::usage("no bot credentials")
            .cause(credential_origin(settings))
            .hint("set QQBOT_APP_ID and QQBOT_SECRET (or use --app-id with --secret-file, or a config profile); `qqbot listen --emulator` needs none, and --dev-credentials talks to a `qqbot emulate`"));
    };
    check_app_id(&app_id.value)?;
    Ok(Target {
        app_id: app_id.value.clone(),
        secret: secret.value.clone(),
        api_base: settings.api_base.value.clone(),
        token_url: settings.token_url.value.clone(),
        label: format!("{} ({})", settings.environment(), settings.api_base.value),
        sandbox: settings.sandbox.value,
        emulator: None,
        origin: Some(credential_origin(settings)),
    })
}

/// Fewer session starts than this fraction of the daily total left when `listen` starts is
/// worth a warning: a development loop that restarts the bot spends one per start (per shard),
/// and at zero the platform refuses every Identify until the reset.
const LOW_BUDGET_PERCENT: u32 = 10;

/// The warning for a session-start budget running low (`remaining` at start under
/// [`LOW_BUDGET_PERCENT`] of `total`), with the way out: a state file, so that restarts resume
/// instead of identifying.
fn budget_warning(
    limit: &qqbot::http::types::SessionStartLimit,
    state_file: bool,
) -> Option<String> {
    if u64::from(limit.remaining) * 100 >= u64::from(limit.total) * u64::from(LOW_BUDGET_PERCENT) {
        return None;
    }
    let minutes = limit.reset_after / 60_000;
    let mut warning = format!(
        "only {} of {} session starts were left today when this one began (resets in {}h{:02}m); each start that identifies spends one",
        limit.remaining,
        limit.total,
        minutes / 60,
        minutes % 60
    );
    if !state_file {
        warning.push_str(
            "; with --state-file FILE a restart resumes the session instead (no start spent)",
        );
    }
    Some(warning)
}

/// For `doctor --emulator` and `intents check --emulator`: start an embedded emulator (its demo
/// scenario) and point `settings` at it, its app id, secret, OpenAPI and token endpoint each said
/// to come from `--emulator`. The emulator runs while the returned handle lives.
pub(crate) async fn embedded_emulator(settings: &mut Settings) -> Result<Emulator, CliError> {
    use qqbot::config::{Source, Sourced};
    for (flag, source) in [
        ("--api-base", &settings.api_base.source),
        ("--token-url", &settings.token_url.source),
    ] {
        if matches!(source, Source::Flag(_)) {
            return Err(CliError::usage(format!(
                "--emulator and {flag} cannot be used together: --emulator starts its own OpenAPI and token endpoint"
            ))
            .hint(format!("drop {flag}, or drop --emulator and point {flag} at a running `qqbot emulate`")));
        }
    }
    let emulator = start_emulator(EmulatorConfig::default()).await?;
    let from = Source::Flag("--emulator");
    let config = emulator.config();
    settings.app_id = Some(Sourced {
        value: config.app_id.clone(),
        source: from.clone(),
    });
    settings.secret = Some(Sourced {
        value: config.secret.clone(),
        source: from.clone(),
    });
    settings.api_base = Sourced {
        value: emulator.api_base(),
        source: from.clone(),
    };
    settings.token_url = Sourced {
        value: emulator.token_url(),
        source: from.clone(),
    };
    settings.sandbox = Sourced {
        value: false,
        source: from,
    };
    Ok(emulator)
}

/// Whether `settings` point at an embedded emulator ([`embedded_emulator`]).
async fn start_emulator(config: EmulatorConfig) -> Result<Emulator, CliError> {
    Emulator::start(config)
        .await
        .map_err(|e| CliError::failure("cannot start the embedded emulator").caused_by(&e))
}

/// Bind the webhook receiver (and point an embedded emulator at it).
async fn webhook_source(
    global: &GlobalArgs,
    args: &SourceArgs,
    dedup: bool,
    addr: SocketAddr,
    target: &mut Target,
) -> Result<(Source, qqbot::gateway::Items), CliError> {
    let mut config = ReceiverConfig::new(addr, target.app_id.clone(), target.secret.clone());
    config.path = args.webhook_path.clone();
    config.dedup = dedup;
    config.timestamp_window =
        (args.timestamp_window > 0).then(|| Duration::from_secs(args.timestamp_window));
    config.tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let (receiver, items) = WebhookReceiver::bind(config).await.map_err(|e| {
        super::exit::bind_error(
            format!("cannot receive webhooks on {addr}"),
            &e,
            "--webhook",
        )
    })?;
    let emulator = match target.emulator.take() {
        Some(mut config) => {
            config.webhook_to = Some(receiver.url());
            let emulator = start_emulator(config).await?;
            target.label = format!(
                "{0} at {1} (control API {1}/_emulator/)",
                target.label,
                emulator.api_base()
            );
            Some(emulator)
        }
        None => {
            if !global.quiet {
                for warning in setup_warnings(
                    receiver.addr(),
                    receiver.is_tls(),
                    !receiver.addr().ip().is_loopback(),
                ) {
                    eprintln!("qqbot: warning: {warning}");
                }
            }
            None
        }
    };
    target.label = format!("webhooks at {} ({})", receiver.url(), target.label);
    Ok((
        Source::Webhook {
            receiver,
            _emulator: emulator,
        },
        items.into(),
    ))
}

fn read_state(path: &Path) -> Result<Vec<SessionInfo>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            CliError::failure(format!("state file {} is not valid", path.display()))
                .caused_by(&e)
                .hint("delete it to start a fresh session")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(
            CliError::failure(format!("cannot read state file {}", path.display())).caused_by(&e),
        ),
    }
}

pub(crate) fn write_state(path: &Path, sessions: &[SessionInfo]) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(sessions).expect("sessions serialise");
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            CliError::failure(format!("cannot write state file {}", path.display())).caused_by(&e)
        })
}

/// `all (2114721283)`, `default (…)` or the names.
pub(crate) fn intents_label(intents: Intents) -> String {
    if intents == Intents::all() {
        format!("all ({})", intents.bits())
    } else if intents == Intents::default_granted() {
        format!("default ({})", intents)
    } else {
        intents.to_string()
    }
}

/// The host (and port) of a URL, for the recording header.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// Map a start-up failure to an exit code and a hint.
pub fn start_error(err: StartError) -> CliError {
    match &err {
        e if e.is_auth() => {
            let err =
                CliError::new(Exit::Auth, "cannot start the gateway connection").caused_by(&err);
            // Point `explain` at the code the token endpoint actually sent (100007, 100016, …).
            let code = err
                .causes
                .iter()
                .find_map(|c| {
                    let digits: String = c
                        .split("code ")
                        .nth(1)?
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    (!digits.is_empty()).then_some(digits)
                })
                .unwrap_or_else(|| "100016".to_owned());
            err.hint(format!("check QQBOT_APP_ID and QQBOT_SECRET (the AppSecret in the QQ console); `qqbot explain {code}` explains this error"))
        }
        StartError::SessionBudget { .. } => CliError::new(
            Exit::Refused,
            "not starting: the daily session budget is too small",
        )
        .caused_by(&err)
        .hint("wait for the budget to reset, or run fewer shards (--shard ID/COUNT)"),
        StartError::Config(_) => {
            CliError::usage("cannot start the gateway connection").caused_by(&err)
        }
        StartError::TooManyShards { .. } => CliError::usage("cannot start the gateway connection")
            .caused_by(&err)
            .hint("run one shard per process with --shard ID/COUNT"),
        _ => CliError::failure("cannot start the gateway connection")
            .caused_by(&err)
            .hint("check the network path to the API base and token URL (--api-base, --token-url)"),
    }
}

/// The CLI's wording of a fatal close's hint, where a flag or subcommand helps (the library's
/// hints name none).
fn cli_close_hint(cause: qqbot::gateway::FatalCause) -> Option<&'static str> {
    match cause {
        qqbot::gateway::FatalCause::CloseCode(4011) => {
            Some("run more shards: `--shards N` with N from /gateway/bot")
        }
        qqbot::gateway::FatalCause::IdentifyRejected => Some(
            "check the granted intents (`qqbot intents check --live`), sandbox vs production (`--sandbox`), and the IP whitelist",
        ),
        qqbot::gateway::FatalCause::CloseCode(4013 | 4014) => Some(
            "remove intents the bot was not granted (GUILD_MESSAGES and FORUMS_EVENT are private-bot only); `qqbot intents check --live` finds the granted set",
        ),
        qqbot::gateway::FatalCause::CloseCode(4914) => {
            Some("connect to the sandbox (`--sandbox`), or publish the bot in the QQ console")
        }
        _ => None,
    }
}

/// Run `qqbot listen`.
pub async fn run(global: &GlobalArgs, args: ListenArgs) -> CliResult {
    run_with(global, args, false).await
}

/// Run `qqbot listen`, or `qqbot record` when `silent` (nothing on stdout, a spinner on stderr).
pub async fn run_with(global: &GlobalArgs, args: ListenArgs, silent: bool) -> CliResult {
    let settings = settings(global)?;
    let intents = listen_intents(&args, &settings, global.quiet)?;
    let until = pipeline::checked_event_types("--until-event", &args.until_event)?;
    let mut target = target(&args.source, &settings)?;
    let mut recorder = match &args.record {
        Some(path) => Some(Recorder::prepare(path)?),
        None => None,
    };
    let json = global.stream_json();
    let format = if silent {
        Format::Silent
    } else if json {
        Format::Ndjson
    } else {
        Format::Human(
            Painter::new(style::stdout_color(global.color)).with_short_ids(args.short_ids),
        )
    };
    let options = PipelineOptions {
        filter: args.filter.filter(args.include_control, true),
        dedup: args.dedup,
        count: args.count,
        until: (!until.is_empty()).then(|| until.iter().map(|t| t.as_str().to_owned()).collect()),
        jq: args.filter.checked_jq()?,
        format,
        notices: !global.quiet,
        stderr_painter: Painter::new(style::stderr_color(global.color)),
    };

    let resumed_from = match &args.source.state_file {
        Some(path) => read_state(path)?,
        None => Vec::new(),
    };
    if args.publish.publish.is_some() && args.source.nats.from.is_some() {
        return Err(CliError::usage(
            "--publish and --from cannot be used together",
        ));
    }
    // NATS first: an unreachable server fails before the gateway is touched.
    let publisher = super::nats::start_publisher(
        &args.publish,
        &args.source.nats_stream,
        &target.app_id,
        args.source.state_file.clone(),
        global.quiet,
    )
    .await?;
    let started = Instant::now();
    // The Ctrl-C and SIGTERM handlers are in place before the (possibly slow) start: a stop
    // while the token, `/gateway/bot` or the shards are being set up still ends with a summary
    // and 130 (or 143).
    let mut signals = super::signals::StopSignals::new()?;
    let opened = {
        let opening = async {
            match nats_source(&args.source, args.filter.types(), &mut target).await? {
                Some(opened) => Ok(opened),
                None => {
                    open_source(
                        global,
                        &args.source,
                        args.dedup,
                        intents,
                        &mut target,
                        recorder.as_ref().map(Recorder::tap),
                        publisher
                            .as_ref()
                            .map(qqbot::nats::Publisher::heartbeat_cursor),
                    )
                    .await
                }
            }
        };
        tokio::select! {
            opened = opening => Ok(opened?),
            stop = signals.recv() => Err(stop),
        }
    };
    let (source, mut items) = match opened {
        Ok(opened) => opened,
        Err(stop) => {
            if !global.quiet {
                eprintln!("qqbot: {} while starting", stop.past_tense());
                eprint!(
                    "{}",
                    qqbot::output::stats::Stats::default().summary(started.elapsed())
                );
            }
            return Ok(stop.exit());
        }
    };
    let (shard_count, gateway_host, shards_total) = match &source {
        Source::Gateway { cluster, .. } => (
            cluster.shards().len(),
            host_of(&cluster.gateway().url),
            cluster.shards().first().map_or(1, |h| h.shard().count),
        ),
        Source::Webhook { receiver, .. } => (1, host_of(&receiver.url()), 1),
        Source::Nats { .. } => (
            1,
            host_of(args.source.nats.from.as_deref().unwrap_or("")),
            1,
        ),
        Source::Fleet { fleet, .. } => (
            fleet.shard_count() as usize,
            host_of(&fleet.gateway().url),
            fleet.shard_count(),
        ),
    };
    let handled = match &source {
        Source::Nats { source } => Some(source.handled()),
        _ => None,
    };
    if let Some(recorder) = recorder.as_mut() {
        let mut header = Header::new(Utc::now());
        header.gateway = gateway_host;
        header.sandbox = target.sandbox;
        header.intents = intents.bits();
        header.shards = shards_total;
        header.app_id = target.app_id.clone();
        let redaction = Redaction::new([target.secret.clone()])
            .with_ids(args.redact_ids)
            .with_names(args.redact_names || args.redact_ids)
            .with_content(args.redact_content);
        if let Err(e) = recorder.open(&header, &redaction, &[&target.secret]) {
            source.close().await;
            return Err(e);
        }
    }
    let metrics = match args.metrics {
        Some(addr) => {
            let exporter = if publisher.is_some() {
                qqbot::output::prometheus::Exporter::with_publish()
            } else {
                qqbot::output::prometheus::Exporter::new()
            };
            if let Some(publisher) = &publisher {
                publisher.set_metrics(exporter.clone());
            }
            source.feed_metrics(&exporter);
            match super::metrics::serve(&exporter, addr, global.quiet).await {
                Ok(_server) => Some(exporter),
                Err(e) => {
                    source.close().await;
                    return Err(e);
                }
            }
        }
        None => None,
    };
    let forwarder =
        match forward::start(&args.forward, &target.app_id, &target.secret, global.quiet) {
            Ok(forwarder) => forwarder,
            Err(e) => {
                source.close().await;
                return Err(e);
            }
        };
    if !global.quiet {
        match &source {
            Source::Gateway { cluster, .. } => {
                eprintln!(
                    "qqbot: listening to {} on {shard_count} shard(s), intents {}; Ctrl-C to stop",
                    target.label,
                    intents_label(intents)
                );
                if let Some(warning) = budget_warning(
                    &cluster.gateway().session_start_limit,
                    args.source.state_file.is_some(),
                ) {
                    eprintln!("qqbot: warning: {warning}");
                }
            }
            Source::Fleet { .. } => eprintln!(
                "qqbot: listening to {} on this process's share of {shard_count} shard(s), intents {}; Ctrl-C to stop",
                target.label,
                intents_label(intents)
            ),
            Source::Webhook { .. } => {
                eprintln!("qqbot: receiving {}; Ctrl-C to stop", target.label);
            }
            Source::Nats { .. } => eprintln!("qqbot: reading {}; Ctrl-C to stop", target.label),
        }
    }

    let progress = (silent && !global.quiet && !global.json && std::io::stderr().is_terminal())
        .then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} recording {elapsed_precise} {msg}")
            {
                bar.set_style(style);
            }
            bar
        });
    let consumer = tokio::task::spawn_blocking(move || {
        let mut pipeline = Pipeline::new(options, std::io::stdout().lock());
        if let Some(recorder) = recorder {
            pipeline = pipeline.with_recorder(recorder);
        }
        if let Some(bar) = progress {
            pipeline = pipeline.with_progress(bar);
        }
        pipeline = pipeline
            .with_forwarder(forwarder)
            .with_metrics(metrics)
            .with_publisher(publisher)
            .with_handled(handled);
        pipeline::drain(pipeline, &mut items, shard_count)
    });
    tokio::pin!(consumer);
    let deadline = async {
        match args.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    enum End {
        Stopped(super::signals::Stop),
        Deadline,
        Consumer,
    }
    let (end, finished) = tokio::select! {
        stop = signals.recv() => (End::Stopped(stop), None),
        () = deadline => (End::Deadline, None),
        outcome = &mut consumer => (End::Consumer, Some(outcome)),
    };
    // A second Ctrl-C or SIGTERM while closing aborts at once (the handlers stay installed, so
    // without this a SIGTERM during the close would do nothing).
    signals.abort_on_next();
    // Close cleanly (the channel ends, the consumer drains what is left and stops), then keep the
    // still-resumable sessions for the next run.
    let (mut sessions, dropped_redeliveries) = source.close_counting().await;
    let mut outcome = match finished {
        Some(outcome) => outcome,
        None => consumer.await,
    }
    .map_err(|e| CliError::failure("the output thread failed").caused_by(&e))?;
    // The saved cursor never passes an event this run did not write or handle: events the
    // gateway delivered after the output stopped are replayed by the next run's resume.
    for session in &mut sessions {
        session.last_seq = match outcome.cursors.get(&session.shard.id) {
            Some((id, seq)) if *id == session.session_id => *seq,
            // The session was never seen by the output: nothing of it was handled, unless it
            // is the one resumed from the state file and nothing new arrived.
            _ => resumed_from
                .iter()
                .find(|s| s.session_id == session.session_id)
                .and_then(|s| s.last_seq),
        };
    }
    outcome.stats.duplicates += dropped_redeliveries;
    super::nats::finish_publisher(outcome.publisher.take(), &mut sessions, global.quiet).await;
    if let Some(forwarder) = outcome.forwarder.take() {
        // With forwarding, a restart resumes from the last event every handler accepted.
        for session in &mut sessions {
            if let Some(seq) = session.last_seq {
                session.last_seq = Some(forwarder.resume_seq(session.shard, seq));
            }
        }
        let stats = forwarder.close().await;
        if !global.quiet {
            eprintln!(
                "qqbot: forwarded {} event(s), {} failed, {} dropped",
                stats.delivered, stats.failed, stats.dropped
            );
        }
    }
    if let Some(path) = &args.source.state_file {
        write_state(path, &sessions)?;
    }
    if let Some(recorder) = outcome.recorder.take() {
        let (path, counters) = tokio::task::spawn_blocking(move || recorder.finish())
            .await
            .map_err(|e| CliError::failure("the recorder failed").caused_by(&e))??;
        if !global.quiet {
            let dropped = counters.dropped.load(std::sync::atomic::Ordering::Relaxed);
            eprintln!(
                "qqbot: recorded {} line(s) to {}{}",
                counters.lines.load(std::sync::atomic::Ordering::Relaxed),
                path.display(),
                if dropped > 0 {
                    format!(" ({dropped} dropped: the disk was too slow)")
                } else {
                    String::new()
                }
            );
        }
    }
    if !global.quiet && outcome.stop != Stop::BrokenPipe {
        pipeline::print_summary(&outcome, started);
    }
    if let Stop::WriteError(message) = &outcome.stop {
        return Err(CliError::failure(format!("cannot write output: {message}")));
    }
    if let Some(stop) = outcome.fatal.first()
        && outcome.fatal.len() >= shard_count
    {
        let (shard, reason) = (stop.shard, &stop.reason);
        let mut err = if stop.cause.is_auth() {
            CliError::new(
                Exit::Auth,
                format!("authentication failed on shard {shard}: {reason}"),
            )
        } else if stop.cause.is_refusal() {
            CliError::new(
                Exit::Refused,
                format!("the gateway refused the session on shard {shard}: {reason}"),
            )
        } else {
            CliError::failure(format!("shard {shard} stopped: {reason}"))
        };
        if stop.cause == qqbot::gateway::FatalCause::IdentifyRejected {
            err.causes
                .push("no READY after two Identify attempts (op 9 each time)".to_owned());
        }
        if let qqbot::gateway::FatalCause::RetriesExhausted { .. } = stop.cause {
            err = err.hint("check the network path to the gateway, or raise --max-reconnects (0, the default, never gives up)");
        } else if let Some(hint) = cli_close_hint(stop.cause) {
            err = err.hint(hint);
        } else if let Some(hint) = &stop.hint {
            err = err.hint(hint.clone());
        }
        if let Some(origin) = &target.origin {
            err = with_origin(err, origin);
        }
        return Err(err);
    }
    if let End::Stopped(stop) = end {
        return Ok(stop.exit());
    }
    if !until.is_empty() && outcome.stop != Stop::UntilReached {
        let names = args.until_event.join(", ");
        let (how, more) = match (&end, &outcome.stop) {
            (End::Deadline, _) => (
                format!(
                    "within {}",
                    qqbot::output::stats::human_duration(args.duration.unwrap_or_default())
                ),
                ", or give it more time (--duration)",
            ),
            (_, Stop::CountReached) => (
                format!("in the first {} event(s)", outcome.stats.shown),
                ", or raise --count",
            ),
            _ => ("before the event stream ended".to_owned(), ""),
        };
        return Err(
            CliError::failure(format!("no {names} arrived {how}")).hint(format!(
                "check the intents deliver it (`qqbot intents check --for-events {}`){more}",
                args.until_event.join(",")
            )),
        );
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_shards_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("5 parsecs").is_err());
        assert_eq!(parse_positive_duration("1ms"), Ok(Duration::from_millis(1)));
        assert!(
            parse_positive_duration("0s")
                .unwrap_err()
                .contains("above 0")
        );
        assert_eq!(parse_shard("1/4"), Ok(ShardId { id: 1, count: 4 }));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("x").is_err());
    }

    #[test]
    fn a_low_budget_is_warned_about_below_a_tenth() {
        let limit = |remaining| qqbot::http::types::SessionStartLimit {
            total: 1000,
            remaining,
            reset_after: 3 * 3_600_000 + 7 * 60_000 + 59_999,
            max_concurrency: 1,
        };
        assert_eq!(budget_warning(&limit(100), false), None);
        assert_eq!(budget_warning(&limit(1000), false), None);
        let low = budget_warning(&limit(99), false).unwrap();
        assert!(
            low.starts_with("only 99 of 1000 session starts were left today when this one began (resets in 3h07m)"),
            "{low}"
        );
        assert!(low.contains("--state-file"), "{low}");
        let with_state = budget_warning(&limit(0), true).unwrap();
        assert!(with_state.starts_with("only 0 of 1000"), "{with_state}");
        assert!(!with_state.contains("--state-file"), "{with_state}");
        // A zero total (never sent by the platform) warns of nothing.
        let zero = qqbot::http::types::SessionStartLimit {
            total: 0,
            ..limit(0)
        };
        assert_eq!(budget_warning(&zero, false), None);
    }
}
