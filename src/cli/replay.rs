//! `qqbot replay FILE`: print a recording as `listen` printed it, summarise it (`--stats`), or
//! serve it to any bot as a QQ platform (`--serve ADDR`).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use qqbot::Secret;
use qqbot::emulator::{
    DEFAULT_APP_ID, DEFAULT_SECRET, Emulator, EmulatorConfig, EmulatorEvent, Scenario,
};
use qqbot::gateway::ItemKind;
use qqbot::output::human::Painter;
use qqbot::record::{
    Dir, NdjsonReplay, Pacer, Piece, Record, RecordError, RecordReader, Replay, ReplayStats,
    Selection, Speed, Warning,
};
use qqbot::webhook::Forwarder;

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::forward::{self, ForwardArgs};
use super::listen::{self, parse_duration};
use super::pipeline::{FilterArgs, Format, Pipeline, PipelineOptions, Stop};
use super::style;

/// Arguments of `qqbot replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Credentials and endpoints (for --serve and forwarding).
    #[command(flatten)]
    pub conn: super::ConnArgs,
    /// The recording (`-` reads standard input; zstd is detected).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Pace at the recorded speed times X (2 = twice as fast).
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1.0,
        conflicts_with = "max_speed"
    )]
    pub speed: f64,
    /// No pacing: as fast as possible.
    #[arg(long)]
    pub max_speed: bool,
    /// Only dispatches with s ≥ N.
    #[arg(long, value_name = "N")]
    pub from_seq: Option<u64>,
    /// Only dispatches with s ≤ N.
    #[arg(long, value_name = "N")]
    pub to_seq: Option<u64>,
    /// Start at this offset into the recording (e.g. 30s, 5m).
    #[arg(long, value_name = "OFFSET", value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// Stop at this offset into the recording.
    #[arg(long, value_name = "OFFSET", value_parser = parse_duration)]
    pub until: Option<Duration>,
    /// Which events to show.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Also replay lifecycle lines (connected, closes, resumes, heartbeats).
    #[arg(long, help_heading = "Output")]
    pub include_control: bool,
    /// In human lines, shorten ids and openids to 12 characters (default: in full).
    #[arg(long, help_heading = "Output")]
    pub short_ids: bool,
    /// Print a summary instead of the events (also `--summary`).
    #[arg(
        long,
        alias = "summary",
        conflicts_with = "serve",
        help_heading = "Output"
    )]
    pub stats: bool,
    /// Forwarding to local handlers (needs the bot secret: QQBOT_SECRET, --secret-file or a
    /// profile).
    #[command(flatten)]
    pub forward: ForwardArgs,
    /// Act as a QQ platform on ADDR and deliver the recording's dispatches to whatever bot
    /// connects (any SDK; point its API base and token URL at the printed URLs).
    #[arg(long, value_name = "ADDR", help_heading = "Serving")]
    pub serve: Option<SocketAddr>,
    /// With --serve: start the recording again for each session when it ends.
    #[arg(long = "loop", requires = "serve", help_heading = "Serving")]
    pub repeat: bool,
    /// `--publish nats://…`: the replayed events into NATS JetStream.
    #[command(flatten)]
    pub publish: super::nats::PublishArgs,
    /// The JetStream stream of `--publish`.
    #[command(flatten)]
    pub nats_stream: super::nats::StreamArgs,
}

impl ReplayArgs {
    fn selection(&self) -> Selection {
        Selection {
            from_seq: self.from_seq,
            to_seq: self.to_seq,
            since: self.since,
            until: self.until,
            types: self.filter.types(),
            include_control: self.include_control && self.serve.is_none(),
        }
    }

    fn check_range(&self) -> Result<(), CliError> {
        if let (Some(from), Some(to)) = (self.from_seq, self.to_seq)
            && from > to
        {
            return Err(CliError::usage(format!(
                "--from-seq {from} is after --to-seq {to}: nothing would be replayed"
            ))
            .hint("give the range in order, e.g. --from-seq 10 --to-seq 50"));
        }
        Ok(())
    }

