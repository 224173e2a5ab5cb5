//! `qqbot record -o FILE`: `listen` that writes a recording instead of printing.

use std::path::PathBuf;

use clap::Args;

use super::GlobalArgs;
use super::exit::CliResult;
use super::listen::{self, ListenArgs};

/// Arguments of `qqbot record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The recording to write (NDJSON; zstd when the name ends in .zst).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Every `listen` option.
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// Run `qqbot record`.
pub async fn run(global: &GlobalArgs, args: RecordArgs) -> CliResult {
    let mut listen = args.listen;
    listen.record = Some(args.output);
    listen::run_with(global, listen, true).await
}
