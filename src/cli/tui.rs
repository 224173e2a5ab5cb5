//! `qqbot tui`: the live dashboard, fed by the gateway (live or an embedded emulator), by
//! webhooks, or by a recording.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Local, Utc};
use clap::Args;
use tokio::sync::{mpsc, watch};

use qqbot::record::{Pacer, Replay, Selection, Speed};
use qqbot::tui::{DEFAULT_FPS, Diagnostics, Header};

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::listen::{self, Source, SourceArgs, intents_label};

/// Arguments of `qqbot tui`.
#[derive(Debug, Args)]
pub struct TuiArgs {
    /// The source, as for `listen`.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Watch a recording instead (`-` for stdin).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["emulator", "webhook", "shards", "shard", "intents", "state_file"], help_heading = "Replay")]
    pub replay: Option<PathBuf>,
    /// Replay pacing: recorded speed times X.
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1.0,
        requires = "replay",
        help_heading = "Replay"
    )]
    pub speed: f64,
    /// Frames per second.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FPS, help_heading = "Display")]
    pub fps: u32,
}

/// Run `qqbot tui`.
pub async fn run(global: &GlobalArgs, args: TuiArgs) -> CliResult {
    if !std::io::stdout().is_terminal() {
        return Err(
            CliError::usage("the dashboard needs a terminal, but stdout is not a TTY")
                .hint("use `qqbot listen` for piped output"),
        );
    }
    let offset = *Utc::now().with_timezone(&Local).offset();
    let started = Instant::now();
    // SIGTERM and SIGHUP (and a SIGINT from `kill`: in the dashboard Ctrl-C is a key) end the
    // dashboard as Ctrl-C does, so the terminal is restored (when it is still there) and the
    // summary printed; a second one aborts.
    let mut signals = super::signals::StopSignals::new()?;
    let signalled = std::sync::Arc::new(std::sync::OnceLock::new());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let _watcher = AbortOnDrop(tokio::spawn({
        let signalled = signalled.clone();
        async move {
            let stop = signals.recv().await;
            let _ = signalled.set(stop);
            let _ = stop_tx.send(());
            signals.abort_on_next();
        }
    }));
    let feeds = |diagnostics, fleet| qqbot::tui::Feeds {
        diagnostics,
        fleet,
        stop: Some(stop_rx),
    };
    let stats = match &args.replay {
        Some(file) => {
            let speed =
                Speed::factor(args.speed).map_err(|e| CliError::usage(format!("--speed: {e}")))?;
            let (items, header) = replay_source(file, speed)?;
            let header = Header {
                utc_offset: offset,
                replay: true,
                ..header
            };
            qqbot::tui::run_dashboard_with(items, header, feeds(None, None), args.fps).await
        }
        None => {
            let settings = listen::settings(global)?;
            let intents = listen::intents_of(&args.source, &settings)?;
            let mut target = listen::target(&args.source, &settings)?;
            let (source, items) = listen::open_source(
                global,
                &args.source,
                false,
                intents,
                &mut target,
                None,
                None,
            )
            .await?;
            let shards = match &source {
                Source::Gateway { cluster, .. } => cluster.shards().len() as u32,
                Source::Webhook { .. } | Source::Nats { .. } => 1,
                Source::Fleet { fleet, .. } => fleet.shard_count(),
            };
            let diagnostics = diagnostics_of(&source);
            let header = Header {
                utc_offset: offset,
                stream: matches!(source, Source::Nats { .. }),
                ..Header::new(target.label.clone(), intents_label(intents), shards)
            };
            let (diag_tx, diag_rx) = watch::channel(diagnostics.clone().unwrap_or_default());
            let refresh = async {
                // The token TTL changes when the token is refreshed: re-read it now and then
                // (a single process's cluster, or the fleet this process leases shards in).
                if diagnostics_of(&source).is_none() {
                    return std::future::pending().await;
                }
                let mut tick = tokio::time::interval(Duration::from_secs(15));
                loop {
                    tick.tick().await;
                    let _ = diag_tx.send(diagnostics_of(&source).unwrap_or_default());
                }
            };
            // `--cluster`: the whole fleet from the bucket, read on a task of its own every few
            // seconds (a slow NATS never holds up drawing).
            let fleet_feed = match &source {
                Source::Fleet { fleet, .. } => {
                    let (tx, rx) = watch::channel(None);
                    let reader = fleet.status_reader();
                    let owner = fleet.owner().to_owned();
                    let count = fleet.shard_count();
                    let task = tokio::spawn(async move {
                        let mut tick = tokio::time::interval(FLEET_REFRESH);
                        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                        loop {
                            tick.tick().await;
                            let result = match tokio::time::timeout(
                                FLEET_READ_LIMIT,
                                reader.read(Some(count)),
                            )
                            .await
                            {
                                Ok(Ok(status)) => Ok(status),
                                Ok(Err(e)) => Err(e.to_string()),
                                Err(_) => Err(format!(
                                    "no answer within {} s",
                                    FLEET_READ_LIMIT.as_secs()
                                )),
                            };
                            let read = qqbot::tui::FleetRead {
                                owner: owner.clone(),
                                at: Utc::now(),
                                result,
                            };
                            if tx.send(Some(read)).is_err() {
                                break;
                            }
                        }
                    });
                    Some((rx, AbortOnDrop(task)))
                }
                _ => None,
            };
            let (fleet_rx, fleet_task) = match fleet_feed {
                Some((rx, task)) => (Some(rx), Some(task)),
                None => (None, None),
            };
            let feeds = feeds(diagnostics.map(|_| diag_rx), fleet_rx);
            let stats = tokio::select! {
                ended = qqbot::tui::run_dashboard_with(items, header, feeds, args.fps) => ended,
                () = refresh => unreachable!("the refresher never ends"),
            };
            drop(fleet_task); // stops the bucket reader
            let sessions = source.close().await;
            if let Some(path) = &args.source.state_file {
                listen::write_state(path, &sessions)?;
            }
            stats
        }
    };
    let ended = stats.map_err(|e| CliError::failure("the dashboard failed").caused_by(&e))?;
    if !global.quiet {
        eprint!("{}", ended.stats.summary(started.elapsed()));
    }
    // `q` is a normal quit; Ctrl-C is an interruption and SIGTERM a termination, as in `listen`.
    Ok(match (ended.interrupted, signalled.get()) {
        (true, Some(stop)) => stop.exit(),
        (true, None) => Exit::Interrupted,
        (false, _) => Exit::Ok,
    })
}

