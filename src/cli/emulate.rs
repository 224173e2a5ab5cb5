//! `qqbot emulate`: run the QQ platform emulator until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use qqbot::Secret;
use qqbot::emulator::webhook::Validation;
use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};
use qqbot::protocol::Intents;

use super::GlobalArgs;
use super::exit::{CliError, CliResult};

/// Arguments of `qqbot emulate`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EmulateArgs {
    /// Drive an emulator that is already running (no subcommand: run one).
    #[command(subcommand)]
    pub control: Option<super::emulate_control::Control>,
    /// Address to serve everything on (HTTP API, token endpoint, gateway, control API).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// App id bots must use.
    #[arg(long, default_value = "1020304050", value_name = "ID")]
    pub app_id: String,
    /// Secret bots must use (a development value; never a real secret).
    #[arg(long, default_value = "qqbot-emulator-secret", value_name = "S")]
    pub secret: String,
    /// Intents the emulated app is granted (an Identify asking for more gets op 9 + close 4903).
    #[arg(long, default_value = "all", value_name = "INTENTS")]
    pub grant: String,
    /// What the emulator does: demo, quiet, flood, or a fault scenario (see `--help`).
    #[arg(long, default_value = "demo", value_name = "NAME", long_help = scenario_help())]
    pub scenario: String,
    /// Generated events per second (demo scenario).
    #[arg(long, default_value_t = 2.0, value_name = "EVENTS_PER_SEC")]
    pub rate: f64,
    /// Heartbeat interval sent in Hello, in milliseconds (1000–600000: what qqbot accepts
    /// from a Hello).
    #[arg(long, default_value_t = 41_250, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(super::listen::HEARTBEAT_INTERVAL_MS))]
    pub heartbeat_interval: u64,
    /// Send op 7 and close 4009 this often per connection (e.g. 10s, 5m; a plain number is
    /// seconds), as `listen --emulator --session-timeout` does.
    #[arg(long, default_value = "30m", value_name = "DURATION",
          value_parser = super::listen::parse_positive_duration)]
    pub session_timeout: Duration,
    /// Shard count recommended by /gateway/bot.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub shards: u32,
    /// session_start_limit.max_concurrency (identifies allowed per 5 s).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub max_concurrency: u32,
    /// Session starts left today when the emulator starts (of 1000): an app that has spent
    /// most of its budget, to see `listen`'s warning or, at 0, its refusal.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub session_starts_left: Option<u32>,
    /// Close an Identify faster than --max-concurrency per 5 s with 4008, as the platform may
    /// (default: accept it with a warning).
    #[arg(long)]
    pub strict_identify_rate: bool,
    /// Also deliver every event as a signed webhook to this URL (op 13 validation first, then
    /// POSTs with QQ's headers; retried with backoff).
    #[arg(long, value_name = "URL")]
    pub webhook_to: Option<String>,
    /// The gateway URL that GET /gateway and /gateway/bot return (default: this emulator's own
    /// ws://ADDR/websocket), for clients that reach it through another address: a proxy or a
    /// container's port mapping, e.g. ws://localhost:9000/websocket.
    #[arg(long, value_name = "URL", value_parser = parse_gateway_url)]
    pub gateway_url: Option<String>,
    /// Seed for generated events (same seed, same events).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,
    /// Serve Prometheus metrics (connections, identifies, resumes, dispatches sent) on
    /// ADDR/metrics; port 0 picks a free port, printed on stderr.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
}

fn scenario_help() -> String {
    let mut help = String::from("What the emulator does:\n");
    for scenario in Scenario::ALL {
        help.push_str(&format!(
            "  {:<18} {}\n",
            scenario.to_string(),
            scenario.description()
        ));
    }
    help
}

/// Print where an emulator listens and the (development) credentials to use: one JSON object with
/// `--json`, else a block for humans that starts with `title` and ends with `tail`.
pub fn announce(global: &GlobalArgs, emulator: &Emulator, title: &str, tail: &str) {
    let config = emulator.config();
    if global.json {
        println!(
            "{}",
            serde_json::json!({
                "api_base": emulator.api_base(), "token_url": emulator.token_url(),
                "gateway_url": emulator.gateway_url(), "app_id": config.app_id,
                "secret": config.secret.expose(), "scenario": config.scenario.to_string(),
            })
        );
        return;
    }
    println!(
        "{title} listening on {addr}\n\
         \n  API base:    {api}\n  token URL:   {token}\n  gateway URL: {gw}  (returned by GET /gateway/bot)\n  control API: {api}/_emulator/state\n\
         \n  credentials: app id {app_id}, secret {secret}\n\n{tail}",
        addr = emulator.addr(),
        api = emulator.api_base(),
        token = emulator.token_url(),
        gw = emulator.gateway_url(),
        app_id = config.app_id,
        secret = config.secret.expose(),
    );
}

