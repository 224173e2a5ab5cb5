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
pub mod help;
pub mod intents;
pub mod intents_check;
pub mod jq;
pub mod listen;
mod metrics;
pub mod nats;
pub mod pipeline;
pub mod record;
pub mod recorder;
pub mod replay;
pub mod send;
pub mod signals;
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
                  --app-id and --secret-file, or a [profile.NAME] in the config file.",
    after_help = "Examples:\n  \
                  qqbot listen --emulator                 # no credentials: an embedded emulator\n  \
                  qqbot doctor                            # check credentials, token, gateway\n  \
                  qqbot explain 4009                      # what a close code means\n  \
                  qqbot <COMMAND> --help                  # each command's options and examples\n\n\
                  Exit codes: 0 ok, 1 failure, 2 usage, 4 authentication failed, \
                  5 gateway refused the session, 130 interrupted, 143 terminated, \
                  129 hung up."
)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Connection options given before the command (`qqbot --profile dev config set …`); the
    /// same options after the command win.
    #[command(flatten)]
    pub conn: ConnArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human lines, even into a pipe (`--format human --color always | less -R`).
    Human,
    /// NDJSON or JSON, even on a terminal (same as `--json`).
    Json,
}

/// Options accepted by every subcommand.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct CommonArgs {
    /// Print less: errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to colour output (NO_COLOR is honoured by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Machine-readable output (NDJSON or JSON) even on a terminal (= --format json).
    #[arg(long, global = true)]
    pub json: bool,
    /// Force the output format (default: human on a terminal, NDJSON into a pipe).
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,
}

