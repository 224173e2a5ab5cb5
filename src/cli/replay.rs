//! `qqbot replay FILE`: print a recording as `listen` printed it, summarise it (`--stats`), or
//! serve it to any bot as a QQ platform (`--serve ADDR`).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent, Scenario};
use qqbot::gateway::ItemKind;
use qqbot::output::human::Painter;
use qqbot::record::{
    Dir, Pacer, Record, RecordReader, Replay, ReplayStats, Selection, Speed, Warning,
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
    /// Print a summary instead of the events.
    #[arg(long, conflicts_with = "serve", help_heading = "Output")]
    pub stats: bool,
    /// Forwarding to local handlers (needs the bot secret: QQBOT_SECRET, --secret-file or a
    /// profile).
    #[command(flatten)]
    pub forward: ForwardArgs,
    /// Act as a QQ platform on ADDR and deliver the recording's dispatches to whatever bot
    /// connects (any SDK; point its API base and token URL at the printed URLs).
    #[arg(long, value_name = "ADDR", help_heading = "Serving")]
    pub serve: Option<SocketAddr>,
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
    let global = global.clone();
    let quiet = global.quiet;
    let (exit, forwarder) = tokio::task::spawn_blocking(move || {
        if args.stats {
            (stats(&global, &args), None)
        } else {
            print(&global, &args, speed, forwarder)
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
) -> (CliResult, Option<Forwarder>) {
    let mut forwarder = forwarder;
    let result = print_with(global, args, speed, &mut forwarder);
    (result, forwarder)
}

fn print_with(
    global: &GlobalArgs,
    args: &ReplayArgs,
    speed: Speed,
    forwarder: &mut Option<Forwarder>,
) -> CliResult {
    let reader = open(&args.file)?;
    let json = global.json || !std::io::stdout().is_terminal();
    let format = if json {
        Format::Ndjson
    } else {
        Format::Human(Painter::new(style::stdout_color(global.color)))
    };
    let options = PipelineOptions {
        // Event types are applied by the selection.
        filter: args.filter.filter(args.include_control, false),
        dedup: false,
        count: None,
        format,
        notices: false,
        stderr_painter: Painter::new(style::stderr_color(global.color)),
    };
    let mut pipeline =
        Pipeline::new(options, std::io::stdout().lock()).with_forwarder(forwarder.take());
    let show_progress =
        !global.quiet && std::io::stderr().is_terminal() && !std::io::stdout().is_terminal();
    let progress = reader.progress();
    let bar = show_progress.then(|| progress_bar(&args.file));
    let mut replay = Replay::new(reader, args.selection());
    let mut pacer = Pacer::new(speed);
    let started = Instant::now();
    let mut count = 0u64;
    let mut stop = Stop::SourceEnded;
    let mut error = None;
    for next in replay.by_ref() {
        let replayed = match next {
            Ok(replayed) => replayed,
            Err(e) => {
                error = Some(
                    CliError::failure(format!("cannot replay {}", args.file.display()))
                        .caused_by(&e),
                );
                break;
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
            if let Some(found) = pipeline.flush() {
                stop = found;
                break;
            }
            // Real-time pacing of the output, not synchronisation.
            std::thread::sleep(delay);
        }
        if let Some(found) = pipeline.handle(&replayed.item) {
            stop = found;
            break;
        }
        count += 1;
        if let Some(bar) = &bar
            && count.is_multiple_of(256)
        {
            bar.set_position(progress.bytes());
            bar.set_message(format!(
                "{count} item(s), at {:.1} s",
                replayed.offset.as_secs_f64()
            ));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // What was printed before an error stays printed.
    let outcome = pipeline.finish(stop);
    *forwarder = outcome.forwarder;
    let stop = outcome.stop;
    print_warnings(replay.reader().warnings(), global.quiet);
    if let Some(error) = error {
        return Err(error);
    }
    match stop {
        Stop::WriteError(message) => {
            Err(CliError::failure(format!("cannot write output: {message}")))
        }
        _ => soft_error(&args.file, replay.reader().warnings()),
    }
}

async fn serve(
    global: &GlobalArgs,
    args: &ReplayArgs,
    addr: SocketAddr,
    speed: Speed,
) -> CliResult {
    let emulator = Emulator::bind(
        EmulatorConfig {
            scenario: Scenario::Quiet,
            ..EmulatorConfig::default()
        },
        addr,
    )
    .await
    .map_err(|e| super::exit::bind_error(format!("cannot listen on {addr}"), &e, "--serve"))?;
    super::emulate::announce(
        global,
        &emulator,
        &format!(
            "qqbot replay: serving {} as a QQ platform,",
            args.file.display()
        ),
        "Delivery starts when a bot identifies. Ctrl-C to stop.",
    );
    let mut signals = emulator.subscribe();
    let identified = async {
        loop {
            match signals.recv().await {
                Ok(EmulatorEvent::Identified { .. }) => return true,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return false,
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            emulator.shutdown().await;
            return Ok(Exit::Interrupted);
        }
        ok = identified => if !ok { return Err(CliError::failure("the emulator stopped")); }
    }
    if !global.quiet {
        eprintln!("qqbot: a bot identified; delivering the recording");
    }
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<(Duration, Arc<str>, String, Option<String>)>(256);
    let file = args.file.clone();
    let selection = Selection {
        include_control: false,
        ..args.selection()
    };
    let reader = tokio::task::spawn_blocking(move || -> Result<Vec<Warning>, CliError> {
        let reader = open(&file)?;
        let mut replay = Replay::new(reader, selection);
        for next in replay.by_ref() {
            let replayed = next.map_err(|e| {
                CliError::failure(format!("cannot replay {}", file.display())).caused_by(&e)
            })?;
            if let ItemKind::Dispatch(d) = replayed.item.kind {
                let message = (replayed.offset, d.t.clone(), d.d().to_owned(), d.id.clone());
                if tx.blocking_send(message).is_err() {
                    break;
                }
            }
        }
        Ok(replay.reader().warnings().to_vec())
    });
    let mut pacer = Pacer::new(speed);
    let started = tokio::time::Instant::now();
    let mut delivered = 0u64;
    let deliver = async {
        while let Some((offset, t, d, id)) = rx.recv().await {
            tokio::time::sleep_until(started + pacer.due(offset)).await;
            if emulator.inject_raw(&t, &d, id).is_ok() {
                delivered += 1;
            }
        }
    };
    let interrupted = tokio::select! {
        _ = tokio::signal::ctrl_c() => true,
        () = deliver => false,
    };
    if !interrupted {
        let warnings = reader
            .await
            .map_err(|e| CliError::failure("replay failed").caused_by(&e))??;
        print_warnings(&warnings, global.quiet);
        if !global.quiet {
            eprintln!("qqbot: all {delivered} recorded event(s) delivered; Ctrl-C to stop");
        }
        let _ = tokio::signal::ctrl_c().await;
    }
    emulator.shutdown().await;
    Ok(Exit::Interrupted)
}