/// `--gateway-url`: a `ws://` or `wss://` URL with a host.
fn parse_gateway_url(value: &str) -> Result<String, String> {
    const WANTED: &str = "a WebSocket URL with a host, e.g. ws://localhost:9000/websocket";
    // The URL parser reads `ws:///websocket` as host `websocket` (special schemes skip extra
    // slashes), so the authority is checked on the text as given, then parsed.
    let rest = value
        .strip_prefix("ws://")
        .or_else(|| value.strip_prefix("wss://"))
        .ok_or(WANTED)?;
    if rest.is_empty() || rest.starts_with(['/', '?', '#']) {
        return Err(WANTED.to_owned());
    }
    let url = reqwest::Url::parse(value).map_err(|e| format!("{e}: {WANTED}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(WANTED.to_owned());
    }
    Ok(value.to_owned())
}

/// A scenario name, or a usage error listing the valid ones.
pub fn parse_scenario(name: &str) -> Result<Scenario, CliError> {
    name.parse().map_err(|_| {
        let names: Vec<String> = Scenario::ALL.iter().map(ToString::to_string).collect();
        CliError::usage(format!("unknown scenario `{name}`"))
            .hint(format!("scenarios: {}", names.join(", ")))
    })
}

/// Build the emulator configuration from the arguments.
pub fn config_from(args: &EmulateArgs) -> Result<EmulatorConfig, CliError> {
    let scenario = parse_scenario(&args.scenario)?;
    let grant =
        Intents::parse(&args.grant).map_err(|e| CliError::usage(format!("--grant: {e}")))?;
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        return Err(CliError::usage(
            "--rate must be a positive number of events per second",
        ));
    }
    Ok(EmulatorConfig {
        app_id: args.app_id.clone(),
        secret: Secret::new(args.secret.clone()),
        grant,
        scenario,
        rate: args.rate,
        heartbeat_interval: Duration::from_millis(args.heartbeat_interval),
        session_timeout: args.session_timeout,
        seed: args.seed,
        shards: args.shards.max(1),
        max_concurrency: args.max_concurrency.max(1),
        session_start_remaining: args.session_starts_left,
        strict_identify_rate: args.strict_identify_rate,
        webhook_to: args.webhook_to.clone(),
        gateway_url: args.gateway_url.clone(),
        ..EmulatorConfig::default()
    })
}

/// Run until Ctrl-C, or drive a running emulator's control API.
pub async fn run(global: &GlobalArgs, mut args: EmulateArgs) -> CliResult {
    if let Some(control) = args.control.take() {
        return super::emulate_control::run(global, control).await;
    }
    let config = config_from(&args)?;
    let scenario = config.scenario;
    let emulator = Emulator::bind(config, args.listen).await.map_err(|e| {
        super::exit::bind_error(format!("cannot listen on {}", args.listen), &e, "--listen")
    })?;
    // Listen for Ctrl-C and SIGTERM before saying where the emulator is: a script that reads the
    // URLs and stops it at once must not kill the process before the handlers are in place.
    let mut signals = super::signals::StopSignals::new()?;
    let _metrics = match args.metrics {
        Some(addr) => {
            let exporter = qqbot::output::prometheus::Exporter::new();
            exporter.watch_emulator(emulator.counters());
            Some(super::metrics::serve(&exporter, addr, global.quiet).await?)
        }
        None => None,
    };
    announce(
        global,
        &emulator,
        &format!("qqbot emulator ({scenario} scenario)"),
        &format!(
            "Point qqbot at it:\n  QQBOT_APP_ID={app_id} QQBOT_SECRET={secret} qqbot listen --api-base {api} --token-url {token}\n\
             \nPoint an SDK at it by changing only its base URLs (botpy: patch botpy.http.Route.DOMAIN / \
             robot.Token's URL; botgo: constant.APIDomain / TokenDomain). Ctrl-C to stop.",
            app_id = args.app_id,
            secret = args.secret,
            api = emulator.api_base(),
            token = emulator.token_url(),
        ),
    );
    if let Some(mut status) = emulator.watch_webhook()
        && !global.quiet
    {
        // Say once how the op 13 URL validation went, and keep the count of failures visible.
        tokio::spawn(async move {
            let mut told = false;
            while status.changed().await.is_ok() {
                let now = status.borrow().clone();
                match (&now.validation, told) {
                    (Validation::Passed, false) => {
                        eprintln!("qqbot: webhook {} passed the op 13 validation", now.url);
                        told = true;
                    }
                    (Validation::Failed(reason), false) => {
                        eprintln!(
                            "qqbot: webhook {} failed the op 13 validation: {reason}",
                            now.url
                        );
                        told = true;
                    }
                    _ => {}
                }
            }
        });
    }
    let stop = signals.recv().await;
    signals.abort_on_next();
    if let Some(status) = emulator.webhook_status()
        && !global.quiet
    {
        eprintln!(
            "qqbot: webhook deliveries: {} delivered, {} failed ({} failed attempts), {} dropped",
            status.delivered, status.failed_events, status.failed_attempts, status.dropped
        );
    }
    if !global.quiet {
        eprintln!("qqbot: stopping the emulator");
    }
    emulator.shutdown().await;
    Ok(stop.exit())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulateArgs,
    }

    fn config(extra: &[&str]) -> Result<EmulatorConfig, String> {
        let argv = std::iter::once("emulate").chain(extra.iter().copied());
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        config_from(&cli.args).map_err(|e| e.to_string())
    }

    /// `--session-timeout` reads like `listen --emulator --session-timeout`: `10s`, `5m`,
    /// `500ms`, or plain seconds as before.
    #[test]
    fn session_timeout_takes_a_duration_like_listen() {
        let timeout = |extra: &[&str]| config(extra).map(|c| c.session_timeout);
        assert_eq!(timeout(&[]), Ok(Duration::from_secs(1800)));
        for (text, want) in [
            ("10s", Duration::from_secs(10)),
            ("5m", Duration::from_secs(300)),
            ("500ms", Duration::from_millis(500)),
            ("90", Duration::from_secs(90)),
        ] {
            assert_eq!(timeout(&["--session-timeout", text]), Ok(want), "{text}");
        }
        let zero = timeout(&["--session-timeout", "0s"]).unwrap_err();
        assert!(zero.contains("above 0"), "{zero}");
        let bad = timeout(&["--session-timeout", "5 parsecs"]).unwrap_err();
        assert!(bad.contains("bad duration"), "{bad}");
    }
}
