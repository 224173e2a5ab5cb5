//! The command line: argument definitions and dispatch to one file per subcommand.

/// `println!` on a locked stdout that returns `io::Result` (so a closed pipe is an error the
/// caller propagates with `?`, not a panic); main maps `BrokenPipe` to a quiet exit 0.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` counterpart of [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

pub mod cluster_cmd;
pub mod completions;
pub mod config_cmd;
pub mod doctor;
pub mod emulate;
pub mod emulate_control;
pub mod exit;
pub mod explain;
pub mod forward;
pub mod intents;
pub mod intents_check;
pub mod listen;
pub mod pipeline;
pub mod record;
pub mod recorder;
pub mod replay;
pub mod send;
pub mod style;
pub mod tui;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use exit::CliResult;
use style::ColorChoice;

/// qqbot: a gateway client and developer tool for QQ bots (QQ 频道 / 群 / 单聊).
#[derive(Debug, Parser)]
#[command(
    name = "qqbot",
    version,
    about,
    long_about = "qqbot connects to the QQ Bot gateway, streams and records its events, explains \
                  close codes and intents, and runs a faithful local emulator of the QQ platform.\n\n\
                  Credentials: QQBOT_APP_ID and QQBOT_SECRET (or QQ_BOT_APP_ID / QQ_BOT_SECRET), \
                  --secret-file, or a [profile.NAME] in the config file.",
    after_help = "Exit codes: 0 ok, 1 failure, 2 usage, 4 authentication failed, \
                  5 gateway refused the session, 130 interrupted."
)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every subcommand.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Config profile to use ([profile.NAME]; env QQBOT_PROFILE).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX).
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot.
    #[arg(long, global = true, value_name = "URL")]
    pub api_base: Option<String>,
    /// Access-token endpoint (env QQBOT_TOKEN_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub token_url: Option<String>,
    /// Read the bot secret from this file instead of the environment.
    #[arg(long, global = true, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
    /// Config file (env QQBOT_CONFIG; default: the user config dir's qqbot/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Print less: errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to colour output (NO_COLOR is honoured by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Machine-readable output (NDJSON or JSON) even on a terminal.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to the gateway and stream events (human lines on a terminal, NDJSON when piped).
    Listen(listen::ListenArgs),
    /// Run a local emulator of the QQ platform (token endpoint, OpenAPI, gateway, faults).
    Emulate(emulate::EmulateArgs),
    /// A live dashboard: shards, heartbeat latency, event rates, recent events.
    Tui(tui::TuiArgs),
    /// Record a gateway session to a file (every `listen` option applies).
    Record(record::RecordArgs),
    /// Replay a recording: print it as `listen` did, summarise it, or serve it to a bot.
    Replay(replay::ReplayArgs),
    /// Explain a gateway close code or an OpenAPI error code, offline.
    Explain(explain::ExplainArgs),
    /// List and explain intents, from the intents table.
    #[command(subcommand)]
    Intents(intents::IntentsCommand),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Send a message (passive replies with automatic msg_seq, reply-rule checks, error explanations).
    Send(send::SendArgs),
    /// Create and edit config profiles, and show the resolved settings (secrets redacted).
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Check credentials, token, /gateway/bot, /users/@me and a gateway handshake, with advice.
    Doctor(doctor::DoctorArgs),
    /// Shards across processes: show the leases in the NATS bucket.
    #[command(subcommand)]
    Cluster(cluster_cmd::ClusterCommand),
}

/// Run a parsed command line.
pub async fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Listen(args) => listen::run(&cli.global, args).await,
        Command::Record(args) => record::run(&cli.global, args).await,
        Command::Tui(args) => tui::run(&cli.global, args).await,
        Command::Replay(args) => replay::run(&cli.global, args).await,
        Command::Emulate(args) => emulate::run(&cli.global, args).await,
        Command::Explain(args) => explain::run(&cli.global, args),
        Command::Intents(cmd) => intents::run(&cli.global, cmd).await,
        Command::Completions(args) => completions::run(args),
        Command::Send(args) => send::run(&cli.global, args).await,
        Command::Config(cmd) => config_cmd::run(&cli.global, cmd),
        Command::Doctor(args) => doctor::run(&cli.global, args).await,
        Command::Cluster(cmd) => cluster_cmd::run(&cli.global, cmd).await,
    }
}
