//! `qqbot intents list | explain | check`: the intents table offline, a static check of an
//! intents choice, and `check --live`, which finds the granted intents by trial Identify.

use clap::{Args, Subcommand};
use serde_json::json;

use qqbot::protocol::intents::{self, INTENTS, IntentInfo, Intents};

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};

/// `qqbot intents` subcommands.
#[derive(Debug, Subcommand)]
pub enum IntentsCommand {
    /// Every intent bit: value, name, aliases used by other SDKs, access level and events.
    #[command(after_help = super::help::intents_list())]
    List,
    /// Explain one intent (name, alias or bit) or break an intents value into its bits.
    #[command(after_help = super::help::intents_explain())]
    Explain(ExplainArgs),
    /// Check an intents choice (private-only bits, overlaps, undocumented bits), print the minimal
    /// intents for some events, or (--live) find which intents the app is granted.
    #[command(after_help = super::help::intents_check())]
    Check(Box<super::intents_check::CheckArgs>),
}

/// Arguments of `qqbot intents explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A name or alias (public_messages), a value (1107300352, 1<<25), or a list (guilds,at_messages).
    #[arg(value_name = "NAME|NUMBER")]
    pub spec: String,
}

pub(super) fn info_json(info: &IntentInfo) -> serde_json::Value {
    json!({
        "name": info.name, "bit": info.bit, "value": info.value(), "aliases": info.aliases,
        "access": info.access.label(), "documented": info.documented, "events": info.events,
        "summary": info.summary,
    })
}

/// Run the subcommand.
pub async fn run(global: &GlobalArgs, cmd: IntentsCommand) -> CliResult {
    match cmd {
        IntentsCommand::List => {
            list(global.json)?;
            Ok(Exit::Ok)
        }
        IntentsCommand::Explain(args) => explain(global.json, &args.spec),
        IntentsCommand::Check(args) => super::intents_check::run(global, *args).await,
    }
}

fn list(json: bool) -> std::io::Result<()> {
    if json {
        let rows: Vec<_> = INTENTS.iter().map(info_json).collect();
        outln!("{}", serde_json::Value::Array(rows))?;
        return Ok(());
    }
    outln!(
        "{:<6} {:<11} {:<29} {:<18} EVENTS",
        "BIT",
        "VALUE",
        "NAME",
        "ACCESS"
    )?;
    for info in INTENTS {
        outln!(
            "1<<{:<3} {:<11} {:<29} {:<18} {}",
            info.bit,
            info.value(),
            info.name,
            info.access.label(),
            info.events.join(", ")
        )?;
        outln!("{:<48}aliases: {}", "", info.aliases.join(", "))?;
    }
    outln!()?;
    outln!(
        "presets: default = {} ({}), all = {} (documented bits; botpy's Intents.all())",
        Intents::default_granted().bits(),
        Intents::default_granted().names(),
        Intents::all().bits()
    )?;
    outln!(
        "bits 1<<23 and 1<<24 are outside the official doc table (botgo / nonebot); `all` leaves them out"
    )?;
    Ok(())
}

fn explain(json: bool, spec: &str) -> CliResult {
    // A single name or alias: the full row.
    if let Some(info) = intents::lookup(spec.trim()) {
        if json {
            outln!("{}", info_json(info))?;
        } else {
            print_info(info)?;
        }
        return Ok(Exit::Ok);
    }
    let parsed = Intents::parse(spec).map_err(|e| {
        let err = CliError::usage(e.to_string());
        match &e {
            intents::IntentError::UnknownName { .. } => {
                err.hint("`qqbot intents list` shows every name and the aliases other SDKs use")
            }
            _ => err,
        }
    })?;
    if let Some(info) = intents::lookup_value(parsed.bits()) {
        if json {
            outln!("{}", info_json(info))?;
        } else {
            print_info(info)?;
        }
        return Ok(Exit::Ok);
    }
    let unknown = parsed.unknown_bits();
    if json {
        let rows: Vec<_> = parsed.infos().map(info_json).collect();
        outln!(
            "{}",
            json!({"value": parsed.bits(), "names": parsed.names(), "intents": rows, "unknown_bits": unknown})
        )?;
        return Ok(Exit::Ok);
    }
    outln!("{} = {}", parsed.bits(), parsed.names())?;
    for info in parsed.infos() {
        outln!(
            "  1<<{:<3} {:<11} {:<29} {}",
            info.bit,
            info.value(),
            info.name,
            info.access.label()
        )?;
    }
    if unknown != 0 {
        outln!(
            "  unknown bits: {unknown} (not in the intents table; the gateway may refuse them)"
        )?;
    }
    let private: Vec<&str> = parsed
        .infos()
        .filter(|i| i.access == intents::Access::PrivateOnly)
        .map(|i| i.name)
        .collect();
    if !private.is_empty() {
        outln!(
            "  note: {} only work for private-domain bots; a public bot's Identify is refused (op 9, then close 4903)",
            private.join(", ")
        )?;
    }
    Ok(Exit::Ok)
}

fn print_info(info: &IntentInfo) -> std::io::Result<()> {
    outln!("{} = 1<<{} = {}", info.name, info.bit, info.value())?;
    outln!("  {}", info.summary)?;
    outln!("  access:  {}", info.access.label())?;
    if !info.documented {
        outln!("  note:    not in the official doc table; `all` leaves it out")?;
    }
    outln!("  aliases: {}", info.aliases.join(", "))?;
    outln!("  events:  {}", info.events.join(", "))?;
    Ok(())
}
