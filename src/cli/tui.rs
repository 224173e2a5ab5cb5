//! `qqbot tui`: the live dashboard, fed by the gateway (live or an embedded emulator), by
//! webhooks, or by a recording.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Local, Utc};
use clap::{Args, Parser};
use tokio::sync::{mpsc, watch};

use qqbot::gateway::{GatewayItem, ShardId};
use qqbot::record::{Pacer, Replay, Selection, Speed};
use qqbot::tui::{DEFAULT_FPS, Diagnostics, Header};

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::listen::{self, ListenArgs, Source, intents_label, parse_shard};

/// Arguments of `qqbot tui`.
#[derive(Debug, Args)]
pub struct TuiArgs {
    /// Intents: names or aliases, numbers, `default` or `all`.
    #[arg(long, short = 'i', value_name = "INTENTS")]
    pub intents: Option<String>,
    /// Run N shards (default: as many as /gateway/bot recommends).
    #[arg(long, value_name = "N", conflicts_with = "shard")]
    pub shards: Option<u32>,
    /// Run one shard of a larger set, e.g. 2/4.
    #[arg(long, value_name = "ID/COUNT", value_parser = parse_shard)]
    pub shard: Option<ShardId>,
    /// Watch an embedded emulator (no credentials needed).
    #[arg(long)]
    pub emulator: bool,
    /// Emulator scenario with --emulator (demo, session-timeout, zombie, …).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "demo",
        requires = "emulator"
    )]
    pub scenario: String,
    /// Watch webhooks received on ADDR instead of the gateway.
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["shards", "shard"])]
    pub webhook: Option<SocketAddr>,
    /// Watch a recording instead (`-` for stdin).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["emulator", "webhook", "shards", "shard", "intents"])]
    pub replay: Option<PathBuf>,
    /// Replay pacing: recorded speed times X.
    #[arg(long, value_name = "X", default_value_t = 1.0, requires = "replay")]
    pub speed: f64,
    /// Frames per second.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FPS)]
    pub fps: u32,
}

/// `listen`'s defaults, with the dashboard's choices on top.
fn listen_args(args: &TuiArgs) -> ListenArgs {
    #[derive(Parser)]
    struct Defaults {
        #[command(flatten)]
        listen: ListenArgs,
    }
    let mut listen = Defaults::parse_from(["listen"]).listen;
    listen.intents = args.intents.clone();
    listen.shards = args.shards;
    listen.shard = args.shard;
    listen.emulator = args.emulator;
    listen.scenario = args.scenario.clone();
    listen.webhook = args.webhook;
    listen
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
    let stats = match &args.replay {
        Some(file) => {
            let speed =
                Speed::factor(args.speed).map_err(|e| CliError::usage(format!("--speed: {e}")))?;
            let (items, header) = replay_source(file, speed)?;
            let header = Header {
                utc_offset: offset,
                ..header
            };
            qqbot::tui::run(items, header, None, args.fps).await
        }
        None => {
            let listen_args = listen_args(&args);
            let settings = listen::settings(global)?;
            let intents = listen::intents_of(&listen_args, &settings)?;
            let mut target = listen::target(&listen_args, &settings)?;
            let (source, items) =
                listen::open_source(global, &listen_args, intents, &mut target, None).await?;
            let (shards, diagnostics) = match &source {
                Source::Gateway { cluster, .. } => (
                    cluster.shards().len() as u32,
                    Some(Diagnostics::from_gateway(
                        cluster.gateway(),
                        cluster.token_ttl(),
                        Utc::now(),
                    )),
                ),
                Source::Webhook { .. } => (1, None),
            };
            let header = Header {
                utc_offset: offset,
                ..Header::new(target.label.clone(), intents_label(intents), shards)
            };
            let (diag_tx, diag_rx) = watch::channel(diagnostics.clone().unwrap_or_default());
            let refresh = async {
                // The token TTL changes when the token is refreshed: re-read it now and then.
                let Source::Gateway { cluster, .. } = &source else {
                    return std::future::pending().await;
                };
                let mut tick = tokio::time::interval(Duration::from_secs(15));
                loop {
                    tick.tick().await;
                    let _ = diag_tx.send(Diagnostics::from_gateway(
                        cluster.gateway(),
                        cluster.token_ttl(),
                        Utc::now(),
                    ));
                }
            };
            let stats = tokio::select! {
                stats = qqbot::tui::run(items, header, diagnostics.map(|_| diag_rx), args.fps) => stats,
                () = refresh => unreachable!("the refresher never ends"),
            };
            source.close().await;
            stats
        }
    };
    let stats = stats.map_err(|e| CliError::failure("the dashboard failed").caused_by(&e))?;
    if !global.quiet {
        eprint!("{}", stats.summary(started.elapsed()));
    }
    Ok(Exit::Ok)
}

/// Items from a recording, paced, on a blocking thread.
fn replay_source(
    file: &Path,
    speed: Speed,
) -> Result<(mpsc::Receiver<GatewayItem>, Header), CliError> {
    let reader = if file.as_os_str() == "-" {
        qqbot::record::RecordReader::from_reader(std::io::stdin())
    } else {
        qqbot::record::RecordReader::open(file)
    }
    .map_err(|e| CliError::failure(format!("cannot replay {}", file.display())).caused_by(&e))?;
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
    Ok((rx, header))
}