/// Which config file and profile: for every command that reads or writes the configuration.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Configuration")]
pub struct ProfileArgs {
    /// Config profile to use ([profile.NAME]; env QQBOT_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Config file (env QQBOT_CONFIG; default: the user config dir's qqbot/config.toml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// Credentials and endpoints: only on the commands that talk to the platform.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Connection")]
pub struct ConnArgs {
    /// Config file and profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The bot's app id (env QQBOT_APP_ID). The secret never goes on the command line: use
    /// QQBOT_SECRET, --secret-file or a profile.
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,
    /// Read the bot secret from this file instead of the environment.
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
    /// Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX).
    #[arg(long)]
    pub sandbox: bool,
    /// OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot.
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// Access-token endpoint (env QQBOT_TOKEN_URL).
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
}

impl ConnArgs {
    /// `self` (given after the command) over `before` (given before it).
    fn over(self, before: &ConnArgs) -> ConnArgs {
        ConnArgs {
            profile: ProfileArgs {
                profile: self
                    .profile
                    .profile
                    .or_else(|| before.profile.profile.clone()),
                config: self
                    .profile
                    .config
                    .or_else(|| before.profile.config.clone()),
            },
            app_id: self.app_id.or_else(|| before.app_id.clone()),
            secret_file: self.secret_file.or_else(|| before.secret_file.clone()),
            sandbox: self.sandbox || before.sandbox,
            api_base: self.api_base.or_else(|| before.api_base.clone()),
            token_url: self.token_url.or_else(|| before.token_url.clone()),
        }
    }
}

/// Every option a command may consult, merged from the common options and the command's own
/// connection options.
#[derive(Debug, Clone, Default)]
pub struct GlobalArgs {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--sandbox`.
    pub sandbox: bool,
    /// `--api-base`.
    pub api_base: Option<String>,
    /// `--token-url`.
    pub token_url: Option<String>,
    /// `--secret-file`.
    pub secret_file: Option<PathBuf>,
    /// `--app-id`.
    pub app_id: Option<String>,
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `--color`.
    pub color: ColorChoice,
    /// `--json` or `--format json`.
    pub json: bool,
    /// `--format human`: human output even into a pipe.
    pub human: bool,
}

impl GlobalArgs {
    /// Whether a streaming command (`listen`, `replay`) writes NDJSON: `--json`/`--format json`,
    /// or stdout is not a terminal and `--format human` was not given.
    pub fn stream_json(&self) -> bool {
        use std::io::IsTerminal;
        self.json || (!self.human && !std::io::stdout().is_terminal())
    }
}

impl Cli {
    /// The merged options and the command. `--json` with `--format human` is a usage error.
    pub fn into_parts(self) -> Result<(GlobalArgs, Command), exit::CliError> {
        let Cli {
            common,
            conn,
            mut command,
        } = self;
        if common.json && common.format == Some(OutputFormat::Human) {
            return Err(exit::CliError::usage(
                "--json and --format human contradict each other",
            ));
        }
        let mine = match &mut command {
            Command::Listen(a) => std::mem::take(&mut a.source.conn),
            Command::Record(a) => std::mem::take(&mut a.listen.source.conn),
            Command::Tui(a) => std::mem::take(&mut a.source.conn),
            Command::Replay(a) => std::mem::take(&mut a.conn),
            Command::Send(a) => std::mem::take(&mut a.conn),
            Command::Doctor(a) => std::mem::take(&mut a.conn),
            Command::Intents(intents::IntentsCommand::Check(a)) => std::mem::take(&mut a.conn),
            Command::Config(config_cmd::ConfigCommand::Show(a)) => std::mem::take(&mut a.conn),
            Command::Config(config_cmd::ConfigCommand::Init(a)) => ConnArgs {
                profile: std::mem::take(&mut a.profile),
                sandbox: a.sandbox,
                ..ConnArgs::default()
            },
            Command::Config(config_cmd::ConfigCommand::Set(a)) => ConnArgs {
                profile: std::mem::take(&mut a.profile),
                ..ConnArgs::default()
            },
            _ => ConnArgs::default(),
        };
        let conn = mine.over(&conn);
        let global = GlobalArgs {
            profile: conn.profile.profile,
            config: conn.profile.config,
            sandbox: conn.sandbox,
            api_base: conn.api_base,
            token_url: conn.token_url,
            secret_file: conn.secret_file,
            app_id: conn.app_id,
            quiet: common.quiet,
            verbose: common.verbose,
            color: common.color,
            json: common.json || common.format == Some(OutputFormat::Json),
            human: common.format == Some(OutputFormat::Human),
        };
        Ok((global, command))
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to the gateway and stream events (human lines on a terminal, NDJSON when piped).
    #[command(after_help = help::listen())]
    Listen(listen::ListenArgs),
    /// Run a local emulator of the QQ platform (token endpoint, OpenAPI, gateway, faults).
    #[command(after_help = help::emulate())]
    Emulate(emulate::EmulateArgs),
    /// A live dashboard: shards, heartbeat latency, event rates, recent events.
    #[command(after_help = help::tui())]
    Tui(tui::TuiArgs),
    /// Record a gateway session to a file (every `listen` option applies).
    #[command(after_help = help::record())]
    Record(record::RecordArgs),
    /// Replay a recording: print it as `listen` did, summarise it, or serve it to a bot.
    #[command(after_help = help::replay())]
    Replay(replay::ReplayArgs),
    /// Explain a gateway close code or an OpenAPI error code, offline.
    #[command(after_help = help::explain())]
    Explain(explain::ExplainArgs),
    /// List and explain intents, from the intents table.
    #[command(subcommand)]
    Intents(intents::IntentsCommand),
    /// Print a shell completion script.
    #[command(after_help = help::completions())]
    Completions(completions::CompletionsArgs),
    /// Send a message (passive replies with automatic msg_seq, reply-rule checks, error explanations).
    #[command(after_help = help::send())]
    Send(send::SendArgs),
    /// Create and edit config profiles, and show the resolved settings (secrets redacted).
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Check credentials, token, /gateway/bot, /users/@me and a gateway handshake, with advice.
    #[command(after_help = help::doctor())]
    Doctor(doctor::DoctorArgs),
    /// Shards across processes: show the leases in the NATS bucket.
    #[command(subcommand)]
    Cluster(cluster_cmd::ClusterCommand),
}

/// Run a parsed command line.
pub async fn run(global: GlobalArgs, command: Command) -> CliResult {
    let global = &global;
    match command {
        Command::Listen(args) => listen::run(global, args).await,
        Command::Record(args) => record::run(global, args).await,
        Command::Tui(args) => tui::run(global, args).await,
        Command::Replay(args) => replay::run(global, args).await,
        Command::Emulate(args) => emulate::run(global, args).await,
        Command::Explain(args) => explain::run(global, args),
        Command::Intents(cmd) => intents::run(global, cmd).await,
        Command::Completions(args) => completions::run(args),
        Command::Send(args) => send::run(global, args).await,
        Command::Config(cmd) => config_cmd::run(global, cmd),
        Command::Doctor(args) => doctor::run(global, args).await,
        Command::Cluster(cmd) => cluster_cmd::run(global, cmd).await,
    }
}