    fn speed(&self) -> Result<Speed, CliError> {
        if self.max_speed {
            return Ok(Speed::Max);
        }
        Speed::factor(self.speed).map_err(|e| CliError::usage(format!("--speed: {e}")))
    }
}

/// Open a recording (`-` is stdin), with a clear error.
pub(crate) fn open(file: &Path) -> Result<RecordReader, CliError> {
    let result = if file.as_os_str() == "-" {
        RecordReader::from_reader(std::io::stdin())
    } else {
        RecordReader::open(file)
    };
    result.map_err(|e| {
        CliError::failure(format!("cannot replay {}", file.display()))
            .caused_by(&e)
            .hint(
                "recordings are written by `qqbot record -o FILE` or `qqbot listen --record FILE`",
            )
    })
}

/// A bar over the file's size when it is a regular file; a spinner for stdin and pipes.
fn progress_bar(file: &Path) -> ProgressBar {
    let size = (file.as_os_str() != "-")
        .then(|| std::fs::metadata(file).ok())
        .flatten()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len());
    let (bar, template) = match size {
        Some(len) => (
            ProgressBar::new(len),
            "replaying [{bar:30}] {percent:>3}% of {total_bytes} {elapsed_precise} {msg}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} replaying {bytes} {elapsed_precise} {msg}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    // Redrawn on a timer too, so a paced replay's clock keeps moving between updates.
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn print_warnings(warnings: &[Warning], quiet: bool) {
    if quiet {
        return;
    }
    for warning in warnings {
        eprintln!("qqbot: warning: {warning}");
    }
}

/// ripgrep's soft-error rule: a recording the reader warned about (torn last line, damaged
/// lines skipped) is printed in full, then the command fails (exit 1) with one summary line.
fn soft_error(file: &std::path::Path, warnings: &[Warning]) -> CliResult {
    let Some(first) = warnings.first() else {
        return Ok(Exit::Ok);
    };
    let more = match warnings.len() {
        1 => String::new(),
        n => format!(" (and {} more warning(s))", n - 1),
    };
    Err(CliError::failure(format!(
        "{} is torn or damaged: {first}{more}",
        file.display()
    ))
    .hint("everything readable was printed; a recording cut short by a crash loses only its last line"))
}

/// Run `qqbot replay`.
pub async fn run(global: &GlobalArgs, args: ReplayArgs) -> CliResult {
    let speed = args.speed()?;
    args.check_range()?;
    if args.serve.is_some() && args.publish.publish.is_some() {
        return Err(
            CliError::usage("--publish and --serve cannot be used together")
                .hint("--publish puts the replayed events into NATS; --serve plays them to a bot"),
        );
    }
    if args.serve.is_some() && args.filter.jq.is_some() {
        return Err(CliError::usage("--filter and --serve cannot be used together")
            .hint("--serve plays the recording to a bot as it was (select with --events, --from-seq/--to-seq or --since/--until); --filter selects what replay prints"));
    }
    if let Some(addr) = args.serve {
        return serve(global, &args, addr, speed).await;
    }
    let forwarder = if args.forward.forward_to.is_empty() || args.stats {
        None
    } else {
        let settings = listen::settings(global)?;
        let (Some(app_id), Some(secret)) = (&settings.app_id, &settings.secret) else {
            return Err(CliError::usage("--forward-to needs the bot's app id and secret")
                .hint("forwarded requests are signed with the key derived from the secret: set QQBOT_APP_ID and QQBOT_SECRET"));
        };
        forward::start(&args.forward, &app_id.value, &secret.value, global.quiet)?
    };
    let publisher = if args.stats || args.publish.publish.is_none() {
        None
    } else {
        let app_id = super::nats::recorded_app_id(&args.file, global);
        super::nats::start_publisher(
            &args.publish,
            &args.nats_stream,
            &app_id,
            None,
            global.quiet,
        )
        .await?
    };
    let global = global.clone();
    let quiet = global.quiet;
    let (exit, forwarder, publisher) = tokio::task::spawn_blocking(move || {
        if args.stats {
            (stats(&global, &args), None, None)
        } else {
            print(&global, &args, speed, forwarder, publisher)
        }
    })
    .await
    .map_err(|e| CliError::failure("replay failed").caused_by(&e))?;
    if let Some(forwarder) = forwarder {
        let stats = forwarder.close().await;
        if !quiet {
            eprintln!(
                "qqbot: forwarded {} event(s), {} failed, {} dropped",
                stats.delivered, stats.failed, stats.dropped
            );
        }
    }
    super::nats::finish_publisher(publisher, &mut [], quiet).await;
    exit
}

fn is_dispatch(record: &Record) -> bool {
    matches!(record, Record::Frame(f) if f.dir == Dir::Rx && f.envelope.as_ref().is_some_and(|e| e.op == 0))
}

fn stats(global: &GlobalArgs, args: &ReplayArgs) -> CliResult {
    let mut reader = open(&args.file)?;
    let selection = args.selection();
    let mut stats = ReplayStats::default();
    loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                if selection.is_past(&record) {
                    break;
                }
                // Filters pick dispatches; protocol frames and lifecycle events always count.
                if !is_dispatch(&record) || selection.matches(&record) {
                    stats.record(&record);
                }
            }
            Ok(None) => break,
            Err(e) => {
                return Err(
                    CliError::failure(format!("cannot replay {}", args.file.display()))
                        .caused_by(&e),
                );
            }
        }
    }
    print_warnings(reader.warnings(), global.quiet);
    if global.json {
        let rtt = |q| {
            stats
                .stats
                .rtt_quantile(q)
                .map(|d: Duration| d.as_secs_f64() * 1000.0)
        };
        let closes: serde_json::Map<String, serde_json::Value> = stats
            .stats
            .close_codes
            .iter()
            .map(|(code, n)| {
                (
                    code.map_or("none".to_owned(), |c| c.to_string()),
                    (*n).into(),
                )
            })
            .collect();
        outln!(
            "{}",
            serde_json::json!({
                "events": stats.stats.events, "by_type": stats.stats.by_type,
                "by_guild": stats.by_guild, "by_group": stats.by_group,
                "disconnects": stats.stats.closes, "close_codes": closes,
                "resumes": stats.stats.resumes, "reconnect_requests": stats.reconnect_requests(),
                "heartbeat_rtt_ms": {"p50": rtt(0.5), "p95": rtt(0.95), "p99": rtt(0.99)},
                "span_ms": stats.span.as_millis() as u64,
                "header": reader.header(),
            })
        )?;
    } else {
        let header = reader.header();
        outln!(
            "recording of {} (app {}, {} shard(s), intents {}), started {}",
            if header.gateway.is_empty() {
                "an unknown gateway"
            } else {
                header.gateway.as_str()
            },
            header.app_id,
            header.shards,
            header.intents,
            header
                .started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )?;
        out!("{}", stats.summary())?;
    }
    soft_error(&args.file, reader.warnings())
}