/// How often `tui --cluster` reads the fleet's bucket.
const FLEET_REFRESH: Duration = Duration::from_secs(2);
/// The most one read of the bucket may take (each NATS call is bounded too).
const FLEET_READ_LIMIT: Duration = Duration::from_secs(5);

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Items from a recording, paced, on a blocking thread.
fn replay_source(file: &Path, speed: Speed) -> Result<(qqbot::gateway::Items, Header), CliError> {
    let reader = super::replay::open(file)?;
    let recorded = reader.header().clone();
    let header = Header::new(
        format!("replay of {}", file.display()),
        qqbot::protocol::Intents(recorded.intents).names(),
        recorded.shards,
    );
    let (tx, rx) = mpsc::channel(4096);
    std::thread::spawn(move || {
        let mut pacer = Pacer::new(speed);
        let started = Instant::now();
        for next in Replay::new(reader, Selection::everything()) {
            let Ok(replayed) = next else { break };
            let delay = pacer.delay(replayed.offset, started.elapsed());
            if !delay.is_zero() {
                // Real-time pacing of the replay, not synchronisation.
                std::thread::sleep(delay);
            }
            if tx.blocking_send(replayed.item).is_err() {
                break;
            }
        }
    });
    Ok((rx.into(), header))
}

/// What the diagnostics view shows of a gateway source (its token's time to live included), read
/// at start-up and again every 15 s; `None` for sources without a gateway (webhook, stream).
fn diagnostics_of(source: &Source) -> Option<Diagnostics> {
    match source {
        Source::Gateway { cluster, .. } => Some(Diagnostics::from_gateway(
            cluster.gateway(),
            cluster.token_ttl(),
            Utc::now(),
        )),
        Source::Fleet { fleet, .. } => Some(Diagnostics::from_gateway(
            fleet.gateway(),
            fleet.token_ttl(),
            Utc::now(),
        )),
        Source::Webhook { .. } | Source::Nats { .. } => None,
    }
}
