//! The `qqbot` binary: parse the command line, set up logging, run, map errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use cli::exit::Exit;
use cli::{Cli, style};

/// Every frame a shard receives is allocated on the shard's thread and freed on the output
/// thread. glibc's malloc takes an arena lock for such frees, and under a flood the two threads
/// spend their time waking each other on it (futex calls were the largest cost in a profile of
/// `listen --json`); mimalloc frees across threads without a lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_tracing(global: &cli::GlobalArgs, dashboard: bool) {
    // The gateway's own lifecycle events are printed as human lines (or NDJSON) already; its
    // tracing shows with -v or RUST_LOG=qqbot::gateway=debug.
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error,qqbot::gateway=off",
        (false, 0) => "warn,qqbot::gateway=off",
        (false, 1) => "qqbot=debug,info",
        (false, _) => "qqbot=trace,debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // While the dashboard owns the terminal, logs go to a file.
    if dashboard && let Ok((_, file)) = qqbot::tui::log_file() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_target(false)
            .init();
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(style::stderr_color(global.color))
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and --version go to stdout with exit 0; real usage errors exit 2.
            if !err.use_stderr() {
                let _ = err.print();
                return ExitCode::from(Exit::Ok as u8);
            }
            // One error prefix for every error: clap's `error: …` becomes `qqbot: error: …`.
            let text = err.render().to_string();
            match text.strip_prefix("error:") {
                Some(rest) => eprint!("qqbot: error:{rest}"),
                None => eprint!("{text}"),
            }
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let (global, command) = match cli.into_parts() {
        Ok(parts) => parts,
        Err(err) => {
            eprint!("{}", err.render());
            return ExitCode::from(err.exit as u8);
        }
    };
    init_tracing(&global, matches!(command, cli::Command::Tui(_)));
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if matches!(command, cli::Command::Listen(_) | cli::Command::Record(_)) {
        builder.worker_threads(qqbot::output::runtime_workers());
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("qqbot: error: cannot start the async runtime: {err}");
            return ExitCode::from(Exit::Failure as u8);
        }
    };
    let result = runtime.block_on(cli::run(global, command));
    // Do not wait for background tasks (a stuck socket) on the way out.
    runtime.shutdown_background();
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(err) if err.is_broken_pipe() => ExitCode::from(Exit::Ok as u8),
        Err(err) => {
            eprint!("{}", err.render());
            ExitCode::from(err.exit as u8)
        }
    }
}
