//! `qqbot completions <SHELL>`: completion scripts generated from the clap definition.

use std::io::Write as _;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use super::exit::{CliResult, Exit};

/// Arguments of `qqbot completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Write the script to stdout.
pub fn run(args: CompletionsArgs) -> CliResult {
    let mut cmd = Cli::command();
    // Generate into memory, then write: clap_complete panics on a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "qqbot", &mut script);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&script)?;
    stdout.flush()?;
    Ok(Exit::Ok)
}
