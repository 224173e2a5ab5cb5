//! `--forward-to URL`: deliver each event to local handlers as QQ would (signed webhook POSTs),
//! with per-event status lines on stderr.

use clap::Args;
use tokio::sync::mpsc;

use qqbot::Secret;
use qqbot::webhook::{ForwardConfig, ForwardResult, Forwarder, parse_header};

use super::exit::CliError;

/// Forwarding options shared by `listen` and `replay`.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Forwarding")]
pub struct ForwardArgs {
    /// POST every event to this handler as QQ's webhook would (same body and headers, signed with
    /// the key derived from the bot secret). Repeat for several handlers.
    #[arg(long, value_name = "URL")]
    pub forward_to: Vec<String>,
    /// Add a header to forwarded requests (K:V). Repeatable.
    #[arg(long, value_name = "K:V", requires = "forward_to")]
    pub forward_header: Vec<String>,
}

/// Start the forwarder (if any target) and a task printing one line per delivery.
pub fn start(
    args: &ForwardArgs,
    app_id: &str,
    secret: &Secret,
    quiet: bool,
) -> Result<Option<Forwarder>, CliError> {
    if args.forward_to.is_empty() {
        return Ok(None);
    }
    let mut config = ForwardConfig::new(args.forward_to.clone(), app_id, secret.clone());
    config.headers = args
        .forward_header
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<_, String>>()
        .map_err(|e| CliError::usage(format!("--forward-header: {e}")))?;
    let (forwarder, results) = Forwarder::start(config)
        .map_err(|e| CliError::usage("cannot forward events").caused_by(&e))?;
    tokio::spawn(report(results, quiet));
    if !quiet {
        eprintln!(
            "qqbot: forwarding events to {} (signed with the key derived from app {app_id}'s secret)",
            args.forward_to.join(", ")
        );
    }
    Ok(Some(forwarder))
}

async fn report(mut results: mpsc::Receiver<ForwardResult>, quiet: bool) {
    while let Some(result) = results.recv().await {
        if quiet && result.delivered() {
            continue;
        }
        let seq = result.seq.map(|s| format!(" #{s}")).unwrap_or_default();
        let tries = result.attempts.len();
        let retried = if tries > 1 {
            format!(" after {tries} attempts")
        } else {
            String::new()
        };
        match (result.delivered(), result.status()) {
            (true, Some(status)) => eprintln!(
                "forward → {} {status} in {:.0} ms{retried}  {}{seq}",
                result.target,
                result.latency().as_secs_f64() * 1000.0,
                result.t
            ),
            (_, status) => {
                let last = result
                    .attempts
                    .last()
                    .and_then(|a| a.error.clone())
                    .or(status.map(|s| format!("HTTP {s}")))
                    .unwrap_or_else(|| "no answer".into());
                eprintln!(
                    "forward ✗ {} gave up after {tries} attempt(s) ({last})  {}{seq}",
                    result.target, result.t
                );
            }
        }
    }
}