fn print(
    global: &GlobalArgs,
    args: &ReplayArgs,
    speed: Speed,
    forwarder: Option<Forwarder>,
    publisher: Option<qqbot::nats::Publisher>,
) -> (CliResult, Option<Forwarder>, Option<qqbot::nats::Publisher>) {
    let mut forwarder = forwarder;
    let mut publisher = publisher;
    let result = print_with(global, args, speed, &mut forwarder, &mut publisher);
    (result, forwarder, publisher)
}

fn print_with(
    global: &GlobalArgs,
    args: &ReplayArgs,
    speed: Speed,
    forwarder: &mut Option<Forwarder>,
    publisher: &mut Option<qqbot::nats::Publisher>,
) -> CliResult {
    let reader = open(&args.file)?;
    let json = global.stream_json();
    let format = if json {
        Format::Ndjson
    } else {
        Format::Human(
            Painter::new(style::stdout_color(global.color)).with_short_ids(args.short_ids),
        )
    };
    let options = PipelineOptions {
        // Event types are applied by the selection.
        filter: args.filter.filter(args.include_control, false),
        dedup: false,
        count: None,
        until: None,
        jq: args.filter.checked_jq()?,
        format,
        notices: false,
        stderr_painter: Painter::new(style::stderr_color(global.color)),
    };
    let mut pipeline = Pipeline::new(options, std::io::stdout().lock())
        .with_forwarder(forwarder.take())
        .with_publisher(publisher.take());
    let show_progress =
        !global.quiet && std::io::stderr().is_terminal() && !std::io::stdout().is_terminal();
    let progress = reader.progress();
    let bar = show_progress.then(|| progress_bar(&args.file));
    let show = |count: u64, offset: Duration| {
        if let Some(bar) = &bar {
            bar.set_position(progress.bytes());
            bar.set_message(format!("{count} item(s), at {:.1} s", offset.as_secs_f64()));
        }
    };
    // At full speed into plain NDJSON, lines are parsed and formatted on worker threads.
    let workers = if speed == Speed::Max && pipeline.takes_lines() {
        replay_workers()
    } else {
        0
    };
    let (ran, reader) = match NdjsonReplay::new(reader, args.selection(), workers) {
        Ok(mut parallel) => {
            let ran = run_parallel(&mut parallel, &mut pipeline, &show);
            (ran, Source::Parallel(parallel))
        }
        Err(reader) => {
            let mut replay = Replay::new(*reader, args.selection());
            let ran = run_sequential(&mut replay, &mut pipeline, speed, &show);
            (ran, Source::Sequential(replay))
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // What was printed before an error stays printed.
    let outcome = pipeline.finish(ran.stop);
    *forwarder = outcome.forwarder;
    *publisher = outcome.publisher;
    let stop = outcome.stop;
    let warnings = reader.reader().warnings();
    print_warnings(warnings, global.quiet);
    if let Some(e) = ran.error {
        return Err(
            CliError::failure(format!("cannot replay {}", args.file.display())).caused_by(&e),
        );
    }
    match stop {
        Stop::WriteError(message) => {
            Err(CliError::failure(format!("cannot write output: {message}")))
        }
        _ => soft_error(&args.file, warnings),
    }
}

/// Where replayed items come from.
enum Source {
    Sequential(Replay),
    Parallel(NdjsonReplay),
}

impl Source {
    fn reader(&self) -> &qqbot::record::RecordReader {
        match self {
            Source::Sequential(replay) => replay.reader(),
            Source::Parallel(parallel) => parallel.reader(),
        }
    }
}

/// How a replay loop ended: why it stopped, and the error that stopped reading.
struct Ran {
    stop: Stop,
    error: Option<RecordError>,
}

/// Worker threads for a replay at full speed to NDJSON: `QQBOT_REPLAY_WORKERS` (0 reads on one
/// thread), else one per CPU when there are at least two.
fn replay_workers() -> usize {
    if let Some(n) = std::env::var("QQBOT_REPLAY_WORKERS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        return n.min(64);
    }
    match std::thread::available_parallelism().map_or(1, usize::from) {
        1 => 0,
        cpus => cpus.min(8),
    }
}

fn run_parallel<W: std::io::Write>(
    parallel: &mut NdjsonReplay,
    pipeline: &mut Pipeline<W>,
    show: &dyn Fn(u64, Duration),
) -> Ran {
    let mut count = 0u64;
    let mut pieces = 0u64;
    while let Some(next) = parallel.next_piece() {
        let (stopped, offset) = match next {
            Ok(Piece::Lines {
                text,
                events,
                types,
                offset,
            }) => {
                count += events;
                (pipeline.push_lines(text, events, types), offset)
            }
            Ok(Piece::Item(replayed)) => {
                count += 1;
                (pipeline.handle(&replayed.item), replayed.offset)
            }
            Err(e) => {
                return Ran {
                    stop: Stop::SourceEnded,
                    error: Some(e),
                };
            }
        };
        if let Some(stop) = stopped {
            return Ran { stop, error: None };
        }
        pieces += 1;
        if pieces.is_multiple_of(4) {
            show(count, offset);
        }
    }
    Ran {
        stop: Stop::SourceEnded,
        error: None,
    }
}

fn run_sequential<W: std::io::Write>(
    replay: &mut Replay,
    pipeline: &mut Pipeline<W>,
    speed: Speed,
    show: &dyn Fn(u64, Duration),
) -> Ran {
    let mut pacer = Pacer::new(speed);
    let started = Instant::now();
    let mut count = 0u64;
    for next in replay.by_ref() {
        let replayed = match next {
            Ok(replayed) => replayed,
            Err(e) => {
                return Ran {
                    stop: Stop::SourceEnded,
                    error: Some(e),
                };
            }
        };
        // At full speed, no clock read per event.
        let delay = if speed == Speed::Max {
            Duration::ZERO
        } else {
            pacer.delay(replayed.offset, started.elapsed())
        };
        if !delay.is_zero() {
            // Show what is due before waiting for the next item.
            if let Some(stop) = pipeline.flush() {
                return Ran { stop, error: None };
            }
            // Real-time pacing of the output, not synchronisation.
            std::thread::sleep(delay);
        }
        if let Some(stop) = pipeline.handle(&replayed.item) {
            return Ran { stop, error: None };
        }
        count += 1;
        if count.is_multiple_of(256) {
            show(count, replayed.offset);
        }
    }
    Ran {
        stop: Stop::SourceEnded,
        error: None,
    }
}

/// The credentials `replay --serve` accepts besides the development ones.
struct Accepted {
    pairs: Vec<(String, Secret)>,
    /// For the banner (no secret in it).
    description: String,
}

/// The recording's app id and the configured credentials (`--app-id`, QQBOT_APP_ID,
/// QQBOT_SECRET, --secret-file, a profile), each with the development secret or the configured
/// one.
fn accepted_credentials(global: &GlobalArgs, args: &ReplayArgs) -> Accepted {
    let recorded = if args.file.as_os_str() == "-" {
        None
    } else {
        open(&args.file)
            .ok()
            .map(|r| r.header().app_id.clone())
            .filter(|id| !id.is_empty())
    };
    let settings = listen::settings(global).ok();
    let configured_id = settings
        .as_ref()
        .and_then(|s| s.app_id.as_ref().map(|a| a.value.clone()));
    let configured_secret = settings.and_then(|s| s.secret.map(|s| s.value));
    let mut ids: Vec<String> = Vec::new();
    for id in [global.app_id.clone(), recorded.clone(), configured_id]
        .into_iter()
        .flatten()
    {
        if id != DEFAULT_APP_ID && !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut pairs = Vec::new();
    for id in &ids {
        pairs.push((id.clone(), Secret::new(DEFAULT_SECRET)));
        if let Some(secret) = &configured_secret {
            pairs.push((id.clone(), secret.clone()));
        }
    }
    let mut description = format!("Accepted credentials: app id {DEFAULT_APP_ID} (development)");
    for id in &ids {
        let from = if Some(id) == recorded.as_ref() {
            " (the recording's)"
        } else {
            ""
        };
        description.push_str(&format!(", app id {id}{from}"));
    }
    description.push_str(", each with the development secret");
    if configured_secret.is_some() {
        description.push_str(" or the configured one (not printed)");
    }
    description.push('.');
    Accepted { pairs, description }
}

async fn serve(
    global: &GlobalArgs,
    args: &ReplayArgs,
    addr: SocketAddr,
    speed: Speed,
) -> CliResult {
    let accepted = accepted_credentials(global, args);
    let emulator = Emulator::bind(
        EmulatorConfig {
            scenario: Scenario::Quiet,
            also_accept: accepted.pairs,
            ..EmulatorConfig::default()
        },
        addr,
    )
    .await
    .map_err(|e| super::exit::bind_error(format!("cannot listen on {addr}"), &e, "--serve"))?;
    // Before the URLs are printed, as in `emulate`.
    let mut stop_signals = super::signals::StopSignals::new()?;
    super::emulate::announce(
        global,
        &emulator,
        &format!(
            "qqbot replay: serving {} as a QQ platform,",
            args.file.display()
        ),
        &format!(
            "{}\nEach bot that identifies gets the recording from the start. Ctrl-C to stop.",
            accepted.description
        ),
    );
    // Every new session (Identify) gets the recording from the start, at its own pace; a
    // Resume continues the same session, so it carries on where it was.
    let mut signals = emulator.subscribe();
    let sessions = async {
        loop {
            match signals.recv().await {
                Ok(EmulatorEvent::Identified { session_id, .. }) => {
                    if !global.quiet {
                        eprintln!(
                            "qqbot: session {session_id} identified; delivering the recording"
                        );
                    }
                    let feed = SessionFeed {
                        emulator: emulator.clone(),
                        session_id,
                        file: args.file.clone(),
                        selection: Selection {
                            include_control: false,
                            ..args.selection()
                        },
                        speed,
                        repeat: args.repeat,
                        quiet: global.quiet,
                    };
                    tokio::spawn(feed.run());
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    let stop = tokio::select! {
        stop = stop_signals.recv() => stop,
        () = sessions => {
            emulator.shutdown().await;
            return Err(CliError::failure("the emulator stopped"));
        }
    };
    stop_signals.abort_on_next();
    emulator.shutdown().await;
    Ok(stop.exit())
}

/// The recording, delivered to one session.
struct SessionFeed {
    emulator: Emulator,
    session_id: String,
    file: PathBuf,
    selection: Selection,
    speed: Speed,
    repeat: bool,
    quiet: bool,
}

impl SessionFeed {
    async fn run(self) {
        let mut round = 0u64;
        loop {
            round += 1;
            match self.once().await {
                Ok((sent, filtered, warnings)) => {
                    if self.quiet {
                        // Nothing to say.
                    } else {
                        if round == 1 {
                            print_warnings(&warnings, false);
                        }
                        eprintln!(
                            "qqbot: session {}: {sent} recorded event(s) sent, {filtered} filtered out by its intents{}",
                            self.session_id,
                            if self.repeat {
                                format!(" (round {round})")
                            } else {
                                String::new()
                            }
                        );
                        if filtered > 0 && round == 1 {
                            eprintln!(
                                "qqbot: warning: the bot's intents do not cover {filtered} of the recording's events (hint: identify with the intents the recording was made with, e.g. `--intents all`)"
                            );
                        }
                    }
                }
                Err(e) => {
                    eprint!("{}", e.render());
                    return;
                }
            }
            if !self.repeat {
                return;
            }
        }
    }

    /// One pass over the recording: (sent, filtered out, reader warnings).
    async fn once(&self) -> Result<(u64, u64, Vec<Warning>), CliError> {
        let (tx, mut rx) =
            tokio::sync::mpsc::channel::<(Duration, Arc<str>, String, Option<String>)>(256);
        let file = self.file.clone();
        let selection = self.selection.clone();
        let reader = tokio::task::spawn_blocking(move || -> Result<Vec<Warning>, CliError> {
            if is_listen_ndjson(&file) {
                feed_listen_lines(&file, &selection, &tx)?;
                return Ok(Vec::new());
            }
            let reader = open(&file)?;
            let mut replay = Replay::new(reader, selection);
            for next in replay.by_ref() {
                let replayed = next.map_err(|e| {
                    CliError::failure(format!("cannot replay {}", file.display())).caused_by(&e)
                })?;
                if let ItemKind::Dispatch(d) = replayed.item.kind {
                    let message = (
                        replayed.offset,
                        d.t.clone(),
                        d.d().to_owned(),
                        d.id().map(str::to_owned),
                    );
                    if tx.blocking_send(message).is_err() {
                        break;
                    }
                }
            }
            Ok(replay.reader().warnings().to_vec())
        });
        let mut pacer = Pacer::new(self.speed);
        let started = tokio::time::Instant::now();
        let (mut sent, mut filtered) = (0u64, 0u64);
        while let Some((offset, t, d, id)) = rx.recv().await {
            tokio::time::sleep_until(started + pacer.due(offset)).await;
            match self.emulator.inject_raw_to(&self.session_id, &t, &d, id) {
                Ok(0) => filtered += 1,
                Ok(_) => sent += 1,
                Err(_) => {}
            }
        }
        let warnings = reader
            .await
            .map_err(|e| CliError::failure("replay failed").caused_by(&e))??;
        Ok((sent, filtered, warnings))
    }
}

/// What the per-session feed sends on: offset, t, d (raw JSON), id.
type FeedLine = (Duration, Arc<str>, String, Option<String>);

/// Whether `file` is `qqbot listen --json` output (lines with `kind`) rather than a recording
/// (whose first line is a header with `format`).
fn is_listen_ndjson(file: &Path) -> bool {
    use std::io::BufRead;
    if file.as_os_str() == "-" {
        return false;
    }
    let Ok(f) = std::fs::File::open(file) else {
        return false;
    };
    let mut first = String::new();
    if std::io::BufReader::new(f).read_line(&mut first).is_err() {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(&first)
        .is_ok_and(|v| v.get("kind").is_some() && v.get("format").is_none())
}

/// Send the dispatch lines of `listen --json` output (kind, t, s, id, d, received_at), paced by
/// `received_at`, honouring the event-type and seq selection.
fn feed_listen_lines(
    file: &Path,
    selection: &Selection,
    tx: &tokio::sync::mpsc::Sender<FeedLine>,
) -> Result<(), CliError> {
    use std::io::BufRead;

    #[derive(serde::Deserialize)]
    struct Line<'a> {
        kind: &'a str,
        #[serde(default)]
        t: Option<String>,
        #[serde(default)]
        s: Option<u64>,
        #[serde(default)]
        id: Option<String>,
        #[serde(borrow, default)]
        d: Option<&'a serde_json::value::RawValue>,
        #[serde(default)]
        received_at: Option<String>,
    }

    let cannot = |e: &(dyn std::error::Error + 'static)| {
        CliError::failure(format!("cannot replay {}", file.display())).caused_by(e)
    };
    let f = std::fs::File::open(file).map_err(|e| cannot(&e))?;
    let mut first_at: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| cannot(&e))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(&line).map_err(|e| {
            CliError::failure(format!(
                "cannot replay {}: line {} is not a listen line",
                file.display(),
                n + 1
            ))
            .caused_by(&e)
        })?;
        let (Some(t), Some(d)) = (parsed.t, parsed.d) else {
            continue;
        };
        if parsed.kind != "dispatch"
            || (!selection.types.is_empty()
                && !selection.types.iter().any(|x| x.eq_ignore_ascii_case(&t)))
            || selection
                .from_seq
                .is_some_and(|from| parsed.s.is_none_or(|s| s < from))
            || selection
                .to_seq
                .is_some_and(|to| parsed.s.is_none_or(|s| s > to))
        {
            continue;
        }
        let at = parsed
            .received_at
            .and_then(|r| chrono::DateTime::parse_from_rfc3339(&r).ok());
        let offset = match (at, first_at) {
            (Some(at), None) => {
                first_at = Some(at);
                Duration::ZERO
            }
            (Some(at), Some(first)) => (at - first).to_std().unwrap_or(Duration::ZERO),
            (None, _) => Duration::ZERO,
        };
        let line = (offset, Arc::from(t.as_str()), d.get().to_owned(), parsed.id);
        if tx.blocking_send(line).is_err() {
            break;
        }
    }
    Ok(())
}
